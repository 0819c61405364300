//! `POST /softline/v1/payment/recurring`: the asynchronous charge and each
//! refusal.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, with};
use crate::softline_support::{
    api_post, assert_errors, create_ok, minimal_payment, order, pay_with, received_events,
    webhook_receiver,
};

/// A `recurring_indicator: true` parent, paid with a Visa card.
async fn paid_parent(app: &TestApp) -> u64 {
    let body = with(
        minimal_payment("PARENT-1"),
        "/recurring_indicator",
        json!(true),
    );
    let (order_id, payment_url) = create_ok(app, &body).await;
    let response = pay_with(app, &payment_url, "4111 1111 1111 1111").await;
    assert_eq!(response.status(), 303, "parent paid");
    order_id
}

fn charge(parent: u64) -> Value {
    json!({"parent_order_id": parent, "payment_id": "AUTO-1", "currency": "RUB", "amount": "99.90"})
}

async fn recurring(app: &TestApp, body: &Value) -> reqwest::Response {
    api_post(app, "/softline/v1/payment/recurring", body).await
}

#[tokio::test]
async fn a_recurring_charge_is_not_paid_at_first_and_paid_after_the_delay_with_the_parents_card() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let parent = paid_parent(&app).await;

    let response = recurring(&app, &charge(parent)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let child = body["order_id"].as_u64().unwrap();
    let at_first = order(&app, child).await;
    app.deliver_pending_webhooks().await;
    let before_due = received_events(&receiver).await.len();
    app.advance_clock(5).await;
    app.deliver_pending_webhooks().await;
    let after = order(&app, child).await;

    assert_eq!(body, json!({"order_id": child}));
    assert_ne!(child, parent);
    assert_eq!(at_first["status"], "not paid");
    assert_eq!(at_first["amount"], "99.90");
    assert_eq!(at_first["external_id"], "AUTO-1");
    assert_eq!(at_first["payment_description"], "Payment AUTO-1");
    assert_eq!(after["status"], "paid");
    assert_eq!(after["payment"]["card_type"], "Visa");
    assert_eq!(after["payment"]["card_last_4"], "1111");
    let events = received_events(&receiver).await;
    let names: Vec<(&str, u64)> = events
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["order_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        before_due, 3,
        "parent created and paid, child created; the result waits"
    );
    assert_eq!(
        names,
        [
            ("order.created", parent),
            ("order.payment.succeeded", parent),
            ("order.created", child),
            ("order.payment.succeeded", child),
        ]
    );
    assert_eq!(events[3]["status"], "paid");
    assert_eq!(events[3]["pay_date"], after["pay_date"]);
}

#[tokio::test]
async fn the_charge_amount_may_be_a_json_number() {
    let app = spawn_app().await;
    let parent = paid_parent(&app).await;

    let response = recurring(&app, &with(charge(parent), "/amount", json!(15.5))).await;

    assert_eq!(response.status(), 200);
    let child = response.json::<Value>().await.unwrap()["order_id"]
        .as_u64()
        .unwrap();
    assert_eq!(order(&app, child).await["amount"], "15.50");
}

#[tokio::test]
async fn a_parent_that_is_unknown_not_recurring_or_not_paid_answers_6010_parent_order_id() {
    let app = spawn_app().await;
    let (one_off, one_off_url) = create_ok(&app, &minimal_payment("ONCE-1")).await;
    pay_with(&app, &one_off_url, "4111 1111 1111 1111").await;
    let unpaid_body = with(
        minimal_payment("UNPAID-1"),
        "/recurring_indicator",
        json!(true),
    );
    let (unpaid, _) = create_ok(&app, &unpaid_body).await;

    for (parent, what) in [
        (5_999_999, "unknown"),
        (one_off, "not recurring"),
        (unpaid, "not paid"),
    ] {
        let response = recurring(&app, &charge(parent)).await;
        assert_eq!(response.status(), 400, "{what}");
        assert_errors(
            response,
            400,
            &[(6010, "Invalid field value: parent_order_id.")],
        )
        .await;
    }
}

#[tokio::test]
async fn a_currency_other_than_the_parents_answers_6010_currency() {
    let app = spawn_app().await;
    let parent = paid_parent(&app).await;

    let response = recurring(&app, &with(charge(parent), "/currency", json!("USD"))).await;

    assert_errors(response, 400, &[(6010, "Invalid field value: currency.")]).await;
}

#[tokio::test]
async fn a_zero_or_malformed_amount_answers_6010_amount() {
    let app = spawn_app().await;
    let parent = paid_parent(&app).await;

    for amount in [
        json!("0"),
        json!("0.00"),
        json!("-5"),
        json!("1.001"),
        json!(null),
    ] {
        let response = recurring(&app, &with(charge(parent), "/amount", amount.clone())).await;
        assert_errors(response, 400, &[(6010, "Invalid field value: amount.")]).await;
    }
}

#[tokio::test]
async fn a_payment_id_with_other_characters_answers_6010_payment_id() {
    let app = spawn_app().await;
    let parent = paid_parent(&app).await;

    let response = recurring(&app, &with(charge(parent), "/payment_id", json!("АВТО 1"))).await;

    assert_errors(response, 400, &[(6010, "Invalid field value: payment_id.")]).await;
}

#[tokio::test]
async fn several_refusals_are_returned_together() {
    let app = spawn_app().await;

    let response = recurring(
        &app,
        &json!({"parent_order_id": "x", "currency": "rub", "amount": 0, "x": 1}),
    )
    .await;

    assert_errors(
        response,
        400,
        &[
            (6010, "Invalid field value: parent_order_id."),
            (6010, "Invalid field value: payment_id."),
            (6010, "Invalid field value: currency."),
            (6010, "Invalid field value: amount."),
            (6010, "Invalid field value: x."),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_forced_decline_fails_the_charge_and_the_payment_stays_not_paid() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let parent = paid_parent(&app).await;

    let response = app
        .client
        .post(app.url("/softline/v1/payment/recurring"))
        .bearer_auth("sandbox-token")
        .header("X-Sandbox-Scenario", "softline.recurring.declined")
        .json(&charge(parent))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let child = response.json::<Value>().await.unwrap()["order_id"]
        .as_u64()
        .unwrap();
    app.advance_clock(60).await;
    app.deliver_pending_webhooks().await;

    assert_eq!(order(&app, child).await["status"], "not paid");
    let last = received_events(&receiver).await.pop().unwrap();
    assert_eq!(last["event"], "order.payment.failed");
    assert_eq!(last["order_id"], child);
    assert_eq!(last["status"], "not paid");
    let timeline = app.journal(&format!("object={child}&kind=event")).await;
    assert!(
        timeline
            .iter()
            .any(|e| e["summary"] == "recurring charge failed; the payment stays not paid"),
        "{timeline:?}"
    );
}
