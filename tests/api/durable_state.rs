//! Durable state (`--data-dir`): what the sandbox acknowledged survives
//! `kill -9` and a restart on the same directory; what cannot be kept
//! stops start-up with a message naming the file.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{RunningBinary, binary, start_binary};
use crate::softline_support::{TOKEN, minimal_payment};

/// A data directory of its own under the temporary directory, empty.
pub fn data_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("paysandbox-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn serve_on(dir: &std::path::Path) -> RunningBinary {
    start_binary(&["--data-dir", dir.to_str().unwrap()])
}

/// Kills the process as `kill -9` does: no shutdown, no last write.
pub fn kill_9(mut running: RunningBinary) {
    running.child.kill().unwrap();
    running.child.wait().unwrap();
}

async fn create(client: &reqwest::Client, base: &str, payment_id: &str) -> Option<u64> {
    let response = client
        .post(format!("{base}/softline/v1/payment"))
        .bearer_auth(TOKEN)
        .json(&minimal_payment(payment_id))
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body["order_id"].as_u64()
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
    let response = client.get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let response = client.post(url).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payment_acknowledged_before_a_kill_9_in_the_middle_of_concurrent_creates_is_there_after_a_restart()
 {
    let dir = data_dir("kill-9");
    let running = serve_on(&dir);
    let base = running.base_url.clone();
    let client = reqwest::Client::new();
    let acknowledged: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let mut creators = tokio::task::JoinSet::new();
    for task in 0..8 {
        let (client, base, acknowledged) =
            (client.clone(), base.clone(), Arc::clone(&acknowledged));
        creators.spawn(async move {
            for i in 0.. {
                let payment_id = format!("K{task}-{i}");
                match create(&client, &base, &payment_id).await {
                    Some(order_id) => acknowledged.lock().unwrap().push((order_id, payment_id)),
                    None => break,
                }
            }
        });
    }
    for _ in 0..300 {
        if acknowledged.lock().unwrap().len() >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    kill_9(running);
    while creators.join_next().await.is_some() {}
    let restarted = serve_on(&dir);

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 300,
        "{} creates before the kill",
        acknowledged.len()
    );
    for (order_id, payment_id) in acknowledged {
        let url = format!("{}/softline/v1/order/{order_id}", restarted.base_url);
        let (status, order) = get(&client, &url, TOKEN).await;
        assert_eq!(
            (status, order["external_id"].as_str()),
            (200, Some(payment_id.as_str()))
        );
        assert_eq!(order["status"], "not paid");
    }
}

#[tokio::test]
async fn a_restart_brings_back_paid_payments_tokens_workspaces_the_clock_scenarios_faults_the_webhook_target_snapshots_and_the_journal()
 {
    let dir = data_dir("everything");
    let running = serve_on(&dir);
    let base = running.base_url.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let paid = create(&client, &base, "PAID").await.unwrap();
    let paid_url = format!("{base}/softline/v1/order/{paid}");
    let (_, order) = get(&client, &paid_url, TOKEN).await;
    let form = order["order_detail_url"].as_str().unwrap().to_owned();
    let card = [
        ("card_number", "4111 1111 1111 1111"),
        ("expiry", "12/39"),
        ("cvc", "123"),
        ("cardholder", "IVAN PETROV"),
    ];
    let paying = client
        .post(format!("{form}/card"))
        .form(&card)
        .send()
        .await
        .unwrap();
    assert_eq!(paying.status(), 303);
    let (_, login) = post(
        &client,
        &format!("{base}/softline/v1/login_check"),
        &json!({"username": "sandbox", "password": "sandbox"}),
    )
    .await;
    let issued = login["token"].as_str().unwrap().to_owned();
    let (_, workspace) = post(
        &client,
        &format!("{base}/__sandbox/workspaces"),
        &json!({"name": "ci-1"}),
    )
    .await;
    let ci_token = workspace["softline"]["token"].as_str().unwrap().to_owned();
    post(
        &client,
        &format!("{base}/__sandbox/clock/advance"),
        &json!({"seconds": 3600}),
    )
    .await;
    post(
        &client,
        &format!("{base}/__sandbox/scenarios"),
        &json!({"id": "softline.create_payment.6090", "times": 2}),
    )
    .await;
    post(
        &client,
        &format!("{base}/__sandbox/faults"),
        &json!({"provider": "softline", "path": "/v1/nowhere", "status": 503}),
    )
    .await;
    let target = client
        .put(format!("{base}/__sandbox/softline/webhook"))
        .json(&json!({"url": "https://merchant.example/hooks"}))
        .send()
        .await
        .unwrap();
    assert_eq!(target.status(), 200);
    // One use of the scenario, so what is kept is "one left".
    let forced = client
        .post(format!("{base}/softline/v1/payment"))
        .bearer_auth(TOKEN)
        .json(&minimal_payment("FORCED"))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), 400);
    let before = (
        get(&client, &paid_url, TOKEN).await,
        get(&client, &format!("{base}/__sandbox/scenarios"), "").await,
        get(&client, &format!("{base}/__sandbox/faults"), "").await,
        get(&client, &format!("{base}/__sandbox/softline/webhook"), "").await,
        get(&client, &format!("{base}/__sandbox/workspaces/ci-1"), "")
            .await
            .1["softline"]
            .clone(),
    );
    let (taken, _) = post(
        &client,
        &format!("{base}/__sandbox/snapshots"),
        &json!({"name": "kept"}),
    )
    .await;
    assert_eq!(taken, 201);
    let snapshot_before = get(&client, &format!("{base}/__sandbox/snapshots/kept"), "").await;
    let clock_before = get(&client, &format!("{base}/__sandbox/clock"), "").await.1;
    let journal_before = get(&client, &format!("{base}/__sandbox/journal"), "")
        .await
        .1["entries"]
        .clone();

    kill_9(running);
    let restarted = serve_on(&dir);
    let again = restarted.base_url.clone();

    let after = (
        get(&client, &format!("{again}/softline/v1/order/{paid}"), TOKEN).await,
        get(&client, &format!("{again}/__sandbox/scenarios"), "").await,
        get(&client, &format!("{again}/__sandbox/faults"), "").await,
        get(&client, &format!("{again}/__sandbox/softline/webhook"), "").await,
        get(&client, &format!("{again}/__sandbox/workspaces/ci-1"), "")
            .await
            .1["softline"]
            .clone(),
    );
    let moved = serde_json::to_string(&before)
        .unwrap()
        .replace(&base, &again);
    assert_eq!(serde_json::to_string(&after).unwrap(), moved);
    let snapshot_after = get(&client, &format!("{again}/__sandbox/snapshots/kept"), "").await;
    assert_eq!(snapshot_after, snapshot_before, "a snapshot is kept too");
    let journal_after = get(&client, &format!("{again}/__sandbox/journal"), "")
        .await
        .1["entries"]
        .clone();
    let kept = &journal_after.as_array().unwrap()[..journal_before.as_array().unwrap().len()];
    assert_eq!(
        serde_json::to_string(kept).unwrap(),
        serde_json::to_string(&journal_before).unwrap(),
        "the journal, every entry as it was shown (history: the old address stays)"
    );
    let clock_after = get(&client, &format!("{again}/__sandbox/clock"), "")
        .await
        .1;
    assert_eq!(
        clock_after["offset_seconds"],
        clock_before["offset_seconds"]
    );
    assert!(
        create(&client, &again, "WITH-ISSUED").await.is_none(),
        "the scenario's last use"
    );
    let with_issued = client
        .post(format!("{again}/softline/v1/payment"))
        .bearer_auth(&issued)
        .json(&minimal_payment("ISSUED"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_issued.status(),
        200,
        "a token login_check issued before the kill"
    );
    let next: Value = with_issued.json().await.unwrap();
    assert!(
        next["order_id"].as_u64().unwrap() > paid,
        "order ids go on, never repeat"
    );
    let in_ci = client
        .post(format!("{again}/softline/v1/payment"))
        .bearer_auth(&ci_token)
        .json(&minimal_payment("CI"))
        .send()
        .await
        .unwrap();
    assert_eq!(in_ci.status(), 200, "the workspace's own token");
}

#[tokio::test]
async fn a_deleted_workspace_stays_deleted_after_a_restart() {
    let dir = data_dir("deleted");
    let running = serve_on(&dir);
    let client = reqwest::Client::new();
    let base = running.base_url.clone();
    post(
        &client,
        &format!("{base}/__sandbox/workspaces"),
        &json!({"name": "gone"}),
    )
    .await;
    let deleted = client
        .delete(format!("{base}/__sandbox/workspaces/gone"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);

    kill_9(running);
    let restarted = serve_on(&dir);

    let (status, _) = get(
        &client,
        &format!("{}/__sandbox/workspaces/gone", restarted.base_url),
        "",
    )
    .await;
    assert_eq!(status, 404);
}

/// The stderr of a `serve --data-dir DIR` that refused to start.
fn refusal(dir: &std::path::Path) -> String {
    let output = binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no ready line");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_second_process_on_the_same_directory_is_refused_naming_the_lock_file() {
    let dir = data_dir("second");
    let _first = serve_on(&dir);

    let stderr = refusal(&dir);

    let lock = dir.join("paysandbox.lock");
    let expected = format!(
        "paysandbox cannot start: --data-dir: {0}: another paysandbox is using this data directory (it holds {0}); stop it or give another --data-dir",
        lock.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_database_written_by_a_newer_format_is_refused_naming_the_file() {
    let dir = data_dir("newer");
    drop(serve_on(&dir));
    let database = dir.join("state.sqlite3");
    let connection = rusqlite::Connection::open(&database).unwrap();
    connection.pragma_update(None, "user_version", 99).unwrap();
    drop(connection);

    let stderr = refusal(&dir);

    let expected = format!(
        "paysandbox cannot start: --data-dir: {}: written by a newer paysandbox (format 99; this one reads up to 2); upgrade, or give another --data-dir",
        database.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_damaged_database_is_refused_naming_the_file_and_nothing_starts_empty() {
    let dir = data_dir("damaged");
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("state.sqlite3");
    std::fs::write(&database, vec![0x5a; 16 * 1024]).unwrap();

    let stderr = refusal(&dir);

    let expected = format!(
        "paysandbox cannot start: --data-dir: {}: the database is damaged (",
        database.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(
        std::fs::read(&database).unwrap(),
        vec![0x5a; 16 * 1024],
        "left as it was"
    );
}

#[tokio::test]
async fn a_webhook_waiting_for_its_retry_at_a_kill_9_is_delivered_on_its_schedule_after_the_restart()
 {
    let receiver = crate::helpers::receiver().await;
    let dir = data_dir("outbox");
    let running = serve_on(&dir);
    let base = running.base_url.clone();
    let client = reqwest::Client::new();
    let hook = format!("{}/hook", receiver.uri());
    let target = client
        .put(format!("{base}/__sandbox/softline/webhook"))
        .json(&json!({ "url": hook }))
        .send()
        .await
        .unwrap();
    assert_eq!(target.status(), 200);
    let fault = json!({"provider": "softline", "direction": "outbound", "status": 503, "times": 1});
    assert_eq!(
        post(&client, &format!("{base}/__sandbox/faults"), &fault)
            .await
            .0,
        201
    );
    let order_id = create(&client, &base, "HOOKED").await.unwrap();
    let webhooks = format!("{base}/__sandbox/webhooks");
    crate::helpers::wait_for("the first attempt to fail", async || {
        let (_, list) = get(&client, &webhooks, "").await;
        (list["deliveries"][0]["attempts"].as_array()?.len() == 1).then_some(())
    })
    .await;
    // The attempt is background work, kept by the 200 ms keeper or by the
    // next acknowledged write, whichever comes first: a write makes it
    // certain however slow the keeper is on a busy machine.
    let again_target = client
        .put(format!("{base}/__sandbox/softline/webhook"))
        .json(&json!({ "url": hook }))
        .send()
        .await
        .unwrap();
    assert_eq!(again_target.status(), 200);

    kill_9(running);
    let restarted = serve_on(&dir);
    let again = restarted.base_url.clone();
    assert!(receiver.received_requests().await.unwrap().is_empty());
    post(
        &client,
        &format!("{again}/__sandbox/clock/advance"),
        &json!({"seconds": 15}),
    )
    .await;

    let received = crate::helpers::wait_for("the retry after the restart", async || {
        let requests = receiver.received_requests().await.unwrap();
        (!requests.is_empty()).then_some(requests)
    })
    .await;
    let event: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(
        (event["event"].as_str(), event["order_id"].as_u64()),
        (Some("order.created"), Some(order_id))
    );
    // The receiver has the request before the sandbox has its answer.
    let attempts = crate::helpers::wait_for("the retry's answer", async || {
        let (_, list) = get(&client, &format!("{again}/__sandbox/webhooks"), "").await;
        let attempts = list["deliveries"][0]["attempts"].as_array()?.clone();
        (attempts.len() == 2).then_some(attempts)
    })
    .await;
    assert_eq!(
        attempts
            .iter()
            .map(|a| a["status"].as_u64())
            .collect::<Vec<_>>(),
        [Some(503), Some(200)]
    );
}

/// The lines of a workspace's journal files.
fn journal_lines(dir: &std::path::Path, workspace: &str) -> usize {
    (0..2)
        .map(|file| {
            std::fs::read_to_string(dir.join(format!("journal/{workspace}.{file}.jsonl")))
                .map_or(0, |text| text.lines().count())
        })
        .sum()
}

#[tokio::test]
async fn the_journal_on_disk_holds_its_capacity_and_never_more_than_twice_that() {
    let dir = data_dir("journal-bound");
    let running = start_binary(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "--journal-capacity",
        "5",
    ]);
    let client = reqwest::Client::new();
    for i in 0..23 {
        create(&client, &running.base_url, &format!("J-{i}"))
            .await
            .unwrap();
    }
    let (_, shown) = get(
        &client,
        &format!("{}/__sandbox/journal", running.base_url),
        "",
    )
    .await;

    kill_9(running);
    let restarted = start_binary(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "--journal-capacity",
        "5",
    ]);
    let (_, after) = get(
        &client,
        &format!("{}/__sandbox/journal", restarted.base_url),
        "",
    )
    .await;

    let lines = journal_lines(&dir, "default");
    assert!((5..=10).contains(&lines), "{lines} lines on disk");
    assert_eq!(after, shown);
}

#[tokio::test]
async fn journal_rows_of_an_older_data_directory_move_to_its_files() {
    let dir = data_dir("journal-rows");
    let running = serve_on(&dir);
    let client = reqwest::Client::new();
    create(&client, &running.base_url, "OLD").await.unwrap();
    let (_, shown) = get(
        &client,
        &format!("{}/__sandbox/journal", running.base_url),
        "",
    )
    .await;
    drop(running);
    // As a directory written before the journal had files: its entries in
    // rows of the objects table.
    let database = rusqlite::Connection::open(dir.join("state.sqlite3")).unwrap();
    for file in 0..2 {
        let path = dir.join(format!("journal/default.{file}.jsonl"));
        for (i, line) in std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .enumerate()
        {
            database
                .execute(
                    "INSERT INTO objects (workspace, part, kind, id, body) VALUES ('default', 'core', 'journal', ?1, ?2)",
                    rusqlite::params![format!("{file}-{i}"), line],
                )
                .unwrap();
        }
        let _ = std::fs::remove_file(path);
    }
    drop(database);

    let restarted = serve_on(&dir);
    let (_, after) = get(
        &client,
        &format!("{}/__sandbox/journal", restarted.base_url),
        "",
    )
    .await;
    create(&client, &restarted.base_url, "NEW").await.unwrap();
    drop(restarted);

    assert_eq!(after, shown);
    let rows: i64 = rusqlite::Connection::open(dir.join("state.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM objects WHERE kind = 'journal'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(rows, 0, "the rows are gone");
    assert_eq!(
        journal_lines(&dir, "default"),
        shown["entries"].as_array().unwrap().len() + 1,
        "the moved entries and the new one"
    );
}
