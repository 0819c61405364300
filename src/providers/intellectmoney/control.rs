//! `/__sandbox/intellectmoney/…`: moves the merchant API has no method for
//! (a hold's capture, a cancellation, a refund are done in the merchant
//! cabinet on the real service), and a look at an invoice.

use crate::core::current::State;
use axum::Json;
use axum::body::Body;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use super::State as Im;
use super::model::{Invoice, InvoiceError, Transition};
use super::receipt::Receipt;
use crate::core::error::{AdminPath, ControlRefusal, CoreError};
use crate::core::money::Amount;
use crate::openapi::routes;

pub fn routes() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(get_invoice))
        .routes(routes!(capture_invoice))
        .routes(routes!(cancel_invoice))
        .routes(routes!(refund_invoice))
}

/// An invoice as the control plane shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct InvoiceView {
    invoice_id: u64,
    eshop_id: u32,
    order_id: String,
    amount: String,
    currency: String,
    /// `paymentStatus`: 3 created, 4 cancelled, 5 paid, 6 held, 7 partially paid, 8 refunded.
    status: u8,
    status_text: &'static str,
    /// `PaymentStep` of the latest payment, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_step: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_amount: Option<String>,
    payment_page: String,
    /// The `MerchantReceipt` the invoice was created with, as checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt: Option<ReceiptView>,
}

/// A `MerchantReceipt`, its enumerations as the numbers sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ReceiptView {
    #[serde(skip_serializing_if = "Option::is_none")]
    inn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    skip_amount_check: bool,
    /// `content.type` (`ReceiptDocType`: 1 In, 2 InReturn, 3 Out, 4 OutReturn).
    #[serde(rename = "type")]
    doc_type: u8,
    customer_contact: String,
    /// The sum of the positions (quantity × price, each rounded to the kopeck).
    total: String,
    positions: Vec<PositionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    taxation_system: Option<u8>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PositionView {
    text: String,
    quantity: String,
    price: String,
    amount: String,
    /// `ReceiptVatRate`: 1 20%, 2 10%, 3 20/120, 4 10/110, 5 0%, 6 none.
    tax: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_subject_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier_inn: Option<String>,
}

fn receipt_view(receipt: &Receipt) -> ReceiptView {
    ReceiptView {
        inn: receipt.inn.clone(),
        group: receipt.group.clone(),
        skip_amount_check: receipt.skip_amount_check,
        doc_type: receipt.doc_type.value,
        customer_contact: receipt.customer_contact.clone(),
        total: receipt.total().unwrap_or_default().to_string(),
        positions: receipt
            .positions
            .iter()
            .map(|p| PositionView {
                text: p.text.clone(),
                quantity: p.quantity.to_string(),
                price: p.price.to_string(),
                amount: p.amount().unwrap_or_default().to_string(),
                tax: p.tax.value,
                payment_subject_type: p.payment_subject_type.map(|c| c.value),
                payment_method_type: p.payment_method_type.map(|c| c.value),
                supplier_inn: p.supplier_inn.clone(),
            })
            .collect(),
        taxation_system: receipt
            .check_close
            .as_ref()
            .map(|c| c.taxation_system.value),
    }
}

fn view(state: &Im, invoice: &Invoice) -> InvoiceView {
    InvoiceView {
        invoice_id: invoice.id,
        eshop_id: invoice.eshop_id,
        order_id: invoice.terms.order_id.clone(),
        amount: invoice.terms.amount.to_string(),
        currency: invoice.terms.currency.clone(),
        status: invoice.status.code(),
        status_text: invoice.status.describe(),
        payment_step: invoice
            .payment
            .as_ref()
            .map(|p| p.step(&state.fixture.pacing, state.now()).name()),
        refund_amount: invoice.refund_amount.map(|a| a.to_string()),
        payment_page: state
            .core
            .public_url
            .join(&format!("/intellectmoney/pay/{}", invoice.id)),
        receipt: invoice.terms.merchant_receipt.as_ref().map(receipt_view),
    }
}

fn not_found(id: u64) -> CoreError {
    CoreError::NotFound(format!("no IntellectMoney invoice {id}"))
}

/// A move the invoice's state does not allow.
fn cannot(action: &str, id: u64, error: &InvoiceError) -> CoreError {
    CoreError::Conflict(format!("cannot {action} invoice {id}: {error}"))
}

/// `GET /__sandbox/intellectmoney/invoices/{id}`.
#[utoipa::path(get, operation_id = "sandbox_get_intellectmoney_invoice", path = "/invoices/{id}", tag = "sandbox",
    params(("id" = u64, Path, description = "InvoiceId")),
    responses((status = 200, description = "The invoice", body = InvoiceView), (status = 404, description = "No such invoice", body = ControlRefusal, example = json!(not_found(3999999999).example())), (status = 400, description = "The id is not a number", body = ControlRefusal)))]
async fn get_invoice(
    State(state): State<Im>,
    AdminPath(id): AdminPath<u64>,
) -> Result<Json<InvoiceView>, CoreError> {
    let invoice = state.invoice(&id).ok_or_else(|| not_found(id))?;
    Ok(Json(view(&state, &invoice)))
}

/// Applies a move and answers the invoice after it.
fn apply(
    state: &Im,
    id: u64,
    action: &str,
    f: impl FnOnce(&mut Invoice) -> Result<Transition, InvoiceError>,
) -> Result<Json<InvoiceView>, CoreError> {
    let invoice = state
        .update(id, |invoice| match f(invoice) {
            Ok(transition) => (Ok(invoice.clone()), Some(transition)),
            Err(e) => (Err(e), None),
        })
        .ok_or_else(|| not_found(id))?
        .map_err(|e| cannot(action, id, &e))?;
    Ok(Json(view(state, &invoice)))
}

/// `POST /__sandbox/intellectmoney/invoices/{id}/capture`: a held amount is
/// charged (6 → 5).
#[utoipa::path(post, operation_id = "sandbox_capture_intellectmoney_invoice", path = "/invoices/{id}/capture", tag = "sandbox",
    params(("id" = u64, Path, description = "InvoiceId")),
    responses((status = 200, description = "Captured; a paymentStatus 5 notification is queued", body = InvoiceView), (status = 404, description = "No such invoice", body = ControlRefusal, example = json!(not_found(3999999999).example())), (status = 409, description = "The invoice is not held", body = ControlRefusal, example = json!(cannot("capture", 3000000001, &InvoiceError::NotHeld).example())), (status = 400, description = "The id is not a number", body = ControlRefusal)))]
async fn capture_invoice(
    State(state): State<Im>,
    AdminPath(id): AdminPath<u64>,
) -> Result<Json<InvoiceView>, CoreError> {
    let now = state.now();
    apply(&state, id, "capture", |invoice| invoice.capture(now))
}

/// `POST /__sandbox/intellectmoney/invoices/{id}/cancel`: an unpaid invoice
/// is annulled, or a held amount released (3 or 6 → 4).
#[utoipa::path(post, operation_id = "sandbox_cancel_intellectmoney_invoice", path = "/invoices/{id}/cancel", tag = "sandbox",
    params(("id" = u64, Path, description = "InvoiceId")),
    responses((status = 200, description = "Cancelled; a paymentStatus 4 notification is queued", body = InvoiceView), (status = 404, description = "No such invoice", body = ControlRefusal, example = json!(not_found(3999999999).example())), (status = 409, description = "Paid, refunded or already cancelled", body = ControlRefusal, example = json!(cannot("cancel", 3000000001, &InvoiceError::AlreadyPaid).example())), (status = 400, description = "The id is not a number", body = ControlRefusal)))]
async fn cancel_invoice(
    State(state): State<Im>,
    AdminPath(id): AdminPath<u64>,
) -> Result<Json<InvoiceView>, CoreError> {
    let now = state.now();
    apply(&state, id, "cancel", |invoice| invoice.cancel(now))
}

/// What a refund may say; an empty body refunds the whole amount.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RefundRequest {
    /// `"5.00"`: at most the invoice's amount.
    amount: Option<String>,
}

/// `POST /__sandbox/intellectmoney/invoices/{id}/refund` `{"amount"?}`: a
/// paid invoice is refunded (5 → 8).
#[utoipa::path(post, operation_id = "sandbox_refund_intellectmoney_invoice", path = "/invoices/{id}/refund", tag = "sandbox",
    params(("id" = u64, Path, description = "InvoiceId")),
    request_body(content = RefundRequest, description = "Optional; without it the whole amount"),
    responses((status = 200, description = "Refunded; a paymentStatus 8 notification is queued", body = InvoiceView), (status = 400, description = "Not an amount", body = ControlRefusal), (status = 404, description = "No such invoice", body = ControlRefusal, example = json!(not_found(3999999999).example())), (status = 409, description = "Not paid, or more than paid", body = ControlRefusal, example = json!(cannot("refund", 3000000001, &InvoiceError::RefundTooLarge).example()))))]
async fn refund_invoice(
    State(state): State<Im>,
    AdminPath(id): AdminPath<u64>,
    body: Body,
) -> Result<Json<InvoiceView>, CoreError> {
    // Read here, bounded, so an oversized body is refused in the control
    // plane's own format.
    let body = axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| {
        CoreError::BadRequest("the body is unreadable or larger than 64 KiB".into())
    })?;
    let request: RefundRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RefundRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| CoreError::BadRequest(e.to_string()))?
    };
    let amount = request
        .amount
        .map(|a| {
            Amount::parse_decimal(&a)
                .map_err(|e| CoreError::BadRequest(format!("amount {a:?}: {e}")))
        })
        .transpose()?;
    let now = state.now();
    apply(&state, id, "refund", |invoice| invoice.refund(amount, now))
}
