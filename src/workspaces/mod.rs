//! Workspaces: many isolated sandboxes in one paysandbox.
//!
//! A workspace is a whole [`AppState`] of its own (core and providers:
//! objects, tokens, id sequences, clock offset, scenarios, faults, webhook
//! targets, outbox and journal) with its own webhook worker, so nothing done
//! in one is seen by, or waits for, another. What they share: the one
//! router (each request carries its workspace, see `core::current`), the
//! fixtures (apart from each one's credentials), real time, the metrics,
//! the outbound HTTP client and the [`Directory`] through which a
//! request finds its workspace (see `crate::http::dispatch`).
//!
//! `default` always exists, with the fixtures' own credentials, and is the
//! sandbox every request that names no workspace reaches.

pub mod credentials;

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::core::clock::Clock;
use crate::core::current::WorkspaceParts;
use crate::core::directory::{Claims, DEFAULT_OWNER, Directory, Owner};
use crate::core::durable::{Change, DataDir, DurableError};
use crate::core::{Commons, PublicUrl};
use crate::fixtures::{Credentials, Fixtures};
use crate::provider::Addressee;
use crate::state::{AppState, Seat};
use crate::web::WorkspaceNames;

pub use crate::core::directory::DEFAULT_WORKSPACE as DEFAULT;

/// Why a workspace could not be made, found or dropped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WorkspaceError {
    #[error(
        "a workspace name is 1 to 63 characters a-z, 0-9 and '-', starting with a letter or digit; {0:?} is not"
    )]
    BadName(String),
    #[error("a workspace named {0:?} exists")]
    Exists(String),
    #[error("no workspace named {0:?}")]
    NotFound(String),
    #[error("the default workspace cannot be deleted")]
    DefaultStays,
    #[error(
        "{0} workspaces exist, the most this instance keeps (--max-workspaces); delete one first"
    )]
    Limit(usize),
}

/// Whether `name` is a workspace name: `[a-z0-9][a-z0-9-]{0,62}`.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// One workspace.
pub struct Workspace {
    pub name: String,
    /// The name again, shared (every request of the dashboard carries it).
    pub label: Arc<str>,
    pub owner: Owner,
    pub state: AppState,
    pub credentials: Credentials,
    /// Drives this workspace's control prefix when `--admin-token` is set.
    pub control_key: String,
    pub created_at: OffsetDateTime,
    /// Real Unix milliseconds of its last request (for
    /// `--workspace-idle-ttl`).
    touched: AtomicI64,
    /// Whether it can be dropped for idling (not `default`, and only with
    /// `--workspace-idle-ttl`).
    idle_tracked: bool,
    /// Stops its webhook worker.
    worker: CancellationToken,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("name", &self.name)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

/// A request's handlers take their parts from its workspace's state.
impl WorkspaceParts for Workspace {
    fn part(&self, of: TypeId) -> Option<&(dyn Any + Send + Sync)> {
        self.state.part(of)
    }
}

impl Workspace {
    /// Notes a request, for the idle TTL. Written at most every 100 ms:
    /// every request passes here, and a store to a shared line on each
    /// would bounce it between cores.
    pub fn touch(&self) {
        // Nothing to keep for `default` (never dropped) or without a TTL:
        // the clock is read only when it matters.
        if !self.idle_tracked {
            return;
        }
        let now = real_now_ms();
        if now - self.touched.load(Ordering::Relaxed) >= 100 {
            self.touched.store(now, Ordering::Relaxed);
        }
    }

    fn idle_for(&self) -> Duration {
        let idle = real_now_ms() - self.touched.load(Ordering::Relaxed);
        Duration::from_millis(u64::try_from(idle).unwrap_or(0))
    }

    /// Where its control plane is.
    pub fn control_url(&self) -> String {
        let path = format!("/__sandbox/workspaces/{}", self.name);
        self.state.core.public_url.join(&path)
    }

    /// Objects it holds, by kind (the overview's counts).
    pub fn object_counts(&self) -> Vec<(&'static str, usize)> {
        self.state.stored_objects()
    }
}

/// What a data directory keeps of a workspace besides its state.
#[derive(serde::Serialize, serde::Deserialize)]
struct Record {
    credentials: Credentials,
    control_key: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl Workspace {
    /// Its credentials, control key and birth, as a data directory keeps
    /// them.
    pub fn record_json(&self) -> String {
        let record = Record {
            credentials: self.credentials.clone(),
            control_key: self.control_key.clone(),
            created_at: self.created_at,
        };
        serde_json::to_string(&record).unwrap_or_default()
    }
}

fn real_now_ms() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Every workspace. Cloning shares them.
#[derive(Clone)]
pub struct Workspaces(Arc<Registry>);

impl std::fmt::Debug for Workspaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspaces").finish_non_exhaustive()
    }
}

struct Registry {
    settings: Settings,
    fixtures: Fixtures,
    public_url: PublicUrl,
    directory: Arc<Directory>,
    commons: Commons,
    /// `default`'s clock: the others share its time source.
    clock: Clock,
    seed: u64,
    default: Arc<Workspace>,
    /// Every workspace but `default`, by name.
    by_name: RwLock<BTreeMap<String, Arc<Workspace>>>,
    /// Every workspace but `default`, by owner: a provider request's
    /// workspace, found after the directory names its owner, without a
    /// lock (written only under `by_name`'s write lock, beside it).
    by_owner: papaya::HashMap<Owner, Arc<Workspace>>,
    next_owner: AtomicU32,
    /// Stops every workspace's worker and the janitor.
    stop: CancellationToken,
    /// The workers' concurrency, once they run.
    workers: Mutex<Option<usize>>,
}

impl WorkspaceNames for Registry {
    fn names(&self) -> Vec<String> {
        let others = self.by_name.read().unwrap();
        std::iter::once(DEFAULT.to_owned())
            .chain(others.keys().cloned())
            .collect()
    }
}

impl Workspaces {
    /// The registry with `default` in it, built from `fixtures` on `clock`.
    pub fn new(
        settings: &Settings,
        fixtures: &Fixtures,
        clock: Clock,
        public_url: PublicUrl,
    ) -> Self {
        let directory = Arc::new(Directory::default());
        let commons = Commons::new(settings);
        let seed = settings.seed.unwrap_or_else(rand::random);
        let seat = Seat {
            claims: Claims::new(Arc::clone(&directory), DEFAULT_OWNER),
            seed,
            clock: clock.clone(),
            commons: commons.clone(),
        };
        let state = AppState::seated(settings, fixtures, public_url.clone(), seat);
        let stop = CancellationToken::new();
        let default = Arc::new(Workspace {
            name: DEFAULT.to_owned(),
            label: Arc::from(DEFAULT),
            owner: DEFAULT_OWNER,
            state,
            credentials: fixtures.credentials(),
            control_key: credentials::control_key(),
            created_at: OffsetDateTime::now_utc(),
            touched: AtomicI64::new(real_now_ms()),
            idle_tracked: false,
            worker: stop.child_token(),
        });
        Self(Arc::new(Registry {
            settings: settings.clone(),
            fixtures: fixtures.clone(),
            public_url,
            directory,
            commons,
            clock,
            seed,
            default,
            by_name: RwLock::default(),
            by_owner: papaya::HashMap::new(),
            next_owner: AtomicU32::new(DEFAULT_OWNER + 1),
            stop,
            workers: Mutex::new(None),
        }))
    }

    pub fn default_workspace(&self) -> &Arc<Workspace> {
        &self.0.default
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// The workspace named `name`.
    pub fn named(&self, name: &str) -> Option<Arc<Workspace>> {
        if name == DEFAULT {
            return Some(Arc::clone(&self.0.default));
        }
        self.0.by_name.read().unwrap().get(name).cloned()
    }

    fn owned_by(&self, owner: Owner) -> Option<Arc<Workspace>> {
        if owner == DEFAULT_OWNER {
            return Some(Arc::clone(&self.0.default));
        }
        self.0.by_owner.pin().get(&owner).cloned()
    }

    /// The workspace `addressee` names, if it names one that exists.
    pub fn resolve(&self, addressee: &Addressee) -> Option<Arc<Workspace>> {
        let directory = &self.0.directory;
        let owner = match addressee {
            Addressee::Text(kind, text) => directory.text_owner(kind, text),
            Addressee::Number(kind, number) => directory.number_owner(kind, *number),
            Addressee::Drawn(kind, number) => directory.drawn_owner(kind, *number),
            Addressee::Named(name) => return self.named(name),
            Addressee::InBody | Addressee::Nobody => None,
        }?;
        self.owned_by(owner)
    }

    /// The registry as pages see it: the names to switch between.
    pub fn names(&self) -> Arc<dyn WorkspaceNames> {
        Arc::clone(&self.0) as Arc<dyn WorkspaceNames>
    }

    /// Every workspace, `default` first, then by name.
    pub fn list(&self) -> Vec<Arc<Workspace>> {
        let others = self.0.by_name.read().unwrap();
        std::iter::once(Arc::clone(&self.0.default))
            .chain(others.values().cloned())
            .collect()
    }

    /// Makes a workspace named `name` (or a generated name) with fresh
    /// credentials, and starts its webhook worker if workers run. With a
    /// data directory its record is queued for writing (the control
    /// plane's answer waits for it).
    pub fn create(&self, name: Option<&str>) -> Result<Arc<Workspace>, WorkspaceError> {
        let name = match name {
            Some(name) if valid_name(name) => name.to_owned(),
            Some(name) => return Err(WorkspaceError::BadName(name.to_owned())),
            None => credentials::generated_name(),
        };
        if name == DEFAULT || self.named(&name).is_some() {
            return Err(WorkspaceError::Exists(name));
        }
        let registry = &self.0;
        let owner = registry.next_owner.fetch_add(1, Ordering::Relaxed);
        let claims = Claims::new(Arc::clone(&registry.directory), owner);
        let seed = credentials::seed_of(registry.seed, &name);
        let record = Record {
            credentials: credentials::draw(&name, seed, &claims),
            control_key: credentials::control_key(),
            created_at: OffsetDateTime::now_utc(),
        };
        let workspace = self.seat(name, owner, claims, record)?;
        if let Some(durable) = registry.commons.durable.get() {
            durable.submit(|changes| {
                changes.push(Change::Workspace {
                    name: workspace.name.clone(),
                    record: Some(workspace.record_json()),
                });
            });
        }
        tracing::info!(workspace = %workspace.name, "workspace created");
        Ok(workspace)
    }

    /// Makes again a workspace a data directory kept (`record` as
    /// [`Workspace::record_json`] wrote it), with its credentials.
    pub fn restore(&self, name: &str, record: &str) -> Result<Arc<Workspace>, String> {
        if !valid_name(name) || name == DEFAULT {
            return Err(format!("{name:?} is not a workspace name"));
        }
        let record: Record = serde_json::from_str(record).map_err(|e| e.to_string())?;
        let registry = &self.0;
        let owner = registry.next_owner.fetch_add(1, Ordering::Relaxed);
        let claims = Claims::new(Arc::clone(&registry.directory), owner);
        self.seat(name.to_owned(), owner, claims, record)
            .map_err(|e| e.to_string())
    }

    /// Builds and registers a workspace with `record`'s credentials.
    fn seat(
        &self,
        name: String,
        owner: Owner,
        claims: Claims,
        record: Record,
    ) -> Result<Arc<Workspace>, WorkspaceError> {
        let registry = &self.0;
        let seed = credentials::seed_of(registry.seed, &name);
        let fixtures = registry
            .fixtures
            .with_credentials(&name, &record.credentials);
        let seat = Seat {
            claims,
            seed,
            clock: registry.clock.sharing_source(),
            commons: registry.commons.clone(),
        };
        let state = AppState::seated(
            &registry.settings,
            &fixtures,
            registry.public_url.for_workspace(&name),
            seat,
        );
        if registry.commons.durable.get().is_some() {
            state.track_changes();
        }
        let workspace = Arc::new(Workspace {
            state,
            label: Arc::from(name.as_str()),
            name: name.clone(),
            owner,
            credentials: record.credentials,
            control_key: record.control_key,
            created_at: record.created_at,
            touched: AtomicI64::new(real_now_ms()),
            idle_tracked: registry.settings.workspace_idle_ttl.is_some(),
            worker: registry.stop.child_token(),
        });
        {
            let mut others = registry.by_name.write().unwrap();
            // Checked again under the lock: two creates of one name race.
            if others.contains_key(&name) {
                drop(others);
                registry.directory.release(owner);
                return Err(WorkspaceError::Exists(name));
            }
            if others.len() >= registry.settings.max_workspaces {
                drop(others);
                registry.directory.release(owner);
                return Err(WorkspaceError::Limit(registry.settings.max_workspaces));
            }
            others.insert(name.clone(), Arc::clone(&workspace));
            registry
                .by_owner
                .pin()
                .insert(owner, Arc::clone(&workspace));
        }
        if let Some(concurrency) = *registry.workers.lock().unwrap() {
            spawn_worker(&workspace, concurrency);
        }
        Ok(workspace)
    }

    /// Drops a workspace and everything in it: its credentials and pages
    /// stop resolving, its worker stops, its pending webhooks are dropped.
    pub fn delete(&self, name: &str) -> Result<(), WorkspaceError> {
        if name == DEFAULT {
            return Err(WorkspaceError::DefaultStays);
        }
        let removed = {
            let mut others = self.0.by_name.write().unwrap();
            let removed = others.remove(name);
            if let Some(workspace) = &removed {
                self.0.by_owner.pin().remove(&workspace.owner);
            }
            removed
        };
        let workspace = removed.ok_or_else(|| WorkspaceError::NotFound(name.to_owned()))?;
        if let Some(durable) = self.0.commons.durable.get() {
            durable.submit(|changes| {
                changes.push(Change::Workspace {
                    name: name.to_owned(),
                    record: None,
                });
            });
        }
        self.0.directory.release(workspace.owner);
        workspace.worker.cancel();
        // Frees its objects now; requests still in flight finish on it.
        workspace.state.forget();
        tracing::info!(workspace = %name, "workspace deleted");
        Ok(())
    }

    /// Starts every workspace's webhook worker (and each later one's), each
    /// with `concurrency` slots of its own: a workspace whose receiver hangs
    /// holds only its own slots.
    pub fn start_workers(&self, concurrency: usize) {
        *self.0.workers.lock().unwrap() = Some(concurrency);
        for workspace in self.list() {
            spawn_worker(&workspace, concurrency);
        }
    }

    /// Drops workspaces untouched for `ttl`, checking a few times per `ttl`,
    /// until [`Workspaces::stop`].
    pub fn start_janitor(&self, ttl: Duration) {
        let every = (ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(60));
        self.every(every, move |workspaces| {
            workspaces.drop_idle(ttl);
        });
    }

    /// `--retention`: forgets the objects of every workspace untouched for
    /// that long, now and then every tenth of `retention` (between 1 s and
    /// a minute), until [`Workspaces::stop`].
    pub fn start_forgetting(&self, retention: Duration) {
        self.forget_untouched(retention);
        let every = (retention / 10).clamp(Duration::from_secs(1), Duration::from_secs(60));
        self.every(every, move |workspaces| {
            workspaces.forget_untouched(retention);
        });
    }

    /// Runs `work` every `period` until [`Workspaces::stop`].
    fn every(&self, period: Duration, work: impl Fn(&Self) + Send + 'static) {
        let workspaces = self.clone();
        let stop = self.0.stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(period) => {}
                }
                work(&workspaces);
            }
        });
    }

    /// Forgets the objects of every workspace untouched for `retention`
    /// (real time); how many.
    pub fn forget_untouched(&self, retention: Duration) -> usize {
        let mut total = 0;
        for workspace in self.list() {
            let now = workspace.state.core.clock.source().now_utc();
            // A retention reaching before the calendar starts forgets
            // nothing (`--retention 100000y` must not panic).
            let Some(before) = time::Duration::try_from(retention)
                .ok()
                .and_then(|r| now.checked_sub(r))
            else {
                continue;
            };
            let count = workspace.state.forget_untouched(before);
            if count > 0 {
                tracing::info!(workspace = %workspace.name, count, "forgot objects untouched for the retention time");
            }
            total += count;
        }
        total
    }

    /// Drops every workspace but `default` untouched for `ttl`; returns
    /// their names.
    pub fn drop_idle(&self, ttl: Duration) -> Vec<String> {
        let idle: Vec<String> = self
            .list()
            .into_iter()
            .filter(|w| w.name != DEFAULT && w.idle_for() >= ttl)
            .map(|w| w.name.clone())
            .collect();
        for name in &idle {
            if self.delete(name).is_ok() {
                tracing::info!(workspace = %name, "workspace dropped after its idle time");
            }
        }
        idle
    }

    /// Durable state: loads what `data_dir` kept (its workspaces with
    /// their credentials, then each one's objects and heads), then starts
    /// its writer. From then on every change is kept. Returns how many
    /// objects were loaded.
    pub fn keep_in(&self, data_dir: DataDir) -> Result<usize, DurableError> {
        let path = data_dir.path().display().to_string();
        for (name, record) in data_dir.workspaces()?.workspaces {
            self.restore(&name, &record)
                .map_err(|detail| DurableError::Unreadable {
                    path: path.clone(),
                    what: format!("workspace {name}"),
                    detail,
                })?;
        }
        let mut objects = 0;
        for workspace in self.list() {
            objects += workspace.state.load_durable(&data_dir)?;
            workspace.state.track_changes();
        }
        let durable = data_dir.start_writer();
        if self.0.commons.durable.set(durable).is_err() {
            tracing::warn!("a second data directory was given and ignored");
        }
        Ok(objects)
    }

    /// Durable state: writes what background work changed (webhook
    /// workers, runs), every `every`, until [`Workspaces::stop`].
    pub fn start_keeper(&self, every: Duration) {
        let Some(durable) = self.0.commons.durable.get().cloned() else {
            return;
        };
        let workspaces = self.clone();
        let stop = self.0.stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(every) => {}
                }
                for workspace in workspaces.list() {
                    let state = &workspace.state;
                    durable.submit(|changes| {
                        crate::state::collect_changes(
                            &state.core,
                            &state.providers,
                            false,
                            changes,
                        );
                    });
                }
            }
        });
    }

    /// Durable state: writes every workspace's changes and heads and waits
    /// until they are committed (at shutdown).
    pub async fn keep_all(&self) -> Result<(), DurableError> {
        let Some(durable) = self.0.commons.durable.get() else {
            return Ok(());
        };
        for workspace in self.list() {
            let state = &workspace.state;
            durable.submit(|changes| {
                crate::state::collect_changes(&state.core, &state.providers, true, changes);
            });
        }
        durable.settled().await
    }

    /// Stops every worker and the janitor.
    pub fn stop(&self) {
        self.0.stop.cancel();
    }
}

fn spawn_worker(workspace: &Workspace, concurrency: usize) {
    let outbox = workspace.state.core.outbox.clone();
    tokio::spawn(outbox.run_worker(concurrency, workspace.worker.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_name_is_lowercase_letters_digits_and_inner_dashes() {
        for good in ["ci-42", "a", "0", "team-qa-1", &"a".repeat(63)] {
            assert!(valid_name(good), "{good:?}");
        }
        for bad in ["", "-ci", "CI", "ci_42", "ci 42", "é", &"a".repeat(64)] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
