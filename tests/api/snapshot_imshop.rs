//! Snapshots of IMSHOP runs and of the reference merchant: a finished run
//! answers the same after a restore, a run in progress is left out, and the
//! merchant's payments table comes back with it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, run_finished, spawn_app};

/// A run of `flow` against the reference merchant of `app`, finished.
async fn finished_run(app: &TestApp, flow: &str) -> (String, Value) {
    let webhook = app.url("/demo/merchant/payments");
    let id = app
        .start_run(&json!({"webhook": webhook, "flow": flow}))
        .await;
    let run = app.wait_for_run(&id, run_finished).await;
    (id, run)
}

/// `command` sent to the reference merchant as IMSHOP sends it.
async fn merchant_command(app: &TestApp, command: &Value) -> Value {
    let response = app
        .client
        .post(app.url("/demo/merchant/payments"))
        .bearer_auth("sandbox-imshop-key")
        .json(command)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{command}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_finished_run_answers_exactly_as_before_after_a_restore_whatever_ran_in_between() {
    // Arrange: a finished run, the snapshot, then another run.
    let app = spawn_app().await;
    let (id, run) = finished_run(&app, "all").await;
    assert_eq!(run["status"], "passed", "{run:#}");
    let list = app.get_json("/imshop/runs", 200).await;
    let page = without_clock(&app.html(&format!("/imshop/runs/{id}")).await);
    app.take_snapshot("/__sandbox", "x").await;
    let (later, _) = finished_run(&app, "card").await;

    // Act
    assert_eq!(app.restore_snapshot("/__sandbox", "x").await.status(), 200);

    // Assert
    assert_eq!(app.get_json(&format!("/imshop/runs/{id}"), 200).await, run);
    assert_eq!(app.get_json("/imshop/runs", 200).await, list);
    assert_eq!(
        without_clock(&app.html(&format!("/imshop/runs/{id}")).await),
        page
    );
    let gone = app.get_json(&format!("/imshop/runs/{later}"), 404).await;
    assert_eq!(
        gone,
        json!({"success": false, "error": format!("no run {later}")})
    );
    let (again, _) = finished_run(&app, "card").await;
    assert_eq!(again, later, "the ids drawn after the snapshot repeat");
}

/// The page without the sandbox clock its top bar shows to the second
/// (a second may pass between two looks at the same page).
fn without_clock(page: &str) -> String {
    const CLOCK: &str = r#"<span class="clock" title="Sandbox clock">"#;
    let start = page.find(CLOCK).expect("the page shows the sandbox clock") + CLOCK.len();
    let end = page[start..].find('<').map_or(page.len(), |at| start + at);
    format!("{}{}", &page[..start], &page[end..])
}

#[tokio::test]
async fn a_finished_run_comes_back_after_a_reset() {
    let app = spawn_app().await;
    let (id, run) = finished_run(&app, "applepay").await;
    app.take_snapshot("/__sandbox", "x").await;
    let reset = app.post_json("/__sandbox/reset", &json!({})).await;
    assert_eq!(reset.status(), 200);
    app.get_json(&format!("/imshop/runs/{id}"), 404).await;

    assert_eq!(app.restore_snapshot("/__sandbox", "x").await.status(), 200);

    assert_eq!(app.get_json(&format!("/imshop/runs/{id}"), 200).await, run);
}

#[tokio::test]
async fn a_late_sync_report_for_a_restored_run_is_acknowledged_as_before() {
    // Arrange
    let app = spawn_app().await;
    let (_, run) = finished_run(&app, "card").await;
    let order = &run["orders"][0];
    let report = json!({
        "orderId": order["order_id"], "paymentId": order["payment_ids"][0],
        "success": true, "paymentCaptured": true,
    });
    let before: Value = app
        .post_json("/imshop/sync", &report)
        .await
        .json()
        .await
        .unwrap();
    app.take_snapshot("/__sandbox", "x").await;
    app.post_json("/__sandbox/reset", &json!({})).await;

    // Act
    assert_eq!(app.restore_snapshot("/__sandbox", "x").await.status(), 200);
    let after: Value = app
        .post_json("/imshop/sync", &report)
        .await
        .json()
        .await
        .unwrap();

    // Assert
    assert_eq!(before, json!({"success": true}));
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_run_in_progress_is_left_out_of_a_snapshot_and_a_restore_stops_the_live_one() {
    // Arrange: a run waiting for a person to finish its payment page.
    let app = spawn_app().await;
    let (finished, _) = finished_run(&app, "googlepay").await;
    let webhook = app.url("/demo/merchant/payments");
    let waiting = app
        .start_run(&json!({"webhook": webhook, "flow": "card", "web_view": "browser"}))
        .await;
    app.wait_for_run(&waiting, |run| run["status"] == "needs_browser")
        .await;

    // Act
    app.take_snapshot("/__sandbox", "x").await;
    assert_eq!(app.restore_snapshot("/__sandbox", "x").await.status(), 200);

    // Assert
    let document = app.get_json("/__sandbox/snapshots/x", 200).await;
    let ids: Vec<&str> = document["providers"]["imshop"]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [finished.as_str()]);
    app.get_json(&format!("/imshop/runs/{waiting}"), 404).await;
    let list = app.get_json("/imshop/runs", 200).await;
    let listed: Vec<&str> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [finished.as_str()]);
}

#[tokio::test]
async fn the_reference_merchant_captures_a_restored_wallet_payment_as_before() {
    // Arrange: a declined Apple Pay payment, kept, then forgotten.
    let app = spawn_app().await;
    let webhook = app.url("/demo/merchant/payments");
    let id = app
        .start_run(&json!({"webhook": webhook, "flow": "applepay", "outcome": "failure"}))
        .await;
    let run = app.wait_for_run(&id, run_finished).await;
    let payment_id = run["orders"][0]["payment_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let capture = json!({"command": "capture", "paymentId": payment_id});
    app.take_snapshot("/__sandbox", "x").await;
    app.post_json("/__sandbox/reset", &json!({})).await;
    let forgotten = merchant_command(&app, &capture).await;

    // Act
    assert_eq!(app.restore_snapshot("/__sandbox", "x").await.status(), 200);
    let restored = merchant_command(&app, &capture).await;

    // Assert
    assert_eq!(
        forgotten,
        json!({"success": false, "error": format!("unknown paymentId {payment_id:?}")})
    );
    assert_eq!(
        restored,
        json!({
            "success": false, "paymentId": payment_id, "paymentCaptured": false,
            "error": "the wallet payment was declined",
        })
    );
}

#[tokio::test]
async fn a_document_with_a_malformed_run_is_refused_naming_the_field_and_changes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (id, run) = finished_run(&app, "card").await;
    app.take_snapshot("/__sandbox", "x").await;
    let mut document = app.get_json("/__sandbox/snapshots/x", 200).await;
    document["providers"]["imshop"]["runs"][0]["checks"][2]["status"] = json!("great");

    // Act
    let response = app
        .client
        .put(app.url("/__sandbox/snapshots/y"))
        .json(&document)
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "not a snapshot document: providers.imshop.runs[0].checks[2].status: \"great\" is not \"passed\", \"warning\" or \"failed\""
    );
    app.get_json("/__sandbox/snapshots/y", 404).await;
    assert_eq!(app.get_json(&format!("/imshop/runs/{id}"), 200).await, run);
}

#[tokio::test]
async fn a_checkout_run_and_the_merchants_exported_orders_come_back_with_a_restore() {
    // Arrange: a finished checkout run against the reference merchant.
    let app = spawn_app().await;
    let merchant = app.url("/demo/merchant");
    let id = app
        .start_run(&json!({
            "webhook": format!("{merchant}/payments"), "flow": "checkout",
            "methods": format!("{merchant}/payment-methods"),
            "deliveries": format!("{merchant}/deliveries"),
            "orders": format!("{merchant}/orders"),
        }))
        .await;
    let run = app.wait_for_run(&id, run_finished).await;
    assert_eq!(run["status"], "passed", "{run:#}");
    app.take_snapshot("/__sandbox", "checkout").await;
    app.post_json("/__sandbox/reset", &json!({})).await;

    // Act
    let restored = app.restore_snapshot("/__sandbox", "checkout").await;

    // Assert: the run as it was, and the order it exported is still known
    // (a repeated export answers its number).
    assert_eq!(restored.status(), 200);
    assert_eq!(app.get_json(&format!("/imshop/runs/{id}"), 200).await, run);
    let order = &run["orders"][0];
    let again: Value = app
        .client
        .post(format!("{merchant}/orders"))
        .bearer_auth("sandbox-imshop-key")
        .json(&json!({"orders": [{"uuid": order["order_uuid"]}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["orders"][0]["id"], order["order_id"], "{again}");
}
