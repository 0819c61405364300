//! The dashboard at `/`: server-rendered HTML, no assets from the internet.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use time::format_description::well_known::Rfc3339;

use crate::core::Core;
use crate::core::journal::{Entry, Query};
use crate::state::AppState;

/// The one stylesheet, compiled in.
const STYLESHEET: &str = include_str!("../../assets/paysandbox.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/assets/paysandbox.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

/// What every dashboard page shows in its frame.
pub struct Frame {
    pub clock_now: String,
    pub clock_offset: i64,
    pub version: &'static str,
    pub seed: u64,
}

impl Frame {
    pub fn new(core: &Core) -> Self {
        Self {
            clock_now: core.clock.now().format(&Rfc3339).unwrap_or_default(),
            clock_offset: core.clock.offset().whole_seconds(),
            version: env!("CARGO_PKG_VERSION"),
            seed: core.ids.seed(),
        }
    }
}

/// One journal line as the dashboard shows it.
pub struct EntryRow {
    pub time: String,
    pub provider: &'static str,
    pub kind: String,
    pub what: String,
    pub status: String,
    pub objects: String,
}

impl EntryRow {
    pub fn from_entry(e: &Entry) -> Self {
        let what = match (&e.method, &e.url, &e.summary) {
            (Some(m), Some(u), Some(s)) => format!("{m} {u} — {s}"),
            (Some(m), Some(u), None) => format!("{m} {u}"),
            (_, _, Some(s)) => s.clone(),
            _ => String::new(),
        };
        Self {
            time: e.at.format(&Rfc3339).unwrap_or_default(),
            provider: e.provider,
            kind: serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            what,
            status: e.status.map(|s| s.to_string()).unwrap_or_default(),
            objects: e.objects.join(", "),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/index.html")]
struct OverviewPage {
    clock_now: String,
    clock_offset: i64,
    version: &'static str,
    seed: u64,
    public_url: String,
    cards: Vec<crate::core::cards::TestCard>,
    entries: Vec<EntryRow>,
}

/// `GET /`: what paysandbox offers and what just happened.
async fn overview(State(core): State<Core>) -> OverviewPage {
    let frame = Frame::new(&core);
    let mut entries: Vec<EntryRow> = core
        .journal
        .query(&Query {
            limit: Some(30),
            ..Query::default()
        })
        .iter()
        .map(|e| EntryRow::from_entry(e))
        .collect();
    entries.reverse();
    OverviewPage {
        clock_now: frame.clock_now,
        clock_offset: frame.clock_offset,
        version: frame.version,
        seed: frame.seed,
        public_url: core.public_url.as_str().to_owned(),
        cards: core.cards.cards.clone(),
        entries,
    }
}
