//! Hostile input to every Softline endpoint: each answer is the exact
//! Softline envelope (or the hosted form with its error), never a 5xx, a
//! hang or a plain-text rejection.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, with};
use crate::hostile_support::{ALL, Answer, Hostile, Raw, assert_softline};
use crate::softline_support::{TOKEN, create_ok, form_base, minimal_payment, order};

const JSON: Option<&str> = Some("application/json");
const INVALID_JSON: (u32, &str) = (110, "JSON is not valid.");

/// What a Softline JSON endpoint answers to each hostile body: all of them
/// are not a JSON object the API can read, so 110 (the first check).
fn expected_for(hostile: Hostile) -> (u32, &'static str) {
    match hostile {
        // Every class is unreadable as a JSON object: not UTF-8, cut off,
        // nested past the parser's limit (128), a number beyond f64, empty,
        // a form, XML. The huge string is valid JSON but is sent here as a
        // bare member of an unknown name, which the table below does not
        // use (see the field-level cases).
        Hostile::HugeString => unreachable!("field-level cases cover it"),
        _ => INVALID_JSON,
    }
}

async fn post(app: &TestApp, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Answer {
    Raw::post(path, content_type, body)
        .header("authorization", format!("Bearer {TOKEN}"))
        .send(app)
        .await
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

const ENDPOINTS: [&str; 4] = [
    "/softline/v1/login_check",
    "/softline/v1/payment",
    "/softline/v1/payment/recurring",
    "/softline/v1/order/search",
];

#[tokio::test]
async fn every_unreadable_body_is_answered_110_by_every_json_endpoint() {
    // Arrange
    let app = spawn_app().await;

    for path in ENDPOINTS {
        for hostile in ALL.into_iter().filter(|h| *h != Hostile::HugeString) {
            let (content_type, body) = hostile.body();

            // Act
            let answer = post(&app, path, Some(content_type), body).await;

            // Assert
            let (code, message) = expected_for(hostile);
            assert_softline(&answer, 400, code, message, &format!("{path} {hostile:?}"));
        }
    }
}

#[tokio::test]
async fn valid_json_under_another_content_type_is_answered_111_by_every_json_endpoint() {
    let app = spawn_app().await;
    let bodies = [
        json!({"username": "sandbox", "password": "sandbox"}),
        minimal_payment("CT-1"),
        json!({"parent_order_id": 1, "payment_id": "R", "currency": "RUB", "amount": "1.00"}),
        json!({}),
    ];

    for (path, body) in ENDPOINTS.into_iter().zip(bodies) {
        for content_type in [None, Some("text/plain"), Some("application/xml")] {
            let answer = post(&app, path, content_type, bytes(&body)).await;

            assert_softline(
                &answer,
                400,
                111,
                "Invalid data format (Content-type).",
                &format!("{path} {content_type:?}"),
            );
        }
    }
}

#[tokio::test]
async fn oversized_values_within_the_body_limit_are_6010_on_their_field() {
    let app = spawn_app().await;
    let huge_text = Value::String("я".repeat(300_000));
    let huge_integer: Value = serde_json::from_str(&"9".repeat(30)).unwrap();
    let cases = [
        (
            "/softline/v1/login_check",
            json!({"username": huge_text, "password": "sandbox"}),
            "username",
        ),
        (
            "/softline/v1/payment",
            with(
                minimal_payment("BIG-1"),
                "/payment_description",
                huge_text.clone(),
            ),
            "payment_description",
        ),
        (
            "/softline/v1/payment",
            with(minimal_payment("BIG-2"), "/amount", huge_integer.clone()),
            "amount",
        ),
        (
            "/softline/v1/payment",
            with(
                minimal_payment("BIG-3"),
                "/customer/first_name",
                huge_text.clone(),
            ),
            "customer.first_name",
        ),
        (
            "/softline/v1/order/search",
            json!({"limit": huge_integer}),
            "limit",
        ),
        (
            "/softline/v1/order/search",
            json!({"email": huge_text}),
            "email",
        ),
    ];

    for (path, body, field) in cases {
        let answer = post(&app, path, JSON, bytes(&body)).await;

        assert_softline(
            &answer,
            400,
            6010,
            &format!("Invalid field value: {field}."),
            &format!("{path} {field}"),
        );
    }
}

#[tokio::test]
async fn a_number_beyond_the_range_of_a_double_makes_the_body_invalid_json() {
    let app = spawn_app().await;
    let body = format!(
        r#"{{"currency":"RUB","amount":{},"return_success_url":"https://shop.com/ok","payment_method":"CreditCard","payment_id":"N-1","customer":{{"email":"a@b.ru","first_name":"a","last_name":"b"}}}}"#,
        "9".repeat(400)
    );

    let answer = post(&app, "/softline/v1/payment", JSON, body.into_bytes()).await;

    assert_softline(&answer, 400, 110, "JSON is not valid.", "400 digits");
}

#[tokio::test]
async fn a_repeated_key_takes_its_last_value_as_php_json_decode_does() {
    // Arrange: the payment id twice; JSON text, since a map cannot repeat.
    let app = spawn_app().await;
    let body = r#"{"currency":"RUB","amount":"10.00","return_success_url":"https://shop.com/ok",
        "payment_method":"CreditCard","payment_id":"FIRST","payment_id":"LAST",
        "customer":{"email":"a@b.ru","first_name":"a","last_name":"b"}}"#;

    // Act
    let answer = post(&app, "/softline/v1/payment", JSON, body.as_bytes().to_vec()).await;

    // Assert
    assert_eq!(answer.status, 200, "{}", answer.text());
    let order_id = answer.json()["order_id"].as_u64().unwrap();
    assert_eq!(order(&app, order_id).await["external_id"], "LAST");
}

#[tokio::test]
async fn cyrillic_and_other_unicode_round_trips_exactly_through_create_lookup_and_webhook() {
    // Arrange
    let app = spawn_app().await;
    let receiver = crate::softline_support::webhook_receiver(&app, 200).await;
    let texts = [
        (
            "/payment_description",
            "Оплата заказа №42 — «тест» ё Ё 😀 \u{200d}",
        ),
        ("/customer/first_name", "Иван"),
        ("/customer/last_name", "Пётр-Щукин ʼ"),
        ("/customer/company_name", "ООО «Ромашка»"),
        ("/customer/phone", "+7 (900) 000‑00‑00"),
        (
            "/customer/company_billing_address",
            "Москва, ул. Льва Толстого, д. 16",
        ),
    ];
    let mut body = minimal_payment("UNI-1");
    for (pointer, text) in texts {
        body = with(body, pointer, json!(text));
    }
    body = with(
        body,
        "/additional_data",
        json!({"комментарий": "без сдачи 🙂"}),
    );

    // Act
    let (order_id, _) = create_ok(&app, &body).await;
    let looked_up = order(&app, order_id).await;
    app.deliver_pending_webhooks().await;
    let events = crate::softline_support::received_events(&receiver).await;

    // Assert
    assert_eq!(looked_up["payment_description"], texts[0].1);
    let webhook = &events[0];
    for (name, text) in [
        ("first_name", texts[1].1),
        ("last_name", texts[2].1),
        ("company_name", texts[3].1),
        ("phone", texts[4].1),
        ("company_billing_address", texts[5].1),
    ] {
        assert_eq!(looked_up["customer"][name], text, "lookup {name}");
        assert_eq!(webhook["customer"][name], text, "webhook {name}");
    }
}

#[tokio::test]
async fn return_urls_that_could_inject_headers_or_leave_for_another_site_are_refused_6010() {
    let app = spawn_app().await;
    let hostile_urls = [
        "https://shop.com/ok\r\nSet-Cookie: a=1",
        "https://shop.com/ok\nLocation: https://evil.example",
        "https://shop.com/%0d%0a\r",
        "javascript:alert(1)",
        "//evil.example/ok",
        "/relative/ok",
        "data:text/html,<script>alert(1)</script>",
        "https://shop.com/ ok",
        "ftp://shop.com/ok",
    ];

    for url in hostile_urls {
        let body = with(minimal_payment("URL-1"), "/return_success_url", json!(url));

        let answer = post(&app, "/softline/v1/payment", JSON, bytes(&body)).await;

        assert_softline(
            &answer,
            400,
            6010,
            "Invalid field value: return_success_url.",
            url,
        );
    }
}

#[tokio::test]
async fn an_accepted_return_url_is_redirected_to_as_the_same_url_in_ascii_and_without_crlf() {
    // Arrange: URLs that parse, with parts a careless echo would get wrong.
    let app = spawn_app().await;
    let cases = [
        (
            "https://shop.com/ok?a=1&b=%0D%0A",
            "https://shop.com/ok?a=1&b=%0D%0A",
        ),
        (
            "https://магазин.рф/оплата",
            "https://xn--80aairftm.xn--p1ai/%D0%BE%D0%BF%D0%BB%D0%B0%D1%82%D0%B0",
        ),
        (
            "https://shop.com\\@evil.example/x",
            "https://shop.com/@evil.example/x",
        ),
        ("HTTPS://SHOP.COM/ok", "HTTPS://SHOP.COM/ok"),
        ("https://shop.ru", "https://shop.ru"),
    ];

    for (url, location) in cases {
        let body = with(minimal_payment("RED-1"), "/return_success_url", json!(url));
        let (_, payment_url) = create_ok(&app, &body).await;

        // Act: one-click approval redirects to the return URL.
        let response = app
            .client
            .post(format!("{}/approve", form_base(&payment_url)))
            .send()
            .await
            .unwrap();

        // Assert: the host the merchant registered, as a browser reads it.
        assert_eq!(response.status(), 303, "{url}");
        let sent = response.headers()["location"].to_str().unwrap();
        assert_eq!(sent, location, "{url}");
        assert!(!sent.contains(['\r', '\n']), "{url}");
    }
}

#[tokio::test]
async fn hostile_bodies_on_the_hosted_form_posts_show_the_form_with_the_reason() {
    // Arrange
    let app = spawn_app().await;
    let (_, payment_url) = create_ok(&app, &minimal_payment("FORM-1")).await;
    let base = form_base(&payment_url);
    let card_path = format!("{}/card", base.trim_start_matches(&app.address));
    let bad_number = "Номер карты — от 12 до 19 цифр.";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "not UTF-8",
            b"card_number=\xff\xfe&expiry=12/39".to_vec(),
            bad_number,
        ),
        ("empty", Vec::new(), bad_number),
        (
            "repeated keys",
            b"card_number=1&card_number=4111111111111111&expiry=12/39&cvc=123".to_vec(),
            bad_number,
        ),
        (
            "a multi-byte expiry of four bytes",
            "card_number=4111111111111111&expiry=1é2&cvc=123"
                .as_bytes()
                .to_vec(),
            "Укажите срок действия в формате ММ/ГГ.",
        ),
        (
            "a huge number",
            format!("card_number={}&expiry=12/39&cvc=123", "4".repeat(500_000)).into_bytes(),
            bad_number,
        ),
        (
            "JSON",
            br#"{"card_number":"4111111111111111"}"#.to_vec(),
            bad_number,
        ),
        (
            "a long cardholder",
            format!(
                "card_number=4111111111111111&expiry=12/39&cvc=123&cardholder={}",
                "Я".repeat(101)
            )
            .into_bytes(),
            "Имя владельца — не длиннее 100 символов.",
        ),
    ];

    for (case, body, message) in cases {
        // Act
        let answer = Raw::post(&card_path, Some("application/x-www-form-urlencoded"), body)
            .send(&app)
            .await;

        // Assert: the form again, the reason shown, the payment unpaid.
        assert_eq!(answer.status, 200, "{case}");
        assert!(answer.content_type.starts_with("text/html"), "{case}");
        let html = answer.text();
        assert!(
            html.contains(&format!(
                "<p class=\"error\" role=\"alert\" data-testid=\"error\">{message}</p>"
            )),
            "{case}: {html}"
        );
    }
}

#[tokio::test]
async fn hostile_bodies_on_the_challenge_post_send_the_buyer_back_to_the_form() {
    let app = spawn_app().await;
    let (_, payment_url) = create_ok(&app, &minimal_payment("3DS-1")).await;
    let base = form_base(&payment_url);
    let path = format!("{}/3ds", base.trim_start_matches(&app.address));

    for hostile in ALL {
        let (content_type, body) = hostile.body();
        let answer = Raw::post(&path, Some(content_type), body).send(&app).await;

        // No challenge is pending: back to the form, whatever was posted.
        assert_eq!(answer.status, 303, "{hostile:?}");
        assert_eq!(
            answer.headers["location"].to_str().unwrap(),
            base,
            "{hostile:?}"
        );
    }
}

#[tokio::test]
async fn wrong_methods_and_unknown_paths_are_answered_in_the_softline_envelope() {
    let app = spawn_app().await;
    let cases = [
        (
            reqwest::Method::PUT,
            "/softline/v1/payment",
            405,
            "Method not allowed.",
        ),
        (
            reqwest::Method::DELETE,
            "/softline/v1/order/search",
            405,
            "Method not allowed.",
        ),
        (
            reqwest::Method::GET,
            "/softline/v1/nothing",
            404,
            "Invalid request URL.",
        ),
    ];
    for (method, path, status, message) in cases {
        let answer = Raw::bare(method.clone(), path).send(&app).await;

        assert_softline(&answer, status, u32::from(status), message, path);
    }

    // A hosted page's path with a method it does not take.
    let answer = Raw::bare(reqwest::Method::PUT, "/softline/order/status/1/abc")
        .send(&app)
        .await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.headers["allow"], "GET,HEAD");
    assert_eq!(
        answer.json(),
        json!({"errors": [{"error": 405, "message": "Method PUT is not allowed on /softline/order/status/1/abc."}]})
    );
}
