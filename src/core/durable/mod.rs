//! Durable state (`--data-dir`): what the sandbox acknowledged survives a
//! `kill -9` and a restart.
//!
//! What is written when:
//! - before a provider request is answered: every object it changed (the
//!   stores note changed keys, see `core::store`), as one row each, its
//!   journal entries (appended to the journal's files, see
//!   `journal_files`), and the core's head (clock offset, scenarios, faults)
//!   if a scenario or fault was used up;
//! - before a control-plane request that changes something is answered: the
//!   same, plus every head (the core's and each provider's: id sequences,
//!   webhook targets);
//! - workspaces when they are made or dropped, with their credentials;
//! - every 200 ms, whatever background work changed (a webhook worker, a
//!   run finishing).
//!
//! Group commit: a request's changes are serialised on its own thread and
//! queued in order ([`Durable::submit`]); one writer thread takes whatever
//! is queued, writes it in one transaction and commits, then wakes every
//! request whose changes that commit held. A request answers only after
//! the commit that holds its changes (and every change queued before it:
//! a request may have queued a neighbour's change along with its own).
//!
//! The database is described in `sqlite.rs`.

pub mod journal_files;
pub mod sqlite;

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

pub use sqlite::{DataDir, Loaded};

/// One row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A workspace made (its record: credentials, control key) or dropped
    /// (`None`: with every row of it).
    Workspace {
        name: String,
        record: Option<String>,
    },
    /// What a part (`core` or a provider) keeps besides its objects.
    Head {
        workspace: String,
        part: &'static str,
        body: String,
    },
    /// One object (`None`: it is gone), written at `touched` (seconds
    /// since the Unix epoch, real time: see `--retention`).
    Object {
        workspace: String,
        part: &'static str,
        kind: &'static str,
        id: String,
        body: Option<String>,
        touched: i64,
    },
    /// Journal entries of a workspace, each as one line of JSON (see
    /// `journal_files`).
    JournalEntries {
        workspace: String,
        lines: Vec<String>,
    },
    /// A workspace's journal emptied (a reset), before the entries that
    /// follow it.
    JournalCleared { workspace: String },
    /// Every object of a kind dropped (a reset, a restore), before the rows
    /// that follow it.
    Clear {
        workspace: String,
        part: &'static str,
        kind: &'static str,
    },
}

/// An object a provider changed: its kind, id and body (`None`: removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectChange {
    Saved {
        kind: &'static str,
        id: String,
        body: String,
    },
    Removed {
        kind: &'static str,
        id: String,
    },
    Cleared {
        kind: &'static str,
    },
}

impl ObjectChange {
    /// The rows of one kind's changes into `out`: `Cleared` first when
    /// every object was dropped, then each changed object, `Some(body)`
    /// when it is there (`Saved`) and `None` when it is gone (`Removed`).
    pub fn push_rows(
        out: &mut Vec<Self>,
        kind: &'static str,
        cleared: bool,
        rows: impl IntoIterator<Item = (String, Option<String>)>,
    ) {
        if cleared {
            out.push(Self::Cleared { kind });
        }
        out.extend(rows.into_iter().map(|(id, body)| match body {
            Some(body) => Self::Saved { kind, id, body },
            None => Self::Removed { kind, id },
        }));
    }

    /// The row to write for `part` of `workspace`, at `touched`.
    pub fn into_change(self, workspace: &str, part: &'static str, touched: i64) -> Change {
        let workspace = workspace.to_owned();
        match self {
            Self::Saved { kind, id, body } => Change::Object {
                workspace,
                part,
                kind,
                id,
                body: Some(body),
                touched,
            },
            Self::Removed { kind, id } => Change::Object {
                workspace,
                part,
                kind,
                id,
                body: None,
                touched,
            },
            Self::Cleared { kind } => Change::Clear {
                workspace,
                part,
                kind,
            },
        }
    }
}

/// A row's body: one of our own plain structs as JSON (serialising them
/// cannot fail). A kilobyte of room first: a payment's row is about that,
/// and serde_json's own start of 128 bytes grew three times to get there.
pub fn to_json(value: &impl serde::Serialize) -> String {
    to_json_with_room(value, 1024)
}

/// [`to_json`] into a buffer with `room` bytes from the start: a journal
/// line is a few kilobytes, and growing a buffer from serde_json's 128
/// bytes to that copied it five times (a tenth of the line's cost in
/// profiles).
pub fn to_json_with_room(value: &impl serde::Serialize, room: usize) -> String {
    let mut out = Vec::with_capacity(room);
    match serde_json::to_writer(&mut out, value) {
        // serde_json writes UTF-8 only.
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// A counter's id as a row id: zero-padded, so rows sort (and the index
/// grows) in the order they were made instead of `1, 10, 100, 2`.
pub fn durable_id(id: u64) -> String {
    format!("{id:020}")
}

/// Why the state could not be kept or read back. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    #[error(
        "{path}: another paysandbox is using this data directory (it holds {path}); stop it or give another --data-dir"
    )]
    Locked { path: String },
    #[error(
        "{path}: written by a newer paysandbox (format {found}; this one reads up to {reads}); upgrade, or give another --data-dir"
    )]
    Newer {
        path: String,
        found: i64,
        reads: i64,
    },
    #[error(
        "{path}: the database is damaged ({detail}); restore it from a backup or give another --data-dir"
    )]
    Damaged { path: String, detail: String },
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error("{path}: a stored {what} does not read back: {detail}")]
    Unreadable {
        path: String,
        what: String,
        detail: String,
    },
    #[error("the state could not be written to {path}: {detail}")]
    WriteFailed { path: String, detail: String },
}

/// Changes queued for the writer, in order.
pub(crate) struct Batch {
    ticket: u64,
    changes: Vec<Change>,
}

/// The data directory's writer, shared by every workspace. Cloning shares
/// it.
#[derive(Clone)]
pub struct Durable(Arc<Inner>);

struct Inner {
    /// The last ticket queued, and the queue: held while a request takes
    /// its changes and queues them, so changes reach the writer in the
    /// order they were made.
    queue: Mutex<Queue>,
    commits: Arc<Commits>,
    path: String,
}

struct Queue {
    last: u64,
    sender: std::sync::mpsc::Sender<Batch>,
}

/// What the writer has committed, and who waits for what. A commit wakes
/// only the requests whose tickets it reached, so its cost does not grow
/// with the connections waiting (a broadcast, a `watch` channel at first,
/// woke every waiting request at every commit and most went back to sleep;
/// at 64 connections the two measured the same).
#[derive(Default)]
pub(crate) struct Commits(Mutex<CommitState>);

#[derive(Default)]
struct CommitState {
    committed: u64,
    /// Why no answer may claim to be kept any more, once a write failed.
    failed: Option<String>,
    waiting: Vec<(u64, oneshot::Sender<()>)>,
}

impl Commits {
    /// Everything up to `last` is committed: wakes its waiters.
    pub(crate) fn reached(&self, last: u64) {
        let woken: Vec<oneshot::Sender<()>> = {
            let mut state = self.0.lock().unwrap();
            state.committed = last;
            state
                .waiting
                .extract_if(.., |(ticket, _)| *ticket <= last)
                .map(|(_, waiter)| waiter)
                .collect()
        };
        for waiter in woken {
            // A waiter that gave up (its connection closed) is no loss.
            let _ = waiter.send(());
        }
    }

    /// Nothing more will be committed: every waiter, now and later, fails.
    pub(crate) fn fail(&self, detail: String) {
        let mut state = self.0.lock().unwrap();
        state.failed.get_or_insert(detail);
        // Dropping the senders wakes the waiters with an error.
        state.waiting.clear();
    }
}

impl std::fmt::Debug for Durable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durable")
            .field("path", &self.0.path)
            .finish_non_exhaustive()
    }
}

impl Durable {
    pub(crate) fn new(
        sender: std::sync::mpsc::Sender<Batch>,
        commits: Arc<Commits>,
        path: String,
    ) -> Self {
        Self(Arc::new(Inner {
            queue: Mutex::new(Queue { last: 0, sender }),
            commits,
            path,
        }))
    }

    /// Takes changes with `collect` and queues them, in one step against
    /// every other request; the ticket to wait for. Nothing collected
    /// queues nothing, and the ticket is that of the last change queued
    /// (which may hold this request's changes, taken by a neighbour).
    pub fn submit(&self, collect: impl FnOnce(&mut Vec<Change>)) -> u64 {
        let mut queue = self.0.queue.lock().unwrap();
        let mut changes = Vec::new();
        collect(&mut changes);
        if changes.is_empty() {
            return queue.last;
        }
        let ticket = queue.last + 1;
        // A closed channel means the writer stopped; `committed` then
        // never reaches the ticket and `wait` reports the failure.
        if queue.sender.send(Batch { ticket, changes }).is_ok() {
            queue.last = ticket;
        } else {
            self.0.commits.fail("the writer stopped".to_owned());
        }
        ticket
    }

    /// Waits until `ticket` is committed.
    pub async fn wait(&self, ticket: u64) -> Result<(), DurableError> {
        let committed = {
            let mut state = self.0.commits.0.lock().unwrap();
            if state.committed >= ticket {
                return Ok(());
            }
            if let Some(detail) = &state.failed {
                return Err(self.failure(detail.clone()));
            }
            let (waiter, committed) = oneshot::channel();
            state.waiting.push((ticket, waiter));
            committed
        };
        committed.await.map_err(|_| {
            let failed = self.0.commits.0.lock().unwrap().failed.clone();
            self.failure(failed.unwrap_or_else(|| "the writer stopped".to_owned()))
        })
    }

    /// Waits until everything queued so far is committed.
    pub async fn settled(&self) -> Result<(), DurableError> {
        let ticket = self.0.queue.lock().unwrap().last;
        self.wait(ticket).await
    }

    fn failure(&self, detail: String) -> DurableError {
        DurableError::WriteFailed {
            path: self.0.path.clone(),
            detail,
        }
    }

    /// Where the state is kept.
    pub fn path(&self) -> &str {
        &self.0.path
    }
}
