//! The runs' HTML pages: the list with a form to start a run, and one
//! run's checks with their evidence (collapsible) and, when the run waits
//! for a person, the form that takes the final URL.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use time::format_description::well_known::Rfc3339;

use super::checks::{CheckStatus, Tally};
use super::report::BrowserWait;
use super::report::RunStatus;
use super::runs::RunRecord;
use crate::web::{Frame, Nav};

/// A check as a table row.
pub struct Row {
    pub name: &'static str,
    /// `passed`, `warning` or `failed` (also the CSS class).
    pub status: &'static str,
    pub message: String,
    pub evidence: String,
}

/// The checks of one step.
pub struct Group {
    pub title: String,
    pub rows: Vec<Row>,
}

#[derive(Template, WebTemplate)]
#[template(path = "imshop/run.html")]
pub struct RunPage {
    frame: Frame,
    id: String,
    status: &'static str,
    webhook: String,
    flows: String,
    outcome: &'static str,
    sync_url: String,
    json_url: String,
    started_at: String,
    duration_ms: u128,
    summary: Tally,
    needs_browser: Option<BrowserWait>,
    /// Reload every few seconds while the run is going (no JavaScript).
    refresh: bool,
    groups: Vec<Group>,
    progress: Vec<String>,
    /// The checkout webhooks called before each payment, as `(name, URL)`.
    checkout: Vec<(&'static str, String)>,
    /// Per flow: what the checkout chose, as one line.
    orders: Vec<String>,
}

fn status_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Passed => "passed",
        CheckStatus::Warning => "warning",
        CheckStatus::Failed => "failed",
    }
}

pub fn run_page(state: &super::State, nav: Nav, record: &Arc<RunRecord>) -> RunPage {
    let view = record.view();
    let report = &view.report;
    let mut groups: Vec<Group> = Vec::new();
    for check in &report.checks {
        let title = if check.attempt > 1 {
            format!(
                "{} · {} (attempt {})",
                check.flow, check.step, check.attempt
            )
        } else {
            format!("{} · {}", check.flow, check.step)
        };
        let row = Row {
            name: check.name.as_str(),
            status: status_word(check.status),
            message: check.message.clone(),
            evidence: check.evidence.to_text(),
        };
        match groups.last_mut() {
            Some(group) if group.title == title => group.rows.push(row),
            _ => groups.push(Group {
                title,
                rows: vec![row],
            }),
        }
    }
    RunPage {
        frame: Frame::new(&state.core, nav, "imshop"),
        id: report.id.clone(),
        status: report.status.as_str(),
        webhook: report.webhook.clone(),
        flows: report
            .flows
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        outcome: report.outcome.as_str(),
        sync_url: report.sync_url.clone(),
        json_url: state
            .core
            .public_url
            .join(&format!("/imshop/runs/{}", report.id)),
        started_at: report.started_at.format(&Rfc3339).unwrap_or_default(),
        duration_ms: report.duration_ms,
        summary: report.summary,
        refresh: report.status == RunStatus::Running,
        // The form only while the run waits for it.
        needs_browser: report
            .needs_browser
            .clone()
            .filter(|_| report.status == RunStatus::NeedsBrowser),
        groups,
        progress: view.progress,
        checkout: report
            .checkout
            .iter()
            .flat_map(|c| {
                [
                    ("Deliveries", c.deliveries.clone()),
                    ("Payment methods", c.methods.clone()),
                    ("Order export", c.orders.clone()),
                ]
            })
            .filter_map(|(name, url)| Some((name, url?)))
            .collect(),
        orders: report
            .orders
            .iter()
            .filter_map(|order| {
                let checkout = order.checkout.as_ref()?;
                let mut line = format!("{}: order {}", order.flow.as_str(), order.order_id);
                if let Some(method) = &checkout.payment_method_id {
                    line.push_str(&format!(", paymentMethodId {method}"));
                }
                if let Some(delivery) = &checkout.delivery_id {
                    line.push_str(&format!(", delivery {delivery}"));
                }
                line.push_str(&format!(", uuid {}", order.order_uuid));
                Some(line)
            })
            .collect(),
    }
}

/// A run in the list.
pub struct RunRow {
    pub id: String,
    pub status: &'static str,
    pub webhook: String,
    pub flows: String,
    pub outcome: &'static str,
    pub started_at: String,
    pub summary: Tally,
}

#[derive(Template, WebTemplate)]
#[template(path = "imshop/runs.html")]
pub struct RunsPage {
    frame: Frame,
    demo_webhook: String,
    /// The reference merchant's base URL, for the checkout placeholders.
    demo_base: String,
    sync_url: String,
    runs: Vec<RunRow>,
}

pub fn runs_page(state: &super::State, nav: Nav, runs: &[Arc<RunRecord>]) -> RunsPage {
    RunsPage {
        frame: Frame::new(&state.core, nav, "imshop"),
        demo_webhook: state.core.public_url.join("/demo/merchant/payments"),
        demo_base: state.core.public_url.join("/demo/merchant"),
        sync_url: state.engine.sync_url(),
        runs: runs
            .iter()
            .map(|run| RunRow {
                id: run.id.clone(),
                status: run.status().as_str(),
                webhook: run
                    .options
                    .webhook
                    .as_ref()
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
                flows: run
                    .options
                    .flows
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                outcome: run.options.outcome.as_str(),
                started_at: run.started_at.format(&Rfc3339).unwrap_or_default(),
                summary: run.tally(),
            })
            .collect(),
    }
}
