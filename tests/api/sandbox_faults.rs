//! Transport faults and metrics: a flaky network on purpose, and counters
//! that show it.

use std::time::{Duration, Instant};

use bytes::Bytes;
use paysandbox::core::outbox::{Acceptance, DeliveryOutcome, NewDelivery};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::helpers::{receiver_answering, spawn_app};

#[tokio::test]
async fn a_status_fault_answers_the_bare_status_for_n_requests_then_stops() {
    let app = spawn_app().await;
    let added = app
        .post_json(
            "/__sandbox/faults",
            &json!({"provider": "softline", "path": "/v1/order", "status": 503, "times": 2}),
        )
        .await;
    assert_eq!(added.status(), 201);

    let statuses = [
        app.get("/softline/v1/order/1").await,
        app.get("/softline/v1/order/2").await,
        app.get("/softline/v1/order/3").await,
    ];

    assert_eq!(statuses[0].status(), 503);
    assert_eq!(statuses[1].status(), 503);
    assert_ne!(statuses[2].status(), 503);
    let faults = app.get_json("/__sandbox/faults", 200).await;
    assert_eq!(faults["faults"], json!([]));
}

#[tokio::test]
async fn a_fault_only_hits_its_provider_path_and_method() {
    let app = spawn_app().await;
    app.post_json(
        "/__sandbox/faults",
        &json!({"provider": "softline", "path": "/v1/payment", "method": "POST", "status": 500}),
    )
    .await;

    let other_method = app.get("/softline/v1/payment").await;
    let other_path = app
        .client
        .post(app.url("/softline/v1/login_check"))
        .send()
        .await
        .unwrap();
    let other_provider = app
        .client
        .post(app.url("/intellectmoney/v1/payment"))
        .send()
        .await
        .unwrap();
    let hit = app
        .client
        .post(app.url("/softline/v1/payment"))
        .send()
        .await
        .unwrap();

    assert_ne!(other_method.status(), 500);
    assert_ne!(other_path.status(), 500);
    assert_ne!(other_provider.status(), 500);
    assert_eq!(hit.status(), 500);
    assert!(
        hit.bytes().await.unwrap().is_empty(),
        "a bare status has no body"
    );
}

#[tokio::test]
async fn a_latency_fault_delays_the_answer() {
    let app = spawn_app().await;
    app.post_json(
        "/__sandbox/faults",
        &json!({"provider": "softline", "latency_ms": 300, "times": 1}),
    )
    .await;

    let started = Instant::now();
    app.get("/softline/v1/order/1").await;
    let delayed = started.elapsed();
    let started = Instant::now();
    app.get("/softline/v1/order/1").await;
    let undelayed = started.elapsed();

    assert!(delayed >= Duration::from_millis(300), "{delayed:?}");
    assert!(undelayed < Duration::from_millis(300), "{undelayed:?}");
}

#[tokio::test]
async fn a_drop_fault_closes_the_connection_without_an_answer() {
    let app = spawn_app().await;
    app.post_json(
        "/__sandbox/faults",
        &json!({"provider": "imshop", "drop": true, "times": 1}),
    )
    .await;

    let dropped = app.client.post(app.url("/imshop/sync")).send().await;

    let err = match dropped {
        Ok(response) => response.bytes().await.expect_err("no complete answer"),
        Err(err) => err,
    };
    assert!(
        err.is_request() || err.is_body() || err.is_decode(),
        "{err:?}"
    );
    let journal = app.journal("provider=imshop").await;
    assert_eq!(journal[0]["summary"], "connection dropped (fault injected)");
}

#[tokio::test]
async fn an_outbound_fault_fails_the_next_webhook_deliveries_so_retries_show() {
    let app = spawn_app().await;
    let receiver = receiver_answering(ResponseTemplate::new(200)).await;
    app.post_json(
        "/__sandbox/faults",
        &json!({"provider": "softline", "direction": "outbound", "status": 500, "times": 1}),
    )
    .await;
    let id = app.state.core.outbox.enqueue(NewDelivery {
        provider: "softline",
        event: "order.created".to_owned(),
        url: receiver.uri(),
        content_type: "application/json".to_owned(),
        headers: vec![],
        body: Bytes::from_static(b"{}"),
        retry_schedule: vec![10],
        acceptance: Acceptance::AnySuccess,
        objects: vec![],
        not_before: None,
        signature: None,
        signature_base: None,
    });

    let first = app.deliver_pending_webhooks().await;
    app.advance_clock(10).await;
    let second = app.deliver_pending_webhooks().await;

    assert_eq!(first, [DeliveryOutcome::Retried(id)]);
    assert_eq!(second, [DeliveryOutcome::Delivered(id)]);
    assert_eq!(
        receiver.received_requests().await.unwrap().len(),
        1,
        "the faulted attempt never reached the receiver"
    );
}

#[tokio::test]
async fn invalid_faults_are_refused_in_the_control_plane_format() {
    let app = spawn_app().await;

    let response = app
        .post_json(
            "/__sandbox/faults",
            &json!({"provider": "softline", "status": 500, "drop": true}),
        )
        .await;

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "status and drop exclude each other"
    );
}

#[tokio::test]
async fn reset_removes_faults() {
    let app = spawn_app().await;
    app.post_json(
        "/__sandbox/faults",
        &json!({"provider": "softline", "status": 500}),
    )
    .await;

    app.client
        .post(app.url("/__sandbox/reset"))
        .send()
        .await
        .unwrap();

    assert_ne!(app.get("/softline/v1/order/1").await.status(), 500);
}

#[tokio::test]
async fn metrics_count_requests_by_provider_route_and_status() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/healthz").await;

    let text = app.get("/metrics").await.text().await.unwrap();

    assert!(
        text.contains(r#"paysandbox_http_requests_total{provider="sandbox",route="/healthz",method="GET",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"paysandbox_stored{kind="journal_capacity"} 10000"#),
        "{text}"
    );
    assert!(text.contains("paysandbox_http_request_duration_seconds_bucket"));
}
