//! The API handlers: extract → authenticate → validate → model → store,
//! journal, webhooks → answer.

use crate::core::body::RequestBody;
use crate::core::current::State;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Json};

use super::auth;
use super::error::{AuthFailure, ErrorBody, Problem, SoftlineError};
use super::model::{ChargeOutcome, Payment};
use super::scenarios::{self, fields_of_bytes};
use super::types::ParentFacts;
use super::validate;
use super::webhooks::{self, Event};
use super::wire::{
    CreatePaymentRequest, CreatePaymentResponse, OrderData, RecurringRequest, RecurringResponse,
    SearchRequest, SearchResponse, View,
};
use crate::core::journal::JournalObjects;
use crate::core::scenarios::header_of;

/// `Path` whose rejection (a segment that is not valid UTF-8) is Softline's
/// 404.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(SoftlineError))]
pub struct SoftlinePath<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for SoftlineError {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        Self::UnknownPath
    }
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// The start every payment call shares: the token check, then whether a
/// scenario forces an outcome of `operation`.
fn admit(
    state: &super::State,
    headers: &HeaderMap,
    body: &[u8],
    operation: &str,
) -> Result<Option<&'static str>, SoftlineError> {
    let fields = fields_of_bytes(body);
    auth::authenticate(state, headers, &fields)?;
    Ok(state
        .core
        .scenarios
        .forced(operation, header_of(headers), &fields))
}

/// Create a payment ([docs](https://docs.softline.ru/ru-ru/payment/payment-api-create-payment)).
#[utoipa::path(
    post,
    path = "/v1/payment",
    tag = "softline",
    request_body = CreatePaymentRequest,
    responses(
        (status = 200, description = "Created `not paid`", body = CreatePaymentResponse),
        (status = 400, description = "110, 111, 6000 (first found only); 6010, 6020, 6030, 6060, 6080, 6090, 6100 (all found)", body = ErrorBody, examples(
            ("6030 zero amount" = (value = json!(SoftlineError::from(Problem::ZeroAmount).example()))),
            ("6090 amount outside the method's range" = (value = json!(SoftlineError::from(Problem::AmountNotAvailable).example()))),
            ("6010 and 6060 together" = (value = json!(SoftlineError::BadRequest(vec![Problem::field("currency"), Problem::Email]).example()))),
            ("110 not JSON" = (value = json!(SoftlineError::from(Problem::InvalidJson).example()))),
        )),
        (status = 401, description = "1007, 1008, 1009", body = ErrorBody, examples(
            ("1008 missing token" = (value = json!(SoftlineError::Unauthorized(AuthFailure::Missing).example()))),
            ("1009 expired token" = (value = json!(SoftlineError::Unauthorized(AuthFailure::Expired).example()))),
        )),
    )
)]
pub async fn create_payment(
    State(state): State<super::State>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Result<Response, SoftlineError> {
    let forced = admit(&state, &headers, &body, scenarios::CREATE_PAYMENT)?
        .and_then(scenarios::create_payment_problem);
    let members = validate::payment_body(content_type(&headers), &body, forced.as_ref())?;
    let new = validate::new_payment(&members, &state.fixture, forced.as_ref())
        .map_err(SoftlineError::BadRequest)?;

    let now = state.core.clock.now();
    let hash = state.core.ids.hex(7);
    let payment = Payment::new(state.order_ids.next(), &hash, new, now);
    let payment_url = state.form_url_in(&payment, payment.locale());
    let order_id = payment.order_id;
    webhooks::enqueue(&state, Event::OrderCreated, &payment, now);
    let summary = state.insert(payment);
    Ok(JournalObjects::many([order_id]).file((
        Extension(summary),
        Json(CreatePaymentResponse {
            payment_url,
            order_id,
        }),
    )))
}

/// Charge a saved card again ([docs](https://docs.softline.ru/ru-ru/payment/payment-api-recurring)).
#[utoipa::path(
    post,
    path = "/v1/payment/recurring",
    tag = "softline",
    request_body = RecurringRequest,
    responses(
        (status = 200, description = "A new `not paid` payment; its charge ends after the fixture's delay (webhook and status)", body = RecurringResponse),
        (status = 400, description = "110, 111, 6000; 6010 `parent_order_id` (unknown, not recurring, not paid), `currency` (not the parent's), `amount`, `payment_id`; 6090", body = ErrorBody, examples(
            ("6010 parent_order_id" = (value = json!(SoftlineError::from(Problem::field("parent_order_id")).example()))),
        )),
        (status = 401, description = "1007, 1008, 1009", body = ErrorBody, examples(
            ("1008 missing token" = (value = json!(SoftlineError::Unauthorized(AuthFailure::Missing).example()))),
            ("1009 expired token" = (value = json!(SoftlineError::Unauthorized(AuthFailure::Expired).example()))),
        )),
    )
)]
pub async fn create_recurring_payment(
    State(state): State<super::State>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Result<Response, SoftlineError> {
    let forced_failure = admit(&state, &headers, &body, scenarios::RECURRING)?.is_some();
    let object = validate::json_object(content_type(&headers), &body, None)?;
    let mut parent = None;
    let new = validate::new_recurring(&object, &state.fixture, |id| {
        parent = state.settled(id);
        parent.as_ref().map(|p| ParentFacts {
            currency: p.currency,
            recurring_indicator: p.recurring_indicator,
            status: p.status,
            payment_method: p.payment_method().to_owned(),
        })
    })
    .map_err(SoftlineError::BadRequest)?;
    let Some(parent) = parent else {
        // `new_recurring` accepts only a found parent.
        return Err(SoftlineError::BadRequest(vec![
            super::error::Problem::field("parent_order_id"),
        ]));
    };

    let now = state.core.clock.now();
    let due = now + state.fixture.recurring_delay();
    let card_expired = parent
        .card
        .as_ref()
        .is_some_and(|c| c.expiry.is_expired(due));
    let outcome = if forced_failure || card_expired {
        ChargeOutcome::Fails
    } else {
        ChargeOutcome::Succeeds
    };
    let payment = Payment::recurring(
        state.order_ids.next(),
        state.core.ids.hex(7),
        &parent,
        new,
        now,
        due,
        outcome,
    );
    // The charge's webhook is queued now for `due`, describing the payment
    // as it will be then; a read after `due` settles the stored copy the
    // same way.
    let mut then = payment.clone();
    then.settle(due, state.fixture.unpaid_lifetime());
    let result = match outcome {
        ChargeOutcome::Succeeds => Event::PaymentSucceeded,
        ChargeOutcome::Fails => Event::PaymentFailed,
    };
    let order_id = payment.order_id;
    webhooks::enqueue(&state, Event::OrderCreated, &payment, now);
    webhooks::enqueue(&state, result, &then, due);
    let summary = state.insert(payment);
    Ok(JournalObjects::many([order_id, parent.order_id])
        .file((Extension(summary), Json(RecurringResponse { order_id }))))
}

/// A payment's data and status ([docs](https://docs.noventiq.com/en-en/payment/orders-api-get-order)).
#[utoipa::path(
    get,
    path = "/v1/order/{order_id}",
    tag = "softline",
    params(("order_id" = u64, Path, description = "The payment's `order_id`")),
    responses(
        (status = 200, description = "The payment as the webhooks describe it, plus `amount` and `payment_description`", body = OrderData),
        (status = 401, description = "1007, 1008, 1009", body = ErrorBody, examples(
            ("1008 missing token" = (value = json!(SoftlineError::Unauthorized(AuthFailure::Missing).example()))),
            ("1009 expired token" = (value = json!(SoftlineError::Unauthorized(AuthFailure::Expired).example()))),
        )),
        (status = 404, description = "No such order (or one of another workspace)", body = ErrorBody, example = json!(SoftlineError::OrderNotFound.example())),
    )
)]
pub async fn get_order(
    State(state): State<super::State>,
    headers: HeaderMap,
    SoftlinePath(order_id): SoftlinePath<String>,
) -> Result<Response, SoftlineError> {
    auth::authenticate(&state, &headers, &|name| {
        (name == "order_id").then(|| order_id.clone())
    })?;
    let payment = order_id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.settled(id))
        .ok_or(SoftlineError::OrderNotFound)?;
    let now = state.core.clock.now();
    let order = OrderData::of(&payment, &state.view_context(&payment, now), View::Lookup);
    Ok(JournalObjects::many([payment.order_id]).file(Json(order)))
}

/// List payment ids ([docs](https://docs.noventiq.com/en-en/payment/orders-api-get-list)).
#[utoipa::path(
    post,
    path = "/v1/order/search",
    tag = "softline",
    request_body = SearchRequest,
    responses(
        (status = 200, description = "Matching `order_id`s, newest first, at most `limit`", body = SearchResponse),
        (status = 400, description = "110, 111; 6010 for each bad filter", body = ErrorBody, examples(
            ("6010 a bad filter" = (value = json!(SoftlineError::from(Problem::field("create_date_from")).example()))),
        )),
        (status = 401, description = "1007, 1008, 1009", body = ErrorBody, examples(
            ("1008 missing token" = (value = json!(SoftlineError::Unauthorized(AuthFailure::Missing).example()))),
            ("1009 expired token" = (value = json!(SoftlineError::Unauthorized(AuthFailure::Expired).example()))),
        )),
    )
)]
pub async fn search_orders(
    State(state): State<super::State>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Result<Json<SearchResponse>, SoftlineError> {
    auth::authenticate(&state, &headers, &fields_of_bytes(&body))?;
    let object = validate::json_object(content_type(&headers), &body, None)?;
    let filter = validate::search_filter(&object).map_err(SoftlineError::BadRequest)?;
    state.settle_all();
    let mut found = state
        .payments
        .filter_map(|id, p| p.matches(&filter).then_some((p.created_at, *id)));
    found.sort_unstable_by(|a, b| b.cmp(a));
    let ids = found
        .into_iter()
        .take(filter.limit)
        .map(|(_, id)| id)
        .collect();
    Ok(Json(SearchResponse { ids }))
}
