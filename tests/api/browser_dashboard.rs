//! The dashboard in a real browser.

use crate::browser::{Browser, run_journey};
use crate::ensure;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_fault_added_from_the_dashboard_form_in_a_browser_is_listed_and_applied() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let client = app.client.clone();

    run_journey("dashboard_fault_form", |b: Browser| async move {
        let outcome = async {
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
        }
        .await;
        (b, outcome)
    })
    .await;
}
