//! The reference merchant: an IMSHOP payments webhook implemented on top of
//! the Softline sandbox, reached over HTTP like a real merchant would.
//!
//! It doubles as example code for merchants, so it is written the way a
//! small shop's backend would be:
//! - [`payments`]: the webhook, `POST /demo/merchant/payments`, dispatched
//!   by `command`;
//! - [`softline`]: the two Softline calls it makes;
//! - a landing page for the return URL, `GET /demo/merchant/orders/{id}/paid`;
//! - [`snapshot`]: its payments table in a snapshot.
//!
//! `paysandbox imshop run --webhook <base>/demo/merchant/payments --flow all`
//! passes every check against it, for both outcomes.

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
use utoipa_axum::routes;

use crate::core::current::State as Part;
use crate::core::journal::JournalObjects;
use crate::core::{Core, Shared};
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
#[derive(Debug, Clone)]
pub struct Ledger {
    /// A std mutex: reads and writes are short and never await.
    inner: Arc<Mutex<Payments>>,
    capacity: usize,
}

/// Payments by `paymentId`, and their ids oldest first.
type Payments = (HashMap<String, Payment>, VecDeque<String>);

impl Ledger {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    pub fn insert(&self, payment_id: String, payment: Payment) {
        let mut guard = self.inner.lock().unwrap();
        let (payments, order) = &mut *guard;
        if payments.insert(payment_id.clone(), payment).is_none() {
            order.push_back(payment_id);
        }
        while order.len() > self.capacity {
            if let Some(oldest) = order.pop_front() {
                payments.remove(&oldest);
            }
        }
    }

    pub fn get(&self, payment_id: &str) -> Option<Payment> {
        self.inner.lock().unwrap().0.get(payment_id).cloned()
    }

    pub fn clear(&self) {
        *self.inner.lock().unwrap() = Default::default();
    }

    /// Every payment with its `paymentId`, oldest first.
    pub fn entries(&self) -> Vec<(String, Payment)> {
        let guard = self.inner.lock().unwrap();
        let (payments, order) = &*guard;
        order
            .iter()
            .filter_map(|id| Some((id.clone(), payments.get(id)?.clone())))
            .collect()
    }

    /// Forgets every payment and keeps `entries` (oldest first, distinct
    /// ids) instead.
    pub fn replace(&self, entries: Vec<(String, Payment)>) {
        let mut payments = Payments::default();
        for (id, payment) in entries {
            payments.1.push_back(id.clone());
            payments.0.insert(id, payment);
        }
        *self.inner.lock().unwrap() = payments;
    }

    /// Most payments kept (the fixture's `orders_kept`).
    pub fn capacity(&self) -> usize {
        self.capacity
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
}

impl State {
    pub fn new(core: Core, fixture: Arc<imshop::Fixture>) -> Self {
        Self::wrap(Inner {
            ledger: Ledger::new(fixture.demo_merchant.orders_kept),
            core,
            fixture,
        })
    }

    /// Forgets the merchant's orders.
    pub fn reset(&self) {
        self.ledger.clear();
    }
}

/// The merchant's routes, under `/demo/merchant`.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(payments::payments))
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

    /// Its handlers call the Softline sandbox over HTTP.
    fn waits_for_reset(&self) -> bool {
        false
    }

    /// The workspace whose IMSHOP key the call carries: a run in a
    /// workspace reaches that workspace's merchant, which accepts its key
    /// and pays with its Softline token.
    fn addressee(&self, request: &Parts) -> Addressee {
        if request.uri.path().ends_with("/payments") {
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
