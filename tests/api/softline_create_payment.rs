//! `POST /softline/v1/payment`: the answer, every error code with its
//! exact message, and the two check groups.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, with};
use crate::softline_support::{
    TOKEN, assert_errors, create_ok, create_payment, minimal_payment, order,
};

/// Posts a raw body with a given content type.
async fn post_raw(app: &TestApp, content_type: &str, body: &'static str) -> reqwest::Response {
    app.client
        .post(app.url("/softline/v1/payment"))
        .bearer_auth(TOKEN)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

const NOT_JSON: &str = "JSON is not valid.";
const CONTENT_TYPE: &str = "Invalid data format (Content-type).";
const NOT_ENABLED: &str = "Unable to generate payment. Please contact technical support.";
const ZERO_AMOUNT: &str = "\u{0421}reation of zero-amount payments is not available. Enable recurring_indicator = true or set the amount strictly greater than zero.";
const BAD_EMAIL: &str =
    "Email field is filled out incorrectly. Expected format: [name]@[domain].[zone]";
const NO_METHOD: &str =
    "This payment method is not available. Change payment method (payment_method).";
const NO_AMOUNT: &str = "This payment method is not available for this payment amount. Change payment method (payment_method).";
const NO_RECURRING: &str = "This payment method does not support recurring payments. Change payment method (payment_method).";

#[tokio::test]
async fn a_valid_payment_answers_its_order_id_and_a_payment_url_under_the_public_url() {
    let app = spawn_app().await;

    let response = create_payment(&app, &minimal_payment("TEST12025")).await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    let order_id = body["order_id"].as_u64().unwrap();
    assert!((5_000_000..6_000_000).contains(&order_id), "{order_id}");
    let url = body["payment_url"].as_str().unwrap();
    let prefix = format!("{}/softline/order/status/{order_id}/", app.address);
    let hash = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url}"));
    assert_eq!(hash.len(), 7);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");
    assert_eq!(order(&app, order_id).await["status"], "not paid");
}

#[tokio::test]
async fn the_payment_url_carries_lang_only_when_a_valid_locale_was_given() {
    let app = spawn_app().await;

    let (_, english) = create_ok(
        &app,
        &with(minimal_payment("L-1"), "/locale", json!("en_EN")),
    )
    .await;
    let (_, mexican) = create_ok(
        &app,
        &with(minimal_payment("L-2"), "/locale", json!("es_MX")),
    )
    .await;
    let (_, none) = create_ok(&app, &minimal_payment("L-3")).await;

    assert!(english.ends_with("?lang=en_EN"), "{english}");
    assert!(mexican.ends_with("?lang=es_MX"), "{mexican}");
    assert!(!none.contains('?'), "{none}");
}

#[tokio::test]
async fn order_ids_are_unique_and_increasing_and_repeating_a_payment_id_creates_a_new_payment() {
    let app = spawn_app().await;

    let (first, _) = create_ok(&app, &minimal_payment("SAME")).await;
    let (second, _) = create_ok(&app, &minimal_payment("SAME")).await;

    assert_eq!(second, first + 1);
}

#[tokio::test]
async fn the_seeds_full_example_is_accepted_as_it_stands() {
    let app = spawn_app().await;
    let body = json!({
        "currency": "RUB", "amount": "112.50",
        "return_success_url": "https://shop.com/successful_payment",
        "payment_method": "CreditCard", "recurring_indicator": false, "payment_id": "TEST12025",
        "payment_description": "Тестовая оплата", "locale": "ru_RU",
        "customer": {
            "email": "customer@gmail.com", "first_name": "Иван", "last_name": "Петров",
            "phone": "7999991111", "vat_number": "12345654321", "company_name": "ООО Компания",
            "company_billing_address": "Москва, Ломоновоский проспект, 12",
            "company_delivery_address": "Москва, Ломоновоский проспект, 12", "kpp": "123456789"
        },
        "additional_data": {"referer7": "test", "referer8": "testA", "referer9": "testB",
                            "referer10": "testC", "referer11": "testD", "referer12": "testF"}
    });

    let response = create_payment(&app, &body).await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_body_that_is_not_json_answers_110() {
    let app = spawn_app().await;

    for body in ["{\"currency\": ", "[]", "\"text\"", ""] {
        let response = post_raw(&app, "application/json", body).await;
        assert_errors(response, 400, &[(110, NOT_JSON)]).await;
    }
}

#[tokio::test]
async fn a_content_type_other_than_application_json_answers_111() {
    let app = spawn_app().await;
    let body = serde_json::to_string(&minimal_payment("CT-1"))
        .unwrap()
        .leak();

    let form = post_raw(&app, "application/x-www-form-urlencoded", body).await;
    let text = post_raw(&app, "text/plain", body).await;
    let with_charset = post_raw(&app, "application/json; charset=utf-8", body).await;

    assert_errors(form, 400, &[(111, CONTENT_TYPE)]).await;
    assert_errors(text, 400, &[(111, CONTENT_TYPE)]).await;
    assert_eq!(with_charset.status(), 200, "parameters are allowed");
}

#[tokio::test]
async fn a_well_formed_currency_that_is_not_enabled_answers_6000() {
    let app = spawn_app().await;

    let response = create_payment(
        &app,
        &with(minimal_payment("C-1"), "/currency", json!("GBP")),
    )
    .await;

    assert_errors(response, 400, &[(6000, NOT_ENABLED)]).await;
}

#[tokio::test]
async fn an_invalid_field_answers_6010_naming_it_with_a_final_full_stop() {
    let app = spawn_app().await;
    let cases = [
        ("/currency", json!("rub"), "currency"),
        ("/amount", json!("112.505"), "amount"),
        ("/amount", json!(null), "amount"),
        (
            "/return_success_url",
            json!("shop.com/ok"),
            "return_success_url",
        ),
        ("/payment_id", json!("TEST 12025"), "payment_id"),
        (
            "/recurring_indicator",
            json!("false"),
            "recurring_indicator",
        ),
        ("/customer/email", json!(42), "customer.email"),
        (
            "/customer/vat_number",
            json!("12-34"),
            "customer.vat_number",
        ),
        (
            "/payment_description",
            json!("x".repeat(256)),
            "payment_description",
        ),
        ("/unknown_parameter", json!(1), "unknown_parameter"),
    ];
    for (pointer, value, name) in cases {
        let response = create_payment(&app, &with(minimal_payment("F-1"), pointer, value)).await;
        let message = format!("Invalid field value: {name}.");
        assert_errors(response, 400, &[(6010, &message)]).await;
    }
}

#[tokio::test]
async fn an_unknown_locale_answers_6020() {
    let app = spawn_app().await;

    let response = create_payment(
        &app,
        &with(minimal_payment("L-1"), "/locale", json!("fr_FR")),
    )
    .await;

    assert_errors(response, 400, &[(6020, "Locale not found.")]).await;
}

#[tokio::test]
async fn a_zero_amount_without_recurring_indicator_answers_6030_with_the_documented_bytes() {
    let app = spawn_app().await;
    let zero = with(minimal_payment("Z-1"), "/amount", json!("0.00"));

    let refused = create_payment(&app, &zero).await;
    let parent = create_payment(&app, &with(zero, "/recurring_indicator", json!(true))).await;

    let raw = refused.bytes().await.unwrap();
    assert!(
        raw.windows(3).any(|w| w == [0xD0, 0xA1, b'r']),
        "the message starts with a Cyrillic capital Es"
    );
    let body: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        body,
        json!({"errors": [{"error": 6030, "message": ZERO_AMOUNT}]})
    );
    assert_eq!(
        parent.status(),
        200,
        "a zero-amount recurring parent is allowed"
    );
}

#[tokio::test]
async fn a_malformed_email_answers_6060() {
    let app = spawn_app().await;

    let response = create_payment(
        &app,
        &with(
            minimal_payment("E-1"),
            "/customer/email",
            json!("customer.gmail.com"),
        ),
    )
    .await;

    assert_errors(response, 400, &[(6060, BAD_EMAIL)]).await;
}

#[tokio::test]
async fn an_unavailable_payment_method_answers_6080() {
    let app = spawn_app().await;
    let cases = [
        json!({"payment_method": "Cash"}),
        json!({"payment_method": "SBP", "currency": "EUR"}),
        json!({"payment_method": "BankTransfer", "amount": "5000.00"}),
    ];
    for change in cases {
        let mut body = minimal_payment("M-1");
        for (key, value) in change.as_object().unwrap() {
            body = with(body, &format!("/{key}"), value.clone());
        }
        let response = create_payment(&app, &body).await;
        assert_errors(response, 400, &[(6080, NO_METHOD)]).await;
    }
}

#[tokio::test]
async fn an_amount_outside_the_methods_range_answers_6090() {
    let app = spawn_app().await;

    let response = create_payment(
        &app,
        &with(minimal_payment("A-1"), "/amount", json!("1000000.01")),
    )
    .await;

    assert_errors(response, 400, &[(6090, NO_AMOUNT)]).await;
}

#[tokio::test]
async fn recurring_indicator_with_a_method_without_auto_payments_answers_6100() {
    let app = spawn_app().await;
    let body = with(
        with(minimal_payment("R-1"), "/payment_method", json!("SBP")),
        "/recurring_indicator",
        json!(true),
    );

    let response = create_payment(&app, &body).await;

    assert_errors(response, 400, &[(6100, NO_RECURRING)]).await;
}

#[tokio::test]
async fn second_group_problems_are_all_returned_together_in_the_documented_order() {
    let app = spawn_app().await;
    let body = json!({
        "currency": "RUB",
        "amount": "0",
        "return_success_url": "https://shop.com/ok",
        "payment_method": "SBP",
        "recurring_indicator": true,
        "payment_id": "Платёж-1",
        "locale": "xx_XX",
        "customer": {"email": "nobody", "first_name": "Иван", "phone": null},
        "extra": true
    });

    let response = create_payment(&app, &body).await;

    assert_errors(
        response,
        400,
        &[
            (6010, "Invalid field value: payment_id."),
            (6010, "Invalid field value: customer.last_name."),
            (6010, "Invalid field value: customer.phone."),
            (6010, "Invalid field value: extra."),
            (6020, "Locale not found."),
            (6060, BAD_EMAIL),
            (6090, NO_AMOUNT),
            (6100, NO_RECURRING),
        ],
    )
    .await;
}

#[tokio::test]
async fn first_group_problems_stop_at_the_first_one_in_the_order_110_111_6000() {
    let app = spawn_app().await;
    let bad_everything = json!({"currency": "GBP", "amount": "x", "locale": "xx"});

    let not_json_nor_typed = post_raw(&app, "text/plain", "{oops").await;
    let untyped = app
        .client
        .post(app.url("/softline/v1/payment"))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body(bad_everything.to_string())
        .send()
        .await
        .unwrap();
    let disabled_currency = create_payment(&app, &bad_everything).await;

    assert_errors(not_json_nor_typed, 400, &[(110, NOT_JSON)]).await;
    assert_errors(untyped, 400, &[(111, CONTENT_TYPE)]).await;
    assert_errors(disabled_currency, 400, &[(6000, NOT_ENABLED)]).await;
}

#[tokio::test]
async fn a_huge_body_is_refused_with_413_in_the_envelope() {
    let app = spawn_app().await;
    let huge = with(
        minimal_payment("H-1"),
        "/payment_description",
        json!("x".repeat(2 * 1024 * 1024)),
    );

    let response = create_payment(&app, &huge).await;

    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["error"], 413);
}

#[tokio::test]
async fn an_unknown_path_answers_404_and_a_wrong_method_405_in_the_envelope() {
    let app = spawn_app().await;

    let unknown = app.get("/softline/v1/nothing-here").await;
    let wrong_method = app.get("/softline/v1/payment").await;

    assert_errors(unknown, 404, &[(404, "Invalid request URL.")]).await;
    assert_errors(wrong_method, 405, &[(405, "Method not allowed.")]).await;
}
