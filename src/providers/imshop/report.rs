//! A run's report in its three shapes: JSON (`--json`, `GET
//! /imshop/runs/{id}`), JUnit XML (`--junit`, one testcase per check) and
//! the readable summary the CLI prints.

use std::sync::Arc;
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;
use time::OffsetDateTime;

use super::checks::{Check, CheckStatus, Tally, counted};
use super::options::{Flow, Outcome, RunOptions};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Waiting for a person to finish a payment page in a browser.
    NeedsBrowser,
    Passed,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::NeedsBrowser => "needs_browser",
            Self::Passed => "passed",
            Self::Failed => "failed",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Self::Passed | Self::Failed)
    }
}

/// The order a flow paid, and the payment ids the merchant gave it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderSummary {
    pub flow: Flow,
    pub order_id: String,
    pub order_uuid: String,
    pub payment_ids: Vec<String>,
    /// What the checkout steps chose, when the run had any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout: Option<CheckoutSummary>,
}

/// The checkout webhooks of a run, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutWebhooks {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub methods: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<String>,
}

/// What a flow's checkout chose and was given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSummary {
    /// `deliveries[].id` chosen (with a deliveries webhook).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    /// `paymentMethodId` the payment calls carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
    /// `orders[].id` the export answered: the `orderId` paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_id: Option<String>,
}

/// A payment page the run could not fill: a person must finish it in a
/// browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BrowserWait {
    pub flow: Flow,
    /// Open this in a browser, pay, and submit the URL you end on.
    pub url: String,
}

/// A finished run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub id: String,
    pub status: RunStatus,
    pub webhook: String,
    /// The checkout webhooks the run called before each payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout: Option<CheckoutWebhooks>,
    pub flows: Vec<Flow>,
    pub outcome: Outcome,
    /// Where merchants that answer `pending` report the final status.
    pub sync_url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub duration_ms: u128,
    pub summary: Tally,
    /// While a run over HTTP waits: the page a person must finish. In a
    /// finished report: the first page nobody finished (its
    /// `payment_page_driven` check failed).
    pub needs_browser: Option<BrowserWait>,
    pub orders: Vec<OrderSummary>,
    pub checks: Vec<Check>,
}

impl RunReport {
    pub fn new(
        id: &str,
        options: &RunOptions,
        started_at: OffsetDateTime,
        duration: Duration,
        checks: Vec<Check>,
        orders: Vec<OrderSummary>,
        sync_url: String,
    ) -> Self {
        let summary = Tally::of(&checks);
        Self {
            id: id.to_owned(),
            status: if summary.failed == 0 {
                RunStatus::Passed
            } else {
                RunStatus::Failed
            },
            webhook: options
                .webhook
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_default(),
            checkout: (!options.checkout.is_empty()).then(|| CheckoutWebhooks {
                methods: options.checkout.methods.as_ref().map(|u| u.to_string()),
                deliveries: options.checkout.deliveries.as_ref().map(|u| u.to_string()),
                orders: options.checkout.orders.as_ref().map(|u| u.to_string()),
            }),
            flows: options.flows.clone(),
            outcome: options.outcome,
            sync_url,
            started_at,
            duration_ms: duration.as_millis(),
            summary,
            needs_browser: None,
            orders,
            checks,
        }
    }

    /// The readable summary: one line per flow and step, every failed
    /// check with its evidence, and the totals.
    pub fn to_text(&self) -> String {
        let against = match (self.webhook.as_str(), &self.checkout) {
            ("", _) => "the checkout webhooks only".to_owned(),
            (webhook, None) => webhook.to_owned(),
            (webhook, Some(_)) => format!("{webhook}, after the checkout webhooks"),
        };
        let mut out = format!(
            "IMSHOP run {} against {}\nflows: {}; outcome: {}\n\n",
            self.id,
            against,
            self.flows
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            self.outcome.as_str(),
        );
        let mut groups: Vec<(String, Vec<&Check>)> = Vec::new();
        for check in &self.checks {
            let key = if check.attempt > 1 {
                format!("{}/{} (attempt {})", check.flow, check.step, check.attempt)
            } else {
                format!("{}/{}", check.flow, check.step)
            };
            match groups.last_mut() {
                Some((last, list)) if *last == key => list.push(check),
                _ => groups.push((key, vec![check])),
            }
        }
        for (key, checks) in &groups {
            let tally = Tally::of(checks.iter().copied());
            let mark = if tally.failed > 0 {
                "FAIL"
            } else if tally.warnings > 0 {
                "warn"
            } else {
                "ok  "
            };
            let names: Vec<String> = checks
                .iter()
                .map(|c| match c.status {
                    CheckStatus::Passed => c.name.to_string(),
                    CheckStatus::Warning => format!("{} (warning)", c.name),
                    CheckStatus::Failed => format!("{} FAILED", c.name),
                })
                .collect();
            // Wide enough for `googlepay/payment_methods_again`.
            out.push_str(&format!("{mark} {key:<31} {}\n", names.join(", ")));
        }
        let noteworthy: Vec<&Check> = self
            .checks
            .iter()
            .filter(|c| c.status != CheckStatus::Passed)
            .collect();
        if !noteworthy.is_empty() {
            out.push('\n');
        }
        for check in noteworthy {
            let word = if check.status == CheckStatus::Failed {
                "FAILED"
            } else {
                "warning"
            };
            out.push_str(&format!("{word}: {}\n  {}\n", check.label(), check.message));
            if check.status == CheckStatus::Failed {
                for line in check.evidence.to_text().lines() {
                    out.push_str(&format!("  | {line}\n"));
                }
            }
        }
        let s = self.summary;
        out.push_str(&format!(
            "\n{}: {}, {} ({} ms)\n",
            if s.failed == 0 { "PASSED" } else { "FAILED" },
            counted(s.checks, "check"),
            s.outcomes(),
            self.duration_ms
        ));
        out
    }

    /// JUnit XML: a testsuite per flow (and `run`), a testcase per check;
    /// a failed check is a `<failure>` whose text is the evidence, a
    /// warning a passed testcase with the message in `<system-out>`.
    ///
    /// Times add up at every level: a testcase's is the time of the call
    /// (or navigations) it judged, counted on the first check that judged
    /// it (several checks judge one answer, and counting it for each would
    /// multiply it); a testsuite's is the sum of its testcases, and the
    /// testsuites' the sum of the suites. The run's wall-clock duration,
    /// which also holds the pending back-off and the wait for the sync
    /// URL, is the JSON's `duration_ms` and the summary's last line.
    pub fn to_junit(&self) -> String {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing to a Vec cannot fail; errors are dropped deliberately.
        let _ = self.write_junit(&mut writer);
        String::from_utf8(writer.into_inner()).unwrap_or_default()
    }

    fn write_junit(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let mut suites = BytesStart::new("testsuites");
        suites.push_attribute((
            "name",
            format!("paysandbox imshop run {}", self.id).as_str(),
        ));
        suites.push_attribute(("tests", self.summary.checks.to_string().as_str()));
        suites.push_attribute(("failures", self.summary.failed.to_string().as_str()));
        suites.push_attribute(("errors", "0"));
        let times = timed_once(&self.checks);
        suites.push_attribute(("time", seconds(times.iter().sum()).as_str()));
        w.write_event(Event::Start(suites))?;

        let mut scopes: Vec<&str> = Vec::new();
        for check in &self.checks {
            if !scopes.contains(&check.flow) {
                scopes.push(check.flow);
            }
        }
        for scope in scopes {
            let (checks, check_times): (Vec<&Check>, Vec<f64>) = self
                .checks
                .iter()
                .zip(&times)
                .filter(|(c, _)| c.flow == scope)
                .unzip();
            let tally = Tally::of(checks.iter().copied());
            let time: f64 = check_times.iter().sum();
            let mut suite = BytesStart::new("testsuite");
            suite.push_attribute(("name", format!("imshop.{scope}").as_str()));
            suite.push_attribute(("tests", tally.checks.to_string().as_str()));
            suite.push_attribute(("failures", tally.failed.to_string().as_str()));
            suite.push_attribute(("errors", "0"));
            suite.push_attribute(("skipped", "0"));
            suite.push_attribute(("time", seconds(time).as_str()));
            w.write_event(Event::Start(suite))?;
            for (check, time) in checks.into_iter().zip(check_times) {
                let mut case = BytesStart::new("testcase");
                let attempt = if check.attempt > 1 {
                    format!(" (attempt {})", check.attempt)
                } else {
                    String::new()
                };
                case.push_attribute((
                    "classname",
                    format!("imshop.{scope}.{}", check.step).as_str(),
                ));
                case.push_attribute(("name", format!("{}{attempt}", check.name).as_str()));
                case.push_attribute(("time", seconds(time).as_str()));
                w.write_event(Event::Start(case))?;
                match check.status {
                    CheckStatus::Failed => {
                        let mut failure = BytesStart::new("failure");
                        failure.push_attribute(("message", check.message.as_str()));
                        failure.push_attribute(("type", check.name.as_str()));
                        w.write_event(Event::Start(failure))?;
                        write_text(
                            w,
                            &format!("{}\n\n{}", check.message, check.evidence.to_text()),
                        )?;
                        w.write_event(Event::End(BytesEnd::new("failure")))?;
                    }
                    CheckStatus::Warning => {
                        w.write_event(Event::Start(BytesStart::new("system-out")))?;
                        write_text(w, &format!("warning: {}", check.message))?;
                        w.write_event(Event::End(BytesEnd::new("system-out")))?;
                    }
                    CheckStatus::Passed => {
                        w.write_event(Event::Start(BytesStart::new("system-out")))?;
                        write_text(w, &check.message)?;
                        w.write_event(Event::End(BytesEnd::new("system-out")))?;
                    }
                }
                w.write_event(Event::End(BytesEnd::new("testcase")))?;
            }
            w.write_event(Event::End(BytesEnd::new("testsuite")))?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuites")))?;
        Ok(())
    }
}

/// Each check's time in seconds, with an exchange or a web-view trip
/// counted on the first check whose evidence it is and 0 on the others.
fn timed_once(checks: &[Check]) -> Vec<f64> {
    let mut seen: Vec<*const ()> = Vec::new();
    checks
        .iter()
        .map(|check| {
            let evidence = &check.evidence;
            let judged = match (&evidence.exchange, &evidence.hops) {
                (Some(exchange), _) => Arc::as_ptr(exchange).cast::<()>(),
                (None, Some(hops)) => Arc::as_ptr(hops).cast::<()>(),
                (None, None) => return 0.0,
            };
            if seen.contains(&judged) {
                0.0
            } else {
                seen.push(judged);
                evidence.seconds()
            }
        })
        .collect()
}

/// Text for an element: CDATA keeps evidence readable, except when the
/// text itself contains the CDATA terminator, which only escaping survives.
/// Characters XML 1.0 cannot carry at all are replaced.
fn write_text(w: &mut Writer<Vec<u8>>, text: &str) -> std::io::Result<()> {
    let clean: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}') {
                c
            } else {
                '\u{FFFD}'
            }
        })
        .collect();
    if clean.contains("]]>") {
        w.write_event(Event::Text(BytesText::new(&clean)))?;
    } else {
        w.write_event(Event::CData(BytesCData::new(clean)))?;
    }
    Ok(())
}

fn seconds(value: f64) -> String {
    format!("{value:.3}")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::core::fixtures::FixtureFile;
    use crate::core::journal::Message;
    use crate::providers::imshop::Fixture;
    use crate::providers::imshop::checks::{CheckName, Evidence, Exchange};
    use crate::providers::imshop::engine::judge::Step;
    use crate::providers::imshop::options::RunRequest;

    fn exchange(elapsed_ms: f64) -> Arc<Exchange> {
        Arc::new(Exchange {
            method: "POST".to_owned(),
            url: "https://shop.example/imshop/payments".to_owned(),
            request: Message::default(),
            status: Some(200),
            response: None,
            error: None,
            elapsed_ms,
        })
    }

    /// A report of `checks`, each `(flow, name, status, exchange)`, for a
    /// run that took 9 s of wall-clock time.
    fn report(checks: &[(&'static str, CheckName, CheckStatus, &Arc<Exchange>)]) -> RunReport {
        let request = RunRequest {
            webhook: "https://shop.example/imshop/payments".to_owned(),
            ..RunRequest::default()
        };
        let options = RunOptions::parse(request, &Fixture::builtin()).unwrap();
        let checks = checks
            .iter()
            .map(|(flow, name, status, exchange)| {
                let step = Step {
                    flow,
                    name: "create",
                    attempt: 1,
                };
                step.check(*name, *status, "", Evidence::exchange(exchange))
            })
            .collect();
        RunReport::new(
            "run-1",
            &options,
            OffsetDateTime::UNIX_EPOCH,
            Duration::from_secs(9),
            checks,
            Vec::new(),
            "http://127.0.0.1:1/imshop/sync".to_owned(),
        )
    }

    /// Every `time="…"` of `element` in `xml`, in order.
    fn times(xml: &str, element: &str) -> Vec<String> {
        let re = regex::Regex::new(&format!(r#"<{element} [^>]*time="([0-9.]+)""#)).unwrap();
        re.captures_iter(xml).map(|c| c[1].to_owned()).collect()
    }

    #[test]
    fn the_summary_says_1_check_and_1_warning_in_the_singular() {
        let answer = exchange(42.0);
        let report = report(&[("card", CheckName::JsonBody, CheckStatus::Warning, &answer)]);

        let text = report.to_text();

        assert!(
            text.ends_with("\nPASSED: 1 check, 0 passed, 1 warning, 0 failed (9000 ms)\n"),
            "{text}"
        );
    }

    #[test]
    fn junit_times_add_up_and_count_each_answer_once_however_many_checks_judge_it() {
        // Arrange: two checks of one 200 ms answer, one of a 300 ms answer
        // in another flow.
        let (create, wallet) = (exchange(200.0), exchange(300.0));
        let report = report(&[
            (
                "card",
                CheckName::AnsweredInTime,
                CheckStatus::Passed,
                &create,
            ),
            ("card", CheckName::Http200, CheckStatus::Passed, &create),
            ("applepay", CheckName::Http200, CheckStatus::Passed, &wallet),
        ]);

        // Act
        let xml = report.to_junit();

        // Assert
        assert_eq!(times(&xml, "testcase"), ["0.200", "0.000", "0.300"]);
        assert_eq!(times(&xml, "testsuite"), ["0.200", "0.300"]);
        assert_eq!(times(&xml, "testsuites"), ["0.500"], "not the 9 s run");
    }
}
