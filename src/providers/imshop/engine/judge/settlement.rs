//! The payment's result: the answers that settle it (`capture`,
//! `applepay`, `androidpay`), the merchant's report on the sync URL, a
//! repeated `capture`, and a `capture` of a payment nobody issued.

use std::sync::Arc;

use super::{Step, answer_of, non_empty_error};
use crate::providers::imshop::checks::{Check, CheckName, CheckStatus, Exchange};
use crate::providers::imshop::options::Outcome;
use crate::providers::imshop::sync::{SyncEvent, SyncReport};

/// `payment_id_consistent` on a `capture` answer: it names the payment
/// `create` returned (`expected`).
pub fn capture_payment_id(at: Step<'_>, exchange: &Arc<Exchange>, expected: &str) -> Vec<Check> {
    let Some(answer) = answer_of(exchange) else {
        return Vec::new();
    };
    let present = answer.0.contains_key("paymentId");
    payment_id_consistent(at, answer.text("paymentId"), present, expected, exchange)
        .into_iter()
        .collect()
}

fn payment_id_consistent(
    at: Step<'_>,
    found: Option<&str>,
    present: bool,
    expected: &str,
    exchange: &Arc<Exchange>,
) -> Option<Check> {
    let (status, message) = match found {
        Some(found) if found == expected => (
            CheckStatus::Passed,
            format!("paymentId {found:?}, as create answered"),
        ),
        Some(found) => (
            CheckStatus::Failed,
            format!("paymentId {found:?}, but create answered {expected:?}"),
        ),
        // A refusal without paymentId says nothing about consistency.
        None if !present => return None,
        None => (CheckStatus::Failed, "paymentId is not a string".to_owned()),
    };
    Some(at.on(exchange, CheckName::PaymentIdConsistent, status, message))
}

/// A report on the sync URL: `required_fields`, and for a well-formed one
/// `payment_id_consistent` against the payment `create` returned.
pub fn sync_report(at: Step<'_>, event: &SyncEvent, expected: &str) -> Vec<Check> {
    let exchange = &event.exchange;
    let report = match &event.report {
        Err(error) => {
            return vec![at.on(
                exchange,
                CheckName::RequiredFields,
                CheckStatus::Failed,
                error.clone(),
            )];
        }
        Ok(report) => report,
    };
    let fields = if report.success {
        let message = format!(
            "paymentCaptured: {}, retry: {}",
            report.payment_captured, report.retry
        );
        at.on(
            exchange,
            CheckName::RequiredFields,
            CheckStatus::Passed,
            message,
        )
    } else {
        let message =
            "success is false; the docs say it is always true (paymentCaptured carries the result)";
        at.on(
            exchange,
            CheckName::RequiredFields,
            CheckStatus::Failed,
            message,
        )
    };
    let id = payment_id_consistent(at, Some(&report.payment_id), true, expected, exchange);
    std::iter::once(fields).chain(id).collect()
}

/// `payment_captured_agrees` on the answer that settled a payment
/// (`capture`, `applepay`, `androidpay`): it says what `outcome` implies.
pub fn settlement(at: Step<'_>, exchange: &Arc<Exchange>, outcome: Outcome) -> Vec<Check> {
    let Some(answer) = answer_of(exchange) else {
        return Vec::new();
    };
    let captured = answer.success() == Some(true) && answer.flag("paymentCaptured") == Some(true);
    // The message names the field that decided: with `success` missing or
    // not a boolean, `paymentCaptured: true` is not what is wrong.
    let said = match (answer.success(), answer.flag("paymentCaptured")) {
        (Some(false), _) => "the payment was refused (success: false)".to_owned(),
        (None, _) => format!("success is {}", answer.describe("success")),
        (Some(true), Some(c)) => format!("paymentCaptured: {c}"),
        (Some(true), None) => format!("paymentCaptured is {}", answer.describe("paymentCaptured")),
    };
    vec![captured_agrees(at, outcome, captured, &said, exchange)]
}

/// `payment_captured_agrees` on the sync report that settled a payment.
pub fn sync_settlement(
    at: Step<'_>,
    report: &SyncReport,
    exchange: &Arc<Exchange>,
    outcome: Outcome,
) -> Check {
    let said = format!(
        "the sync report says paymentCaptured {}",
        report.payment_captured
    );
    captured_agrees(at, outcome, report.payment_captured, &said, exchange)
}

fn captured_agrees(
    at: Step<'_>,
    outcome: Outcome,
    captured: bool,
    said: &str,
    exchange: &Arc<Exchange>,
) -> Check {
    let (status, message) = match (outcome, captured) {
        (Outcome::Success, true) => (
            CheckStatus::Passed,
            format!("{said}: the paid order is captured"),
        ),
        (Outcome::Failure, false) => (
            CheckStatus::Passed,
            format!("{said}: the declined payment is not captured"),
        ),
        (Outcome::Success, false) => (
            CheckStatus::Failed,
            format!(
                "{said}, but the buyer paid: expected success: true with paymentCaptured: true"
            ),
        ),
        (Outcome::Failure, true) => (
            CheckStatus::Failed,
            format!(
                "{said}, but the payment was declined: expected paymentCaptured: false or success: false"
            ),
        ),
    };
    at.on(exchange, CheckName::PaymentCapturedAgrees, status, message)
}

/// `capture_idempotent`: the repeated `capture` (`again`) answers what the
/// settling one (`first`) did.
pub fn capture_repeated(at: Step<'_>, first: &Exchange, again: &Arc<Exchange>) -> Vec<Check> {
    let (Some(first), Some(again_answer)) = (answer_of(first), answer_of(again)) else {
        return Vec::new();
    };
    let (before, after) = (first.settlement_key(), again_answer.settlement_key());
    let (status, message) = if before == after {
        (CheckStatus::Passed, format!("the same answer: {after}"))
    } else {
        (
            CheckStatus::Failed,
            format!("first capture answered {before}, the repeat {after}"),
        )
    };
    vec![at.on(again, CheckName::CaptureIdempotent, status, message)]
}

/// `unknown_payment_refused`: `capture` of `payment_id`, which nobody
/// issued, answers `success: false` with an `error`.
pub fn unknown_capture(at: Step<'_>, exchange: &Arc<Exchange>, payment_id: &str) -> Vec<Check> {
    let Some(answer) = answer_of(exchange) else {
        return Vec::new();
    };
    let (status, message) = match (answer.success(), non_empty_error(&answer)) {
        (Some(false), Some(error)) => (CheckStatus::Passed, format!("refused: {error:?}")),
        // `error` is optional (as for every refusal): refused is what
        // this check is about.
        (Some(false), None) => (
            CheckStatus::Warning,
            format!(
                "refused, but error is {}: the app will have nothing to show the buyer",
                answer.describe("error")
            ),
        ),
        _ => (
            CheckStatus::Failed,
            format!(
                "capture of paymentId {payment_id:?}, which nobody issued, was not refused (success is {}): expected success: false with an error",
                answer.describe("success")
            ),
        ),
    };
    vec![at.on(exchange, CheckName::UnknownPaymentRefused, status, message)]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{answered, at, json, unanswered, verdict, verdicts};
    use super::*;

    fn report(payment_id: &str, success: bool, payment_captured: bool) -> SyncReport {
        SyncReport {
            order_id: "10000001".to_owned(),
            payment_id: payment_id.to_owned(),
            success,
            payment_captured,
            retry: false,
        }
    }

    fn sync_event(report: Result<SyncReport, String>) -> SyncEvent {
        let exchange = answered(200, "application/json", r#"{"success":true}"#);
        SyncEvent { report, exchange }
    }

    #[test]
    fn a_capture_naming_the_created_payment_passes_payment_id_consistent() {
        let exchange = json(json!({"success": true, "paymentId": "p-1", "paymentCaptured": true}));

        let checks = capture_payment_id(at("capture"), &exchange, "p-1");

        assert_eq!(
            verdicts(&checks),
            [(
                CheckName::PaymentIdConsistent,
                CheckStatus::Passed,
                "paymentId \"p-1\", as create answered"
            )]
        );
    }

    #[test]
    fn a_capture_naming_another_payment_fails_payment_id_consistent() {
        let exchange =
            json(json!({"success": true, "paymentId": "10000001", "paymentCaptured": true}));

        let checks = capture_payment_id(at("capture"), &exchange, "p-1");

        assert_eq!(
            verdict(&checks, CheckName::PaymentIdConsistent),
            (
                CheckStatus::Failed,
                "paymentId \"10000001\", but create answered \"p-1\""
            )
        );
    }

    #[test]
    fn a_payment_id_that_is_not_a_string_fails_payment_id_consistent() {
        let exchange = json(json!({"success": true, "paymentId": 1, "paymentCaptured": true}));

        let checks = capture_payment_id(at("capture"), &exchange, "p-1");

        assert_eq!(
            verdict(&checks, CheckName::PaymentIdConsistent),
            (CheckStatus::Failed, "paymentId is not a string")
        );
    }

    #[test]
    fn a_refusal_without_a_payment_id_says_nothing_about_consistency() {
        let exchange = json(json!({"success": false, "error": "declined"}));

        let checks = capture_payment_id(at("capture"), &exchange, "p-1");

        assert!(checks.is_empty(), "{:?}", verdicts(&checks));
    }

    #[test]
    fn a_well_formed_sync_report_passes_required_fields_and_payment_id() {
        let event = sync_event(Ok(report("p-1", true, true)));

        let checks = sync_report(at("sync"), &event, "p-1");

        assert_eq!(
            verdicts(&checks),
            [
                (
                    CheckName::RequiredFields,
                    CheckStatus::Passed,
                    "paymentCaptured: true, retry: false"
                ),
                (
                    CheckName::PaymentIdConsistent,
                    CheckStatus::Passed,
                    "paymentId \"p-1\", as create answered"
                ),
            ]
        );
    }

    #[test]
    fn a_malformed_sync_report_fails_required_fields_with_its_reason() {
        let event = sync_event(Err("paymentCaptured is missing".to_owned()));

        let checks = sync_report(at("sync"), &event, "p-1");

        assert_eq!(
            verdicts(&checks),
            [(
                CheckName::RequiredFields,
                CheckStatus::Failed,
                "paymentCaptured is missing"
            )]
        );
    }

    #[test]
    fn a_sync_report_with_success_false_fails_required_fields() {
        let event = sync_event(Ok(report("p-1", false, false)));

        let checks = sync_report(at("sync"), &event, "p-1");

        assert_eq!(
            verdict(&checks, CheckName::RequiredFields),
            (
                CheckStatus::Failed,
                "success is false; the docs say it is always true (paymentCaptured carries the result)"
            )
        );
    }

    #[test]
    fn a_captured_payment_agrees_with_a_paid_order() {
        let exchange = json(json!({"success": true, "paymentId": "p", "paymentCaptured": true}));

        let checks = settlement(at("capture"), &exchange, Outcome::Success);

        assert_eq!(
            verdicts(&checks),
            [(
                CheckName::PaymentCapturedAgrees,
                CheckStatus::Passed,
                "paymentCaptured: true: the paid order is captured"
            )]
        );
    }

    #[test]
    fn a_payment_not_captured_fails_a_paid_order() {
        let exchange = json(json!({"success": true, "paymentId": "p", "paymentCaptured": false}));

        let checks = settlement(at("capture"), &exchange, Outcome::Success);

        assert_eq!(
            verdict(&checks, CheckName::PaymentCapturedAgrees),
            (
                CheckStatus::Failed,
                "paymentCaptured: false, but the buyer paid: expected success: true with paymentCaptured: true"
            )
        );
    }

    #[test]
    fn a_refused_payment_agrees_with_a_decline() {
        let exchange = json(json!({"success": false, "error": "declined"}));

        let checks = settlement(at("googlepay"), &exchange, Outcome::Failure);

        assert_eq!(
            verdict(&checks, CheckName::PaymentCapturedAgrees),
            (
                CheckStatus::Passed,
                "the payment was refused (success: false): the declined payment is not captured"
            )
        );
    }

    #[test]
    fn a_captured_payment_fails_a_decline() {
        let exchange = json(json!({"success": true, "paymentId": "p", "paymentCaptured": true}));

        let checks = settlement(at("capture"), &exchange, Outcome::Failure);

        assert_eq!(
            verdict(&checks, CheckName::PaymentCapturedAgrees),
            (
                CheckStatus::Failed,
                "paymentCaptured: true, but the payment was declined: expected paymentCaptured: false or success: false"
            )
        );
    }

    #[test]
    fn a_payment_captured_given_as_text_is_not_a_capture() {
        let exchange = json(json!({"success": true, "paymentId": "p", "paymentCaptured": "yes"}));

        let checks = settlement(at("capture"), &exchange, Outcome::Success);

        assert_eq!(
            verdict(&checks, CheckName::PaymentCapturedAgrees),
            (
                CheckStatus::Failed,
                "paymentCaptured is a string (\"yes\"), but the buyer paid: expected success: true with paymentCaptured: true"
            )
        );
    }

    #[test]
    fn a_success_that_is_no_boolean_is_blamed_rather_than_a_true_payment_captured() {
        let exchange = json(json!({"success": "true", "paymentId": "p", "paymentCaptured": true}));

        let checks = settlement(at("capture"), &exchange, Outcome::Success);

        assert_eq!(
            verdict(&checks, CheckName::PaymentCapturedAgrees),
            (
                CheckStatus::Failed,
                "success is a string (\"true\"), but the buyer paid: expected success: true with paymentCaptured: true"
            )
        );
    }

    #[test]
    fn a_sync_report_of_a_capture_agrees_with_a_paid_order() {
        let event = sync_event(Ok(report("p-1", true, true)));

        let check = sync_settlement(
            at("sync"),
            &report("p-1", true, true),
            &event.exchange,
            Outcome::Success,
        );

        assert_eq!(
            (check.name, check.status, check.message.as_str()),
            (
                CheckName::PaymentCapturedAgrees,
                CheckStatus::Passed,
                "the sync report says paymentCaptured true: the paid order is captured"
            )
        );
    }

    #[test]
    fn the_same_answer_to_a_repeated_capture_passes_capture_idempotent() {
        let body = json!({"success": true, "paymentId": "p", "paymentCaptured": true});
        let (first, again) = (json(body.clone()), json(body));

        let checks = capture_repeated(at("capture_repeat"), &first, &again);

        assert_eq!(
            verdicts(&checks),
            [(
                CheckName::CaptureIdempotent,
                CheckStatus::Passed,
                "the same answer: success=true paymentId=\"p\" paymentCaptured=true pending=false error=absent"
            )]
        );
    }

    #[test]
    fn a_different_answer_to_a_repeated_capture_fails_capture_idempotent() {
        let first = json(json!({"success": true, "paymentId": "p", "paymentCaptured": true}));
        let again = json(json!({"success": false, "error": "already captured"}));

        let checks = capture_repeated(at("capture_repeat"), &first, &again);

        assert_eq!(
            verdict(&checks, CheckName::CaptureIdempotent),
            (
                CheckStatus::Failed,
                "first capture answered success=true paymentId=\"p\" paymentCaptured=true pending=false error=absent, \
                 the repeat success=false paymentId=missing paymentCaptured=missing pending=false error=present"
            )
        );
    }

    #[test]
    fn a_repeated_capture_without_an_answer_earns_no_idempotency_check() {
        let first = json(json!({"success": true, "paymentId": "p", "paymentCaptured": true}));

        let checks = capture_repeated(
            at("capture_repeat"),
            &first,
            &unanswered(crate::core::http_client::OutboundError::Refused),
        );

        assert!(checks.is_empty(), "{:?}", verdicts(&checks));
    }

    #[test]
    fn a_refused_unknown_payment_passes_unknown_payment_refused() {
        let exchange = json(json!({"success": false, "error": "unknown payment"}));

        let checks = unknown_capture(at("unknown_capture"), &exchange, "paysandbox-unknown-1");

        assert_eq!(
            verdicts(&checks),
            [(
                CheckName::UnknownPaymentRefused,
                CheckStatus::Passed,
                "refused: \"unknown payment\""
            )]
        );
    }

    #[test]
    fn a_refusal_of_an_unknown_payment_without_an_error_only_warns() {
        let exchange = json(json!({"success": false, "error": ""}));

        let checks = unknown_capture(at("unknown_capture"), &exchange, "paysandbox-unknown-1");

        assert_eq!(
            verdict(&checks, CheckName::UnknownPaymentRefused),
            (
                CheckStatus::Warning,
                "refused, but error is a string (\"\"): the app will have nothing to show the buyer"
            )
        );
    }

    #[test]
    fn a_capture_of_an_unknown_payment_that_succeeds_fails() {
        let exchange = json(json!({"success": true, "paymentId": "x", "paymentCaptured": true}));

        let checks = unknown_capture(at("unknown_capture"), &exchange, "paysandbox-unknown-1");

        assert_eq!(
            verdict(&checks, CheckName::UnknownPaymentRefused),
            (
                CheckStatus::Failed,
                "capture of paymentId \"paysandbox-unknown-1\", which nobody issued, was not refused \
                 (success is a boolean (true)): expected success: false with an error"
            )
        );
    }
}
