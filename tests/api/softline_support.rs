//! Helpers shared by the Softline tests.

use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

use crate::helpers::{TestApp, receiver_answering};

/// The fixture's static token.
pub const TOKEN: &str = "sandbox-token";

/// The smallest create-payment request Softline accepts (RUB 112.50 by
/// card, the customer's email and name), with our own `payment_id`.
pub fn minimal_payment(payment_id: &str) -> Value {
    json!({
        "currency": "RUB",
        "amount": "112.50",
        "return_success_url": "https://shop.com/successful_payment",
        "payment_method": "CreditCard",
        "payment_id": payment_id,
        "customer": {"email": "customer@gmail.com", "first_name": "Иван", "last_name": "Петров"}
    })
}

/// An authenticated JSON `POST` with the static token.
pub async fn api_post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    api_post_as(app, TOKEN, path, body).await
}

/// A JSON `POST` with `token` (a workspace's, one `login_check` issued).
pub async fn api_post_as(
    app: &TestApp,
    token: &str,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// An authenticated `GET` with the static token.
pub async fn api_get(app: &TestApp, path: &str) -> reqwest::Response {
    api_get_as(app, TOKEN, path).await
}

/// A `GET` with `token`.
pub async fn api_get_as(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub async fn create_payment(app: &TestApp, body: &Value) -> reqwest::Response {
    api_post(app, "/softline/v1/payment", body).await
}

/// Creates a payment that must succeed; returns `(order_id, payment_url)`.
pub async fn create_ok(app: &TestApp, body: &Value) -> (u64, String) {
    create_ok_as(app, TOKEN, body).await
}

/// Creates a payment with `token` that must succeed; returns `(order_id,
/// payment_url)`.
pub async fn create_ok_as(app: &TestApp, token: &str, body: &Value) -> (u64, String) {
    let response = api_post_as(app, token, "/softline/v1/payment", body).await;
    assert_eq!(response.status(), 200, "create payment");
    let body: Value = response.json().await.unwrap();
    (
        body["order_id"].as_u64().unwrap(),
        body["payment_url"].as_str().unwrap().to_owned(),
    )
}

/// `GET /softline/v1/order/{id}`, which must answer 200.
pub async fn order(app: &TestApp, order_id: u64) -> Value {
    let response = api_get(app, &format!("/softline/v1/order/{order_id}")).await;
    assert_eq!(response.status(), 200, "order {order_id}");
    response.json().await.unwrap()
}

/// Asserts a Softline error answer: status and every `(error, message)`.
pub async fn assert_errors(response: reqwest::Response, status: u16, expected: &[(u32, &str)]) {
    assert_eq!(response.status().as_u16(), status);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "JSON envelope"
    );
    let body: Value = response.json().await.unwrap();
    let errors: Vec<Value> = expected
        .iter()
        .map(|(code, message)| json!({"error": code, "message": message}))
        .collect();
    assert_eq!(body, json!({ "errors": errors }));
}

/// A webhook receiver answering `status` to everything, set as the target.
pub async fn webhook_receiver(app: &TestApp, status: u16) -> MockServer {
    let receiver = receiver_answering(ResponseTemplate::new(status)).await;
    set_webhook_url(app, &format!("{}/hook", receiver.uri())).await;
    receiver
}

/// Points Softline's webhooks at `url`.
pub async fn set_webhook_url(app: &TestApp, url: &str) {
    let response = app
        .client
        .put(app.url("/__sandbox/softline/webhook"))
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "webhook configured");
}

/// The bodies of every webhook the receiver got, in order.
pub async fn received_events(receiver: &MockServer) -> Vec<Value> {
    receiver
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// The card form's fields for `number`.
pub fn card(number: &str) -> Vec<(&str, &str)> {
    vec![
        ("card_number", number),
        ("expiry", "12/39"),
        ("cvc", "123"),
        ("cardholder", "IVAN PETROV"),
    ]
}

/// `payment_url` without its query: the base of the form's pages.
pub fn form_base(payment_url: &str) -> String {
    payment_url.split('?').next().unwrap().to_owned()
}

/// Pays a payment on the hosted form with `number` (keeping the URL's
/// query, as the form's action does); returns the answer.
pub async fn pay_with(app: &TestApp, payment_url: &str, number: &str) -> reqwest::Response {
    let query = payment_url.find('?').map_or("", |i| &payment_url[i..]);
    let action = format!("{}/card{query}", form_base(payment_url));
    app.post_form(&action, &card(number)).await
}
