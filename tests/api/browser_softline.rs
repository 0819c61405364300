//! Softline's hosted form in a real browser: a buyer types a test card
//! and ends on the merchant's `return_success_url`; the merchant's server
//! gets the order `paid` and the signed webhook.

use axum::http::Method;
use serde_json::{Value, json};

use crate::browser::{Browser, Outcome, run_journey, tid};
use crate::browser_merchant::Merchant;
use crate::ensure;
use crate::helpers::{TestApp, spawn_app, with};
use crate::softline_support::{card, create_ok, minimal_payment, order};

const PAY: &str = "[data-testid=\"card-form\"] button[type=submit]";
const CONFIRM: &str = "[data-testid=\"challenge-form\"] button[type=submit]";
const WEBHOOK: &str = "/softline/webhook";

/// A merchant whose Softline webhooks are configured, and a payment of
/// `payment_id` (changed by `adjust`) whose `return_success_url` is on it.
/// Returns `(order_id, payment_url, the return_success_url's path)`.
pub async fn merchant_payment(
    app: &TestApp,
    shop: &Merchant,
    payment_id: &str,
    adjust: impl FnOnce(Value) -> Value,
) -> (u64, String, String) {
    let response = app
        .client
        .put(app.url("/__sandbox/softline/webhook"))
        .json(&json!({"url": shop.url(WEBHOOK)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "webhook configured");
    let success = format!("/orders/{payment_id}/paid");
    let body = with(
        minimal_payment(payment_id),
        "/return_success_url",
        json!(shop.url(&success)),
    );
    let (order_id, payment_url) = create_ok(app, &adjust(body)).await;
    (order_id, payment_url, success)
}

/// Types the card form's four fields for `number`, as a buyer does.
pub async fn fill_card(b: &Browser, number: &str) -> Outcome {
    for (name, value) in card(number) {
        b.type_into(&format!("{} [name={name}]", tid("card-form")), value)
            .await?;
    }
    Ok(())
}

/// The order's status, by the merchant's own API call.
async fn order_status(app: &TestApp, order_id: u64) -> String {
    order(app, order_id).await["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The webhook events the merchant got for `order_id`, delivering what is
/// due first.
async fn events(app: &TestApp, shop: &Merchant, order_id: u64) -> Vec<String> {
    app.deliver_pending_webhooks().await;
    shop.posted_json(WEBHOOK)
        .iter()
        .filter(|e| e["order_id"] == order_id)
        .map(|e| e["event"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn a_buyer_pays_with_a_test_card_and_lands_on_the_merchants_success_url_with_the_order_paid()
{
    let app = spawn_app().await;
    let shop = Merchant::start().await;
    let (order_id, payment_url, success) = merchant_payment(&app, &shop, "e2e-paid", |b| b).await;

    run_journey("softline_card_paid", |b| async move {
        b.goto(&payment_url).await?;
        b.find(&tid("card-form")).await?;
        b.snapshot("softline_form_ru").await;
        let amount = b.text(&tid("amount")).await?;
        ensure!(amount == "112.50 RUB", "amount shown: {amount:?}");
        fill_card(&b, "4111 1111 1111 1111").await?;
        b.click(PAY).await?;

        shop.landed(&b, &success).await?;
        b.snapshot("merchant_landing").await;
        let status = order_status(&app, order_id).await;
        ensure!(status == "paid", "order {order_id} is {status}");
        let events = events(&app, &shop, order_id).await;
        ensure!(
            events == ["order.created", "order.payment.succeeded"],
            "webhooks: {events:?}"
        );
        let hook = &shop.received_at(Method::POST, WEBHOOK)[1];
        let signature = hook
            .headers
            .get("signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        ensure!(
            signature.len() == 128,
            "the webhook is not signed: {:?}",
            hook.headers
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn a_declined_card_shows_the_error_on_the_form_and_a_good_card_then_pays() {
    let app = spawn_app().await;
    let shop = Merchant::start().await;
    let (order_id, payment_url, success) = merchant_payment(&app, &shop, "e2e-retry", |b| b).await;

    run_journey("softline_decline_then_retry", |b| async move {
        b.goto(&payment_url).await?;
        fill_card(&b, "4000 0000 0000 0002").await?;
        b.click(PAY).await?;

        let error = b.text(&tid("error")).await?;
        b.snapshot("softline_form_error").await;
        ensure!(
            error == "Платёж отклонён банком, выпустившим карту. Попробуйте другую карту.",
            "error shown: {error:?}"
        );
        ensure!(
            b.url().await.starts_with(&app.address),
            "a decline left the form: {}",
            b.url().await
        );
        let status = order_status(&app, order_id).await;
        ensure!(
            status == "not paid",
            "after a decline the order is {status}"
        );

        fill_card(&b, "5555 5555 5555 4444").await?;
        b.click(PAY).await?;
        shop.landed(&b, &success).await?;
        let status = order_status(&app, order_id).await;
        ensure!(status == "paid", "order {order_id} is {status}");
        let events = events(&app, &shop, order_id).await;
        ensure!(
            events
                == [
                    "order.created",
                    "order.payment.failed",
                    "order.payment.succeeded"
                ],
            "webhooks: {events:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn a_3ds_card_pays_with_the_right_code_and_is_declined_with_a_wrong_one() {
    let app = spawn_app().await;
    let shop = Merchant::start().await;
    let (right_id, right_url, right_success) =
        merchant_payment(&app, &shop, "e2e-3ds-right", |b| b).await;
    let (wrong_id, wrong_url, wrong_success) =
        merchant_payment(&app, &shop, "e2e-3ds-wrong", |b| b).await;

    run_journey("softline_3ds", |b| async move {
        // The right code.
        b.goto(&right_url).await?;
        fill_card(&b, "4000 0000 0000 3220").await?;
        b.click(PAY).await?;
        b.wait_for_url("the challenge page", |u| u.ends_with("/3ds"))
            .await?;
        b.find(&tid("challenge-form")).await?;
        b.snapshot("softline_challenge").await;
        let quick = b.text(".quick-title").await?;
        ensure!(quick == "Без ввода кода", "one-click title: {quick:?}");
        b.type_into("#code", "123456").await?;
        b.click(CONFIRM).await?;
        shop.landed(&b, &right_success).await?;
        let status = order_status(&app, right_id).await;
        ensure!(status == "paid", "order {right_id} is {status}");

        // A wrong code: the form again with the reason; the buyer then
        // approves with one click.
        b.goto(&wrong_url).await?;
        fill_card(&b, "4000 0000 0000 3220").await?;
        b.click(PAY).await?;
        b.type_into("#code", "000000").await?;
        b.click(CONFIRM).await?;
        let error = b.text(&tid("error")).await?;
        ensure!(
            error == "Проверка 3-D Secure не пройдена. Платёж отклонён.",
            "error shown: {error:?}"
        );
        let status = order_status(&app, wrong_id).await;
        ensure!(
            status == "not paid",
            "after a wrong code the order is {status}"
        );
        let events = events(&app, &shop, wrong_id).await;
        ensure!(
            events == ["order.created", "order.payment.failed"],
            "webhooks: {events:?}"
        );
        b.click(&tid("approve")).await?;
        shop.landed(&b, &wrong_success).await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn the_form_speaks_english_for_en_en_and_russian_for_de_de() {
    let app = spawn_app().await;
    let shop = Merchant::start().await;
    let (_, english_url, english_success) = merchant_payment(&app, &shop, "e2e-en", |b| {
        with(b, "/locale", json!("en_EN"))
    })
    .await;
    let (german_id, german_url, german_success) = merchant_payment(&app, &shop, "e2e-de", |b| {
        with(b, "/locale", json!("de_DE"))
    })
    .await;

    run_journey("softline_languages", |b| async move {
        ensure!(
            english_url.ends_with("?lang=en_EN"),
            "payment_url: {english_url}"
        );
        b.goto(&english_url).await?;
        let lang = b.attr("html", "lang").await?;
        ensure!(lang == "en", "<html lang={lang}> for en_EN");
        let label = b.text("label[for=card_number]").await?;
        ensure!(label == "Card number", "label: {label:?}");
        let pay = b.text(PAY).await?;
        ensure!(pay == "Pay 112.50 RUB", "button: {pay:?}");
        let approve = b.text(&tid("approve")).await?;
        ensure!(approve == "Approve payment", "approve: {approve:?}");
        b.snapshot("softline_form_en").await;
        fill_card(&b, "4111 1111 1111 1111").await?;
        b.click(PAY).await?;
        shop.landed(&b, &english_success).await?;

        b.goto(&german_url).await?;
        let lang = b.attr("html", "lang").await?;
        ensure!(lang == "ru", "<html lang={lang}> for de_DE");
        let label = b.text("label[for=card_number]").await?;
        ensure!(label == "Номер карты", "label: {label:?}");
        let pay = b.text(PAY).await?;
        ensure!(pay == "Оплатить 112.50 RUB", "button: {pay:?}");
        b.click(&tid("approve")).await?;
        shop.landed(&b, &german_success).await?;
        let status = order_status(&app, german_id).await;
        ensure!(status == "paid", "order {german_id} is {status}");
        Ok(())
    })
    .await;
}
