//! Softline Payments (`https://api.ecommerce.softline.com/`), served under
//! `/softline`.
//!
//! What is simulated, as Softline documents it (`docs/softline.md`
//! lists every endpoint and error code):
//!
//! - the token API (`POST /v1/login_check`; 24-hour tokens by the sandbox
//!   clock; static tokens; the 401 codes 1007, 1008 and 1009);
//! - `POST /v1/payment` with every documented check and error code, in the
//!   documented two groups (see [`validate`]);
//! - auto-payments (`POST /v1/payment/recurring`), whose charge ends
//!   asynchronously after the fixture's delay;
//! - `GET /v1/order/{id}` and `POST /v1/order/search`;
//! - the hosted payment form at `/softline/order/status/{order_id}/{hash}`
//!   with the test cards and a 3-D Secure page (see [`pages`]);
//! - signed webhooks through the core outbox (see [`webhooks`]);
//! - control-plane extras under `/__sandbox/softline`: the webhook target
//!   and full refunds (see [`control`]).
//!
//! Deviations and guesses where the documentation is silent are listed in
//! `docs/softline.md` ("Inferred, not documented").
//!
//! Request flow: `routes`/`pages` extract → `validate` (typed input) →
//! `model` (pure transition) → store, journal, `webhooks` → answer. The
//! typed values `validate` makes and `model` keeps are in `types`; how a
//! stored payment's text is laid out in memory is in `storage`.

pub mod addressee;
pub mod auth;
pub mod control;
pub mod error;
pub mod fixture;
pub mod model;
pub mod pages;
pub mod panel;
pub mod routes;
pub mod scenarios;
pub mod snapshot;
pub mod storage;
pub mod types;
pub mod validate;
pub mod webhooks;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

pub use fixture::Fixture;

use crate::core::ids::Sequence;
use crate::core::journal::JournalSummary;
use crate::core::journal::{Entry, EntryKind};
use crate::core::scenarios::Scenario;
use crate::core::store::Store;
use crate::core::{Core, Shared};
use crate::openapi::routes;
use crate::provider::{Addressee, Link, Provider};
use crate::web::NavItem;
use error::SoftlineError;
use model::{Observed, Payment};
use wire::ViewContext;

/// The journal's name for this provider.
pub const NAME: &str = "softline";

/// Where it is served.
pub const MOUNT: &str = "/softline";

/// Softline's share of the application state, behind one `Arc` (see
/// [`Shared`]); cloning shares it.
pub type State = Shared<Inner>;

#[derive(Debug)]
pub struct Inner {
    pub core: Core,
    pub fixture: Arc<Fixture>,
    /// Every payment by `order_id`.
    /// Boxed so the maps move pointers, not records, when they grow.
    payments: Store<u64, Box<Payment>>,
    /// Tokens issued by `login_check`.
    tokens: auth::Tokens,
    /// Where `order_id`s come from (seeded, unique, increasing).
    order_ids: Sequence,
    /// Where webhooks go.
    webhook: webhooks::TargetCell,
}

impl State {
    pub fn new(core: Core, fixture: Arc<Fixture>) -> Self {
        let range = fixture.order_ids;
        Self::wrap(Inner {
            order_ids: core.ids.sequence(addressee::ORDER, range.from..range.to),
            webhook: webhooks::TargetCell::new(&fixture),
            payments: Store::new(),
            tokens: auth::Tokens::default(),
            core,
            fixture,
        })
    }

    /// Forgets every payment and token; order ids restart, the webhook
    /// target is the fixture's again.
    pub fn reset(&self) {
        self.payments.clear();
        self.tokens.clear();
        self.order_ids.reset();
        self.webhook.reset(&self.fixture);
    }

    /// How many payments are stored (metrics).
    pub fn payment_count(&self) -> usize {
        self.payments.len()
    }

    /// The newest `limit` payments, each as of now (for the dashboard).
    pub fn latest(&self, limit: usize) -> Vec<Payment> {
        let mut ids: Vec<(OffsetDateTime, u64)> =
            self.payments.filter_map(|id, p| Some((p.created_at, *id)));
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.into_iter()
            .take(limit)
            .filter_map(|(_, id)| self.settled(id))
            .collect()
    }

    /// The path of a payment's hosted form.
    fn form_path(payment: &Payment) -> String {
        let mut path = String::with_capacity(48);
        Self::write_form_path(&mut path, payment);
        path
    }

    fn write_form_path(out: &mut String, payment: &Payment) {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "/softline/order/status/{}/{}",
            payment.order_id,
            payment.hash()
        );
    }

    /// The hosted form's path for an order id, if there is such an order.
    pub fn form_path_of(&self, order_id: u64) -> Option<String> {
        self.payments.read(&order_id, |p| Self::form_path(p))
    }

    /// The hosted form's URL under the public URL (`order_detail_url`).
    pub fn form_url(&self, payment: &Payment) -> String {
        self.form_url_in(payment, None)
    }

    /// The hosted form's URL in `locale` (`?lang=`), as create-payment
    /// answers it: written once into a string of its size (three
    /// `format!`s before, each a string grown as it was written).
    pub fn form_url_in(&self, payment: &Payment, locale: Option<&str>) -> String {
        let base = self.core.public_url.as_str();
        let mut url = String::with_capacity(base.len() + 48 + locale.map_or(0, |l| l.len() + 6));
        url.push_str(base);
        Self::write_form_path(&mut url, payment);
        if let Some(locale) = locale {
            url.push_str("?lang=");
            url.push_str(locale);
        }
        url
    }

    /// What an [`wire::OrderData`] of `payment` needs, as of `now`.
    pub fn view_context(&self, payment: &Payment, now: OffsetDateTime) -> ViewContext<'_> {
        ViewContext {
            offset: self.fixture.utc_offset.0,
            form_url: self.form_url(payment),
            method_name: self
                .fixture
                .method(payment.payment_method())
                .map_or("", |m| m.name.as_str()),
            now,
        }
    }

    /// Stores a new payment; the summary goes on the journal entry of the
    /// call that created it (one entry per create, not two: the journal is
    /// on the hot path).
    fn insert(&self, payment: Payment) -> JournalSummary {
        let summary = JournalSummary(format!(
            "payment {} created: {} {} ({})",
            payment.order_id,
            payment.amount,
            payment.currency.as_str(),
            payment.status.as_str()
        ));
        self.payments.insert(payment.order_id, Box::new(payment));
        summary
    }

    /// A copy of a payment with everything time has done applied (and
    /// journaled the first time it is seen).
    pub fn settled(&self, order_id: u64) -> Option<Payment> {
        self.update(order_id, |p| p.clone())
    }

    /// Applies `f` to a stored payment, after what time has done, under one
    /// lock.
    fn update<R>(&self, order_id: u64, f: impl FnOnce(&mut Payment) -> R) -> Option<R> {
        let now = self.core.clock.now();
        let lifetime = self.fixture.unpaid_lifetime();
        let (result, observed) = self.payments.update(&order_id, |p| {
            let observed = p.settle(now, lifetime);
            (f(p), observed)
        })?;
        self.journal_observed(order_id, &observed);
        Some(result)
    }

    /// Settles every payment (a search reads them all).
    pub fn settle_all(&self) {
        let now = self.core.clock.now();
        let lifetime = self.fixture.unpaid_lifetime();
        let mut seen = Vec::new();
        self.payments.for_each_mut(|id, p| {
            let observed = p.settle(now, lifetime);
            let changed = !observed.is_empty();
            if changed {
                seen.push((*id, observed));
            }
            changed
        });
        for (id, observed) in seen {
            self.journal_observed(id, &observed);
        }
    }

    fn journal_observed(&self, order_id: u64, observed: &[Observed]) {
        for change in observed {
            let entry = match change {
                Observed::Changed(t) => {
                    Entry::new(NAME, EntryKind::Transition).summary(t.summary())
                }
                Observed::ChargeFailed { .. } => Entry::new(NAME, EntryKind::Event)
                    .summary("recurring charge failed; the payment stays not paid"),
            };
            self.core.record(entry.object(order_id.to_string()));
        }
    }

    fn journal_transition(&self, order_id: u64, transition: &model::Transition) {
        self.core.record(
            Entry::new(NAME, EntryKind::Transition)
                .object(order_id.to_string())
                .summary(transition.summary()),
        );
    }
}

/// Answers 405 in Softline's envelope for a known path with another method.
fn with_405((schemas, paths, router): UtoipaMethodRouter) -> UtoipaMethodRouter {
    (
        schemas,
        paths,
        router.fallback(|| async { SoftlineError::MethodNotAllowed }),
    )
}

/// Every route of this provider, documented for the OpenAPI document.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(with_405(routes!(auth::login_check)))
        .routes(with_405(routes!(routes::create_payment)))
        .routes(with_405(routes!(routes::create_recurring_payment)))
        .routes(with_405(routes!(routes::get_order)))
        .routes(with_405(routes!(routes::search_orders)))
        .routes(routes!(pages::show_form))
        .routes(routes!(pages::pay_with_card))
        .routes(routes!(pages::approve))
        .routes(routes!(pages::decline))
        .routes(routes!(pages::show_challenge, pages::submit_challenge))
        .fallback(|| async { SoftlineError::UnknownPath })
}

/// The control-plane routes, nested under `/__sandbox/softline`.
pub fn control_router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(control::get_webhook, control::put_webhook))
        .routes(routes!(control::refund_order))
}

impl Provider for State {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Softline Payments API and hosted form"
    }

    fn mount(&self) -> &'static str {
        MOUNT
    }

    fn routes(&self) -> OpenApiRouter {
        router()
    }

    fn control_routes(&self) -> OpenApiRouter {
        control_router()
    }

    fn nav(&self) -> Vec<NavItem> {
        vec![panel::NAV]
    }

    fn panels(&self) -> Router {
        panel::routes()
    }

    fn scenarios(&self) -> &'static [Scenario] {
        scenarios::CATALOGUE
    }

    /// Softline's `{"errors": [{"error", "message"}]}` with the status.
    fn transport_error(&self, status: StatusCode, message: &str) -> Response {
        let body = serde_json::json!({"errors": [{"error": status.as_u16(), "message": message}]});
        (status, axum::Json(body)).into_response()
    }

    /// An `order_id` is a number; its form is the link.
    fn links_for(&self, object: &str) -> Vec<Link> {
        object
            .parse()
            .ok()
            .and_then(|order_id| self.form_path_of(order_id))
            .map(|path| Link::new("Softline payment form", path))
            .into_iter()
            .collect()
    }

    fn stored_objects(&self) -> Vec<(&'static str, usize)> {
        vec![("softline_payments", self.payment_count())]
    }

    fn settle_all(&self) {
        State::settle_all(self);
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

    fn durable_head(&self) -> Option<String> {
        Some(self.durable_head_section())
    }

    fn load_head(&self, body: &str) -> Result<(), String> {
        self.load_durable_head(body)
    }

    fn load_object(
        &self,
        kind: &str,
        _id: &str,
        body: &str,
        touched: Option<OffsetDateTime>,
    ) -> Result<(), String> {
        self.load_durable_object(kind, body, touched)
    }

    fn keep_touches(&self, source: &Arc<dyn crate::core::clock::TimeSource>) {
        self.payments.track_touches(Arc::clone(source));
        self.tokens.track_touches(Arc::clone(source));
    }

    /// Payments, and tokens from `login_check` (a token in use is touched
    /// by every call it authenticates); a forgotten token is no
    /// workspace's any more.
    fn forget_untouched(&self, before: OffsetDateTime) -> usize {
        let payments = self.payments.forget_untouched(before, |_, _| {});
        let claims = self.core.ids.claims();
        let tokens = self
            .tokens
            .forget_unused(before, |token| claims.release_text(auth::TOKEN, &token));
        payments + tokens
    }

    fn addressee(&self, request: &Parts) -> Addressee {
        addressee::of_head(request)
    }

    fn addressee_in_body(&self, _request: &Parts, body: &[u8]) -> Addressee {
        addressee::of_body(body)
    }

    fn credentials(&self) -> Vec<Addressee> {
        let logins = self
            .fixture
            .users
            .iter()
            .map(|u| (auth::LOGIN, &u.username));
        let tokens = self.fixture.static_tokens.iter().map(|t| (auth::TOKEN, t));
        logins
            .chain(tokens)
            .map(|(kind, text)| Addressee::Text(kind, text.clone()))
            .collect()
    }
}
