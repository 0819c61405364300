//! IntellectMoney's panel on the dashboard: the newest invoices, each with
//! its status (paymentStatus and the provider's own words) and, once a
//! payment started, its `PaymentStep`.

use crate::core::current::State;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::get;

use super::model::InvoiceStatus;
use crate::web::{Frame, Nav, NavItem, format_time};

/// The panel's entry in the dashboard's navigation.
pub const NAV: NavItem = NavItem {
    key: "invoices",
    href: "/invoices",
    label: "IntellectMoney",
};

/// How many invoices the page lists.
const LIST_LIMIT: usize = 200;

/// The panel's pages, at the dashboard's root.
pub fn routes() -> Router {
    Router::new().route(NAV.href, get(invoices_page))
}

/// One IntellectMoney invoice as the dashboard lists it.
pub struct InvoiceRow {
    pub id: u64,
    pub order_id: String,
    pub amount: String,
    pub status: String,
    pub tone: &'static str,
    pub step: String,
    pub created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/invoices.html")]
struct InvoicesPage {
    frame: Frame,
    invoices: Vec<InvoiceRow>,
    total: usize,
}

/// `GET /invoices`: the newest IntellectMoney invoices.
async fn invoices_page(State(im): State<super::State>, nav: Nav) -> InvoicesPage {
    let now = im.now();
    let invoices = im
        .latest(LIST_LIMIT)
        .iter()
        .map(|i| InvoiceRow {
            id: i.id,
            order_id: i.terms.order_id.clone(),
            amount: format!("{} {}", i.terms.amount, i.terms.currency),
            status: format!("{} {}", i.status.code(), i.status.describe()),
            tone: match i.status {
                InvoiceStatus::Paid => "ok",
                InvoiceStatus::Created | InvoiceStatus::Held | InvoiceStatus::PartiallyPaid => {
                    "warn"
                }
                InvoiceStatus::Cancelled | InvoiceStatus::Refunded => "bad",
            },
            step: i
                .payment
                .as_ref()
                .map(|p| p.step(&im.fixture.pacing, now).name().to_owned())
                .unwrap_or_default(),
            created: format_time(i.created_at),
        })
        .collect();
    InvoicesPage {
        frame: Frame::new(&im.core, nav, "invoices"),
        invoices,
        total: im.invoice_count(),
    }
}
