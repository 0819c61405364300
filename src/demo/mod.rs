//! The reference merchant: an IMSHOP payments webhook implemented on top of
//! the Softline sandbox, reached over HTTP like a real merchant would.
//!
//! It doubles as example code for merchants, so it is written the way a
//! small shop's backend would be:
//! - [`payments`]: the webhook, `POST /demo/merchant/payments`, dispatched
//!   by `command`;
//! - [`checkout`]: the webhooks before it: `POST /demo/merchant/deliveries`,
//!   `/payment-methods` and `/orders` (the order export);
//! - [`softline`]: the two Softline calls it makes;
//! - a landing page for the return URL, `GET /demo/merchant/orders/{id}/paid`;
//! - [`snapshot`]: its payments table in a snapshot, and the same payments
//!   as rows of a data directory (`--data-dir`), one per payment.
//!
//! `paysandbox imshop run --webhook <base>/demo/merchant/payments --flow all`
//! passes every check against it, for both outcomes.

pub mod checkout;
pub mod payments;
pub mod snapshot;
pub mod softline;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;

use crate::core::current::State as Part;
use crate::core::journal::JournalObjects;
use crate::core::store::Changes;
use crate::core::{Core, Shared};
use crate::openapi::routes;
use crate::provider::{Addressee, Provider};
use crate::providers::imshop;

/// The journal's name for the reference merchant.
pub const NAME: &str = "demo";

/// A payment the merchant made, by its `paymentId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    /// Paid on Softline's hosted form; Softline knows whether it is paid.
    Card {
        order_id: String,
        softline_order: u64,
    },
    /// Charged from a wallet cryptogram at once.
    Wallet { order_id: String, captured: bool },
}

/// The merchant's payments table: what a real shop keeps in its database.
/// Bounded: the oldest payments are forgotten first.
///
/// With durable state (`--data-dir`) it notes which payments changed
/// ([`Ledger::track_changes`]), under its own lock: one inserted or changed,
/// one forgotten to make room, and a clear or a replace (a reset, a
/// restore).
#[derive(Debug, Clone)]
pub struct Ledger {
    /// A std mutex: reads and writes are short and never await.
    inner: Arc<Mutex<Payments>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Payments {
    by_id: HashMap<String, Payment>,
    /// Their ids, oldest first.
    order: VecDeque<String>,
    /// `Some` once changes are tracked: the ids inserted, changed or
    /// forgotten since the changes were last taken.
    changes: Option<Changes<String>>,
}

impl Payments {
    fn note(&mut self, payment_id: &str) {
        if let Some(changes) = &mut self.changes {
            changes.keys.insert(payment_id.to_owned());
        }
    }

    /// Forgets the oldest payments beyond `capacity`, each noted (even
    /// untracked when `always`: a load, whose rows must go too).
    fn forget_beyond(&mut self, capacity: usize, always: bool) {
        while self.order.len() > capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.by_id.remove(&oldest);
            if always {
                self.changes.get_or_insert_with(Changes::default);
            }
            self.note(&oldest);
        }
    }
}

/// What changed in the ledger since the changes were last taken.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LedgerChanges {
    /// Every payment was forgotten first (a reset, a restore).
    pub cleared: bool,
    /// Each payment noted (after the clear, if any), as it now is (`None`:
    /// forgotten).
    pub payments: Vec<(String, Option<Payment>)>,
}

impl Ledger {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    pub fn insert(&self, payment_id: String, payment: Payment) {
        let mut payments = self.inner.lock().unwrap();
        payments.note(&payment_id);
        if payments.by_id.insert(payment_id.clone(), payment).is_none() {
            payments.order.push_back(payment_id);
        }
        payments.forget_beyond(self.capacity, false);
    }

    pub fn get(&self, payment_id: &str) -> Option<Payment> {
        self.inner.lock().unwrap().by_id.get(payment_id).cloned()
    }

    pub fn clear(&self) {
        self.replace(Vec::new());
    }

    /// Every payment with its `paymentId`, oldest first.
    pub fn entries(&self) -> Vec<(String, Payment)> {
        let payments = self.inner.lock().unwrap();
        payments
            .order
            .iter()
            .filter_map(|id| Some((id.clone(), payments.by_id.get(id)?.clone())))
            .collect()
    }

    /// Forgets every payment and keeps `entries` (oldest first, distinct
    /// ids) instead.
    pub fn replace(&self, entries: Vec<(String, Payment)>) {
        let mut by_id = HashMap::with_capacity(entries.len());
        let mut order = VecDeque::with_capacity(entries.len());
        for (id, payment) in entries {
            order.push_back(id.clone());
            by_id.insert(id, payment);
        }
        let mut payments = self.inner.lock().unwrap();
        if let Some(changes) = &mut payments.changes {
            *changes = Changes {
                cleared: true,
                keys: order.iter().cloned().collect(),
            };
        }
        payments.by_id = by_id;
        payments.order = order;
    }

    /// Most payments kept (the fixture's `orders_kept`).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keeps a payment read back from a data directory. Rows come back
    /// ordered by `paymentId`, not as they were made, so after a restart
    /// the payments are forgotten in that order; what the table holds is
    /// the same. Beyond the capacity (a smaller `orders_kept` than when
    /// they were written) the oldest is forgotten, and noted so its row
    /// goes too.
    pub fn load(&self, payment_id: String, payment: Payment) {
        let mut payments = self.inner.lock().unwrap();
        if payments.by_id.insert(payment_id.clone(), payment).is_none() {
            payments.order.push_back(payment_id);
        }
        payments.forget_beyond(self.capacity, true);
    }

    /// From now on, notes every payment that changes (durable state).
    pub fn track_changes(&self) {
        self.inner
            .lock()
            .unwrap()
            .changes
            .get_or_insert_with(Changes::default);
    }

    /// What changed since the last call (nothing when untracked). Cheap
    /// when nothing did: every request asks.
    pub fn take_changes(&self) -> LedgerChanges {
        let mut payments = self.inner.lock().unwrap();
        let Some(changes) = payments.changes.as_mut().map(std::mem::take) else {
            return LedgerChanges::default();
        };
        let noted = changes
            .keys
            .into_iter()
            .map(|id| {
                let payment = payments.by_id.get(&id).cloned();
                (id, payment)
            })
            .collect();
        LedgerChanges {
            cleared: changes.cleared,
            payments: noted,
        }
    }
}

/// The reference merchant's share of the application state, behind one `Arc` (see
/// [`Shared`]); cloning shares it.
pub type State = Shared<Inner>;

#[derive(Debug)]
pub struct Inner {
    pub core: Core,
    pub fixture: Arc<imshop::Fixture>,
    pub ledger: Ledger,
    /// The orders exported to it, by IMSHOP's uuid: in snapshots, and one
    /// row each in a data directory.
    pub orders: checkout::OrderBook,
}

impl State {
    pub fn new(core: Core, fixture: Arc<imshop::Fixture>) -> Self {
        Self::wrap(Inner {
            ledger: Ledger::new(fixture.demo_merchant.orders_kept),
            orders: checkout::OrderBook::new(fixture.demo_merchant.orders_kept),
            core,
            fixture,
        })
    }

    /// Forgets the merchant's orders.
    pub fn reset(&self) {
        self.ledger.clear();
        self.orders.clear();
    }
}

/// The merchant's routes, under `/demo/merchant`.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(payments::payments))
        .routes(routes!(checkout::payment_methods))
        .routes(routes!(checkout::deliveries))
        .routes(routes!(checkout::orders))
        .routes(routes!(order_paid))
}

/// The reference merchant is served and journaled like a provider, so its
/// exchanges appear on the same timelines as the sandbox's.
impl Provider for State {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "The reference merchant"
    }

    fn mount(&self) -> &'static str {
        "/demo/merchant"
    }

    fn routes(&self) -> OpenApiRouter {
        router()
    }

    /// IMSHOP's `{success: false, error}` shape: it is an IMSHOP webhook.
    fn transport_error(&self, status: StatusCode, message: &str) -> Response {
        imshop::transport_error(status, message)
    }

    fn reset(&self) {
        State::reset(self);
    }

    /// Its payments table is the shop's database, not a cache of the runs:
    /// `capture` answers from it (a wallet payment's outcome is nowhere
    /// else), and anyone may call the webhook, not only runs.
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
        self.ledger.track_changes();
        self.orders.track_changes();
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

    /// Its handlers call the Softline sandbox over HTTP.
    fn waits_for_reset(&self) -> bool {
        false
    }

    /// The workspace whose IMSHOP key the call carries: a run in a
    /// workspace reaches that workspace's merchant, which accepts its key
    /// and pays with its Softline token.
    fn addressee(&self, request: &Parts) -> Addressee {
        let path = request.uri.path();
        let webhooks = ["/payments", "/payment-methods", "/deliveries", "/orders"];
        if webhooks.iter().any(|w| path.ends_with(w)) {
            imshop::addressee::of_webhook_call(request)
        } else {
            Addressee::Nobody
        }
    }

    fn addressee_in_body(&self, _request: &Parts, body: &[u8]) -> Addressee {
        imshop::addressee::of_webhook_body(body)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "demo/paid.html")]
pub struct PaidPage {
    order_id: String,
}

/// `GET /demo/merchant/orders/{order_id}/paid`: where Softline sends the
/// buyer after paying (`return_success_url`). The app closes its web view
/// as soon as `successRegex` matches this URL; a browser shows this page.
#[utoipa::path(
    get, path = "/orders/{order_id}/paid", tag = "demo",
    params(("order_id" = String, Path, description = "The IMSHOP order id")),
    responses((status = 200, description = "A thank-you page", content_type = "text/html"))
)]
// The return_success_url of Softline's create payment: https://docs.noventiq.com/en-en/payment/payment-api-create-payment
async fn order_paid(
    Part(_state): Part<State>,
    Path(order_id): Path<String>,
) -> (Extension<JournalObjects>, PaidPage) {
    (
        Extension(JournalObjects::one(&order_id)),
        PaidPage { order_id },
    )
}

/// The IMSHOP key, wherever a webhook call carries it: `Authorization:
/// Bearer`, a `key` header or a `key` field of the body.
pub(crate) fn authorized(
    headers: &axum::http::HeaderMap,
    body: &serde_json::Value,
    key: &str,
) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let bearer = header("authorization").and_then(|v| v.strip_prefix("Bearer "));
    [
        bearer,
        header("key"),
        body.get("key").and_then(serde_json::Value::as_str),
    ]
    .into_iter()
    .flatten()
    .any(|given| given.trim() == key)
}
