//! The dashboard at `/`: server-rendered HTML, a few lines of vanilla
//! JavaScript for live refresh, nothing from the internet.
//!
//! Pages read the same core the control plane exposes as JSON; the forms
//! post to `/actions/...`, which change state through the same core methods
//! and redirect back (post/redirect/get), so every action works without
//! JavaScript.

mod actions;
mod snapshots;
mod workspaces;

use crate::core::current::State;
use askama::Template;
use askama_web::WebTemplate;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use crate::core::error::{AdminPath, AdminQuery};
use crate::core::journal::{Entry, EntryKind, Message, Query};
use crate::core::outbox::{Delivery, DeliveryState};
use crate::core::signature::{SignatureHelp, SignedField};
use crate::core::{Core, PublicUrl};
use crate::fixtures::Credentials;
use crate::provider::Link;
use crate::state::AppState;
use crate::web::{Frame, Nav, NavItem, format_time, url_pieces};
use crate::workspaces::Workspaces;

/// The one stylesheet, compiled in.
const STYLESHEET: &str = include_str!("../../../assets/paysandbox.css");
/// Live refresh of the dashboard's tables.
const SCRIPT: &str = include_str!("../../../assets/dashboard.js");

/// The dashboard's first entry in the navigation.
pub const OVERVIEW: NavItem = NavItem {
    key: "overview",
    href: "/",
    label: "Overview",
};

/// The dashboard's own pages after the providers' panels.
pub const NAV: [NavItem; 5] = [
    NavItem {
        key: "journal",
        href: "/journal",
        label: "Journal",
    },
    NavItem {
        key: "webhooks",
        href: "/webhooks",
        label: "Webhooks",
    },
    NavItem {
        key: "scenarios",
        href: "/scenarios",
        label: "Scenarios",
    },
    NavItem {
        key: "faults",
        href: "/faults",
        label: "Faults",
    },
    NavItem {
        key: "snapshots",
        href: "/snapshots",
        label: "Snapshots",
    },
];

pub fn router() -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/journal", get(journal_page))
        .route("/objects/{id}", get(object_page))
        .route("/webhooks", get(webhooks_page))
        .route("/scenarios", get(scenarios_page))
        .route("/faults", get(faults_page))
        .route("/snapshots", get(snapshots_page))
        .route("/assets/paysandbox.css", get(stylesheet))
        .route("/assets/dashboard.js", get(script))
        .route("/actions/reset", post(actions::reset))
        .route("/actions/clock", post(actions::advance_clock))
        .route("/actions/scenarios", post(actions::arm_scenario))
        .route(
            "/actions/scenarios/{handle}/disarm",
            post(actions::disarm_scenario),
        )
        .route("/actions/faults", post(actions::add_fault))
        .route(
            "/actions/faults/{handle}/remove",
            post(actions::remove_fault),
        )
        .route("/actions/webhooks/{id}/redeliver", post(actions::redeliver))
        .route("/actions/snapshots", post(actions::take_snapshot))
        .route("/actions/snapshots/import", post(actions::import_snapshot))
        .route(
            "/actions/snapshots/{name}/restore",
            post(actions::restore_snapshot),
        )
        .route(
            "/actions/snapshots/{name}/delete",
            post(actions::delete_snapshot),
        )
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

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}

fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Inbound => "inbound",
        EntryKind::Webhook => "webhook",
        EntryKind::Outbound => "outbound",
        EntryKind::Transition => "transition",
        EntryKind::Event => "event",
    }
}

/// One journal entry as the dashboard shows it.
pub struct EntryRow {
    pub id: u64,
    pub time: String,
    pub provider: &'static str,
    pub kind: &'static str,
    pub method: String,
    pub url: String,
    pub summary: String,
    pub status: String,
    /// `ok`, `warn`, `bad` or empty: the colour of the status.
    pub tone: &'static str,
    pub duration: String,
    pub objects: Vec<String>,
    pub request: Option<MessageView>,
    pub response: Option<MessageView>,
    /// A refused signature's expected base, shown beside the request.
    pub signature: Option<SignatureView>,
}

/// What a refused signature should have been computed over: the base and
/// the template's fields in order ("OrderId = (empty)").
pub struct SignatureView {
    pub base: String,
    pub fields: Vec<String>,
}

impl SignatureView {
    fn from(help: &SignatureHelp) -> Self {
        Self {
            base: help.base.clone(),
            fields: help.fields.iter().map(SignedField::describe).collect(),
        }
    }
}

/// Headers and body of a message, for a collapsible block.
pub struct MessageView {
    pub headers: String,
    pub body: String,
}

impl MessageView {
    fn from(message: &Message) -> Self {
        Self {
            headers: message
                .headers()
                .iter()
                .map(|(n, v)| format!("{n}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            body: pretty(&message.body()),
        }
    }
}

/// JSON bodies indented, anything else as it is.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned())
}

fn tone(status: Option<u16>) -> &'static str {
    match status {
        Some(200..=299) => "ok",
        Some(300..=399) => "warn",
        Some(_) => "bad",
        None => "",
    }
}

impl EntryRow {
    pub fn from_entry(e: &Entry) -> Self {
        Self {
            id: e.id,
            time: format_time(e.at),
            provider: e.provider,
            kind: kind_name(e.kind),
            method: e.method.clone().unwrap_or_default(),
            url: e.url.clone().unwrap_or_default(),
            summary: e.summary.clone().unwrap_or_default(),
            status: e.status.map(|s| s.to_string()).unwrap_or_default(),
            tone: tone(e.status),
            duration: e
                .duration_ms
                .map(|ms| format!("{ms:.1} ms"))
                .unwrap_or_default(),
            objects: e.objects.clone(),
            request: e.request.as_ref().map(MessageView::from),
            response: e.response.as_ref().map(MessageView::from),
            signature: e.signature.as_ref().map(SignatureView::from),
        }
    }
}

/// A notice carried across a redirect after an action.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    done: Option<String>,
}

/// The URLs the overview hands out.
struct OverviewUrls {
    softline: Vec<String>,
    intellectmoney: Vec<String>,
    imshop_sync: Vec<String>,
    demo_merchant: Vec<String>,
}

impl OverviewUrls {
    fn new(public_url: &PublicUrl) -> Self {
        let pieces = |url: String| url_pieces(&url).into_iter().map(str::to_owned).collect();
        Self {
            softline: pieces(public_url.join("/softline")),
            intellectmoney: pieces(public_url.join("/intellectmoney")),
            imshop_sync: pieces(public_url.scoped("/imshop/sync")),
            demo_merchant: pieces(public_url.join("/demo/merchant/payments")),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/index.html")]
struct OverviewPage {
    frame: Frame,
    /// Each base URL in pieces, so a long one wraps at its separators.
    urls: OverviewUrls,
    cards: Vec<crate::core::cards::TestCard>,
    entries: Vec<EntryRow>,
    journal_len: usize,
    journal_capacity: usize,
    pending_webhooks: usize,
    armed: usize,
    faults: usize,
    /// The workspace's own credentials; `None` without the registry, when
    /// the page names the fixtures' usual ones.
    credentials: Option<Credentials>,
    workspaces: Vec<workspaces::WorkspaceRow>,
}

/// `GET /`: what paysandbox offers, which workspaces it holds, and what just
/// happened in the one on screen.
async fn overview(
    nav: Nav,
    State(core): State<Core>,
    registry: Option<Extension<Workspaces>>,
    AdminQuery(notice): AdminQuery<Notice>,
) -> OverviewPage {
    let registry = registry.as_ref().map(|Extension(w)| w);
    let current = nav.workspace.current().to_owned();
    let mut entries: Vec<EntryRow> = core
        .journal
        .query(&Query {
            limit: Some(15),
            ..Query::default()
        })
        .iter()
        .map(|e| EntryRow::from_entry(e))
        .collect();
    entries.reverse();
    OverviewPage {
        frame: Frame::new(&core, nav, "overview").notice(notice.done),
        urls: OverviewUrls::new(&core.public_url),
        cards: core.cards.cards.clone(),
        entries,
        journal_len: core.journal.len(),
        journal_capacity: core.journal.capacity(),
        pending_webhooks: core.outbox.pending_count(),
        armed: core.scenarios.armed().len(),
        faults: core.faults.list().len(),
        credentials: workspaces::credentials(registry, &current),
        workspaces: workspaces::rows(registry, &current),
    }
}

#[derive(Debug, Default, Deserialize)]
struct JournalFilter {
    provider: Option<String>,
    object: Option<String>,
    kind: Option<String>,
    limit: Option<usize>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/journal.html")]
struct JournalPage {
    frame: Frame,
    provider: String,
    object: String,
    kind: String,
    limit: usize,
    entries: Vec<EntryRow>,
    export: String,
}

fn parse_kind(kind: &str) -> Option<EntryKind> {
    serde_json::from_value(serde_json::Value::String(kind.to_owned())).ok()
}

/// `GET /journal`: the journal with filters, newest first.
async fn journal_page(
    nav: Nav,
    State(core): State<Core>,
    AdminQuery(filter): AdminQuery<JournalFilter>,
) -> JournalPage {
    let provider = filter.provider.unwrap_or_default();
    let object = filter.object.unwrap_or_default();
    let kind = filter.kind.unwrap_or_default();
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
    let mut entries: Vec<EntryRow> = core
        .journal
        .query(&Query {
            provider: Some(provider.clone()).filter(|p| !p.is_empty()),
            object: Some(object.clone()).filter(|o| !o.is_empty()),
            kind: parse_kind(&kind),
            limit: Some(limit),
        })
        .iter()
        .map(|e| EntryRow::from_entry(e))
        .collect();
    entries.reverse();
    // Only the filters set: the control plane refuses an empty `kind`.
    let filters: Vec<(&str, &str)> = [
        ("provider", provider.as_str()),
        ("object", object.as_str()),
        ("kind", kind.as_str()),
        ("download", "true"),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .collect();
    let export = serde_urlencoded::to_string(filters)
        .map(|q| {
            nav.workspace
                .control_url(&format!("/__sandbox/journal?{q}"))
        })
        .unwrap_or_default();
    JournalPage {
        frame: Frame::new(&core, nav, "journal"),
        provider,
        object,
        kind,
        limit,
        entries,
        export,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/object.html")]
struct ObjectPage {
    frame: Frame,
    id: String,
    entries: Vec<EntryRow>,
    deliveries: Vec<DeliveryRow>,
    links: Vec<Link>,
    /// Where the redeliver buttons come back to.
    back: String,
}

/// `GET /objects/{id}`: one payment's, invoice's or run's whole timeline,
/// oldest first.
async fn object_page(
    nav: Nav,
    State(state): State<AppState>,
    AdminPath(id): AdminPath<String>,
) -> ObjectPage {
    let core = &state.core;
    let entries = core
        .journal
        .query(&Query {
            object: Some(id.clone()),
            ..Query::default()
        })
        .iter()
        .map(|e| EntryRow::from_entry(e))
        .collect();
    let deliveries = core
        .outbox
        .list()
        .iter()
        .filter(|d| d.objects.contains(&id))
        .map(DeliveryRow::from)
        .collect();
    // The providers' links name the control plane as `default` sees it.
    let links = state
        .links_for(&id)
        .into_iter()
        .map(|link| Link {
            href: nav.workspace.control_url(&link.href),
            ..link
        })
        .collect();
    ObjectPage {
        frame: Frame::new(core, nav, "journal"),
        links,
        back: format!(
            "/objects/{}",
            serde_urlencoded::to_string([("", id.as_str())])
                .unwrap_or_default()
                .trim_start_matches('=')
        ),
        id,
        entries,
        deliveries,
    }
}

/// One webhook delivery as the dashboard shows it.
pub struct DeliveryRow {
    pub id: u64,
    pub provider: &'static str,
    pub event: String,
    pub url: String,
    pub state: String,
    pub tone: &'static str,
    pub attempts: Vec<AttemptRow>,
    pub objects: Vec<String>,
    pub body: String,
    /// Whether a wrong signature can be sent.
    pub signed: bool,
    /// The signed text, the secret as `<secret>`; empty when unsigned.
    pub signature_base: String,
}

pub struct AttemptRow {
    pub time: String,
    pub status: String,
    pub latency: String,
    pub error: String,
}

impl DeliveryRow {
    fn from(d: &Delivery) -> Self {
        let (state, tone) = match &d.state {
            DeliveryState::Pending { due } => {
                (format!("pending, next at {}", format_time(*due)), "warn")
            }
            DeliveryState::InFlight => ("sending".to_owned(), "warn"),
            DeliveryState::Delivered => ("delivered".to_owned(), "ok"),
            DeliveryState::GaveUp { reason } => (format!("gave up: {reason}"), "bad"),
        };
        Self {
            id: d.id,
            provider: d.provider,
            event: d.event.clone(),
            url: d.url.clone(),
            state,
            tone,
            attempts: d
                .attempts
                .iter()
                .map(|a| AttemptRow {
                    time: format_time(a.at),
                    status: a
                        .status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "—".to_owned()),
                    latency: format!("{:.1} ms", a.latency_ms),
                    error: match (&a.error, a.bad_signature) {
                        (Some(e), true) => format!("{e} (wrong signature sent on purpose)"),
                        (None, true) => "wrong signature sent on purpose".to_owned(),
                        (Some(e), false) => e.clone(),
                        (None, false) => String::new(),
                    },
                })
                .collect(),
            objects: d.objects.clone(),
            body: pretty(&String::from_utf8_lossy(&d.body)),
            signed: d.signature.is_some(),
            signature_base: d.signature_base.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/webhooks.html")]
struct WebhooksPage {
    frame: Frame,
    deliveries: Vec<DeliveryRow>,
}

/// `GET /webhooks`: every delivery, newest first, with its attempts.
async fn webhooks_page(
    nav: Nav,
    State(core): State<Core>,
    AdminQuery(notice): AdminQuery<Notice>,
) -> WebhooksPage {
    let mut deliveries: Vec<DeliveryRow> =
        core.outbox.list().iter().map(DeliveryRow::from).collect();
    deliveries.reverse();
    WebhooksPage {
        frame: Frame::new(&core, nav, "webhooks").notice(notice.done),
        deliveries,
    }
}

pub struct ScenarioRow {
    pub id: &'static str,
    pub applies_to: &'static str,
    pub response: &'static str,
}

pub struct ArmedRow {
    pub handle: u64,
    pub id: String,
    pub remaining: u32,
    pub matches: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/scenarios.html")]
struct ScenariosPage {
    frame: Frame,
    groups: Vec<(String, Vec<ScenarioRow>)>,
    armed: Vec<ArmedRow>,
}

/// `GET /scenarios`: the catalogue with an arm button per outcome.
async fn scenarios_page(
    nav: Nav,
    State(core): State<Core>,
    AdminQuery(notice): AdminQuery<Notice>,
) -> ScenariosPage {
    let mut groups: Vec<(String, Vec<ScenarioRow>)> = Vec::new();
    for s in core.scenarios.catalogue() {
        let row = ScenarioRow {
            id: s.id,
            applies_to: s.applies_to,
            response: s.response,
        };
        match groups.last_mut() {
            Some((operation, rows)) if operation == s.operation => rows.push(row),
            _ => groups.push((s.operation.to_owned(), vec![row])),
        }
    }
    let armed = core
        .scenarios
        .armed()
        .into_iter()
        .map(|a| ArmedRow {
            handle: a.handle,
            id: a.arm.id,
            remaining: a.remaining,
            matches: a
                .arm
                .matches
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    ScenariosPage {
        frame: Frame::new(&core, nav, "scenarios").notice(notice.done),
        groups,
        armed,
    }
}

pub struct FaultRow {
    pub handle: u64,
    pub provider: String,
    pub direction: &'static str,
    pub scope: String,
    pub effect: String,
    pub limit: String,
    pub applied: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/faults.html")]
struct FaultsPage {
    frame: Frame,
    faults: Vec<FaultRow>,
}

/// `GET /faults`: active faults and a form to add one.
async fn faults_page(
    nav: Nav,
    State(core): State<Core>,
    AdminQuery(notice): AdminQuery<Notice>,
) -> FaultsPage {
    use crate::core::faults::{Direction, Latency};
    let faults = core
        .faults
        .list()
        .into_iter()
        .map(|f| {
            let mut effect = Vec::new();
            match f.spec.latency_ms {
                Some(Latency::Fixed(ms)) => effect.push(format!("delay {ms} ms")),
                Some(Latency::Range([a, b])) => effect.push(format!("delay {a}–{b} ms")),
                None => {}
            }
            if let Some(status) = f.spec.status {
                effect.push(format!("status {status}"));
            }
            if f.spec.drop {
                effect.push("drop the connection".to_owned());
            }
            let mut limit = Vec::new();
            if let Some(left) = f.remaining {
                limit.push(format!("{left} left"));
            }
            if let Some(p) = f.spec.probability {
                limit.push(format!("p = {p}"));
            }
            FaultRow {
                handle: f.handle,
                direction: match f.spec.direction {
                    Direction::Inbound => "requests",
                    Direction::Outbound => "webhooks",
                },
                scope: format!(
                    "{} {}",
                    f.spec.method.as_deref().unwrap_or("any method"),
                    f.spec.path.as_deref().unwrap_or("any path")
                ),
                provider: f.spec.provider,
                effect: effect.join(", "),
                limit: if limit.is_empty() {
                    "until removed".to_owned()
                } else {
                    limit.join(", ")
                },
                applied: f.applied,
            }
        })
        .collect();
    FaultsPage {
        frame: Frame::new(&core, nav, "faults").notice(notice.done),
        faults,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/snapshots.html")]
struct SnapshotsPage {
    frame: Frame,
    snapshots: Vec<snapshots::SnapshotRow>,
    /// What a snapshot taken without a name is called.
    next_name: String,
}

/// `GET /snapshots`: the workspace's snapshots, newest first, with forms to
/// take, restore, delete and import them.
async fn snapshots_page(
    nav: Nav,
    State(state): State<AppState>,
    AdminQuery(notice): AdminQuery<Notice>,
) -> SnapshotsPage {
    let shelf = &state.core.snapshots;
    let mut documents = shelf.list();
    documents.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(a.name.cmp(&b.name)));
    let snapshots = documents
        .iter()
        .map(|d| snapshots::SnapshotRow::new(d, &nav.workspace))
        .collect();
    SnapshotsPage {
        frame: Frame::new(&state.core, nav, "snapshots").notice(notice.done),
        snapshots,
        next_name: shelf.free_name(),
    }
}
