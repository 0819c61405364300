//! The shared control plane: clock, reset, journal.

use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with, test_settings};

#[tokio::test]
async fn the_clock_starts_at_real_time_and_advances_by_the_given_seconds() {
    let app = spawn_app().await;

    let before = app.get_json("/__sandbox/clock", 200).await;
    app.advance_clock(3600).await;
    let after = app.get_json("/__sandbox/clock", 200).await;

    assert_eq!(before["offset_seconds"], 0);
    assert_eq!(after["offset_seconds"], 3600);
    let parse = |v: &Value| {
        time::OffsetDateTime::parse(
            v["now"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let moved = parse(&after) - parse(&before);
    assert!(
        moved >= time::Duration::seconds(3600) && moved < time::Duration::seconds(3660),
        "moved {moved}"
    );
}

#[tokio::test]
async fn advancing_the_clock_with_a_bad_body_is_refused_in_the_control_plane_format() {
    let app = spawn_app().await;

    let response = app
        .post_json("/__sandbox/clock/advance", &json!({"minutes": 5}))
        .await;

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `minutes`"),
        "{body}"
    );
}

#[tokio::test]
async fn reset_forgets_the_journal_and_puts_the_clock_back() {
    let app = spawn_app().await;
    app.advance_clock(86_400).await;
    app.get("/softline/v1/order/1").await;
    assert!(!app.journal("").await.is_empty());

    let response = app
        .client
        .post(app.url("/__sandbox/reset"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert!(app.journal("").await.is_empty());
    assert_eq!(
        app.get_json("/__sandbox/clock", 200).await["offset_seconds"],
        0
    );
}

#[tokio::test]
async fn the_journal_keeps_its_configured_capacity_and_masks_secrets() {
    let app = spawn_app_with(test_settings_with_capacity(5)).await;

    for i in 0..8 {
        app.client
            .post(app.url(&format!("/softline/v1/order/{i}")))
            .header("Authorization", "Bearer sandbox-token")
            .header(
                "Sign",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            )
            .json(&json!({"username": "sandbox", "password": "sandbox-password"}))
            .send()
            .await
            .unwrap();
    }
    let entries = app.journal("provider=softline").await;

    assert_eq!(entries.len(), 5, "capacity 5");
    let urls: Vec<&str> = entries.iter().map(|e| e["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "/softline/v1/order/3",
            "/softline/v1/order/4",
            "/softline/v1/order/5",
            "/softline/v1/order/6",
            "/softline/v1/order/7"
        ]
    );
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains("sandbox-token"), "token leaked: {text}");
    assert!(!text.contains("sandbox-password"), "password leaked");
    assert!(
        !text.contains("e3b0c44298fc1c149afbf4c8996fb924"),
        "signature leaked"
    );
    let headers = entries[0]["request"]["headers"].as_array().unwrap();
    assert!(
        headers.contains(&json!(["authorization", "Bearer ****"])),
        "{headers:?}"
    );
}

#[tokio::test]
async fn the_journal_filters_by_provider_and_limit() {
    let app = spawn_app().await;
    app.get("/softline/v1/order/1").await;
    app.get("/intellectmoney/merchant/nothing").await;
    app.get("/softline/v1/order/2").await;

    let softline = app.journal("provider=softline").await;
    let latest = app.journal("limit=1").await;

    assert_eq!(softline.len(), 2);
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0]["url"], "/softline/v1/order/2");
}

#[tokio::test]
async fn control_plane_and_dashboard_requests_are_not_journaled() {
    let app = spawn_app().await;

    app.get("/").await;
    app.get("/__sandbox/clock").await;
    app.get("/healthz").await;

    assert!(app.journal("").await.is_empty());
}

#[tokio::test]
async fn the_dashboard_renders_with_the_public_url_and_test_cards() {
    let app = spawn_app().await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.unwrap();
    // The URL may wrap at its separators (`<wbr>`), never inside a word.
    assert!(
        html.replace("<wbr>", "")
            .contains(&format!("<code>{}/softline</code>", app.address)),
        "{html}"
    );
    assert!(html.contains("4000 0000 0000 3220"));
    let css = app.get("/assets/paysandbox.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

fn test_settings_with_capacity(capacity: usize) -> paysandbox::Settings {
    paysandbox::Settings {
        journal_capacity: capacity,
        ..test_settings()
    }
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_the_control_plane() {
    let app = spawn_app().await;

    let doc = app.get_json("/__sandbox/openapi.json", 200).await;

    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/healthz",
        "/__sandbox/reset",
        "/__sandbox/clock",
        "/__sandbox/clock/advance",
        "/__sandbox/journal",
        "/__sandbox/webhooks",
        "/__sandbox/webhooks/{id}/redeliver",
        "/__sandbox/scenarios",
        "/__sandbox/scenarios/catalogue",
        "/__sandbox/openapi.json",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

#[tokio::test]
async fn arming_an_unknown_scenario_is_refused_with_a_pointer_to_the_catalogue() {
    let app = spawn_app().await;

    let response = app
        .post_json(
            "/__sandbox/scenarios",
            &json!({"id": "softline.nope", "times": 1}),
        )
        .await;

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "no scenario \"softline.nope\" in the catalogue (GET /__sandbox/scenarios/catalogue)"
    );
}

#[tokio::test]
async fn an_unknown_scenario_in_the_header_is_refused_in_the_provider_envelope() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/softline/v1/payment"))
        .header("X-Sandbox-Scenario", "softline.create_payment.6091")
        .json(&json!({}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"errors": [{"error": 400, "message": "Unknown X-Sandbox-Scenario \"softline.create_payment.6091\": see GET /__sandbox/scenarios/catalogue."}]})
    );
}
