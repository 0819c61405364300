//! An IMSHOP run against the reference merchant whose payment page a
//! person finishes in a browser: started from the runs page with "finished
//! by me in a browser", the Softline form paid in the tab the run page
//! opens, and the final URL pasted back into the run page's form.

use serde_json::Value;

use crate::browser::{Browser, run_journey, tid};
use crate::browser_softline::fill_card;
use crate::ensure;
use crate::helpers::spawn_app;

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn a_run_whose_card_page_a_person_pays_in_the_browser_passes_with_the_final_url_pasted_back()
{
    let app = spawn_app().await;
    let demo_webhook = app.url("/demo/merchant/payments");

    run_journey("imshop_run_by_hand", |b: Browser| async move {
        // Start the run from the runs page, as a developer would.
        b.goto(&app.url("/imshop/runs")).await?;
        let webhook = b.attr("#webhook", "value").await?;
        ensure!(
            webhook == demo_webhook,
            "the form offers {webhook}, not the reference merchant"
        );
        b.select("#flow", "card").await?;
        b.select("#web_view", "browser").await?;
        b.click(&format!("{} button[type=submit]", tid("run-form")))
            .await?;
        let run_page = b
            .wait_for_url("the run's page", |u| u.contains("/imshop/runs/run"))
            .await?;
        let run_id = run_page.rsplit('/').next().unwrap_or_default().to_owned();
        // The page refreshes itself until the run waits for a person.
        b.wait_for_text(&tid("run-status"), "needs_browser").await?;
        b.snapshot("imshop_run_needs_browser").await;

        // The payment page opens in a new tab; the buyer pays there.
        let run_tab = b
            .client
            .window()
            .await
            .map_err(|e| format!("no window: {e}"))?;
        let tabs = b.windows().await?;
        b.click(&tid("payment-page")).await?;
        b.switch_to_new_window(&tabs).await?;
        b.find(&tid("card-form")).await?;
        fill_card(&b, "4111 1111 1111 1111").await?;
        b.click(&format!("{} button[type=submit]", tid("card-form")))
            .await?;
        let final_url = b
            .wait_for_url("the reference merchant's paid page", |u| {
                u.contains("/demo/merchant/orders/") && u.ends_with("/paid")
            })
            .await?;
        b.snapshot("demo_merchant_paid").await;
        b.close_window_to(run_tab).await?;

        // Back on the run page: paste where the browser ended.
        b.type_into("#final-url", &final_url).await?;
        b.click(&format!("{} button[type=submit]", tid("final-url-form")))
            .await?;
        b.wait_for_text(&tid("run-status"), "passed").await?;
        b.snapshot("imshop_run_passed").await;

        let run: Value = app.get_json(&format!("/imshop/runs/{run_id}"), 200).await;
        ensure!(run["status"] == "passed", "the run: {run:#}");
        let driven = run["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == "payment_page_driven")
            .map(|c| c["message"].clone());
        ensure!(
            driven == Some("finished by a person in a browser".into()),
            "payment_page_driven: {driven:?}"
        );
        let captured = run["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["name"] == "payment_captured_agrees" && c["status"] == "passed");
        ensure!(captured, "capture did not agree: {run:#}");
        Ok(())
    })
    .await;
}
