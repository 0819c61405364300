//! Limits that keep one misbehaving client from hurting everyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{spawn_app_with, test_settings};

fn settings() -> paysandbox::Settings {
    paysandbox::Settings {
        header_read_timeout_ms: 300,
        body_read_timeout_ms: 300,
        max_body_bytes: 1024,
        ..test_settings()
    }
}

fn connect(address: &str) -> TcpStream {
    let stream = TcpStream::connect(address.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = spawn_app_with(settings()).await;
    let address = app.address.clone();

    let (closed, waited) = tokio::task::spawn_blocking(move || {
        let mut stream = connect(&address);
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 512];
        let read = stream.read(&mut buf);
        (
            matches!(read, Ok(0)) || read.is_err() || String::from_utf8_lossy(&buf).contains("408"),
            started.elapsed(),
        )
    })
    .await
    .unwrap();

    assert!(closed, "the connection is closed");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_answered_408_in_the_provider_envelope() {
    let app = spawn_app_with(settings()).await;
    let address = app.address.clone();

    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = connect(&address);
        stream
            .write_all(
                b"POST /softline/v1/payment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"currency\"",
            )
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}]}") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap();

    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.ends_with(
            r#"{"errors":[{"error":408,"message":"The request body was not sent in time."}]}"#
        ),
        "{answer}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_answered_413_in_the_provider_envelope() {
    let app = spawn_app_with(settings()).await;

    let response = app
        .client
        .post(app.url("/softline/v1/payment"))
        .header("content-type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["error"], 413);
    assert_eq!(
        body["errors"][0]["message"],
        "Request body larger than 1024 bytes."
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let app = spawn_app_with(paysandbox::Settings {
        max_connections: 1,
        ..settings()
    })
    .await;
    // An idle connection holds the only slot until the header timeout frees it.
    let idle = connect(&app.address);

    let started = Instant::now();
    let response = app.get("/healthz").await;
    let waited = started.elapsed();
    drop(idle);

    assert_eq!(response.status(), 200);
    assert!(
        waited >= Duration::from_millis(250),
        "served at once: {waited:?}"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(settings()).await;
    let address = app.address.clone();

    let closed_after = tokio::task::spawn_blocking(move || {
        let mut stream = connect(&address);
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        let idle_since = Instant::now();
        // The connection stays open for another request, but not forever.
        let read = stream.read(&mut buf);
        (read, idle_since.elapsed())
    })
    .await
    .unwrap();

    assert!(
        matches!(closed_after.0, Ok(0) | Err(_)),
        "{:?}",
        closed_after.0
    );
    assert!(
        closed_after.1 < Duration::from_secs(4),
        "{:?}",
        closed_after.1
    );
}
