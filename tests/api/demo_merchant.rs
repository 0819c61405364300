//! The reference merchant's webhook: what it answers without a payment
//! page (wallets, refusals, its key), and, with the Softline sandbox,
//! whole runs of the engine against it.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn webhook(app: &TestApp, body: &Value, key: Option<&str>) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/demo/merchant/payments"))
        .json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn cryptogram(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn an_apple_pay_cryptogram_is_charged_and_one_that_says_decline_is_refused() {
    let app = spawn_app().await;
    let approve = json!({"command": "applepay", "paymentMethodId": "sandbox/applepay", "orderUuid": "u", "orderId": "1",
                         "applePayData": cryptogram(r#"{"sandbox":"approve"}"#)});
    let decline = json!({"command": "androidpay", "paymentMethodId": "sandbox/androidpay", "orderUuid": "u", "orderId": "2",
                         "androidPayData": cryptogram(r#"{"sandbox":"DECLINE"}"#)});

    let (status, approved) = webhook(&app, &approve, Some("sandbox-imshop-key")).await;
    let (_, declined) = webhook(&app, &decline, Some("sandbox-imshop-key")).await;

    assert_eq!(status, 200);
    assert_eq!(approved["success"], true);
    assert_eq!(approved["paymentCaptured"], true);
    assert!(
        approved["paymentId"]
            .as_str()
            .unwrap()
            .starts_with("wallet-")
    );
    assert_eq!(declined["success"], false);
    assert_eq!(declined["paymentCaptured"], false);
    assert_eq!(declined["error"], "the wallet payment was declined");
    // capture of a wallet payment repeats its result.
    let capture = json!({"command": "capture", "paymentMethodId": "sandbox/applepay", "paymentId": approved["paymentId"]});
    let (_, captured) = webhook(&app, &capture, Some("sandbox-imshop-key")).await;
    assert_eq!(
        captured,
        json!({"success": true, "paymentId": approved["paymentId"], "paymentCaptured": true})
    );
}

#[tokio::test]
async fn a_capture_of_an_unknown_payment_is_refused_with_an_error() {
    let app = spawn_app().await;

    let (status, answer) = webhook(
        &app,
        &json!({"command": "capture", "paymentMethodId": "sandbox/card", "paymentId": "nope"}),
        Some("sandbox-imshop-key"),
    )
    .await;

    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"success": false, "error": "unknown paymentId \"nope\""})
    );
}

#[tokio::test]
async fn a_wrong_or_missing_api_key_is_refused() {
    let app = spawn_app().await;
    let body = json!({"command": "capture", "paymentMethodId": "sandbox/card", "paymentId": "x"});

    for key in [None, Some("wrong")] {
        let (status, answer) = webhook(&app, &body, key).await;

        assert_eq!(status, 401, "{key:?}");
        assert_eq!(
            answer,
            json!({"success": false, "error": "invalid API key"})
        );
    }
    // The key is also accepted as a `key` body field.
    let mut with_field = body.clone();
    with_field["key"] = json!("sandbox-imshop-key");
    assert_eq!(webhook(&app, &with_field, None).await.0, 200);
}

#[tokio::test]
async fn a_request_that_is_not_a_webhook_command_is_400() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"command": "refund", "paymentId": "x"}),
            "invalid request: unknown variant `refund`, expected one of `create`, `capture`, `applepay`, `androidpay`",
        ),
        (
            json!({"command": "capture"}),
            "invalid request: missing field `paymentId`",
        ),
        (
            json!({"command": "applepay", "paymentMethodId": "sandbox/applepay", "orderId": "1", "applePayData": "%%%"}),
            "",
        ),
    ];
    for (body, error) in cases {
        let (status, answer) = webhook(&app, &body, Some("sandbox-imshop-key")).await;

        if error.is_empty() {
            assert_eq!(
                (status, answer),
                (
                    200,
                    json!({"success": false, "error": "applePayData is not base64"})
                )
            );
        } else {
            assert_eq!(status, 400, "{body}");
            assert_eq!(answer, json!({"success": false, "error": error}), "{body}");
        }
    }
}

#[tokio::test]
async fn the_return_page_thanks_the_buyer() {
    let app = spawn_app().await;

    let response = app.get("/demo/merchant/orders/12345/paid").await;

    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"data-testid="order-paid""#));
    assert!(html.contains("<strong>12345</strong>"));
}
