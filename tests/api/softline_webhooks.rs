//! Softline webhooks: body, signature, retries, configuration, and one
//! order's timeline in the journal.

use paysandbox::core::outbox::DeliveryOutcome;
use paysandbox::core::signature::sha512_hex;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{receiver_answering, spawn_app, with};
use crate::softline_support::{
    create_ok, minimal_payment, order, pay_with, received_events, webhook_receiver,
};

#[tokio::test]
async fn nothing_is_sent_or_queued_while_no_webhook_url_is_configured() {
    let app = spawn_app().await;

    let (_, payment_url) = create_ok(&app, &minimal_payment("NOHOOK-1")).await;
    pay_with(&app, &payment_url, "4111 1111 1111 1111").await;

    assert!(app.state.core.outbox.list().is_empty());
    let settings = app.get_json("/__sandbox/softline/webhook", 200).await;
    assert_eq!(
        settings,
        json!({"url": null, "secret": "sandbox-webhook-secret", "retry_seconds": [10, 60, 300, 1800, 7200]})
    );
}

#[tokio::test]
async fn order_created_is_delivered_with_the_documented_body_and_signature() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let request = with(minimal_payment("HOOK-1"), "/locale", json!("ru_RU"));
    let (order_id, payment_url) = create_ok(&app, &request).await;

    let outcomes = app.deliver_pending_webhooks().await;

    assert!(
        matches!(outcomes[..], [DeliveryOutcome::Delivered(_)]),
        "{outcomes:?}"
    );
    let requests = receiver.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(request.url.path(), "/hook");
    assert_eq!(request.headers["content-type"], "application/json");
    let mut body: Value = serde_json::from_slice(&request.body).unwrap();
    let create_date = body["create_date"].as_str().unwrap().to_owned();
    let expected_signature = sha512_hex(&format!(
        "sandbox-webhook-secret;order.created;{order_id};{create_date};CreditCard;RUB;customer@gmail.com"
    ));
    assert_eq!(
        request.headers["signature"].to_str().unwrap(),
        expected_signature
    );
    assert_eq!(body["event_date"], body["create_date"]);
    body["event_date"] = Value::Null;
    body["create_date"] = Value::Null;
    assert_eq!(
        body,
        json!({
            "event": "order.created",
            "event_date": null,
            "order_id": order_id,
            "order_name": format!("A{order_id:010}"),
            "status": "not paid",
            "external_id": "HOOK-1",
            "create_date": null,
            "pay_date": "",
            "currency": "RUB",
            "locale": "ru_RU",
            "recurring_indicator": false,
            "order_detail_url": payment_url.split('?').next().unwrap(),
            "customer": {
                "country": "RU", "type": "physical", "email": "customer@gmail.com",
                "first_name": "Иван", "last_name": "Петров", "phone": "", "vat_number": "",
                "company_name": "", "company_billing_address": "", "company_delivery_address": ""
            },
            "payment": {
                "payment_method": "CreditCard", "payment_system_name": "Bank Card", "card_type": "",
                "card_last_4": null, "card_expiration_date": "", "is_card_expired": false,
                "is_installment_payment": false
            },
            "document_part": "1-of-1"
        })
    );
    let raw = String::from_utf8(request.body.clone()).unwrap();
    let markers = [
        "{\"event\":",
        ",\"event_date\":",
        ",\"order_id\":",
        ",\"order_name\":",
        ",\"status\":",
        ",\"external_id\":",
        ",\"create_date\":",
        ",\"pay_date\":",
        ",\"currency\":",
        ",\"locale\":",
        ",\"recurring_indicator\":",
        ",\"order_detail_url\":",
        ",\"customer\":{",
        "},\"payment\":{",
        "},\"document_part\":\"1-of-1\"}",
    ];
    let positions: Vec<usize> = markers
        .iter()
        .map(|m| raw.find(m).unwrap_or_else(|| panic!("{m} in {raw}")))
        .collect();
    assert!(positions.is_sorted(), "the documented order: {raw}");
    assert!(
        raw.contains("\"first_name\":\"Иван\""),
        "UTF-8, not escaped"
    );
}

#[tokio::test]
async fn the_signature_follows_a_secret_set_through_the_control_plane() {
    let app = spawn_app().await;
    let receiver = receiver_answering(ResponseTemplate::new(204)).await;
    let put = app
        .client
        .put(app.url("/__sandbox/softline/webhook"))
        .json(&json!({"url": receiver.uri(), "secret": "secret_key"}))
        .send()
        .await
        .unwrap();
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("HOOK-2")).await;
    pay_with(&app, &payment_url, "4111 1111 1111 1111").await;

    app.deliver_pending_webhooks().await;

    assert_eq!(put.status(), 200);
    let requests = receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let paid: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(paid["event"], "order.payment.succeeded");
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payment"]["card_last_4"], "1111");
    let expected = sha512_hex(&format!(
        "secret_key;order.payment.succeeded;{order_id};{};CreditCard;RUB;customer@gmail.com",
        paid["create_date"].as_str().unwrap()
    ));
    assert_eq!(requests[1].headers["signature"].to_str().unwrap(), expected);
}

#[tokio::test]
async fn a_receiver_answering_non_2xx_gets_the_webhook_again_on_the_fixture_schedule() {
    let app = spawn_app().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    app.client
        .put(app.url("/__sandbox/softline/webhook"))
        .json(&json!({"url": receiver.uri()}))
        .send()
        .await
        .unwrap();
    create_ok(&app, &minimal_payment("RETRY-1")).await;

    let first = app.deliver_pending_webhooks().await;
    app.advance_clock(10).await;
    let second = app.deliver_pending_webhooks().await;
    app.advance_clock(59).await;
    let too_early = app.deliver_pending_webhooks().await;
    app.advance_clock(1).await;
    let third = app.deliver_pending_webhooks().await;

    assert!(
        matches!(first[..], [DeliveryOutcome::Retried(_)]),
        "{first:?}"
    );
    assert!(
        matches!(second[..], [DeliveryOutcome::Retried(_)]),
        "{second:?}"
    );
    assert!(too_early.is_empty());
    assert!(
        matches!(third[..], [DeliveryOutcome::Delivered(_)]),
        "{third:?}"
    );
    let requests = receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    assert!(
        requests.iter().all(|r| r.body == requests[0].body),
        "the same body each time"
    );
}

#[tokio::test]
async fn a_refund_sends_product_returned_with_status_deleted() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("RET-1")).await;
    pay_with(&app, &payment_url, "4111 1111 1111 1111").await;

    app.client
        .post(app.url(&format!("/__sandbox/softline/orders/{order_id}/refund")))
        .send()
        .await
        .unwrap();
    app.deliver_pending_webhooks().await;

    let last = received_events(&receiver).await.pop().unwrap();
    assert_eq!(last["event"], "product.returned");
    assert_eq!(last["status"], "deleted");
}

#[tokio::test]
async fn a_bad_webhook_configuration_is_refused_and_null_stops_sending() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;

    let relative = app
        .client
        .put(app.url("/__sandbox/softline/webhook"))
        .json(&json!({"url": "/hook"}))
        .send()
        .await
        .unwrap();
    let empty_secret = app
        .client
        .put(app.url("/__sandbox/softline/webhook"))
        .json(&json!({"url": receiver.uri(), "secret": ""}))
        .send()
        .await
        .unwrap();
    let unset = app
        .client
        .put(app.url("/__sandbox/softline/webhook"))
        .json(&json!({"url": null}))
        .send()
        .await
        .unwrap();
    create_ok(&app, &minimal_payment("OFF-1")).await;

    assert_eq!(relative.status(), 400);
    let body: Value = relative.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "url: \"/hook\" is not an absolute http(s) URL"
    );
    assert_eq!(empty_secret.status(), 400);
    assert_eq!(unset.status(), 200);
    assert!(app.state.core.outbox.list().is_empty());
}

#[tokio::test]
async fn one_orders_timeline_shows_its_creation_form_view_payment_and_webhook_attempt() {
    let app = spawn_app().await;
    webhook_receiver(&app, 200).await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("LINE-1")).await;
    app.client.get(&payment_url).send().await.unwrap();
    pay_with(&app, &payment_url, "4111 1111 1111 1111").await;
    app.deliver_pending_webhooks().await;
    order(&app, order_id).await;

    let timeline = app.journal(&format!("object={order_id}")).await;

    let lines: Vec<String> = timeline
        .iter()
        .map(|e| {
            let kind = e["kind"].as_str().unwrap();
            let what = match (
                e["method"].as_str(),
                e["url"].as_str(),
                e["summary"].as_str(),
            ) {
                (_, _, Some(summary)) => summary.to_owned(),
                (Some(method), Some(url), None) => {
                    let path = url.split('?').next().unwrap().replace(&app.address, "");
                    let path = path.replace(&payment_url.replace(&app.address, ""), "{form}");
                    format!("{method} {path} {}", e["status"])
                }
                _ => String::new(),
            };
            format!("{kind}: {what}")
        })
        .collect();
    assert_eq!(
        lines,
        [
            format!("inbound: payment {order_id} created: 112.50 RUB (not paid)"),
            "inbound: GET {form} 200".to_owned(),
            "inbound: POST {form}/card 303".to_owned(),
            "transition: not paid → paid (card payment on the hosted form)".to_owned(),
            "webhook: order.created attempt 1: delivered".to_owned(),
            "webhook: order.payment.succeeded attempt 1: delivered".to_owned(),
            format!("inbound: GET /softline/v1/order/{order_id} 200"),
        ]
    );
}
