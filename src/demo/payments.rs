//! `POST /demo/merchant/payments`: the IMSHOP payments webhook ("webhook
//! управления оплатами") of the reference merchant.
//!
//! IMSHOP.IO calls one URL with `command` = `create`, `capture`, `applepay`
//! or `androidpay`. Every answer is HTTP 200 with `success`; a refusal
//! carries `error`, a text the app can show the buyer.

use crate::core::body::RequestBody;
use crate::core::current::State;
use axum::Extension;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::checkout::{BAD_KEY, NOT_JSON, RefusalView};
use super::softline::{Customer, NewPayment, SoftlineClient};
use super::{Payment, State as Demo, authorized};
use crate::core::journal::JournalObjects;

/// The four commands, told apart by `command`. Fields IMSHOP may add later
/// are ignored.
#[derive(Debug, Deserialize)]
#[serde(
    tag = "command",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
enum WebhookRequest {
    /// Start a card payment: answer where the app sends the buyer.
    Create {
        order_id: String,
        #[serde(default)]
        order_uuid: String,
        #[serde(default)]
        payment_method_id: String,
    },
    /// Check the payment with the gateway and capture it.
    Capture { payment_id: String },
    /// Charge an Apple Pay cryptogram (base64).
    Applepay {
        order_id: String,
        #[serde(default)]
        order_uuid: String,
        #[serde(default)]
        payment_method_id: String,
        apple_pay_data: String,
    },
    /// Charge a Google Pay cryptogram (base64).
    Androidpay {
        order_id: String,
        #[serde(default)]
        order_uuid: String,
        #[serde(default)]
        payment_method_id: String,
        android_pay_data: String,
    },
}

/// `{"success": false, "error": ...}` with HTTP 200: how IMSHOP expects a
/// refusal.
fn refuse(error: impl Into<String>) -> Value {
    json!({"success": false, "error": error.into()})
}

/// The merchant's payments webhook.
#[utoipa::path(
    post, path = "/payments", tag = "demo",
    request_body(content = String, description = "`{\"command\": \"create\"|\"capture\"|\"applepay\"|\"androidpay\", ...}`", content_type = "application/json"),
    responses(
        (status = 200, description = "`{\"success\": true, ...}` or `{\"success\": false, \"error\"}`", body = AnswerView, examples(
            ("captured" = (value = json!(settled("wallet-1", true, "")))),
            ("declined" = (value = json!(settled("wallet-1", false, "the wallet payment was declined")))),
            ("unknown payment" = (value = json!(refuse(unknown_payment("p-1"))))),
        )),
        (status = 400, description = "Not a webhook request", body = RefusalView, example = json!(refuse(NOT_JSON))),
        (status = 401, description = "Wrong or missing API key", body = RefusalView, example = json!(refuse(BAD_KEY))),
    )
)]
// IMSHOP's payments webhook: https://docs.imshop.io/dopolnitelnye-integracii/korzina-oformlenie-zakaza/ekvairing-cherez-webhook/sozdanie-platezha-po-karte
pub async fn payments(
    State(demo): State<Demo>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    let Ok(raw) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, axum::Json(refuse(NOT_JSON))).into_response();
    };
    // IMSHOP sends one API key; the docs allow it as a Bearer token or as
    // `key` (a header or a body field, the wording is ambiguous).
    if !authorized(&headers, &raw, &demo.fixture.api_key) {
        return (StatusCode::UNAUTHORIZED, axum::Json(refuse(BAD_KEY))).into_response();
    }
    let request = match serde_json::from_value::<WebhookRequest>(raw) {
        Ok(request) => request,
        Err(err) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(refuse(format!("invalid request: {err}"))),
            )
                .into_response();
        }
    };
    let (answer, objects) = match request {
        WebhookRequest::Create {
            order_id,
            order_uuid,
            payment_method_id,
        } => match check_order(&demo, "card", &payment_method_id, &order_id, &order_uuid) {
            Err(refusal) => (refusal, vec![order_id]),
            Ok(()) => (create(&demo, &order_id).await, vec![order_id]),
        },
        WebhookRequest::Capture { payment_id } => {
            (capture(&demo, &payment_id).await, vec![payment_id])
        }
        WebhookRequest::Applepay {
            order_id,
            order_uuid,
            payment_method_id,
            apple_pay_data,
        } => (
            check_order(
                &demo,
                "applepay",
                &payment_method_id,
                &order_id,
                &order_uuid,
            )
            .map_or_else(
                |refusal| refusal,
                |()| wallet(&demo, &order_id, &apple_pay_data, "applePayData"),
            ),
            vec![order_id],
        ),
        WebhookRequest::Androidpay {
            order_id,
            order_uuid,
            payment_method_id,
            android_pay_data,
        } => (
            check_order(
                &demo,
                "androidpay",
                &payment_method_id,
                &order_id,
                &order_uuid,
            )
            .map_or_else(
                |refusal| refusal,
                |()| wallet(&demo, &order_id, &android_pay_data, "androidPayData"),
            ),
            vec![order_id],
        ),
    };
    let mut objects = objects;
    if let Some(payment_id) = answer.get("paymentId").and_then(Value::as_str)
        && !objects.iter().any(|o| o == payment_id)
    {
        objects.push(payment_id.to_owned());
    }
    (Extension(JournalObjects(objects)), axum::Json(answer)).into_response()
}

/// A payment call must name a method this shop offered for that kind of
/// payment (the ids of `/payment-methods`), and, for an order the shop
/// exported, the number it gave that order. An order it never saw (a run
/// without the checkout) is paid as it comes.
fn check_order(
    demo: &Demo,
    method: &str,
    payment_method_id: &str,
    order_id: &str,
    order_uuid: &str,
) -> Result<(), Value> {
    if super::checkout::offered_method(payment_method_id) != Some(method) {
        return Err(refuse(format!(
            "unknown paymentMethodId {payment_method_id:?} for this payment"
        )));
    }
    match demo.orders.number(order_uuid) {
        Some(number) if number != order_id => Err(refuse(format!(
            "orderId {order_id:?} is not order {number:?}, exported as {order_uuid:?}"
        ))),
        _ => Ok(()),
    }
}

fn softline(demo: &Demo) -> SoftlineClient<'_> {
    SoftlineClient {
        http: &demo.core.http,
        base_url: demo.core.public_url.join("/softline"),
        token: &demo.fixture.demo_merchant.softline_token,
    }
}

/// `create`: a Softline payment for the order; the app opens its hosted
/// form and closes it when the buyer is sent to our return URL.
async fn create(demo: &Demo, order_id: &str) -> Value {
    let settings = &demo.fixture.demo_merchant;
    let Ok(mut return_url) = reqwest::Url::parse(demo.core.public_url.as_str()) else {
        return refuse("the merchant's public URL is not a URL");
    };
    if let Ok(mut path) = return_url.path_segments_mut() {
        path.pop_if_empty()
            .extend(["demo", "merchant", "orders", order_id, "paid"]);
    }
    let payment = NewPayment {
        currency: &settings.currency,
        amount: &settings.amount,
        return_success_url: return_url.as_str(),
        payment_method: &settings.payment_method,
        payment_id: order_id,
        customer: Customer {
            email: &settings.customer_email,
            first_name: &settings.customer_first_name,
            last_name: &settings.customer_last_name,
        },
    };
    match softline(demo).create_payment(&payment).await {
        Ok(created) => {
            let payment_id = created.order_id.to_string();
            demo.ledger.insert(
                payment_id.clone(),
                Payment::Card {
                    order_id: order_id.to_owned(),
                    softline_order: created.order_id,
                },
            );
            json!({
                "success": true,
                "paymentId": payment_id,
                "paymentUrl": created.payment_url,
                // Softline sends the buyer to return_success_url after
                // paying; it has no failure URL (a decline stays on the
                // form), so failureRegex names a page no redirect reaches.
                "successRegex": "/demo/merchant/orders/[^/?#]+/paid",
                "failureRegex": "/demo/merchant/orders/[^/?#]+/failed",
            })
        }
        Err(err) => refuse(format!("the payment could not be created: {err}")),
    }
}

/// `capture`: Softline captures on payment, so checking the order's status
/// is capturing. Asking twice gives the same answer.
async fn capture(demo: &Demo, payment_id: &str) -> Value {
    match demo.ledger.get(payment_id) {
        None => refuse(unknown_payment(payment_id)),
        Some(Payment::Wallet { captured, .. }) => {
            settled(payment_id, captured, "the wallet payment was declined")
        }
        Some(Payment::Card { softline_order, .. }) => {
            match softline(demo).order(softline_order).await {
                Ok(order) if order.status == "paid" => settled(payment_id, true, ""),
                Ok(order) => settled(
                    payment_id,
                    false,
                    &format!("the order is not paid (Softline status {:?})", order.status),
                ),
                Err(err) => refuse(format!("the payment status is unknown: {err}")),
            }
        }
    }
}

/// `applepay` / `androidpay`: a real merchant hands the cryptogram to its
/// processor. The sandbox convention: a cryptogram whose decoded text
/// contains the fixture's marker (`decline`) is declined.
fn wallet(demo: &Demo, order_id: &str, cryptogram: &str, field: &str) -> Value {
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(cryptogram.trim()) else {
        return refuse(format!("{field} is not base64"));
    };
    let marker = demo
        .fixture
        .demo_merchant
        .decline_cryptogram_marker
        .to_lowercase();
    let declined = String::from_utf8_lossy(&decoded)
        .to_lowercase()
        .contains(&marker);
    let payment_id = format!("wallet-{}", demo.core.ids.uuid());
    demo.ledger.insert(
        payment_id.clone(),
        Payment::Wallet {
            order_id: order_id.to_owned(),
            captured: !declined,
        },
    );
    settled(&payment_id, !declined, "the wallet payment was declined")
}

fn unknown_payment(payment_id: &str) -> String {
    format!("unknown paymentId {payment_id:?}")
}

/// The payments webhook's answer as the OpenAPI document describes it:
/// which fields come depends on the command and the outcome.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DemoPaymentAnswer)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
struct AnswerView {
    success: bool,
    /// Why, when `success` is `false`.
    error: Option<String>,
    payment_id: Option<String>,
    /// `create`: the payment page the app opens.
    payment_url: Option<String>,
    /// `create`: the URL the buyer ends on after paying.
    success_regex: Option<String>,
    /// `create`: the URL the buyer ends on after a decline.
    failure_regex: Option<String>,
    /// `capture`, `applepay`, `androidpay`: whether the money is taken.
    payment_captured: Option<bool>,
}

/// A payment's final answer: captured, or refused with the reason.
fn settled(payment_id: &str, captured: bool, reason: &str) -> Value {
    if captured {
        json!({"success": true, "paymentId": payment_id, "paymentCaptured": true})
    } else {
        json!({"success": false, "paymentId": payment_id, "paymentCaptured": false, "error": reason})
    }
}
