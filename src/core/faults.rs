//! Transport faults: a flaky network on purpose.
//!
//! A fault delays, answers with a bare HTTP status, or drops the connection,
//! for the next N matching requests or with a probability drawn from the
//! seeded generator (so a failing CI run can be repeated with its seed).
//! Inbound faults match requests to a provider by path prefix and method;
//! outbound faults make the next webhook deliveries of a provider fail as if
//! the receiver had answered with that status or hung up.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ids::Ids;

/// Which traffic a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Requests to paysandbox.
    #[default]
    Inbound,
    /// Webhook deliveries paysandbox sends.
    Outbound,
}

/// A delay: a fixed number of milliseconds or a `[min, max]` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Latency {
    Fixed(u64),
    Range([u64; 2]),
}

/// What `POST /__sandbox/faults` takes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// `softline`, `intellectmoney`, `imshop` or `demo`.
    pub provider: String,
    #[serde(default)]
    pub direction: Direction,
    /// Path prefix under the provider's mount (`/v1/payment`); inbound only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// HTTP method (any letter case); inbound only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Delay before the request is handled (or the webhook is sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<Latency>,
    /// Answer with this bare status (no body) instead of handling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Close the connection without an answer.
    #[serde(default)]
    pub drop: bool,
    /// Outbound only: send the webhook with a deliberately wrong signature
    /// (to test the merchant's verification).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bad_signature: bool,
    /// Apply to this many matching requests, then disappear (absent: until
    /// deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Apply to each matching request with this probability (0 to 1), drawn
    /// from the seeded generator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// Why a fault was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// With the names that can be given.
    #[error("provider must be one of {0}")]
    Provider(String),
    #[error("a fault needs latency_ms, status, drop or bad_signature")]
    Nothing,
    #[error("status and drop exclude each other")]
    StatusAndDrop,
    #[error("status must be an HTTP status from 100 to 599")]
    Status,
    #[error("probability must be between 0 and 1")]
    Probability,
    #[error("times must be at least 1")]
    ZeroTimes,
    #[error("latency range must be [min, max] with min <= max <= 600000")]
    Latency,
    #[error("path must start with /")]
    Path,
    #[error("bad_signature applies to outbound webhooks only, without status or drop")]
    BadSignature,
}

impl FaultSpec {
    fn validate(&self) -> Result<(), FaultError> {
        if self.bad_signature
            && (self.direction != Direction::Outbound || self.status.is_some() || self.drop)
        {
            return Err(FaultError::BadSignature);
        }
        if self.latency_ms.is_none() && self.status.is_none() && !self.drop && !self.bad_signature {
            return Err(FaultError::Nothing);
        }
        if self.status.is_some() && self.drop {
            return Err(FaultError::StatusAndDrop);
        }
        if self.status.is_some_and(|s| !(100..=599).contains(&s)) {
            return Err(FaultError::Status);
        }
        if self.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
            return Err(FaultError::Probability);
        }
        if self.times == Some(0) {
            return Err(FaultError::ZeroTimes);
        }
        match self.latency_ms {
            Some(Latency::Range([min, max])) if min > max || max > 600_000 => {
                return Err(FaultError::Latency);
            }
            Some(Latency::Fixed(ms)) if ms > 600_000 => return Err(FaultError::Latency),
            _ => {}
        }
        if self.path.as_deref().is_some_and(|p| !p.starts_with('/')) {
            return Err(FaultError::Path);
        }
        Ok(())
    }
}

/// A fault as listed: its spec, its handle and what it has done.
#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub handle: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Applications left, when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
    /// How many requests it has hit so far.
    pub applied: u64,
}

/// A fault as the OpenAPI document describes it (the shape [`Fault`]
/// serialises to). Written out rather than derived: `FaultSpec` refuses
/// unknown fields, and a flattened schema carries that refusal into an
/// `allOf`, where it would refuse `handle` and `applied` beside it.
#[derive(utoipa::ToSchema)]
#[schema(as = Fault)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct FaultView {
    /// Handle for removing this fault.
    handle: u64,
    /// `softline`, `intellectmoney`, `imshop` or `demo`.
    provider: String,
    direction: Direction,
    /// Path prefix under the provider's mount; inbound only.
    path: Option<String>,
    /// HTTP method; inbound only.
    method: Option<String>,
    /// Delay before the request is handled (or the webhook is sent).
    latency_ms: Option<Latency>,
    /// The bare status answered instead of handling.
    status: Option<u16>,
    /// Whether the connection is closed without an answer.
    drop: bool,
    /// Outbound only: present (`true`) when webhooks go with a wrong
    /// signature.
    bad_signature: Option<bool>,
    /// Applications asked for (absent: until deleted).
    times: Option<u32>,
    /// The probability of applying to each matching request.
    probability: Option<f64>,
    /// Applications left, when limited.
    remaining: Option<u32>,
    /// How many requests it has hit so far.
    applied: u64,
}

/// What a matching fault does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effect {
    pub handle: u64,
    pub delay: Option<Duration>,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Handle the request normally (after the delay).
    Pass,
    /// Answer this bare status.
    Status(u16),
    /// Close the connection.
    Drop,
    /// Send the webhook, with a wrong signature.
    BadSignature,
}

/// The active faults. Cloning shares them.
#[derive(Clone, Debug)]
pub struct Faults {
    /// A std mutex: matching is short and never awaits.
    list: Arc<Mutex<FaultList>>,
    /// How many faults are active, read without the lock: the common case
    /// (none) costs every request one atomic load, not a contended lock.
    active: Arc<AtomicUsize>,
    /// Counts every change (a fault added, applied or removed), so durable
    /// state knows when to write them.
    version: Arc<AtomicU64>,
    ids: Ids,
    /// Each provider's name and mount, published once the providers are
    /// built (after the core, which they hold).
    mounts: Arc<OnceLock<Box<[Mount]>>>,
}

/// A provider a fault can name, and where its paths start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mount {
    pub provider: &'static str,
    /// `/softline`: a fault's `path` is matched under it.
    pub prefix: &'static str,
}

#[derive(Debug, Default)]
struct FaultList {
    items: Vec<Fault>,
    next_handle: u64,
}

/// The faults as a snapshot keeps them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsSnapshot {
    #[serde(default)]
    pub faults: Vec<SavedFault>,
    /// The last handle given out (the next is one more).
    #[serde(default)]
    pub next_handle: u64,
}

/// One fault in a snapshot: its spec, handle and what it has done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedFault {
    pub handle: u64,
    pub spec: FaultSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
    #[serde(default)]
    pub applied: u64,
}

impl Faults {
    pub fn new(ids: Ids) -> Self {
        Self {
            list: Arc::default(),
            active: Arc::default(),
            version: Arc::default(),
            ids,
            mounts: Arc::default(),
        }
    }

    /// Sets the providers a fault can name, once.
    pub fn publish(&self, mounts: Vec<Mount>) {
        if self.mounts.set(mounts.into()).is_err() {
            tracing::warn!("a second list of fault mounts was published and ignored");
        }
    }

    fn mount_of(&self, provider: &str) -> Option<&'static str> {
        self.mounts
            .get()?
            .iter()
            .find(|m| m.provider == provider)
            .map(|m| m.prefix)
    }

    pub fn add(&self, spec: FaultSpec) -> Result<Fault, FaultError> {
        if self.mount_of(&spec.provider).is_none() {
            let names = self.mounts.get().map_or_else(Vec::new, |mounts| {
                mounts.iter().map(|m| m.provider).collect::<Vec<_>>()
            });
            return Err(FaultError::Provider(names.join(", ")));
        }
        spec.validate()?;
        let mut list = self.list.lock().unwrap();
        list.next_handle += 1;
        let fault = Fault {
            handle: list.next_handle,
            remaining: spec.times,
            spec,
            applied: 0,
        };
        list.items.push(fault.clone());
        self.active.store(list.items.len(), Ordering::Release);
        self.version.fetch_add(1, Ordering::Release);
        Ok(fault)
    }

    pub fn list(&self) -> Vec<Fault> {
        self.list.lock().unwrap().items.clone()
    }

    pub fn remove(&self, handle: u64) -> bool {
        let mut list = self.list.lock().unwrap();
        let before = list.items.len();
        list.items.retain(|f| f.handle != handle);
        self.active.store(list.items.len(), Ordering::Release);
        self.version.fetch_add(1, Ordering::Release);
        list.items.len() != before
    }

    /// A number that changes whenever they do.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// What a snapshot keeps of them.
    pub fn snapshot(&self) -> FaultsSnapshot {
        let list = self.list.lock().unwrap();
        FaultsSnapshot {
            faults: list
                .items
                .iter()
                .map(|f| SavedFault {
                    handle: f.handle,
                    spec: f.spec.clone(),
                    remaining: f.remaining,
                    applied: f.applied,
                })
                .collect(),
            next_handle: list.next_handle,
        }
    }

    /// Whether every fault of `saved` could be added here.
    pub fn check(&self, saved: &FaultsSnapshot) -> Result<(), String> {
        for (index, fault) in saved.faults.iter().enumerate() {
            if self.mount_of(&fault.spec.provider).is_none() {
                return Err(format!(
                    "faults[{index}].spec.provider: no provider {:?}",
                    fault.spec.provider
                ));
            }
            fault
                .spec
                .validate()
                .map_err(|e| format!("faults[{index}].spec: {e}"))?;
            if fault.remaining == Some(0) {
                return Err(format!("faults[{index}].remaining: must be at least 1"));
            }
        }
        Ok(())
    }

    /// Makes the faults exactly `saved` (checked with [`Faults::check`]).
    pub fn restore(&self, saved: FaultsSnapshot) {
        let mut list = self.list.lock().unwrap();
        let highest = saved.faults.iter().map(|f| f.handle).max().unwrap_or(0);
        list.next_handle = saved.next_handle.max(highest);
        list.items = saved
            .faults
            .into_iter()
            .map(|f| Fault {
                handle: f.handle,
                spec: f.spec,
                remaining: f.remaining,
                applied: f.applied,
            })
            .collect();
        self.active.store(list.items.len(), Ordering::Release);
        self.version.fetch_add(1, Ordering::Release);
    }

    pub fn clear(&self) {
        let mut list = self.list.lock().unwrap();
        list.items.clear();
        self.active.store(0, Ordering::Release);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// The fault, if any, for an inbound request: `path` is the full path
    /// (`/softline/v1/payment`), matched under the provider's mount.
    pub fn inbound(&self, provider: &str, method: &str, path: &str) -> Option<Effect> {
        self.take(|spec| {
            spec.direction == Direction::Inbound
                && spec.provider == provider
                && spec
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && spec.path.as_deref().is_none_or(|prefix| {
                    self.mounted_path(provider, path)
                        .is_some_and(|p| p.starts_with(prefix))
                })
        })
    }

    /// The fault, if any, for the next webhook delivery of `provider`.
    pub fn outbound(&self, provider: &str) -> Option<Effect> {
        self.take(|spec| spec.direction == Direction::Outbound && spec.provider == provider)
    }

    /// The path under a provider's mount (`/softline/v1/payment` →
    /// `/v1/payment`).
    fn mounted_path<'a>(&self, provider: &str, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(self.mount_of(provider)?)?;
        Some(if rest.is_empty() { "/" } else { rest })
    }

    fn take(&self, matches: impl Fn(&FaultSpec) -> bool) -> Option<Effect> {
        if self.active.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut list = self.list.lock().unwrap();
        let index = list.items.iter().position(|f| {
            matches(&f.spec) && f.spec.probability.is_none_or(|p| self.ids.chance(p))
        })?;
        let fault = &mut list.items[index];
        fault.applied += 1;
        self.version.fetch_add(1, Ordering::Release);
        let effect = Effect {
            handle: fault.handle,
            delay: fault.spec.latency_ms.map(|l| match l {
                Latency::Fixed(ms) => Duration::from_millis(ms),
                Latency::Range([min, max]) => Duration::from_millis(self.ids.number(min..max + 1)),
            }),
            action: if fault.spec.bad_signature {
                Action::BadSignature
            } else if fault.spec.drop {
                Action::Drop
            } else if let Some(status) = fault.spec.status {
                Action::Status(status)
            } else {
                Action::Pass
            },
        };
        if let Some(remaining) = fault.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                list.items.remove(index);
                self.active.store(list.items.len(), Ordering::Release);
                self.version.fetch_add(1, Ordering::Release);
            }
        }
        Some(effect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Faults that can name two providers.
    fn faults(seed: u64) -> Faults {
        let faults = Faults::new(Ids::new(seed));
        faults.publish(vec![
            Mount {
                provider: "softline",
                prefix: "/softline",
            },
            Mount {
                provider: "imshop",
                prefix: "/imshop",
            },
        ]);
        faults
    }

    fn spec(json: serde_json::Value) -> FaultSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_fault_matches_its_provider_path_prefix_and_method_for_n_requests() {
        let faults = faults(1);
        faults
            .add(spec(serde_json::json!({
                "provider": "softline", "path": "/v1/payment", "method": "post", "status": 503, "times": 2
            })))
            .unwrap();

        let other_path = faults.inbound("softline", "POST", "/softline/v1/order/1");
        let other_method = faults.inbound("softline", "GET", "/softline/v1/payment");
        let first = faults.inbound("softline", "POST", "/softline/v1/payment/recurring");
        let second = faults.inbound("softline", "POST", "/softline/v1/payment");
        let third = faults.inbound("softline", "POST", "/softline/v1/payment");

        assert_eq!(other_path, None);
        assert_eq!(other_method, None);
        assert_eq!(first.unwrap().action, Action::Status(503));
        assert_eq!(second.unwrap().action, Action::Status(503));
        assert_eq!(third, None);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn a_latency_range_stays_within_its_bounds() {
        let faults = faults(1);
        faults
            .add(spec(
                serde_json::json!({"provider": "imshop", "latency_ms": [10, 20]}),
            ))
            .unwrap();
        for _ in 0..50 {
            let delay = faults
                .inbound("imshop", "POST", "/imshop/sync")
                .unwrap()
                .delay
                .unwrap();
            assert!((10..=20).contains(&delay.as_millis()), "{delay:?}");
        }
    }

    #[test]
    fn a_probability_is_drawn_from_the_seed_and_repeats_with_it() {
        let draw = || {
            let faults = faults(99);
            faults
                .add(spec(
                    serde_json::json!({"provider": "softline", "drop": true, "probability": 0.5}),
                ))
                .unwrap();
            (0..64)
                .map(|_| faults.inbound("softline", "GET", "/softline/x").is_some())
                .collect::<Vec<bool>>()
        };
        let first = draw();
        assert_eq!(first, draw());
        let hits = first.iter().filter(|h| **h).count();
        assert!((16..=48).contains(&hits), "{hits} of 64");
    }

    #[test]
    fn outbound_faults_only_touch_webhook_deliveries() {
        let faults = faults(1);
        faults
            .add(spec(serde_json::json!({"provider": "softline", "direction": "outbound", "status": 500, "times": 1})))
            .unwrap();
        assert_eq!(
            faults.inbound("softline", "POST", "/softline/v1/payment"),
            None
        );
        assert_eq!(
            faults.outbound("softline").unwrap().action,
            Action::Status(500)
        );
        assert_eq!(faults.outbound("softline"), None);
    }

    #[test]
    fn invalid_faults_are_refused_with_their_reason() {
        let faults = faults(1);
        let cases = [
            (
                serde_json::json!({"provider": "stripe", "status": 500}),
                FaultError::Provider("softline, imshop".to_owned()),
            ),
            (
                serde_json::json!({"provider": "softline"}),
                FaultError::Nothing,
            ),
            (
                serde_json::json!({"provider": "softline", "status": 500, "drop": true}),
                FaultError::StatusAndDrop,
            ),
            (
                serde_json::json!({"provider": "softline", "status": 42}),
                FaultError::Status,
            ),
            (
                serde_json::json!({"provider": "softline", "drop": true, "probability": 2.0}),
                FaultError::Probability,
            ),
            (
                serde_json::json!({"provider": "softline", "drop": true, "times": 0}),
                FaultError::ZeroTimes,
            ),
            (
                serde_json::json!({"provider": "softline", "latency_ms": [20, 10]}),
                FaultError::Latency,
            ),
            (
                serde_json::json!({"provider": "softline", "drop": true, "path": "v1"}),
                FaultError::Path,
            ),
        ];
        for (json, error) in cases {
            assert_eq!(faults.add(spec(json.clone())).unwrap_err(), error, "{json}");
        }
    }
}
