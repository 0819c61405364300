//! IMSHOP.IO as the caller of a merchant's payments webhook, served under
//! `/imshop`.
//!
//! Unlike the other providers, paysandbox *calls* the merchant here. The
//! [`engine`] plays IMSHOP.IO and the mobile app through every flow
//! (`create` → the payment page in a [`webview`] → `capture`; `applepay`;
//! `androidpay`) and reports named [`checks`] with their evidence; the
//! [`report`] writes them as JSON, JUnit XML or a readable summary. The
//! engine is library code: the CLI (`paysandbox imshop run`, see [`cli`]),
//! the runs API ([`routes`], [`runs`]) and the dashboard drive it. The
//! async status sync URL `POST /imshop/sync` is in [`sync`].
//!
//! Docs: https://docs.imshop.io/dopolnitelnye-integracii/korzina-oformlenie-zakaza/ekvairing-cherez-webhook/sozdanie-platezha-po-karte
//! (seeds 000, 001, 004; `shared/spec/providers/imshop.md`).

pub mod checks;
pub mod cli;
pub mod engine;
pub mod error;
pub mod fixture;
pub mod options;
pub mod pages;
pub mod report;
pub mod routes;
pub mod runs;
pub mod scenarios;
pub mod sync;
pub mod webview;
pub mod wire;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use engine::Engine;
pub use fixture::Fixture;

use crate::core::scenarios::Scenario;
use crate::core::{Core, Shared};
use crate::provider::Provider;
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
pub fn router() -> OpenApiRouter<State> {
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
        router().with_state(self.clone())
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
}

/// A transport-level refusal in IMSHOP's `{success: false, error}` shape
/// (also the reference merchant's, an IMSHOP webhook).
pub fn transport_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({"success": false, "error": message});
    (status, axum::Json(body)).into_response()
}
