//! Softline tokens: `login_check`, both header spellings, 1007/1008/1009,
//! expiry by the sandbox clock.

use serde_json::{Value, json};

use crate::helpers::{DAY, TestApp, spawn_app};
use crate::softline_support::{assert_errors, minimal_payment};

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/softline/v1/login_check",
        &json!({"username": username, "password": password}),
    )
    .await
}

async fn token(app: &TestApp) -> String {
    let response = login(app, "sandbox", "sandbox").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// Creates a payment with `header: value`; returns the status.
async fn create_with(app: &TestApp, header: Option<(&str, String)>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/softline/v1/payment"))
        .json(&minimal_payment("AUTH-1"));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn login_check_with_the_fixture_user_answers_a_token_and_a_refresh_token() {
    let app = spawn_app().await;

    let response = login(&app, "sandbox", "sandbox").await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers().contains_key("date"),
        "the documented date header"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(body["token"].as_str().unwrap().len(), 32);
    assert!(body["refresh_token"].is_string());
}

#[tokio::test]
async fn a_token_is_accepted_in_authorization_and_in_authorization_jwt() {
    let app = spawn_app().await;
    let token = token(&app).await;

    let plain = create_with(&app, Some(("Authorization", format!("Bearer {token}")))).await;
    let jwt = create_with(&app, Some(("AuthorizationJWT", format!("Bearer {token}")))).await;

    assert_eq!(plain.status(), 200);
    assert_eq!(jwt.status(), 200);
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_answers_401_invalid_credentials() {
    let app = spawn_app().await;

    for (username, password) in [("sandbox", "wrong"), ("nobody", "sandbox")] {
        let response = login(&app, username, password).await;
        assert_errors(response, 401, &[(401, "Invalid credentials.")]).await;
    }
}

#[tokio::test]
async fn a_malformed_login_body_answers_the_documented_400_codes() {
    let app = spawn_app().await;

    let missing = app
        .post_json("/softline/v1/login_check", &json!({"username": "sandbox"}))
        .await;
    let not_json = app
        .client
        .post(app.url("/softline/v1/login_check"))
        .header("content-type", "application/json")
        .body("username=sandbox")
        .send()
        .await
        .unwrap();

    assert_errors(missing, 400, &[(6010, "Invalid field value: password.")]).await;
    assert_errors(not_json, 400, &[(110, "JSON is not valid.")]).await;
}

#[tokio::test]
async fn a_request_without_a_token_answers_1008_missing_token() {
    let app = spawn_app().await;

    let cases = [
        None,
        Some(("Authorization", "sandbox-token".to_owned())),
        Some(("Authorization", "Bearer ".to_owned())),
        Some(("Authorization", "Basic c2FuZGJveDpzYW5kYm94".to_owned())),
    ];
    for header in cases {
        let response = create_with(&app, header.clone()).await;
        assert_eq!(response.status(), 401, "{header:?}");
        assert_errors(response, 401, &[(1008, "Missing token.")]).await;
    }
}

#[tokio::test]
async fn an_unknown_token_answers_1007_in_either_header() {
    let app = spawn_app().await;

    for name in ["Authorization", "AuthorizationJWT"] {
        let response = create_with(
            &app,
            Some((name, "Bearer fj45u923j59ju42395iu9423i59243u0".to_owned())),
        )
        .await;
        assert_errors(response, 401, &[(1007, "Your token is invalid.")]).await;
    }
}

#[tokio::test]
async fn a_token_expires_after_24_sandbox_hours_and_then_answers_1009() {
    let app = spawn_app().await;
    let token = token(&app).await;
    let bearer = || Some(("AuthorizationJWT", format!("Bearer {token}")));

    app.advance_clock(DAY - 2).await;
    let just_before = create_with(&app, bearer()).await;
    app.advance_clock(2).await;
    let after = create_with(&app, bearer()).await;

    assert_eq!(just_before.status(), 200);
    assert_errors(after, 401, &[(1009, "Your token is expired.")]).await;
}

#[tokio::test]
async fn a_new_token_does_not_revoke_the_old_one() {
    let app = spawn_app().await;
    let first = token(&app).await;
    app.advance_clock(3600).await;
    let second = token(&app).await;

    let with_first = create_with(&app, Some(("Authorization", format!("Bearer {first}")))).await;
    let with_second = create_with(&app, Some(("Authorization", format!("Bearer {second}")))).await;

    assert_ne!(first, second);
    assert_eq!(with_first.status(), 200);
    assert_eq!(with_second.status(), 200);
}

#[tokio::test]
async fn the_static_token_never_expires() {
    let app = spawn_app().await;

    app.advance_clock(3650 * DAY).await;
    let response = create_with(
        &app,
        Some(("Authorization", "Bearer sandbox-token".to_owned())),
    )
    .await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn every_api_endpoint_but_login_check_wants_a_token() {
    let app = spawn_app().await;

    let requests = [
        app.client
            .post(app.url("/softline/v1/payment"))
            .json(&json!({})),
        app.client
            .post(app.url("/softline/v1/payment/recurring"))
            .json(&json!({})),
        app.client.get(app.url("/softline/v1/order/5000000")),
        app.client
            .post(app.url("/softline/v1/order/search"))
            .json(&json!({})),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        let path = response.url().path().to_owned();
        assert_eq!(response.status(), 401, "{path}");
        assert_errors(response, 401, &[(1008, "Missing token.")]).await;
    }
}

#[tokio::test]
async fn tokens_and_passwords_are_masked_in_the_journal() {
    let app = spawn_app().await;
    let token = token(&app).await;
    create_with(&app, Some(("AuthorizationJWT", format!("Bearer {token}")))).await;

    let entries = app.journal("provider=softline").await;

    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(&token), "token leaked into the journal");
    let login: Value =
        serde_json::from_str(entries[0]["request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(login["username"], "sandbox");
    assert_ne!(login["password"], "sandbox", "password leaked");
}
