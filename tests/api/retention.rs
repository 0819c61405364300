//! `--retention`: payments, invoices and issued tokens untouched for that
//! long are forgotten, in memory and in a data directory; whatever is used
//! stays, and the sandbox clock does not age anything.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::concurrency::stored;
use crate::durable_state::{data_dir, kill_9};
use crate::helpers::{TestApp, spawn_app_with, start_binary, test_settings};
use crate::intellectmoney_support::{Request, create_invoice, invoice_params, payment_params};
use crate::softline_support::{
    TOKEN, api_get, api_get_as, assert_errors, create_ok, minimal_payment,
};
use crate::workspaces_support::login;

fn retaining(retention: Duration) -> paysandbox::Settings {
    paysandbox::Settings {
        retention: Some(retention.into()),
        ..test_settings()
    }
}

/// Polls `/metrics` (which touches nothing) until `kind` counts `count`,
/// touching what must stay with `keep_touching` meanwhile; false after 10 s.
async fn until_stored<F: std::future::Future<Output = ()>>(
    app: &TestApp,
    kind: &str,
    count: usize,
    keep_touching: impl Fn() -> F,
) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if stored(app, kind).await == count {
            return true;
        }
        keep_touching().await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

#[tokio::test]
async fn a_payment_untouched_for_the_retention_is_forgotten_and_one_in_use_stays() {
    let app = spawn_app_with(retaining(Duration::from_secs(2))).await;
    let (stale, _) = create_ok(&app, &minimal_payment("stale")).await;
    let (used, _) = create_ok(&app, &minimal_payment("used")).await;
    let token = login(&app, "sandbox", "sandbox").await;

    let forgotten = until_stored(&app, "softline_payments", 1, || async {
        assert_eq!(
            api_get(&app, &format!("/softline/v1/order/{used}"))
                .await
                .status(),
            200
        );
    })
    .await;

    assert!(
        forgotten,
        "the untouched payment is still stored after 10 s"
    );
    let response = api_get(&app, &format!("/softline/v1/order/{stale}")).await;
    assert_errors(response, 404, &[(404, "Order not found.")]).await;
    let response = api_get(&app, &format!("/softline/v1/order/{used}")).await;
    assert_eq!(response.status(), 200);
    let response = api_get_as(&app, &token, &format!("/softline/v1/order/{used}")).await;
    assert_errors(response, 401, &[(1007, "Your token is invalid.")]).await;
    let response = api_get_as(&app, TOKEN, &format!("/softline/v1/order/{used}")).await;
    assert_eq!(response.status(), 200, "static tokens are never forgotten");
}

#[tokio::test]
async fn a_forgotten_invoice_is_not_found_and_its_order_id_is_free_again() {
    let app = spawn_app_with(retaining(Duration::from_secs(2))).await;
    let invoice = create_invoice(&app, "RETAINED-1", &[]).await;

    let forgotten = until_stored(&app, "intellectmoney_invoices", 0, || async {}).await;

    assert!(
        forgotten,
        "the untouched invoice is still stored after 10 s"
    );
    let state = Request::signed(
        "getBankCardPaymentState",
        payment_params("getBankCardPaymentState", invoice),
    )
    .envelope(&app)
    .await;
    assert_eq!(
        state["Result"]["State"],
        json!({"Code": 7, "Desc": format!("Счёт {invoice} не найден"), "ErrorSourceParam": "InvoiceId"})
    );
    let again = Request::signed("createInvoice", invoice_params("RETAINED-1"))
        .envelope(&app)
        .await;
    assert_eq!(again["Result"]["State"]["Code"], 0, "{again}");
}

#[tokio::test]
async fn moving_a_workspace_s_clock_ahead_ages_nothing() {
    let app = spawn_app_with(retaining(Duration::from_secs(3600))).await;
    let (order, _) = create_ok(&app, &minimal_payment("kept")).await;
    let advanced = app
        .post_json("/__sandbox/clock/advance", &json!({"seconds": 30 * 86_400}))
        .await;
    assert_eq!(advanced.status(), 200);

    let forgotten = app.workspaces.forget_untouched(Duration::from_secs(3600));

    assert_eq!(forgotten, 0);
    assert_eq!(
        api_get(&app, &format!("/softline/v1/order/{order}"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn without_retention_nothing_is_forgotten() {
    let app = spawn_app_with(test_settings()).await;
    create_ok(&app, &minimal_payment("kept")).await;

    let forgotten = app.workspaces.forget_untouched(Duration::ZERO);

    assert_eq!(forgotten, 0);
    assert_eq!(stored(&app, "softline_payments").await, 1);
}

/// `paysandbox_stored` of `kind` on a running binary.
async fn stored_in(client: &reqwest::Client, base: &str, kind: &str) -> usize {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = format!("paysandbox_stored{{kind=\"{kind}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&needle))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {kind} in /metrics"))
}

#[tokio::test]
async fn a_data_directory_keeps_when_each_payment_was_touched_and_forgets_it_on_disk_too() {
    let dir = data_dir("retention");
    let data = dir.to_str().unwrap();
    let first = start_binary(&["--data-dir", data]);
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/softline/v1/payment", first.base_url))
        .bearer_auth(TOKEN)
        .json(&minimal_payment("old"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let created_at = Instant::now();
    kill_9(first);

    // Older than the retention when it is read back. Forgotten by the first
    // sweep, at start: had the restart counted as a touch, it would stay
    // for the 3 s of the retention.
    tokio::time::sleep(Duration::from_secs(4).saturating_sub(created_at.elapsed())).await;
    let retaining = start_binary(&["--data-dir", data, "--retention", "3s"]);
    let started = Instant::now();
    let mut count = stored_in(&client, &retaining.base_url, "softline_payments").await;
    while count != 0 && started.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        count = stored_in(&client, &retaining.base_url, "softline_payments").await;
    }
    assert_eq!(count, 0, "the old payment was not forgotten at start");
    // The keeper writes what background work changed every 200 ms.
    tokio::time::sleep(Duration::from_millis(600)).await;
    kill_9(retaining);
    let restarted = start_binary(&["--data-dir", data]);

    let after = stored_in(&client, &restarted.base_url, "softline_payments").await;

    assert_eq!(after, 0, "forgotten on disk as well");
}
