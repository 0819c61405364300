//! The dashboard in a real browser.

use crate::browser::{Browser, run_journey, tid};
use crate::browser_accessibility::audit;
use crate::ensure;
use crate::helpers::spawn_app;
use crate::intellectmoney_support::{create_invoice, pay, poll_until_settled};

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn a_fault_added_from_the_dashboard_form_in_a_browser_is_listed_and_applied() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let client = app.client.clone();

    run_journey("dashboard_fault_form", |b: Browser| async move {
        b.goto(&format!("{base}/faults")).await?;
        b.type_into("#ft-path", "/v1/order").await?;
        b.type_into("#ft-status", "503").await?;
        b.type_into("#ft-times", "1").await?;
        b.click("[data-testid=fault-form] button[type=submit]")
            .await?;
        b.wait_for_url("the faults page after adding", |u| {
            u.contains("/faults?done=")
        })
        .await?;
        let listed = b.text("[data-testid=faults]").await?;
        ensure!(
            listed.contains("status 503"),
            "the fault is not listed: {listed}"
        );
        let hit = client
            .get(format!("{base}/softline/v1/order/1"))
            .send()
            .await;
        let status = hit.map(|r| r.status().as_u16()).unwrap_or(0);
        ensure!(status == 503, "the fault did not apply: status {status}");
        Ok(())
    })
    .await;
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn an_error_armed_with_its_button_on_the_scenarios_page_shows_in_the_payments_timeline() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "e2e-dash-armed", &[]).await;
    let bystander = create_invoice(&app, "e2e-dash-bystander", &[]).await;
    let base = app.address.clone();

    run_journey("dashboard_scenario_timeline", |b: Browser| async move {
        b.goto(&format!("{base}/scenarios")).await?;
        let row = "tr[data-scenario=\"intellectmoney.payment.declined\"]";
        b.type_into(&format!("{row} [name=match_field]"), "InvoiceId")
            .await?;
        b.type_into(&format!("{row} [name=match_value]"), &invoice.to_string())
            .await?;
        b.click(&format!("{row} {}", tid("arm"))).await?;
        b.wait_for_url("the scenarios page after arming", |u| {
            u.contains("/scenarios?done=")
        })
        .await?;
        let armed = b.text(&tid("armed")).await?;
        ensure!(
            armed.contains("intellectmoney.payment.declined")
                && armed.contains(&invoice.to_string()),
            "not armed as asked: {armed}"
        );
        b.snapshot("dashboard_scenarios").await;
        audit(&b, "the scenarios page", &["button"]).await?;

        // The merchant pays both invoices with a good card over the API.
        pay(&app, "bankCardPayment", invoice, &[]).await;
        pay(&app, "bankCardPayment", bystander, &[]).await;
        let (_, forced) = poll_until_settled(&app, invoice).await;
        let (_, natural) = poll_until_settled(&app, bystander).await;
        ensure!(
            forced["PaymentStep"] == "Error" && forced["Message"] == "Отказ банка-эмитента",
            "the armed error did not apply: {forced}"
        );
        ensure!(
            natural["PaymentStep"] == "Ok",
            "the scenario hit another invoice: {natural}"
        );

        b.goto(&format!("{base}/objects/{invoice}")).await?;
        let timeline = b.text(&tid("journal")).await?;
        b.snapshot("dashboard_timeline").await;
        audit(&b, "the timeline page", &["button"]).await?;
        ensure!(
            timeline.contains("bankCardPayment") && timeline.contains("Error"),
            "the timeline does not show the declined payment: {timeline}"
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
async fn a_long_base_url_on_the_overview_wraps_at_its_separators_on_a_phone() {
    // Arrange: a public URL far wider than a phone's panel.
    let app = crate::helpers::spawn_app_with(paysandbox::Settings {
        public_url: Some(
            "http://paysandboxsharedteamsandbox.internalpayments.examplecompany.com:8080"
                .to_owned(),
        ),
        ..crate::helpers::test_settings()
    })
    .await;
    let base = app.address.clone();

    run_journey("dashboard_long_base_url", |b: Browser| async move {
        // Act
        b.goto(&format!("{base}/")).await?;
        // The characters each line of the Softline base URL ends with, and
        // whether the panel had to cut anything off.
        let layout = b
            .execute(
                r#"
                const code = [...document.querySelectorAll('.panel code')]
                  .find(c => c.textContent.endsWith('/softline'));
                const ends = [];
                let top = null, last = null;
                const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
                for (let text = walker.nextNode(); text; text = walker.nextNode()) {
                  for (let i = 0; i < text.length; i++) {
                    const range = document.createRange();
                    range.setStart(text, i);
                    range.setEnd(text, i + 1);
                    const y = range.getClientRects()[0].top;
                    if (top !== null && y > top + 1) ends.push(last);
                    top = y;
                    last = text.data[i];
                  }
                }
                const panel = code.closest('.panel');
                return { ends, clipped: panel.scrollWidth > panel.clientWidth };
                "#,
                serde_json::Value::Null,
            )
            .await?;

        // Assert
        let ends: Vec<&str> = layout["ends"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
            .unwrap_or_default();
        ensure!(!ends.is_empty(), "the URL did not wrap at all: {layout}");
        ensure!(
            ends.iter().all(|c| ["/", ".", "-", ":"].contains(c)),
            "a line ends inside a word: {layout}"
        );
        ensure!(
            layout["clipped"] == false,
            "the panel cuts the URL off: {layout}"
        );
        Ok(())
    })
    .await;
}
