//! The hosted payment form at `/softline/order/status/{order_id}/{hash}`.
//!
//! Plain HTML forms, no JavaScript needed: the card form posts to `…/card`,
//! the one-click buttons to `…/approve` and `…/decline` (each its own form),
//! a 3-D Secure card leads to `…/3ds`, whose form posts `code`. Approval
//! answers 303 to `return_success_url`; a decline shows the form again with
//! the reason (the payment stays `not paid`). The page speaks Russian, or
//! English for `lang=en_EN`/`en_US`; any other `lang` falls back to Russian.
//! Without `lang` the payment's own locale decides.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::FromRequestParts;

use crate::core::body::RequestBody;
use crate::core::current::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::model::{Card, CardExpiry, CardType, Payment};
use super::types::PaymentStatus;
use super::webhooks::{self, Event};
use super::{NAME, scenarios};
use crate::core::cards::{self, CardNumberError, CardOutcome};
use crate::core::journal::JournalObjects;
use crate::core::journal::{Entry, EntryKind};
use crate::core::scenarios::header_of;
use crate::web::lang::{CardWords, Lang};
use crate::web::redirect;

/// The words of the pages in one language.
pub struct Texts {
    pub html_lang: &'static str,
    pub title: &'static str,
    pub sandbox: &'static str,
    pub order: &'static str,
    pub card_number: &'static str,
    pub expiry: &'static str,
    pub expiry_placeholder: &'static str,
    pub cvc: &'static str,
    pub cardholder: &'static str,
    pub pay: &'static str,
    pub quick: &'static str,
    /// The one-click buttons' title on the 3-D Secure page.
    pub quick_code: &'static str,
    pub approve: &'static str,
    pub decline: &'static str,
    pub note: &'static str,
    pub card_column: &'static str,
    pub outcome_column: &'static str,
    pub approved: &'static str,
    pub challenge: &'static str,
    pub declined: &'static str,
    pub insufficient_funds: &'static str,
    pub mistyped_number: &'static str,
    pub bad_number: &'static str,
    pub bad_expiry: &'static str,
    pub expired: &'static str,
    pub bad_cvc: &'static str,
    pub bad_cardholder: &'static str,
    pub reason_declined: &'static str,
    pub reason_insufficient_funds: &'static str,
    pub reason_challenge_failed: &'static str,
    pub challenge_title: &'static str,
    pub challenge_hint: &'static str,
    pub code: &'static str,
    pub confirm: &'static str,
    pub code_hint: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
}

const RU: Texts = Texts {
    html_lang: Lang::Ru.html_lang(),
    title: "Оплата заказа",
    sandbox: "Тестовая среда",
    order: "Заказ",
    card_number: CardWords::RU.card_number,
    expiry: CardWords::RU.expiry,
    expiry_placeholder: CardWords::RU.expiry_placeholder,
    cvc: CardWords::RU.cvc,
    cardholder: CardWords::RU.cardholder,
    pay: CardWords::RU.pay,
    quick: "Без ввода карты",
    quick_code: "Без ввода кода",
    approve: "Одобрить платёж",
    decline: "Отклонить платёж",
    note: "Это песочница paysandbox: деньги не списываются. Тестовые карты (срок действия — любой будущий, CVC — любые 3 цифры):",
    card_column: "Карта",
    outcome_column: "Результат",
    approved: "оплата проходит",
    challenge: "3-D Secure: код подтверждения {code} — оплата, другой — отказ",
    declined: "отказ",
    insufficient_funds: CardWords::RU.insufficient_funds,
    mistyped_number: "Номер карты введён с ошибкой. Проверьте его.",
    bad_number: "Номер карты — от 12 до 19 цифр.",
    bad_expiry: "Укажите срок действия в формате ММ/ГГ.",
    expired: CardWords::RU.card_expired,
    bad_cvc: "CVC — 3 или 4 цифры на обороте карты.",
    bad_cardholder: "Имя владельца — не длиннее 100 символов.",
    reason_declined: "Платёж отклонён банком, выпустившим карту. Попробуйте другую карту.",
    reason_insufficient_funds: "Недостаточно средств на карте. Попробуйте другую карту.",
    reason_challenge_failed: "Проверка 3-D Secure не пройдена. Платёж отклонён.",
    challenge_title: "Подтверждение платежа",
    challenge_hint: "Банк отправил код подтверждения на ваш телефон. Карта",
    code: "Код подтверждения",
    confirm: CardWords::RU.confirm,
    code_hint: "Код для песочницы:",
    not_found_title: "Страница не найдена",
    not_found_text: "Проверьте ссылку на оплату.",
};

const EN: Texts = Texts {
    html_lang: Lang::En.html_lang(),
    title: "Order payment",
    sandbox: "Test environment",
    order: "Order",
    card_number: CardWords::EN.card_number,
    expiry: CardWords::EN.expiry,
    expiry_placeholder: CardWords::EN.expiry_placeholder,
    cvc: CardWords::EN.cvc,
    cardholder: CardWords::EN.cardholder,
    pay: CardWords::EN.pay,
    quick: "Without a card",
    quick_code: "Without the code",
    approve: "Approve payment",
    decline: "Decline payment",
    note: "This is the paysandbox sandbox: no money moves. Test cards (any future expiry date, any 3-digit CVC):",
    card_column: "Card",
    outcome_column: "Outcome",
    approved: "approved",
    challenge: "3-D Secure: code {code} approves, any other declines",
    declined: "declined",
    insufficient_funds: CardWords::EN.insufficient_funds,
    mistyped_number: "The card number is mistyped. Please check it.",
    bad_number: "A card number has 12 to 19 digits.",
    bad_expiry: "Enter the expiry date as MM/YY.",
    expired: CardWords::EN.card_expired,
    bad_cvc: "The CVC is the 3 or 4 digits on the back of the card.",
    bad_cardholder: "The cardholder name is at most 100 characters.",
    reason_declined: "The payment was declined by the card issuer. Please try another card.",
    reason_insufficient_funds: "Insufficient funds on the card. Please try another card.",
    reason_challenge_failed: "3-D Secure verification failed. The payment was declined.",
    challenge_title: "Payment confirmation",
    challenge_hint: "Your bank sent a confirmation code to your phone. Card",
    code: "Confirmation code",
    confirm: CardWords::EN.confirm,
    code_hint: "Sandbox code:",
    not_found_title: "Page not found",
    not_found_text: "Please check the payment link.",
};

/// The page language for a `lang` code: English for `en_EN`/`en_US`,
/// Russian for anything else.
pub fn texts_for(lang: Option<&str>) -> &'static Texts {
    match lang {
        Some("en_EN" | "en_US") => &EN,
        _ => &RU,
    }
}

/// Why a card did not pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decline {
    Declined,
    InsufficientFunds,
    ChallengeFailed,
}

impl Decline {
    fn text(self, t: &Texts) -> &'static str {
        match self {
            Self::Declined => t.reason_declined,
            Self::InsufficientFunds => t.reason_insufficient_funds,
            Self::ChallengeFailed => t.reason_challenge_failed,
        }
    }

    /// For the journal, in one language whatever the page's.
    fn journal_text(self) -> &'static str {
        match self {
            Self::Declined => "declined by the issuer",
            Self::InsufficientFunds => "insufficient funds",
            Self::ChallengeFailed => "3-D Secure failed",
        }
    }
}

/// One row of the test-card table.
pub struct CardRow {
    pub number: String,
    pub outcome: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "softline/checkout.html")]
struct CheckoutPage<'a> {
    t: &'static Texts,
    order_name: String,
    amount: String,
    currency: &'a str,
    description: &'a str,
    error: Option<&'a str>,
    card_action: String,
    approve_action: String,
    decline_action: String,
    cards: Vec<CardRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "softline/challenge.html")]
struct ChallengePage<'a> {
    t: &'static Texts,
    order_name: String,
    amount: String,
    currency: &'a str,
    last_4: &'a str,
    action: String,
    challenge_code: &'a str,
}

/// What a `deleted` payment's form shows: nothing.
#[derive(Template, WebTemplate)]
#[template(path = "softline/empty.html")]
struct EmptyPage;

#[derive(Template, WebTemplate)]
#[template(path = "softline/not_found.html")]
struct NotFoundPage {
    t: &'static Texts,
}

/// The 404 page of a wrong order id or hash (Russian, as the form's
/// default).
pub struct PageNotFound;

impl IntoResponse for PageNotFound {
    fn into_response(self) -> Response {
        (StatusCode::NOT_FOUND, NotFoundPage { t: &RU }).into_response()
    }
}

impl From<axum::extract::rejection::PathRejection> for PageNotFound {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        Self
    }
}

/// `Path` whose rejection is the HTML 404 page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(PageNotFound))]
pub struct PagePath<T>(pub T);

/// The path of every form page.
#[derive(Debug, Deserialize)]
pub struct FormPath {
    order_id: String,
    hash: String,
}

/// One request to a form page: the payment and the page language.
pub struct Visit {
    state: super::State,
    payment: Payment,
    /// The `lang` to carry on to the next page, when it is a known locale.
    lang: Option<String>,
    t: &'static Texts,
}

impl Visit {
    /// Finds the payment (404 for a wrong id or hash) and settles it.
    fn open(
        state: super::State,
        path: &FormPath,
        query: Option<&str>,
    ) -> Result<Self, PageNotFound> {
        let payment = path
            .order_id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.settled(id))
            .filter(|p| p.hash() == path.hash)
            .ok_or(PageNotFound)?;
        let lang = query
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "lang").map(|(_, v)| v))
            .filter(|l| state.fixture.locale_known(l));
        let t = texts_for(lang.as_deref().or(payment.locale()));
        Ok(Self {
            state,
            payment,
            lang,
            t,
        })
    }

    /// Where a payment that is no longer payable sends the buyer: a paid one
    /// to `return_success_url`, a deleted one to an empty page.
    fn closed(&self) -> Option<Response> {
        match self.payment.status {
            PaymentStatus::NotPaid => None,
            PaymentStatus::Paid => {
                Some(self.about(see_other(self.payment.return_success_url().location())))
            }
            PaymentStatus::Deleted => Some(self.about(EmptyPage)),
        }
    }

    /// A URL of this payment's pages, under the public URL, keeping `lang`.
    fn url(&self, page: &str) -> String {
        let mut url = self.state.form_url(&self.payment);
        url.push_str(page);
        if let Some(lang) = &self.lang {
            url.push_str("?lang=");
            url.push_str(lang);
        }
        url
    }

    /// Files the response on the payment's timeline.
    fn about(&self, response: impl IntoResponse) -> Response {
        JournalObjects::one(self.payment.order_id).file(response)
    }

    fn checkout(&self, error: Option<&str>) -> Response {
        let t = self.t;
        let code = &self.state.core.cards.challenge_code;
        let cards = self
            .state
            .core
            .cards
            .cards
            .iter()
            .map(|c| CardRow {
                number: c.number.clone(),
                outcome: match c.outcome {
                    CardOutcome::Approved => t.approved.to_owned(),
                    CardOutcome::Challenge => t.challenge.replace("{code}", code),
                    CardOutcome::Declined => t.declined.to_owned(),
                    CardOutcome::InsufficientFunds => t.insufficient_funds.to_owned(),
                },
            })
            .collect();
        self.about(CheckoutPage {
            t,
            order_name: self.payment.order_name(),
            amount: self.payment.amount.to_string(),
            currency: self.payment.currency.as_str(),
            description: self.payment.description(),
            error,
            card_action: self.url("/card"),
            approve_action: self.url("/approve"),
            decline_action: self.url("/decline"),
            cards,
        })
    }

    /// A forced outcome for this payment, if a scenario says so.
    fn forced_outcome(&self, headers: &HeaderMap) -> Option<CardOutcome> {
        let p = &self.payment;
        let field = |name: &str| match name.to_ascii_lowercase().as_str() {
            "payment_id" | "external_id" => Some(p.external_id().to_owned()),
            "order_id" => Some(p.order_id.to_string()),
            "currency" => Some(p.currency.as_str().to_owned()),
            "amount" => Some(p.amount.to_string()),
            "customer.email" | "email" => Some(p.email().to_owned()),
            _ => None,
        };
        self.state
            .core
            .scenarios
            .forced(scenarios::PAYMENT, header_of(headers), &field)
            .and_then(scenarios::card_outcome)
    }

    /// Pays, declines or challenges with `card` as `outcome` says.
    fn attempt(&self, card: Card, outcome: CardOutcome) -> Response {
        match outcome {
            CardOutcome::Approved => self.approve(card),
            CardOutcome::Challenge => {
                match self
                    .state
                    .update(self.payment.order_id, |p| p.start_challenge(card))
                {
                    Some(Ok(())) => self.about(see_other(&self.url("/3ds"))),
                    _ => self.reopen(),
                }
            }
            CardOutcome::Declined => self.decline(Decline::Declined),
            CardOutcome::InsufficientFunds => self.decline(Decline::InsufficientFunds),
        }
    }

    fn approve(&self, card: Card) -> Response {
        let now = self.state.core.clock.now();
        // The webhook is queued under the payment's lock, so it cannot
        // overtake (or be overtaken by) the webhook of a concurrent change.
        let paid = self.state.update(self.payment.order_id, |p| {
            p.pay(card, now).map(|t| {
                webhooks::enqueue(&self.state, Event::PaymentSucceeded, p, now);
                (t, p.clone())
            })
        });
        match paid {
            Some(Ok((transition, payment))) => {
                self.state.journal_transition(payment.order_id, &transition);
                self.about(see_other(payment.return_success_url().location()))
            }
            _ => self.reopen(),
        }
    }

    fn decline(&self, reason: Decline) -> Response {
        let now = self.state.core.clock.now();
        let declined = self.state.update(self.payment.order_id, |p| {
            p.decline().map(|()| {
                webhooks::enqueue(&self.state, Event::PaymentFailed, p, now);
                p.clone()
            })
        });
        match declined {
            Some(Ok(payment)) => {
                self.state.core.record(
                    Entry::new(NAME, EntryKind::Event)
                        .object(payment.order_id.to_string())
                        .summary(format!(
                            "payment attempt failed ({}); stays not paid",
                            reason.journal_text()
                        )),
                );
                self.checkout(Some(reason.text(self.t)))
            }
            _ => self.reopen(),
        }
    }

    /// The page for a payment that changed under our feet (paid or deleted
    /// by a concurrent request): what opening the form now would show.
    fn reopen(&self) -> Response {
        match self.state.settled(self.payment.order_id) {
            Some(payment) => {
                let visit = Visit {
                    state: self.state.clone(),
                    payment,
                    lang: self.lang.clone(),
                    t: self.t,
                };
                visit.closed().unwrap_or_else(|| visit.checkout(None))
            }
            None => PageNotFound.into_response(),
        }
    }
}

/// A visit to the pages of a payment that can still be paid. Rejected with
/// the 404 page (unknown order, wrong hash), or with what a paid (303 to
/// `return_success_url`) or deleted (an empty page) payment shows instead.
impl<S> FromRequestParts<S> for Visit
where
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &S) -> Result<Self, Response> {
        let PagePath(path) = PagePath::<FormPath>::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let State(state) = State::<super::State>::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let visit =
            Visit::open(state, &path, parts.uri.query()).map_err(IntoResponse::into_response)?;
        match visit.closed() {
            Some(closed) => Err(closed),
            None => Ok(visit),
        }
    }
}

/// 303 See Other to `location`; one that cannot be a header (it cannot
/// happen: every location is built here) answers a 404 page, not a panic.
fn see_other(location: &str) -> Response {
    redirect::see_other(location).unwrap_or_else(|_| PageNotFound.into_response())
}

/// The fields of a form post (an unreadable body has none).
pub(crate) fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn form_field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The card form's fields, checked the way the page itself would: no
/// payment is attempted with a mistyped card.
pub(crate) fn card_from_form(
    fields: &[(String, String)],
    t: &Texts,
    now: time::OffsetDateTime,
) -> Result<(Card, String), &'static str> {
    let digits = cards::card_digits(form_field(fields, "card_number")).map_err(|e| match e {
        CardNumberError::Luhn => t.mistyped_number,
        CardNumberError::Length => t.bad_number,
    })?;
    let expiry = CardExpiry::parse(form_field(fields, "expiry")).ok_or(t.bad_expiry)?;
    if expiry.is_expired(now) {
        return Err(t.expired);
    }
    let cvc = form_field(fields, "cvc").trim();
    if !matches!(cvc.len(), 3 | 4) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(t.bad_cvc);
    }
    if form_field(fields, "cardholder").chars().count() > 100 {
        return Err(t.bad_cardholder);
    }
    let card = Card {
        card_type: CardType::from_number(&digits),
        last_4: cards::last_four(&digits).to_owned(),
        expiry,
    };
    Ok((card, digits))
}

/// The payment form ([docs](https://docs.softline.ru/ru-ru/payment/payment-api-create-payment): `payment_url`).
#[utoipa::path(
    get, operation_id = "softline_show_payment_form",
    path = "/order/status/{order_id}/{hash}",
    tag = "softline",
    params(
        ("order_id" = u64, Path, description = "The payment's `order_id`"),
        ("hash" = String, Path, description = "From `payment_url`"),
        ("lang" = Option<String>, Query, description = "`ru_RU` Russian, `en_EN`/`en_US` English, else Russian"),
    ),
    responses(
        (status = 200, description = "The card form (`not paid`), or an empty page (`deleted`)", content_type = "text/html"),
        (status = 303, description = "A `paid` payment: to `return_success_url`"),
        (status = 404, description = "Unknown order or wrong hash", content_type = "text/html"),
    )
)]
pub async fn show_form(visit: Visit) -> Response {
    visit.checkout(None)
}

/// Pay with a typed card on the form ([docs](https://docs.softline.ru/ru-ru/payment/payment-api-create-payment): `payment_url`).
#[utoipa::path(
    post,
    path = "/order/status/{order_id}/{hash}/card",
    tag = "softline",
    params(("order_id" = u64, Path), ("hash" = String, Path)),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`card_number`, `expiry` (MM/YY), `cvc`, `cardholder`"),
    responses(
        (status = 303, description = "Approved: to `return_success_url`; 3-D Secure card: to the challenge page"),
        (status = 200, description = "Declined or mistyped: the form again with the reason", content_type = "text/html"),
        (status = 404, description = "Unknown order or wrong hash", content_type = "text/html"),
    )
)]
pub async fn pay_with_card(
    visit: Visit,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    let now = visit.state.core.clock.now();
    let (card, digits) = match card_from_form(&form_fields(&body), visit.t, now) {
        Ok(card) => card,
        Err(message) => return visit.checkout(Some(message)),
    };
    let natural = visit
        .state
        .core
        .cards
        .outcome(&digits)
        .unwrap_or(CardOutcome::Approved);
    let outcome = visit.forced_outcome(&headers).unwrap_or(natural);
    visit.attempt(card, outcome)
}

/// One-click approval with the first approved test card ([docs](https://docs.softline.ru/ru-ru/payment/payment-api-create-payment): `payment_url`).
#[utoipa::path(
    post, operation_id = "softline_approve_on_form",
    path = "/order/status/{order_id}/{hash}/approve",
    tag = "softline",
    params(("order_id" = u64, Path), ("hash" = String, Path)),
    responses(
        (status = 303, description = "To `return_success_url` (or the challenge page when a scenario forces one)"),
        (status = 404, description = "Unknown order or wrong hash", content_type = "text/html"),
    )
)]
pub async fn approve(visit: Visit, headers: HeaderMap) -> Response {
    let digits = visit
        .state
        .core
        .cards
        .number_for(CardOutcome::Approved)
        .unwrap_or_else(|| "4111111111111111".to_owned());
    let now = visit.state.core.clock.now();
    let card = Card {
        card_type: CardType::from_number(&digits),
        last_4: cards::last_four(&digits).to_owned(),
        expiry: CardExpiry {
            month: 12,
            year: now.year() + 3,
        },
    };
    let outcome = visit
        .forced_outcome(&headers)
        .unwrap_or(CardOutcome::Approved);
    visit.attempt(card, outcome)
}

/// One-click decline ([docs](https://docs.softline.ru/ru-ru/payment/payment-api-create-payment): `payment_url`).
#[utoipa::path(
    post, operation_id = "softline_decline_on_form",
    path = "/order/status/{order_id}/{hash}/decline",
    tag = "softline",
    params(("order_id" = u64, Path), ("hash" = String, Path)),
    responses(
        (status = 200, description = "The form again with the reason; `order.payment.failed`", content_type = "text/html"),
        (status = 404, description = "Unknown order or wrong hash", content_type = "text/html"),
    )
)]
pub async fn decline(visit: Visit) -> Response {
    visit.decline(Decline::Declined)
}

/// The 3-D Secure challenge page ([docs](https://docs.softline.ru/ru-ru/payment/payment-api-create-payment): `payment_url`).
#[utoipa::path(
    get, operation_id = "softline_show_3ds_challenge",
    path = "/order/status/{order_id}/{hash}/3ds",
    tag = "softline",
    params(("order_id" = u64, Path), ("hash" = String, Path)),
    responses(
        (status = 200, description = "The code form", content_type = "text/html"),
        (status = 303, description = "No challenge pending: back to the form; paid: to `return_success_url`"),
        (status = 404, description = "Unknown order or wrong hash", content_type = "text/html"),
    )
)]
pub async fn show_challenge(visit: Visit) -> Response {
    let Some(card) = &visit.payment.challenge else {
        return visit.about(see_other(&visit.url("")));
    };
    visit.about(ChallengePage {
        t: visit.t,
        order_name: visit.payment.order_name(),
        amount: visit.payment.amount.to_string(),
        currency: visit.payment.currency.as_str(),
        last_4: &card.last_4,
        action: visit.url("/3ds"),
        challenge_code: &visit.state.core.cards.challenge_code,
    })
}

/// Submit the 3-D Secure code ([docs](https://docs.softline.ru/ru-ru/payment/payment-api-create-payment): `payment_url`).
#[utoipa::path(
    post, operation_id = "softline_submit_3ds_code",
    path = "/order/status/{order_id}/{hash}/3ds",
    tag = "softline",
    params(("order_id" = u64, Path), ("hash" = String, Path)),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`code`"),
    responses(
        (status = 303, description = "The right code: to `return_success_url`; no challenge pending: back to the form"),
        (status = 200, description = "A wrong code: the card form with the reason; `order.payment.failed`", content_type = "text/html"),
        (status = 404, description = "Unknown order or wrong hash", content_type = "text/html"),
    )
)]
pub async fn submit_challenge(visit: Visit, RequestBody(body): RequestBody) -> Response {
    let Some(card) = visit.payment.challenge.clone() else {
        return visit.about(see_other(&visit.url("")));
    };
    let fields = form_fields(&body);
    if form_field(&fields, "code").trim() == visit.state.core.cards.challenge_code {
        visit.approve(card)
    } else {
        visit.decline(Decline::ChallengeFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_speaks_english_only_for_english_locales() {
        assert_eq!(texts_for(Some("en_EN")).html_lang, "en");
        assert_eq!(texts_for(Some("en_US")).html_lang, "en");
        for other in [Some("ru_RU"), Some("de_DE"), Some("es_MX"), None] {
            assert_eq!(texts_for(other).html_lang, "ru", "{other:?}");
        }
    }

    #[test]
    fn a_card_form_is_read_into_a_card_without_its_number() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let form = fields(&[
            ("card_number", "5555 5555 5555 4444"),
            ("expiry", "12/27"),
            ("cvc", "123"),
            ("cardholder", "IVAN PETROV"),
        ]);

        let (card, digits) = card_from_form(&form, &EN, now).unwrap();

        assert_eq!(digits, "5555555555554444");
        assert_eq!(card.card_type, CardType::Mastercard);
        assert_eq!(card.last_4, "4444");
        assert_eq!(card.expiry.to_string(), "12/27");
    }

    #[test]
    fn a_mistyped_card_form_is_refused_with_the_reason() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let form = |number: &str, expiry: &str, cvc: &str| {
            fields(&[("card_number", number), ("expiry", expiry), ("cvc", cvc)])
        };
        let cases = [
            (
                form("4111 1111 1111 1112", "12/27", "123"),
                EN.mistyped_number,
            ),
            (form("4111", "12/27", "123"), EN.bad_number),
            (form("4111 1111 1111 1111", "13/27", "123"), EN.bad_expiry),
            (form("4111 1111 1111 1111", "12/25", "123"), EN.expired),
            (form("4111 1111 1111 1111", "12/27", "12"), EN.bad_cvc),
        ];
        for (form, message) in cases {
            assert_eq!(
                card_from_form(&form, &EN, now).unwrap_err(),
                message,
                "{form:?}"
            );
        }
    }
}
