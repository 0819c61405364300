//! What the workspace tests share: reading a creation answer, a
//! workspace's control plane, the control plane's envelope.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::intellectmoney_support::{Request, Shop, invoice_params_for};
use crate::softline_support::{api_get_as, api_post_as};

// ---------------------------------------------------------------------------
// Helpers of this file

/// A workspace's Softline static token, from its creation answer.
pub fn softline_token(workspace: &Value) -> String {
    workspace["softline"]["token"].as_str().unwrap().to_owned()
}

/// `/__sandbox/workspaces/{name}{path}`: a workspace's control plane.
pub fn control(name: &str, path: &str) -> String {
    format!("/__sandbox/workspaces/{name}{path}")
}

/// Asserts the control plane's error envelope, exactly.
pub async fn assert_control_error(
    response: reqwest::Response,
    status: u16,
    code: &str,
    message: &str,
) {
    assert_eq!(response.status().as_u16(), status, "{code}: {message}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"code": code, "message": message}}),
        "the control envelope"
    );
}

/// `GET /softline/v1/order/{id}` with `token`, which must answer 200.
pub async fn order_as(app: &TestApp, token: &str, order_id: u64) -> Value {
    let response = api_get_as(app, token, &format!("/softline/v1/order/{order_id}")).await;
    assert_eq!(response.status(), 200, "order {order_id}");
    response.json().await.unwrap()
}

/// `POST /softline/v1/order/search` with `token` and `filter`; the ids.
pub async fn search_as(app: &TestApp, token: &str, filter: &Value) -> Vec<u64> {
    let response = api_post_as(app, token, "/softline/v1/order/search", filter).await;
    assert_eq!(response.status(), 200, "search {filter}");
    let body: Value = response.json().await.unwrap();
    body["ids"]
        .as_array()
        .unwrap_or_else(|| panic!("no ids in {body}"))
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

/// `login_check` with a username and password; the issued token.
pub async fn login(app: &TestApp, username: &str, password: &str) -> String {
    let response = app
        .post_json(
            "/softline/v1/login_check",
            &json!({"username": username, "password": password}),
        )
        .await;
    assert_eq!(response.status(), 200, "login of {username}");
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// `login_check` with a username and password; the answer.
pub async fn login_answer(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/softline/v1/login_check",
        &json!({"username": username, "password": password}),
    )
    .await
}

/// Logs in with a workspace's own Softline user.
pub async fn login_to(app: &TestApp, workspace: &Value) -> String {
    login(
        app,
        workspace["softline"]["username"].as_str().unwrap(),
        workspace["softline"]["password"].as_str().unwrap(),
    )
    .await
}

/// Creates an invoice of 10.00 RUB for `order_id` in `shop`; the envelope.
pub async fn create_invoice_in(app: &TestApp, shop: &Shop, order_id: &str) -> Value {
    Request::signed_by(shop, "createInvoice", invoice_params_for(shop, order_id))
        .envelope(app)
        .await
}

/// Creates an invoice in `shop` that must succeed; its id.
pub async fn invoice_in(app: &TestApp, shop: &Shop, order_id: &str) -> u64 {
    let body = create_invoice_in(app, shop, order_id).await;
    assert_eq!(body["Result"]["State"]["Code"], 0, "createInvoice: {body}");
    body["Result"]["InvoiceId"].as_u64().unwrap()
}

/// Whether `s` is `len` lowercase hex digits.
pub fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
