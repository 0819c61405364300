//! The shared core every provider builds on: the sandbox clock, seeded ids,
//! stores, the journal, the webhook outbox and the outbound HTTP client.
//! Nothing here knows a provider's wire format.

pub mod body;
pub mod cards;
pub mod clock;
pub mod current;
pub mod directory;
pub mod durable;
pub mod epoch;
pub mod error;
pub mod faults;
pub mod fixtures;
pub mod http_client;
pub mod ids;
pub mod journal;
pub mod json;
pub mod mask;
pub mod metrics;
pub mod money;
pub mod outbox;
pub mod packed;
pub mod params;
pub mod scenarios;
pub mod signature;
pub mod snapshot;
pub mod store;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::config::Settings;
use cards::CardsFixture;
use clock::Clock;
use durable::Durable;
use faults::Faults;
use http_client::HttpClient;
use ids::Ids;
use journal::{Entry, Journal};
use metrics::Metrics;
use outbox::Outbox;
use scenarios::Scenarios;

/// The base of every URL paysandbox hands out, without a trailing slash,
/// and the workspace whose URLs must say so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    base: Arc<str>,
    /// `None` for `default`, whose URLs are the bare ones.
    workspace: Option<Arc<str>>,
}

impl PublicUrl {
    pub fn new(base: &str) -> Self {
        Self {
            base: Arc::from(base.trim_end_matches('/')),
            workspace: None,
        }
    }

    /// The same base, for the URLs of the workspace `name`.
    pub fn for_workspace(&self, name: &str) -> Self {
        Self {
            base: Arc::clone(&self.base),
            workspace: Some(Arc::from(name)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The name of the workspace these URLs are for.
    pub fn workspace(&self) -> &str {
        self.workspace
            .as_deref()
            .unwrap_or(directory::DEFAULT_WORKSPACE)
    }

    /// `path` (starting with `/`) under the public URL.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `path` under the public URL for a URL that names nothing of the
    /// workspace by itself (IMSHOP's sync and runs URLs): with
    /// `?workspace=NAME` outside `default`.
    pub fn scoped(&self, path: &str) -> String {
        match &self.workspace {
            Some(name) => format!("{}{path}?workspace={name}", self.base),
            None => self.join(path),
        }
    }
}

/// A state that every request shares, behind one `Arc`: the core's
/// services and each provider's state are each one `Shared<…>`.
///
/// Every request clones the state it extracts; one reference count to bump
/// (instead of one per service) measurably raised throughput on two cores,
/// where contended atomic counters bounce between caches.
#[derive(Debug)]
pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    pub fn wrap(inner: T) -> Self {
        Self(Arc::new(inner))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// The shared services.
pub type Core = Shared<Services>;

/// What every workspace's core shares: the server's metrics, and one
/// outbound HTTP client (its connection pool and TLS roots are the bulk of
/// a client, and a workspace needs none of its own).
#[derive(Clone, Debug)]
pub struct Commons {
    pub metrics: Metrics,
    pub http: HttpClient,
    /// The data directory's writer (`--data-dir`), set once it runs.
    pub durable: Arc<OnceLock<Durable>>,
}

impl Commons {
    pub fn new(settings: &Settings) -> Self {
        Self {
            metrics: Metrics::new(),
            http: HttpClient::new(
                Duration::from_millis(settings.webhook_timeout_ms),
                // Receivers' answers are kept for the journal only; more
                // than the journal keeps is never needed.
                settings.journal_body_limit.max(64 * 1024),
            ),
            durable: Arc::default(),
        }
    }
}

/// The core's head in a data directory.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CoreHead {
    clock_offset_ms: i64,
    #[serde(default)]
    scenarios: scenarios::ScenariosSnapshot,
    #[serde(default)]
    faults: faults::FaultsSnapshot,
}

/// What [`Core`] holds.
#[derive(Debug)]
pub struct Services {
    pub clock: Clock,
    pub ids: Ids,
    pub journal: Journal,
    pub outbox: Outbox,
    pub http: HttpClient,
    pub public_url: PublicUrl,
    pub cards: Arc<CardsFixture>,
    /// Forced outcomes, armed or by header.
    pub scenarios: Scenarios,
    /// Transport faults, inbound and outbound.
    pub faults: Faults,
    pub metrics: Metrics,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// How long a client may take to send a body.
    pub body_read_timeout: Duration,
    /// Resets against provider requests.
    pub epoch: epoch::Epoch,
    /// The workspace's snapshots (kept through a reset).
    pub snapshots: snapshot::Shelf,
    /// The data directory's writer, when there is one.
    pub durable: Arc<OnceLock<Durable>>,
    /// The clock offset and the versions of the scenarios and faults as
    /// last written to it.
    pub durable_written: Mutex<Option<(i64, u64, u64)>>,
}

impl Core {
    /// The services of one workspace: its own clock, generator, journal,
    /// outbox, scenarios and faults, on the server's `commons`.
    pub fn new(
        settings: &Settings,
        clock: Clock,
        ids: Ids,
        commons: &Commons,
        public_url: PublicUrl,
        cards: Arc<CardsFixture>,
    ) -> Self {
        let Commons {
            metrics,
            http,
            durable,
        } = commons.clone();
        let journal = Journal::new(settings.journal_capacity, settings.journal_body_limit);
        let faults = Faults::new(ids.clone());
        let outbox = Outbox::new(
            http.clone(),
            clock.clone(),
            journal.clone(),
            settings.outbox_capacity,
        )
        .with_faults(faults.clone())
        .with_metrics(metrics.clone());
        Self::wrap(Services {
            clock,
            ids,
            journal,
            outbox,
            http,
            public_url,
            cards,
            scenarios: Scenarios::unpublished(),
            faults,
            metrics,
            max_body_bytes: settings.max_body_bytes,
            body_read_timeout: Duration::from_millis(settings.body_read_timeout_ms),
            epoch: epoch::Epoch::default(),
            snapshots: snapshot::Shelf::default(),
            durable,
            durable_written: Mutex::new(None),
        })
    }

    /// Records a journal entry stamped with the sandbox clock.
    pub fn record(&self, entry: Entry) -> u64 {
        self.journal.record(entry, self.clock.now())
    }

    /// What a snapshot keeps of the core: the clock's offset, where the
    /// generator stands (moved to a point it can be put back to), the armed
    /// scenarios and the faults.
    pub fn snapshot(&self) -> snapshot::CoreSection {
        snapshot::CoreSection {
            clock_offset_ms: self.clock.offset_ms(),
            generator: self.ids.checkpoint().to_string(),
            scenarios: self.scenarios.snapshot(),
            faults: self.faults.snapshot(),
        }
    }

    /// What durable state keeps of the core: the clock offset, scenarios
    /// and faults (not the generator: a restarted sandbox draws anew).
    pub fn durable_head(&self) -> String {
        let head = CoreHead {
            clock_offset_ms: self.clock.offset_ms(),
            scenarios: self.scenarios.snapshot(),
            faults: self.faults.snapshot(),
        };
        serde_json::to_string(&head).unwrap_or_default()
    }

    /// Whether the core changed since its head was last written (and
    /// notes that it is being written now).
    pub fn head_changed(&self) -> bool {
        let now = (
            self.clock.offset_ms(),
            self.scenarios.version(),
            self.faults.version(),
        );
        let mut written = self.durable_written.lock().unwrap();
        let changed = *written != Some(now);
        *written = Some(now);
        changed
    }

    /// Loads a head [`Core::durable_head`] wrote.
    pub fn load_head(&self, body: &str) -> Result<(), String> {
        let head: CoreHead = serde_json::from_str(body).map_err(|e| e.to_string())?;
        self.scenarios.check(&head.scenarios)?;
        self.faults.check(&head.faults)?;
        self.clock.set_offset_ms(head.clock_offset_ms);
        self.scenarios.restore(head.scenarios);
        self.faults.restore(head.faults);
        Ok(())
    }

    /// Checks a snapshot's core section; the install puts it in place.
    /// The sandbox clock is put back to `taken_at`, so a document restores
    /// the same moment however long ago it was taken (a held invoice is
    /// still held, a token about to expire still about to).
    pub fn prepare_restore(
        &self,
        section: &snapshot::CoreSection,
        taken_at: time::OffsetDateTime,
    ) -> Result<snapshot::Install<'_>, snapshot::SnapshotError> {
        use snapshot::SnapshotError::Malformed;
        let generator: u64 = section.generator.parse().map_err(|_| {
            Malformed(format!(
                "core.generator: {:?} is not a whole number from 0 to 2^64-1",
                section.generator
            ))
        })?;
        if section.clock_offset_ms.abs() > clock::MAX_OFFSET_MS {
            return Err(Malformed(format!(
                "core.clock_offset_ms: at most {} either way",
                clock::MAX_OFFSET_MS
            )));
        }
        self.scenarios
            .check(&section.scenarios)
            .map_err(|m| Malformed(format!("core.scenarios: {m}")))?;
        self.faults
            .check(&section.faults)
            .map_err(|m| Malformed(format!("core.faults: {m}")))?;
        let section = section.clone();
        Ok(Box::new(move || {
            self.clock.set_now(taken_at);
            self.ids.resume(generator);
            self.scenarios.restore(section.scenarios);
            self.faults.restore(section.faults);
        }))
    }

    /// Forgets the journal, the outbox, armed scenarios and faults, restarts the id generator from
    /// its seed and puts the clock back to real time. Providers reset their
    /// own stores (see `AppState::reset`).
    pub fn reset(&self) {
        self.journal.clear();
        self.outbox.clear();
        self.scenarios.clear();
        self.faults.clear();
        self.ids.reset();
        self.clock.reset();
    }
}
