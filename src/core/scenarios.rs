//! Forced outcomes: "the next N matching requests answer 6090".
//!
//! Modelled on wiremock's mocks. Each provider publishes a catalogue of
//! [`Scenario`]s (stable ids such as `softline.create_payment.6090`), each
//! belonging to one *operation* (`softline.create_payment`). A handler asks
//! [`Scenarios::forced`] whether its operation must take a forced path, and
//! produces that answer through its own error code path, so a forced answer
//! is byte for byte what the natural one would be.
//!
//! Precedence, first match wins:
//! 1. the `X-Sandbox-Scenario` header of the request (one request, not consumed
//!    from anything);
//! 2. armed scenarios, oldest first, whose `match` fields all equal the
//!    request's (each use counts down its `times`);
//! 3. natural behaviour.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

/// The request header that forces a scenario for one request.
pub const HEADER: &str = "x-sandbox-scenario";

/// One entry of a provider's catalogue.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Scenario {
    /// Stable id: `<provider>.<operation>.<outcome>`.
    pub id: &'static str,
    /// The operation it applies to: `<provider>.<operation>`.
    pub operation: &'static str,
    /// The endpoint or page, for people (`POST /softline/v1/payment`).
    pub applies_to: &'static str,
    /// What the answer will be, for people.
    pub response: &'static str,
}

/// What arming asks for.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    pub id: String,
    /// How many matching requests get it (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// Request fields that must all be equal (names in any letter case,
    /// nested ones dotted: `customer.email`), so parallel tests don't collide.
    #[serde(default, rename = "match", skip_serializing_if = "BTreeMap::is_empty")]
    pub matches: BTreeMap<String, String>,
}

fn one() -> u32 {
    1
}

impl Arm {
    /// Scenario `id` (`softline.create_payment.6090`) for the next matching
    /// request, whatever it carries: what `{"id": id}` arms.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            times: one(),
            matches: BTreeMap::new(),
        }
    }

    /// For the next `times` matching requests instead of one.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Only for requests whose field `name` (dotted when nested:
    /// `customer.email`) is `value`, so parallel tests don't collide.
    #[must_use]
    pub fn matching(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.matches.insert(name.into(), value.into());
        self
    }
}

/// An armed scenario as listed by the control plane.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Armed {
    /// Handle for disarming one scenario.
    pub handle: u64,
    #[serde(flatten)]
    pub arm: Arm,
    /// Uses left.
    pub remaining: u32,
}

/// An armed scenario as the OpenAPI document describes it (the shape
/// [`Armed`] serialises to). Written out rather than derived: `Arm` refuses
/// unknown fields, and a flattened schema carries that refusal into an
/// `allOf`, where it would refuse `handle` and `remaining` beside it.
#[derive(utoipa::ToSchema)]
#[schema(as = Armed)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct ArmedView {
    /// Handle for disarming one scenario.
    handle: u64,
    /// The catalogue's id (`softline.create_payment.6090`).
    id: String,
    /// How many matching requests it was armed for.
    times: u32,
    /// Request fields that must all be equal; left out when none.
    #[serde(rename = "match")]
    matches: Option<BTreeMap<String, String>>,
    /// Uses left.
    remaining: u32,
}

/// Why arming was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ArmError {
    #[error("no scenario {0:?} in the catalogue (GET /__sandbox/scenarios/catalogue)")]
    Unknown(String),
    #[error("times must be at least 1")]
    ZeroTimes,
}

/// The armed scenarios. Cloning shares them.
#[derive(Clone, Debug)]
pub struct Scenarios {
    /// Published once, when the providers are built (after the core,
    /// which they hold).
    catalogue: Arc<OnceLock<Box<[Scenario]>>>,
    /// A std mutex: look-ups are short and never await.
    armed: Arc<Mutex<ArmedList>>,
    /// How many are armed, read without the lock: with none armed (the
    /// common case) a request costs one atomic load.
    count: Arc<AtomicUsize>,
    /// Counts every change (arming, a use, a disarm), so durable state
    /// knows when to write them.
    version: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct ArmedList {
    items: Vec<Armed>,
    next_handle: u64,
}

/// The armed scenarios as a snapshot keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenariosSnapshot {
    #[serde(default)]
    pub armed: Vec<SavedArm>,
    /// The last handle given out (the next is one more).
    #[serde(default)]
    pub next_handle: u64,
}

/// One armed scenario in a snapshot: as listed, with its uses left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedArm {
    pub handle: u64,
    pub id: String,
    #[serde(default, rename = "match", skip_serializing_if = "BTreeMap::is_empty")]
    pub matches: BTreeMap<String, String>,
    /// As armed (absent: as many as remain).
    #[serde(default)]
    pub times: Option<u32>,
    pub remaining: u32,
}

impl Scenarios {
    pub fn new(catalogue: Vec<Scenario>) -> Self {
        let scenarios = Self::unpublished();
        scenarios.publish(catalogue);
        scenarios
    }

    /// Scenarios whose catalogue is not known yet: nothing can be armed
    /// until [`Scenarios::publish`].
    pub fn unpublished() -> Self {
        Self {
            catalogue: Arc::default(),
            armed: Arc::default(),
            count: Arc::default(),
            version: Arc::default(),
        }
    }

    /// Sets the catalogue, once; a second catalogue is ignored (and
    /// logged: the providers are built once).
    pub fn publish(&self, catalogue: Vec<Scenario>) {
        if self.catalogue.set(catalogue.into()).is_err() {
            tracing::warn!("a second scenario catalogue was published and ignored");
        }
    }

    pub fn catalogue(&self) -> &[Scenario] {
        self.catalogue.get().map_or(&[], |c| c)
    }

    pub fn find(&self, id: &str) -> Option<&Scenario> {
        self.catalogue().iter().find(|s| s.id == id)
    }

    /// Arms a scenario for the next `times` matching requests.
    pub fn arm(&self, arm: Arm) -> Result<Armed, ArmError> {
        if self.find(&arm.id).is_none() {
            return Err(ArmError::Unknown(arm.id));
        }
        if arm.times == 0 {
            return Err(ArmError::ZeroTimes);
        }
        let mut list = self.armed.lock().unwrap();
        list.next_handle += 1;
        let armed = Armed {
            handle: list.next_handle,
            remaining: arm.times,
            arm,
        };
        list.items.push(armed.clone());
        self.count.store(list.items.len(), Ordering::Release);
        self.version.fetch_add(1, Ordering::Release);
        Ok(armed)
    }

    pub fn armed(&self) -> Vec<Armed> {
        self.armed.lock().unwrap().items.clone()
    }

    /// Disarms one scenario by handle; false when there was none.
    pub fn disarm(&self, handle: u64) -> bool {
        let mut list = self.armed.lock().unwrap();
        let before = list.items.len();
        list.items.retain(|a| a.handle != handle);
        self.count.store(list.items.len(), Ordering::Release);
        self.version.fetch_add(1, Ordering::Release);
        list.items.len() != before
    }

    /// A number that changes whenever they do.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// What a snapshot keeps of them.
    pub fn snapshot(&self) -> ScenariosSnapshot {
        let list = self.armed.lock().unwrap();
        ScenariosSnapshot {
            armed: list
                .items
                .iter()
                .map(|a| SavedArm {
                    handle: a.handle,
                    id: a.arm.id.clone(),
                    matches: a.arm.matches.clone(),
                    times: Some(a.arm.times),
                    remaining: a.remaining,
                })
                .collect(),
            next_handle: list.next_handle,
        }
    }

    /// Whether `saved` can be armed here: every id in the catalogue, every
    /// one with a use left.
    pub fn check(&self, saved: &ScenariosSnapshot) -> Result<(), String> {
        for (index, arm) in saved.armed.iter().enumerate() {
            if self.find(&arm.id).is_none() {
                return Err(format!(
                    "armed[{index}].id: {}",
                    ArmError::Unknown(arm.id.clone())
                ));
            }
            if arm.remaining == 0 {
                return Err(format!(
                    "scenario {:?}: remaining must be at least 1",
                    arm.id
                ));
            }
        }
        Ok(())
    }

    /// Makes the armed scenarios exactly `saved` (checked with
    /// [`Scenarios::check`]).
    pub fn restore(&self, saved: ScenariosSnapshot) {
        let mut list = self.armed.lock().unwrap();
        let highest = saved.armed.iter().map(|a| a.handle).max().unwrap_or(0);
        list.next_handle = saved.next_handle.max(highest);
        list.items = saved
            .armed
            .into_iter()
            .map(|a| Armed {
                handle: a.handle,
                remaining: a.remaining,
                arm: Arm {
                    id: a.id,
                    times: a.times.unwrap_or(a.remaining).max(a.remaining),
                    matches: a.matches,
                },
            })
            .collect();
        self.count.store(list.items.len(), Ordering::Release);
        self.version.fetch_add(1, Ordering::Release);
    }

    pub fn clear(&self) {
        let mut list = self.armed.lock().unwrap();
        list.items.clear();
        self.count.store(0, Ordering::Release);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// The scenario forced on a request of `operation`, if any (see the
    /// module docs for the precedence). `header` is the request's
    /// `X-Sandbox-Scenario` value; `field` looks a request field up by name.
    pub fn forced(
        &self,
        operation: &str,
        header: Option<&str>,
        field: &dyn Fn(&str) -> Option<String>,
    ) -> Option<&'static str> {
        if let Some(id) = header.map(str::trim)
            && let Some(s) = self.find(id).filter(|s| s.operation == operation)
        {
            return Some(s.id);
        }
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut list = self.armed.lock().unwrap();
        let position = list.items.iter().position(|a| {
            self.find(&a.arm.id)
                .is_some_and(|s| s.operation == operation)
                && a.arm
                    .matches
                    .iter()
                    .all(|(name, value)| field(name).as_deref() == Some(value.as_str()))
        })?;
        let id = self.find(&list.items[position].arm.id)?.id;
        let armed = &mut list.items[position];
        armed.remaining -= 1;
        self.version.fetch_add(1, Ordering::Release);
        if armed.remaining == 0 {
            list.items.remove(position);
            self.count.store(list.items.len(), Ordering::Release);
            self.version.fetch_add(1, Ordering::Release);
        }
        Some(id)
    }
}

/// The `X-Sandbox-Scenario` value of a request, if it has one.
pub fn header_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    // A name, not a string: a lookup by a string parses the name first.
    const NAME: axum::http::HeaderName = axum::http::HeaderName::from_static(HEADER);
    headers.get(NAME).and_then(|v| v.to_str().ok())
}

/// Looks a dotted field name up in a JSON body, names in any letter case.
/// Numbers and booleans compare by their JSON text.
pub fn json_field(body: &serde_json::Value, name: &str) -> Option<String> {
    let mut value = body;
    for part in name.split('.') {
        value = value
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(part))
            .map(|(_, v)| v)?;
    }
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalogue() -> Scenarios {
        Scenarios::new(vec![
            Scenario {
                id: "softline.create_payment.6090",
                operation: "softline.create_payment",
                applies_to: "POST /softline/v1/payment",
                response: "400 6090",
            },
            Scenario {
                id: "softline.auth.1009",
                operation: "softline.auth",
                applies_to: "every authenticated Softline endpoint",
                response: "401 1009",
            },
        ])
    }

    fn arm(id: &str, times: u32, matches: &[(&str, &str)]) -> Arm {
        Arm {
            id: id.to_owned(),
            times,
            matches: matches
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    const NO_FIELDS: &dyn Fn(&str) -> Option<String> = &|_| None;

    #[test]
    fn an_armed_scenario_applies_to_its_operation_the_given_number_of_times() {
        let scenarios = catalogue();
        scenarios
            .arm(arm("softline.create_payment.6090", 2, &[]))
            .unwrap();

        let other_operation = scenarios.forced("softline.auth", None, NO_FIELDS);
        let first = scenarios.forced("softline.create_payment", None, NO_FIELDS);
        let second = scenarios.forced("softline.create_payment", None, NO_FIELDS);
        let third = scenarios.forced("softline.create_payment", None, NO_FIELDS);

        assert_eq!(other_operation, None);
        assert_eq!(first, Some("softline.create_payment.6090"));
        assert_eq!(second, Some("softline.create_payment.6090"));
        assert_eq!(third, None);
        assert!(scenarios.armed().is_empty());
    }

    #[test]
    fn a_match_limits_the_scenario_to_requests_with_those_fields() {
        let scenarios = catalogue();
        scenarios
            .arm(arm(
                "softline.create_payment.6090",
                1,
                &[("payment_id", "A-1")],
            ))
            .unwrap();
        let body_b = json!({"payment_id": "B-1"});
        let body_a = json!({"PAYMENT_ID": "A-1"});

        let for_b = scenarios.forced("softline.create_payment", None, &|f| json_field(&body_b, f));
        let for_a = scenarios.forced("softline.create_payment", None, &|f| json_field(&body_a, f));

        assert_eq!(for_b, None);
        assert_eq!(for_a, Some("softline.create_payment.6090"));
    }

    #[test]
    fn the_header_wins_and_consumes_nothing() {
        let scenarios = catalogue();
        scenarios
            .arm(arm("softline.create_payment.6090", 1, &[]))
            .unwrap();

        let forced = scenarios.forced("softline.auth", Some("softline.auth.1009"), NO_FIELDS);

        assert_eq!(forced, Some("softline.auth.1009"));
        assert_eq!(scenarios.armed().len(), 1);
    }

    #[test]
    fn arming_an_unknown_id_or_zero_times_is_refused() {
        let scenarios = catalogue();
        assert_eq!(
            scenarios.arm(arm("softline.nope", 1, &[])),
            Err(ArmError::Unknown("softline.nope".into()))
        );
        assert_eq!(
            scenarios.arm(arm("softline.auth.1009", 0, &[])),
            Err(ArmError::ZeroTimes)
        );
    }

    #[test]
    fn nested_fields_are_found_by_dotted_names() {
        let body = json!({"customer": {"Email": "a@b.c"}, "amount": 10});
        assert_eq!(
            json_field(&body, "customer.email").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(json_field(&body, "amount").as_deref(), Some("10"));
        assert_eq!(json_field(&body, "customer.phone"), None);
    }
}
