//! IntellectMoney merchant API (`https://api.intellectmoney.ru/`), served
//! under `/intellectmoney`, with its hosted pages (invoice payment page,
//! 3-D Secure, PayLate, SBP) and result notifications.
//!
//! A request goes `request` → `validate` → `model` → `routes` or `pages`,
//! which persist in [`State`] and answer. The files:
//!
//! - [`request`]: JSON, form and XML bodies → parameters in any letter case
//!   (read by [`crate::core::params`], which the journal masks with too);
//! - [`validate`]: parameters → typed requests, with the documented limits;
//! - [`types`]: the invoice's typed values (`NewInvoice`, the ways to pay
//!   its `Preference` allows), shared by `validate` and `model`;
//! - [`receipt`]: `MerchantReceipt`, the 54-FZ receipt, read and checked
//!   as the official SDK models it;
//! - [`signature`]: `Hash` (MD5) and `Sign` (SHA-256) templates;
//! - [`model`]: the pure state machines, [`model::invoice`] and
//!   [`model::payment`], and where each decision leads;
//! - [`routes`]: the merchant methods under `/merchant/`;
//! - [`pages`]: the buyer's pages, a file a page family;
//! - [`wire`]: the answers' envelope and bodies; [`error`]: the refusals in
//!   that envelope;
//! - [`notifications`]: result notifications through the outbox;
//! - [`scenarios`]: the named scenarios a test can force on a method;
//! - [`control`]: `/__sandbox/intellectmoney/…` (capture, cancel, refund);
//! - [`snapshot`]: its section of a snapshot document, and its rows in a
//!   data directory (`--data-dir`);
//! - [`panel`]: the dashboard's invoices page;
//! - [`fixture`]: shops, currencies, pacing and the other settings of
//!   `intellectmoney.json`.
//!
//! Paths are case-insensitive ([`canonical_path`]); every answer is HTTP 200
//! with the envelope ([`error`]), because the official SDK drops other bodies.

pub mod addressee;
pub mod control;
pub mod error;
pub mod fixture;
pub mod model;
pub mod notifications;
pub mod pages;
pub mod panel;
pub mod receipt;
pub mod request;
pub mod routes;
pub mod scenarios;
pub mod signature;
pub mod snapshot;
pub mod types;
pub mod validate;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use time::{OffsetDateTime, UtcOffset};
use utoipa_axum::router::OpenApiRouter;

pub use fixture::Fixture;

use crate::core::ids::Sequence;
use crate::core::journal::{Entry, EntryKind};
use crate::core::scenarios::Scenario;
use crate::core::store::Store;
use crate::core::{Core, Shared};
use crate::provider::{Addressee, Link, Provider};
use crate::web::NavItem;
use fixture::Shop;
use model::{Invoice, Transition};

/// The journal's name for this provider.
pub const NAME: &str = "intellectmoney";

/// IntellectMoney's share of the application state, behind one `Arc` (see
/// [`Shared`]); cloning shares it.
pub type State = Shared<Inner>;

#[derive(Debug)]
pub struct Inner {
    pub core: Core,
    pub fixture: Arc<Fixture>,
    /// Every invoice by `InvoiceId`, boxed: a shard's resize then moves
    /// pointers, not whole invoices (inline, a million invoices made resizes
    /// that held a shard for tens of milliseconds: p99 23 to 57 ms).
    pub invoices: Store<u64, Box<Invoice>>,
    /// `(EshopId, OrderId)` → `InvoiceId`, for shops that refuse a repeated
    /// OrderId.
    order_ids: Store<(u32, String), u64>,
    invoice_ids: Sequence,
    /// The offset of ExpireDate and `paymentData` (Moscow by default).
    pub offset: UtcOffset,
}

impl State {
    pub fn new(core: Core, fixture: Arc<Fixture>) -> Self {
        let range =
            fixture.invoice_ids.from..fixture.invoice_ids.to.max(fixture.invoice_ids.from + 1);
        let invoice_ids = core.ids.sequence(addressee::INVOICE, range);
        let offset = parse_offset(&fixture.utc_offset).unwrap_or_else(|| {
            tracing::warn!(utc_offset = %fixture.utc_offset, "intellectmoney.json utc_offset is not ±HH:MM; using +03:00");
            UtcOffset::from_hms(3, 0, 0).unwrap_or(UtcOffset::UTC)
        });
        Self::wrap(Inner {
            core,
            fixture,
            invoices: Store::new(),
            order_ids: Store::new(),
            invoice_ids,
            offset,
        })
    }

    /// Forgets every invoice and payment; invoice ids start again.
    pub fn reset(&self) {
        self.invoices.clear();
        self.order_ids.clear();
        self.invoice_ids.reset();
    }

    pub fn shop(&self, eshop_id: u32) -> Option<&Shop> {
        self.fixture.shops.iter().find(|s| s.eshop_id == eshop_id)
    }

    /// A copy of one invoice, as of now (what time did to it applied and
    /// announced first).
    pub fn invoice(&self, invoice_id: &u64) -> Option<Invoice> {
        self.update(*invoice_id, |invoice| (Invoice::clone(invoice), None))
    }

    /// How many invoices are stored (metrics).
    pub fn invoice_count(&self) -> usize {
        self.invoices.len()
    }

    /// The newest `limit` invoices (for the dashboard).
    pub fn latest(&self, limit: usize) -> Vec<Invoice> {
        let mut ids: Vec<(OffsetDateTime, u64)> =
            self.invoices.filter_map(|id, i| Some((i.created_at, *id)));
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.into_iter()
            .take(limit)
            .filter_map(|(_, id)| self.invoice(&id))
            .collect()
    }

    pub fn now(&self) -> OffsetDateTime {
        self.core.clock.now()
    }

    /// The SBP payment URL of an invoice (`SbpQrCodeUrl`, and what its QR
    /// code encodes): its SBP page, by the address the outside world reaches
    /// the sandbox at.
    pub fn sbp_url(&self, invoice_id: u64) -> String {
        self.core
            .public_url
            .join(&format!("{MOUNT}/sbp/{invoice_id}"))
    }

    /// The next `InvoiceId`.
    fn next_invoice_id(&self) -> u64 {
        self.invoice_ids.next()
    }

    /// Claims `(shop, order)`; false when the shop already has that OrderId.
    fn claim_order_id(&self, eshop_id: u32, order_id: &str, invoice_id: u64) -> bool {
        self.order_ids
            .insert_new((eshop_id, order_id.to_owned()), invoice_id)
            .is_ok()
    }

    /// The invoice a shop that refuses repeated OrderIds opened for `order_id`.
    fn invoice_of_order(&self, eshop_id: u32, order_id: &str) -> Option<u64> {
        self.order_ids
            .read(&(eshop_id, order_id.to_owned()), |id| *id)
    }

    /// Stores a new invoice and announces it (paymentStatus 3).
    fn add_invoice(&self, invoice: Invoice) {
        self.core.record(
            Entry::new(NAME, EntryKind::Transition)
                .object(invoice.id.to_string())
                .summary(format!(
                    "invoice created: {} {} for order {} (paymentStatus 3)",
                    invoice.terms.amount, invoice.terms.currency, invoice.terms.order_id
                )),
        );
        if let Some(receipt) = &invoice.terms.merchant_receipt {
            self.core.record(
                Entry::new(NAME, EntryKind::Event)
                    .object(invoice.id.to_string())
                    .summary(receipt.summary()),
            );
        }
        notifications::notify(self, &invoice);
        self.invoices.insert(invoice.id, Box::new(invoice));
    }

    /// Changes an invoice through `f`, after what time did to it (expiry,
    /// the end of a hold); a status change either reports is journaled and
    /// its notification queued under the same lock, so notifications of
    /// concurrent changes leave in the order the changes happened (a
    /// merchant must never see "paid" after "refunded"). Announcing takes
    /// the journal's and the outbox's locks, neither of which is ever held
    /// while taking a store lock.
    pub fn update<R>(
        &self,
        invoice_id: u64,
        f: impl FnOnce(&mut Invoice) -> (R, Option<Transition>),
    ) -> Option<R> {
        let now = self.now();
        self.invoices.update(&invoice_id, |invoice| {
            if let Some(transition) = invoice.settle(now) {
                self.announce(invoice, transition);
            }
            let (result, transition) = f(invoice);
            if let Some(transition) = transition {
                self.announce(invoice, transition);
            }
            result
        })
    }

    /// Journals a status change and sends its notification.
    fn announce(&self, invoice: &Invoice, transition: Transition) {
        self.core.record(
            Entry::new(NAME, EntryKind::Transition)
                .object(invoice.id.to_string())
                .summary(format!(
                    "{} → {} (paymentStatus {} → {})",
                    transition.from.describe(),
                    transition.to.describe(),
                    transition.from.code(),
                    transition.to.code()
                )),
        );
        notifications::notify(self, invoice);
    }

    /// Journals a payment event that changes no status.
    pub fn record_payment(&self, invoice_id: u64, summary: impl Into<String>) {
        self.core.record(
            Entry::new(NAME, EntryKind::Transition)
                .object(invoice_id.to_string())
                .summary(summary),
        );
    }

    /// Applies what the sandbox clock did to every invoice (after a clock
    /// advance), announcing each change.
    pub fn settle_all(&self) {
        let now = self.now();
        self.invoices.for_each_mut(|_, invoice| {
            let transition = invoice.settle(now);
            if let Some(transition) = transition {
                self.announce(invoice, transition);
            }
            transition.is_some()
        });
    }
}

/// `+03:00` → an offset.
fn parse_offset(text: &str) -> Option<UtcOffset> {
    let format = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
    UtcOffset::parse(text, format).ok()
}

/// Every route of this provider, documented for the OpenAPI document.
pub fn router() -> OpenApiRouter {
    routes::routes().merge(pages::routes())
}

impl Provider for State {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "IntellectMoney merchant API and hosted pages"
    }

    fn mount(&self) -> &'static str {
        MOUNT
    }

    fn routes(&self) -> OpenApiRouter {
        router()
    }

    fn control_routes(&self) -> OpenApiRouter {
        control::routes()
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

    /// The envelope with its status kept at 200: the official SDK drops the
    /// body of any other status.
    fn transport_error(&self, _status: StatusCode, message: &str) -> Response {
        error::IntellectMoneyError::Transport(message.to_owned()).into_response()
    }

    fn canonical_path(&self, path: &str) -> Option<String> {
        canonical_path(path)
    }

    /// An `InvoiceId` is a number; its payment page and JSON are the links.
    fn links_for(&self, object: &str) -> Vec<Link> {
        match object.parse::<u64>() {
            Ok(id) if self.invoices.contains(&id) => vec![
                Link::new("IntellectMoney payment page", format!("{MOUNT}/pay/{id}")),
                Link::new(
                    "Invoice (JSON)",
                    format!("/__sandbox/intellectmoney/invoices/{id}"),
                ),
            ],
            _ => Vec::new(),
        }
    }

    fn stored_objects(&self) -> Vec<(&'static str, usize)> {
        vec![("intellectmoney_invoices", self.invoice_count())]
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
        id: &str,
        body: &str,
        touched: Option<OffsetDateTime>,
    ) -> Result<(), String> {
        self.load_durable_object(kind, id, body, touched)
    }

    fn keep_touches(&self, source: &Arc<dyn crate::core::clock::TimeSource>) {
        self.invoices.track_touches(Arc::clone(source));
    }

    /// Invoices, with their payments; the OrderId a forgotten invoice held
    /// in a shop that refuses repeats is free again.
    fn forget_untouched(&self, before: OffsetDateTime) -> usize {
        let mut orders = Vec::new();
        let count = self.invoices.forget_untouched(before, |id, invoice| {
            orders.push((id, invoice.eshop_id, invoice.terms.order_id));
        });
        for (id, eshop_id, order_id) in orders {
            self.order_ids
                .remove_if(&(eshop_id, order_id), |held| *held == id);
        }
        count
    }

    fn addressee(&self, request: &Parts) -> Addressee {
        addressee::of_head(request)
    }

    fn addressee_in_body(&self, _request: &Parts, body: &[u8]) -> Addressee {
        addressee::of_body(body)
    }

    fn credentials(&self) -> Vec<Addressee> {
        self.fixture
            .shops
            .iter()
            .map(|shop| Addressee::Number(addressee::SHOP, u64::from(shop.eshop_id)))
            .collect()
    }
}

/// The merchant methods in their registered spelling.
const METHODS: &[&str] = &[
    "createInvoice",
    "bankCardPayment",
    "getBankCardPaymentState",
    "bnplPayment",
    "sbpPayment",
];

/// Where it is served.
pub const MOUNT: &str = "/intellectmoney";

/// The registered spelling of an IntellectMoney path given in any letter
/// case (`/IntellectMoney/Merchant/CREATEINVOICE` →
/// `/intellectmoney/merchant/createInvoice`); `None` for other paths and
/// for paths already in that form. Every static segment of this provider is
/// lowercase but the method names, and ids are digits, so lowercasing and
/// restoring the method names is enough.
pub fn canonical_path(path: &str) -> Option<String> {
    // Every request passes here: answer the common case without allocating.
    if !path
        .get(..MOUNT.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(MOUNT))
    {
        return None;
    }
    let lower = path.to_ascii_lowercase();
    if lower != "/intellectmoney" && !lower.starts_with("/intellectmoney/") {
        return None;
    }
    let mut canonical = lower
        .split('/')
        .map(|segment| {
            METHODS
                .iter()
                .find(|m| m.eq_ignore_ascii_case(segment))
                .map_or_else(|| segment.to_owned(), |m| (*m).to_owned())
        })
        .collect::<Vec<_>>()
        .join("/");
    // The bare mount and the mount with a slash are one page.
    if canonical == "/intellectmoney/" {
        canonical.truncate("/intellectmoney".len());
    }
    (canonical != path).then_some(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_any_case_map_to_the_registered_spelling() {
        let cases = [
            (
                "/intellectmoney/merchant/createinvoice",
                Some("/intellectmoney/merchant/createInvoice"),
            ),
            (
                "/IntellectMoney/Merchant/GETBANKCARDPAYMENTSTATE",
                Some("/intellectmoney/merchant/getBankCardPaymentState"),
            ),
            (
                "/INTELLECTMONEY/pay/3000000001",
                Some("/intellectmoney/pay/3000000001"),
            ),
            ("/intellectmoney/", Some("/intellectmoney")),
            ("/intellectmoney/merchant/createInvoice", None),
            ("/softline/v1/payment", None),
            ("/intellectmoneyx/merchant", None),
        ];
        for (path, expected) in cases {
            assert_eq!(canonical_path(path).as_deref(), expected, "{path}");
        }
    }

    #[test]
    fn the_fixture_offset_parses() {
        assert_eq!(parse_offset("+03:00"), UtcOffset::from_hms(3, 0, 0).ok());
        assert_eq!(parse_offset("-05:30"), UtcOffset::from_hms(-5, -30, 0).ok());
        assert_eq!(parse_offset("Moscow"), None);
    }
}
