//! Many clients at once: creates across the three providers, racing moves
//! on one payment, a reset in the middle of the load.
//!
//! The bounded versions run in `cargo test`; the 10 000 creates run
//! with `cargo test --release --test api concurrency -- --ignored`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, receiver, spawn_app, spawn_app_with, test_settings};
use crate::intellectmoney_support::{Request, invoice_params};
use crate::softline_support::{TOKEN, minimal_payment};

/// What one create made, by provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Made {
    Payment(u64),
    Invoice(u64),
    Run(String),
}

/// Creates the `n`-th object: Softline, IntellectMoney, then IMSHOP in
/// turn (runs are few: each calls a webhook, and at most 100 are kept).
async fn create(app: &TestApp, n: usize, runs_every: usize) -> Made {
    if n % runs_every == runs_every - 1 {
        let response = app
            .post_json(
                "/imshop/runs",
                &json!({"webhook": "http://127.0.0.1:9/payments", "flow": "card", "timeout_ms": 500}),
            )
            .await;
        assert_eq!(response.status(), 201, "run {n}");
        let body: Value = response.json().await.unwrap();
        return Made::Run(body["id"].as_str().unwrap().to_owned());
    }
    if n.is_multiple_of(2) {
        let response = app
            .client
            .post(app.url("/softline/v1/payment"))
            .bearer_auth(TOKEN)
            .json(&minimal_payment(&format!("C-{n}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "payment {n}");
        let body: Value = response.json().await.unwrap();
        Made::Payment(body["order_id"].as_u64().unwrap())
    } else {
        let body = Request::signed("createInvoice", invoice_params(&format!("C-{n}")))
            .envelope(app)
            .await;
        Made::Invoice(
            body["Result"]["InvoiceId"]
                .as_u64()
                .unwrap_or_else(|| panic!("invoice {n}: {body}")),
        )
    }
}

/// The status of looking the object up: 200 when it is there.
async fn look_up(app: &TestApp, made: &Made) -> u16 {
    let path = match made {
        Made::Payment(id) => format!("/softline/v1/order/{id}"),
        Made::Invoice(id) => format!("/__sandbox/intellectmoney/invoices/{id}"),
        Made::Run(id) => format!("/imshop/runs/{id}"),
    };
    app.client
        .get(app.url(&path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Whether the object can be looked up.
async fn findable(app: &TestApp, made: &Made) -> bool {
    look_up(app, made).await == 200
}

/// `paysandbox_stored{kind="…"}` from `/metrics`.
pub async fn stored(app: &TestApp, kind: &str) -> usize {
    let text = app.get("/metrics").await.text().await.unwrap();
    let needle = format!("paysandbox_stored{{kind=\"{kind}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&needle))
        .unwrap_or_else(|| panic!("no {kind} in /metrics"))
        .parse()
        .unwrap()
}

/// `total` creates from `tasks` tasks at once; asserts exactly `total`
/// objects with unique ids, every one findable. Returns how long it took.
async fn creates_from_many_tasks(
    app: TestApp,
    total: usize,
    tasks: usize,
    runs_every: usize,
) -> Duration {
    let app = Arc::new(app);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                let mut made = Vec::new();
                for n in (t..total).step_by(tasks) {
                    made.push(create(&app, n, runs_every).await);
                }
                made
            })
        })
        .collect();
    let mut all = Vec::with_capacity(total);
    for handle in handles {
        all.extend(handle.await.unwrap());
    }
    let took = started.elapsed();

    let unique: HashSet<&Made> = all.iter().collect();
    assert_eq!(all.len(), total);
    assert_eq!(unique.len(), total, "ids are unique");
    let payments = all.iter().filter(|m| matches!(m, Made::Payment(_))).count();
    let invoices = all.iter().filter(|m| matches!(m, Made::Invoice(_))).count();
    assert_eq!(stored(&app, "softline_payments").await, payments);
    assert_eq!(stored(&app, "intellectmoney_invoices").await, invoices);
    assert_eq!(
        stored(&app, "imshop_runs").await,
        total - payments - invoices
    );
    assert_eq!(stored(&app, "imshop_runs_capacity").await, 100);
    let mut lost = Vec::new();
    for made in &all {
        if !findable(&app, made).await {
            lost.push(made.clone());
        }
    }
    assert!(lost.is_empty(), "not findable: {lost:?}");
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_creates_from_64_tasks_make_a_thousand_findable_objects() {
    let app = spawn_app().await;

    let took = creates_from_many_tasks(app, 1_000, 64, 100).await;

    assert!(took < Duration::from_secs(60), "{took:?}");
}

/// The figure; slow in a debug build, so run on demand:
/// `cargo test --release --test api ten_thousand -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "10 000 creates: run on demand in release mode"]
async fn ten_thousand_creates_from_256_tasks_make_ten_thousand_findable_objects() {
    let app = spawn_app_with(paysandbox::Settings {
        journal_capacity: 1_000,
        ..test_settings()
    })
    .await;

    let took = creates_from_many_tasks(app, 10_000, 256, 200).await;

    println!("10 000 creates from 256 tasks in {took:?}");
}

/// POSTs every path of `moves` at once (`"clock"` advances the sandbox
/// clock by `clock_seconds` instead); none may answer a 5xx.
async fn race(
    app: &Arc<TestApp>,
    moves: Vec<String>,
    clock_seconds: i64,
    round: impl std::fmt::Debug,
) {
    let handles: Vec<_> = moves
        .into_iter()
        .map(|path| {
            let app = Arc::clone(app);
            tokio::spawn(async move {
                if path == "clock" {
                    app.advance_clock(clock_seconds).await;
                    200
                } else {
                    post(&app, &path).await
                }
            })
        })
        .collect();
    for handle in handles {
        assert!(handle.await.unwrap() < 500, "round {round:?}");
    }
}

async fn post(app: &TestApp, path: &str) -> u16 {
    app.client
        .post(app.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_pay_decline_expire_and_refund_on_a_softline_order_ends_in_one_state_its_webhooks_agree_with()
 {
    // Arrange
    let app = Arc::new(spawn_app().await);
    let hooks = receiver().await;
    crate::softline_support::set_webhook_url(&app, &format!("{}/hook", hooks.uri())).await;

    for round in 0..12 {
        let (order_id, payment_url) =
            crate::softline_support::create_ok(&app, &minimal_payment(&format!("RACE-{round}")))
                .await;
        let form = crate::softline_support::form_base(&payment_url)
            .trim_start_matches(&app.address)
            .to_owned();

        // Act: everything at once.
        let moves: Vec<String> = vec![
            format!("{form}/approve"),
            format!("{form}/decline"),
            format!("/__sandbox/softline/orders/{order_id}/refund"),
            format!("{form}/approve"),
            format!("/__sandbox/softline/orders/{order_id}/refund"),
            if round % 2 == 0 {
                "clock".into()
            } else {
                format!("{form}/decline")
            },
        ];
        race(&app, moves, 91 * 24 * 3600, round).await;

        // Assert: one valid end, and the webhooks tell the same story.
        let order = crate::softline_support::order(&app, order_id).await;
        app.deliver_pending_webhooks().await;
        let events: Vec<(String, String)> = crate::softline_support::received_events(&hooks)
            .await
            .into_iter()
            .filter(|e| e["order_id"] == order_id)
            .map(|e| {
                (
                    e["event"].as_str().unwrap().to_owned(),
                    e["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
        let succeeded = names
            .iter()
            .filter(|e| **e == "order.payment.succeeded")
            .count();
        let returned = names.iter().filter(|e| **e == "product.returned").count();
        assert!(
            succeeded <= 1 && returned <= succeeded,
            "round {round}: {names:?}"
        );
        for (event, status) in &events {
            let expected = match event.as_str() {
                "order.created" | "order.payment.failed" => "not paid",
                "order.payment.succeeded" => "paid",
                "product.returned" => "deleted",
                other => panic!("unexpected {other}"),
            };
            assert_eq!(status, expected, "round {round}: {names:?}");
        }
        match order["status"].as_str().unwrap() {
            "paid" => assert_eq!((succeeded, returned), (1, 0), "round {round}: {names:?}"),
            "deleted" if succeeded == 1 => {
                assert_eq!(returned, 1, "round {round}: {names:?}");
                assert_eq!(names.last(), Some(&"product.returned"), "round {round}");
            }
            "deleted" => assert_eq!(returned, 0, "round {round}: expired unpaid"),
            other => panic!("round {round}: status {other}, events {names:?}"),
        }
        if succeeded == 1 {
            let after_paid = names
                .iter()
                .skip_while(|e| **e != "order.payment.succeeded")
                .skip(1);
            assert!(
                after_paid.into_iter().all(|e| *e == "product.returned"),
                "round {round}: nothing but a refund follows payment: {names:?}"
            );
        }
    }
}

/// The legal moves of `paymentStatus` (see the model's table).
fn legal(from: u64, to: u64) -> bool {
    matches!(
        (from, to),
        (3, 4) | (3, 5) | (3, 6) | (6, 5) | (6, 4) | (5, 8)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_pay_expire_cancel_capture_and_refund_on_an_invoice_ends_in_one_state_its_notifications_agree_with()
 {
    // Arrange
    let app = Arc::new(spawn_app().await);
    let hooks = receiver().await;
    let result_url = format!("{}/result", hooks.uri());

    for round in 0..12u64 {
        let mut params = invoice_params(&format!("RACE-{round}"));
        params.push(("resultUrl".into(), result_url.clone()));
        if round % 3 == 0 {
            params.push(("holdMode".into(), "1".into()));
        }
        let created = Request::signed("createInvoice", params)
            .envelope(&app)
            .await;
        let invoice = created["Result"]["InvoiceId"].as_u64().unwrap();
        let control = format!("/__sandbox/intellectmoney/invoices/{invoice}");
        let page = format!("/intellectmoney/pay/{invoice}");

        // Act
        let moves = vec![
            format!("{page}/approve"),
            format!("{page}/decline"),
            format!("{control}/refund"),
            format!("{control}/capture"),
            format!("{page}/approve"),
            if round % 2 == 0 {
                "clock".into()
            } else {
                format!("{control}/cancel")
            },
            format!("{control}/refund"),
        ];
        race(&app, moves, 400 * 24 * 3600, round).await;

        // Assert
        let status = app.get_json(&control, 200).await["status"]
            .as_u64()
            .unwrap();
        app.deliver_pending_webhooks().await;
        let statuses: Vec<u64> = hooks
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| serde_urlencoded::from_bytes::<Vec<(String, String)>>(&r.body).unwrap())
            .filter(|form| {
                form.iter()
                    .any(|(k, v)| k == "paymentId" && *v == invoice.to_string())
            })
            .map(|form| {
                form.iter()
                    .find(|(k, _)| k == "paymentStatus")
                    .unwrap()
                    .1
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(statuses.first(), Some(&3), "round {round}: {statuses:?}");
        assert!(
            statuses.windows(2).all(|w| legal(w[0], w[1])),
            "round {round}: {statuses:?}"
        );
        assert_eq!(
            statuses.last(),
            Some(&status),
            "round {round}: {statuses:?}"
        );
        assert!(matches!(status, 4 | 5 | 6 | 8), "round {round}: {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_during_load_answers_everyone_and_leaves_an_empty_consistent_sandbox() {
    // Arrange: creates and lookups in flight from 16 tasks.
    let app = Arc::new(spawn_app().await);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..16)
        .map(|t| {
            let app = Arc::clone(&app);
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let mut n = t;
                let mut answers = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let made = create(&app, n, usize::MAX).await;
                    // Found, or forgotten by a reset in between: never a 5xx.
                    let status = look_up(&app, &made).await;
                    assert!(
                        matches!(status, 200 | 404),
                        "looking up {made:?} answered {status}"
                    );
                    n += 16;
                    answers += 1;
                }
                answers
            })
        })
        .collect();

    // Act: reset three times while the load runs.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let response = app.post_json("/__sandbox/reset", &json!({})).await;
        assert_eq!(response.status(), 200);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = 0;
    for task in load {
        answered += task.await.expect("no task panicked");
    }
    let last = app.post_json("/__sandbox/reset", &json!({})).await;
    assert_eq!(last.status(), 200);

    // Assert: everyone was answered; after the last reset nothing is left,
    // and the sandbox works as new.
    assert!(answered > 16, "{answered}");
    assert_eq!(stored(&app, "softline_payments").await, 0);
    assert_eq!(stored(&app, "intellectmoney_invoices").await, 0);
    assert_eq!(stored(&app, "outbox_deliveries").await, 0);
    let journal = app.journal("limit=10").await;
    assert!(journal.len() <= 1, "{journal:?}");
    let made = create(&app, 0, usize::MAX).await;
    assert!(findable(&app, &made).await);
}
