//! Webhook receivers that misbehave: the outbox fails the attempt with the
//! reason, retries on schedule, records every attempt, gives up after its
//! limit, and one receiver that hangs never holds up a healthy one.
//!
//! The receivers are raw TCP servers, so they can do what no HTTP framework
//! lets a handler do: never answer, reset the connection, trickle a body.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use paysandbox::core::outbox::DeliveryOutcome;

use crate::helpers::{TestApp, spawn_app_with, test_settings, wait_for};
use crate::intellectmoney_support::{Request, invoice_params};
use crate::softline_support::{create_ok, minimal_payment, set_webhook_url};

/// How a raw receiver behaves once a request has arrived.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and resets the connection (RST).
    Reset,
    /// Closes the connection without a byte.
    Close,
    /// Answers `500` with a short body.
    Status500,
    /// Sends a 200 header, then one body byte every 200 ms.
    SlowBody,
    /// Answers `302` to `/elsewhere` on the same server.
    Redirect,
    /// Answers 200 with a 5 MB body.
    Huge,
    /// Answers 200 `ok` (IntellectMoney wants exactly `OK`).
    LowercaseOk,
}

/// A raw receiver: its URL and how many requests reached `/elsewhere`.
struct Receiver {
    url: String,
    redirected_hits: Arc<AtomicUsize>,
}

async fn read_request(stream: &mut TcpStream) -> String {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
            Ok(Ok(n)) => buffer.extend_from_slice(&chunk[..n]),
        }
        let text = String::from_utf8_lossy(&buffer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buffer).into_owned()
}

async fn receiver(behaviour: Behaviour) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let redirected_hits = Arc::new(AtomicUsize::new(0));
    let hits = Arc::clone(&redirected_hits);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let hits = Arc::clone(&hits);
            tokio::spawn(async move {
                let request = read_request(&mut stream).await;
                if request.contains(" /elsewhere ") {
                    hits.fetch_add(1, Ordering::SeqCst);
                }
                match behaviour {
                    Behaviour::Hang => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    Behaviour::Reset => {
                        let _ = stream.set_zero_linger();
                        drop(stream);
                    }
                    Behaviour::Close => drop(stream),
                    Behaviour::Status500 => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\nConnection: close\r\n\r\noops!")
                            .await;
                    }
                    Behaviour::SlowBody => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
                            .await;
                        for _ in 0..100 {
                            if stream.write_all(b"x").await.is_err() {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                    Behaviour::LowercaseOk => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                            .await;
                    }
                    Behaviour::Redirect => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .await;
                    }
                    Behaviour::Huge => {
                        let size = 5 * 1024 * 1024;
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
                        );
                        let _ = stream.write_all(head.as_bytes()).await;
                        let block = vec![b'y'; 64 * 1024];
                        for _ in 0..size / block.len() {
                            if stream.write_all(&block).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    Receiver {
        url,
        redirected_hits,
    }
}

/// Settings with a short webhook timeout and no background worker.
fn settings() -> paysandbox::Settings {
    paysandbox::Settings {
        webhook_timeout_ms: 300,
        ..test_settings()
    }
}

async fn delivery(app: &TestApp, id: u64) -> Value {
    app.get_json(&format!("/__sandbox/webhooks/{id}"), 200)
        .await
}

fn id_of(outcome: &DeliveryOutcome) -> u64 {
    match outcome {
        DeliveryOutcome::Delivered(id)
        | DeliveryOutcome::Retried(id)
        | DeliveryOutcome::GaveUp(id) => *id,
        DeliveryOutcome::QueueEmpty => panic!("nothing was delivered"),
    }
}

#[tokio::test]
async fn each_misbehaving_receiver_fails_the_attempt_with_its_reason_and_no_hang() {
    let app = spawn_app_with(settings()).await;
    let cases: [(Behaviour, Option<u16>, &str); 6] = [
        (Behaviour::Hang, None, "no answer within 300 ms"),
        (Behaviour::SlowBody, None, "no answer within 300 ms"),
        (Behaviour::Reset, None, ""),
        (Behaviour::Close, None, ""),
        (
            Behaviour::Status500,
            Some(500),
            "HTTP 500 is not a 2xx answer",
        ),
        (
            Behaviour::Redirect,
            Some(302),
            "HTTP 302 is not a 2xx answer",
        ),
    ];

    for (n, (behaviour, status, reason)) in cases.into_iter().enumerate() {
        // Arrange
        let receiver = receiver(behaviour).await;
        set_webhook_url(&app, &receiver.url).await;
        create_ok(&app, &minimal_payment(&format!("RECV-{n}"))).await;

        // Act
        let started = Instant::now();
        let outcomes = app.deliver_pending_webhooks().await;
        let took = started.elapsed();

        // Assert: one failed attempt, retried later, within the timeout.
        assert!(
            matches!(outcomes[..], [DeliveryOutcome::Retried(_)]),
            "{behaviour:?}: {outcomes:?}"
        );
        assert!(took < Duration::from_secs(3), "{behaviour:?}: {took:?}");
        let d = delivery(&app, id_of(&outcomes[0])).await;
        assert_eq!(d["state"], "pending", "{behaviour:?}");
        let attempt = &d["attempts"][0];
        assert_eq!(
            attempt["status"].as_u64(),
            status.map(u64::from),
            "{behaviour:?}: {attempt}"
        );
        let error = attempt["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty(), "{behaviour:?}: no reason recorded");
        assert!(error.starts_with(reason), "{behaviour:?}: {error}");
        assert_eq!(
            receiver.redirected_hits.load(Ordering::SeqCst),
            0,
            "{behaviour:?}: a redirect is never followed"
        );
    }
}

#[tokio::test]
async fn a_huge_answer_is_read_only_up_to_the_bound_and_a_2xx_still_counts() {
    let app = spawn_app_with(paysandbox::Settings {
        webhook_timeout_ms: 5_000,
        ..settings()
    })
    .await;
    let receiver = receiver(Behaviour::Huge).await;
    set_webhook_url(&app, &receiver.url).await;
    create_ok(&app, &minimal_payment("HUGE-1")).await;

    let outcomes = app.deliver_pending_webhooks().await;

    assert!(
        matches!(outcomes[..], [DeliveryOutcome::Delivered(_)]),
        "{outcomes:?}"
    );
    let d = delivery(&app, id_of(&outcomes[0])).await;
    let kept = d["attempts"][0]["response_body"].as_str().unwrap().len();
    assert!(kept > 0 && kept <= 16 * 1024, "{kept} bytes kept");
}

#[tokio::test]
async fn failed_attempts_are_retried_on_the_schedule_by_the_sandbox_clock_then_given_up_with_the_reason()
 {
    // Arrange: Softline's schedule is 10, 60, 300, 1800, 7200 seconds.
    let app = spawn_app_with(settings()).await;
    let receiver = receiver(Behaviour::Status500).await;
    set_webhook_url(&app, &receiver.url).await;
    let (order_id, _) = create_ok(&app, &minimal_payment("SCHED-1")).await;
    let first = app.deliver_pending_webhooks().await;
    let id = id_of(&first[0]);

    // Act + Assert: nothing is due a second early; everything on time.
    for wait in [10, 60, 300, 1800] {
        app.advance_clock(wait - 1).await;
        assert!(
            app.deliver_pending_webhooks().await.is_empty(),
            "before {wait} s"
        );
        app.advance_clock(1).await;
        assert_eq!(
            app.deliver_pending_webhooks().await,
            [DeliveryOutcome::Retried(id)],
            "after {wait} s"
        );
    }
    app.advance_clock(7200).await;
    assert_eq!(
        app.deliver_pending_webhooks().await,
        [DeliveryOutcome::GaveUp(id)]
    );
    app.advance_clock(100_000).await;
    assert!(
        app.deliver_pending_webhooks().await.is_empty(),
        "no attempt after giving up"
    );

    let d = delivery(&app, id).await;
    assert_eq!(d["state"], "gave_up");
    assert_eq!(d["reason"], "HTTP 500 is not a 2xx answer");
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 6);
    assert!(
        attempts
            .iter()
            .all(|a| a["status"] == 500 && a["response_body"] == "oops!")
    );
    let journaled = app
        .journal(&format!("object={order_id}&kind=webhook&limit=100"))
        .await;
    assert_eq!(journaled.len(), 6, "every attempt is in the journal");
    assert!(
        journaled.last().unwrap()["summary"]
            .as_str()
            .unwrap()
            .ends_with("failed (HTTP 500 is not a 2xx answer); no attempts left"),
        "{:?}",
        journaled.last()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_that_hang_do_not_delay_a_healthy_one_with_the_worker_on() {
    // Arrange: the background worker on, a long timeout; Softline events go
    // to a receiver that never answers, IntellectMoney's to a healthy one.
    let app = spawn_app_with(paysandbox::Settings {
        deliver_webhooks: true,
        webhook_timeout_ms: 20_000,
        ..test_settings()
    })
    .await;
    let hanging = receiver(Behaviour::Hang).await;
    set_webhook_url(&app, &hanging.url).await;
    let healthy = crate::helpers::receiver().await;
    // More deliveries to the hanging receiver than there are worker slots.
    for n in 0..20 {
        create_ok(&app, &minimal_payment(&format!("HANG-{n}"))).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Act
    let started = Instant::now();
    let mut params = invoice_params("HEALTHY-1");
    params.push(("resultUrl".into(), format!("{}/result", healthy.uri())));
    let created = Request::signed("createInvoice", params)
        .envelope(&app)
        .await;
    assert_eq!(created["Result"]["State"]["Code"], 0);
    let took = wait_for("the healthy receiver's notification", async || {
        let got = healthy.received_requests().await.unwrap();
        (!got.is_empty()).then(|| started.elapsed())
    })
    .await;

    // Assert: delivered at once; the hanging receiver holds a quarter of
    // the 16 slots, its other deliveries wait their turn.
    assert!(took < Duration::from_secs(2), "{took:?}");
    let list = app.get_json("/__sandbox/webhooks", 200).await;
    let states = |state: &str| {
        list["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["provider"] == "softline" && d["state"] == state)
            .count()
    };
    assert_eq!(states("in_flight"), 4, "{list}");
    assert_eq!(states("pending"), 16, "{list}");
}

#[tokio::test]
async fn intellectmoney_notifications_fail_on_anything_but_200_ok_and_follow_their_own_schedule() {
    // Arrange: IntellectMoney retries after 60, 300, 900, 3600, 21600 s.
    let app = spawn_app_with(settings()).await;
    let cases = [
        (
            Behaviour::LowercaseOk,
            Some(200_u16),
            "the body was \"ok\", not exactly \"OK\"",
        ),
        (Behaviour::Redirect, Some(302), "HTTP 302, not 200"),
        (Behaviour::Hang, None, "no answer within 300 ms"),
    ];

    for (n, (behaviour, status, reason)) in cases.into_iter().enumerate() {
        let receiver = receiver(behaviour).await;
        let mut params = invoice_params(&format!("IM-RECV-{n}"));
        params.push(("resultUrl".into(), receiver.url.clone()));
        let created = Request::signed("createInvoice", params)
            .envelope(&app)
            .await;
        assert_eq!(created["Result"]["State"]["Code"], 0);

        // Act
        let first = app.deliver_pending_webhooks().await;
        app.advance_clock(59).await;
        let early = app.deliver_pending_webhooks().await;
        app.advance_clock(1).await;
        let second = app.deliver_pending_webhooks().await;

        // Assert
        let id = id_of(&first[0]);
        assert_eq!(first, [DeliveryOutcome::Retried(id)], "{behaviour:?}");
        assert!(early.is_empty(), "{behaviour:?}");
        assert_eq!(second, [DeliveryOutcome::Retried(id)], "{behaviour:?}");
        let d = delivery(&app, id).await;
        for attempt in d["attempts"].as_array().unwrap() {
            assert_eq!(
                attempt["status"].as_u64(),
                status.map(u64::from),
                "{behaviour:?}"
            );
            assert_eq!(attempt["error"], reason, "{behaviour:?}");
        }
        assert_eq!(receiver.redirected_hits.load(Ordering::SeqCst), 0);
    }
}
