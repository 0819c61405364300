//! Durable state (`--data-dir`) of IMSHOP runs and of the reference
//! merchant: a finished run answers the same after `kill -9` and a restart,
//! the runs list holds it, a late sync report for it is still
//! acknowledged, and the merchant still knows the payments it captured.

use std::time::Duration;

use serde_json::{Value, json};

use crate::durable_state::{data_dir, kill_9, serve_on};

/// The built-in IMSHOP key, which the reference merchant accepts.
const KEY: &str = "sandbox-imshop-key";

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(url)
        .bearer_auth(KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Starts a run of every flow against the reference merchant of the
/// server at `base` and waits until it is over; its id.
async fn finished_run(client: &reqwest::Client, base: &str) -> String {
    let (status, created) = post(
        client,
        &format!("{base}/imshop/runs"),
        &json!({"webhook": format!("{base}/demo/merchant/payments"), "flow": "all"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    for _ in 0..1500 {
        let (_, run) = get(client, &format!("{base}/imshop/runs/{id}")).await;
        if run["status"] == "passed" || run["status"] == "failed" {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("run {id} did not finish in 30 s");
}

/// Everything asked of the server at `base` about run `id` and its
/// payments: the run, the runs list, `capture` of each payment at the
/// reference merchant, and a late sync report for each order.
async fn seen(client: &reqwest::Client, base: &str, id: &str, run: &Value) -> Value {
    let mut captures = Vec::new();
    let mut syncs = Vec::new();
    for order in run["orders"].as_array().unwrap() {
        for payment_id in order["payment_ids"].as_array().unwrap() {
            captures.push(
                post(
                    client,
                    &format!("{base}/demo/merchant/payments"),
                    &json!({"command": "capture", "paymentId": payment_id}),
                )
                .await,
            );
            let report = json!({
                "orderId": order["order_id"], "paymentId": payment_id,
                "success": true, "paymentCaptured": true,
            });
            syncs.push(post(client, &format!("{base}/imshop/sync"), &report).await);
        }
    }
    json!({
        "run": get(client, &format!("{base}/imshop/runs/{id}")).await,
        "list": get(client, &format!("{base}/imshop/runs")).await,
        "captures": captures,
        "syncs": syncs,
    })
}

#[tokio::test]
async fn a_finished_run_and_the_merchant_s_payments_answer_the_same_after_a_kill_9_and_a_restart() {
    // Arrange: a run of every flow, finished.
    let dir = data_dir("imshop");
    let running = serve_on(&dir);
    let base = running.base_url.clone();
    let client = reqwest::Client::new();
    let id = finished_run(&client, &base).await;
    let (_, run) = get(&client, &format!("{base}/imshop/runs/{id}")).await;
    // The run finished in the background: the keeper writes it within
    // 200 ms. A control-plane request that changes something writes every
    // change of the workspace before it answers, so once this is answered
    // the run's row is committed.
    let (advanced, _) = post(
        &client,
        &format!("{base}/__sandbox/clock/advance"),
        &json!({"seconds": 1}),
    )
    .await;
    assert_eq!(advanced, 200);
    let before = seen(&client, &base, &id, &run).await;

    // Act
    kill_9(running);
    let restarted = serve_on(&dir);
    let again = restarted.base_url.clone();
    let after = seen(&client, &again, &id, &run).await;

    // Assert: what the run holds names the old address; only what is
    // made when asked (the runs list's links) names the new one.
    let host = |url: &str| url.trim_start_matches("http://").to_owned();
    let after = serde_json::to_string(&after)
        .unwrap()
        .replace(&host(&again), &host(&base));
    assert_eq!(after, serde_json::to_string(&before).unwrap());
    assert_eq!(before["run"][0], 200);
    assert_eq!(before["run"][1]["id"], id.as_str());
    assert_eq!(before["list"][1]["runs"][0]["id"], id.as_str());
    let card = run["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|order| order["flow"] == "card")
        .expect("a card order");
    let captured = before["captures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|capture| capture[1]["paymentId"] == card["payment_ids"][0])
        .expect("the card payment asked");
    assert_eq!(
        captured[1]["paymentCaptured"], true,
        "the card payment was captured: {before:#}"
    );
    assert!(
        before["syncs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|sync| sync[1] == json!({"success": true})),
        "{before:#}"
    );
}

#[tokio::test]
async fn the_reference_merchant_answers_a_repeated_export_with_the_same_number_after_a_restart() {
    // Arrange: an order exported to the reference merchant.
    let dir = data_dir("imshop-orders");
    let running = serve_on(&dir);
    let base = running.base_url.clone();
    let client = reqwest::Client::new();
    let export = json!({"device": {"platform": "ios"}, "installId": "i-1",
                        "orders": [{"uuid": "u-durable-1", "status": "placed"}]});
    let orders_url = format!("{base}/demo/merchant/orders");
    let (status, first) = post(&client, &orders_url, &export).await;
    assert_eq!(status, 200, "{first}");
    // A control-plane change writes every change of the workspace first.
    let (advanced, _) = post(
        &client,
        &format!("{base}/__sandbox/clock/advance"),
        &json!({"seconds": 1}),
    )
    .await;
    assert_eq!(advanced, 200);

    // Act: another order first (a merchant that forgot would number it
    // as the first), then the same one again.
    kill_9(running);
    let restarted = serve_on(&dir);
    let orders_url = format!("{}/demo/merchant/orders", restarted.base_url);
    let other = json!({"orders": [{"uuid": "u-durable-2"}]});
    let (_, second) = post(&client, &orders_url, &other).await;
    let (_, again) = post(&client, &orders_url, &export).await;

    // Assert
    assert_eq!(first["orders"][0]["id"], "100001", "{first}");
    assert_eq!(second["orders"][0]["id"], "100002", "{second}");
    assert_eq!(again["orders"][0]["id"], "100001", "{again}");
}
