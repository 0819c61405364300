//! The judges: what the merchant's answers must be, as pure functions from
//! an exchange (and what the run expects of it) to the named checks it
//! earns. No I/O, no clock, no run state: the flows call them and file what
//! they return, so every message a report can carry is tested beside its
//! judge, case by case.
//!
//! - `answer.rs`: what every answer must be (in time, 200, a JSON object,
//!   `success`, the command's fields, `error` with a refusal);
//! - `create.rs`: `create`'s own answer (the payment exists, its
//!   `paymentUrl`, its regexes);
//! - `checkout.rs`: the checkout webhooks' answers (payment methods,
//!   deliveries, the order export) and the checks across steps;
//! - `settlement.rs`: the payment's result (`capture`, the wallet
//!   commands, the sync report, the repeated and the unknown `capture`).

mod answer;
pub mod checkout;
mod create;
mod settlement;

use std::sync::Arc;

use crate::providers::imshop::checks::{Check, CheckName, CheckStatus, Evidence, Exchange, Scope};
use crate::providers::imshop::wire::Answer;

pub use answer::{answer, transport};
pub use create::{created, payment_url_verdict, regexes_verdict};
pub use settlement::{
    capture_payment_id, capture_repeated, settlement, sync_report, sync_settlement, unknown_capture,
};

/// Where a judged check is filed.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// The flow, or `run` for the run-wide probe.
    pub flow: Scope,
    /// The call or stage judged: `create`, `capture_2`, `sync`, ….
    pub name: &'a str,
    /// 1, or 2 after the merchant asked for a retry.
    pub attempt: u8,
}

impl Step<'_> {
    pub fn check(
        &self,
        name: CheckName,
        status: CheckStatus,
        message: impl Into<String>,
        evidence: Evidence,
    ) -> Check {
        Check {
            flow: self.flow,
            step: self.name.to_owned(),
            attempt: self.attempt,
            name,
            status,
            message: message.into(),
            evidence,
        }
    }

    /// A check whose evidence is `exchange`.
    fn on(
        &self,
        exchange: &Arc<Exchange>,
        name: CheckName,
        status: CheckStatus,
        message: impl Into<String>,
    ) -> Check {
        self.check(name, status, message, Evidence::exchange(exchange))
    }
}

/// The merchant's answer in `exchange`: `None` when no answer came or its
/// body is not a JSON object (which [`answer`] reports).
pub fn answer_of(exchange: &Exchange) -> Option<Answer> {
    exchange.status?;
    Answer::parse(response_body(exchange)).ok()
}

fn response_body(exchange: &Exchange) -> &[u8] {
    exchange
        .response
        .as_ref()
        .map(|r| r.raw_body())
        .unwrap_or_default()
}

fn non_empty_error(answer: &Answer) -> Option<&str> {
    answer
        .text("error")
        .map(str::trim)
        .filter(|e| !e.is_empty())
}

/// Exchanges and verdicts as the judges' tests need them.
#[cfg(test)]
mod testing {
    use std::sync::Arc;

    use serde_json::Value;

    use super::Step;
    use crate::core::http_client::OutboundError;
    use crate::core::journal::Message;
    use crate::providers::imshop::checks::{Check, CheckName, CheckStatus, Exchange};

    /// A `card/create` step on the first attempt.
    pub fn at(step: &str) -> Step<'_> {
        Step {
            flow: "card",
            name: step,
            attempt: 1,
        }
    }

    /// An answer with `status`, `content_type` and `body`, in 42 ms.
    pub fn answered(status: u16, content_type: &str, body: &str) -> Arc<Exchange> {
        let response = Message::capture(
            [("content-type", content_type)],
            None,
            body.as_bytes(),
            1 << 16,
        );
        Arc::new(Exchange {
            method: "POST".to_owned(),
            url: "https://shop.example/imshop/payments".to_owned(),
            request: Message::default(),
            status: Some(status),
            response: Some(response),
            error: None,
            elapsed_ms: 42.0,
        })
    }

    /// A conforming transport: 200, `application/json`, `body`.
    pub fn json(body: Value) -> Arc<Exchange> {
        answered(200, "application/json", &body.to_string())
    }

    /// No answer at all, for `error`.
    pub fn unanswered(error: OutboundError) -> Arc<Exchange> {
        Arc::new(Exchange {
            method: "POST".to_owned(),
            url: "https://shop.example/imshop/payments".to_owned(),
            request: Message::default(),
            status: None,
            response: None,
            error: Some(error),
            elapsed_ms: 10_000.0,
        })
    }

    /// Each check's name, status and message, in order.
    pub fn verdicts(checks: &[Check]) -> Vec<(CheckName, CheckStatus, &str)> {
        checks
            .iter()
            .map(|c| (c.name, c.status, c.message.as_str()))
            .collect()
    }

    /// The one check named `name`.
    pub fn verdict(checks: &[Check], name: CheckName) -> (CheckStatus, &str) {
        let mut named = checks.iter().filter(|c| c.name == name);
        match (named.next(), named.next()) {
            (Some(check), None) => (check.status, check.message.as_str()),
            _ => panic!("expected one {name} check in {:?}", verdicts(checks)),
        }
    }
}
