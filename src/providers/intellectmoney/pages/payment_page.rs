//! [The invoice payment page](https://developer.intellectmoney.ru/merchant/api/createInvoice)
//! at `/intellectmoney/pay/{InvoiceId}` (`merchant.intellectmoney.ru/?InvoiceId=`):
//! the card form with the test cards, one-click outcomes, SBP and PayLate,
//! "back to the shop". Once the invoice is settled the page says so instead
//! of the forms.
//!
//! A card typed here is paid at once: approved or declined, or on to the
//! 3-D Secure page; SBP and PayLate go on to their pages.

use crate::core::current::State;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;

use super::texts::{Texts, texts};
use super::{
    Head, after_decision, answer_decision, decide, load, pay_page_url, read_form, see_other,
};
use crate::core::cards::{self, CardOutcome};
use crate::core::journal::JournalObjects;
use crate::core::mask::mask_card_number;
use crate::core::scenarios::header_of;
use crate::openapi::routes;
use crate::providers::intellectmoney::State as Im;
use crate::providers::intellectmoney::model::{
    Invoice, InvoiceError, Payment, PaymentMethod, Plan, ReturnTo, Standing,
};
use crate::providers::intellectmoney::request::Params;
use crate::providers::intellectmoney::scenarios;
use crate::providers::intellectmoney::validate;

pub(super) fn routes() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(payment_page))
        .routes(routes!(pay_by_card))
        .routes(routes!(pay_approve))
        .routes(routes!(pay_decline))
        .routes(routes!(pay_by_sbp))
        .routes(routes!(pay_by_paylate))
        .routes(routes!(back_to_shop))
}

/// One row of the test-card table.
pub struct CardRow {
    pub number: String,
    pub outcome: String,
}

fn card_rows(state: &Im, t: &Texts) -> Vec<CardRow> {
    state
        .core
        .cards
        .cards
        .iter()
        .map(|card| CardRow {
            number: card.number.clone(),
            outcome: t.card_outcome(card.outcome, &state.core.cards.challenge_code),
        })
        .collect()
}

/// What the payment page shows instead of the forms.
pub struct Notice {
    pub text: String,
    pub is_error: bool,
    pub link: Option<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "intellectmoney/pay.html")]
struct PayPage {
    t: &'static Texts,
    head: Head,
    error: Option<String>,
    notice: Option<Notice>,
    show_card: bool,
    show_sbp: bool,
    show_paylate: bool,
    cards: Vec<CardRow>,
    form: CardForm,
}

/// What the buyer typed, given back when the form is shown again.
#[derive(Default)]
struct CardForm {
    card_number: String,
    expiry: String,
    cardholder: String,
}

fn pay_page(state: &Im, invoice: &Invoice, error: Option<String>, form: CardForm) -> PayPage {
    let t = texts(invoice.terms.language);
    let standing = invoice.standing(state.now());
    let link = invoice
        .link_back(standing)
        .map(|url| (url.to_owned(), t.back.to_owned()));
    let notice = |text: &str, is_error: bool| {
        Some(Notice {
            text: text.to_owned(),
            is_error,
            link: link.clone(),
        })
    };
    let notice = match standing {
        Standing::Payable => None,
        Standing::Expired => notice(t.expired, true),
        Standing::Paid => notice(t.paid, false),
        Standing::Cancelled => notice(t.cancelled, true),
        Standing::Refunded => notice(t.refunded, true),
    };
    // The last attempt's decline, so the buyer knows why and can retry.
    let error = error.or_else(|| {
        invoice
            .last_decline()
            .filter(|_| notice.is_none())
            .map(|d| format!("{}{}.", t.payment_failed, t.decline_reason(d)))
    });
    let methods = invoice.terms.methods;
    PayPage {
        t,
        head: Head::of(state, invoice),
        error,
        notice,
        show_card: methods.card,
        show_sbp: methods.sbp,
        show_paylate: methods.paylate,
        cards: card_rows(state, t),
        form,
    }
}

/// [The invoice payment page](https://developer.intellectmoney.ru/merchant/api/createInvoice)
/// (`merchant.intellectmoney.ru/?InvoiceId=`): card form, SBP, PayLate.
#[utoipa::path(get, path = "/pay/{invoice_id}", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html")))]
async fn payment_page(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    match load(&state, path) {
        Ok(invoice) => JournalObjects::one(invoice.id)
            .file(pay_page(&state, &invoice, None, CardForm::default()).into_response()),
        Err(response) => *response,
    }
}

/// [The card form](https://developer.intellectmoney.ru/merchant/api/createInvoice)
/// of the payment page: `card_number`, `expiry` (MM/YY), `cvc`, `cardholder`.
#[utoipa::path(post, path = "/pay/{invoice_id}/card", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the 3-D Secure page, the SuccessUrl or the FailUrl"), (status = 422, description = "The page again, with the error", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn pay_by_card(
    State(state): State<Im>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Response {
    let invoice = match load(&state, path) {
        Ok(invoice) => invoice,
        Err(response) => return *response,
    };
    let form = read_form(&state, body).await;
    let typed = CardForm {
        card_number: form.text("card_number").to_owned(),
        expiry: form.text("expiry").to_owned(),
        cardholder: form.text("cardholder").to_owned(),
    };
    let t = texts(invoice.terms.language);
    let response = match card_form_checks(&state, t, &form) {
        Ok(pan) => pay_with_card(&state, &headers, &invoice, &pan, typed),
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            pay_page(&state, &invoice, Some(error), typed),
        )
            .into_response(),
    };
    JournalObjects::one(invoice.id).file(response)
}

/// The card form's own checks, before any payment: the card's digits
/// (Luhn), its expiry and its CVC; a refusal in the page's language.
fn card_form_checks(state: &Im, t: &Texts, form: &Params) -> Result<String, String> {
    let pan = cards::card_digits(form.text("card_number"))
        .map_err(|e| t.card_number_error(e).to_owned())?;
    let expiry = form.text("expiry").trim();
    let (month, year) = expiry
        .split_once('/')
        .and_then(|(m, y)| Some((m.trim().parse::<u8>().ok()?, y.trim().parse::<i32>().ok()?)))
        .filter(|(m, y)| (1..=12).contains(m) && (0..100).contains(y))
        .ok_or(t.expiry_invalid)?;
    if validate::card_expired(month, 2000 + year, state.now()) {
        return Err(t.card_expired.to_owned());
    }
    let cvc = form.text("cvc").trim();
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(t.cvc_invalid.to_owned());
    }
    Ok(pan)
}

/// Pays the invoice with a card typed (or chosen by a one-click button) on
/// the payment page. A scenario forced on the card payment applies here
/// exactly as to BankCardPayment.
fn pay_with_card(
    state: &Im,
    headers: &HeaderMap,
    invoice: &Invoice,
    pan: &str,
    typed: CardForm,
) -> Response {
    let forced = state
        .core
        .scenarios
        .forced(scenarios::PAYMENT, header_of(headers), &|name| {
            if name.eq_ignore_ascii_case("InvoiceId") {
                Some(invoice.id.to_string())
            } else if name.eq_ignore_ascii_case("OrderId") {
                Some(invoice.terms.order_id.clone())
            } else {
                None
            }
        });
    let outcome = forced
        .and_then(scenarios::card_outcome)
        .or_else(|| state.core.cards.outcome(pan).ok())
        .unwrap_or(CardOutcome::Declined);
    let method = PaymentMethod::Card {
        short_pan: mask_card_number(pan),
    };
    if let Err(error) = start_hosted(state, invoice.id, method) {
        return (
            StatusCode::CONFLICT,
            pay_page(
                state,
                invoice,
                Some(invoice_error_text(invoice, error)),
                typed,
            ),
        )
            .into_response();
    }
    match Plan::for_card(outcome) {
        Plan::AskBuyer => see_other(&format!("/intellectmoney/3ds/{}", invoice.id)),
        Plan::Approve => after_decision(state, invoice, None),
        Plan::Decline(decline) => match decide(state, invoice.id, Some(decline)) {
            // A decline that leads back here: the page itself says why.
            Ok((after, ReturnTo::PaymentPage)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                pay_page(state, &after, None, typed),
            )
                .into_response(),
            decided => answer_decision(texts(invoice.terms.language), invoice.id, decided),
        },
    }
}

/// Starts a payment on the payment page (no pacing: the buyer is here).
fn start_hosted(state: &Im, invoice_id: u64, method: PaymentMethod) -> Result<(), InvoiceError> {
    let now = state.now();
    let rrn = state
        .core
        .ids
        .number(100_000_000_000..1_000_000_000_000)
        .to_string();
    let summary = format!("payment started on the payment page: {}", method.describe());
    state
        .update(invoice_id, |invoice| {
            let result = invoice
                .check_payable(now)
                .map(|()| invoice.payment = Some(Payment::hosted(method, now, rrn)));
            (result, None)
        })
        .ok_or(InvoiceError::NotPaid)??;
    state.record_payment(invoice_id, summary);
    Ok(())
}

fn invoice_error_text(invoice: &Invoice, error: InvoiceError) -> String {
    texts(invoice.terms.language).invoice_error(error)
}

/// A one-click outcome on the payment page, paid through the card path with
/// the test card for that outcome.
fn one_click(
    state: &Im,
    headers: &HeaderMap,
    path: Result<Path<String>, PathRejection>,
    outcome: CardOutcome,
) -> Response {
    let invoice = match load(state, path) {
        Ok(invoice) => invoice,
        Err(response) => return *response,
    };
    let pan = state.core.cards.number_for(outcome).unwrap_or_default();
    JournalObjects::one(invoice.id).file(pay_with_card(
        state,
        headers,
        &invoice,
        &pan,
        CardForm::default(),
    ))
}

/// [One-click approve](https://developer.intellectmoney.ru/merchant/api/createInvoice):
/// pays with an approved test card.
#[utoipa::path(post, path = "/pay/{invoice_id}/approve", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the SuccessUrl (or the payment page)"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn pay_approve(
    State(state): State<Im>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    one_click(&state, &headers, path, CardOutcome::Approved)
}

/// [One-click decline](https://developer.intellectmoney.ru/merchant/api/createInvoice):
/// pays with a declined test card.
#[utoipa::path(post, path = "/pay/{invoice_id}/decline", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the FailUrl"), (status = 422, description = "The page with the decline, without a FailUrl", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn pay_decline(
    State(state): State<Im>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    one_click(&state, &headers, path, CardOutcome::Declined)
}

/// Starts an SBP or PayLate payment from the payment page and goes there.
fn start_page_method(
    state: &Im,
    path: Result<Path<String>, PathRejection>,
    method: PaymentMethod,
    page: &str,
) -> Response {
    let invoice = match load(state, path) {
        Ok(invoice) => invoice,
        Err(response) => return *response,
    };
    let response = match start_hosted(state, invoice.id, method) {
        Ok(()) => see_other(&format!("/intellectmoney/{page}/{}", invoice.id)),
        Err(error) => (
            StatusCode::CONFLICT,
            pay_page(
                state,
                &invoice,
                Some(invoice_error_text(&invoice, error)),
                CardForm::default(),
            ),
        )
            .into_response(),
    };
    JournalObjects::one(invoice.id).file(response)
}

/// [SBP](https://developer.intellectmoney.ru/merchant/api/createInvoice) from
/// the payment page.
#[utoipa::path(post, path = "/pay/{invoice_id}/sbp", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the SBP page"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn pay_by_sbp(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    start_page_method(&state, path, PaymentMethod::Sbp, "sbp")
}

/// [PayLate](https://developer.intellectmoney.ru/merchant/api/bnplpayment)
/// from the payment page.
#[utoipa::path(post, path = "/pay/{invoice_id}/paylate", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the PayLate page"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn pay_by_paylate(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    start_page_method(&state, path, PaymentMethod::Bnpl, "paylate")
}

/// ["Вернуться в магазин"](https://developer.intellectmoney.ru/merchant/api/createInvoice):
/// to the invoice's BackUrl.
#[utoipa::path(get, path = "/pay/{invoice_id}/back", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the BackUrl (or the payment page)"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn back_to_shop(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    match load(&state, path) {
        Ok(invoice) => {
            let response = match &invoice.terms.back_url {
                Some(url) => see_other(url),
                None => see_other(&pay_page_url(invoice.id)),
            };
            JournalObjects::one(invoice.id).file(response)
        }
        Err(response) => *response,
    }
}
