//! `GET /softline/v1/order/{id}`, `POST /softline/v1/order/search`, the
//! 90-day deletion and full refunds.

use serde_json::{Value, json};

use crate::helpers::{DAY, TestApp, spawn_app, with};
use crate::softline_support::{
    api_get, api_post, assert_errors, create_ok, minimal_payment, order, pay_with,
};

async fn search(app: &TestApp, filter: Value) -> Vec<u64> {
    let response = api_post(app, "/softline/v1/order/search", &filter).await;
    assert_eq!(response.status(), 200, "search {filter}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    body["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

async fn refund(app: &TestApp, order_id: u64) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/__sandbox/softline/orders/{order_id}/refund")))
        .send()
        .await
        .unwrap()
}

fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() == 25
        && b[4] == b'-'
        && b[10] == b'T'
        && text.ends_with("+03:00")
        && time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok()
}

#[tokio::test]
async fn an_order_is_described_as_the_webhooks_describe_it_plus_amount_and_description() {
    let app = spawn_app().await;
    let request = json!({
        "currency": "USD", "amount": "10.5", "return_success_url": "https://shop.com/ok",
        "payment_method": "CreditCard", "payment_id": "ORDER-1", "payment_description": "Подписка",
        "locale": "en_US", "recurring_indicator": true,
        "customer": {"email": "buyer@example.com", "first_name": "Ann", "last_name": "Lee",
                     "phone": "+15550100", "company_name": "Lee LLC", "kpp": "123456789"},
        "additional_data": {"referer7": "test"}
    });
    let (order_id, payment_url) = create_ok(&app, &request).await;

    let mut body = order(&app, order_id).await;

    let create_date = body["create_date"].take();
    assert!(is_timestamp(create_date.as_str().unwrap()), "{create_date}");
    assert_eq!(
        body,
        json!({
            "order_id": order_id,
            "order_name": format!("A{order_id:010}"),
            "status": "not paid",
            "external_id": "ORDER-1",
            "create_date": null,
            "pay_date": "",
            "currency": "USD",
            "amount": "10.50",
            "payment_description": "Подписка",
            "locale": "en_US",
            "recurring_indicator": true,
            "order_detail_url": payment_url.split('?').next().unwrap(),
            "customer": {
                "country": "RU", "type": "legal", "email": "buyer@example.com",
                "first_name": "Ann", "last_name": "Lee", "phone": "+15550100", "vat_number": "",
                "company_name": "Lee LLC", "company_billing_address": "", "company_delivery_address": "",
                "kpp": "123456789"
            },
            "payment": {
                "payment_method": "CreditCard", "payment_system_name": "Bank Card", "card_type": "",
                "card_last_4": null, "card_expiration_date": "", "is_card_expired": false,
                "is_installment_payment": false
            },
            "additional_data": {"referer7": "test"}
        })
    );
}

#[tokio::test]
async fn a_paid_order_shows_its_pay_date_and_card() {
    let app = spawn_app().await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("PAID-1")).await;
    pay_with(&app, &payment_url, "5555 5555 5555 4444").await;

    let body = order(&app, order_id).await;

    assert_eq!(body["status"], "paid");
    assert!(is_timestamp(body["pay_date"].as_str().unwrap()), "{body}");
    assert_eq!(
        body["payment"],
        json!({
            "payment_method": "CreditCard", "payment_system_name": "Bank Card",
            "card_type": "Mastercard", "card_last_4": "4444", "card_expiration_date": "12/39",
            "is_card_expired": false, "is_installment_payment": false
        })
    );
}

#[tokio::test]
async fn an_unknown_order_answers_404_in_the_envelope() {
    let app = spawn_app().await;

    for id in ["1", "abc", "99999999999999999999999"] {
        let response = api_get(&app, &format!("/softline/v1/order/{id}")).await;
        assert_errors(response, 404, &[(404, "Order not found.")]).await;
    }
}

#[tokio::test]
async fn search_answers_every_order_newest_first_and_honours_limit() {
    let app = spawn_app().await;
    let (a, _) = create_ok(&app, &minimal_payment("S-1")).await;
    app.advance_clock(1).await;
    let (b, _) = create_ok(&app, &minimal_payment("S-2")).await;
    app.advance_clock(1).await;
    let (c, _) = create_ok(&app, &minimal_payment("S-3")).await;

    assert_eq!(search(&app, json!({})).await, [c, b, a]);
    assert_eq!(search(&app, json!({"limit": 2})).await, [c, b]);
}

#[tokio::test]
async fn search_filters_by_each_documented_field() {
    let app = spawn_app().await;
    let (rub, rub_url) = create_ok(&app, &minimal_payment("EXT-1")).await;
    app.advance_clock(10).await;
    let usd_body = with(
        with(minimal_payment("EXT-2"), "/currency", json!("USD")),
        "/customer/email",
        json!("Other@Example.com"),
    );
    let (usd, _) = create_ok(&app, &usd_body).await;
    app.advance_clock(10).await;
    let (sbp, _) = create_ok(
        &app,
        &with(minimal_payment("EXT-3"), "/payment_method", json!("SBP")),
    )
    .await;
    app.advance_clock(10).await;
    pay_with(&app, &rub_url, "4111 1111 1111 1111").await;
    let usd_created = order(&app, usd).await["create_date"].clone();
    let paid = order(&app, rub).await["pay_date"].clone();

    let cases: Vec<(Value, Vec<u64>)> = vec![
        (json!({"status": "paid"}), vec![rub]),
        (json!({"status": "not paid"}), vec![sbp, usd]),
        (json!({"status": "deleted"}), vec![]),
        (json!({"external_id": "EXT-2"}), vec![usd]),
        (json!({"currency": "USD"}), vec![usd]),
        (json!({"email": "other@example.com"}), vec![usd]),
        (json!({"payment_method": "SBP"}), vec![sbp]),
        (
            json!({"create_date_from": usd_created, "create_date_to": usd_created}),
            vec![usd],
        ),
        (json!({"create_date_from": usd_created}), vec![sbp, usd]),
        (json!({"create_date_to": usd_created}), vec![usd, rub]),
        (
            json!({"pay_date_from": paid, "pay_date_to": paid}),
            vec![rub],
        ),
        (json!({"pay_date_to": "2000-01-01T00:00:00+03:00"}), vec![]),
        (json!({"status": "paid", "currency": "USD"}), vec![]),
    ];
    for (filter, expected) in cases {
        assert_eq!(search(&app, filter.clone()).await, expected, "{filter}");
    }
}

#[tokio::test]
async fn a_bad_search_filter_answers_6010_naming_it() {
    let app = spawn_app().await;

    let response = api_post(
        &app,
        "/softline/v1/order/search",
        &json!({"status": "cancelled", "create_date_from": "2022-01-01", "limit": 5000, "page": 1}),
    )
    .await;

    assert_errors(
        response,
        400,
        &[
            (6010, "Invalid field value: status."),
            (6010, "Invalid field value: create_date_from."),
            (6010, "Invalid field value: limit."),
            (6010, "Invalid field value: page."),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_unpaid_payment_is_deleted_after_90_sandbox_days_and_the_change_is_journaled_once() {
    let app = spawn_app().await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("OLD-1")).await;

    app.advance_clock(90 * DAY - 5).await;
    let before = order(&app, order_id).await["status"].clone();
    app.advance_clock(5).await;
    let after = order(&app, order_id).await["status"].clone();
    let deleted_search = search(&app, json!({"status": "deleted"})).await;
    let form = app.client.get(&payment_url).send().await.unwrap();

    assert_eq!(before, "not paid");
    assert_eq!(after, "deleted");
    assert_eq!(deleted_search, [order_id]);
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(
        !html.contains("<form"),
        "a deleted payment's form is an empty page"
    );
    let transitions = app
        .journal(&format!("object={order_id}&kind=transition"))
        .await;
    let summaries: Vec<&str> = transitions
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries, ["not paid → deleted (unpaid past its lifetime)"]);
}

#[tokio::test]
async fn a_full_refund_deletes_a_paid_order() {
    let app = spawn_app().await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("REF-1")).await;
    pay_with(&app, &payment_url, "4111 1111 1111 1111").await;

    let response = refund(&app, order_id).await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"order_id": order_id, "status": "deleted"}));
    assert_eq!(order(&app, order_id).await["status"], "deleted");
    let form = app.client.get(&payment_url).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert!(
        !form.text().await.unwrap().contains("<form"),
        "empty page after a full refund"
    );
}

#[tokio::test]
async fn refunding_an_unpaid_or_unknown_order_is_refused_by_the_control_plane() {
    let app = spawn_app().await;
    let (order_id, _) = create_ok(&app, &minimal_payment("REF-2")).await;

    let unpaid = refund(&app, order_id).await;
    let unknown = refund(&app, 1).await;

    assert_eq!(unpaid.status(), 409);
    let body: Value = unpaid.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(
        body["error"]["message"],
        format!(
            "order {order_id} cannot be refunded: the payment is not paid; only a paid payment can be refunded"
        )
    );
    assert_eq!(unknown.status(), 404);
    assert_eq!(order(&app, order_id).await["status"], "not paid");
}

#[tokio::test]
async fn reset_forgets_every_order() {
    let app = spawn_app().await;
    let (order_id, _) = create_ok(&app, &minimal_payment("RESET-1")).await;

    app.post_json("/__sandbox/reset", &json!({})).await;
    let response = api_get(&app, &format!("/softline/v1/order/{order_id}")).await;

    assert_errors(response, 404, &[(404, "Order not found.")]).await;
    let (again, _) = create_ok(&app, &minimal_payment("RESET-2")).await;
    assert_eq!(again, order_id, "ids restart from the seed");
}
