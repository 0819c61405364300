//! `create`'s own answer: the payment exists, the web view has a page to
//! open and two regexes to watch the redirects with.

use std::sync::Arc;

use regex::Regex;

use super::{Step, answer_of};
use crate::providers::imshop::checks::{Check, CheckName, CheckStatus, Exchange};
use crate::providers::imshop::webview::Regexes;
use crate::providers::imshop::wire::Answer;

/// What `create` itself must say: `payment_created`, then, for an accepted
/// order, `payment_url_absolute` and `regexes_valid`. Nothing when the
/// answer could not be read or `success` is not a boolean ([`super::answer()`]
/// already failed it).
pub fn created(at: Step<'_>, exchange: &Arc<Exchange>) -> Vec<Check> {
    let Some(answer) = answer_of(exchange) else {
        return Vec::new();
    };
    match answer.success() {
        Some(true) => {}
        Some(false) => {
            // Even a payment that will be declined is created first: the
            // decline happens on the payment page.
            let error = answer.text("error").map_or_else(
                || "without an error text".to_owned(),
                |e| format!("error: {e:?}"),
            );
            let message = format!(
                "create refused the order ({error}): the buyer never reaches a payment page"
            );
            return vec![at.on(
                exchange,
                CheckName::PaymentCreated,
                CheckStatus::Failed,
                message,
            )];
        }
        None => return Vec::new(),
    }
    let (url_status, url_message, payment_url) = payment_url_verdict(&answer);
    let (_, regexes_status, regexes_message) = regexes_verdict(&answer, payment_url.as_ref());
    vec![
        at.on(
            exchange,
            CheckName::PaymentCreated,
            CheckStatus::Passed,
            "success: true",
        ),
        at.on(
            exchange,
            CheckName::PaymentUrlAbsolute,
            url_status,
            url_message,
        ),
        at.on(
            exchange,
            CheckName::RegexesValid,
            regexes_status,
            regexes_message,
        ),
    ]
}

/// The `payment_url_absolute` verdict on a `create` answer, and the URL
/// the web view can open when there is one. Pure, so the fuzz target runs
/// exactly what a run does.
pub fn payment_url_verdict(answer: &Answer) -> (CheckStatus, String, Option<reqwest::Url>) {
    let Some(raw) = answer.text("paymentUrl") else {
        return (
            CheckStatus::Failed,
            format!(
                "paymentUrl is {}: the app has no page to open",
                answer.describe("paymentUrl")
            ),
            None,
        );
    };
    let parsed = reqwest::Url::parse(raw).ok().filter(|u| u.host().is_some());
    let (status, message, usable) = match parsed.as_ref().map(reqwest::Url::scheme) {
        Some("https") => (
            CheckStatus::Passed,
            format!("{raw} is absolute https"),
            true,
        ),
        Some("http") => (
            CheckStatus::Warning,
            format!("{raw} is plain http: IMSHOP requires https in production"),
            true,
        ),
        Some(scheme) => (
            CheckStatus::Failed,
            format!("{raw:?} has scheme {scheme:?}; expected an absolute http(s) URL"),
            false,
        ),
        None => (
            CheckStatus::Failed,
            format!("{raw:?} is not an absolute URL"),
            false,
        ),
    };
    (status, message, if usable { parsed } else { None })
}

/// The `regexes_valid` verdict on a `create` answer, with the regexes that
/// compiled (a regex that does not compile never matches in the web view).
/// Pure, like [`payment_url_verdict`].
pub fn regexes_verdict(
    answer: &Answer,
    payment_url: Option<&reqwest::Url>,
) -> (Regexes, CheckStatus, String) {
    let mut problems = Vec::new();
    let mut compile = |field: &str| -> Option<Regex> {
        let text = answer.text(field)?;
        if text.is_empty() {
            problems.push(format!("{field} is empty: it would match every URL"));
            return None;
        }
        match Regex::new(text) {
            Ok(regex) => Some(regex),
            Err(err) => {
                let first = err
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                problems.push(format!(
                    "{field} {text:?} does not compile ({first}; lookaround and backreferences are not supported)"
                ));
                None
            }
        }
    };
    let regexes = Regexes {
        success: compile("successRegex"),
        failure: compile("failureRegex"),
    };
    if let (Some(s), Some(f)) = (answer.text("successRegex"), answer.text("failureRegex"))
        && s == f
    {
        problems.push(format!("successRegex and failureRegex are the same ({s:?}): the app cannot tell success from failure"));
    }
    let mut warning = None;
    if problems.is_empty()
        && let Some(which) = payment_url.and_then(|u| regexes.matching(u.as_str()))
    {
        warning = Some(format!(
            "paymentUrl itself matches {}: an app that checks the first page closes the screen at once",
            which.field()
        ));
    }
    let (status, message) = match (problems.is_empty(), warning) {
        (false, _) => (CheckStatus::Failed, problems.join("; ")),
        (true, Some(warning)) => (CheckStatus::Warning, warning),
        (true, None) => (CheckStatus::Passed, "both compile and differ".to_owned()),
    };
    (regexes, status, message)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{at, json, verdict, verdicts};
    use super::*;

    /// The documented `create` answer, with `changes` merged in.
    fn create_answer(changes: Value) -> Arc<Exchange> {
        let mut body = json!({
            "success": true, "paymentId": "7d05", "paymentUrl": "https://kassa.example/pay/7d05",
            "successRegex": "payment/(.+)/success", "failureRegex": "payment/(.+)/failed"
        });
        for (name, value) in changes.as_object().unwrap() {
            match value {
                Value::Null => body.as_object_mut().unwrap().remove(name),
                value => body
                    .as_object_mut()
                    .unwrap()
                    .insert(name.clone(), value.clone()),
            };
        }
        json(body)
    }

    #[test]
    fn an_accepted_create_passes_payment_created_payment_url_and_regexes() {
        let exchange = create_answer(json!({}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdicts(&checks),
            [
                (
                    CheckName::PaymentCreated,
                    CheckStatus::Passed,
                    "success: true"
                ),
                (
                    CheckName::PaymentUrlAbsolute,
                    CheckStatus::Passed,
                    "https://kassa.example/pay/7d05 is absolute https"
                ),
                (
                    CheckName::RegexesValid,
                    CheckStatus::Passed,
                    "both compile and differ"
                ),
            ]
        );
    }

    #[test]
    fn a_refused_create_fails_payment_created_with_its_error_and_nothing_else() {
        let exchange = json(json!({"success": false, "error": "gateway down"}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdicts(&checks),
            [(
                CheckName::PaymentCreated,
                CheckStatus::Failed,
                "create refused the order (error: \"gateway down\"): the buyer never reaches a payment page"
            )]
        );
    }

    #[test]
    fn a_refused_create_without_an_error_says_so() {
        let exchange = json(json!({"success": false}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::PaymentCreated).1,
            "create refused the order (without an error text): the buyer never reaches a payment page"
        );
    }

    #[test]
    fn a_create_whose_success_is_not_a_boolean_earns_no_create_check() {
        let exchange = create_answer(json!({"success": "yes"}));

        let checks = created(at("create"), &exchange);

        assert!(checks.is_empty(), "{:?}", verdicts(&checks));
    }

    #[test]
    fn a_plain_http_payment_url_warns() {
        let exchange = create_answer(json!({"paymentUrl": "http://kassa.example/pay/1"}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::PaymentUrlAbsolute),
            (
                CheckStatus::Warning,
                "http://kassa.example/pay/1 is plain http: IMSHOP requires https in production"
            )
        );
    }

    #[test]
    fn a_relative_payment_url_fails() {
        let exchange = create_answer(json!({"paymentUrl": "/pay/1"}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::PaymentUrlAbsolute),
            (CheckStatus::Failed, "\"/pay/1\" is not an absolute URL")
        );
    }

    #[test]
    fn a_deep_link_payment_url_fails() {
        let exchange = create_answer(json!({"paymentUrl": "imshop://pay/1"}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::PaymentUrlAbsolute),
            (
                CheckStatus::Failed,
                "\"imshop://pay/1\" has scheme \"imshop\"; expected an absolute http(s) URL"
            )
        );
    }

    #[test]
    fn a_missing_payment_url_fails() {
        let exchange = create_answer(json!({"paymentUrl": null}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::PaymentUrlAbsolute),
            (
                CheckStatus::Failed,
                "paymentUrl is missing: the app has no page to open"
            )
        );
    }

    #[test]
    fn only_an_http_or_https_payment_url_is_given_to_the_web_view() {
        let usable = |url: &str| {
            let answer = Answer(json!({ "paymentUrl": url }).as_object().unwrap().clone());
            payment_url_verdict(&answer).2.map(String::from)
        };

        assert_eq!(
            usable("http://kassa.example/p").as_deref(),
            Some("http://kassa.example/p")
        );
        assert_eq!(usable("imshop://pay/1"), None);
        assert_eq!(usable("/pay/1"), None);
    }

    #[test]
    fn a_regex_that_does_not_compile_fails_regexes_valid() {
        let exchange = create_answer(json!({"failureRegex": "(("}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::RegexesValid),
            (
                CheckStatus::Failed,
                "failureRegex \"((\" does not compile (error: unclosed group; lookaround and backreferences are not supported)"
            )
        );
    }

    #[test]
    fn an_empty_regex_fails_regexes_valid() {
        let exchange = create_answer(json!({"successRegex": ""}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::RegexesValid),
            (
                CheckStatus::Failed,
                "successRegex is empty: it would match every URL"
            )
        );
    }

    #[test]
    fn the_same_regex_twice_fails_regexes_valid() {
        let exchange = create_answer(json!({"successRegex": "done", "failureRegex": "done"}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::RegexesValid),
            (
                CheckStatus::Failed,
                "successRegex and failureRegex are the same (\"done\"): the app cannot tell success from failure"
            )
        );
    }

    #[test]
    fn a_payment_url_that_already_matches_a_regex_warns() {
        let exchange = create_answer(json!({"successRegex": "kassa"}));

        let checks = created(at("create"), &exchange);

        assert_eq!(
            verdict(&checks, CheckName::RegexesValid),
            (
                CheckStatus::Warning,
                "paymentUrl itself matches successRegex: an app that checks the first page closes the screen at once"
            )
        );
    }

    #[test]
    fn the_regexes_that_compile_are_kept_for_the_web_view() {
        let answer = Answer(
            json!({"successRegex": "paid$", "failureRegex": "(("})
                .as_object()
                .unwrap()
                .clone(),
        );

        let (regexes, status, _) = regexes_verdict(&answer, None);

        assert_eq!(status, CheckStatus::Failed);
        assert!(
            regexes
                .success
                .is_some_and(|r| r.is_match("/orders/1/paid"))
        );
        assert!(regexes.failure.is_none());
    }
}
