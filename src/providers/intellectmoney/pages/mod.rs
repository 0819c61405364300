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
//! the invoice was created with `Language=en`), carrying `data-testid`s
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
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
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
pub fn routes() -> OpenApiRouter<Im> {
    legacy::routes()
        .merge(payment_page::routes())
        .merge(three_ds::routes())
        .merge(paylate::routes())
        .merge(sbp::routes())
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
        if i > 0 && (whole.len() - i) % 3 == 0 {
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
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(String, String)>,
) -> Response {
    (
        status,
        MessagePage {
            t: &RU,
            title: title.to_owned(),
            text: text.to_owned(),
            is_error: status != StatusCode::OK,
            link,
        },
    )
        .into_response()
}

fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Счёт не найден",
        "Счёта с таким номером нет. Проверьте ссылку на оплату.",
        None,
    )
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
fn after_decision(state: &Im, invoice_id: u64, decline: Option<Decline>) -> Response {
    answer_decision(invoice_id, decide(state, invoice_id, decline))
}

/// A decision's answer: a redirect to where it leads, or why there was
/// nothing to decide.
fn answer_decision(
    invoice_id: u64,
    decided: Result<(Invoice, ReturnTo), InvoiceError>,
) -> Response {
    let response = match decided {
        Ok((_, return_to)) => see_other(&location(invoice_id, return_to)),
        Err(_) => message(
            StatusCode::CONFLICT,
            "Платёж уже завершён",
            "Этот платёж уже завершён или ещё не готов к подтверждению.",
            Some((pay_page_url(invoice_id), RU.to_payment_page.to_owned())),
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
    let link = Some((
        pay_page_url(invoice.id),
        texts(invoice.terms.language).to_payment_page.to_owned(),
    ));
    let (status, title, text) = match (page.finds(payment.as_ref()), payment) {
        (PageState::AwaitingBuyer, Some(payment)) => return Ok((invoice, payment)),
        (PageState::Finished, _) => (
            StatusCode::CONFLICT,
            "Платёж уже завершён",
            "Этот платёж уже завершён.",
        ),
        (PageState::InProgress, _) => (
            StatusCode::CONFLICT,
            "Платёж ещё обрабатывается",
            "Платёж ещё обрабатывается. Обновите страницу через несколько секунд.",
        ),
        (PageState::AwaitingBuyer | PageState::NoPayment, _) => (
            StatusCode::NOT_FOUND,
            "Платёж не найден",
            "По этому счёту нет платежа, ожидающего подтверждения здесь.",
        ),
    };
    Err(Box::new(
        JournalObjects::one(invoice.id).file(message(status, title, text, link)),
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
        Ok((invoice, _)) => after_decision(state, invoice.id, decline),
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
