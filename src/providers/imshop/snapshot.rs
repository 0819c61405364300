//! IMSHOP's section of a snapshot document: every finished run with its
//! whole report and progress lines, oldest first, so `GET
//! /imshop/runs/{id}`, the runs list and the run's page answer after a
//! restore what they answered before.
//!
//! What is not in it, and why:
//! - **Runs in progress** (`running`, `needs_browser`). A run is a task
//!   calling the merchant, waiting on the sync URL or on a person; none of
//!   that can be written down, and a half-run restored as `failed` would be
//!   a report no run produced (its checks may all have passed). It is left
//!   out: take the snapshot once `GET /imshop/runs/{id}` says `passed` or
//!   `failed`. A restore stops the runs in progress of the live workspace,
//!   as a reset does.
//! - **The sync board.** For runs in progress it holds their inboxes,
//!   which go with them. For finished runs it only says which run an order
//!   and its payments were (a late report for them is acknowledged): that
//!   is in their reports' `orders`, and the install rebuilds it from them.
//! - **Run ids' sequence.** Ids come from the seeded generator, which the
//!   core's section restores: the runs started after a restore get the ids
//!   those started after the snapshot got. Restored ids are claimed again;
//!   one another workspace holds is a conflict.
//! - **What a run was asked beyond what its report shows** (the API key,
//!   a credential; timeouts; given order ids): the restored run's options
//!   carry the fixture's, which nothing uses again (the run is over).
//!
//! Durable state (`--data-dir`) keeps the same runs, each finished run one
//! row whose body is its entry of `runs`, written when it finishes (by the
//! keeper, within 200 ms) and removed when it is dropped; a run in progress
//! is not written, and is absent after a restart (see the end of this
//! file).
//!
//! Evidence is kept as the report shows it, secrets masked, and shown as
//! it is (see `Message::premasked`). Checks that judged one exchange (or
//! one set of web-view navigations) share it in the document as they do in
//! the report, by index into the run's `exchanges` (`navigations`), so
//! JUnit still counts each answer's time once.
//!
//! The section is its own wire format, so the report can change without
//! breaking documents committed next to tests:
//!
//! ```json
//! {"runs": [{"id": "run-0123456789ab", "status": "passed",
//!   "webhook": "http://127.0.0.1:8080/demo/merchant/payments",
//!   "flows": ["card"], "outcome": "success", "sync_url": "…",
//!   "accepted_at": "…", "started_at": "…", "duration_ms": 412,
//!   "needs_browser": null,
//!   "orders": [{"flow": "card", "order_id": "…", "order_uuid": "…", "payment_ids": ["1000"]}],
//!   "exchanges": [{"method": "POST", "url": "…", "request": {"headers": [["content-type", "application/json"]], "body": "…"},
//!                  "status": 200, "response": {…}, "elapsed_ms": 3.1}],
//!   "navigations": [[{"method": "GET", "url": "…", "status": 200, "note": "…", "elapsed_ms": 1.2}]],
//!   "checks": [{"flow": "card", "step": "create", "attempt": 1, "name": "http_200",
//!               "status": "passed", "message": "…", "exchange": 0}],
//!   "progress": ["run: …"]}]}
//! ```

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Fixture;
use super::addressee;
use super::checks::{Check, CheckName, CheckStatus, Evidence, Exchange, Hop, Scope};
use super::options::{CheckoutUrls, Flow, Outcome, RunOptions, WebViewMode};
use super::report::{
    BrowserWait, CheckoutSummary, CheckoutWebhooks, OrderSummary, RunReport, RunStatus,
};
use super::runs::{PROGRESS_KEPT, RunRecord};
use crate::core::durable::{ObjectChange, to_json};
use crate::core::http_client::OutboundError;
use crate::core::journal::Message;
use crate::core::snapshot::{Install, SnapshotError, read_section};

const PREFIX: &str = "providers.imshop";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    /// Finished runs, oldest first.
    #[serde(default)]
    runs: Vec<SavedRun>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedRun {
    id: String,
    /// `passed` or `failed`.
    status: String,
    /// Empty: a run of the checkout webhooks only.
    webhook: String,
    /// The checkout webhooks it called, when it had any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkout: Option<CheckoutWebhooks>,
    flows: Vec<Flow>,
    outcome: Outcome,
    sync_url: String,
    /// When the runs API accepted it (the runs list's `started_at`).
    #[serde(with = "time::serde::rfc3339")]
    accepted_at: OffsetDateTime,
    /// When the engine began (the report's `started_at`).
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    duration_ms: u64,
    /// The first payment page nobody finished.
    #[serde(default)]
    needs_browser: Option<SavedWait>,
    #[serde(default)]
    orders: Vec<SavedOrder>,
    /// The exchanges checks judged, each once.
    #[serde(default)]
    exchanges: Vec<SavedExchange>,
    /// The web view's trips checks judged, each once.
    #[serde(default)]
    navigations: Vec<Vec<SavedHop>>,
    #[serde(default)]
    checks: Vec<SavedCheck>,
    /// The newest progress lines, oldest first.
    #[serde(default)]
    progress: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedWait {
    flow: Flow,
    url: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedOrder {
    flow: Flow,
    order_id: String,
    order_uuid: String,
    #[serde(default)]
    payment_ids: Vec<String>,
    /// What the flow's checkout chose, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkout: Option<CheckoutSummary>,
}

/// Headers and body as the report showed them: masked.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedMessage {
    /// In the order sent: `[["content-type", "application/json"], …]`.
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: String,
    /// The body was cut at the journal's limit.
    #[serde(default, skip_serializing_if = "is_false")]
    truncated: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedExchange {
    method: String,
    url: String,
    request: SavedMessage,
    /// `null` when no answer came.
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    response: Option<SavedMessage>,
    /// Why no answer came, as the report says it.
    #[serde(default)]
    error: Option<String>,
    elapsed_ms: f64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedHop {
    method: String,
    url: String,
    #[serde(default)]
    status: Option<u16>,
    note: String,
    elapsed_ms: f64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCheck {
    /// `card`, `applepay`, `googlepay` or `run`.
    flow: String,
    step: String,
    attempt: u8,
    /// `http_200`, as reports spell it.
    name: String,
    /// `passed`, `warning` or `failed`.
    status: String,
    message: String,
    /// An index into the run's `exchanges`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exchange: Option<usize>,
    /// An index into the run's `navigations`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hops: Option<usize>,
}

fn save_message(message: &Message) -> SavedMessage {
    SavedMessage {
        headers: message.headers(),
        body: message.body().into_owned(),
        truncated: message.truncated,
    }
}

fn read_message(saved: SavedMessage) -> Message {
    Message::premasked(saved.headers, saved.body, saved.truncated)
}

fn save_exchange(exchange: &Exchange) -> SavedExchange {
    SavedExchange {
        method: exchange.method.clone(),
        url: exchange.url.clone(),
        request: save_message(&exchange.request),
        status: exchange.status,
        response: exchange.response.as_ref().map(save_message),
        error: exchange.error.as_ref().map(ToString::to_string),
        elapsed_ms: exchange.elapsed_ms,
    }
}

fn read_exchange(saved: SavedExchange) -> Exchange {
    Exchange {
        method: saved.method,
        url: saved.url,
        request: read_message(saved.request),
        status: saved.status,
        response: saved.response.map(read_message),
        // Only its text is shown once the run is over; `Transport`
        // displays as exactly that text.
        error: saved.error.map(OutboundError::Transport),
        elapsed_ms: saved.elapsed_ms,
    }
}

/// Indexes of shared evidence: each `Arc` once, in the order first judged.
struct Shared<T> {
    index: HashMap<*const (), usize>,
    saved: Vec<T>,
}

impl<T> Shared<T> {
    fn new() -> Self {
        Self {
            index: HashMap::new(),
            saved: Vec::new(),
        }
    }

    fn index_of(&mut self, key: *const (), save: impl FnOnce() -> T) -> usize {
        *self.index.entry(key).or_insert_with(|| {
            self.saved.push(save());
            self.saved.len() - 1
        })
    }
}

fn save_run(record: &RunRecord, report: &RunReport, progress: Vec<String>) -> SavedRun {
    let mut exchanges = Shared::new();
    let mut navigations = Shared::new();
    let checks = report
        .checks
        .iter()
        .map(|check| SavedCheck {
            flow: check.flow.to_owned(),
            step: check.step.clone(),
            attempt: check.attempt,
            name: check.name.as_str().to_owned(),
            status: check_status_word(check.status).to_owned(),
            message: check.message.clone(),
            exchange: check
                .evidence
                .exchange
                .as_ref()
                .map(|e| exchanges.index_of(Arc::as_ptr(e).cast(), || save_exchange(e))),
            hops: check.evidence.hops.as_ref().map(|hops| {
                navigations.index_of(Arc::as_ptr(hops).cast(), || {
                    hops.iter()
                        .map(|hop| SavedHop {
                            method: hop.method.clone(),
                            url: hop.url.clone(),
                            status: hop.status,
                            note: hop.note.clone(),
                            elapsed_ms: hop.elapsed_ms,
                        })
                        .collect()
                })
            }),
        })
        .collect();
    SavedRun {
        id: report.id.clone(),
        status: report.status.as_str().to_owned(),
        webhook: report.webhook.clone(),
        checkout: report.checkout.clone(),
        flows: report.flows.clone(),
        outcome: report.outcome,
        sync_url: report.sync_url.clone(),
        accepted_at: record.started_at,
        started_at: report.started_at,
        duration_ms: u64::try_from(report.duration_ms).unwrap_or(u64::MAX),
        needs_browser: report.needs_browser.as_ref().map(|wait| SavedWait {
            flow: wait.flow,
            url: wait.url.clone(),
        }),
        orders: report
            .orders
            .iter()
            .map(|order| SavedOrder {
                flow: order.flow,
                order_id: order.order_id.clone(),
                order_uuid: order.order_uuid.clone(),
                payment_ids: order.payment_ids.clone(),
                checkout: order.checkout.clone(),
            })
            .collect(),
        exchanges: exchanges.saved,
        navigations: navigations.saved,
        checks,
        progress,
    }
}

fn check_status_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Passed => "passed",
        CheckStatus::Warning => "warning",
        CheckStatus::Failed => "failed",
    }
}

/// A run id as `Engine::new_run_id` makes them (`run-` and hex digits).
fn is_run_id(id: &str) -> bool {
    id.strip_prefix("run-").is_some_and(|hex| {
        (1..=64).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// A saved run as the runs keep it, or what is wrong with it (`at`: its
/// path below the section, `runs[3]`).
fn read_run(saved: SavedRun, at: &str, fixture: &Fixture) -> Result<RunRecord, String> {
    if !is_run_id(&saved.id) {
        return Err(format!("{at}.id: {:?} is not a run id", saved.id));
    }
    let status = match saved.status.as_str() {
        "passed" => RunStatus::Passed,
        "failed" => RunStatus::Failed,
        "running" | "needs_browser" => {
            return Err(format!(
                "{at}.status: {:?}: a run in progress is not kept in a snapshot",
                saved.status
            ));
        }
        other => {
            return Err(format!(
                "{at}.status: {other:?} is not \"passed\" or \"failed\""
            ));
        }
    };
    // Empty: a run of the checkout webhooks only.
    let webhook = match saved.webhook.as_str() {
        "" => None,
        text => Some(
            reqwest::Url::parse(text)
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
                .ok_or_else(|| {
                    format!(
                        "{at}.webhook: {:?} is not an absolute http(s) URL",
                        saved.webhook
                    )
                })?,
        ),
    };
    if saved.progress.len() > PROGRESS_KEPT {
        return Err(format!(
            "{at}.progress: {} lines; a run keeps at most {PROGRESS_KEPT}",
            saved.progress.len()
        ));
    }
    let exchanges: Vec<Arc<Exchange>> = saved
        .exchanges
        .into_iter()
        .map(|e| Arc::new(read_exchange(e)))
        .collect();
    let navigations: Vec<Arc<[Hop]>> = saved
        .navigations
        .into_iter()
        .map(|hops| {
            hops.into_iter()
                .map(|hop| Hop {
                    method: hop.method,
                    url: hop.url,
                    status: hop.status,
                    note: hop.note,
                    elapsed_ms: hop.elapsed_ms,
                })
                .collect()
        })
        .collect();
    let mut checks = Vec::with_capacity(saved.checks.len());
    for (i, check) in saved.checks.into_iter().enumerate() {
        let at = format!("{at}.checks[{i}]");
        let flow: Scope = Flow::ALL
            .iter()
            .map(|f| f.as_str())
            .chain(["run"])
            .find(|scope| *scope == check.flow)
            .ok_or_else(|| {
                format!(
                    "{at}.flow: {:?} is not card, applepay, googlepay or run",
                    check.flow
                )
            })?;
        let name = CheckName::parse(&check.name)
            .ok_or_else(|| format!("{at}.name: {:?} is not a check's name", check.name))?;
        let status = match check.status.as_str() {
            "passed" => CheckStatus::Passed,
            "warning" => CheckStatus::Warning,
            "failed" => CheckStatus::Failed,
            other => {
                return Err(format!(
                    "{at}.status: {other:?} is not \"passed\", \"warning\" or \"failed\""
                ));
            }
        };
        let exchange = check
            .exchange
            .map(|n| {
                exchanges.get(n).cloned().ok_or_else(|| {
                    format!(
                        "{at}.exchange: {n} is not an index of the run's {} exchanges",
                        exchanges.len()
                    )
                })
            })
            .transpose()?;
        let hops = check
            .hops
            .map(|n| {
                navigations.get(n).cloned().ok_or_else(|| {
                    format!(
                        "{at}.hops: {n} is not an index of the run's {} navigations",
                        navigations.len()
                    )
                })
            })
            .transpose()?;
        checks.push(Check {
            flow,
            step: check.step,
            attempt: check.attempt,
            name,
            status,
            message: check.message,
            evidence: Evidence { exchange, hops },
        });
    }
    let failed = checks.iter().filter(|c| c.status.is_failure()).count();
    if (status == RunStatus::Passed) != (failed == 0) {
        return Err(format!(
            "{at}.status: {:?} with {failed} failed checks",
            saved.status
        ));
    }
    // What the run was asked beyond what its report shows is not kept
    // (the key is a credential): the fixture's, which nothing uses again.
    let options = RunOptions {
        webhook,
        key: fixture.api_key.clone(),
        flows: saved.flows,
        outcome: saved.outcome,
        timeout: Duration::from_millis(fixture.timeout_ms),
        order_id: None,
        order_uuid: None,
        pending_backoff: Vec::new(),
        sync_wait: Duration::from_millis(fixture.sync_wait_ms),
        web_view: WebViewMode::default(),
        // The report keeps the checkout webhooks (below), not the options.
        checkout: CheckoutUrls::default(),
        key_placement: fixture.checkout.key_placement,
        legal_entity: false,
    };
    let mut report = RunReport::new(
        &saved.id,
        &options,
        saved.started_at,
        Duration::from_millis(saved.duration_ms),
        checks,
        saved
            .orders
            .into_iter()
            .map(|order| OrderSummary {
                flow: order.flow,
                order_id: order.order_id,
                order_uuid: order.order_uuid,
                payment_ids: order.payment_ids,
                checkout: order.checkout,
            })
            .collect(),
        saved.sync_url,
    );
    report.status = status;
    report.checkout = saved.checkout;
    report.needs_browser = saved.needs_browser.map(|wait| BrowserWait {
        flow: wait.flow,
        url: wait.url,
    });
    Ok(RunRecord::finished(
        report,
        saved.accepted_at,
        options,
        saved.progress,
    ))
}

impl super::State {
    /// The section: every finished run, oldest first (runs in progress are
    /// left out, see the module's comment).
    pub fn snapshot_section(&self) -> serde_json::Value {
        let mut runs = self.runs.list();
        runs.reverse();
        let runs = runs
            .iter()
            .filter_map(|record| {
                let (report, progress) = record.final_report()?;
                Some(save_run(record, &report, progress))
            })
            .collect();
        serde_json::to_value(Section { runs }).unwrap_or(serde_json::Value::Null)
    }

    /// Reads and checks a section; the install stops the runs in progress
    /// and puts the section's in place. `Null` installs a reset.
    pub fn prepare_section(
        &self,
        section: &serde_json::Value,
    ) -> Result<Install<'_>, SnapshotError> {
        if section.is_null() {
            return Ok(Box::new(move || self.reset()));
        }
        let section: Section = read_section(PREFIX, section)?;
        let malformed = |m: String| SnapshotError::Malformed(format!("{PREFIX}.{m}"));
        if section.runs.len() > self.runs.capacity() {
            return Err(malformed(format!(
                "runs: {} runs; this instance keeps at most {} (the fixture's runs_kept)",
                section.runs.len(),
                self.runs.capacity()
            )));
        }
        let claims = self.core.ids.claims();
        let mut seen = BTreeSet::new();
        let mut runs = Vec::with_capacity(section.runs.len());
        for (index, saved) in section.runs.into_iter().enumerate() {
            if !seen.insert(saved.id.clone()) {
                return Err(malformed(format!(
                    "runs[{index}].id: {} appears twice",
                    saved.id
                )));
            }
            let holder = claims.directory().text_owner(addressee::RUN, &saved.id);
            if holder.is_some_and(|owner| owner != claims.owner()) {
                return Err(SnapshotError::Conflict(format!(
                    "run {} belongs to another workspace of this instance: restore this snapshot there, or into a fresh instance",
                    saved.id
                )));
            }
            runs.push(Arc::new(
                read_run(saved, &format!("runs[{index}]"), &self.fixture).map_err(malformed)?,
            ));
        }
        Ok(Box::new(move || {
            self.runs.replace(runs.clone());
            self.sync.clear();
            for record in &runs {
                claims.text(addressee::RUN, &record.id);
                self.remember_orders(record);
            }
        }))
    }

    /// Tells the sync board which run a finished run's orders and payments
    /// were (a late report for them is acknowledged).
    fn remember_orders(&self, record: &RunRecord) {
        if let Some((report, _)) = record.final_report() {
            for order in &report.orders {
                self.sync
                    .remember(&record.id, &order.order_id, &order.payment_ids);
            }
        }
    }
}

/// The kind of rows IMSHOP keeps in a data directory: one per finished run,
/// its body the run as a snapshot's `runs` holds it.
const RUNS: &str = "runs";

/// Durable state: the same rows a snapshot holds, one per finished run.
/// IMSHOP keeps no head: run ids come from the core's generator (and the
/// ids loaded are claimed, so none is drawn twice), and the sync board is
/// rebuilt from the runs' orders, as a restore rebuilds it.
impl super::State {
    pub fn track_durable_changes(&self) {
        self.runs.track_changes();
    }

    /// Each run that finished (`Saved`) or was dropped (`Removed`) since
    /// the last call, after a `Cleared` when every run was dropped first.
    /// A run in progress gives nothing. Serialised outside the runs' lock.
    pub fn take_durable_changes(&self, out: &mut Vec<ObjectChange>) {
        let changes = self.runs.take_changes();
        let rows = changes
            .runs
            .into_iter()
            .filter_map(|(id, record)| match record {
                None => Some((id, None)),
                // A run in progress gives no row.
                Some(record) => {
                    let (report, progress) = record.final_report()?;
                    Some((id, Some(to_json(&save_run(&record, &report, progress)))))
                }
            });
        ObjectChange::push_rows(out, RUNS, changes.cleared, rows);
    }

    /// Loads one row [`Self::take_durable_changes`] wrote: read and checked
    /// as a snapshot's run is, its id claimed again and its orders given
    /// back to the sync board, as a restore does.
    pub fn load_durable_object(&self, kind: &str, id: &str, body: &str) -> Result<(), String> {
        if kind != RUNS {
            return Err(format!("imshop keeps no {kind}"));
        }
        let saved: SavedRun = serde_json::from_str(body).map_err(|e| e.to_string())?;
        if saved.id != id {
            return Err(format!("the row of {id} holds run {}", saved.id));
        }
        let record = read_run(saved, "run", &self.fixture)?;
        let claims = self.core.ids.claims();
        if !claims.text(addressee::RUN, &record.id) {
            return Err(format!(
                "run {id} belongs to another workspace of this instance"
            ));
        }
        self.remember_orders(&record);
        self.runs.load(Arc::new(record));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Settings;
    use crate::core::cards::CardsFixture;
    use crate::core::clock::{Clock, SystemTime};
    use crate::core::directory::Claims;
    use crate::core::fixtures::FixtureFile;
    use crate::core::ids::Ids;
    use crate::core::{Commons, Core, PublicUrl};
    use crate::providers::imshop::State;
    use crate::providers::imshop::options::{FlowChoice, RunRequest};

    fn state_on(claims: Claims) -> State {
        let settings = Settings::default();
        let core = Core::new(
            &settings,
            Clock::new(Arc::new(SystemTime)),
            Ids::claiming(1, claims),
            &Commons::new(&settings),
            PublicUrl::new("http://127.0.0.1:1"),
            Arc::new(CardsFixture::builtin()),
        );
        State::new(core, Arc::new(Fixture::builtin()))
    }

    fn state() -> State {
        state_on(Claims::standalone())
    }

    fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    }

    fn check(
        flow: Scope,
        step: &str,
        name: CheckName,
        status: CheckStatus,
        evidence: Evidence,
    ) -> Check {
        Check {
            flow,
            step: step.to_owned(),
            attempt: 1,
            name,
            status,
            message: format!("{name} {}", check_status_word(status)),
            evidence,
        }
    }

    /// A finished card run: two checks share `create`'s answer (its key
    /// masked), one judged the web view, and the unknown-payment probe
    /// failed for want of an answer.
    fn finished_run(id: &str) -> Arc<RunRecord> {
        let create = Arc::new(Exchange {
            method: "POST".to_owned(),
            url: "http://127.0.0.1:1/pay".to_owned(),
            request: Message::capture(
                [("authorization", "Bearer sandbox-imshop-key")],
                Some("application/json"),
                br#"{"command":"create","orderId":"48213377","token":"sandbox-imshop-token-1"}"#,
                4096,
            ),
            status: Some(200),
            response: Some(Message::capture(
                [],
                Some("application/json"),
                br#"{"success":true,"paymentId":"1000"}"#,
                4096,
            )),
            error: None,
            elapsed_ms: 12.5,
        });
        let probe = Arc::new(Exchange {
            method: "POST".to_owned(),
            url: "http://127.0.0.1:1/pay".to_owned(),
            request: Message::capture([], None, b"{\"command\":\"capture\"}", 4096),
            status: None,
            response: None,
            error: Some(OutboundError::Refused),
            elapsed_ms: 0.25,
        });
        let hops: Arc<[Hop]> = Arc::from(vec![Hop {
            method: "GET".to_owned(),
            url: "http://127.0.0.1:1/softline/form/abc".to_owned(),
            status: Some(302),
            note: "redirect to the return URL".to_owned(),
            elapsed_ms: 3.0,
        }]);
        let checks = vec![
            check(
                "card",
                "create",
                CheckName::Http200,
                CheckStatus::Passed,
                Evidence::exchange(&create),
            ),
            check(
                "card",
                "create",
                CheckName::ErrorText,
                CheckStatus::Warning,
                Evidence::exchange(&create),
            ),
            check(
                "card",
                "web_view",
                CheckName::RedirectMatched,
                CheckStatus::Passed,
                Evidence::hops(&hops),
            ),
            check(
                "run",
                "unknown_capture",
                CheckName::AnsweredInTime,
                CheckStatus::Failed,
                Evidence::exchange(&probe),
            ),
        ];
        let request = RunRequest {
            webhook: "http://127.0.0.1:1/pay".to_owned(),
            flow: Some(FlowChoice::Card),
            ..RunRequest::default()
        };
        let options = RunOptions::parse(request, &Fixture::builtin()).unwrap();
        let orders = vec![OrderSummary {
            flow: Flow::Card,
            order_id: "48213377".to_owned(),
            order_uuid: "4f1c2a8e-0000-4000-8000-000000000001".to_owned(),
            payment_ids: vec!["1000".to_owned()],
            checkout: None,
        }];
        let mut report = RunReport::new(
            id,
            &options,
            at("2026-12-05T15:00:00.000123Z"),
            Duration::from_millis(412),
            checks,
            orders,
            "http://127.0.0.1:1/imshop/sync".to_owned(),
        );
        report.needs_browser = Some(BrowserWait {
            flow: Flow::Card,
            url: "http://127.0.0.1:1/softline/form/abc".to_owned(),
        });
        let lines = vec![
            format!("run: run {id}: card against http://127.0.0.1:1/pay (outcome success)"),
            "card: create → POST http://127.0.0.1:1/pay".to_owned(),
        ];
        Arc::new(RunRecord::finished(
            report,
            at("2026-12-05T15:00:00Z"),
            options,
            lines,
        ))
    }

    /// Everything a person or a CI job sees of a run.
    fn seen(state: &State, id: &str) -> (serde_json::Value, String, String, OffsetDateTime) {
        let record = state.runs.get(id).expect("the run is kept");
        let (report, _) = record.final_report().expect("the run is finished");
        (
            serde_json::to_value(record.view()).unwrap(),
            report.to_text(),
            report.to_junit(),
            record.started_at,
        )
    }

    fn restore(state: &State, section: &serde_json::Value) -> Result<(), SnapshotError> {
        let install = state.prepare_section(section)?;
        install();
        Ok(())
    }

    #[test]
    fn a_finished_run_comes_back_with_its_whole_report_progress_and_evidence() {
        // Arrange
        let taken = state();
        taken.runs.replace(vec![finished_run("run-0123456789ab")]);
        let before = seen(&taken, "run-0123456789ab");
        let section = taken.snapshot_section();
        let restored = state();

        // Act
        restore(&restored, &section).unwrap();

        // Assert
        assert_eq!(seen(&restored, "run-0123456789ab"), before);
        assert_eq!(
            restored.snapshot_section(),
            section,
            "taken again, the same"
        );
        let saved = &section["runs"][0];
        assert_eq!(saved["exchanges"].as_array().unwrap().len(), 2, "{saved}");
        assert_eq!(
            saved["exchanges"][0]["request"]["headers"],
            json!([
                ["authorization", "Bearer ****-key"],
                ["content-type", "application/json"]
            ]),
            "secrets are kept masked"
        );
        assert_eq!(saved["exchanges"][1]["error"], "connection refused");
        let evidence: Vec<_> = saved["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["exchange"].clone(), c["hops"].clone()))
            .collect();
        assert_eq!(
            evidence,
            [
                (json!(0), json!(null)),
                (json!(0), json!(null)),
                (json!(null), json!(0)),
                (json!(1), json!(null)),
            ]
        );
    }

    #[tokio::test]
    async fn a_run_in_progress_is_left_out_and_a_restore_stops_the_live_one() {
        // Arrange: a run that has not begun yet (its task waits for this
        // test to yield).
        let state = state();
        state.runs.replace(vec![finished_run("run-0123456789ab")]);
        let request = RunRequest {
            webhook: "http://127.0.0.1:1/pay".to_owned(),
            ..RunRequest::default()
        };
        let options = RunOptions::parse(request, &state.fixture).unwrap();
        let running = state.runs.start(&state.engine, options).unwrap();
        assert_eq!(running.status(), RunStatus::Running);

        // Act
        let section = state.snapshot_section();
        restore(&state, &section).unwrap();

        // Assert
        let ids: Vec<&str> = section["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["run-0123456789ab"]);
        assert!(state.runs.get(&running.id).is_none());
        let kept: Vec<String> = state.runs.list().iter().map(|r| r.id.clone()).collect();
        assert_eq!(kept, ["run-0123456789ab"]);
    }

    #[test]
    fn a_malformed_field_is_refused_with_its_path_and_nothing_changes() {
        let taken = state();
        taken.runs.replace(vec![finished_run("run-0123456789ab")]);
        let good = taken.snapshot_section();
        let cases: [(&str, serde_json::Value, &str); 7] = [
            (
                "/runs/0/checks/1/name",
                json!("http_201"),
                "providers.imshop.runs[0].checks[1].name: \"http_201\" is not a check's name",
            ),
            (
                "/runs/0/checks/3/exchange",
                json!(9),
                "providers.imshop.runs[0].checks[3].exchange: 9 is not an index of the run's 2 exchanges",
            ),
            (
                "/runs/0/status",
                json!("running"),
                "providers.imshop.runs[0].status: \"running\": a run in progress is not kept in a snapshot",
            ),
            (
                "/runs/0/status",
                json!("passed"),
                "providers.imshop.runs[0].status: \"passed\" with 1 failed checks",
            ),
            (
                "/runs/0/id",
                json!("../x"),
                "providers.imshop.runs[0].id: \"../x\" is not a run id",
            ),
            (
                "/runs/0/webhook",
                json!("ftp://x/y"),
                "providers.imshop.runs[0].webhook: \"ftp://x/y\" is not an absolute http(s) URL",
            ),
            (
                "/runs/0/flows/0",
                json!("paypal"),
                "providers.imshop.runs[0].flows[0]: unknown variant `paypal`, expected one of `card`, `applepay`, `googlepay`",
            ),
        ];
        for (pointer, value, message) in cases {
            // Arrange
            let live = state();
            live.runs.replace(vec![finished_run("run-00000000000a")]);
            let before = seen(&live, "run-00000000000a");
            let mut section = good.clone();
            *section.pointer_mut(pointer).unwrap() = value;

            // Act
            let error = live.prepare_section(&section).map(|_| ()).unwrap_err();

            // Assert
            assert_eq!(
                error.to_string(),
                format!("not a snapshot document: {message}"),
                "{pointer}"
            );
            assert_eq!(seen(&live, "run-00000000000a"), before, "{pointer}");
            assert!(live.runs.get("run-0123456789ab").is_none(), "{pointer}");
        }
    }

    #[test]
    fn an_unknown_field_is_refused_with_its_path() {
        let taken = state();
        taken.runs.replace(vec![finished_run("run-0123456789ab")]);
        let mut section = taken.snapshot_section();
        section["runs"][0]["checks"][0]["colour"] = json!("red");

        let error = state().prepare_section(&section).map(|_| ()).unwrap_err();

        assert_eq!(
            error.to_string(),
            "not a snapshot document: providers.imshop.runs[0].checks[0].colour: unknown field `colour`, expected one of `flow`, `step`, `attempt`, `name`, `status`, `message`, `exchange`, `hops`"
        );
    }

    #[test]
    fn a_null_section_resets() {
        let state = state();
        state.runs.replace(vec![finished_run("run-0123456789ab")]);

        restore(&state, &serde_json::Value::Null).unwrap();

        assert!(state.runs.is_empty());
        assert_eq!(state.snapshot_section(), json!({"runs": []}));
    }

    #[test]
    fn a_run_id_another_workspace_holds_is_a_conflict_and_restored_ids_are_claimed() {
        // Arrange: two workspaces of one instance.
        let directory = Arc::new(crate::core::directory::Directory::default());
        let here = state_on(Claims::new(Arc::clone(&directory), 1));
        let there = state_on(Claims::new(Arc::clone(&directory), 2));
        here.runs.replace(vec![finished_run("run-0123456789ab")]);
        let section = here.snapshot_section();
        assert!(
            there
                .core
                .ids
                .claims()
                .text(addressee::RUN, "run-0123456789ab")
        );

        // Act
        let error = here.prepare_section(&section).map(|_| ()).unwrap_err();
        let fresh = state_on(Claims::new(Arc::clone(&directory), 3));
        let mut other = section.clone();
        other["runs"][0]["id"] = json!("run-00000000000b");
        restore(&fresh, &other).unwrap();

        // Assert
        assert!(matches!(error, SnapshotError::Conflict(_)), "{error}");
        assert_eq!(
            error.to_string(),
            "run run-0123456789ab belongs to another workspace of this instance: restore this snapshot there, or into a fresh instance"
        );
        assert_eq!(
            directory.text_owner(addressee::RUN, "run-00000000000b"),
            Some(3)
        );
    }

    #[test]
    fn more_runs_than_the_instance_keeps_are_refused() {
        let state = state();
        let capacity = state.runs.capacity();
        let run = state_with_one_run_section();
        let runs: Vec<_> = (0..=capacity)
            .map(|n| {
                let mut run = run.clone();
                run["id"] = json!(format!("run-{n:012x}"));
                run
            })
            .collect();

        let error = state
            .prepare_section(&json!({ "runs": runs }))
            .map(|_| ())
            .unwrap_err();

        assert_eq!(
            error.to_string(),
            format!(
                "not a snapshot document: providers.imshop.runs: {} runs; this instance keeps at most {capacity} (the fixture's runs_kept)",
                capacity + 1
            )
        );
    }

    /// A tracked workspace keeping at most `runs_kept` runs.
    fn tracked(runs_kept: usize) -> State {
        let mut fixture = Fixture::builtin();
        fixture.runs_kept = runs_kept;
        let settings = Settings::default();
        let core = Core::new(
            &settings,
            Clock::new(Arc::new(SystemTime)),
            Ids::claiming(1, Claims::standalone()),
            &Commons::new(&settings),
            PublicUrl::new("http://127.0.0.1:1"),
            Arc::new(CardsFixture::builtin()),
        );
        let state = State::new(core, Arc::new(fixture));
        state.track_durable_changes();
        state
    }

    fn taken(state: &State) -> Vec<ObjectChange> {
        let mut out = Vec::new();
        state.take_durable_changes(&mut out);
        out
    }

    /// A run against a port nobody listens on: it fails at once.
    fn start_refused(state: &State) -> Arc<RunRecord> {
        let request = RunRequest {
            webhook: "http://127.0.0.1:1/pay".to_owned(),
            flow: Some(FlowChoice::Card),
            ..RunRequest::default()
        };
        let options = RunOptions::parse(request, &state.fixture).unwrap();
        state.runs.start(&state.engine, options).unwrap()
    }

    #[tokio::test]
    async fn a_run_that_finishes_gives_one_saved_row_that_reads_back_identical() {
        // Arrange
        let live = tracked(10);
        let run = start_refused(&live);
        for _ in 0..500 {
            if run.status().is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(run.status().is_finished(), "the run finished");
        // The task notes the run just after it finishes.
        let mut rows = taken(&live);
        for _ in 0..50 {
            if !rows.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            rows = taken(&live);
        }

        // Act
        let restarted = state();
        for row in &rows {
            let ObjectChange::Saved { kind, id, body } = row else {
                panic!("{row:?}");
            };
            restarted.load_durable_object(kind, id, body).unwrap();
        }

        // Assert
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            matches!(&rows[0], ObjectChange::Saved { kind: "runs", id, .. } if *id == run.id),
            "{rows:?}"
        );
        assert_eq!(seen(&restarted, &run.id), seen(&live, &run.id));
        assert_eq!(restarted.snapshot_section(), live.snapshot_section());
        assert!(taken(&live).is_empty(), "taken once");
    }

    #[tokio::test]
    async fn a_run_in_progress_gives_no_row() {
        // Arrange
        let state = tracked(10);

        // Act: its task has not even begun (this test has not yielded).
        let run = start_refused(&state);

        // Assert
        assert_eq!(run.status(), RunStatus::Running);
        assert_eq!(taken(&state), []);
    }

    #[tokio::test]
    async fn a_finished_run_dropped_to_make_room_gives_a_removed_row() {
        // Arrange
        let state = tracked(1);
        state.runs.replace(vec![finished_run("run-0123456789ab")]);
        taken(&state);

        // Act
        start_refused(&state);

        // Assert
        assert_eq!(
            taken(&state),
            [ObjectChange::Removed {
                kind: "runs",
                id: "run-0123456789ab".to_owned()
            }]
        );
    }

    #[test]
    fn a_reset_gives_a_cleared_row_and_a_restore_a_cleared_row_then_each_run() {
        // Arrange
        let state = tracked(10);
        let section = {
            let other = state_on(Claims::standalone());
            other.runs.replace(vec![finished_run("run-0123456789ab")]);
            other.snapshot_section()
        };

        // Act
        state.reset();
        let after_reset = taken(&state);
        restore(&state, &section).unwrap();
        let after_restore = taken(&state);

        // Assert
        assert_eq!(after_reset, [ObjectChange::Cleared { kind: "runs" }]);
        assert_eq!(after_restore.len(), 2, "{after_restore:?}");
        assert_eq!(after_restore[0], ObjectChange::Cleared { kind: "runs" });
        let ObjectChange::Saved { kind, id, body } = &after_restore[1] else {
            panic!("{after_restore:?}");
        };
        assert_eq!((*kind, id.as_str()), ("runs", "run-0123456789ab"));
        let row: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(row, section["runs"][0], "the snapshot's row");
    }

    #[test]
    fn an_untracked_workspace_gives_no_rows() {
        let state = state();
        state.runs.replace(vec![finished_run("run-0123456789ab")]);
        state.reset();

        assert_eq!(taken(&state), []);
    }

    #[test]
    fn rows_read_back_in_any_order_are_kept_in_the_order_the_runs_were_accepted() {
        // Arrange: two runs, the older with the larger id.
        let older = finished_run("run-00000000000b");
        let newer = {
            let saved = state_with_one_run_section();
            let mut saved = saved;
            saved["id"] = json!("run-00000000000a");
            saved["accepted_at"] = json!("2026-12-05T16:00:00Z");
            saved
        };
        let rows = [
            ("run-00000000000a".to_owned(), newer.to_string()),
            (
                "run-00000000000b".to_owned(),
                serde_json::to_string(&save_run(
                    &older,
                    &older.final_report().unwrap().0,
                    older.final_report().unwrap().1,
                ))
                .unwrap(),
            ),
        ];
        let restarted = state();

        // Act
        for (id, body) in &rows {
            restarted.load_durable_object("runs", id, body).unwrap();
        }

        // Assert
        let listed: Vec<String> = restarted.runs.list().iter().map(|r| r.id.clone()).collect();
        assert_eq!(
            listed,
            ["run-00000000000a", "run-00000000000b"],
            "newest first"
        );
    }

    #[test]
    fn a_time_in_fractions_of_a_millisecond_reads_back_exactly() {
        // Arrange: a time as measured, whose shortest form has 17 digits;
        // serde_json's fast float parser reads it one ulp off.
        let mut row = state_with_one_run_section();
        row["exchanges"][1]["elapsed_ms"] = json!(0.172_470_999_999_999_99);
        let restarted = state();

        // Act
        restarted
            .load_durable_object("runs", "run-0123456789ab", &row.to_string())
            .unwrap();

        // Assert
        assert_eq!(restarted.snapshot_section()["runs"][0], row);
    }

    #[test]
    fn a_row_that_does_not_read_back_is_refused_naming_what_is_wrong() {
        let row = state_with_one_run_section();
        let mut running = row.clone();
        running["status"] = json!("running");
        let cases = [
            (
                "runs",
                "run-0123456789ab",
                running.to_string(),
                "run.status: \"running\": a run in progress is not kept in a snapshot",
            ),
            (
                "runs",
                "run-00000000000f",
                row.to_string(),
                "the row of run-00000000000f holds run run-0123456789ab",
            ),
            ("inboxes", "x", "{}".to_owned(), "imshop keeps no inboxes"),
        ];
        for (kind, id, body, message) in cases {
            let state = state();

            let error = state.load_durable_object(kind, id, &body).unwrap_err();

            assert_eq!(error, message, "{kind} {id}");
            assert!(state.runs.is_empty(), "{kind} {id}");
        }
    }

    fn state_with_one_run_section() -> serde_json::Value {
        let taken = state();
        taken.runs.replace(vec![finished_run("run-0123456789ab")]);
        taken.snapshot_section()["runs"][0].clone()
    }
}
