//! The named checks of a run and the evidence each one carries.
//!
//! A check has a stable snake_case name (CI jobs and `docs/imshop.md` refer to
//! it), a status, a one-line message saying what was expected and what was
//! found, and the evidence: the exchange it judged (request, response,
//! timing) or the web view's navigations.

use std::sync::Arc;

use serde::Serialize;

use crate::core::http_client::OutboundError;
use crate::core::journal::Message;

/// Every check a run can report. The names are part of the interface:
/// never rename one.
///
/// Serialised through [`CheckName::as_str`], not serde's `snake_case`:
/// that renaming makes `Http200` `http200`, while the text report, JUnit
/// and `docs/imshop.md` say `http_200`. One spelling, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckName {
    /// An HTTP answer arrived within the per-call timeout.
    AnsweredInTime,
    /// The answer's status is 200.
    Http200,
    /// The answer's body is a JSON object.
    JsonBody,
    /// `success` is present and a boolean.
    SuccessBoolean,
    /// The fields the command's answer needs are there, with their types.
    RequiredFields,
    /// `error` is a non-empty text when `success` is false (a warning
    /// without one: the documentation calls `error` optional).
    ErrorText,
    /// `create` accepted the order (`success: true`): the payment exists.
    PaymentCreated,
    /// `paymentUrl` is an absolute http(s) URL (`http` warns).
    PaymentUrlAbsolute,
    /// `successRegex` and `failureRegex` compile and differ.
    RegexesValid,
    /// The web view could complete the payment page (or a person did).
    PaymentPageDriven,
    /// The web view ended on the regex the outcome expects.
    RedirectMatched,
    /// `paymentId` is the one `create` returned.
    PaymentIdConsistent,
    /// `paymentCaptured` says what the wanted outcome implies.
    PaymentCapturedAgrees,
    /// A `pending` payment reached a final state (by capture or sync).
    PendingResolved,
    /// A repeated `capture` gives the same answer.
    CaptureIdempotent,
    /// `capture` of a `paymentId` nobody issued is refused.
    UnknownPaymentRefused,
    /// The payment-methods webhook offers a method the flow can pay with.
    PaymentMethodOffered,
    /// The deliveries webhook offers a delivery.
    DeliveryOffered,
    /// A list asked again before the order still offers the chosen id.
    ChoiceStillOffered,
    /// The order-export answer names the order by its `uuid`.
    OrderUuidEchoed,
    /// The order export accepted the order and gave it a number.
    OrderExported,
    /// The export answer's `message` is where the fixture's reading looks.
    MessagePlacement,
    /// The same export sent twice gives the same order (a warning).
    ExportIdempotent,
    /// A payment call with a method id never offered is refused.
    UnknownMethodRefused,
    /// An `orderId` named after the export is the exported number.
    OrderNumberConsistent,
    /// The payment call was not refused for the method the merchant offered.
    PaymentMethodAccepted,
}

impl CheckName {
    /// Every check, in the order above.
    pub const ALL: [CheckName; 26] = [
        Self::AnsweredInTime,
        Self::Http200,
        Self::JsonBody,
        Self::SuccessBoolean,
        Self::RequiredFields,
        Self::ErrorText,
        Self::PaymentCreated,
        Self::PaymentUrlAbsolute,
        Self::RegexesValid,
        Self::PaymentPageDriven,
        Self::RedirectMatched,
        Self::PaymentIdConsistent,
        Self::PaymentCapturedAgrees,
        Self::PendingResolved,
        Self::CaptureIdempotent,
        Self::UnknownPaymentRefused,
        Self::PaymentMethodOffered,
        Self::DeliveryOffered,
        Self::ChoiceStillOffered,
        Self::OrderUuidEchoed,
        Self::OrderExported,
        Self::MessagePlacement,
        Self::ExportIdempotent,
        Self::UnknownMethodRefused,
        Self::OrderNumberConsistent,
        Self::PaymentMethodAccepted,
    ];

    /// The check named `name` ([`CheckName::as_str`]'s spelling).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnsweredInTime => "answered_in_time",
            Self::Http200 => "http_200",
            Self::JsonBody => "json_body",
            Self::SuccessBoolean => "success_boolean",
            Self::RequiredFields => "required_fields",
            Self::ErrorText => "error_text",
            Self::PaymentCreated => "payment_created",
            Self::PaymentUrlAbsolute => "payment_url_absolute",
            Self::RegexesValid => "regexes_valid",
            Self::PaymentPageDriven => "payment_page_driven",
            Self::RedirectMatched => "redirect_matched",
            Self::PaymentIdConsistent => "payment_id_consistent",
            Self::PaymentCapturedAgrees => "payment_captured_agrees",
            Self::PendingResolved => "pending_resolved",
            Self::CaptureIdempotent => "capture_idempotent",
            Self::UnknownPaymentRefused => "unknown_payment_refused",
            Self::PaymentMethodOffered => "payment_method_offered",
            Self::DeliveryOffered => "delivery_offered",
            Self::ChoiceStillOffered => "choice_still_offered",
            Self::OrderUuidEchoed => "order_uuid_echoed",
            Self::OrderExported => "order_exported",
            Self::MessagePlacement => "message_placement",
            Self::ExportIdempotent => "export_idempotent",
            Self::UnknownMethodRefused => "unknown_method_refused",
            Self::OrderNumberConsistent => "order_number_consistent",
            Self::PaymentMethodAccepted => "payment_method_accepted",
        }
    }
}

impl Serialize for CheckName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a check came out. A warning passes (exit status 0) but is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Warning,
    Failed,
}

impl CheckStatus {
    pub fn is_failure(self) -> bool {
        self == Self::Failed
    }
}

/// One HTTP exchange as a check's evidence: secrets masked, bodies cut.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request: Message,
    /// `None` when no answer came (timeout, refused connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Message>,
    /// Why no answer came. Kept as the client's error, not its text, so
    /// the judges can tell a refused connection from a timeout.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_text")]
    pub error: Option<OutboundError>,
    pub elapsed_ms: f64,
}

/// An error as its message, in the JSON report.
fn as_text<S: serde::Serializer>(
    error: &Option<OutboundError>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match error {
        Some(error) => serializer.collect_str(error),
        None => serializer.serialize_none(),
    }
}

/// One navigation of the web view.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What the web view made of it ("redirect to …", "card form filled").
    pub note: String,
    pub elapsed_ms: f64,
}

/// What a check judged.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Arc<Exchange>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hops: Option<Arc<[Hop]>>,
}

impl Evidence {
    pub fn exchange(exchange: &Arc<Exchange>) -> Self {
        Self {
            exchange: Some(Arc::clone(exchange)),
            hops: None,
        }
    }

    pub fn hops(hops: &Arc<[Hop]>) -> Self {
        Self {
            exchange: None,
            hops: Some(Arc::clone(hops)),
        }
    }

    /// Seconds the judged exchange or navigations took.
    pub fn seconds(&self) -> f64 {
        let ms = match (&self.exchange, &self.hops) {
            (Some(e), _) => e.elapsed_ms,
            (None, Some(hops)) => hops.iter().map(|h| h.elapsed_ms).sum(),
            (None, None) => 0.0,
        };
        ms / 1000.0
    }

    /// The evidence as plain text (JUnit failure bodies, the CLI summary).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(e) = &self.exchange {
            out.push_str(&format!("request: {} {}\n", e.method, e.url));
            for (name, value) in e.request.headers() {
                out.push_str(&format!("  {name}: {value}\n"));
            }
            let body = e.request.body();
            if !body.is_empty() {
                out.push_str(&format!("  {body}\n"));
            }
            match (&e.status, &e.response, &e.error) {
                (Some(status), Some(response), _) => {
                    out.push_str(&format!("response: {status} in {:.0} ms\n", e.elapsed_ms));
                    for (name, value) in response.headers() {
                        out.push_str(&format!("  {name}: {value}\n"));
                    }
                    let body = response.body();
                    if !body.is_empty() {
                        out.push_str(&format!("  {body}\n"));
                    }
                }
                (_, _, Some(error)) => {
                    out.push_str(&format!(
                        "no response after {:.0} ms: {error}\n",
                        e.elapsed_ms
                    ));
                }
                _ => {}
            }
        }
        if let Some(hops) = &self.hops {
            out.push_str("web view:\n");
            for hop in hops.iter() {
                let status = hop.status.map(|s| s.to_string()).unwrap_or_default();
                out.push_str(&format!(
                    "  {} {} {status} ({:.0} ms): {}\n",
                    hop.method, hop.url, hop.elapsed_ms, hop.note
                ));
            }
        }
        out
    }
}

/// Which part of a run a check belongs to: a flow (`card`, `applepay`,
/// `googlepay`) or the run as a whole (`run`).
pub type Scope = &'static str;

/// One reported check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub flow: Scope,
    /// The call or stage it judged: `create`, `web_view`, `capture`,
    /// `capture_2` (the second poll), `capture_repeat`, `applepay`,
    /// `androidpay`, `sync`, `unknown_capture`.
    pub step: String,
    /// 1, or 2 after the merchant asked for a retry and the flow restarted.
    pub attempt: u8,
    pub name: CheckName,
    pub status: CheckStatus,
    /// What was expected and what was found, in one line.
    pub message: String,
    pub evidence: Evidence,
}

impl Check {
    /// `card/create http_200` (and ` (attempt 2)` after a restart).
    pub fn label(&self) -> String {
        let attempt = if self.attempt > 1 {
            format!(" (attempt {})", self.attempt)
        } else {
            String::new()
        };
        format!("{}/{} {}{attempt}", self.flow, self.step, self.name)
    }
}

/// Counts of a list of checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub checks: usize,
    pub passed: usize,
    pub warnings: usize,
    pub failed: usize,
}

impl Tally {
    /// `11 passed, 1 warning, 0 failed`.
    pub fn outcomes(&self) -> String {
        format!(
            "{} passed, {}, {} failed",
            self.passed,
            counted(self.warnings, "warning"),
            self.failed
        )
    }

    pub fn of<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Self {
        let mut tally = Self::default();
        for check in checks {
            tally.checks += 1;
            match check.status {
                CheckStatus::Passed => tally.passed += 1,
                CheckStatus::Warning => tally.warnings += 1,
                CheckStatus::Failed => tally.failed += 1,
            }
        }
        tally
    }
}

/// `1 check`, `2 checks`: counts in messages read as English.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_of_one_is_singular_and_any_other_plural() {
        let cases = [(0, "0 warnings"), (1, "1 warning"), (2, "2 warnings")];

        for (n, expected) in cases {
            assert_eq!(counted(n, "warning"), expected, "{n}");
        }
    }

    #[test]
    fn a_tally_of_one_warning_says_warning() {
        let tally = Tally {
            checks: 3,
            passed: 2,
            warnings: 1,
            failed: 0,
        };

        assert_eq!(tally.outcomes(), "2 passed, 1 warning, 0 failed");
    }

    #[test]
    fn every_check_name_is_read_back_from_its_spelling() {
        for name in CheckName::ALL {
            assert_eq!(CheckName::parse(name.as_str()), Some(name), "{name}");
        }
        assert_eq!(CheckName::parse("http200"), None);
    }

    #[test]
    fn the_json_report_spells_each_check_name_as_the_text_report_does() {
        let names = [
            CheckName::AnsweredInTime,
            CheckName::Http200,
            CheckName::PaymentUrlAbsolute,
            CheckName::UnknownPaymentRefused,
        ];

        for name in names {
            let json = serde_json::to_value(name).unwrap();

            assert_eq!(json, name.to_string(), "{name:?}");
        }
        assert_eq!(
            serde_json::to_value(CheckName::Http200).unwrap(),
            "http_200"
        );
    }
}
