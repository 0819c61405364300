//! The buyer's pages, one file a page family:
//!
//! - `payment_page.rs`: the invoice payment page (what
//!   `merchant.intellectmoney.ru/?InvoiceId=` shows): card form, one-click
//!   outcomes, SBP and PayLate buttons, back to the shop;
//! - `legacy.rs`: the legacy addresses, `/?InvoiceId=` and the HTML form
//!   (`merchant.intellectmoney.ru/ru/`) that opens an invoice;
//! - `three_ds.rs`: the 3-D Secure page of a card payment;
//! - `paylate.rs`: the PayLate page (instalments);
//! - `sbp.rs`: the SBP page and its QR image, drawn by `qr.rs`;
//! - `texts.rs`: their words in Russian and English.
//!
//! Plain HTML forms that work without JavaScript, in Russian (English when
//! the invoice was created with `Language=en`, every page and message of
//! it; see `texts.rs` for the pages without an invoice), carrying `data-testid`s
//! for browser tests (`tests/api/browser_intellectmoney.rs`). What a page shows and where a decision leads is decided
//! by [`super::model`]; this module loads, persists and renders.
//!
//! Each page that ends a payment redirects (303) to where
//! [`Invoice::return_to`] says the buyer belongs.

mod legacy;
mod paylate;
mod payment_page;
pub mod qr;
mod sbp;
pub mod texts;
mod three_ds;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;

use super::State as Im;
use super::model::{BuyerPage, Decline, Finish, Invoice, InvoiceError, PageState, ReturnTo};
use super::request::{self, Params};
use super::types::Lang;
use super::validate;
use crate::core::journal::JournalObjects;
use crate::core::money::Amount;
use crate::web::redirect;
use texts::{RU, Texts, texts};

/// Every page's route, in the order the OpenAPI document lists them.
pub fn routes() -> OpenApiRouter {
    legacy::routes()
        .merge(payment_page::routes())
        .merge(three_ds::routes())
        .merge(paylate::routes())
        .merge(sbp::routes())
        .layer(middleware::from_fn(not_found_in_hinted_language))
}

/// The invoice summary at the top of every page.
pub struct Head {
    pub merchant: String,
    pub amount: String,
    pub description: String,
    pub order_id: String,
    pub invoice_id: u64,
    pub back_url: Option<String>,
}

impl Head {
    fn of(state: &Im, invoice: &Invoice) -> Self {
        Self {
            merchant: state
                .shop(invoice.eshop_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            amount: money(
                invoice.terms.amount,
                &invoice.terms.currency,
                invoice.terms.language,
            ),
            description: invoice.terms.service_name.clone(),
            order_id: invoice.terms.order_id.clone(),
            invoice_id: invoice.id,
            back_url: invoice
                .terms
                .back_url
                .as_ref()
                .map(|_| format!("/intellectmoney/pay/{}/back", invoice.id)),
        }
    }
}

/// `1 234,56 ₽` in Russian, `1,234.56 RUB` in English.
pub fn money(amount: Amount, currency: &str, lang: Lang) -> String {
    let whole = (amount.minor() / 100).to_string();
    let cents = amount.minor() % 100;
    let separator = if lang == Lang::Ru { '\u{a0}' } else { ',' };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(c);
    }
    match lang {
        Lang::Ru => {
            let sign = match currency {
                "RUB" | "RUR" => "₽",
                "USD" => "$",
                "EUR" => "€",
                other => other,
            };
            format!("{grouped},{cents:02}\u{a0}{sign}")
        }
        Lang::En => format!("{grouped}.{cents:02} {currency}"),
    }
}

/// A page that only says something: not found, already finished, refused.
#[derive(Template, WebTemplate)]
#[template(path = "intellectmoney/message.html")]
struct MessagePage {
    t: &'static Texts,
    title: String,
    text: String,
    is_error: bool,
    link: Option<(String, String)>,
}

fn message(
    t: &'static Texts,
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(String, String)>,
) -> Response {
    (
        status,
        MessagePage {
            t,
            title: title.to_owned(),
            text: text.to_owned(),
            is_error: status != StatusCode::OK,
            link,
        },
    )
        .into_response()
}

/// Marks the "not found" page, which [`not_found_in_hinted_language`]
/// may say again in the language the request hints at.
#[derive(Clone, Copy)]
struct NotFoundPage;

/// The "not found" page, in Russian: with no invoice there is no language
/// to ask, and the layer of [`routes`] turns it into English on a hint.
fn not_found() -> Response {
    let mut response = not_found_in(&RU);
    response.extensions_mut().insert(NotFoundPage);
    response
}

fn not_found_in(t: &'static Texts) -> Response {
    message(
        t,
        StatusCode::NOT_FOUND,
        t.not_found_title,
        t.not_found_text,
        None,
    )
}

/// Says a "not found" page in the language the request hints at
/// ([`crate::web::Lang::hinted`]): a layer, because the handlers that find
/// nothing are many and none of them has read the request's headers.
async fn not_found_in_hinted_language(request: Request, next: Next) -> Response {
    let hint = Lang::hinted(
        request.uri().query(),
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let response = next.run(request).await;
    match hint {
        Some(lang) if lang != Lang::Ru && response.extensions().get::<NotFoundPage>().is_some() => {
            not_found_in(texts(lang))
        }
        _ => response,
    }
}

/// A 303 to `location` (a path of this server or a merchant's URL); one
/// that cannot be a header answers the "not found" page.
fn see_other(location: &str) -> Response {
    redirect::see_other(location).unwrap_or_else(|_| not_found())
}

/// The invoice a page's path names, after the clock has had its say.
fn load(state: &Im, path: Result<Path<String>, PathRejection>) -> Result<Invoice, Box<Response>> {
    let Ok(Path(id)) = path else {
        return Err(Box::new(not_found()));
    };
    validate::parse_invoice_id(&id)
        .and_then(|id| state.invoice(&id))
        .ok_or_else(|| Box::new(not_found()))
}

fn pay_page_url(id: u64) -> String {
    format!("/intellectmoney/pay/{id}")
}

/// The address [`ReturnTo`] names for invoice `id`.
fn location(id: u64, return_to: ReturnTo) -> String {
    match return_to {
        ReturnTo::Url(url) => url,
        ReturnTo::PaymentPage => pay_page_url(id),
    }
}

async fn read_form(state: &Im, body: Body) -> Params {
    match axum::body::to_bytes(body, state.core.max_body_bytes).await {
        Ok(bytes) => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| request::parse_form(text).ok())
            .unwrap_or_default(),
        Err(_) => Params::default(),
    }
}

/// `reason` as a sentence: capitalised, with a full stop.
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        + "."
}

/// Ends the invoice's payment as the buyer decided and settles the invoice;
/// gives the invoice after and where the buyer goes now.
fn decide(
    state: &Im,
    invoice_id: u64,
    decline: Option<Decline>,
) -> Result<(Invoice, ReturnTo), InvoiceError> {
    let now = state.now();
    let decided = state.update(invoice_id, |invoice| {
        let Some(payment) = invoice.payment.as_mut() else {
            return (Err(InvoiceError::NotPaid), None);
        };
        match payment.decide(decline, now) {
            Ok(finish) => {
                let transition = invoice.end_payment(finish);
                (Ok(finish), transition)
            }
            Err(_) => (Err(InvoiceError::PaymentUnderWay), None),
        }
    });
    let finish: Finish = decided.ok_or(InvoiceError::NotPaid)??;
    let invoice = state.invoice(&invoice_id).ok_or(InvoiceError::NotPaid)?;
    let payment = invoice.payment.as_ref().ok_or(InvoiceError::NotPaid)?;
    let return_to = invoice.return_to(&payment.origin, finish.decline.is_none());
    state.record_payment(
        invoice_id,
        format!(
            "buyer's decision: payment SendTo3DS → {}",
            finish.step().name()
        ),
    );
    Ok((invoice, return_to))
}

/// Redirects after the buyer's decision on a 3-D Secure, PayLate or SBP page.
fn after_decision(state: &Im, invoice: &Invoice, decline: Option<Decline>) -> Response {
    answer_decision(
        texts(invoice.terms.language),
        invoice.id,
        decide(state, invoice.id, decline),
    )
}

/// A decision's answer: a redirect to where it leads, or why there was
/// nothing to decide.
fn answer_decision(
    t: &'static Texts,
    invoice_id: u64,
    decided: Result<(Invoice, ReturnTo), InvoiceError>,
) -> Response {
    let response = match decided {
        Ok((_, return_to)) => see_other(&location(invoice_id, return_to)),
        Err(_) => message(
            t,
            StatusCode::CONFLICT,
            t.finished_title,
            t.finished_or_not_ready_text,
            Some((pay_page_url(invoice_id), t.to_payment_page.to_owned())),
        ),
    };
    JournalObjects::one(invoice_id).file(response)
}

/// The invoice whose payment waits for the buyer on `page`, or the page
/// that says why there is none.
fn awaiting(
    state: &Im,
    path: Result<Path<String>, PathRejection>,
    page: BuyerPage,
) -> Result<(Invoice, super::model::Payment), Box<Response>> {
    let invoice = load(state, path)?;
    let now = state.now();
    let pacing = state.fixture.pacing.clone();
    // Opening the page moves a time-paced payment on, never a poll-paced one.
    let payment = state
        .update(invoice.id, |inv| {
            let Some(payment) = inv.payment.as_mut() else {
                return (None, None);
            };
            let (_, finished) = payment.advance(&pacing, now, false);
            let snapshot = payment.clone();
            let transition = finished.and_then(|f| inv.end_payment(f));
            (Some(snapshot), transition)
        })
        .flatten();
    let t = texts(invoice.terms.language);
    let link = Some((pay_page_url(invoice.id), t.to_payment_page.to_owned()));
    let (status, title, text) = match (page.finds(payment.as_ref()), payment) {
        (PageState::AwaitingBuyer, Some(payment)) => return Ok((invoice, payment)),
        (PageState::Finished, _) => (StatusCode::CONFLICT, t.finished_title, t.finished_text),
        (PageState::InProgress, _) => (
            StatusCode::CONFLICT,
            t.in_progress_title,
            t.in_progress_text,
        ),
        (PageState::AwaitingBuyer | PageState::NoPayment, _) => {
            (StatusCode::NOT_FOUND, t.no_payment_title, t.no_payment_text)
        }
    };
    Err(Box::new(
        JournalObjects::one(invoice.id).file(message(t, status, title, text, link)),
    ))
}

/// The buyer's decision on `page`: approve (`None`) or decline.
fn decide_on_page(
    state: &Im,
    path: Result<Path<String>, PathRejection>,
    page: BuyerPage,
    decline: Option<Decline>,
) -> Response {
    match awaiting(state, path, page) {
        Ok((invoice, _)) => after_decision(state, &invoice, decline),
        Err(response) => *response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_the_local_way() {
        assert_eq!(
            money(Amount::from_minor(123_456), "RUB", Lang::Ru),
            "1\u{a0}234,56\u{a0}₽"
        );
        assert_eq!(
            money(Amount::from_minor(1000), "TST", Lang::Ru),
            "10,00\u{a0}TST"
        );
        assert_eq!(
            money(Amount::from_minor(123_456_789), "USD", Lang::En),
            "1,234,567.89 USD"
        );
    }
}
