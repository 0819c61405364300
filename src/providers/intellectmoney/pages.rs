//! The buyer's pages: the invoice payment page (what
//! `merchant.intellectmoney.ru/?InvoiceId=` shows), the 3-D Secure page, the
//! PayLate page and the SBP page. Plain HTML forms that work without
//! JavaScript, in Russian (English when the invoice was created with
//! `Language=en`), carrying the contract's `data-testid`s.
//!
//! Each page that ends a payment redirects (303) to where the buyer belongs:
//! a card's 3-D Secure started by BankCardPayment to its `ReturnUrl`,
//! a BNPL or SBP payment to the SuccessUrl/FailUrl its method was given,
//! a payment started on the payment page to the invoice's SuccessUrl or
//! FailUrl; without one, back to the payment page, which shows the outcome.

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::State as Im;
use super::model::{
    Decline, Finish, Invoice, InvoiceError, InvoiceStatus, Lang, Origin, Payment, PaymentMethod,
    Progress,
};
use super::request::{self, Params};
use super::routes::card_plan;
use super::scenarios;
use super::validate::{self, card_number_reason};
use crate::core::cards::{self, CardOutcome};
use crate::core::journal::JournalObjects;
use crate::core::mask::mask_card_number;
use crate::core::money::Amount;
use crate::core::scenarios::header_of;
use crate::web::redirect;

pub fn routes() -> OpenApiRouter<super::State> {
    OpenApiRouter::new()
        .routes(routes!(legacy_entry))
        .routes(routes!(purchase_form, purchase_form_by_get))
        .routes(routes!(purchase_form_no_slash))
        .routes(routes!(payment_page))
        .routes(routes!(pay_by_card))
        .routes(routes!(pay_approve))
        .routes(routes!(pay_decline))
        .routes(routes!(pay_by_sbp))
        .routes(routes!(pay_by_paylate))
        .routes(routes!(back_to_shop))
        .routes(routes!(three_ds_page, three_ds_page_post))
        .routes(routes!(three_ds_confirm))
        .routes(routes!(three_ds_approve))
        .routes(routes!(three_ds_decline))
        .routes(routes!(paylate_page, paylate_page_post))
        .routes(routes!(paylate_approve))
        .routes(routes!(paylate_decline))
        .routes(routes!(sbp_page))
        .routes(routes!(sbp_approve))
        .routes(routes!(sbp_decline))
        .routes(routes!(sbp_qr))
}

/// Words of the pages in the two languages they speak.
pub struct Texts {
    pub lang: &'static str,
    pub order: &'static str,
    pub invoice: &'static str,
    pub pay_title: &'static str,
    pub card_number: &'static str,
    pub expiry: &'static str,
    pub expiry_placeholder: &'static str,
    pub cvc: &'static str,
    pub cardholder: &'static str,
    pub pay: &'static str,
    pub other_ways: &'static str,
    pub sbp_button: &'static str,
    pub paylate_button: &'static str,
    pub approve: &'static str,
    pub decline: &'static str,
    pub quick_note: &'static str,
    pub back: &'static str,
    pub sandbox: &'static str,
    pub test_cards: &'static str,
    pub three_ds_title: &'static str,
    pub three_ds_text: &'static str,
    pub code: &'static str,
    pub confirm: &'static str,
    pub code_hint: &'static str,
    pub paylate_title: &'static str,
    pub paylate_text: &'static str,
    pub paylate_approve: &'static str,
    pub paylate_decline: &'static str,
    pub payment_no: &'static str,
    pub today: &'static str,
    pub sbp_title: &'static str,
    pub sbp_text: &'static str,
    pub sbp_approve: &'static str,
    pub sbp_decline: &'static str,
    pub qr_alt: &'static str,
    pub to_payment_page: &'static str,
}

const RU: Texts = Texts {
    lang: "ru",
    order: "Заказ №",
    invoice: "Счёт №",
    pay_title: "Оплата заказа",
    card_number: "Номер карты",
    expiry: "Срок действия",
    expiry_placeholder: "ММ/ГГ",
    cvc: "CVC/CVV",
    cardholder: "Имя владельца карты",
    pay: "Оплатить",
    other_ways: "Другие способы оплаты",
    sbp_button: "Оплатить через СБП",
    paylate_button: "Оплатить частями — PayLate",
    approve: "Оплата прошла",
    decline: "Оплата отклонена",
    quick_note: "Быстрый исход без карты:",
    back: "Вернуться в магазин",
    sandbox: "Песочница paysandbox: деньги не списываются.",
    test_cards: "Тестовые карты",
    three_ds_title: "Подтверждение платежа",
    three_ds_text: "Банк отправил код подтверждения для карты",
    code: "Код из SMS",
    confirm: "Подтвердить",
    code_hint: "В песочнице подходит код",
    paylate_title: "PayLate — оплата частями",
    paylate_text: "Сумма делится на равные платежи без переплаты:",
    paylate_approve: "Оформить",
    paylate_decline: "Отказаться",
    payment_no: "Платёж",
    today: "сегодня",
    sbp_title: "Оплата через СБП",
    sbp_text: "Отсканируйте QR-код камерой телефона или в приложении банка и подтвердите оплату.",
    sbp_approve: "Оплата подтверждена в банке",
    sbp_decline: "Отклонить",
    qr_alt: "QR-код для оплаты через СБП",
    to_payment_page: "К странице оплаты",
};

const EN: Texts = Texts {
    lang: "en",
    order: "Order",
    invoice: "Invoice",
    pay_title: "Payment",
    card_number: "Card number",
    expiry: "Expiry date",
    expiry_placeholder: "MM/YY",
    cvc: "CVC/CVV",
    cardholder: "Cardholder name",
    pay: "Pay",
    other_ways: "Other ways to pay",
    sbp_button: "Pay with SBP",
    paylate_button: "Pay in parts — PayLate",
    approve: "Payment succeeds",
    decline: "Payment is declined",
    quick_note: "Quick outcome without a card:",
    back: "Back to the shop",
    sandbox: "paysandbox: no money moves.",
    test_cards: "Test cards",
    three_ds_title: "Confirm your payment",
    three_ds_text: "Your bank sent a confirmation code for the card",
    code: "Code from the SMS",
    confirm: "Confirm",
    code_hint: "In the sandbox the code is",
    paylate_title: "PayLate — pay in parts",
    paylate_text: "The amount is split into equal payments at no extra cost:",
    paylate_approve: "Accept the plan",
    paylate_decline: "Decline",
    payment_no: "Payment",
    today: "today",
    sbp_title: "Pay with SBP",
    sbp_text: "Scan the QR code with your phone's camera or your bank's app and confirm the payment.",
    sbp_approve: "Payment confirmed in the bank",
    sbp_decline: "Decline",
    qr_alt: "QR code to pay with SBP",
    to_payment_page: "To the payment page",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Ru => &RU,
        Lang::En => &EN,
    }
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

/// One row of the test-card table.
pub struct CardRow {
    pub number: String,
    pub outcome: &'static str,
}

fn card_rows(state: &Im, lang: Lang) -> Vec<CardRow> {
    state
        .core
        .cards
        .cards
        .iter()
        .map(|card| CardRow {
            number: card.number.clone(),
            outcome: match (card.outcome, lang) {
                (CardOutcome::Approved, Lang::Ru) => "успешная оплата",
                (CardOutcome::Challenge, Lang::Ru) => {
                    "3-D Secure: код 123456 — успех, другой — отказ"
                }
                (CardOutcome::Declined, Lang::Ru) => "отказ банка",
                (CardOutcome::InsufficientFunds, Lang::Ru) => "отказ: недостаточно средств",
                (CardOutcome::Approved, Lang::En) => "approved",
                (CardOutcome::Challenge, Lang::En) => {
                    "3-D Secure: code 123456 approves, any other declines"
                }
                (CardOutcome::Declined, Lang::En) => "declined",
                (CardOutcome::InsufficientFunds, Lang::En) => "declined: insufficient funds",
            },
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

#[derive(Template, WebTemplate)]
#[template(path = "intellectmoney/three_ds.html")]
struct ThreeDsPage {
    t: &'static Texts,
    head: Head,
    short_pan: String,
    challenge_code: String,
    error: Option<String>,
}

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

#[derive(Template, WebTemplate)]
#[template(path = "intellectmoney/sbp.html")]
struct SbpPage {
    t: &'static Texts,
    head: Head,
}

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

fn with_objects(invoice_id: u64, response: Response) -> Response {
    (Extension(JournalObjects::one(invoice_id)), response).into_response()
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

/// Where the buyer goes once a payment has ended.
fn destination(invoice: &Invoice, payment: &Payment, ok: bool) -> String {
    let fallback = || {
        if ok {
            invoice.terms.success_url.clone()
        } else {
            invoice.terms.fail_url.clone()
        }
    };
    let target = match &payment.origin {
        Origin::Api {
            return_url: Some(url),
            ..
        } => Some(url.clone()),
        Origin::Api {
            success_url,
            fail_url,
            ..
        } => if ok {
            success_url.clone()
        } else {
            fail_url.clone()
        }
        .or_else(fallback),
        Origin::Hosted => fallback(),
    };
    target.unwrap_or_else(|| pay_page_url(invoice.id))
}

/// Ends the invoice's payment as the buyer decided and settles the invoice.
fn decide(
    state: &Im,
    invoice_id: u64,
    decline: Option<Decline>,
) -> Result<(Invoice, Payment, Finish), InvoiceError> {
    let now = state.now();
    let decided = state.update(invoice_id, |invoice| {
        let Some(payment) = invoice.payment.as_mut() else {
            return (Err(InvoiceError::NotPaid), None);
        };
        match payment.decide(decline, now) {
            Ok(finish) => {
                let transition = invoice.settle(finish);
                (Ok(finish), transition)
            }
            Err(_) => (Err(InvoiceError::PaymentUnderWay), None),
        }
    });
    let finish = decided.ok_or(InvoiceError::NotPaid)??;
    let invoice = state.invoice(&invoice_id).ok_or(InvoiceError::NotPaid)?;
    let payment = invoice.payment.clone().ok_or(InvoiceError::NotPaid)?;
    state.record_payment(
        invoice_id,
        format!(
            "buyer's decision: payment SendTo3DS → {}",
            finish.step().name()
        ),
    );
    Ok((invoice, payment, finish))
}

/// Redirects after the buyer's decision on a 3-D Secure, PayLate or SBP page.
fn after_decision(state: &Im, invoice_id: u64, decline: Option<Decline>) -> Response {
    let response = match decide(state, invoice_id, decline) {
        Ok((invoice, payment, finish)) => {
            see_other(&destination(&invoice, &payment, finish.decline.is_none()))
        }
        Err(_) => message(
            StatusCode::CONFLICT,
            "Платёж уже завершён",
            "Этот платёж уже завершён или ещё не готов к подтверждению.",
            Some((pay_page_url(invoice_id), RU.to_payment_page.to_owned())),
        ),
    };
    with_objects(invoice_id, response)
}

/// The methods the invoice's `Preference` allows (all when it names none
/// the sandbox knows).
fn allowed(invoice: &Invoice) -> (bool, bool, bool) {
    let preference = invoice
        .terms
        .preference
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let card = preference.contains("bankcard");
    let sbp = preference.contains("sbp");
    let bnpl = preference.contains("bnpl") || preference.contains("paylate");
    if card || sbp || bnpl {
        (card, sbp, bnpl)
    } else {
        (true, true, true)
    }
}

fn pay_page(state: &Im, invoice: &Invoice, error: Option<String>, form: CardForm) -> PayPage {
    let t = texts(invoice.terms.language);
    let (show_card, show_sbp, show_paylate) = allowed(invoice);
    let notice = match invoice.status {
        InvoiceStatus::Created | InvoiceStatus::PartiallyPaid
            if state.now() < invoice.terms.expires_at =>
        {
            None
        }
        InvoiceStatus::Created | InvoiceStatus::PartiallyPaid => Some(Notice {
            text: "Срок оплаты счёта истёк.".to_owned(),
            is_error: true,
            link: None,
        }),
        InvoiceStatus::Cancelled if invoice.expired() => Some(Notice {
            text: "Срок оплаты счёта истёк.".to_owned(),
            is_error: true,
            link: None,
        }),
        InvoiceStatus::Paid | InvoiceStatus::Held => Some(Notice {
            text: if invoice.terms.language == Lang::En {
                "The invoice is paid. Thank you!".to_owned()
            } else {
                "Счёт оплачен. Спасибо!".to_owned()
            },
            is_error: false,
            link: invoice
                .terms
                .success_url
                .clone()
                .or_else(|| invoice.terms.back_url.clone())
                .map(|u| (u, t.back.to_owned())),
        }),
        InvoiceStatus::Cancelled => Some(Notice {
            text: "Счёт аннулирован и не может быть оплачен.".to_owned(),
            is_error: true,
            link: invoice
                .terms
                .back_url
                .clone()
                .map(|u| (u, t.back.to_owned())),
        }),
        InvoiceStatus::Refunded => Some(Notice {
            text: "По счёту выполнен возврат.".to_owned(),
            is_error: true,
            link: invoice
                .terms
                .back_url
                .clone()
                .map(|u| (u, t.back.to_owned())),
        }),
    };
    // The last attempt's decline, so the buyer knows why and can retry.
    let error = error.or_else(|| match &invoice.payment {
        Some(p) if notice.is_none() => p
            .finish()
            .and_then(|f| f.decline)
            .map(|d| format!("Оплата не прошла: {}.", lower_first(d.message_and_code().0))),
        _ => None,
    });
    PayPage {
        t,
        head: Head::of(state, invoice),
        error,
        notice,
        show_card,
        show_sbp,
        show_paylate,
        cards: card_rows(state, invoice.terms.language),
        form,
    }
}

/// [The invoice payment page](https://developer.intellectmoney.ru/merchant/api/createInvoice)
/// by its legacy address `merchant.intellectmoney.ru/?InvoiceId=…`: redirects
/// to `/intellectmoney/pay/{InvoiceId}`.
#[utoipa::path(get, path = "/", tag = "intellectmoney",
    params(("InvoiceId" = String, Query, description = "The invoice (any letter case in the name)")),
    responses((status = 303, description = "To the payment page"), (status = 404, description = "No invoice named")))]
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
    responses((status = 303, description = "To the invoice's payment page"), (status = 400, description = "Why no invoice was opened: an HTML page", content_type = "text/html")))]
async fn purchase_form(State(state): State<Im>, body: Body) -> Response {
    let params = read_form(&state, body).await;
    open_purchase(&state, params)
}

/// The legacy form's fields in the query string, as the legacy protocol
/// also allows.
#[utoipa::path(get, path = "/ru/", tag = "intellectmoney",
    responses((status = 303, description = "To the invoice's payment page"), (status = 400, description = "Why no invoice was opened: an HTML page", content_type = "text/html")))]
async fn purchase_form_by_get(State(state): State<Im>, RawQuery(query): RawQuery) -> Response {
    let params = request::parse_form(query.as_deref().unwrap_or_default()).unwrap_or_default();
    open_purchase(&state, params)
}

/// `/ru` as `/ru/`: plugins write both.
#[utoipa::path(post, path = "/ru", tag = "intellectmoney",
    request_body(content = String, description = "The form's fields", content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the invoice's payment page"), (status = 400, description = "Why no invoice was opened: an HTML page", content_type = "text/html")))]
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
    match super::routes::purchase(state, &params) {
        Ok(id) => with_objects(id, see_other(&pay_page_url(id))),
        Err(error) => message(
            StatusCode::BAD_REQUEST,
            "Счёт не создан",
            &sentence(&error.to_string()),
            None,
        ),
    }
}

/// [The invoice payment page](https://developer.intellectmoney.ru/merchant/api/createInvoice)
/// (`merchant.intellectmoney.ru/?InvoiceId=`): card form, SBP, PayLate.
#[utoipa::path(get, path = "/pay/{invoice_id}", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "No such invoice")))]
async fn payment_page(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    match load(&state, path) {
        Ok(invoice) => with_objects(
            invoice.id,
            pay_page(&state, &invoice, None, CardForm::default()).into_response(),
        ),
        Err(response) => *response,
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

/// [The card form](https://developer.intellectmoney.ru/merchant/api/createInvoice)
/// of the payment page: `card_number`, `expiry` (MM/YY), `cvc`, `cardholder`.
#[utoipa::path(post, path = "/pay/{invoice_id}/card", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the 3-D Secure page, the SuccessUrl or the FailUrl"), (status = 422, description = "The page again, with the error"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
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
    let response = match card_form_checks(&state, &form) {
        Ok(pan) => pay_with_card(&state, &headers, &invoice, &pan, typed),
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            pay_page(&state, &invoice, Some(error), typed),
        )
            .into_response(),
    };
    with_objects(invoice.id, response)
}

/// The card form's own checks, before any payment: the card's digits
/// (Luhn), its expiry and its CVC.
fn card_form_checks(state: &Im, form: &Params) -> Result<String, String> {
    let pan = cards::card_digits(form.text("card_number"))
        .map_err(|e| sentence(card_number_reason(e)))?;
    let expiry = form.text("expiry").trim();
    let (month, year) = expiry
        .split_once('/')
        .and_then(|(m, y)| Some((m.trim().parse::<u8>().ok()?, y.trim().parse::<i32>().ok()?)))
        .filter(|(m, y)| (1..=12).contains(m) && (0..100).contains(y))
        .ok_or("Срок действия указан неверно: нужен формат ММ/ГГ.")?;
    if validate::card_expired(month, 2000 + year, state.now()) {
        return Err("Срок действия карты истёк.".to_owned());
    }
    let cvc = form.text("cvc").trim();
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err("CVC/CVV — 3 или 4 цифры с обратной стороны карты.".to_owned());
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
            pay_page(state, invoice, Some(invoice_error_text(error)), typed),
        )
            .into_response();
    }
    match card_plan(outcome) {
        super::model::Plan::AskBuyer => see_other(&format!("/intellectmoney/3ds/{}", invoice.id)),
        super::model::Plan::Approve => after_decision(state, invoice.id, None),
        super::model::Plan::Decline(decline) => {
            let response = after_decision(state, invoice.id, Some(decline));
            match state.invoice(&invoice.id) {
                // Without a FailUrl the page itself says why.
                Some(after) if after.terms.fail_url.is_none() => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    pay_page(state, &after, None, typed),
                )
                    .into_response(),
                _ => response,
            }
        }
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
    let summary = format!(
        "payment started on the payment page: {}",
        super::routes::describe(&method)
    );
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

fn invoice_error_text(error: InvoiceError) -> String {
    sentence(&error.to_string())
}

/// `reason` as a sentence: capitalised, with a full stop.
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        + "."
}

/// `Message` inside a sentence: its first letter in lower case.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
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
    with_objects(
        invoice.id,
        pay_with_card(state, headers, &invoice, &pan, CardForm::default()),
    )
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
    responses((status = 303, description = "To the FailUrl"), (status = 422, description = "The page with the decline, without a FailUrl"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
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
                Some(invoice_error_text(error)),
                CardForm::default(),
            ),
        )
            .into_response(),
    };
    with_objects(invoice.id, response)
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
            with_objects(invoice.id, response)
        }
        Err(response) => *response,
    }
}

/// The payment waiting for the buyer on a page of `kind`, or the page that
/// says why there is none.
fn awaiting(
    state: &Im,
    path: Result<Path<String>, PathRejection>,
    kind: fn(&PaymentMethod) -> bool,
) -> Result<(Invoice, Payment), Box<Response>> {
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
            let transition = finished.and_then(|f| inv.settle(f));
            (Some(snapshot), transition)
        })
        .flatten();
    let link = Some((
        pay_page_url(invoice.id),
        texts(invoice.terms.language).to_payment_page.to_owned(),
    ));
    let (status, title, text) = match payment {
        Some(payment) if kind(&payment.method) && payment.progress == Progress::AwaitingBuyer => {
            return Ok((invoice, payment));
        }
        Some(payment) if kind(&payment.method) && payment.is_finished() => (
            StatusCode::CONFLICT,
            "Платёж уже завершён",
            "Этот платёж уже завершён.",
        ),
        Some(payment) if kind(&payment.method) => (
            StatusCode::CONFLICT,
            "Платёж ещё обрабатывается",
            "Платёж ещё обрабатывается. Обновите страницу через несколько секунд.",
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "Платёж не найден",
            "По этому счёту нет платежа, ожидающего подтверждения здесь.",
        ),
    };
    Err(Box::new(with_objects(
        invoice.id,
        message(status, title, text, link),
    )))
}

fn is_card(method: &PaymentMethod) -> bool {
    matches!(method, PaymentMethod::Card { .. })
}

fn is_bnpl(method: &PaymentMethod) -> bool {
    *method == PaymentMethod::Bnpl
}

fn is_sbp(method: &PaymentMethod) -> bool {
    *method == PaymentMethod::Sbp
}

fn three_ds(
    state: &Im,
    path: Result<Path<String>, PathRejection>,
    error: Option<String>,
) -> Response {
    match awaiting(state, path, is_card) {
        Ok((invoice, payment)) => {
            let short_pan = match &payment.method {
                PaymentMethod::Card { short_pan } => short_pan.clone(),
                _ => String::new(),
            };
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let page = ThreeDsPage {
                t: texts(invoice.terms.language),
                head: Head::of(state, &invoice),
                short_pan,
                challenge_code: state.core.cards.challenge_code.clone(),
                error,
            };
            with_objects(invoice.id, (status, page).into_response())
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
    three_ds(&state, path, None)
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
    three_ds(&state, path, None)
}

/// [The 3-D Secure code](https://developer.intellectmoney.ru/merchant/api/getbankcardpaymentstate):
/// `code` 123456 approves, any other declines; then to the ReturnUrl.
#[utoipa::path(post, path = "/3ds/{invoice_id}/confirm", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the ReturnUrl (API), or the SuccessUrl/FailUrl (payment page)"), (status = 422, description = "No code typed"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn three_ds_confirm(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Response {
    let form = read_form(&state, body).await;
    let code = form.text("code").trim().to_owned();
    if code.is_empty() {
        return three_ds(&state, path, Some("Введите код подтверждения.".to_owned()));
    }
    match awaiting(&state, path, is_card) {
        Ok((invoice, _)) => {
            let decline = (code != state.core.cards.challenge_code).then_some(Decline::ThreeDs);
            after_decision(&state, invoice.id, decline)
        }
        Err(response) => *response,
    }
}

fn decide_on_page(
    state: &Im,
    path: Result<Path<String>, PathRejection>,
    kind: fn(&PaymentMethod) -> bool,
    decline: Option<Decline>,
) -> Response {
    match awaiting(state, path, kind) {
        Ok((invoice, _)) => after_decision(state, invoice.id, decline),
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
    decide_on_page(&state, path, is_card, None)
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
    decide_on_page(&state, path, is_card, Some(Decline::ThreeDs))
}

fn paylate(state: &Im, path: Result<Path<String>, PathRejection>) -> Response {
    match awaiting(state, path, is_bnpl) {
        Ok((invoice, _)) => {
            let page = PayLatePage {
                t: texts(invoice.terms.language),
                head: Head::of(state, &invoice),
                schedule: schedule(state, &invoice),
            };
            with_objects(invoice.id, page.into_response())
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
    decide_on_page(&state, path, is_bnpl, None)
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
    decide_on_page(&state, path, is_bnpl, Some(Decline::Bnpl))
}

/// The SBP page (`SbpQrCodeUrl` of `Form3DS`; no public page): the QR code
/// and the bank's answer.
#[utoipa::path(get, path = "/sbp/{invoice_id}", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn sbp_page(State(state): State<Im>, path: Result<Path<String>, PathRejection>) -> Response {
    match awaiting(&state, path, is_sbp) {
        Ok((invoice, _)) => {
            let page = SbpPage {
                t: texts(invoice.terms.language),
                head: Head::of(&state, &invoice),
            };
            with_objects(invoice.id, page.into_response())
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
    decide_on_page(&state, path, is_sbp, None)
}

/// SBP decline (no public page): `Error`, to the FailUrl.
#[utoipa::path(post, path = "/sbp/{invoice_id}/decline", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 303, description = "To the FailUrl"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn sbp_decline(
    State(state): State<Im>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    decide_on_page(&state, path, is_sbp, Some(Decline::Sbp))
}

/// The QR image of `SbpQrCodeImage` (no public page): a placeholder drawn
/// here, shaped like a QR code but encoding nothing.
#[utoipa::path(get, path = "/sbp/{invoice_id}/qr.svg", tag = "intellectmoney",
    params(("invoice_id" = String, Path, description = "InvoiceId")),
    responses((status = 200, description = "SVG image", content_type = "image/svg+xml"), (status = 404, description = "No such invoice: an HTML page", content_type = "text/html"), (status = 409, description = "The invoice or its payment is not in a state for this page: an HTML page", content_type = "text/html")))]
async fn sbp_qr(State(state): State<Im>, path: Result<Path<String>, PathRejection>) -> Response {
    match load(&state, path) {
        Ok(invoice) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            qr_placeholder(invoice.id),
        )
            .into_response(),
        Err(response) => *response,
    }
}

/// A 25×25 pattern with the three finder squares of a QR code and modules
/// drawn from the invoice id: recognisable, deterministic, not scannable.
pub fn qr_placeholder(seed: u64) -> String {
    const N: u64 = 25;
    let finder = |x: u64, y: u64| {
        let corner = |cx: u64, cy: u64| {
            (cx..cx + 7).contains(&x) && (cy..cy + 7).contains(&y) && {
                let (dx, dy) = (x - cx, y - cy);
                dx == 0
                    || dx == 6
                    || dy == 0
                    || dy == 6
                    || ((2..=4).contains(&dx) && (2..=4).contains(&dy))
            }
        };
        corner(0, 0) || corner(N - 7, 0) || corner(0, N - 7)
    };
    let near_finder = |x: u64, y: u64| (x < 8 && !(8..N - 8).contains(&y)) || (x >= N - 8 && y < 8);
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut cells = String::new();
    for y in 0..N {
        for x in 0..N {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let dark = if near_finder(x, y) {
                finder(x, y)
            } else {
                state % 2 == 0
            };
            if dark {
                cells.push_str(&format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"1\" height=\"1\"/>",
                    x + 2,
                    y + 2
                ));
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 29 29\" width=\"232\" height=\"232\" shape-rendering=\"crispEdges\"><rect width=\"29\" height=\"29\" fill=\"#fff\"/><g fill=\"#1b1f24\">{cells}</g></svg>"
    )
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

    #[test]
    fn the_qr_placeholder_is_deterministic_and_has_its_finder_squares() {
        let a = qr_placeholder(3000000001);
        assert_eq!(a, qr_placeholder(3000000001));
        assert_ne!(a, qr_placeholder(3000000002));
        assert!(a.starts_with("<svg") && a.contains("<rect x=\"2\" y=\"2\""));
    }
}
