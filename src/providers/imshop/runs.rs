//! Runs started over HTTP: each runs in a tokio task and is kept, bounded,
//! so `GET /imshop/runs/{id}` can show it while it goes and after.
//!
//! A run record is the engine's [`Observer`] (it collects checks and
//! progress lines) and its [`Browser`] (it waits for a person to submit the
//! final URL of a page the engine could not drive).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::checks::{Check, Scope, Tally};
use super::engine::{Browser, Engine, Observer};
use super::options::{Flow, RunOptions};
use super::report::{BrowserWait, RunReport, RunStatus};

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
    runs: Arc<Mutex<VecDeque<Arc<RunRecord>>>>,
    capacity: usize,
}

impl Runs {
    pub fn new(capacity: usize) -> Self {
        Self {
            runs: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// Starts a run in the background. Refused when every slot holds a
    /// run in progress.
    pub fn start(&self, engine: &Engine, options: RunOptions) -> Result<Arc<RunRecord>, String> {
        let record = Arc::new(RunRecord::new(engine.new_run_id(), options, engine));
        {
            let mut runs = self.runs.lock().unwrap();
            if runs.len() >= self.capacity {
                match runs.iter().position(|r| r.status().is_finished()) {
                    Some(oldest_finished) => {
                        runs.remove(oldest_finished);
                    }
                    None => {
                        return Err(format!(
                            "{} runs are in progress; wait for one to finish",
                            runs.len()
                        ));
                    }
                }
            }
            runs.push_back(Arc::clone(&record));
        }
        let task = tokio::spawn({
            let engine = engine.clone();
            let record = Arc::clone(&record);
            async move {
                let report = engine
                    .run(&record.id, &record.options, &*record, &*record)
                    .await;
                tracing::info!(run = %record.id, status = report.status.as_str(), "IMSHOP run finished");
                record.finish(report);
            }
        });
        *record.task.lock().unwrap() = Some(task.abort_handle());
        Ok(record)
    }

    pub fn get(&self, id: &str) -> Option<Arc<RunRecord>> {
        self.runs
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.id == id)
            .cloned()
    }

    /// Runs kept, in any state (metrics).
    pub fn len(&self) -> usize {
        self.runs.lock().unwrap().len()
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
        self.runs.lock().unwrap().iter().rev().cloned().collect()
    }

    /// Stops and forgets every run.
    pub fn clear(&self) {
        self.replace(Vec::new());
    }

    /// Stops and forgets every run, and keeps `runs` (oldest first)
    /// instead.
    pub fn replace(&self, runs: Vec<Arc<RunRecord>>) {
        let gone: Vec<Arc<RunRecord>> =
            std::mem::replace(&mut *self.runs.lock().unwrap(), runs.into()).into();
        for run in gone {
            run.abort();
        }
    }
}
