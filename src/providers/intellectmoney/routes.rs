//! The merchant methods under `/intellectmoney/merchant/`.
//!
//! Every method runs the same checks in the same order, each stopping at
//! the first fault: the body is read (JSON, form or XML) → `EshopId` names a
//! shop → `InvoiceId` names one of its invoices (payment methods) → the
//! currency is known (the invoice's, or CreateInvoice's `RecipientCurrency`)
//! → unless it is `TST`, `Authorization: Bearer` and `Sign` → the body's
//! `Hash` → the method's own fields → the invoice's state.

use crate::core::current::State;
use axum::Extension;
use axum::body::Body;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, Method as HttpMethod};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;

use super::State as Im;
use super::error::{IntellectMoneyError, Reply, Result};
use super::fixture::Shop;
use super::model::{
    Decline, Invoice, InvoiceError, InvoiceStatus, Origin, Payment, PaymentMethod, PaymentStep,
    Plan,
};
use super::request::{self, BodyError, Format, Params};
use super::scenarios;
use super::signature::{self, Expected, Key, Method};
use super::types::NewInvoice;
use super::validate::{self, CardPayment, INVOICE_ID_FORMAT, InvoiceRules, PagePayment};
use super::wire::{
    CreatedInvoice, Envelope, InvoiceEnvelope, OperationState, PaymentState, PaymentStateEnvelope,
    ResultBody, SbpForm, State as ResultState, StateEnvelope, StateOnly,
};
use crate::core::cards::CardOutcome;
use crate::core::journal::JournalObjects;
use crate::core::mask::mask_card_number;
use crate::core::scenarios::header_of;
use crate::openapi::routes;

pub fn routes() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_invoice, create_invoice_by_get))
        .routes(routes!(bnpl_payment))
        .routes(routes!(sbp_payment))
        .routes(routes!(bank_card_payment))
        .routes(routes!(get_bank_card_payment_state))
        .routes(routes!(unknown_method))
}

/// `Result.State.Desc`'s reason when no `Authorization` header came.
const NO_AUTHORIZATION: &str = "не передан заголовок Authorization";

/// What a method call knows as it goes, for the answer's envelope and the
/// journal even when it is refused half-way.
#[derive(Debug, Default)]
struct Call {
    eshop_id: Option<u32>,
    invoice_id: Option<u64>,
    operation_id: Option<String>,
    /// Set when a `Hash` or `Sign` is refused: what it should have been.
    expected: Option<Expected>,
}

/// Reads the body (bounded again here, so a handler never trusts the
/// middleware alone) and answers the method.
async fn serve(
    state: &Im,
    headers: &HeaderMap,
    body: Body,
    method: impl FnOnce(&Im, &HeaderMap, &Params, &mut Call) -> Result<ResultBody>,
) -> Response {
    let format = Format::from_accept(request::header(headers, "accept").as_deref());
    let params = match axum::body::to_bytes(body, state.core.max_body_bytes).await {
        Ok(bytes) => request::parse(&bytes).map_err(IntellectMoneyError::from),
        Err(_) => Err(IntellectMoneyError::Transport(
            "Тело запроса не может быть прочитано".to_owned(),
        )),
    };
    answer(state, headers, format, params, method)
}

fn answer(
    state: &Im,
    headers: &HeaderMap,
    format: Format,
    params: Result<Params>,
    method: impl FnOnce(&Im, &HeaderMap, &Params, &mut Call) -> Result<ResultBody>,
) -> Response {
    let mut call = Call::default();
    let result = params.and_then(|params| method(state, headers, &params, &mut call));
    let envelope = match result {
        Ok(body) => Envelope {
            operation_state: OperationState::ok(),
            operation_id: call.operation_id,
            eshop_id: call.eshop_id,
            result: Some(body),
        },
        Err(error) => error.envelope(call.eshop_id),
    };
    let objects = call.invoice_id.map(JournalObjects::one).unwrap_or_default();
    let response = (Extension(objects), Reply { format, envelope }).into_response();
    match &call.expected {
        Some(expected) => expected.attach(response),
        None => response,
    }
}

/// [CreateInvoice](https://developer.intellectmoney.ru/merchant/api/createInvoice):
/// creates an invoice (СКО) and answers its `InvoiceId`.
#[utoipa::path(post, path = "/merchant/createInvoice", tag = "intellectmoney",
    request_body(content = String, description = "JSON, form-urlencoded or XML; parameter names in any letter case", content_type = "application/json"),
    responses((status = 200, description = "The envelope; `Result.InvoiceId` on success, `Result.State.ErrorSourceParam` on a refusal", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `Hash` or `Sign` only: the text the sandbox expected to be hashed, the key as `<SecretKey>` or `<SignSecretKey>`")), content(
        (InvoiceEnvelope = "application/json", examples(
            ("2 EshopId missing" = (value = json!(IntellectMoneyError::Missing("EshopId").example(None)))),
            ("5 no Authorization" = (value = json!(IntellectMoneyError::Unauthorized(NO_AUTHORIZATION).example(Some(450000))))),
            ("4 wrong Hash" = (value = json!(IntellectMoneyError::BadSignature("Hash").example(Some(450000))))),
            ("6 unknown shop" = (value = json!(IntellectMoneyError::UnknownShop("1".into()).example(None)))),
            ("8 OrderId already used" = (value = json!(IntellectMoneyError::DuplicateOrderId("ORDER-1".into()).example(Some(450000))))),
            ("1 unreadable body" = (value = json!(IntellectMoneyError::Unreadable(BodyError::XmlDoctype).example(None)))),
        )),
        (InvoiceEnvelope = "application/xml", example = json!(IntellectMoneyError::Unauthorized(NO_AUTHORIZATION).example_xml(Some(450000)))),
    ))))]
async fn create_invoice(State(state): State<Im>, headers: HeaderMap, body: Body) -> Response {
    serve(&state, &headers, body, create_invoice_call).await
}

/// [CreateInvoice](https://wiki.intellectmoney.ru/pages/viewpage.action?pageId=4849734)
/// by GET with the parameters in the query string, as the legacy protocol
/// allows.
#[utoipa::path(get, path = "/merchant/createInvoice", tag = "intellectmoney",
    responses((status = 200, description = "The envelope, as for POST", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `Hash` or `Sign` only: the text the sandbox expected to be hashed, the key as `<SecretKey>` or `<SignSecretKey>`")), content(
        (InvoiceEnvelope = "application/json", example = json!(IntellectMoneyError::Missing("EshopId").example(None))),
        (InvoiceEnvelope = "application/xml", example = json!(IntellectMoneyError::Missing("EshopId").example_xml(None))),
    ))))]
async fn create_invoice_by_get(
    State(state): State<Im>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let format = Format::from_accept(request::header(&headers, "accept").as_deref());
    let params = request::parse_form(query.as_deref().unwrap_or_default())
        .map_err(IntellectMoneyError::from);
    answer(&state, &headers, format, params, create_invoice_call)
}

fn create_invoice_call(
    state: &Im,
    headers: &HeaderMap,
    params: &Params,
    call: &mut Call,
) -> Result<ResultBody> {
    let shop = find_shop(state, params, call)?;
    let currency = validate::currency(params, &state.fixture.currencies)?;
    let forced =
        state
            .core
            .scenarios
            .forced(scenarios::CREATE_INVOICE, header_of(headers), &|name| {
                params.get(name).map(str::to_owned)
            });
    authenticate(
        shop,
        headers,
        params,
        Method::CreateInvoice,
        &currency,
        forced,
        &mut call.expected,
    )?;
    let id = open_invoice(
        state,
        shop,
        params,
        forced == Some(scenarios::CREATE_INVOICE_DUPLICATE),
    )?;
    call.invoice_id = Some(id);
    Ok(ResultBody::Invoice(CreatedInvoice {
        invoice_id: id,
        state: ResultState::ok(),
    }))
}

/// Validates the invoice's terms, claims its OrderId and stores it.
fn open_invoice(state: &Im, shop: &Shop, params: &Params, forced_duplicate: bool) -> Result<u64> {
    let now = state.now();
    let new = NewInvoice::parse(
        params,
        &InvoiceRules {
            currencies: &state.fixture.currencies,
            now,
            offset: state.offset,
            lifetime: time::Duration::days(state.fixture.invoice_lifetime_days),
            default_hold: time::Duration::hours(i64::from(state.fixture.default_hold_hours)),
        },
    )?;
    // A forced duplicate claims nothing, so the next request with that
    // OrderId is accepted, as after a natural one that was refused.
    let id = state.next_invoice_id();
    if forced_duplicate
        || (shop.unique_order_id && !state.claim_order_id(shop.eshop_id, &new.order_id, id))
    {
        return Err(IntellectMoneyError::DuplicateOrderId(new.order_id));
    }
    state.add_invoice(Invoice {
        id,
        eshop_id: shop.eshop_id,
        terms: new,
        status: InvoiceStatus::Created,
        created_at: now,
        changed_at: now,
        hold_until: None,
        refund_amount: None,
        payment: None,
    });
    Ok(id)
}

/// The legacy HTML form (`merchant.intellectmoney.ru/ru/`), which shop
/// plugins have the buyer's browser post: the invoice's fields, no token and
/// no `Sign`, and a `hash` over five of them (PurchaseHash). Gives the
/// invoice to pay; an OrderId the shop already has gives that invoice, so a
/// buyer who posts the form twice pays one invoice. A refused `hash` leaves
/// what it should have been in `expected`.
pub(super) fn purchase(
    state: &Im,
    params: &Params,
    expected: &mut Option<Expected>,
) -> Result<u64> {
    let shop = find_shop(state, params, &mut Call::default())?;
    validate::currency(params, &state.fixture.currencies)?;
    check_hash(shop, params, Method::Purchase, false, expected)?;
    match open_invoice(state, shop, params, false) {
        Err(IntellectMoneyError::DuplicateOrderId(order_id)) => state
            .invoice_of_order(shop.eshop_id, &order_id)
            .ok_or(IntellectMoneyError::DuplicateOrderId(order_id)),
        opened => opened,
    }
}

/// [BnplPayment](https://developer.intellectmoney.ru/merchant/api/bnplpayment):
/// starts paying an invoice in instalments through PayLate.
#[utoipa::path(post, path = "/merchant/bnplPayment", tag = "intellectmoney",
    request_body(content = String, description = "EshopId, InvoiceId, SuccessUrl, FailUrl, AdditionalParams, IpAddress, Hash", content_type = "application/json"),
    responses((status = 200, description = "The envelope with `OperationId`; poll GetBankCardPaymentState for the PayLate link", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `Hash` or `Sign` only: the text the sandbox expected to be hashed, the key as `<SecretKey>` or `<SignSecretKey>`")), content(
        (StateEnvelope = "application/json", examples(
            ("7 unknown invoice" = (value = json!(IntellectMoneyError::UnknownInvoice("3999999999".into()).example(Some(450000))))),
            ("9 already paid" = (value = json!(refusal(InvoiceError::AlreadyPaid).example(Some(450000))))),
            ("10 expired" = (value = json!(IntellectMoneyError::Expired.example(Some(450000))))),
            ("5 no Authorization" = (value = json!(IntellectMoneyError::Unauthorized(NO_AUTHORIZATION).example(Some(450000))))),
        )),
        (StateEnvelope = "application/xml", example = json!(IntellectMoneyError::UnknownInvoice("3999999999".into()).example_xml(Some(450000)))),
    ))))]
async fn bnpl_payment(State(state): State<Im>, headers: HeaderMap, body: Body) -> Response {
    serve(&state, &headers, body, |s, h, p, c| {
        page_payment_call(s, h, p, c, PaymentMethod::Bnpl)
    })
    .await
}

/// SbpPayment (no public documentation page; known from third-party clients):
/// starts paying an invoice through the Faster Payments System.
#[utoipa::path(post, path = "/merchant/sbpPayment", tag = "intellectmoney",
    request_body(content = String, description = "EshopId, InvoiceId, SuccessUrl, FailUrl, AdditionalParams, IpAddress, Hash", content_type = "application/json"),
    responses((status = 200, description = "The envelope; poll GetBankCardPaymentState for the QR code", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `Hash` or `Sign` only: the text the sandbox expected to be hashed, the key as `<SecretKey>` or `<SignSecretKey>`")), content(
        (StateEnvelope = "application/json", examples(
            ("7 unknown invoice" = (value = json!(IntellectMoneyError::UnknownInvoice("3999999999".into()).example(Some(450000))))),
            ("9 already paid" = (value = json!(refusal(InvoiceError::AlreadyPaid).example(Some(450000))))),
            ("10 expired" = (value = json!(IntellectMoneyError::Expired.example(Some(450000))))),
            ("5 no Authorization" = (value = json!(IntellectMoneyError::Unauthorized(NO_AUTHORIZATION).example(Some(450000))))),
        )),
        (StateEnvelope = "application/xml", example = json!(IntellectMoneyError::UnknownInvoice("3999999999".into()).example_xml(Some(450000)))),
    ))))]
async fn sbp_payment(State(state): State<Im>, headers: HeaderMap, body: Body) -> Response {
    serve(&state, &headers, body, |s, h, p, c| {
        page_payment_call(s, h, p, c, PaymentMethod::Sbp)
    })
    .await
}

fn page_payment_call(
    state: &Im,
    headers: &HeaderMap,
    params: &Params,
    call: &mut Call,
    method: PaymentMethod,
) -> Result<ResultBody> {
    let (shop, invoice) = find_invoice(state, params, call)?;
    let (operation, declined_id, decline, signed) = match method {
        PaymentMethod::Bnpl => (
            scenarios::BNPL,
            scenarios::BNPL_DECLINED,
            Decline::Bnpl,
            Method::BnplPayment,
        ),
        _ => (
            scenarios::SBP,
            scenarios::SBP_DECLINED,
            Decline::Sbp,
            Method::SbpPayment,
        ),
    };
    let forced = state
        .core
        .scenarios
        .forced(operation, header_of(headers), &|name| {
            lookup(params, &invoice, name)
        });
    authenticate(
        shop,
        headers,
        params,
        signed,
        &invoice.terms.currency,
        None,
        &mut call.expected,
    )?;
    let request = PagePayment::parse(params)?;
    // PayLate or the buyer's bank refusing is the page's decline, decided
    // before the buyer gets there.
    let plan = if forced == Some(declined_id) {
        Plan::Decline(decline)
    } else {
        Plan::AskBuyer
    };
    let now = state.now();
    let mut payment = Payment::new(
        method.clone(),
        Origin::Api {
            success_url: Some(request.success_url),
            fail_url: request.fail_url,
            return_url: None,
        },
        plan,
        now,
        rrn(state),
    );
    payment.ip_address = Some(request.ip_address);
    if method == PaymentMethod::Bnpl {
        let operation_id = state.core.ids.uuid();
        payment.operation_id = Some(operation_id);
        call.operation_id = Some(operation_id.to_string());
    }
    start(state, invoice.id, payment)?;
    Ok(state_only())
}

/// [BankCardPayment](https://developer.intellectmoney.ru/merchant/api/bankcardpayment):
/// pays an invoice with card data (PCI DSS level).
#[utoipa::path(post, path = "/merchant/bankCardPayment", tag = "intellectmoney",
    request_body(content = String, description = "EshopId, InvoiceId, Pan, CardHolder, ExpiredMonth, ExpiredYear, Cvv, ReturnUrl, IpAddress, Hash", content_type = "application/json"),
    responses((status = 200, description = "The envelope; poll GetBankCardPaymentState for the outcome or the 3-D Secure form", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `Hash` or `Sign` only: the text the sandbox expected to be hashed, the key as `<SecretKey>` or `<SignSecretKey>`")), content(
        (StateEnvelope = "application/json", examples(
            ("7 unknown invoice" = (value = json!(IntellectMoneyError::UnknownInvoice("3999999999".into()).example(Some(450000))))),
            ("9 already paid" = (value = json!(refusal(InvoiceError::AlreadyPaid).example(Some(450000))))),
            ("10 expired" = (value = json!(IntellectMoneyError::Expired.example(Some(450000))))),
            ("5 no Authorization" = (value = json!(IntellectMoneyError::Unauthorized(NO_AUTHORIZATION).example(Some(450000))))),
        )),
        (StateEnvelope = "application/xml", example = json!(IntellectMoneyError::UnknownInvoice("3999999999".into()).example_xml(Some(450000)))),
    ))))]
async fn bank_card_payment(State(state): State<Im>, headers: HeaderMap, body: Body) -> Response {
    serve(&state, &headers, body, bank_card_payment_call).await
}

fn bank_card_payment_call(
    state: &Im,
    headers: &HeaderMap,
    params: &Params,
    call: &mut Call,
) -> Result<ResultBody> {
    let (shop, invoice) = find_invoice(state, params, call)?;
    let forced = state
        .core
        .scenarios
        .forced(scenarios::PAYMENT, header_of(headers), &|name| {
            lookup(params, &invoice, name)
        });
    authenticate(
        shop,
        headers,
        params,
        Method::BankCardPayment,
        &invoice.terms.currency,
        None,
        &mut call.expected,
    )?;
    let now = state.now();
    let card = CardPayment::parse(params, now)?;
    let outcome = match forced.and_then(scenarios::card_outcome) {
        Some(outcome) => outcome,
        None => state
            .core
            .cards
            .outcome(&card.pan)
            .unwrap_or(CardOutcome::Declined),
    };
    let mut payment = Payment::new(
        PaymentMethod::Card {
            short_pan: mask_card_number(&card.pan),
        },
        Origin::Api {
            success_url: None,
            fail_url: None,
            return_url: Some(card.return_url),
        },
        Plan::for_card(outcome),
        now,
        rrn(state),
    );
    payment.ip_address = Some(card.ip_address);
    start(state, invoice.id, payment)?;
    Ok(state_only())
}

/// [GetBankCardPaymentState](https://developer.intellectmoney.ru/merchant/api/getbankcardpaymentstate):
/// where the invoice's payment stands; each call is a poll that moves it on.
#[utoipa::path(post, path = "/merchant/getBankCardPaymentState", tag = "intellectmoney",
    request_body(content = String, description = "EshopId, InvoiceId, Hash", content_type = "application/json"),
    responses((status = 200, description = "`PaymentStep` Created, InProcess, SendTo3DS (with `Form3DS`), Ok or Error (with `Message`, `RcCodeId`, `Rrn`)", headers(("X-Sandbox-Signature-Base" = String, description = "On a refused `Hash` or `Sign` only: the text the sandbox expected to be hashed, the key as `<SecretKey>` or `<SignSecretKey>`")), content(
        (PaymentStateEnvelope = "application/json", examples(
            ("7 unknown invoice" = (value = json!(IntellectMoneyError::UnknownInvoice("3999999999".into()).example(Some(450000))))),
            ("3 InvoiceId not ten digits" = (value = json!(IntellectMoneyError::invalid("InvoiceId", INVOICE_ID_FORMAT).example(Some(450000))))),
            ("4 wrong Hash" = (value = json!(IntellectMoneyError::BadSignature("Hash").example(Some(450000))))),
        )),
        (PaymentStateEnvelope = "application/xml", example = json!(IntellectMoneyError::UnknownInvoice("3999999999".into()).example_xml(Some(450000)))),
    ))))]
async fn get_bank_card_payment_state(
    State(state): State<Im>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    serve(&state, &headers, body, payment_state_call).await
}

fn payment_state_call(
    state: &Im,
    headers: &HeaderMap,
    params: &Params,
    call: &mut Call,
) -> Result<ResultBody> {
    let (shop, invoice) = find_invoice(state, params, call)?;
    authenticate(
        shop,
        headers,
        params,
        Method::GetBankCardPaymentState,
        &invoice.terms.currency,
        None,
        &mut call.expected,
    )?;
    let now = state.now();
    let pacing = state.fixture.pacing.clone();
    let polled = state.update(invoice.id, |invoice| {
        let Some(payment) = invoice.payment.as_mut() else {
            return (None, None);
        };
        let (step, finished) = payment.advance(&pacing, now, true);
        let snapshot = payment.clone();
        let transition = finished.and_then(|finish| invoice.end_payment(finish));
        (Some((step, finished, snapshot)), transition)
    });
    let Some(Some((step, finished, payment))) = polled else {
        return Ok(ResultBody::PaymentState(no_payment_state(&invoice)));
    };
    if let Some(finish) = finished {
        state.record_payment(
            invoice.id,
            format!(
                "payment {} → {}",
                PaymentStep::InProcess.name(),
                finish.step().name()
            ),
        );
    } else if step == PaymentStep::SendTo3DS {
        state.record_payment(invoice.id, "payment at SendTo3DS: waiting for the buyer");
    }
    Ok(ResultBody::PaymentState(payment_state(
        state, &invoice, &payment, step,
    )))
}

/// The answer for an invoice nobody has started paying.
fn no_payment_state(invoice: &Invoice) -> PaymentState {
    let (step, message) = match invoice.status {
        InvoiceStatus::Created => (PaymentStep::Created, None),
        status => (
            PaymentStep::Error,
            Some(format!("Счёт {}", status.describe())),
        ),
    };
    PaymentState {
        payment_step: step.name(),
        message,
        rc_code_id: None,
        form3ds: None,
        rrn: None,
        state: ResultState::ok(),
    }
}

fn payment_state(
    state: &Im,
    invoice: &Invoice,
    payment: &Payment,
    step: PaymentStep,
) -> PaymentState {
    let final_fields = payment.finish().map(|finish| {
        let (message, code) = finish.message_and_code();
        (message.to_owned(), code, payment.rrn.clone())
    });
    let (message, rc_code_id, rrn) = match final_fields {
        Some((m, c, r)) => (Some(m), Some(c), Some(r)),
        None => (None, None, None),
    };
    PaymentState {
        payment_step: step.name(),
        message,
        rc_code_id,
        form3ds: (step == PaymentStep::SendTo3DS).then(|| form3ds(state, invoice, payment)),
        rrn,
        state: ResultState::ok(),
    }
}

/// `Form3DS`: for a card and for BNPL an auto-submitting HTML form to the
/// 3-D Secure or PayLate page (the portal's example shape, plus a button
/// for browsers without JavaScript); for SBP the JSON text with the QR code.
pub fn form3ds(state: &Im, invoice: &Invoice, payment: &Payment) -> String {
    let base = state.core.public_url.join("/intellectmoney");
    let page = match payment.method {
        PaymentMethod::Card { .. } => "3ds",
        PaymentMethod::Bnpl => "paylate",
        PaymentMethod::Sbp => {
            let form = SbpForm {
                sbp_qr_code_url: state.sbp_url(invoice.id),
                sbp_qr_code_image: format!("{base}/sbp/{}/qr.svg", invoice.id),
            };
            return serde_json::to_string(&form).unwrap_or_default();
        }
    };
    let data = hex::encode(format!("{}:{}", invoice.id, payment.rrn));
    format!(
        "<body OnLoad=\"document.forms[0].submit();\"><FORM ACTION=\"{base}/{page}/{id}\" METHOD=\"post\"><input type=\"hidden\" name=\"data\" value=\"{data}\"><noscript><button type=\"submit\">Продолжить</button></noscript></FORM></body>",
        id = invoice.id
    )
}

/// [Any other path](https://developer.intellectmoney.ru/merchant/api):
/// answered in the envelope rather than a bare 404.
#[utoipa::path(post, path = "/merchant/{method}", tag = "intellectmoney",
    params(("method" = String, Path, description = "Not a method paysandbox knows")),
    responses((status = 200, description = "`OperationState.Code` 2, `Result` null", content(
        (StateEnvelope = "application/json", example = json!(IntellectMoneyError::UnknownMethod("somemethod".into()).example(None))),
        (StateEnvelope = "application/xml", example = json!(IntellectMoneyError::UnknownMethod("somemethod".into()).example_xml(None))),
    ))))]
async fn unknown_method(
    State(state): State<Im>,
    headers: HeaderMap,
    http_method: HttpMethod,
    axum::extract::Path(method): axum::extract::Path<String>,
) -> Response {
    let format = Format::from_accept(request::header(&headers, "accept").as_deref());
    let _ = http_method;
    answer(
        &state,
        &headers,
        format,
        Err(IntellectMoneyError::UnknownMethod(method)),
        |_, _, _, _| Ok(state_only()),
    )
}

fn state_only() -> ResultBody {
    ResultBody::StateOnly(StateOnly {
        state: ResultState::ok(),
    })
}

/// A twelve-digit retrieval reference number.
fn rrn(state: &Im) -> String {
    state
        .core
        .ids
        .number(100_000_000_000..1_000_000_000_000)
        .to_string()
}

fn find_shop<'a>(state: &'a Im, params: &Params, call: &mut Call) -> Result<&'a Shop> {
    let eshop_id = validate::eshop_id(params)?;
    let shop = state
        .shop(eshop_id)
        .ok_or_else(|| IntellectMoneyError::UnknownShop(eshop_id.to_string()))?;
    call.eshop_id = Some(eshop_id);
    Ok(shop)
}

/// The shop and one of its invoices (another shop's invoice is unknown).
fn find_invoice<'a>(
    state: &'a Im,
    params: &Params,
    call: &mut Call,
) -> Result<(&'a Shop, Invoice)> {
    let shop = find_shop(state, params, call)?;
    let id = validate::invoice_id(params)?;
    let invoice = state
        .invoice(&id)
        .filter(|i| i.eshop_id == shop.eshop_id)
        .ok_or_else(|| IntellectMoneyError::UnknownInvoice(id.to_string()))?;
    call.invoice_id = Some(id);
    Ok((shop, invoice))
}

/// A request field for a scenario's `match`, falling back to the invoice's
/// own fields (so `{"OrderId": …}` matches payment calls too).
fn lookup(params: &Params, invoice: &Invoice, name: &str) -> Option<String> {
    params.get(name).map(str::to_owned).or_else(|| {
        if name.eq_ignore_ascii_case("OrderId") {
            Some(invoice.terms.order_id.clone())
        } else if name.eq_ignore_ascii_case("InvoiceId") {
            Some(invoice.id.to_string())
        } else {
            None
        }
    })
}

/// Attaches a new payment to a payable invoice.
fn start(state: &Im, invoice_id: u64, payment: Payment) -> Result<()> {
    let now = state.now();
    let summary = format!("payment started: {}", payment.method.describe());
    state
        .update(invoice_id, |invoice| {
            let result = invoice
                .check_payable(now)
                .map(|()| invoice.payment = Some(payment));
            (result, None)
        })
        .ok_or_else(|| IntellectMoneyError::UnknownInvoice(invoice_id.to_string()))?
        .map_err(refusal)?;
    state.record_payment(invoice_id, summary);
    Ok(())
}

/// An invoice that cannot take a payment, as the API refuses it.
fn refusal(error: InvoiceError) -> IntellectMoneyError {
    match error {
        InvoiceError::Expired => IntellectMoneyError::Expired,
        InvoiceError::AlreadyPaid => IntellectMoneyError::NotAllowed("счёт уже оплачен"),
        InvoiceError::Held => {
            IntellectMoneyError::NotAllowed("сумма по счёту заблокирована, ожидается списание")
        }
        InvoiceError::Cancelled => IntellectMoneyError::NotAllowed("счёт аннулирован"),
        InvoiceError::Refunded => IntellectMoneyError::NotAllowed("по счёту выполнен возврат"),
        InvoiceError::PaymentUnderWay => {
            IntellectMoneyError::NotAllowed("оплата по счёту уже выполняется")
        }
        InvoiceError::NotHeld | InvoiceError::NotPaid | InvoiceError::RefundTooLarge => {
            IntellectMoneyError::NotAllowed("операция недоступна для счёта в текущем состоянии")
        }
    }
}

/// Authorization, Sign and Hash, in that order. `TST` needs neither
/// Authorization nor Sign (as on the real service); the body's `Hash` is
/// checked for every currency whenever the shop has a SecretKey. A forced
/// scenario makes its check fail exactly as a wrong value would. A refused
/// `Sign` or `Hash` leaves what it should have been in `expected`.
fn authenticate(
    shop: &Shop,
    headers: &HeaderMap,
    params: &Params,
    method: Method,
    currency: &str,
    forced: Option<&str>,
    expected: &mut Option<Expected>,
) -> Result<()> {
    let test = currency == "TST";
    let forced_auth = forced == Some(scenarios::CREATE_INVOICE_AUTH);
    let forced_sign = forced == Some(scenarios::CREATE_INVOICE_SIGN);
    let forced_hash = forced == Some(scenarios::CREATE_INVOICE_HASH);
    if !test || forced_auth {
        let header = request::header(headers, "authorization");
        let token = header.as_deref().map(|h| {
            h.trim()
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim())
        });
        match token {
            _ if forced_auth => return Err(IntellectMoneyError::Unauthorized("неверный токен")),
            None => {
                return Err(IntellectMoneyError::Unauthorized(NO_AUTHORIZATION));
            }
            Some(None) => {
                return Err(IntellectMoneyError::Unauthorized(
                    "ожидается Authorization: Bearer {token}",
                ));
            }
            Some(Some(token)) if !constant_time_eq(token, &shop.bearer_token) => {
                return Err(IntellectMoneyError::Unauthorized("неверный токен"));
            }
            Some(Some(_)) => {}
        }
    }
    if !test || forced_sign {
        let refusal = match request::header(headers, "sign") {
            _ if forced_sign => Some(IntellectMoneyError::BadSignature("Sign")),
            None => Some(IntellectMoneyError::Missing("Sign")),
            Some(sign)
                if !signature::sign_matches(method, params, &shop.sign_secret_key, &sign) =>
            {
                Some(IntellectMoneyError::BadSignature("Sign"))
            }
            Some(_) => None,
        };
        if let Some(refusal) = refusal {
            *expected = Some(Expected::new(method, params, Key::SignSecretKey));
            return Err(refusal);
        }
    }
    check_hash(shop, params, method, forced_hash, expected)
}

/// The body's `Hash` over `method`'s template, when the shop has a
/// SecretKey (or a scenario forces the refusal).
fn check_hash(
    shop: &Shop,
    params: &Params,
    method: Method,
    forced: bool,
    expected: &mut Option<Expected>,
) -> Result<()> {
    if shop.secret_key.is_empty() && !forced {
        return Ok(());
    }
    let refusal = match params.non_empty("Hash") {
        _ if forced => IntellectMoneyError::BadSignature("Hash"),
        None => IntellectMoneyError::Missing("Hash"),
        Some(hash) if !signature::hash_matches(method, params, &shop.secret_key, hash) => {
            IntellectMoneyError::BadSignature("Hash")
        }
        Some(_) => return Ok(()),
    };
    *expected = Some(Expected::new(method, params, Key::SecretKey));
    Err(refusal)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}
