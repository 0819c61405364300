//! IMSHOP.IO as the caller of a merchant's payments webhook, served under
//! `/imshop`.
//!
//! Unlike the other providers, paysandbox *calls* the merchant here: it
//! plays IMSHOP.IO and the mobile app through every flow (`create` → the
//! payment page in a web view → `capture`; `applepay`; `androidpay`) and
//! reports named checks with their evidence. The facts it follows are the
//! payments webhook ("webhook управления оплатами") as docs.imshop.io
//! describes it: one merchant URL, four commands (`create`, `applepay`,
//! `androidpay`, `capture`, no refund or status command), refusals as
//! `{"success": false, "error"}`, `pending` followed up by repeating
//! `capture` and by the async status sync URL. What the docs leave open and
//! paysandbox decided is in `docs/imshop.md`, "Inferred, not
//! documented".
//!
//! Docs: <https://docs.imshop.io/dopolnitelnye-integracii/korzina-oformlenie-zakaza/ekvairing-cherez-webhook/sozdanie-platezha-po-karte>
//!
//! # Layout
//! - [`engine`]: runs the flows against the webhook (`engine/flows.rs`),
//!   calls and journals it (`webhook.rs`), judges each exchange
//!   ([`engine::judge`], pure and unit-tested) and drives the payment page
//!   (`payment_page.rs`). Library code: the command line
//!   (`paysandbox imshop run`, in `crate::cli::imshop`), the runs API and
//!   the dashboard drive it;
//! - [`wire`]: the commands' bodies and the merchant's answers, read field
//!   by field;
//! - [`webview`]: the app's web view, which follows the payment page's
//!   redirects, matches the regexes and fills paysandbox's hosted pages;
//! - [`checks`]: the named checks and their evidence; [`report`] writes a
//!   run as JSON, JUnit XML or a readable summary;
//! - [`options`]: what a run is asked to do; [`fixture`]: what paysandbox
//!   sends as IMSHOP.IO (`fixtures/imshop.json`);
//! - [`routes`], [`runs`] and [`pages`]: the runs API (`/imshop/runs`)
//!   and its HTML pages;
//! - [`sync`]: the async status sync URL `POST /imshop/sync`, whose refusal
//!   [`scenarios`] can force; [`error`]: this side's errors in IMSHOP's
//!   shape;
//! - [`snapshot`]: its section of a snapshot (the finished runs), and the
//!   same runs as rows of a data directory (`--data-dir`; a run in
//!   progress is not kept, and is absent after a restart).

pub mod addressee;
pub mod checks;
pub mod engine;
pub mod error;
pub mod fixture;
pub mod options;
pub mod pages;
pub mod report;
pub mod routes;
pub mod runs;
pub mod scenarios;
pub mod snapshot;
pub mod sync;
pub mod webview;
pub mod wire;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

pub use engine::Engine;
pub use fixture::Fixture;

use crate::core::scenarios::Scenario;
use crate::core::{Core, Shared};
use crate::provider::{Addressee, Provider};
use crate::web::NavItem;
use utoipa_axum::router::OpenApiRouter;

/// The journal's name for this provider.
pub const NAME: &str = "imshop";

/// Where it is served.
pub const MOUNT: &str = "/imshop";

/// The runs' page in the dashboard's navigation.
pub const RUNS_NAV: NavItem = NavItem {
    key: "imshop",
    href: "/imshop/runs",
    label: "IMSHOP runs",
};

/// Orders and payments the sync board remembers.
const SYNC_BOARD_CAPACITY: usize = 10_000;

/// IMSHOP's share of the application state, behind one `Arc` (see
/// [`Shared`]); cloning shares it.
pub type State = Shared<Inner>;

#[derive(Debug)]
pub struct Inner {
    pub core: Core,
    pub fixture: Arc<Fixture>,
    pub engine: Engine,
    pub runs: runs::Runs,
    pub sync: sync::SyncBoard,
}

impl State {
    pub fn new(core: Core, fixture: Arc<Fixture>) -> Self {
        let sync = sync::SyncBoard::new(SYNC_BOARD_CAPACITY);
        let engine = Engine::new(core.clone(), Arc::clone(&fixture), sync.clone());
        Self::wrap(Inner {
            runs: runs::Runs::new(fixture.runs_kept),
            core,
            fixture,
            engine,
            sync,
        })
    }

    /// Stops and forgets every run, and what the sync board watched.
    pub fn reset(&self) {
        self.runs.clear();
        self.sync.clear();
    }
}

/// Every route of this provider, documented for the OpenAPI document.
pub fn router() -> OpenApiRouter {
    routes::router()
}

impl Provider for State {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "IMSHOP.IO: sync URL and conformance runs"
    }

    fn mount(&self) -> &'static str {
        MOUNT
    }

    fn routes(&self) -> OpenApiRouter {
        router()
    }

    /// The runs' page is one of its routes (`/imshop/runs` answers HTML to
    /// a browser).
    fn nav(&self) -> Vec<NavItem> {
        vec![RUNS_NAV]
    }

    fn scenarios(&self) -> &'static [Scenario] {
        scenarios::CATALOGUE
    }

    fn transport_error(&self, status: StatusCode, message: &str) -> Response {
        transport_error(status, message)
    }

    fn stored_objects(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("imshop_runs", self.runs.len()),
            ("imshop_runs_capacity", self.runs.capacity()),
        ]
    }

    fn reset(&self) {
        State::reset(self);
    }

    fn snapshot(&self) -> serde_json::Value {
        self.snapshot_section()
    }

    fn prepare_restore(
        &self,
        section: &serde_json::Value,
    ) -> Result<crate::core::snapshot::Install<'_>, crate::core::snapshot::SnapshotError> {
        self.prepare_section(section)
    }

    fn track_changes(&self) {
        self.track_durable_changes();
    }

    fn take_changes(&self, out: &mut Vec<crate::core::durable::ObjectChange>) {
        self.take_durable_changes(out);
    }

    fn load_object(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        _touched: Option<time::OffsetDateTime>,
    ) -> Result<(), String> {
        self.load_durable_object(kind, id, body)
    }

    fn addressee(&self, request: &Parts) -> Addressee {
        addressee::of_head(request)
    }

    fn credentials(&self) -> Vec<Addressee> {
        vec![Addressee::Text(
            addressee::KEY,
            self.fixture.api_key.clone(),
        )]
    }
}

/// A transport-level refusal in IMSHOP's `{success: false, error}` shape
/// (also the reference merchant's, an IMSHOP webhook).
pub fn transport_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({"success": false, "error": message});
    (status, axum::Json(body)).into_response()
}
