//! Softline's part of the control plane, under `/__sandbox/softline`:
//! where webhooks go, and full refunds (the real service processes refund
//! requests by hand, so the sandbox lets a person or a test do it).

use crate::core::current::State;
use axum::Json;

use super::fixture::WebhookUrl;
use super::webhooks::{self, Event, Target};
use super::wire::{PutWebhookRequest, RefundResponse, WebhookSettings};
use crate::core::error::{AdminJson, AdminPath, ControlRefusal, CoreError};

fn settings(state: &super::State) -> WebhookSettings {
    let target = state.webhook.get();
    WebhookSettings {
        url: target.url.map(|u| u.as_str().to_owned()),
        secret: target.secret,
        retry_seconds: state.fixture.webhook.retry_seconds.clone(),
    }
}

/// The refusal of an empty webhook secret.
const EMPTY_SECRET: &str = "secret: must not be empty";

fn no_order(order_id: u64) -> CoreError {
    CoreError::NotFound(format!("no Softline order {order_id}"))
}

/// `GET /__sandbox/softline/webhook`: where Softline events go ([docs](https://docs.softline.ru/ru-ru/payment/webhooks-request)).
#[utoipa::path(
    get, operation_id = "sandbox_get_softline_webhook",
    path = "/webhook",
    tag = "sandbox",
    responses((status = 200, description = "The webhook URL (`null`: none sent), secret and retry schedule", body = WebhookSettings))
)]
pub async fn get_webhook(State(state): State<super::State>) -> Json<WebhookSettings> {
    Json(settings(&state))
}

/// `PUT /__sandbox/softline/webhook {"url", "secret"}`: set where Softline
/// events go and the key they are signed with ([docs](https://docs.softline.ru/ru-ru/payment/webhooks-request)).
#[utoipa::path(
    put, operation_id = "sandbox_set_softline_webhook",
    path = "/webhook",
    tag = "sandbox",
    request_body = PutWebhookRequest,
    responses(
        (status = 200, description = "The new settings", body = WebhookSettings),
        (status = 400, description = "Not an absolute http(s) URL, an empty secret or an unknown field", body = ControlRefusal, example = json!(CoreError::BadRequest(EMPTY_SECRET.to_owned()).example())),
    )
)]
pub async fn put_webhook(
    State(state): State<super::State>,
    AdminJson(request): AdminJson<PutWebhookRequest>,
) -> Result<Json<WebhookSettings>, CoreError> {
    let url = request
        .url
        .as_deref()
        .map(WebhookUrl::parse)
        .transpose()
        .map_err(|e| CoreError::BadRequest(format!("url: {e}")))?;
    let secret = match request.secret {
        Some(secret) if secret.is_empty() => {
            return Err(CoreError::BadRequest(EMPTY_SECRET.to_owned()));
        }
        Some(secret) => secret,
        None => state.webhook.get().secret,
    };
    state.webhook.set(Target { url, secret });
    Ok(Json(settings(&state)))
}

/// `POST /__sandbox/softline/orders/{order_id}/refund`: a full refund;
/// `paid` → `deleted` and `product.returned` ([docs](https://docs.noventiq.com/en-en/payment/refund)).
#[utoipa::path(
    post, operation_id = "sandbox_refund_softline_order",
    path = "/orders/{order_id}/refund",
    tag = "sandbox",
    params(("order_id" = u64, Path, description = "A Softline `order_id`")),
    responses(
        (status = 200, description = "Refunded: the order is `deleted`", body = RefundResponse),
        (status = 400, description = "The order id is not a number", body = ControlRefusal),
        (status = 404, description = "No such order", body = ControlRefusal, example = json!(no_order(1).example())),
        (status = 409, description = "The order is not `paid`", body = ControlRefusal),
    )
)]
pub async fn refund_order(
    State(state): State<super::State>,
    AdminPath(order_id): AdminPath<u64>,
) -> Result<Json<RefundResponse>, CoreError> {
    let now = state.core.clock.now();
    // Queued under the payment's lock, in order with any concurrent change.
    let refunded = state
        .update(order_id, |p| {
            p.refund(now).map(|t| {
                webhooks::enqueue(&state, Event::ProductReturned, p, now);
                (t, p.clone())
            })
        })
        .ok_or_else(|| no_order(order_id))?
        .map_err(|e| CoreError::Conflict(format!("order {order_id} cannot be refunded: {e}")))?;
    let (transition, payment) = refunded;
    state.journal_transition(order_id, &transition);
    Ok(Json(RefundResponse {
        order_id,
        status: payment.status,
    }))
}
