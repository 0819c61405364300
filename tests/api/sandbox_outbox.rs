//! The webhook outbox: attempts, retries on the sandbox clock, giving up.

use std::time::Duration;

use bytes::Bytes;
use paysandbox::core::outbox::{Acceptance, DeliveryOutcome, DeliveryState, NewDelivery};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{receiver_answering, spawn_app, spawn_app_with, test_settings, wait_for};

fn delivery(url: String, retry_schedule: Vec<u64>) -> NewDelivery {
    NewDelivery {
        provider: "softline",
        event: "order.created".to_owned(),
        url,
        content_type: "application/json".to_owned(),
        headers: vec![("signature".to_owned(), "abc".to_owned())],
        body: Bytes::from_static(br#"{"event":"order.created"}"#),
        retry_schedule,
        acceptance: Acceptance::AnySuccess,
        objects: vec!["5000001".to_owned()],
        not_before: None,
        signature: None,
        signature_base: None,
    }
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_schedule_until_it_accepts_then_never_again() {
    let app = spawn_app().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .and(header("signature", "abc"))
        .and(body_string(r#"{"event":"order.created"}"#))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let id = app.state.core.outbox.enqueue(delivery(
        format!("{}/hook", receiver.uri()),
        vec![10, 60, 300],
    ));

    let first = app.deliver_pending_webhooks().await;
    app.advance_clock(9).await;
    let too_early = app.deliver_pending_webhooks().await;
    app.advance_clock(1).await;
    let second = app.deliver_pending_webhooks().await;
    app.advance_clock(60).await;
    let third = app.deliver_pending_webhooks().await;
    app.advance_clock(100_000).await;
    let after_success = app.deliver_pending_webhooks().await;

    assert_eq!(first, [DeliveryOutcome::Retried(id)]);
    assert!(too_early.is_empty(), "the retry is not due before 10 s");
    assert_eq!(second, [DeliveryOutcome::Retried(id)]);
    assert_eq!(third, [DeliveryOutcome::Delivered(id)]);
    assert!(after_success.is_empty());
    let stored = app.state.core.outbox.get(id).unwrap();
    assert_eq!(stored.state, DeliveryState::Delivered);
    let statuses: Vec<Option<u16>> = stored.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    assert_eq!(receiver.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn the_outbox_gives_up_when_the_schedule_runs_out_and_says_why() {
    let app = spawn_app().await;
    let receiver = receiver_answering(ResponseTemplate::new(503)).await;
    let id = app
        .state
        .core
        .outbox
        .enqueue(delivery(receiver.uri(), vec![10]));

    app.deliver_pending_webhooks().await;
    app.advance_clock(10).await;
    let last = app.deliver_pending_webhooks().await;

    assert_eq!(last, [DeliveryOutcome::GaveUp(id)]);
    let stored = app.state.core.outbox.get(id).unwrap();
    assert_eq!(
        stored.state,
        DeliveryState::GaveUp {
            reason: "HTTP 503 is not a 2xx answer".to_owned()
        }
    );
}

#[tokio::test]
async fn every_attempt_is_in_the_journal_under_the_objects_it_concerns() {
    let app = spawn_app().await;
    let receiver = receiver_answering(ResponseTemplate::new(500).set_body_string("boom")).await;
    app.state
        .core
        .outbox
        .enqueue(delivery(receiver.uri(), vec![10]));

    app.deliver_pending_webhooks().await;
    let timeline = app.journal("object=5000001").await;

    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["kind"], "webhook");
    assert_eq!(timeline[0]["status"], 500);
    assert_eq!(timeline[0]["response"]["body"], "boom");
    assert!(
        timeline[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("order.created attempt 1: failed (HTTP 500"),
        "{}",
        timeline[0]["summary"]
    );
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_time_is_a_failed_attempt() {
    let app = spawn_app().await; // webhook timeout 2 s in tests
    let receiver =
        receiver_answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
    let id = app
        .state
        .core
        .outbox
        .enqueue(delivery(receiver.uri(), vec![10]));

    let outcome = app.deliver_pending_webhooks().await;

    assert_eq!(outcome, [DeliveryOutcome::Retried(id)]);
    let attempt = &app.state.core.outbox.get(id).unwrap().attempts[0];
    assert_eq!(attempt.status, None);
    assert_eq!(attempt.error.as_deref(), Some("no answer within 2000 ms"));
}

#[tokio::test]
async fn the_background_worker_retries_at_once_when_the_clock_is_advanced() {
    let settings = paysandbox::Settings {
        deliver_webhooks: true,
        ..test_settings()
    };
    let app = spawn_app_with(settings).await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let id = app
        .state
        .core
        .outbox
        .enqueue(delivery(receiver.uri(), vec![3600]));
    wait_for("the first attempt", async || {
        (app.state.core.outbox.get(id).unwrap().attempts.len() == 1).then_some(())
    })
    .await;

    app.advance_clock(3600).await;
    wait_for("the delivery", async || {
        (app.state.core.outbox.get(id).unwrap().state == DeliveryState::Delivered).then_some(())
    })
    .await;

    assert_eq!(receiver.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_delivery_can_be_redelivered_by_hand_after_giving_up() {
    let app = spawn_app().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let id = app
        .state
        .core
        .outbox
        .enqueue(delivery(receiver.uri(), vec![]));
    app.deliver_pending_webhooks().await;

    let response = app
        .client
        .post(app.url(&format!("/__sandbox/webhooks/{id}/redeliver")))
        .send()
        .await
        .unwrap();
    let outcome = app.deliver_pending_webhooks().await;

    assert_eq!(response.status(), 202);
    assert_eq!(outcome, [DeliveryOutcome::Delivered(id)]);
    let listed = app.get_json("/__sandbox/webhooks", 200).await;
    assert_eq!(listed["deliveries"][0]["state"], "delivered");
    assert_eq!(
        listed["deliveries"][0]["attempts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn redelivering_an_unknown_delivery_is_404() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/__sandbox/webhooks/999/redeliver"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
}

fn signed(url: String) -> NewDelivery {
    NewDelivery {
        signature: Some(paysandbox::core::outbox::SignatureSlot::Header(
            "signature".to_owned(),
        )),
        ..delivery(url, vec![10])
    }
}

#[tokio::test]
async fn a_redelivery_can_carry_a_deliberately_wrong_signature_once() {
    let app = spawn_app().await;
    let receiver = receiver_answering(ResponseTemplate::new(200)).await;
    let id = app.state.core.outbox.enqueue(signed(receiver.uri()));
    app.deliver_pending_webhooks().await;

    let response = app
        .client
        .post(app.url(&format!(
            "/__sandbox/webhooks/{id}/redeliver?bad_signature=true"
        )))
        .send()
        .await
        .unwrap();
    app.deliver_pending_webhooks().await;
    app.client
        .post(app.url(&format!("/__sandbox/webhooks/{id}/redeliver")))
        .send()
        .await
        .unwrap();
    app.deliver_pending_webhooks().await;

    assert_eq!(response.status(), 202);
    let signatures: Vec<String> = receiver
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.headers["signature"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(signatures, ["abc", "ab0", "abc"]);
    let attempts = app.state.core.outbox.get(id).unwrap().attempts;
    assert!(attempts[1].bad_signature && !attempts[2].bad_signature);
    let timeline = app.journal("object=5000001").await;
    assert!(
        timeline[1]["summary"]
            .as_str()
            .unwrap()
            .contains("sent with a deliberately wrong signature"),
        "{timeline:?}"
    );
}

#[tokio::test]
async fn an_outbound_bad_signature_fault_tampers_the_next_delivery() {
    let app = spawn_app().await;
    let receiver = receiver_answering(ResponseTemplate::new(200)).await;
    let added = app
        .post_json(
            "/__sandbox/faults",
            &serde_json::json!({"provider": "softline", "direction": "outbound", "bad_signature": true, "times": 1}),
        )
        .await;
    assert_eq!(added.status(), 201);

    app.state.core.outbox.enqueue(signed(receiver.uri()));
    app.state.core.outbox.enqueue(signed(receiver.uri()));
    app.deliver_pending_webhooks().await;

    let signatures: Vec<String> = receiver
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.headers["signature"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(signatures, ["ab0", "abc"]);
}

#[tokio::test]
async fn a_wrong_signature_for_an_unsigned_delivery_is_refused() {
    let app = spawn_app().await;
    let id = app
        .state
        .core
        .outbox
        .enqueue(delivery("http://127.0.0.1:9/".to_owned(), vec![]));

    let response = app
        .client
        .post(app.url(&format!(
            "/__sandbox/webhooks/{id}/redeliver?bad_signature=true"
        )))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 409);
}
