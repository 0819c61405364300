//! The provider interface: everything the rest of paysandbox knows about a
//! payment system it plays.
//!
//! Each provider (`providers::softline`, `providers::intellectmoney`,
//! `providers::imshop`, and the reference merchant in `demo`) implements
//! [`Provider`] in one place, its `mod.rs`: its name and mount, its routes,
//! its scenarios, how it names the objects of a journal entry, and its
//! dashboard panels. The root (`startup`, `state`) and the middleware only
//! iterate over the table of them ([`Providers`]); nothing above the
//! providers names one, and nothing in a provider imports from the control
//! plane or the dashboard.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;

use crate::core::durable::ObjectChange;
use crate::core::scenarios::Scenario;
use crate::core::snapshot::{Install, SnapshotError};
use crate::web::NavItem;

/// A link the dashboard shows beside an object's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub href: String,
}

impl Link {
    pub fn new(label: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            href: href.into(),
        }
    }
}

/// What in a request names the workspace it is for (see
/// `crate::workspaces`): a credential, an object, or a URL that says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressee {
    /// Whoever holds this text of this kind (a token, a login, a run id).
    Text(&'static str, String),
    /// Whoever holds this number of this kind (an `EshopId`).
    Number(&'static str, u64),
    /// Whoever drew this number from the sequence of this name (an order
    /// id in a hosted page's path).
    Drawn(&'static str, u64),
    /// The workspace of this name (an IMSHOP URL names it).
    Named(String),
    /// Only the body says: ask [`Provider::addressee_in_body`].
    InBody,
    /// Nothing names one: `default`, which answers as the real API does
    /// to a request it cannot place.
    Nobody,
}

/// One payment system as paysandbox serves it. Implemented by each
/// provider's state; every method is cheap unless said otherwise.
pub trait Provider: Send + Sync + fmt::Debug + 'static {
    /// The journal's, the faults' and the metrics' name for it (`softline`).
    fn name(&self) -> &'static str;

    /// What it is, for its tag in the OpenAPI document.
    fn description(&self) -> &'static str;

    /// Where its API and pages are served (`/softline`); a path belongs to
    /// the provider whose mount it starts with.
    fn mount(&self) -> &'static str;

    /// Its API and hosted pages, relative to the mount, documented for the
    /// OpenAPI document, with its own state already given.
    fn routes(&self) -> OpenApiRouter;

    /// Its extras of the control plane, under `/__sandbox/{name}`.
    fn control_routes(&self) -> OpenApiRouter {
        OpenApiRouter::new()
    }

    /// Its entries in the dashboard's navigation.
    fn nav(&self) -> Vec<NavItem> {
        Vec::new()
    }

    /// The pages its navigation entries lead to, at the dashboard's root
    /// (pages under its mount are in [`Provider::routes`]).
    fn panels(&self) -> Router {
        Router::new()
    }

    /// Every outcome a scenario can force from it.
    fn scenarios(&self) -> &'static [Scenario] {
        &[]
    }

    /// A refusal made before routing (a body too large or too slow, an
    /// unknown path) in its own error envelope.
    fn transport_error(&self, status: StatusCode, message: &str) -> Response;

    /// The registered spelling of one of its paths given in another
    /// (IntellectMoney's paths are case-insensitive); `None` when the path
    /// is not its or is already in that form.
    fn canonical_path(&self, _path: &str) -> Option<String> {
        None
    }

    /// What a person wants next to the timeline of `object` (an id the
    /// journal files entries under) when it is one of its objects: its
    /// hosted page, its JSON.
    fn links_for(&self, _object: &str) -> Vec<Link> {
        Vec::new()
    }

    /// How many objects it holds, by metric name (for `/metrics`).
    fn stored_objects(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }

    /// Applies every change time has made by now (expiries, the end of a
    /// hold) to every object, announcing each as it would have been. Reads
    /// of one object settle it by themselves; this is for a clock advance,
    /// after which a merchant expects its notifications without asking.
    /// It reads every object: call it on an advance, not per request.
    fn settle_all(&self) {}

    /// Forgets every object; ids start again from the seed.
    fn reset(&self);

    /// Its section of a snapshot (see `core::snapshot`): its objects in
    /// their states, the tokens it issued, its id sequences and webhook
    /// target. `Null` when it keeps nothing.
    fn snapshot(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// Reads its section of a snapshot (`Null` when the document has
    /// none), checking everything and changing nothing; the install makes
    /// it exactly what the section says. The default keeps nothing: an
    /// empty section installs a reset.
    fn prepare_restore(&self, section: &serde_json::Value) -> Result<Install<'_>, SnapshotError> {
        let empty = section.is_null() || section.as_object().is_some_and(|o| o.is_empty());
        if !empty {
            return Err(SnapshotError::Malformed(format!(
                "providers.{}: it keeps nothing in a snapshot",
                self.name()
            )));
        }
        Ok(Box::new(move || self.reset()))
    }

    /// Durable state (`--data-dir`): from now on, note which objects
    /// change.
    fn track_changes(&self) {}

    /// The objects changed since the last call, each as the row a snapshot
    /// document would hold for it.
    fn take_changes(&self, _out: &mut Vec<ObjectChange>) {}

    /// What it keeps besides objects (id sequences, webhook target), as
    /// JSON; `None` when nothing.
    fn durable_head(&self) -> Option<String> {
        None
    }

    /// Loads a head [`Provider::durable_head`] wrote.
    fn load_head(&self, _body: &str) -> Result<(), String> {
        Ok(())
    }

    /// Loads one object [`Provider::take_changes`] wrote, last touched
    /// `touched` (`None`: written before touch times were kept).
    fn load_object(
        &self,
        kind: &str,
        _id: &str,
        _body: &str,
        _touched: Option<time::OffsetDateTime>,
    ) -> Result<(), String> {
        Err(format!("{} keeps no {kind}", self.name()))
    }

    /// `--retention`: from now on, notes when each of its objects is
    /// touched (made, changed or read), by `source`'s time. Objects it
    /// keeps a bounded number of anyway (IMSHOP runs, the reference
    /// merchant's ledger) need not.
    fn keep_touches(&self, _source: &Arc<dyn crate::core::clock::TimeSource>) {}

    /// `--retention`: forgets every object untouched since `before`, as a
    /// change for a data directory to write; how many.
    fn forget_untouched(&self, _before: time::OffsetDateTime) -> usize {
        0
    }

    /// Whether its requests wait for a reset (see `core::epoch`). A provider
    /// whose handlers call this sandbox over HTTP (the reference merchant)
    /// says no: its call would queue behind a reset that waits for it.
    fn waits_for_reset(&self) -> bool {
        true
    }

    /// What in a request to one of its paths names the workspace, read
    /// from the head alone. Asked of `default`'s instance; cheap, since
    /// every request asks.
    fn addressee(&self, _request: &Parts) -> Addressee {
        Addressee::Nobody
    }

    /// The same, when [`Provider::addressee`] said the body tells.
    fn addressee_in_body(&self, _request: &Parts, _body: &[u8]) -> Addressee {
        Addressee::Nobody
    }

    /// What names this workspace to it (its logins, static tokens, shops,
    /// keys), each a [`Addressee::Text`] or [`Addressee::Number`]: claimed
    /// when the workspace is made, so requests carrying them find it.
    fn credentials(&self) -> Vec<Addressee> {
        Vec::new()
    }
}

/// Every provider, in the order the dashboard lists them. Cloning shares.
#[derive(Clone, Debug)]
pub struct Providers(Arc<[Arc<dyn Provider>]>);

impl Providers {
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        Self(providers.into())
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Provider> {
        self.0.iter().map(|p| &**p)
    }

    /// The provider a request path belongs to: the one whose mount it
    /// starts with, segment by segment (`/softline/v1/payment` → Softline;
    /// `/softlinex` → none).
    pub fn of_path(&self, path: &str) -> Option<&dyn Provider> {
        self.iter().find(|p| {
            path.strip_prefix(p.mount())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// The provider a journal name belongs to.
    pub fn named(&self, name: &str) -> Option<&dyn Provider> {
        self.iter().find(|p| p.name() == name)
    }

    /// The registered spelling of `path`, when a provider takes others.
    pub fn canonical_path(&self, path: &str) -> Option<String> {
        self.iter().find_map(|p| p.canonical_path(path))
    }

    /// Every provider's scenarios, in table order.
    pub fn catalogue(&self) -> Vec<Scenario> {
        self.iter()
            .flat_map(|p| p.scenarios().iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[derive(Debug)]
    struct Fake(&'static str, &'static str);

    impl Provider for Fake {
        fn name(&self) -> &'static str {
            self.0
        }

        fn description(&self) -> &'static str {
            "a provider for tests"
        }

        fn mount(&self) -> &'static str {
            self.1
        }

        fn routes(&self) -> OpenApiRouter {
            OpenApiRouter::new()
        }

        fn transport_error(&self, status: StatusCode, _: &str) -> Response {
            status.into_response()
        }

        fn reset(&self) {}
    }

    fn table() -> Providers {
        Providers::new(vec![
            Arc::new(Fake("softline", "/softline")),
            Arc::new(Fake("demo", "/demo/merchant")),
        ])
    }

    #[test]
    fn a_path_belongs_to_the_provider_whose_mount_it_starts_with_segment_by_segment() {
        let providers = table();
        let cases = [
            ("/softline/v1/payment", Some("softline")),
            ("/softline", Some("softline")),
            ("/softlinex/v1", None),
            ("/demo/merchant/payments", Some("demo")),
            ("/demo/other", None),
            ("/__sandbox/journal", None),
            ("/", None),
        ];
        for (path, expected) in cases {
            assert_eq!(
                providers.of_path(path).map(|p| p.name()),
                expected,
                "{path}"
            );
        }
    }

    #[test]
    fn a_provider_is_found_by_its_journal_name() {
        assert_eq!(
            table().named("demo").map(|p| p.mount()),
            Some("/demo/merchant")
        );
        assert!(table().named("stripe").is_none());
    }
}
