//! Result notifications on every status change, their hash verified here
//! from the received form, retries until the merchant answers exactly `OK`,
//! and the control-plane moves (capture, cancel, refund) that cause them.

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{TestApp, receiver, spawn_app};
use crate::intellectmoney_support::*;

/// The forms the receiver got, in order.
async fn received(server: &MockServer) -> Vec<Vec<(String, String)>> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_urlencoded::from_bytes(&r.body).unwrap())
        .collect()
}

async fn invoice_with_result_url(
    app: &TestApp,
    server: &MockServer,
    order: &str,
    extra: &[(&str, &str)],
) -> u64 {
    let url = format!("{}/result", server.uri());
    let mut all = vec![("resultUrl", url.as_str())];
    all.extend_from_slice(extra);
    create_invoice(app, order, &all).await
}

async fn control(
    app: &TestApp,
    invoice: u64,
    action: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(&format!(
        "/__sandbox/intellectmoney/invoices/{invoice}/{action}"
    )));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn creating_an_invoice_notifies_status_3_with_a_hash_the_merchant_can_verify() {
    // Arrange
    let app = spawn_app().await;
    let server = receiver().await;
    let invoice = invoice_with_result_url(
        &app,
        &server,
        "N-1",
        &[("userField_0", "курьер"), ("userFieldName_0", "Доставка")],
    )
    .await;

    // Act
    let outcomes = app.deliver_pending_webhooks().await;
    let forms = received(&server).await;

    // Assert
    assert_eq!(outcomes.len(), 1);
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.headers["content-type"],
        "application/x-www-form-urlencoded; charset=utf-8"
    );
    let form = &forms[0];
    assert_eq!(form_field(form, "eshopId"), "450000");
    assert_eq!(form_field(form, "paymentId"), invoice.to_string());
    assert_eq!(form_field(form, "orderId"), "N-1");
    assert_eq!(form_field(form, "eshopAccount"), "4500000001");
    assert_eq!(form_field(form, "serviceName"), "Заказ в тестовом магазине");
    assert_eq!(form_field(form, "recipientAmount"), "10.00");
    assert_eq!(form_field(form, "recipientOriginalAmount"), "10.00");
    assert_eq!(form_field(form, "recipientCurrency"), "RUB");
    assert_eq!(form_field(form, "paymentStatus"), "3");
    assert_eq!(form_field(form, "userName"), "Иван Петров");
    assert_eq!(form_field(form, "userEmail"), "buyer@example.com");
    let date = form_field(form, "paymentData");
    assert!(
        date.len() == 19 && date.as_bytes()[4] == b'-' && date.as_bytes()[10] == b' ',
        "{date}"
    );
    assert_eq!(form_field(form, "UserField_0"), "курьер");
    assert_eq!(form_field(form, "UserFieldName_0"), "Доставка");
    assert_eq!(
        form_field(form, "secretKey"),
        "",
        "the shop does not send its key"
    );
    assert_eq!(form_field(form, "hash"), merchant_hash(form, SECRET_KEY));
}

#[tokio::test]
async fn a_paid_bnpl_invoice_notifies_status_5_with_its_payment() {
    let app = spawn_app().await;
    let server = receiver().await;
    let invoice = invoice_with_result_url(&app, &server, "N-BNPL", &[]).await;
    pay(&app, "bnplPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;

    app.post_form(&format!("/intellectmoney/paylate/{invoice}/approve"), &[])
        .await;
    app.deliver_pending_webhooks().await;
    let forms = received(&server).await;

    let statuses: Vec<&str> = forms
        .iter()
        .map(|f| form_field(f, "paymentStatus"))
        .collect();
    assert_eq!(statuses, ["3", "5"]);
    let paid = &forms[1];
    assert_eq!(form_field(paid, "payMethod"), "BNPL");
    assert_eq!(
        form_field(paid, "rrn"),
        poll(&app, invoice).await["Rrn"].as_str().unwrap()
    );
    assert_eq!(form_field(paid, "ipAddress"), "127.0.0.1");
    assert_eq!(form_field(paid, "hash"), merchant_hash(paid, SECRET_KEY));
}

#[tokio::test]
async fn a_declined_payment_changes_no_status_and_sends_nothing() {
    let app = spawn_app().await;
    let server = receiver().await;
    let invoice = invoice_with_result_url(&app, &server, "N-DECL", &[]).await;
    pay(
        &app,
        "bankCardPayment",
        invoice,
        &[("pan", "4000000000000002")],
    )
    .await;

    poll_until_settled(&app, invoice).await;
    app.deliver_pending_webhooks().await;

    let statuses: Vec<String> = received(&server)
        .await
        .iter()
        .map(|f| form_field(f, "paymentStatus").to_owned())
        .collect();
    assert_eq!(statuses, ["3"]);
}

#[tokio::test]
async fn a_notification_is_retried_until_the_merchant_answers_exactly_ok() {
    // Arrange: "ok", then "OK\n", then "OK".
    let app = spawn_app().await;
    let server = MockServer::start().await;
    for (priority, body) in [(1, "ok"), (2, "OK\n"), (3, "OK")] {
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .up_to_n_times(if priority == 3 { u64::MAX } else { 1 })
            .with_priority(priority)
            .mount(&server)
            .await;
    }
    let invoice = invoice_with_result_url(&app, &server, "N-RETRY", &[]).await;

    // Act: the fixture's schedule waits 60 s, then 300 s.
    let first = app.deliver_pending_webhooks().await;
    let too_early = app.deliver_pending_webhooks().await;
    app.advance_clock(60).await;
    let second = app.deliver_pending_webhooks().await;
    app.advance_clock(300).await;
    let third = app.deliver_pending_webhooks().await;

    // Assert
    use paysandbox::core::outbox::DeliveryOutcome::*;
    assert!(matches!(first[..], [Retried(_)]), "{first:?}");
    assert!(too_early.is_empty());
    assert!(matches!(second[..], [Retried(_)]), "{second:?}");
    assert!(matches!(third[..], [Delivered(_)]), "{third:?}");
    let attempts = app.journal(&format!("object={invoice}&kind=webhook")).await;
    assert_eq!(attempts.len(), 3, "every attempt is in the journal");
    let bodies: Vec<String> = received(&server)
        .await
        .iter()
        .map(|f| form_field(f, "hash").to_owned())
        .collect();
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "the same notification each time"
    );
}

#[tokio::test]
async fn hold_then_capture_notifies_6_then_5() {
    let app = spawn_app().await;
    let server = receiver().await;
    let invoice = invoice_with_result_url(
        &app,
        &server,
        "N-HOLD",
        &[("holdMode", "1"), ("holdTime", "24")],
    )
    .await;
    pay(&app, "bankCardPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;

    let held = app
        .get_json(
            &format!("/__sandbox/intellectmoney/invoices/{invoice}"),
            200,
        )
        .await;
    let captured = control(&app, invoice, "capture", None).await;
    let captured_status = captured.status();
    let captured: Value = captured.json().await.unwrap();
    let again = control(&app, invoice, "capture", None).await;
    app.deliver_pending_webhooks().await;

    assert_eq!(held["status"], 6);
    assert_eq!(captured_status, 200);
    assert_eq!(captured["status"], 5);
    assert_eq!(again.status(), 409);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["error"]["code"], "conflict");
    let statuses: Vec<String> = received(&server)
        .await
        .iter()
        .map(|f| form_field(f, "paymentStatus").to_owned())
        .collect();
    assert_eq!(statuses, ["3", "6", "5"]);
}

#[tokio::test]
async fn a_hold_past_its_hold_time_is_released_and_notified_as_4() {
    let app = spawn_app().await;
    let server = receiver().await;
    let invoice = invoice_with_result_url(
        &app,
        &server,
        "N-HOLD-2",
        &[("holdMode", "1"), ("holdTime", "1")],
    )
    .await;
    pay(&app, "bankCardPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;

    app.advance_clock(3601).await;
    let after = app
        .get_json(
            &format!("/__sandbox/intellectmoney/invoices/{invoice}"),
            200,
        )
        .await;
    app.deliver_pending_webhooks().await;

    assert_eq!(after["status"], 4);
    let statuses: Vec<String> = received(&server)
        .await
        .iter()
        .map(|f| form_field(f, "paymentStatus").to_owned())
        .collect();
    assert_eq!(statuses, ["3", "6", "4"]);
}

#[tokio::test]
async fn a_refund_notifies_8_with_the_refunded_amount() {
    let app = spawn_app().await;
    let server = receiver().await;
    let invoice = invoice_with_result_url(&app, &server, "N-REFUND", &[]).await;
    pay(&app, "bankCardPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;

    let too_much = control(&app, invoice, "refund", Some(json!({"amount": "10.01"}))).await;
    let refunded = control(&app, invoice, "refund", Some(json!({"amount": "4.00"}))).await;
    let refunded_status = refunded.status();
    let refunded: Value = refunded.json().await.unwrap();
    app.deliver_pending_webhooks().await;

    assert_eq!(too_much.status(), 409);
    assert_eq!(refunded_status, 200);
    assert_eq!(refunded["status"], 8);
    assert_eq!(refunded["refund_amount"], "4.00");
    let forms = received(&server).await;
    let last = forms.last().unwrap();
    assert_eq!(form_field(last, "paymentStatus"), "8");
    assert_eq!(form_field(last, "refundAmount"), "4.00");
    assert_eq!(form_field(last, "payMethod"), "Acquiring");
    assert_eq!(form_field(last, "shortPan"), "411111******1111");
    assert_eq!(form_field(last, "hash"), merchant_hash(last, SECRET_KEY));
}

#[tokio::test]
async fn cancelling_an_unpaid_invoice_notifies_4_and_it_cannot_be_paid() {
    let app = spawn_app().await;
    let server = receiver().await;
    let invoice = invoice_with_result_url(&app, &server, "N-CANCEL", &[]).await;

    let cancelled = control(&app, invoice, "cancel", None).await;
    let paid = pay(&app, "bnplPayment", invoice, &[]).await;
    let refund = control(&app, invoice, "refund", None).await;
    app.deliver_pending_webhooks().await;

    assert_eq!(cancelled.status(), 200);
    assert_eq!(
        paid["Result"]["State"]["Desc"],
        "Операция недоступна: счёт аннулирован"
    );
    assert_eq!(refund.status(), 409);
    let statuses: Vec<String> = received(&server)
        .await
        .iter()
        .map(|f| form_field(f, "paymentStatus").to_owned())
        .collect();
    assert_eq!(statuses, ["3", "4"]);
}

#[tokio::test]
async fn an_invoice_past_its_expire_date_is_cancelled_and_notified_at_the_next_request() {
    let app = spawn_app().await;
    let server = receiver().await;
    let invoice = invoice_with_result_url(&app, &server, "N-EXP", &[]).await;
    app.advance_clock(181 * 24 * 3600).await;

    let result = poll(&app, invoice).await;
    app.deliver_pending_webhooks().await;

    assert_eq!(result["PaymentStep"], "Error");
    let forms = received(&server).await;
    let statuses: Vec<&str> = forms
        .iter()
        .map(|f| form_field(f, "paymentStatus"))
        .collect();
    assert_eq!(statuses, ["3", "4"]);
}

#[tokio::test]
async fn control_plane_actions_on_an_unknown_invoice_are_404() {
    let app = spawn_app().await;

    let response = control(&app, 3999999999, "capture", None).await;

    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn without_any_result_url_no_notification_is_queued_and_the_journal_says_why() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "N-NONE", &[]).await;

    let outcomes = app.deliver_pending_webhooks().await;
    let events = app.journal(&format!("object={invoice}&kind=event")).await;

    assert!(outcomes.is_empty());
    assert!(
        events[0]["summary"]
            .as_str()
            .unwrap()
            .contains("no ResultUrl"),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_clock_advance_past_the_expiry_notifies_4_without_the_merchant_asking() {
    // Arrange
    let app = spawn_app().await;
    let server = receiver().await;
    invoice_with_result_url(&app, &server, "N-EXPIRED", &[]).await;

    // Act: no request about the invoice after the advance.
    app.advance_clock(200 * 24 * 3600).await;
    app.deliver_pending_webhooks().await;

    // Assert
    let statuses: Vec<String> = received(&server)
        .await
        .iter()
        .map(|f| form_field(f, "paymentStatus").to_owned())
        .collect();
    assert_eq!(statuses, ["3", "4"]);
}
