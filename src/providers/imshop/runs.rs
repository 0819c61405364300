//! Runs started over HTTP: each runs in a tokio task and is kept, bounded,
//! so `GET /imshop/runs/{id}` can show it while it goes and after.
//!
//! A run record is the engine's [`Observer`] (it collects checks and
//! progress lines) and its [`Browser`] (it waits for a person to submit the
//! final URL of a page the engine could not drive).
//!
//! With durable state (`--data-dir`) the runs note which of them changed
//! ([`Runs::track_changes`]), under their own lock: a run that finished, a
//! finished run dropped to make room, and a clear or a replace (a reset, a
//! restore). A finished run is written as the row a snapshot holds for it
//! (see `snapshot`). A run in progress is never written: it is a task
//! calling the merchant or waiting for a person, which cannot resume in
//! another process, so after a restart it is simply absent (neither listed
//! nor found), as it is from a snapshot.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::checks::{Check, CheckStatus, Scope, Tally};
use super::engine::{Browser, Engine, Observer};
use super::options::{Flow, Outcome, RunOptions};
use super::report::{BrowserWait, CheckoutWebhooks, OrderSummary, RunReport, RunStatus};
use crate::core::store::Changes;

/// Progress lines a run keeps (the newest).
pub const PROGRESS_KEPT: usize = 500;

/// What a run has done so far.
#[derive(Debug)]
struct Progress {
    status: RunStatus,
    checks: Vec<Check>,
    lines: VecDeque<String>,
    waiting: Option<(BrowserWait, Option<oneshot::Sender<String>>)>,
    report: Option<Arc<RunReport>>,
}

/// One run.
#[derive(Debug)]
pub struct RunRecord {
    pub id: String,
    pub options: RunOptions,
    pub started_at: OffsetDateTime,
    started: Instant,
    sync_url: String,
    browser_wait: Duration,
    /// A std mutex: the engine's callbacks lock briefly and never await.
    progress: Mutex<Progress>,
    task: Mutex<Option<AbortHandle>>,
}

/// A run as the API shows it: the report so far (or the final one) and
/// its progress lines.
#[derive(Debug, Serialize)]
pub struct RunView {
    #[serde(flatten)]
    pub report: Arc<RunReport>,
    pub progress: Vec<String>,
}

/// A run as the OpenAPI document describes it (the shape [`RunView`]
/// serialises to: the report's fields and `progress`).
#[derive(utoipa::ToSchema)]
#[schema(as = ImshopRun)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct RunViewSchema {
    id: String,
    status: RunStatus,
    /// The payments webhook called (empty: the checkout webhooks only).
    webhook: String,
    /// The checkout webhooks the run called before each payment.
    checkout: Option<CheckoutWebhooks>,
    flows: Vec<Flow>,
    outcome: Outcome,
    /// Where merchants that answer `pending` report the final status.
    sync_url: String,
    /// RFC 3339.
    started_at: String,
    duration_ms: u64,
    summary: Tally,
    /// While the run waits: the page a person must finish; in a finished
    /// report, the first page nobody finished.
    #[schema(required = true)]
    needs_browser: Option<BrowserWait>,
    orders: Vec<OrderSummary>,
    checks: Vec<CheckView>,
    /// What the run did so far, one line each.
    progress: Vec<String>,
}

/// One check of a run as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
#[schema(as = ImshopCheck)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct CheckView {
    flow: String,
    /// The call or stage it judged (`create`, `web_view`, `capture`…).
    step: String,
    /// 1, or 2 after the merchant asked for a retry.
    attempt: u8,
    /// `http_200`, `success_boolean`… (`docs/imshop.md` lists them).
    name: String,
    status: CheckStatus,
    /// What was expected and what was found, in one line.
    message: String,
    /// The exchange (`exchange`) or the redirects (`hops`) it judged.
    #[schema(value_type = Object)]
    evidence: serde_json::Value,
}

impl RunRecord {
    fn new(id: String, options: RunOptions, engine: &Engine) -> Self {
        Self {
            id,
            options,
            started_at: engine.core.clock.now(),
            started: Instant::now(),
            sync_url: engine.sync_url(),
            browser_wait: Duration::from_millis(engine.fixture.browser_wait_ms),
            progress: Mutex::new(Progress {
                status: RunStatus::Running,
                checks: Vec::new(),
                lines: VecDeque::new(),
                waiting: None,
                report: None,
            }),
            task: Mutex::new(None),
        }
    }

    /// A finished run as a snapshot kept it: its report and progress lines
    /// (`started_at` is when the runs API accepted it, which the runs list
    /// shows). Nothing runs it again.
    pub fn finished(
        report: RunReport,
        started_at: OffsetDateTime,
        options: RunOptions,
        lines: Vec<String>,
    ) -> Self {
        Self {
            id: report.id.clone(),
            options,
            started_at,
            started: Instant::now(),
            sync_url: report.sync_url.clone(),
            browser_wait: Duration::ZERO,
            progress: Mutex::new(Progress {
                status: report.status,
                checks: Vec::new(),
                lines: lines.into(),
                waiting: None,
                report: Some(Arc::new(report)),
            }),
            task: Mutex::new(None),
        }
    }

    /// The final report and the progress lines, once the run finished.
    pub fn final_report(&self) -> Option<(Arc<RunReport>, Vec<String>)> {
        let progress = self.progress.lock().unwrap();
        let report = Arc::clone(progress.report.as_ref()?);
        Some((report, progress.lines.iter().cloned().collect()))
    }

    pub fn status(&self) -> RunStatus {
        self.progress.lock().unwrap().status
    }

    /// The run as it stands.
    pub fn view(&self) -> RunView {
        let progress = self.progress.lock().unwrap();
        let report = match &progress.report {
            Some(report) => Arc::clone(report),
            None => {
                let mut report = RunReport::new(
                    &self.id,
                    &self.options,
                    self.started_at,
                    self.started.elapsed(),
                    progress.checks.clone(),
                    Vec::new(),
                    self.sync_url.clone(),
                );
                report.status = progress.status;
                report.needs_browser = progress.waiting.as_ref().map(|(wait, _)| wait.clone());
                Arc::new(report)
            }
        };
        RunView {
            report,
            progress: progress.lines.iter().cloned().collect(),
        }
    }

    /// Counts for listings.
    pub fn tally(&self) -> Tally {
        let progress = self.progress.lock().unwrap();
        match &progress.report {
            Some(report) => report.summary,
            None => Tally::of(&progress.checks),
        }
    }

    fn finish(&self, report: RunReport) {
        let mut progress = self.progress.lock().unwrap();
        progress.status = report.status;
        progress.waiting = None;
        progress.report = Some(Arc::new(report));
    }

    /// Hands the final URL to the run waiting for it.
    pub fn submit_final_url(&self, url: String) -> Result<(), String> {
        let mut progress = self.progress.lock().unwrap();
        match progress
            .waiting
            .as_mut()
            .and_then(|(_, sender)| sender.take())
        {
            Some(sender) => sender
                .send(url)
                .map_err(|_| "the run stopped waiting for a browser".to_owned()),
            None => Err(format!(
                "run {} is not waiting for a browser (status {})",
                self.id,
                progress.status.as_str()
            )),
        }
    }

    fn abort(&self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

impl Observer for RunRecord {
    fn progress(&self, flow: Scope, line: &str) {
        let mut progress = self.progress.lock().unwrap();
        if progress.lines.len() >= PROGRESS_KEPT {
            progress.lines.pop_front();
        }
        progress.lines.push_back(format!("{flow}: {line}"));
    }

    fn check(&self, check: &Check) {
        self.progress.lock().unwrap().checks.push(check.clone());
    }
}

impl Browser for RunRecord {
    fn finish<'a>(&'a self, flow: Flow, page_url: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let (sender, receiver) = oneshot::channel();
            {
                let mut progress = self.progress.lock().unwrap();
                progress.status = RunStatus::NeedsBrowser;
                progress.waiting = Some((
                    BrowserWait {
                        flow,
                        url: page_url.to_owned(),
                    },
                    Some(sender),
                ));
            }
            let url = tokio::time::timeout(self.browser_wait, receiver)
                .await
                .ok()
                .and_then(Result::ok);
            let mut progress = self.progress.lock().unwrap();
            progress.status = RunStatus::Running;
            progress.waiting = None;
            url
        })
    }
}

/// The runs kept, oldest first. Cloning shares them.
#[derive(Clone, Debug)]
pub struct Runs {
    /// A std mutex: insert, find and list lock briefly and never await.
    kept: Arc<Mutex<Kept>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Kept {
    runs: VecDeque<Arc<RunRecord>>,
    /// `Some` once changes are tracked (durable state): the ids of runs
    /// that finished or were dropped since the changes were last taken.
    changes: Option<Changes<String>>,
}

impl Kept {
    fn note(&mut self, id: &str) {
        if let Some(changes) = &mut self.changes {
            changes.keys.insert(id.to_owned());
        }
    }
}

/// What changed in the runs since the changes were last taken.
#[derive(Debug, Default)]
pub struct RunChanges {
    /// Every run was dropped first (a reset, a restore).
    pub cleared: bool,
    /// Each run noted (after the clear, if any), with its record when it
    /// is still kept.
    pub runs: Vec<(String, Option<Arc<RunRecord>>)>,
}

impl Runs {
    pub fn new(capacity: usize) -> Self {
        Self {
            kept: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// Starts a run in the background. Refused when every slot holds a
    /// run in progress.
    pub fn start(&self, engine: &Engine, options: RunOptions) -> Result<Arc<RunRecord>, String> {
        let record = Arc::new(RunRecord::new(engine.new_run_id(), options, engine));
        {
            let mut kept = self.kept.lock().unwrap();
            if kept.runs.len() >= self.capacity {
                match kept.runs.iter().position(|r| r.status().is_finished()) {
                    Some(oldest_finished) => {
                        if let Some(dropped) = kept.runs.remove(oldest_finished) {
                            kept.note(&dropped.id);
                        }
                    }
                    None => {
                        return Err(format!(
                            "{} runs are in progress; wait for one to finish",
                            kept.runs.len()
                        ));
                    }
                }
            }
            kept.runs.push_back(Arc::clone(&record));
        }
        let task = tokio::spawn({
            let engine = engine.clone();
            let record = Arc::clone(&record);
            let runs = self.clone();
            async move {
                let report = engine
                    .run(&record.id, &record.options, &*record, &*record)
                    .await;
                tracing::info!(run = %record.id, status = report.status.as_str(), "IMSHOP run finished");
                runs.finish(&record, report);
            }
        });
        *record.task.lock().unwrap() = Some(task.abort_handle());
        Ok(record)
    }

    /// Puts the final report in place, and notes the run as changed if it
    /// is still kept (a reset may have dropped it meanwhile). The record's
    /// lock is let go before the runs' is taken.
    fn finish(&self, record: &Arc<RunRecord>, report: RunReport) {
        record.finish(report);
        let mut kept = self.kept.lock().unwrap();
        if kept.changes.is_some() && kept.runs.iter().any(|r| Arc::ptr_eq(r, record)) {
            kept.note(&record.id);
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<RunRecord>> {
        self.kept
            .lock()
            .unwrap()
            .runs
            .iter()
            .find(|r| r.id == id)
            .cloned()
    }

    /// Runs kept, in any state (metrics).
    pub fn len(&self) -> usize {
        self.kept.lock().unwrap().runs.len()
    }

    /// Whether no run is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Most runs kept (the fixture's `runs_kept`).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Every run kept, newest first.
    pub fn list(&self) -> Vec<Arc<RunRecord>> {
        self.kept
            .lock()
            .unwrap()
            .runs
            .iter()
            .rev()
            .cloned()
            .collect()
    }

    /// Stops and forgets every run.
    pub fn clear(&self) {
        self.replace(Vec::new());
    }

    /// Stops and forgets every run, and keeps `runs` (oldest first)
    /// instead.
    pub fn replace(&self, runs: Vec<Arc<RunRecord>>) {
        let gone: Vec<Arc<RunRecord>> = {
            let mut kept = self.kept.lock().unwrap();
            if let Some(changes) = &mut kept.changes {
                *changes = Changes {
                    cleared: true,
                    keys: runs.iter().map(|r| r.id.clone()).collect(),
                };
            }
            std::mem::replace(&mut kept.runs, runs.into()).into()
        };
        for run in gone {
            run.abort();
        }
    }

    /// Keeps a finished run read back from a data directory, in the order
    /// the runs API accepted it (rows come back in no particular order).
    /// Beyond the capacity (a smaller `runs_kept` than when they were
    /// written) the oldest is dropped, and noted so its row goes too.
    pub fn load(&self, record: Arc<RunRecord>) {
        let mut kept = self.kept.lock().unwrap();
        if let Some(same) = kept.runs.iter().position(|r| r.id == record.id) {
            kept.runs.remove(same);
        }
        let at = kept
            .runs
            .partition_point(|r| r.started_at <= record.started_at);
        kept.runs.insert(at, record);
        while kept.runs.len() > self.capacity {
            if let Some(oldest) = kept.runs.pop_front() {
                kept.changes
                    .get_or_insert_with(Changes::default)
                    .keys
                    .insert(oldest.id.clone());
            }
        }
    }

    /// From now on, notes every run that finishes or is dropped (durable
    /// state).
    pub fn track_changes(&self) {
        self.kept
            .lock()
            .unwrap()
            .changes
            .get_or_insert_with(Changes::default);
    }

    /// What changed since the last call (nothing when untracked). Cheap
    /// when nothing did: every request asks.
    pub fn take_changes(&self) -> RunChanges {
        let mut kept = self.kept.lock().unwrap();
        let Some(changes) = kept.changes.as_mut().map(std::mem::take) else {
            return RunChanges::default();
        };
        let runs = changes
            .keys
            .into_iter()
            .map(|id| {
                let record = kept.runs.iter().find(|r| r.id == id).cloned();
                (id, record)
            })
            .collect();
        RunChanges {
            cleared: changes.cleared,
            runs,
        }
    }
}
