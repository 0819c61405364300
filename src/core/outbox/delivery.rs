//! What the outbox keeps of each webhook: the delivery as a provider
//! enqueued it, how its signature can be spoiled on purpose, and every
//! attempt.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a receiver must answer for a delivery to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    /// Any 2xx status (Softline: the docs name no reply).
    AnySuccess,
    /// HTTP 200 with the body exactly `OK` (IntellectMoney's documented rule).
    ExactOk,
}

impl Acceptance {
    pub(super) fn judge(self, status: u16, body: &[u8]) -> Result<(), String> {
        match self {
            Self::AnySuccess if (200..300).contains(&status) => Ok(()),
            Self::AnySuccess => Err(format!("HTTP {status} is not a 2xx answer")),
            Self::ExactOk if status == 200 && body == b"OK" => Ok(()),
            Self::ExactOk if status != 200 => Err(format!("HTTP {status}, not 200")),
            Self::ExactOk => Err(format!(
                "the body was {:?}, not exactly \"OK\"",
                String::from_utf8_lossy(&body[..body.len().min(64)])
            )),
        }
    }
}

/// A delivery as a provider hands it over.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub provider: &'static str,
    /// The provider's event name (`order.created`, `paymentStatus=5`).
    pub event: String,
    pub url: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Waits between attempts, in sandbox seconds: `[10, 60]` means three
    /// attempts at most, the second 10 s after the first fails.
    pub retry_schedule: Vec<u64>,
    pub acceptance: Acceptance,
    /// Ids of the objects this delivery concerns (for timelines).
    pub objects: Vec<String>,
    /// No attempt before this sandbox time (an event that happens later,
    /// such as an asynchronous charge completing); `None` is now.
    pub not_before: Option<OffsetDateTime>,
    /// Where the signature travels, so a deliberately wrong one can be sent
    /// on request (to test the merchant's verification).
    pub signature: Option<SignatureSlot>,
    /// The text the signature is computed over, the secret written as
    /// `<secret>`, so a merchant whose check disagrees can see why.
    pub signature_base: Option<String>,
}

/// Where a delivery carries its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureSlot {
    /// A header (Softline's `signature`).
    Header(String),
    /// A field of a form body (IntellectMoney's `hash`).
    FormField(String),
}

impl SignatureSlot {
    /// The request with this slot's value replaced by a wrong one of the
    /// same shape (the last hex digit changed).
    pub(super) fn tamper(&self, headers: &mut [(String, String)], body: &Bytes) -> Bytes {
        match self {
            Self::Header(name) => {
                for (n, v) in headers.iter_mut() {
                    if n.eq_ignore_ascii_case(name) {
                        *v = wrong_hex(v);
                    }
                }
                body.clone()
            }
            Self::FormField(name) => {
                let text = String::from_utf8_lossy(body);
                let tampered: Vec<String> = text
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((k, v)) if k.eq_ignore_ascii_case(name) => {
                            format!("{k}={}", wrong_hex(v))
                        }
                        _ => pair.to_owned(),
                    })
                    .collect();
                Bytes::from(tampered.join("&"))
            }
        }
    }
}

/// The same hex string with its last digit changed.
fn wrong_hex(value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    match chars.last_mut() {
        Some(last) => *last = if *last == '0' { '1' } else { '0' },
        None => chars.push('0'),
    }
    chars.into_iter().collect()
}

/// One try at delivering.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: f64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub response_body: String,
    /// Why the attempt did not count, if it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Sent with a deliberately wrong signature.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bad_signature: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending {
        #[serde(with = "time::serde::rfc3339")]
        due: OffsetDateTime,
    },
    /// An attempt is under way.
    InFlight,
    /// The receiver accepted it.
    Delivered,
    /// The schedule ran out; `reason` is the last attempt's failure.
    GaveUp { reason: String },
}

/// A delivery with its history.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: u64,
    pub provider: &'static str,
    pub event: String,
    pub url: String,
    pub content_type: String,
    /// `[name, value]` pairs in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    #[serde(serialize_with = "body_as_text")]
    pub body: Bytes,
    pub retry_schedule: Vec<u64>,
    pub acceptance: Acceptance,
    pub objects: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureSlot>,
    /// The signed text, the secret as `<secret>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_base: Option<String>,
    /// The next attempt goes out with a wrong signature.
    #[serde(skip)]
    pub(super) tamper_next: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
    /// Attempts that belong to the schedule (a manual redelivery is extra).
    #[serde(skip)]
    pub(super) scheduled_attempts: usize,
}

/// A delivery as the OpenAPI document describes it (the shape [`Delivery`]
/// serialises to). Written out rather than derived: the flattened state is
/// a `oneOf`, and an `allOf` of it and an object is a schema client
/// generators drop (openapi-python-client: "Cannot take allOf a
/// non-object").
#[derive(utoipa::ToSchema)]
#[schema(as = Delivery)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct DeliveryView {
    id: u64,
    provider: String,
    event: String,
    url: String,
    content_type: String,
    /// `[name, value]` pairs in the order sent.
    headers: Vec<Vec<String>>,
    /// The body as text.
    body: String,
    retry_schedule: Vec<u64>,
    acceptance: Acceptance,
    objects: Vec<String>,
    signature: Option<SignatureSlot>,
    /// The signed text, the secret as `<secret>`.
    signature_base: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    state: DeliveryStateName,
    /// When `pending`: when the next attempt goes out.
    #[schema(format = DateTime)]
    due: Option<String>,
    /// When `gave_up`: the last attempt's failure.
    reason: Option<String>,
    attempts: Vec<Attempt>,
}

/// `state` of a delivery.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
enum DeliveryStateName {
    Pending,
    InFlight,
    Delivered,
    GaveUp,
}

fn body_as_text<S: serde::Serializer>(body: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(body))
}

/// A delivery as a data directory keeps it: everything, the body exactly
/// (base64: a webhook body is whatever the provider signed).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedDelivery {
    id: u64,
    provider: String,
    event: String,
    url: String,
    content_type: String,
    headers: Vec<(String, String)>,
    body_base64: String,
    retry_schedule: Vec<u64>,
    acceptance: Acceptance,
    objects: Vec<String>,
    signature: Option<SignatureSlot>,
    signature_base: Option<String>,
    tamper_next: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    state: DeliveryState,
    attempts: Vec<Attempt>,
    scheduled_attempts: usize,
}

/// `delivery` as a row.
pub(super) fn saved_json(delivery: &Delivery) -> String {
    use base64::Engine as _;
    let saved = SavedDelivery {
        id: delivery.id,
        provider: delivery.provider.to_owned(),
        event: delivery.event.clone(),
        url: delivery.url.clone(),
        content_type: delivery.content_type.clone(),
        headers: delivery.headers.clone(),
        body_base64: base64::engine::general_purpose::STANDARD.encode(&delivery.body),
        retry_schedule: delivery.retry_schedule.clone(),
        acceptance: delivery.acceptance,
        objects: delivery.objects.clone(),
        signature: delivery.signature.clone(),
        signature_base: delivery.signature_base.clone(),
        tamper_next: delivery.tamper_next,
        created_at: delivery.created_at,
        state: delivery.state.clone(),
        attempts: delivery.attempts.clone(),
        scheduled_attempts: delivery.scheduled_attempts,
    };
    serde_json::to_string(&saved).unwrap_or_default()
}

/// A row back as a delivery; `provider` maps its provider's name.
pub(super) fn from_saved_json(
    body: &str,
    provider: impl Fn(&str) -> Option<&'static str>,
) -> Result<Delivery, String> {
    use base64::Engine as _;
    let saved: SavedDelivery = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let name =
        provider(&saved.provider).ok_or_else(|| format!("no provider {:?}", saved.provider))?;
    let body = base64::engine::general_purpose::STANDARD
        .decode(&saved.body_base64)
        .map_err(|e| format!("body_base64: {e}"))?;
    Ok(Delivery {
        id: saved.id,
        provider: name,
        event: saved.event,
        url: saved.url,
        content_type: saved.content_type,
        headers: saved.headers,
        body: Bytes::from(body),
        retry_schedule: saved.retry_schedule,
        acceptance: saved.acceptance,
        objects: saved.objects,
        signature: saved.signature,
        signature_base: saved.signature_base,
        tamper_next: saved.tamper_next,
        created_at: saved.created_at,
        state: saved.state,
        attempts: saved.attempts,
        scheduled_attempts: saved.scheduled_attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intellectmoney_acceptance_wants_exactly_ok() {
        assert!(Acceptance::ExactOk.judge(200, b"OK").is_ok());
        assert!(Acceptance::ExactOk.judge(200, b"OK\n").is_err());
        assert!(Acceptance::ExactOk.judge(201, b"OK").is_err());
    }

    #[test]
    fn a_tampered_signature_keeps_its_shape_and_changes_its_value() {
        let mut headers = vec![("signature".to_owned(), "e970dee7".to_owned())];
        let body = SignatureSlot::Header("signature".into()).tamper(&mut headers, &Bytes::new());
        assert!(body.is_empty());
        assert_eq!(headers[0].1, "e970dee0");

        let form = Bytes::from_static(b"eshopId=1&hash=abc0&orderId=2");
        let tampered = SignatureSlot::FormField("hash".into()).tamper(&mut [], &form);
        assert_eq!(
            tampered,
            Bytes::from_static(b"eshopId=1&hash=abc1&orderId=2")
        );
    }

    #[test]
    fn softline_acceptance_takes_any_2xx() {
        assert!(Acceptance::AnySuccess.judge(204, b"").is_ok());
        assert!(Acceptance::AnySuccess.judge(302, b"").is_err());
    }
}
