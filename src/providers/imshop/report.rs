//! A run's report in its three shapes: JSON (`--json`, `GET
//! /imshop/runs/{id}`), JUnit XML (`--junit`, one testcase per check) and
//! the readable summary the CLI prints.

use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;
use time::OffsetDateTime;

use super::checks::{Check, CheckStatus, Tally};
use super::options::{Flow, Outcome, RunOptions};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct OrderSummary {
    pub flow: Flow,
    pub order_id: String,
    pub order_uuid: String,
    pub payment_ids: Vec<String>,
}

/// A payment page the run could not fill: a person must finish it in a
/// browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
            webhook: options.webhook.to_string(),
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
        let mut out = format!(
            "IMSHOP run {} against {}\nflows: {}; outcome: {}\n\n",
            self.id,
            self.webhook,
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
            out.push_str(&format!("{mark} {key:<28} {}\n", names.join(", ")));
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
            "\n{}: {} checks, {} passed, {} warnings, {} failed ({} ms)\n",
            if s.failed == 0 { "PASSED" } else { "FAILED" },
            s.checks,
            s.passed,
            s.warnings,
            s.failed,
            self.duration_ms
        ));
        out
    }

    /// JUnit XML: a testsuite per flow (and `run`), a testcase per check;
    /// a failed check is a `<failure>` whose text is the evidence, a
    /// warning a passed testcase with the message in `<system-out>`.
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
        suites.push_attribute(("time", seconds(self.duration_ms as f64 / 1000.0).as_str()));
        w.write_event(Event::Start(suites))?;

        let mut scopes: Vec<&str> = Vec::new();
        for check in &self.checks {
            if !scopes.contains(&check.flow) {
                scopes.push(check.flow);
            }
        }
        for scope in scopes {
            let checks: Vec<&Check> = self.checks.iter().filter(|c| c.flow == scope).collect();
            let tally = Tally::of(checks.iter().copied());
            let time: f64 = checks.iter().map(|c| c.evidence.seconds()).sum();
            let mut suite = BytesStart::new("testsuite");
            suite.push_attribute(("name", format!("imshop.{scope}").as_str()));
            suite.push_attribute(("tests", tally.checks.to_string().as_str()));
            suite.push_attribute(("failures", tally.failed.to_string().as_str()));
            suite.push_attribute(("errors", "0"));
            suite.push_attribute(("skipped", "0"));
            suite.push_attribute(("time", seconds(time).as_str()));
            w.write_event(Event::Start(suite))?;
            for check in checks {
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
                case.push_attribute(("time", seconds(check.evidence.seconds()).as_str()));
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
