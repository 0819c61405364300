//! One workspace's application state. Handlers take the part they need
//! (`State<softline::State>`, `State<Core>`), never the whole world, from
//! the request's workspace (see `core::current`).

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::config::Settings;
use crate::core::clock::Clock;
use crate::core::current::WorkspaceParts;
use crate::core::directory::Claims;
use crate::core::faults::Mount;
use crate::core::ids::Ids;
use crate::core::snapshot::{self, Document, Install, SnapshotError};
use crate::core::{Commons, Core, PublicUrl};
use crate::demo;
use crate::fixtures::Fixtures;
use crate::provider::{Addressee, Link, Provider, Providers};
use crate::providers::{imshop, intellectmoney, softline};

#[derive(Clone, Debug)]
pub struct AppState {
    pub core: Core,
    pub softline: softline::State,
    pub intellectmoney: intellectmoney::State,
    pub imshop: imshop::State,
    pub demo: demo::State,
    /// The same providers as one table, which everything above them
    /// iterates over.
    pub providers: Providers,
}

/// Where one workspace's sandbox sits among the others: what it shares
/// with them (the directory its claims go to, the server's metrics and HTTP
/// client, real
/// time) and what is its own (its seed, its clock's offset).
#[derive(Clone, Debug)]
pub struct Seat {
    pub claims: Claims,
    pub seed: u64,
    pub clock: Clock,
    pub commons: Commons,
}

/// Handlers take their part of the request's workspace by its type (see
/// `core::current`).
impl WorkspaceParts for AppState {
    fn part(&self, of: TypeId) -> Option<&(dyn Any + Send + Sync)> {
        let part: &(dyn Any + Send + Sync) = if of == TypeId::of::<Core>() {
            &self.core
        } else if of == TypeId::of::<softline::State>() {
            &self.softline
        } else if of == TypeId::of::<intellectmoney::State>() {
            &self.intellectmoney
        } else if of == TypeId::of::<imshop::State>() {
            &self.imshop
        } else if of == TypeId::of::<demo::State>() {
            &self.demo
        } else if of == TypeId::of::<Providers>() {
            &self.providers
        } else if of == TypeId::of::<AppState>() {
            self
        } else {
            return None;
        };
        Some(part)
    }
}

impl AppState {
    /// A sandbox alone in its directory (tests that need no workspaces):
    /// the core and every provider on it, for a server reachable at
    /// `public_url`.
    pub fn new(
        settings: &Settings,
        fixtures: &Fixtures,
        clock: Clock,
        public_url: PublicUrl,
    ) -> Self {
        let seat = Seat {
            claims: Claims::standalone(),
            seed: settings.seed.unwrap_or_else(rand::random),
            clock,
            commons: Commons::new(settings),
        };
        Self::seated(settings, fixtures, public_url, seat)
    }

    /// One workspace's sandbox: the core and every provider on it, with the
    /// providers' scenarios published and their credentials claimed.
    pub fn seated(
        settings: &Settings,
        fixtures: &Fixtures,
        public_url: PublicUrl,
        seat: Seat,
    ) -> Self {
        let core = Core::new(
            settings,
            seat.clock,
            Ids::claiming(seat.seed, seat.claims),
            &seat.commons,
            public_url,
            Arc::clone(&fixtures.cards),
        );
        let softline = softline::State::new(core.clone(), Arc::clone(&fixtures.softline));
        let intellectmoney =
            intellectmoney::State::new(core.clone(), Arc::clone(&fixtures.intellectmoney));
        let imshop = imshop::State::new(core.clone(), Arc::clone(&fixtures.imshop));
        let demo = demo::State::new(core.clone(), Arc::clone(&fixtures.imshop));
        // The dashboard lists them in this order.
        let providers = Providers::new(vec![
            Arc::new(softline.clone()) as Arc<dyn Provider>,
            Arc::new(intellectmoney.clone()),
            Arc::new(imshop.clone()),
            Arc::new(demo.clone()),
        ]);
        core.scenarios.publish(providers.catalogue());
        core.faults.publish(
            providers
                .iter()
                .map(|p| Mount {
                    provider: p.name(),
                    prefix: p.mount(),
                })
                .collect(),
        );
        let claims = core.ids.claims();
        for credential in providers.iter().flat_map(|p| p.credentials()) {
            let claimed = match &credential {
                Addressee::Text(kind, text) => claims.text(kind, text),
                Addressee::Number(kind, number) => claims.number(kind, *number),
                _ => true,
            };
            if !claimed {
                tracing::warn!(?credential, "another workspace holds this credential");
            }
        }
        let state = Self {
            core,
            softline,
            intellectmoney,
            imshop,
            demo,
            providers,
        };
        if settings.retention.is_some() {
            state.keep_touches();
        }
        state
    }

    /// `POST /__sandbox/reset`: every payment, invoice, run, scenario, fault
    /// and journal entry forgotten; the clock back to real time. It waits
    /// for the provider requests in flight and holds new ones back while it
    /// forgets (see `core::epoch`).
    pub async fn reset(&self) {
        let _turn = self.core.epoch.turn().await;
        self.forget();
    }

    /// What a reset does, without waiting (a workspace being dropped, which
    /// nothing reaches any more). The core goes first so providers draw
    /// their id sequences from the reseeded generator.
    pub fn forget(&self) {
        self.core.reset();
        for provider in self.providers.iter() {
            provider.reset();
        }
    }

    /// The workspace as a snapshot document named `name`: taken between
    /// provider requests (see `core::epoch`), so no request is half in it.
    pub async fn take_snapshot(&self, name: &str) -> Document {
        let _turn = self.core.epoch.turn().await;
        let providers = self
            .providers
            .iter()
            .map(|p| (p.name().to_owned(), p.snapshot()))
            .filter(|(_, section)| !section.is_null())
            .collect();
        Document {
            paysandbox_snapshot: snapshot::FORMAT,
            name: name.to_owned(),
            workspace: self.core.public_url.workspace().to_owned(),
            taken_at: self.core.clock.now(),
            core: self.core.snapshot(),
            providers,
        }
    }

    /// Makes the workspace exactly what `document` says. Every section is
    /// read and checked first; only then, between provider requests, does
    /// anything change. A document wrong anywhere changes nothing.
    pub async fn restore(&self, document: &Document) -> Result<(), SnapshotError> {
        let installs = self.prepare_restore(document)?;
        let _turn = self.core.epoch.turn().await;
        for install in installs {
            install();
        }
        Ok(())
    }

    /// Reads and checks every section of `document` (an import checks a
    /// document this way before keeping it).
    pub fn prepare_restore(&self, document: &Document) -> Result<Vec<Install<'_>>, SnapshotError> {
        if let Some(unknown) = document
            .providers
            .keys()
            .find(|name| self.providers.named(name).is_none())
        {
            let known: Vec<&str> = self.providers.iter().map(|p| p.name()).collect();
            return Err(SnapshotError::Malformed(format!(
                "providers.{unknown}: no such provider (this version has {})",
                known.join(", ")
            )));
        }
        let mut installs = vec![
            self.core
                .prepare_restore(&document.core, document.taken_at)?,
        ];
        for provider in self.providers.iter() {
            let section = document
                .providers
                .get(provider.name())
                .unwrap_or(&serde_json::Value::Null);
            installs.push(provider.prepare_restore(section)?);
        }
        Ok(installs)
    }

    /// Links a person wants next to an object's timeline: what its
    /// provider offers (its hosted page, its JSON), and its export.
    pub fn links_for(&self, id: &str) -> Vec<Link> {
        let mut links: Vec<Link> = self
            .providers
            .iter()
            .flat_map(|p| p.links_for(id))
            .collect();
        let export = serde_urlencoded::to_string([("object", id)]).unwrap_or_default();
        links.push(Link::new(
            "Export as JSON",
            format!("/__sandbox/journal?{export}&download=true"),
        ));
        links
    }

    /// Objects held, for `/metrics`.
    pub fn stored_objects(&self) -> Vec<(&'static str, usize)> {
        self.providers
            .iter()
            .flat_map(|p| p.stored_objects())
            .collect()
    }

    /// Moves the sandbox clock: every provider applies what time did (and
    /// announces it), and the webhooks that became due are sent at once.
    pub fn advance_clock(&self, by: time::Duration) {
        self.core.clock.advance(by);
        for provider in self.providers.iter() {
            provider.settle_all();
        }
        self.core.outbox.wake();
    }
}

/// Durable state: writes what changed in the workspace of `core` (every
/// head too when `heads`: after a control-plane change) and waits for the
/// commit that holds it. Without a data directory, nothing.
pub async fn persist(
    core: &Core,
    providers: &Providers,
    heads: bool,
) -> Result<(), crate::core::durable::DurableError> {
    let Some(durable) = core.durable.get() else {
        return Ok(());
    };
    let ticket = durable.submit(|changes| collect_changes(core, providers, heads, changes));
    durable.wait(ticket).await
}

/// The rows of what changed in a workspace since the last call.
pub fn collect_changes(
    core: &Core,
    providers: &Providers,
    heads: bool,
    changes: &mut Vec<crate::core::durable::Change>,
) {
    use crate::core::durable::Change;
    let workspace = core.public_url.workspace();
    // Real time, as `--retention` counts.
    let touched = core.clock.source().now_utc().unix_timestamp();
    let mut objects = Vec::new();
    core.outbox.take_changes(&mut objects);
    core.journal.take_changes(workspace, changes);
    core.snapshots.take_changes(&mut objects);
    changes.extend(
        objects
            .drain(..)
            .map(|object| object.into_change(workspace, CORE_PART, touched)),
    );
    for provider in providers.iter() {
        let part = provider.name();
        provider.take_changes(&mut objects);
        changes.extend(
            objects
                .drain(..)
                .map(|object| object.into_change(workspace, part, touched)),
        );
        if heads && let Some(body) = provider.durable_head() {
            changes.push(Change::Head {
                workspace: workspace.to_owned(),
                part,
                body,
            });
        }
    }
    if core.head_changed() || heads {
        changes.push(Change::Head {
            workspace: workspace.to_owned(),
            part: CORE_PART,
            body: core.durable_head(),
        });
    }
}

/// The core's part name in a data directory.
pub const CORE_PART: &str = "core";

impl AppState {
    /// Durable state at start: notes changes from now on.
    pub fn track_changes(&self) {
        self.core.outbox.track_changes();
        self.core.journal.track_changes();
        self.core.snapshots.track_changes();
        for provider in self.providers.iter() {
            provider.track_changes();
        }
    }

    /// `--retention`: from now on, notes when each object is touched, in
    /// real time.
    pub fn keep_touches(&self) {
        let source = self.core.clock.source();
        for provider in self.providers.iter() {
            provider.keep_touches(&source);
        }
    }

    /// `--retention`: forgets every object untouched since `before`; how
    /// many. A data directory drops their rows with the next changes kept.
    pub fn forget_untouched(&self, before: time::OffsetDateTime) -> usize {
        self.providers
            .iter()
            .map(|provider| provider.forget_untouched(before))
            .sum()
    }

    /// Loads what a data directory kept of this workspace.
    pub fn load_durable(
        &self,
        data_dir: &crate::core::durable::DataDir,
    ) -> Result<usize, crate::core::durable::DurableError> {
        use crate::core::durable::DurableError;
        let workspace = self.core.public_url.workspace().to_owned();
        let unreadable = |what: String, detail: String| DurableError::Unreadable {
            path: data_dir.path().display().to_string(),
            what,
            detail,
        };
        if let Some(head) = data_dir.head(&workspace, CORE_PART)? {
            self.core
                .load_head(&head)
                .map_err(|e| unreadable(format!("core head of {workspace}"), e))?;
        }
        // Written now, so an unchanged core is not written again.
        self.core.head_changed();
        // What a restarted sandbox draws must not repeat what it drew
        // before (tokens, hashes, payment ids), even with `--seed`: a
        // fresh point.
        self.core.ids.resume(rand::random());
        let provider_name = |name: &str| self.providers.named(name).map(|p| p.name());
        let mut journal_rows = 0;
        let mut count = data_dir.objects(&workspace, CORE_PART, |kind, _, body, _| match kind {
            "deliveries" => self.core.outbox.load(body, provider_name),
            "journal" => {
                journal_rows += 1;
                self.core.journal.load(body, provider_name)
            }
            "snapshots" => self.core.snapshots.load(body),
            other => Err(format!("the core keeps no {other}")),
        })?;
        for line in data_dir.journal(&workspace)? {
            self.core
                .journal
                .load(&line, provider_name)
                .map_err(|e| unreadable(format!("journal entry of {workspace}"), e))?;
            count += 1;
        }
        // A directory written before the journal had files kept it in rows:
        // the entries move to the files with the first changes kept.
        if journal_rows > 0 {
            self.core.journal.track_changes();
            self.core.journal.write_all_again();
        }
        for provider in self.providers.iter() {
            let part = provider.name();
            if let Some(head) = data_dir.head(&workspace, part)? {
                provider
                    .load_head(&head)
                    .map_err(|e| unreadable(format!("{part} head of {workspace}"), e))?;
            }
            count += data_dir.objects(&workspace, part, |kind, id, body, touched| {
                provider.load_object(kind, id, body, touched)
            })?;
        }
        Ok(count)
    }
}
