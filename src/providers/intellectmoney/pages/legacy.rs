//! The legacy addresses of `merchant.intellectmoney.ru`, which shop plugins
//! written for the old protocol still use: `/?InvoiceId=…` (the payment
//! page) and [the HTML form](https://wiki.intellectmoney.ru/pages/viewpage.action?pageId=4849803)
//! at `/ru/`, which opens an invoice from the buyer's browser and sends the
//! buyer to its payment page.

use crate::core::current::State;
use axum::body::Body;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;

use super::texts::RU;
use super::{message, not_found, pay_page_url, read_form, see_other, sentence};
use crate::core::journal::JournalObjects;
use crate::openapi::routes;
use crate::providers::intellectmoney::State as Im;
use crate::providers::intellectmoney::request::{self, Params};
use crate::providers::intellectmoney::routes;
use crate::providers::intellectmoney::validate;

pub(super) fn routes() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(legacy_entry))
        .routes(routes!(purchase_form, purchase_form_by_get))
        .routes(routes!(purchase_form_no_slash))
}

/// [The invoice payment page](https://developer.intellectmoney.ru/merchant/api/createInvoice)
/// by its legacy address `merchant.intellectmoney.ru/?InvoiceId=…`: redirects
/// to `/intellectmoney/pay/{InvoiceId}`.
#[utoipa::path(get, path = "/", tag = "intellectmoney",
    params(("InvoiceId" = String, Query, description = "The invoice (any letter case in the name)")),
    responses((status = 303, description = "To the payment page"), (status = 404, description = "No invoice named: an HTML page", content_type = "text/html")))]
async fn legacy_entry(RawQuery(query): RawQuery) -> Response {
    let params = request::parse_form(query.as_deref().unwrap_or_default()).unwrap_or_default();
    match params.get("InvoiceId").and_then(validate::parse_invoice_id) {
        Some(id) => see_other(&pay_page_url(id)),
        None => not_found(),
    }
}

/// [The legacy HTML form](https://wiki.intellectmoney.ru/pages/viewpage.action?pageId=4849803)
/// (`merchant.intellectmoney.ru/ru/`), posted by the buyer's browser from a
/// shop plugin: eshopId, orderId, serviceName, recipientAmount,
/// recipientCurrency, userName, user_email or email, successUrl, failUrl,
/// preference, expireDate, holdMode and `hash` (MD5 of the first five and
/// the SecretKey). Opens the invoice and sends the buyer to its page.
#[utoipa::path(post, path = "/ru/", tag = "intellectmoney",
    request_body(content = String, description = "The form's fields", content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the invoice's payment page"), (status = 400, description = "Why no invoice was opened: an HTML page", content_type = "text/html", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `hash` only: the text the sandbox expected to be hashed, the key as `<SecretKey>`")))))]
async fn purchase_form(State(state): State<Im>, body: Body) -> Response {
    let params = read_form(&state, body).await;
    open_purchase(&state, params)
}

/// The legacy form's fields in the query string, as the legacy protocol
/// also allows.
#[utoipa::path(get, path = "/ru/", tag = "intellectmoney",
    responses((status = 303, description = "To the invoice's payment page"), (status = 400, description = "Why no invoice was opened: an HTML page", content_type = "text/html", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `hash` only: the text the sandbox expected to be hashed, the key as `<SecretKey>`")))))]
async fn purchase_form_by_get(State(state): State<Im>, RawQuery(query): RawQuery) -> Response {
    let params = request::parse_form(query.as_deref().unwrap_or_default()).unwrap_or_default();
    open_purchase(&state, params)
}

/// `/ru` as `/ru/`: plugins write both.
#[utoipa::path(post, path = "/ru", tag = "intellectmoney",
    request_body(content = String, description = "The form's fields", content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the invoice's payment page"), (status = 400, description = "Why no invoice was opened: an HTML page", content_type = "text/html", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `hash` only: the text the sandbox expected to be hashed, the key as `<SecretKey>`")))))]
async fn purchase_form_no_slash(State(state): State<Im>, body: Body) -> Response {
    purchase_form(State(state), body).await
}

fn open_purchase(state: &Im, params: Params) -> Response {
    // The form names the buyer's e-mail `user_email` (the API: `Email`).
    let params = match (params.get("Email"), params.get("user_email")) {
        (None, Some(email)) => {
            let email = ("Email".to_owned(), email.to_owned());
            let pairs = params.iter().map(|(k, v)| (k.to_owned(), v.to_owned()));
            Params::new(pairs.chain(std::iter::once(email)).collect())
        }
        _ => params,
    };
    let mut expected = None;
    match routes::purchase(state, &params, &mut expected) {
        Ok(id) => JournalObjects::one(id).file(see_other(&pay_page_url(id))),
        // Russian whatever the hint: the reason is the API's own message.
        Err(error) => {
            let page = message(
                &RU,
                StatusCode::BAD_REQUEST,
                "Счёт не создан",
                &sentence(&error.to_string()),
                None,
            );
            match expected {
                Some(expected) => expected.attach(page),
                None => page,
            }
        }
    }
}
