//! Softline's panel on the dashboard: the newest payments, each with its
//! status and a link to its hosted form and timeline.

use crate::core::current::State;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::get;

use super::types::PaymentStatus;
use crate::web::{Frame, Nav, NavItem, format_time};

/// The panel's entry in the dashboard's navigation.
pub const NAV: NavItem = NavItem {
    key: "payments",
    href: "/payments",
    label: "Softline",
};

/// How many payments the page lists.
const LIST_LIMIT: usize = 200;

/// The panel's pages, at the dashboard's root.
pub fn routes() -> Router {
    Router::new().route(NAV.href, get(payments_page))
}

/// One Softline payment as the dashboard lists it.
pub struct PaymentRow {
    pub order_id: u64,
    pub external_id: String,
    pub amount: String,
    pub method: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub created: String,
    pub form: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/payments.html")]
struct PaymentsPage {
    frame: Frame,
    payments: Vec<PaymentRow>,
    total: usize,
}

/// `GET /payments`: the newest Softline payments.
async fn payments_page(State(softline): State<super::State>, nav: Nav) -> PaymentsPage {
    let payments = softline
        .latest(LIST_LIMIT)
        .iter()
        .map(|p| PaymentRow {
            order_id: p.order_id,
            external_id: p.external_id().to_owned(),
            amount: format!("{} {}", p.amount, p.currency.as_str()),
            method: p.payment_method().to_owned(),
            status: p.status.as_str(),
            tone: match p.status {
                PaymentStatus::Paid => "ok",
                PaymentStatus::NotPaid => "warn",
                PaymentStatus::Deleted => "bad",
            },
            created: format_time(p.created_at),
            form: softline.form_url(p),
        })
        .collect();
    PaymentsPage {
        frame: Frame::new(&softline.core, nav, "payments"),
        payments,
        total: softline.payment_count(),
    }
}
