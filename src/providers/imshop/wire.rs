//! The payments webhook's wire format as IMSHOP.IO speaks it: the four
//! commands' bodies, and the merchant's answers read field by field so a
//! wrong type is reported rather than rejected wholesale.
//!
//! Source: docs.imshop.io, "Эквайринг через webhook" (the card, Apple Pay
//! and Google Pay pages); the fields each answer must carry are listed in
//! `docs/imshop.md`, "The checks" (`required_fields`).

use serde::Serialize;
use serde_json::{Map, Value};

/// `{"command":"create", ...}`: start a card payment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest<'a> {
    pub command: &'static str,
    pub payment_method_id: &'a str,
    pub order_uuid: &'a str,
    pub order_id: &'a str,
    pub return_url: &'a str,
}

/// `{"command":"applepay"|"androidpay", ...}`: charge a wallet cryptogram.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletRequest<'a> {
    pub command: &'static str,
    pub payment_method_id: &'a str,
    pub order_uuid: &'a str,
    pub order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apple_pay_data: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub android_pay_data: Option<&'a str>,
}

/// `{"command":"capture", ...}`: check the payment and capture it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRequest<'a> {
    pub command: &'static str,
    pub payment_method_id: &'a str,
    pub payment_id: &'a str,
}

/// Which answer is being read; each has its own required fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Create,
    Wallet,
    Capture,
}

/// The JSON type a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Boolean,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Text => "a string",
            Self::Boolean => "a boolean",
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match self {
            Self::Text => value.is_string(),
            Self::Boolean => value.is_boolean(),
        }
    }
}

/// When a field must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needed {
    /// Whenever `success` is true.
    OnSuccess,
    /// When `success` is true and the answer is not `pending`.
    OnSettled,
    /// Never; but when present it must have its type.
    Optional,
}

struct Rule {
    name: &'static str,
    kind: Kind,
    needed: Needed,
}

const fn rule(name: &'static str, kind: Kind, needed: Needed) -> Rule {
    Rule { name, kind, needed }
}

/// `create` answers `paymentId`, `paymentUrl` and both regexes.
const CREATE: &[Rule] = &[
    rule("paymentId", Kind::Text, Needed::OnSuccess),
    rule("paymentUrl", Kind::Text, Needed::OnSuccess),
    rule("successRegex", Kind::Text, Needed::OnSuccess),
    rule("failureRegex", Kind::Text, Needed::OnSuccess),
    rule("error", Kind::Text, Needed::Optional),
];

/// `applepay`, `androidpay` and `capture` answer the same shape.
const SETTLEMENT: &[Rule] = &[
    rule("paymentId", Kind::Text, Needed::OnSuccess),
    rule("paymentCaptured", Kind::Boolean, Needed::OnSettled),
    rule("pending", Kind::Boolean, Needed::Optional),
    rule("error", Kind::Text, Needed::Optional),
];

/// A merchant's answer whose body is a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer(pub Map<String, Value>);

impl Answer {
    /// The body as a JSON object, or why it is not one.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(other) => Err(format!(
                "the body is JSON but {}, not an object",
                type_name(&other)
            )),
            Err(err) => {
                let start: String = String::from_utf8_lossy(body).chars().take(60).collect();
                Err(format!("the body is not JSON ({err}); it starts {start:?}"))
            }
        }
    }

    /// `success` when it is a boolean.
    pub fn success(&self) -> Option<bool> {
        self.0.get("success").and_then(Value::as_bool)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        self.0.get(name).and_then(Value::as_bool)
    }

    /// `pending: true`.
    pub fn pending(&self) -> bool {
        self.flag("pending") == Some(true)
    }

    /// What `success` is, for a message: `true`, `"yes"`, missing.
    pub fn describe(&self, name: &str) -> String {
        match self.0.get(name) {
            None => "missing".to_owned(),
            Some(value) => format!("{} ({value})", type_name(value)),
        }
    }

    /// The problems with the answer's fields for `command`: a missing
    /// required field, or any field of the wrong type. Empty when it conforms.
    pub fn field_problems(&self, command: Command) -> Vec<String> {
        let rules = match command {
            Command::Create => CREATE,
            Command::Wallet | Command::Capture => SETTLEMENT,
        };
        let success = self.success() == Some(true);
        let settled = success && !self.pending();
        let mut problems = Vec::new();
        for rule in rules {
            let needed = match rule.needed {
                Needed::OnSuccess => success,
                Needed::OnSettled => settled,
                Needed::Optional => false,
            };
            match self.0.get(rule.name) {
                None if needed => problems.push(format!("{} is missing", rule.name)),
                None => {}
                Some(value) if !rule.kind.accepts(value) => problems.push(format!(
                    "{} is {}, expected {}",
                    rule.name,
                    type_name(value),
                    rule.kind.name()
                )),
                Some(_) => {}
            }
        }
        problems
    }

    /// The parts of a settlement answer that must repeat on a repeated call.
    pub fn settlement_key(&self) -> String {
        format!(
            "success={} paymentId={} paymentCaptured={} pending={} error={}",
            self.describe_plain("success"),
            self.describe_plain("paymentId"),
            self.describe_plain("paymentCaptured"),
            self.pending(),
            if self.text("error").is_some_and(|e| !e.trim().is_empty()) {
                "present"
            } else {
                "absent"
            },
        )
    }

    fn describe_plain(&self, name: &str) -> String {
        self.0
            .get(name)
            .map_or_else(|| "missing".to_owned(), Value::to_string)
    }
}

/// "a number", "null", …: how a JSON value is named in messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(value: Value) -> Answer {
        Answer::parse(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn the_documented_create_answer_conforms() {
        let a = answer(json!({
            "success": true, "paymentId": "7d05", "paymentUrl": "https://kassa.example/p",
            "successRegex": "payment/(.+)/success", "failureRegex": "payment/(.+)/failed"
        }));
        assert!(a.field_problems(Command::Create).is_empty());
    }

    #[test]
    fn a_missing_field_and_a_wrong_type_are_both_named() {
        let a = answer(json!({
            "success": true, "paymentId": 7, "paymentUrl": "https://kassa.example/p",
            "successRegex": "s"
        }));
        assert_eq!(
            a.field_problems(Command::Create),
            [
                "paymentId is a number, expected a string",
                "failureRegex is missing"
            ]
        );
    }

    #[test]
    fn a_refusal_needs_no_payment_fields_but_typed_optional_ones() {
        let a = answer(json!({"success": false, "error": 5}));
        assert_eq!(
            a.field_problems(Command::Capture),
            ["error is a number, expected a string"]
        );
    }

    #[test]
    fn a_pending_capture_may_leave_payment_captured_out() {
        let a = answer(json!({"success": true, "paymentId": "p", "pending": true}));
        assert!(a.field_problems(Command::Capture).is_empty());
        let settled = answer(json!({"success": true, "paymentId": "p"}));
        assert_eq!(
            settled.field_problems(Command::Capture),
            ["paymentCaptured is missing"]
        );
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_described() {
        assert!(Answer::parse(b"<html>").unwrap_err().contains("not JSON"));
        assert_eq!(
            Answer::parse(b"[1]").unwrap_err(),
            "the body is JSON but an array, not an object"
        );
    }

    #[test]
    fn the_requests_have_the_documented_field_names() {
        let body = serde_json::to_value(WalletRequest {
            command: "androidpay",
            payment_method_id: "m",
            order_uuid: "u",
            order_id: "1",
            apple_pay_data: None,
            android_pay_data: Some("eA=="),
        })
        .unwrap();
        assert_eq!(
            body,
            json!({"command": "androidpay", "paymentMethodId": "m", "orderUuid": "u",
                   "orderId": "1", "androidPayData": "eA=="})
        );
    }
}
