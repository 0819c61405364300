//! The SBP page (`SbpQrCodeUrl` of an SBP payment's `Form3DS`; IntellectMoney
//! publishes no page for it): the QR code and the bank's answer, to approve
//! or decline. SbpPayment's `Form3DS` names it; so does the payment page's
//! SBP button. The QR code, drawn by [`super::qr`], encodes the page's own
//! address (the `SbpQrCodeUrl`), which the page also shows as a link.

use crate::core::current::State;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;

use super::qr::qr_svg;
use super::texts::{Texts, texts};
use super::{Head, awaiting, decide_on_page, load, message};
use crate::core::journal::JournalObjects;
use crate::openapi::routes;
use crate::providers::intellectmoney::State as Im;
use crate::providers::intellectmoney::model::{BuyerPage, Decline};

pub(super) fn routes() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(sbp_page))
        .routes(routes!(sbp_approve))
        .routes(routes!(sbp_decline))
        .routes(routes!(sbp_qr))
}

#[derive(Template, WebTemplate)]
#[template(path = "intellectmoney/sbp.html")]
struct SbpPage {
    t: &'static Texts,
    head: Head,
    /// The SBP payment URL, the one the QR code encodes.
    sbp_url: String,
}

/// The SBP page (`SbpQrCodeUrl` of `Form3DS`; no public page): the QR code
/// and the bank's answer.
#[utoipa::path(get, path = "/sbp/{invoice_id}", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn sbp_page(State(state): State<Im>, path: Result<Path<String>, PathRejection>) -> Response {
    match awaiting(&state, path, BuyerPage::Sbp) {
        Ok((invoice, _)) => {
            let page = SbpPage {
                t: texts(invoice.terms.language),
                head: Head::of(&state, &invoice),
                sbp_url: state.sbp_url(invoice.id),
            };
            JournalObjects::one(invoice.id).file(page.into_response())
        }
        Err(response) => *response,
    }
}

/// SBP approve (no public page): `Ok`, to the SuccessUrl.
#[utoipa::path(post, path = "/sbp/{invoice_id}/approve", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the SuccessUrl"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn sbp_approve(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    decide_on_page(&state, path, BuyerPage::Sbp, None)
}

/// SBP decline (no public page): `Error`, to the FailUrl.
#[utoipa::path(post, path = "/sbp/{invoice_id}/decline", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the FailUrl"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn sbp_decline(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    decide_on_page(&state, path, BuyerPage::Sbp, Some(Decline::Sbp))
}

/// The QR image of `SbpQrCodeImage` (no public page): a QR code of the SBP
/// payment URL.
#[utoipa::path(get, path = "/sbp/{invoice_id}/qr.svg", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "SVG image", content_type = "image/svg+xml"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn sbp_qr(State(state): State<Im>, path: Result<Path<String>, PathRejection>) -> Response {
    match load(&state, path) {
        Ok(invoice) => match qr_svg(&state.sbp_url(invoice.id)) {
            Ok(svg) => (
                [
                    (header::CONTENT_TYPE, "image/svg+xml"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                svg,
            )
                .into_response(),
            // Only a public URL of thousands of bytes is too long for a QR code.
            Err(error) => {
                tracing::error!(cause = %error, "the SBP URL does not fit a QR code");
                let t = texts(invoice.terms.language);
                message(
                    t,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t.qr_failed_title,
                    t.qr_failed_text,
                    None,
                )
            }
        },
        Err(response) => *response,
    }
}
