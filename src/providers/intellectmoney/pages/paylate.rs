//! [The PayLate page](https://developer.intellectmoney.ru/merchant/api/bnplpayment)
//! of a BNPL payment at `SendTo3DS`: the instalment plan, to accept or
//! decline. BnplPayment's `Form3DS` posts here; so does the payment page's
//! PayLate button.

use crate::core::current::State;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::response::{IntoResponse, Response};
use time::Duration;
use utoipa_axum::router::OpenApiRouter;

use super::texts::{Texts, texts};
use super::{Head, awaiting, decide_on_page, money};
use crate::core::journal::JournalObjects;
use crate::core::money::Amount;
use crate::openapi::routes;
use crate::providers::intellectmoney::State as Im;
use crate::providers::intellectmoney::model::{BuyerPage, Decline, Invoice};

pub(super) fn routes() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(paylate_page, paylate_page_post))
        .routes(routes!(paylate_approve))
        .routes(routes!(paylate_decline))
}

/// One part of the instalment plan.
pub struct Installment {
    pub number: u32,
    pub date: String,
    pub amount: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "intellectmoney/paylate.html")]
struct PayLatePage {
    t: &'static Texts,
    head: Head,
    schedule: Vec<Installment>,
}

fn paylate(state: &Im, path: Result<Path<String>, PathRejection>) -> Response {
    match awaiting(state, path, BuyerPage::PayLate) {
        Ok((invoice, _)) => {
            let page = PayLatePage {
                t: texts(invoice.terms.language),
                head: Head::of(state, &invoice),
                schedule: schedule(state, &invoice),
            };
            JournalObjects::one(invoice.id).file(page.into_response())
        }
        Err(response) => *response,
    }
}

/// Equal parts every `interval_days`, the first today; the kopecks that do
/// not divide go to the first part.
fn schedule(state: &Im, invoice: &Invoice) -> Vec<Installment> {
    let plan = state.fixture.paylate;
    let parts = plan.installments.max(1);
    let total = invoice.terms.amount.minor();
    let each = total / u64::from(parts);
    let first = total - each * u64::from(parts - 1);
    let today = state.now().to_offset(state.offset).date();
    let t = texts(invoice.terms.language);
    (0..parts)
        .map(|i| {
            let date = today + Duration::days(i64::from(i) * i64::from(plan.interval_days));
            Installment {
                number: i + 1,
                date: if i == 0 {
                    t.today.to_owned()
                } else {
                    format!(
                        "{:02}.{:02}.{}",
                        date.day(),
                        u8::from(date.month()),
                        date.year()
                    )
                },
                amount: money(
                    Amount::from_minor(if i == 0 { first } else { each }),
                    &invoice.terms.currency,
                    invoice.terms.language,
                ),
            }
        })
        .collect()
}

/// [The PayLate page](https://developer.intellectmoney.ru/merchant/api/bnplpayment):
/// the instalment plan, to accept or decline.
#[utoipa::path(get, path = "/paylate/{invoice_id}", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn paylate_page(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    paylate(&state, path)
}

/// [The PayLate page](https://developer.intellectmoney.ru/merchant/api/bnplpayment)
/// as `Form3DS` opens it (a POST).
#[utoipa::path(post, path = "/paylate/{invoice_id}", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn paylate_page_post(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    paylate(&state, path)
}

/// [PayLate approve](https://developer.intellectmoney.ru/merchant/api/bnplpayment):
/// `Ok`, paymentStatus 5, to the SuccessUrl.
#[utoipa::path(post, path = "/paylate/{invoice_id}/approve", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the SuccessUrl"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn paylate_approve(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    decide_on_page(&state, path, BuyerPage::PayLate, None)
}

/// [PayLate decline](https://developer.intellectmoney.ru/merchant/api/bnplpayment):
/// `Error`, to the FailUrl.
#[utoipa::path(post, path = "/paylate/{invoice_id}/decline", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the FailUrl"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn paylate_decline(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    decide_on_page(&state, path, BuyerPage::PayLate, Some(Decline::Bnpl))
}
