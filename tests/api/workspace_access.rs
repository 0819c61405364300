//! Workspaces on a shared instance: the admin token and control keys, the
//! limit on their number, the idle TTL, fair webhook delivery between
//! them, a reset racing creates, and the OpenAPI document.

use std::time::{Duration, Instant};

use paysandbox::config::AdminToken;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::helpers::{
    TestApp, receiver, receiver_answering, spawn_app, spawn_app_with, test_settings,
};
use crate::softline_support::{create_ok_as, minimal_payment, pay_with};
use crate::workspaces_support::softline_token;

const ADMIN: &str = "admin-secret";

/// `POST /__sandbox/workspaces {"name"}` with `auth` as Bearer when given;
/// the raw answer.
async fn post_workspace(app: &TestApp, name: &str, auth: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/__sandbox/workspaces"))
        .json(&json!({ "name": name }));
    if let Some(secret) = auth {
        request = request.bearer_auth(secret);
    }
    request.send().await.unwrap()
}

async fn workspace(app: &TestApp, name: &str, auth: Option<&str>) -> Value {
    let response = post_workspace(app, name, auth).await;
    assert_eq!(response.status(), 201, "workspace {name} created");
    response.json().await.unwrap()
}

async fn get_with(app: &TestApp, path: &str, auth: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(secret) = auth {
        request = request.bearer_auth(secret);
    }
    request.send().await.unwrap()
}

/// A Softline create with `token`; `(order_id, payment_url)`.
async fn create_with(app: &TestApp, token: &str, payment_id: &str) -> (u64, String) {
    create_ok_as(app, token, &minimal_payment(payment_id)).await
}

async fn app_with_admin_token() -> TestApp {
    spawn_app_with(paysandbox::config::Settings {
        admin_token: Some(AdminToken(ADMIN.to_owned())),
        ..test_settings()
    })
    .await
}

#[tokio::test]
async fn with_an_admin_token_the_control_plane_without_it_is_401_in_its_envelope() {
    let app = app_with_admin_token().await;

    let create = post_workspace(&app, "qa", None).await;
    let clock = get_with(&app, "/__sandbox/clock", None).await;
    let wrong = get_with(&app, "/__sandbox/clock", Some("guess")).await;

    for response in [create, clock, wrong] {
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"paysandbox\""
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "unauthorized", "message": "this needs Authorization: Bearer with the admin token"}})
        );
    }
}

#[tokio::test]
async fn with_an_admin_token_a_workspace_s_control_key_opens_its_own_prefix_and_nothing_else() {
    let app = app_with_admin_token().await;
    let qa = workspace(&app, "qa", Some(ADMIN)).await;
    let dev = workspace(&app, "dev", Some(ADMIN)).await;
    let qa_key = qa["control_key"].as_str().unwrap();

    let own = get_with(&app, "/__sandbox/workspaces/qa/clock", Some(qa_key)).await;
    let neighbour = get_with(&app, "/__sandbox/workspaces/dev/clock", Some(qa_key)).await;
    let default = get_with(&app, "/__sandbox/clock", Some(qa_key)).await;
    let list = get_with(&app, "/__sandbox/workspaces", Some(qa_key)).await;
    let described = get_with(&app, "/__sandbox/workspaces/qa", Some(qa_key)).await;
    let admin = get_with(&app, "/__sandbox/workspaces/dev/clock", Some(ADMIN)).await;

    assert_eq!(own.status(), 200);
    assert_eq!(neighbour.status(), 401);
    assert_eq!(default.status(), 401);
    assert_eq!(list.status(), 401);
    assert_eq!(described.status(), 200);
    assert_eq!(admin.status(), 200);
    assert_ne!(qa_key, dev["control_key"].as_str().unwrap());
}

#[tokio::test]
async fn with_an_admin_token_provider_apis_pages_and_health_need_none_and_the_dashboard_asks_a_browser()
 {
    let app = app_with_admin_token().await;
    let qa = workspace(&app, "qa", Some(ADMIN)).await;

    let (_, payment_url) = create_with(&app, &softline_token(&qa), "ADMIN-1").await;
    let page = app.get(&payment_url).await;
    let health = app.get("/healthz").await;
    let dashboard = app.get("/").await;
    let with_password = app
        .client
        .get(app.url("/"))
        .basic_auth("anyone", Some(ADMIN))
        .send()
        .await
        .unwrap();

    assert_eq!(page.status(), 200);
    assert_eq!(health.status(), 200);
    assert_eq!(dashboard.status(), 401);
    assert_eq!(
        dashboard.headers()["www-authenticate"],
        "Basic realm=\"paysandbox\""
    );
    assert_eq!(with_password.status(), 200);
}

#[tokio::test]
async fn past_max_workspaces_a_create_is_429_and_a_delete_makes_room() {
    let app = spawn_app_with(paysandbox::config::Settings {
        max_workspaces: 2,
        ..test_settings()
    })
    .await;
    app.create_workspace("one").await;
    app.create_workspace("two").await;

    let refused = post_workspace(&app, "three", None).await;
    let status = refused.status();
    let body: Value = refused.json().await.unwrap();
    let deleted = app
        .client
        .delete(app.url("/__sandbox/workspaces/one"))
        .send()
        .await
        .unwrap();
    let after = post_workspace(&app, "three", None).await;

    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"error": {"code": "workspace_limit", "message": "2 workspaces exist, the most this instance keeps (--max-workspaces); delete one first"}})
    );
    assert_eq!(deleted.status(), 200);
    assert_eq!(after.status(), 201);
}

#[tokio::test]
async fn a_workspace_untouched_for_its_idle_ttl_is_dropped_and_default_stays() {
    let app = spawn_app_with(paysandbox::config::Settings {
        workspace_idle_ttl: Some(Duration::from_secs(1).into()),
        ..test_settings()
    })
    .await;
    let idle = app.create_workspace("idle").await;

    let started = Instant::now();
    let gone = loop {
        let response = app.get("/__sandbox/workspaces/idle").await;
        if response.status() == 404 || started.elapsed() > Duration::from_secs(10) {
            break response.status();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let refused = app
        .client
        .get(app.url("/softline/v1/order/1"))
        .bearer_auth(softline_token(&idle))
        .send()
        .await
        .unwrap();
    let default = app.get("/__sandbox/workspaces/default").await;

    assert_eq!(gone, 404);
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(refused.status(), 401, "its token is no one's now");
    assert_eq!(default.status(), 200);
}

#[tokio::test]
async fn a_workspace_whose_receiver_hangs_does_not_delay_another_s_webhooks() {
    let app = spawn_app_with(paysandbox::config::Settings {
        deliver_webhooks: true,
        webhook_timeout_ms: 30_000,
        webhook_concurrency: 4,
        ..test_settings()
    })
    .await;
    let hanging =
        receiver_answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(20))).await;
    let quick = receiver().await;
    let slow = app.create_workspace("slow").await;
    let fast = app.create_workspace("fast").await;
    for (name, target) in [("slow", &hanging), ("fast", &quick)] {
        let response = app
            .client
            .put(app.url(&format!("/__sandbox/workspaces/{name}/softline/webhook")))
            .json(&json!({ "url": format!("{}/hook", target.uri()) }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    // Enough paid payments in `slow` to take every slot its worker has.
    for n in 0..8 {
        let (_, url) = create_with(&app, &softline_token(&slow), &format!("SLOW-{n}")).await;
        pay_with(&app, &url, "4111111111111111").await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let (_, url) = create_with(&app, &softline_token(&fast), "FAST-1").await;
    pay_with(&app, &url, "4111111111111111").await;
    let delivered = loop {
        let got = quick.received_requests().await.unwrap();
        if !got.is_empty() || started.elapsed() > Duration::from_secs(10) {
            break got.len();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    assert!(delivered >= 1, "fast's webhook delivered");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "delivered in {:?}, not after slow's receiver",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_reset_racing_creates_keeps_every_create_sent_after_it_and_never_mixes_two_payments() {
    let app = std::sync::Arc::new(spawn_app().await);
    let ws = app.create_workspace("race").await;
    let token = &softline_token(&ws).to_owned();

    // Act: creates in flight, a reset among them, then more creates.
    let before: Vec<_> = (0..60)
        .map(|n| {
            let (app, token) = (std::sync::Arc::clone(&app), token.clone());
            tokio::spawn(async move { create_with(&app, &token, &format!("BEFORE-{n}")).await })
        })
        .collect();
    let reset = app
        .client
        .post(app.url("/__sandbox/workspaces/race/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let mut after = Vec::new();
    for n in 0..60 {
        after.push((n, create_with(&app, token, &format!("AFTER-{n}")).await));
    }
    let mut racing = Vec::new();
    for (n, task) in before.into_iter().enumerate() {
        racing.push((n, task.await.unwrap()));
    }

    // Assert: every create sent after the reset is kept as it was
    // answered; one in flight is kept as answered or forgotten whole.
    for (n, (order_id, _)) in &after {
        let order = order_with(&app, token, *order_id).await;
        assert_eq!(order.0, 200, "AFTER-{n} kept");
        assert_eq!(order.1["external_id"], format!("AFTER-{n}"));
    }
    for (n, (order_id, _)) in &racing {
        let (status, body) = order_with(&app, token, *order_id).await;
        assert!(status == 200 || status == 404, "BEFORE-{n}: {status}");
        if status == 200 {
            let payment_id = body["external_id"].as_str().unwrap();
            assert!(
                payment_id == format!("BEFORE-{n}") || payment_id.starts_with("AFTER-"),
                "order {order_id} holds {payment_id}, answered as BEFORE-{n}"
            );
        }
    }
}

async fn order_with(app: &TestApp, token: &str, order_id: u64) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(&format!("/softline/v1/order/{order_id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_openapi_document_covers_the_workspaces_and_each_control_path_under_a_workspace() {
    let app = spawn_app().await;

    let document = app.get_json("/__sandbox/openapi.json", 200).await;
    let paths = document["paths"].as_object().unwrap();

    assert!(paths["/__sandbox/workspaces"]["post"].is_object());
    assert!(paths["/__sandbox/workspaces"]["get"].is_object());
    assert!(paths["/__sandbox/workspaces/{name}"]["delete"].is_object());
    for path in [
        "clock",
        "clock/advance",
        "reset",
        "journal",
        "scenarios",
        "faults",
        "webhooks",
        "softline/webhook",
    ] {
        let scoped = &paths[&format!("/__sandbox/workspaces/{{name}}/{path}")];
        assert!(scoped.is_object(), "{path} under a workspace");
        let operation = scoped.as_object().unwrap().values().next().unwrap();
        assert_eq!(operation["parameters"][0]["name"], "name", "{path}");
        assert!(
            operation["operationId"]
                .as_str()
                .unwrap()
                .ends_with("_in_workspace"),
            "{path}"
        );
    }
}
