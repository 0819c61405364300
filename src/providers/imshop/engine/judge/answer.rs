//! What every answer must be, whatever the command.

use std::sync::Arc;
use std::time::Duration;

use super::{Step, non_empty_error, response_body};
use crate::core::http_client::OutboundError;
use crate::providers::imshop::checks::{Check, CheckName, CheckStatus, Exchange};
use crate::providers::imshop::wire::{Answer, Command};

/// The checks every answer gets: `answered_in_time`, `http_200`,
/// `json_body`, `success_boolean`; with the `command` it answers, also
/// `required_fields`, and `error_text` when `success` is false. Judging
/// stops at the first defect the rest cannot be read past (no answer, not
/// JSON).
pub fn answer(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    command: Option<Command>,
    timeout: Duration,
) -> Vec<Check> {
    use CheckName::*;
    use CheckStatus::*;
    let (mut checks, answer) = transport(at, exchange, timeout);
    let Some(answer) = answer else {
        return checks;
    };
    checks.push(match answer.success() {
        Some(success) => at.on(
            exchange,
            SuccessBoolean,
            Passed,
            format!("success: {success}"),
        ),
        None => {
            let message = format!(
                "success is {}, expected a boolean",
                answer.describe("success")
            );
            at.on(exchange, SuccessBoolean, Failed, message)
        }
    });
    let Some(command) = command else {
        return checks;
    };
    let problems = answer.field_problems(command);
    checks.push(if problems.is_empty() {
        let message = "every field the answer needs, with its type";
        at.on(exchange, RequiredFields, Passed, message)
    } else {
        at.on(exchange, RequiredFields, Failed, problems.join("; "))
    });
    if answer.success() == Some(false) {
        checks.push(error_text(at, &answer, exchange));
    }
    checks
}

/// What any answer to any webhook must be: `answered_in_time`, `http_200`,
/// `json_body`; and the body, when it is a JSON object. The checkout
/// webhooks' answers have no `success` and stop here.
pub fn transport(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    timeout: Duration,
) -> (Vec<Check>, Option<Answer>) {
    use CheckName::*;
    use CheckStatus::*;
    let timeout_ms = timeout.as_millis();
    let Some(status) = exchange.status else {
        let check = at.on(
            exchange,
            AnsweredInTime,
            Failed,
            no_answer(exchange, timeout),
        );
        return (vec![check], None);
    };
    let in_time = format!(
        "answered in {:.0} ms (timeout {timeout_ms} ms)",
        exchange.elapsed_ms
    );
    let mut checks = vec![at.on(exchange, AnsweredInTime, Passed, in_time)];
    checks.push(if status == 200 {
        at.on(exchange, Http200, Passed, "HTTP 200")
    } else {
        let message =
            format!("HTTP {status}; IMSHOP expects 200 (with success: false for a refusal)");
        at.on(exchange, Http200, Failed, message)
    });

    let answer = match Answer::parse(response_body(exchange)) {
        Ok(answer) => answer,
        Err(reason) => {
            checks.push(at.on(exchange, JsonBody, Failed, reason));
            return (checks, None);
        }
    };
    let content_type = exchange
        .response
        .as_ref()
        .and_then(|r| r.content_type())
        .unwrap_or_default();
    checks.push(if content_type.to_ascii_lowercase().contains("json") {
        at.on(exchange, JsonBody, Passed, "a JSON object")
    } else {
        let message =
            format!("a JSON object, but Content-Type is {content_type:?}, not application/json");
        at.on(exchange, JsonBody, Warning, message)
    });

    (checks, Some(answer))
}

/// Why `exchange` got no answer, in the words that point at the fix: a
/// refused connection is a service that is not there, not a slow one.
fn no_answer(exchange: &Exchange, timeout: Duration) -> String {
    match &exchange.error {
        Some(OutboundError::Refused) => format!(
            "connection refused: nothing listens at {} (is the service running, is the URL right?)",
            exchange.url
        ),
        Some(OutboundError::Timeout(_)) | None => {
            format!("no answer within the {} ms timeout", timeout.as_millis())
        }
        Some(other) => format!("no answer: {other}"),
    }
}

/// `error_text`: a refusal tells the app what to show the buyer. Only a
/// warning without one: the documentation of the webhook calls `error`
/// optional, so a merchant may leave it out, but the buyer then sees no
/// reason. (An `error` of the wrong type fails `required_fields`.)
fn error_text(at: Step<'_>, answer: &Answer, exchange: &Arc<Exchange>) -> Check {
    match non_empty_error(answer) {
        Some(error) => at.on(
            exchange,
            CheckName::ErrorText,
            CheckStatus::Passed,
            format!("error: {error:?}"),
        ),
        None => at.on(
            exchange,
            CheckName::ErrorText,
            CheckStatus::Warning,
            format!(
                "success is false and error is {}: the app will have nothing to show the buyer",
                answer.describe("error")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{answered, at, json, unanswered, verdict, verdicts};
    use super::*;
    use crate::providers::imshop::checks::Evidence;

    const TIMEOUT: Duration = Duration::from_secs(10);

    fn created() -> serde_json::Value {
        json!({
            "success": true, "paymentId": "7d05", "paymentUrl": "https://kassa.example/p",
            "successRegex": "payment/(.+)/success", "failureRegex": "payment/(.+)/failed"
        })
    }

    #[test]
    fn a_conforming_create_answer_passes_every_check_an_answer_gets() {
        // Arrange
        let exchange = json(created());

        // Act
        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        // Assert
        use CheckName::*;
        use CheckStatus::Passed;
        assert_eq!(
            verdicts(&checks),
            [
                (
                    AnsweredInTime,
                    Passed,
                    "answered in 42 ms (timeout 10000 ms)"
                ),
                (Http200, Passed, "HTTP 200"),
                (JsonBody, Passed, "a JSON object"),
                (SuccessBoolean, Passed, "success: true"),
                (
                    RequiredFields,
                    Passed,
                    "every field the answer needs, with its type"
                ),
            ]
        );
    }

    #[test]
    fn each_check_is_filed_under_its_step_with_the_exchange_as_evidence() {
        let exchange = json(created());
        let at = Step {
            flow: "applepay",
            name: "applepay",
            attempt: 2,
        };

        let checks = answer(at, &exchange, Some(Command::Wallet), TIMEOUT);

        for check in &checks {
            assert_eq!(
                check.label(),
                format!("applepay/applepay {} (attempt 2)", check.name)
            );
            let Evidence {
                exchange: Some(evidence),
                hops: None,
            } = &check.evidence
            else {
                panic!("{} carries no exchange", check.name);
            };
            assert!(
                Arc::ptr_eq(evidence, &exchange),
                "{} carries another exchange",
                check.name
            );
        }
    }

    #[test]
    fn no_answer_within_the_timeout_fails_answered_in_time_and_ends_the_judging() {
        let exchange = unanswered(OutboundError::Timeout(10_000));

        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        assert_eq!(
            verdicts(&checks),
            [(
                CheckName::AnsweredInTime,
                CheckStatus::Failed,
                "no answer within the 10000 ms timeout"
            )]
        );
    }

    #[test]
    fn a_refused_connection_fails_answered_in_time_saying_so_rather_than_blaming_the_timeout() {
        let exchange = unanswered(OutboundError::Refused);

        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        assert_eq!(
            verdicts(&checks),
            [(
                CheckName::AnsweredInTime,
                CheckStatus::Failed,
                "connection refused: nothing listens at https://shop.example/imshop/payments \
                 (is the service running, is the URL right?)"
            )]
        );
    }

    #[test]
    fn another_connection_failure_fails_answered_in_time_with_its_cause() {
        let exchange = unanswered(OutboundError::Connect("dns error: no such host".to_owned()));

        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::AnsweredInTime),
            (
                CheckStatus::Failed,
                "no answer: connection failed: dns error: no such host"
            )
        );
    }

    #[test]
    fn a_status_other_than_200_fails_http_200_and_the_body_is_still_read() {
        let body = json!({"success": false, "error": "unknown order"}).to_string();
        let exchange = answered(404, "application/json", &body);

        let checks = answer(at("capture"), &exchange, Some(Command::Capture), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::Http200),
            (
                CheckStatus::Failed,
                "HTTP 404; IMSHOP expects 200 (with success: false for a refusal)"
            )
        );
        assert_eq!(
            verdict(&checks, CheckName::ErrorText).0,
            CheckStatus::Passed
        );
    }

    #[test]
    fn a_body_that_is_not_json_fails_json_body_and_ends_the_judging() {
        let exchange = answered(200, "text/html", "<html>oops</html>");

        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        assert_eq!(checks.len(), 3, "{:?}", verdicts(&checks));
        assert_eq!(
            verdict(&checks, CheckName::JsonBody),
            (
                CheckStatus::Failed,
                "the body is not JSON (expected value at line 1 column 1); it starts \"<html>oops</html>\""
            )
        );
    }

    #[test]
    fn a_json_array_fails_json_body() {
        let exchange = answered(200, "application/json", "[1]");

        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::JsonBody),
            (
                CheckStatus::Failed,
                "the body is JSON but an array, not an object"
            )
        );
    }

    #[test]
    fn a_json_object_sent_as_text_warns_json_body() {
        let exchange = answered(200, "text/plain", &created().to_string());

        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::JsonBody),
            (
                CheckStatus::Warning,
                "a JSON object, but Content-Type is \"text/plain\", not application/json"
            )
        );
    }

    #[test]
    fn an_answer_without_success_fails_the_success_check() {
        let exchange = json(json!({"paymentId": "p", "paymentCaptured": true}));

        let checks = answer(at("capture"), &exchange, Some(Command::Capture), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::SuccessBoolean),
            (
                CheckStatus::Failed,
                "success is missing, expected a boolean"
            )
        );
    }

    #[test]
    fn a_success_given_as_text_fails_the_success_check() {
        let exchange = json(json!({"success": "true", "paymentId": "p", "paymentCaptured": true}));

        let checks = answer(at("capture"), &exchange, Some(Command::Capture), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::SuccessBoolean),
            (
                CheckStatus::Failed,
                "success is a string (\"true\"), expected a boolean"
            )
        );
    }

    #[test]
    fn a_missing_and_an_ill_typed_field_fail_required_fields_by_name() {
        let exchange = json(json!({
            "success": true, "paymentId": 7, "paymentUrl": "https://kassa.example/p",
            "successRegex": "s"
        }));

        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::RequiredFields),
            (
                CheckStatus::Failed,
                "paymentId is a number, expected a string; failureRegex is missing"
            )
        );
    }

    #[test]
    fn a_settled_capture_without_payment_captured_fails_required_fields() {
        let exchange = json(json!({"success": true, "paymentId": "p"}));

        let checks = answer(at("capture"), &exchange, Some(Command::Capture), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::RequiredFields),
            (CheckStatus::Failed, "paymentCaptured is missing")
        );
    }

    #[test]
    fn a_refusal_with_an_error_text_passes_error_text() {
        let exchange = json(json!({"success": false, "error": "card declined"}));

        let checks = answer(at("capture"), &exchange, Some(Command::Capture), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::ErrorText),
            (CheckStatus::Passed, "error: \"card declined\"")
        );
    }

    #[test]
    fn a_refusal_without_an_error_text_only_warns_error_text_since_error_is_optional() {
        let exchange = json(json!({"success": false}));

        let checks = answer(at("capture"), &exchange, Some(Command::Capture), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::ErrorText),
            (
                CheckStatus::Warning,
                "success is false and error is missing: the app will have nothing to show the buyer"
            )
        );
        assert!(
            checks.iter().all(|c| c.status != CheckStatus::Failed),
            "{:?}",
            verdicts(&checks)
        );
    }

    #[test]
    fn a_refusal_with_a_blank_error_warns_error_text() {
        let exchange = json(json!({"success": false, "error": "  "}));

        let checks = answer(at("capture"), &exchange, Some(Command::Capture), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::ErrorText),
            (
                CheckStatus::Warning,
                "success is false and error is a string (\"  \"): the app will have nothing to show the buyer"
            )
        );
    }

    #[test]
    fn a_refusal_with_an_error_that_is_no_text_fails_required_fields_and_warns_error_text() {
        let exchange = json(json!({"success": false, "error": 7}));

        let checks = answer(at("capture"), &exchange, Some(Command::Capture), TIMEOUT);

        assert_eq!(
            verdict(&checks, CheckName::RequiredFields),
            (CheckStatus::Failed, "error is a number, expected a string")
        );
        assert_eq!(
            verdict(&checks, CheckName::ErrorText).0,
            CheckStatus::Warning
        );
    }

    #[test]
    fn an_accepted_answer_earns_no_error_text_check() {
        let exchange = json(created());

        let checks = answer(at("create"), &exchange, Some(Command::Create), TIMEOUT);

        assert!(checks.iter().all(|c| c.name != CheckName::ErrorText));
    }

    #[test]
    fn without_a_command_neither_fields_nor_error_text_are_judged() {
        let exchange = json(json!({"success": false}));

        let checks = answer(at("unknown_capture"), &exchange, None, TIMEOUT);

        assert_eq!(
            checks.iter().map(|c| c.name).collect::<Vec<_>>(),
            [
                CheckName::AnsweredInTime,
                CheckName::Http200,
                CheckName::JsonBody,
                CheckName::SuccessBoolean
            ]
        );
    }
}
