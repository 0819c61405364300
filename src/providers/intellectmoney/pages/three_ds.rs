//! [The 3-D Secure page](https://developer.intellectmoney.ru/merchant/api/getbankcardpaymentstate)
//! of a card payment at `SendTo3DS`: the code form (the challenge code
//! approves, any other declines) and one-click outcomes. A card payment's
//! `Form3DS` posts here; so does the payment page for a challenge card.

use crate::core::current::State;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;

use super::texts::{Texts, texts};
use super::{Head, after_decision, awaiting, decide_on_page, read_form};
use crate::core::journal::JournalObjects;
use crate::openapi::routes;
use crate::providers::intellectmoney::State as Im;
use crate::providers::intellectmoney::model::{BuyerPage, Decline, PaymentMethod, check_code};

pub(super) fn routes() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(three_ds_page, three_ds_page_post))
        .routes(routes!(three_ds_confirm))
        .routes(routes!(three_ds_approve))
        .routes(routes!(three_ds_decline))
}

#[derive(Template, WebTemplate)]
#[template(path = "intellectmoney/three_ds.html")]
struct ThreeDsPage {
    t: &'static Texts,
    head: Head,
    short_pan: String,
    challenge_code: String,
    error: Option<String>,
}

/// What the buyer sent before the page is shown (again).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Typed {
    Nothing,
    /// The code form, without a code: the page says so.
    NoCode,
}

fn three_ds(state: &Im, path: Result<Path<String>, PathRejection>, typed: Typed) -> Response {
    match awaiting(state, path, BuyerPage::ThreeDs) {
        Ok((invoice, payment)) => {
            let short_pan = match &payment.method {
                PaymentMethod::Card { short_pan } => short_pan.clone(),
                _ => String::new(),
            };
            let t = texts(invoice.terms.language);
            let error = (typed == Typed::NoCode).then(|| t.code_missing.to_owned());
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let page = ThreeDsPage {
                t,
                head: Head::of(state, &invoice),
                short_pan,
                challenge_code: state.core.cards.challenge_code.clone(),
                error,
            };
            JournalObjects::one(invoice.id).file((status, page).into_response())
        }
        Err(response) => *response,
    }
}

/// [The 3-D Secure page](https://developer.intellectmoney.ru/merchant/api/getbankcardpaymentstate)
/// (`Form3DS` of a card payment posts here).
#[utoipa::path(get, path = "/3ds/{invoice_id}", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "HTML page with the code form", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html"), (status = 422, description = "The code form again, with the error", content_type = "text/html")))]
async fn three_ds_page(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    three_ds(&state, path, Typed::Nothing)
}

/// [The 3-D Secure page](https://developer.intellectmoney.ru/merchant/api/getbankcardpaymentstate)
/// as `Form3DS` opens it (a POST with `data`).
#[utoipa::path(post, path = "/3ds/{invoice_id}", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "HTML page with the code form", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html"), (status = 422, description = "The code form again, with the error", content_type = "text/html")))]
async fn three_ds_page_post(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    three_ds(&state, path, Typed::Nothing)
}

/// [The 3-D Secure code](https://developer.intellectmoney.ru/merchant/api/getbankcardpaymentstate):
/// `code` 123456 approves, any other declines; then to the ReturnUrl.
#[utoipa::path(post, path = "/3ds/{invoice_id}/confirm", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the ReturnUrl (API), or the SuccessUrl/FailUrl (payment page)"), (status = 422, description = "No code typed: the code form again", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn three_ds_confirm(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Response {
    let form = read_form(&state, body).await;
    let code = form.text("code").trim().to_owned();
    if code.is_empty() {
        return three_ds(&state, path, Typed::NoCode);
    }
    match awaiting(&state, path, BuyerPage::ThreeDs) {
        Ok((invoice, _)) => {
            let decline = check_code(&code, &state.core.cards.challenge_code);
            after_decision(&state, &invoice, decline)
        }
        Err(response) => *response,
    }
}

/// [One-click approve](https://developer.intellectmoney.ru/merchant/api/getbankcardpaymentstate)
/// on the 3-D Secure page.
#[utoipa::path(post, path = "/3ds/{invoice_id}/approve", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the ReturnUrl or SuccessUrl"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn three_ds_approve(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    decide_on_page(&state, path, BuyerPage::ThreeDs, None)
}

/// [One-click decline](https://developer.intellectmoney.ru/merchant/api/getbankcardpaymentstate)
/// on the 3-D Secure page.
#[utoipa::path(post, path = "/3ds/{invoice_id}/decline", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the ReturnUrl or FailUrl"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn three_ds_decline(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    decide_on_page(&state, path, BuyerPage::ThreeDs, Some(Decline::ThreeDs))
}
