//! The hosted payment form: cards, 3-D Secure, one-click buttons, redirects,
//! languages, escaping. Forms are posted like a browser posts them, with a
//! client that does not follow redirects.

use serde_json::json;

use crate::helpers::{TestApp, location, spawn_app, with};
use crate::softline_support::{
    card, create_ok, form_base, minimal_payment, order, pay_with, received_events, webhook_receiver,
};

const SUCCESS_URL: &str = "https://shop.com/successful_payment";

async fn page(app: &TestApp, url: &str) -> (u16, String) {
    let response = app.client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The text of the element with `data-testid="error"`, if any.
fn error_text(html: &str) -> Option<String> {
    let start = html.find("data-testid=\"error\">")? + "data-testid=\"error\">".len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_owned())
}

#[tokio::test]
async fn the_form_shows_the_payment_and_carries_the_contract_fields_and_test_ids() {
    let app = spawn_app().await;
    let body = with(
        minimal_payment("FORM-1"),
        "/payment_description",
        json!("Тестовая оплата"),
    );
    let (order_id, payment_url) = create_ok(&app, &body).await;

    let (status, html) = page(&app, &payment_url).await;

    assert_eq!(status, 200);
    for needle in [
        "112.50",
        "RUB",
        "Тестовая оплата",
        &format!("A{order_id:010}"),
        "data-testid=\"card-form\"",
        "data-testid=\"approve\"",
        "data-testid=\"decline\"",
        "name=\"card_number\"",
        "name=\"expiry\"",
        "name=\"cvc\"",
        "name=\"cardholder\"",
        "autocomplete=\"cc-number\"",
        "inputmode=\"numeric\"",
        "<label for=\"card_number\">",
        "class=\"sandbox-note\"",
        "4000 0000 0000 3220",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(
        !html.contains("data-testid=\"error\""),
        "no error before an attempt"
    );
    assert!(!html.contains("<script"), "works without JavaScript");
}

#[tokio::test]
async fn the_form_speaks_the_language_of_lang_and_falls_back_to_russian() {
    let app = spawn_app().await;
    let (_, payment_url) = create_ok(&app, &minimal_payment("LANG-1")).await;
    let base = form_base(&payment_url);

    let cases = [
        ("?lang=en_EN", "<html lang=\"en\">", "Card number"),
        ("?lang=en_US", "<html lang=\"en\">", "Card number"),
        ("?lang=ru_RU", "<html lang=\"ru\">", "Номер карты"),
        ("?lang=de_DE", "<html lang=\"ru\">", "Номер карты"),
        ("?lang=xx", "<html lang=\"ru\">", "Номер карты"),
        ("", "<html lang=\"ru\">", "Номер карты"),
    ];
    for (query, html_lang, label) in cases {
        let (status, html) = page(&app, &format!("{base}{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert!(html.contains(html_lang), "{query}: {html_lang}");
        assert!(html.contains(label), "{query}: {label}");
    }
}

#[tokio::test]
async fn the_locale_of_the_payment_sets_the_language_of_its_payment_url() {
    let app = spawn_app().await;
    let (_, payment_url) = create_ok(
        &app,
        &with(minimal_payment("LANG-2"), "/locale", json!("en_US")),
    )
    .await;

    let (_, html) = page(&app, &payment_url).await;

    assert!(html.contains("<html lang=\"en\">"));
    assert!(
        html.contains("/card?lang=en_US\""),
        "the language is kept on the next page"
    );
}

#[tokio::test]
async fn a_description_with_markup_is_shown_escaped() {
    let app = spawn_app().await;
    let xss = "<script>alert(\"x\")</script><img src=x onerror=alert(1)>";
    let (_, payment_url) = create_ok(
        &app,
        &with(minimal_payment("XSS-1"), "/payment_description", json!(xss)),
    )
    .await;

    let (_, html) = page(&app, &payment_url).await;

    assert!(!html.contains("<script>alert"), "script injected");
    assert!(!html.contains("<img src=x"), "markup injected");
    assert!(html.contains("&#60;script&#62;alert("), "shown as text");
}

#[tokio::test]
async fn an_approved_card_pays_and_redirects_to_return_success_url() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("PAY-1")).await;

    let response = pay_with(&app, &payment_url, "4111 1111 1111 1111").await;

    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), SUCCESS_URL);
    let paid = order(&app, order_id).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payment"]["card_type"], "Visa");
    assert_eq!(paid["payment"]["card_last_4"], "1111");
    app.deliver_pending_webhooks().await;
    let events: Vec<String> = received_events(&receiver)
        .await
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["order.created", "order.payment.succeeded"]);
}

#[tokio::test]
async fn opening_the_form_of_a_paid_payment_redirects_to_return_success_url() {
    let app = spawn_app().await;
    let (_, payment_url) = create_ok(&app, &minimal_payment("PAY-2")).await;
    pay_with(&app, &payment_url, "5555 5555 5555 4444").await;

    let form = app.client.get(&payment_url).send().await.unwrap();
    let second_attempt = pay_with(&app, &payment_url, "4111 1111 1111 1111").await;

    assert_eq!(form.status(), 303);
    assert_eq!(location(&form), SUCCESS_URL);
    assert_eq!(
        second_attempt.status(),
        303,
        "a paid payment cannot be paid again"
    );
    assert_eq!(location(&second_attempt), SUCCESS_URL);
}

#[tokio::test]
async fn a_return_url_with_non_ascii_characters_is_redirected_to_percent_encoded() {
    let app = spawn_app().await;
    let body = with(
        minimal_payment("PAY-3"),
        "/return_success_url",
        json!("https://магазин.рф/успех?заказ=1"),
    );
    let (_, payment_url) = create_ok(&app, &body).await;

    let response = pay_with(&app, &payment_url, "4111 1111 1111 1111").await;

    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "https://xn--80aairftm.xn--p1ai/%D1%83%D1%81%D0%BF%D0%B5%D1%85?%D0%B7%D0%B0%D0%BA%D0%B0%D0%B7=1"
    );
}

#[tokio::test]
async fn a_declined_card_shows_the_form_again_with_the_reason_and_the_payment_stays_not_paid() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("DEC-1")).await;

    let declined = pay_with(&app, &payment_url, "4000 0000 0000 0002").await;
    let declined_status = declined.status();
    let declined_html = declined.text().await.unwrap();
    let poor = pay_with(
        &app,
        &format!("{payment_url}?lang=en_EN"),
        "4000 0000 0000 9995",
    )
    .await;
    let poor_html = poor.text().await.unwrap();

    assert_eq!(declined_status, 200);
    assert_eq!(
        error_text(&declined_html).as_deref(),
        Some("Платёж отклонён банком, выпустившим карту. Попробуйте другую карту.")
    );
    assert!(
        declined_html.contains("data-testid=\"card-form\""),
        "the buyer may try again"
    );
    assert_eq!(
        error_text(&poor_html).as_deref(),
        Some("Insufficient funds on the card. Please try another card.")
    );
    assert_eq!(order(&app, order_id).await["status"], "not paid");
    app.deliver_pending_webhooks().await;
    let failed: Vec<_> = received_events(&receiver)
        .await
        .into_iter()
        .filter(|e| e["event"] == "order.payment.failed")
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["status"], "not paid");
}

#[tokio::test]
async fn a_card_that_fails_the_luhn_check_is_refused_by_the_form_without_a_payment_attempt() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("LUHN-1")).await;

    let response = pay_with(
        &app,
        &format!("{payment_url}?lang=en_EN"),
        "4111 1111 1111 1112",
    )
    .await;

    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert_eq!(
        error_text(&html).as_deref(),
        Some("The card number is mistyped. Please check it.")
    );
    assert_eq!(order(&app, order_id).await["status"], "not paid");
    app.deliver_pending_webhooks().await;
    assert_eq!(
        received_events(&receiver).await.len(),
        1,
        "only order.created"
    );
}

#[tokio::test]
async fn a_3ds_card_passes_the_challenge_with_the_right_code() {
    let app = spawn_app().await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("3DS-1")).await;
    let base = form_base(&payment_url);

    let to_challenge = pay_with(&app, &payment_url, "4000 0000 0000 3220").await;
    let challenge_url = location(&to_challenge).to_owned();
    let (status, challenge) = page(&app, &challenge_url).await;
    let before = order(&app, order_id).await["status"].clone();
    let passed = app.post_form(&challenge_url, &[("code", "123456")]).await;

    assert_eq!(to_challenge.status(), 303);
    assert_eq!(challenge_url, format!("{base}/3ds"));
    assert_eq!(status, 200);
    assert!(challenge.contains("data-testid=\"challenge-form\""));
    assert!(challenge.contains("name=\"code\""));
    assert!(challenge.contains("3220"), "the card's last four digits");
    assert_eq!(before, "not paid");
    assert_eq!(passed.status(), 303);
    assert_eq!(location(&passed), SUCCESS_URL);
    assert_eq!(
        order(&app, order_id).await["payment"]["card_last_4"],
        "3220"
    );
}

#[tokio::test]
async fn a_wrong_3ds_code_declines_and_shows_the_card_form_with_the_reason() {
    let app = spawn_app().await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("3DS-2")).await;
    let to_challenge = pay_with(
        &app,
        &format!("{payment_url}?lang=en_EN"),
        "4000 0000 0000 3220",
    )
    .await;
    let challenge_url = location(&to_challenge).to_owned();

    let failed = app.post_form(&challenge_url, &[("code", "000000")]).await;
    let failed_status = failed.status();
    let html = failed.text().await.unwrap();
    let after = app.client.get(&challenge_url).send().await.unwrap();

    assert!(
        challenge_url.ends_with("/3ds?lang=en_EN"),
        "{challenge_url}"
    );
    assert_eq!(failed_status, 200);
    assert_eq!(
        error_text(&html).as_deref(),
        Some("3-D Secure verification failed. The payment was declined.")
    );
    assert!(html.contains("data-testid=\"card-form\""));
    assert_eq!(order(&app, order_id).await["status"], "not paid");
    assert_eq!(after.status(), 303, "no challenge pending any more");
    assert_eq!(
        location(&after),
        format!("{}?lang=en_EN", form_base(&payment_url))
    );
}

#[tokio::test]
async fn the_one_click_buttons_approve_and_decline_without_a_card() {
    let app = spawn_app().await;
    let (declined_id, declined_url) = create_ok(&app, &minimal_payment("ONE-1")).await;
    let (approved_id, approved_url) = create_ok(&app, &minimal_payment("ONE-2")).await;

    let declined = app
        .post_form(&format!("{}/decline", form_base(&declined_url)), &[])
        .await;
    let declined_status = declined.status();
    let declined_html = declined.text().await.unwrap();
    let approved = app
        .post_form(&format!("{}/approve", form_base(&approved_url)), &[])
        .await;

    assert_eq!(declined_status, 200);
    assert!(error_text(&declined_html).is_some());
    assert_eq!(order(&app, declined_id).await["status"], "not paid");
    assert_eq!(approved.status(), 303);
    assert_eq!(location(&approved), SUCCESS_URL);
    assert_eq!(order(&app, approved_id).await["status"], "paid");
}

#[tokio::test]
async fn the_one_click_buttons_of_the_challenge_page_pass_and_fail_it() {
    let app = spawn_app().await;
    let (passed_id, passed_url) = create_ok(&app, &minimal_payment("ONE-3")).await;
    let (failed_id, failed_url) = create_ok(&app, &minimal_payment("ONE-4")).await;
    pay_with(&app, &passed_url, "4000 0000 0000 3220").await;
    pay_with(&app, &failed_url, "4000 0000 0000 3220").await;
    let (_, challenge) = page(&app, &format!("{}/3ds", form_base(&passed_url))).await;

    let approve = app
        .post_form(
            &format!("{}/3ds", form_base(&passed_url)),
            &[("code", "123456")],
        )
        .await;
    let decline = app
        .post_form(&format!("{}/3ds", form_base(&failed_url)), &[("code", "")])
        .await;

    assert!(challenge.contains("data-testid=\"approve\""));
    assert!(challenge.contains("data-testid=\"decline\""));
    assert_eq!(approve.status(), 303);
    assert_eq!(decline.status(), 200);
    assert_eq!(order(&app, passed_id).await["status"], "paid");
    assert_eq!(order(&app, failed_id).await["status"], "not paid");
}

#[tokio::test]
async fn a_wrong_hash_or_order_id_is_an_html_404() {
    let app = spawn_app().await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("HASH-1")).await;
    let base = form_base(&payment_url);
    let wrong_hash = format!("{}/softline/order/status/{order_id}/0000000", app.address);

    for url in [
        wrong_hash.clone(),
        format!("{wrong_hash}/3ds"),
        format!(
            "{}/softline/order/status/1/{}",
            app.address,
            base.rsplit('/').next().unwrap()
        ),
        format!("{}/softline/order/status/abc/def", app.address),
    ] {
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 404, "{url}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    let post = app
        .post_form(&format!("{wrong_hash}/card"), &card("4111111111111111"))
        .await;
    assert_eq!(post.status(), 404);
    assert_eq!(order(&app, order_id).await["status"], "not paid");
}
