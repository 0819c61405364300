//! Parse, don't validate: a request's JSON becomes a typed
//! [`NewPayment`](super::types::NewPayment),
//! [`NewRecurring`](super::types::NewRecurring) or
//! [`SearchFilter`](super::types::SearchFilter), or the list of every
//! problem found.
//!
//! The documentation runs its checks in two groups. The first (110 invalid
//! JSON, then 111 wrong `Content-Type`, then 6000 currency not enabled) stops
//! at the first error; it lives here, shared by every request. The second
//! (6010, 6020, 6030, 6060, 6080, 6090, 6100) collects every problem, which
//! is why the body is read field by field from borrowed `core::json::Value`s
//! (see `fields.rs`) instead of through a derived `Deserialize` that would
//! stop at the first one. A new payment's top level is read straight into
//! its members (`create_payment::PaymentBody`), the hot path's one parse;
//! the other requests read a `core::json::Object`.
//!
//! Order of a 400 answer with several entries: by code, and within 6010 by
//! the order the documentation lists the fields (`currency`, `amount`,
//! `return_success_url`, `payment_method`, `recurring_indicator`,
//! `payment_id`, `payment_description`, `locale`, `customer` and its fields,
//! `additional_data` and its keys), then unknown parameter names in
//! alphabetical order. The same problem is never listed twice.
//!
//! The rules of each request are in the file named after it:
//! `create_payment.rs`, `create_recurring_payment.rs`, `search_orders.rs`,
//! `login_check.rs`.

mod create_payment;
mod create_recurring_payment;
mod fields;
mod login_check;
mod search_orders;

use std::collections::HashSet;

use crate::core::json::{Lookup, Object, Value};

use super::error::Problem;
use super::fixture::Fixture;
use super::types::Currency;

pub use create_payment::{PaymentBody, new_payment};
pub use create_recurring_payment::new_recurring;
pub use login_check::credentials;
pub use search_orders::search_filter;

/// 110, then 111: the body as a JSON object sent as `application/json`.
/// `forced` makes one of the two checks fail where it stands.
pub fn json_object<'a>(
    content_type: Option<&str>,
    body: &'a [u8],
    forced: Option<&Problem>,
) -> Result<Object<'a>, Problem> {
    json_body(content_type, body, forced, |body| {
        match Value::parse(body) {
            Some(Value::Object(map)) => Some(map),
            _ => None,
        }
    })
}

/// 110, then 111, as [`json_object`], the object read into a new payment's
/// members.
pub fn payment_body<'a>(
    content_type: Option<&str>,
    body: &'a [u8],
    forced: Option<&Problem>,
) -> Result<PaymentBody<'a>, Problem> {
    json_body(content_type, body, forced, crate::core::json::parse_members)
}

fn json_body<'a, T>(
    content_type: Option<&str>,
    body: &'a [u8],
    forced: Option<&Problem>,
    parse: impl FnOnce(&'a [u8]) -> Option<T>,
) -> Result<T, Problem> {
    let object = match parse(body) {
        Some(object) if forced != Some(&Problem::InvalidJson) => object,
        _ => return Err(Problem::InvalidJson),
    };
    if !is_json_media_type(content_type) || forced == Some(&Problem::ContentType) {
        return Err(Problem::ContentType);
    }
    Ok(object)
}

/// `application/json`, in any letter case, with any parameters.
pub fn is_json_media_type(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// 6000: a well-formed currency the merchant has not enabled stops the
/// checks (a malformed one is a 6010 of the second group).
fn currency_gate<'a>(
    body: &dyn Lookup<'a>,
    fixture: &Fixture,
    forced: Option<&Problem>,
) -> Result<(), Problem> {
    let disabled = body
        .member("currency")
        .and_then(Value::as_str)
        .and_then(Currency::parse)
        .is_some_and(|c| !fixture.currency_enabled(c.as_str()));
    if disabled || forced == Some(&Problem::CurrencyNotEnabled) {
        return Err(Problem::CurrencyNotEnabled);
    }
    Ok(())
}

/// Sorts by code (stable, so fields keep their documented order) and drops
/// repeats.
fn finish(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(Problem::code);
    let mut seen = HashSet::new();
    problems.retain(|p| seen.insert(p.clone()));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_then_content_type_are_checked_first_in_that_order() {
        let json_type = Some("application/json; charset=utf-8");

        assert_eq!(
            json_object(Some("text/plain"), b"{", None),
            Err(Problem::InvalidJson)
        );
        assert_eq!(
            json_object(json_type, b"[1]", None),
            Err(Problem::InvalidJson)
        );
        assert_eq!(
            json_object(json_type, b"\xff", None),
            Err(Problem::InvalidJson)
        );
        assert_eq!(
            json_object(Some("text/plain"), b"{}", None),
            Err(Problem::ContentType)
        );
        assert_eq!(json_object(None, b"{}", None), Err(Problem::ContentType));
        assert!(json_object(Some("Application/JSON"), b"{}", None).is_ok());
        assert_eq!(
            json_object(json_type, b"{}", Some(&Problem::ContentType)),
            Err(Problem::ContentType)
        );
    }
}

/// What the tests of every request start from.
#[cfg(test)]
mod examples {
    use serde_json::Value;

    use super::Fixture;
    use crate::core::json::{self, Object};

    /// `body`'s object, as the handlers get it from the request.
    pub(super) fn object(body: &Value) -> Object<'static> {
        match json::Value::from(body) {
            json::Value::Object(object) => object,
            other => panic!("not an object: {other:?}"),
        }
    }

    pub(super) fn fixture() -> Fixture {
        serde_json::from_str(include_str!("../../../../fixtures/softline.json")).unwrap()
    }

    pub(super) fn with(mut body: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).unwrap()
        };
        target
            .as_object_mut()
            .unwrap()
            .insert(key.to_owned(), value);
        body
    }

    pub(super) fn without(mut body: Value, pointer: &str) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).unwrap()
        };
        target.as_object_mut().unwrap().remove(key);
        body
    }
}
