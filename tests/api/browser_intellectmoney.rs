//! IntellectMoney's hosted pages in a real browser: the BNPL `Form3DS`
//! served by the merchant and the PayLate page, and the invoice payment
//! page with a 3-D Secure card; each ends on the merchant's SuccessUrl or
//! FailUrl, and the merchant gets the result notification.

use axum::http::Method;

use crate::browser::{run_journey, tid};
use crate::browser_merchant::Merchant;
use crate::browser_softline::fill_card;
use crate::ensure;
use crate::helpers::{TestApp, spawn_app};
use crate::intellectmoney_support::{create_invoice, pay, poll, poll_until_settled};

const RESULT: &str = "/im/result";
const CONFIRM: &str = "[data-testid=\"challenge-form\"] button[type=submit]";

/// An invoice of `order_id` whose SuccessUrl, FailUrl and ResultUrl are on
/// the merchant.
pub async fn merchant_invoice(app: &TestApp, shop: &Merchant, order_id: &str) -> u64 {
    let success = shop.url(&format!("/orders/{order_id}/success"));
    let fail = shop.url(&format!("/orders/{order_id}/fail"));
    let result = shop.url(RESULT);
    create_invoice(
        app,
        order_id,
        &[
            ("successUrl", &success),
            ("failUrl", &fail),
            ("resultUrl", &result),
        ],
    )
    .await
}

/// The `paymentStatus` of every result notification the merchant got for
/// `invoice_id`, delivering what is due first.
async fn notified(app: &TestApp, shop: &Merchant, invoice_id: u64) -> Vec<String> {
    app.deliver_pending_webhooks().await;
    shop.received_at(Method::POST, RESULT)
        .iter()
        .filter(|n| n.form_field("paymentId") == Some(invoice_id.to_string()))
        .filter_map(|n| n.form_field("paymentStatus"))
        .collect()
}

/// BnplPayment with the merchant's SuccessUrl/FailUrl, polled to
/// SendTo3DS; the merchant serves the `Form3DS` as its own page, whose URL
/// is returned.
async fn bnpl_to_form3ds(app: &TestApp, shop: &Merchant, order_id: &str) -> (u64, String) {
    let invoice = merchant_invoice(app, shop, order_id).await;
    let success = shop.url(&format!("/orders/{order_id}/success"));
    let fail = shop.url(&format!("/orders/{order_id}/fail"));
    let started = pay(
        app,
        "bnplPayment",
        invoice,
        &[("successUrl", &success), ("failUrl", &fail)],
    )
    .await;
    assert_eq!(started["OperationState"]["Code"], 0, "{started}");
    let (steps, result) = poll_until_settled(app, invoice).await;
    assert_eq!(
        steps.last().map(String::as_str),
        Some("SendTo3DS"),
        "{steps:?}"
    );
    let form3ds = result["Form3DS"].as_str().expect("Form3DS").to_owned();
    let page = shop.serve(&format!("/checkout/{order_id}/paylate"), &form3ds);
    (invoice, page)
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn bnpl_approved_on_the_paylate_page_after_the_form3ds_auto_submits_lands_on_the_success_url()
{
    let app = spawn_app().await;
    let shop = Merchant::start().await;
    let (approved, approved_page) = bnpl_to_form3ds(&app, &shop, "e2e-bnpl-ok").await;
    let (declined, declined_page) = bnpl_to_form3ds(&app, &shop, "e2e-bnpl-no").await;

    run_journey("intellectmoney_bnpl", |b| async move {
        // The merchant's page auto-submits to PayLate.
        b.goto(&approved_page).await?;
        b.wait_for_url("the PayLate page", |u| {
            u.ends_with(&format!("/intellectmoney/paylate/{approved}"))
        })
        .await?;
        b.find(&tid("approve")).await?;
        b.snapshot("intellectmoney_paylate").await;
        b.click(&tid("approve")).await?;
        shop.landed(&b, "/orders/e2e-bnpl-ok/success").await?;
        let step = poll(&app, approved).await["PaymentStep"].clone();
        ensure!(step == "Ok", "after approval the step is {step}");
        let statuses = notified(&app, &shop, approved).await;
        ensure!(
            statuses.last().map(String::as_str) == Some("5"),
            "notifications: {statuses:?}\n{}",
            shop.log()
        );

        b.goto(&declined_page).await?;
        b.wait_for_url("the PayLate page", |u| {
            u.contains("/intellectmoney/paylate/")
        })
        .await?;
        b.click(&tid("decline")).await?;
        shop.landed(&b, "/orders/e2e-bnpl-no/fail").await?;
        let result = poll(&app, declined).await;
        ensure!(
            result["PaymentStep"] == "Error"
                && result["Message"] == "Заявка на оплату частями отклонена",
            "after a decline: {result}"
        );
        let statuses = notified(&app, &shop, declined).await;
        ensure!(
            !statuses.contains(&"5".to_owned()),
            "a declined plan notified paid: {statuses:?}"
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
async fn a_3ds_card_typed_on_the_invoice_page_pays_with_the_code_and_fails_without_it() {
    let app = spawn_app().await;
    let shop = Merchant::start().await;
    let paid = merchant_invoice(&app, &shop, "e2e-im-3ds").await;
    let failed = merchant_invoice(&app, &shop, "e2e-im-3ds-wrong").await;

    run_journey("intellectmoney_card_3ds", |b| async move {
        b.goto(&app.url(&format!("/intellectmoney/pay/{paid}")))
            .await?;
        b.find(&tid("card-form")).await?;
        b.snapshot("intellectmoney_pay").await;
        let amount = b.text(&tid("amount")).await?;
        ensure!(amount == "10,00 ₽", "amount shown: {amount:?}");
        fill_card(&b, "4000 0000 0000 3220").await?;
        b.click(&format!("{} button[type=submit]", tid("card-form")))
            .await?;
        b.wait_for_url("the 3-D Secure page", |u| {
            u.ends_with(&format!("/intellectmoney/3ds/{paid}"))
        })
        .await?;
        b.find(&tid("challenge-form")).await?;
        b.snapshot("intellectmoney_3ds").await;
        b.type_into("#code", "123456").await?;
        b.click(CONFIRM).await?;
        shop.landed(&b, "/orders/e2e-im-3ds/success").await?;
        let statuses = notified(&app, &shop, paid).await;
        ensure!(
            statuses == ["3", "5"],
            "notifications: {statuses:?}\n{}",
            shop.log()
        );

        b.goto(&app.url(&format!("/intellectmoney/pay/{failed}")))
            .await?;
        fill_card(&b, "4000 0000 0000 3220").await?;
        b.click(&format!("{} button[type=submit]", tid("card-form")))
            .await?;
        b.type_into("#code", "654321").await?;
        b.click(CONFIRM).await?;
        shop.landed(&b, "/orders/e2e-im-3ds-wrong/fail").await?;
        let statuses = notified(&app, &shop, failed).await;
        ensure!(statuses == ["3"], "notifications: {statuses:?}");
        Ok(())
    })
    .await;
}
