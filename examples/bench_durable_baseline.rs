//! The `--data-dir` row's yardstick: the bench baseline's handler plus the
//! least a server must do to keep what it acknowledged (the durability
//! `--data-dir` promises: every answer's object committed to SQLite and its
//! request written to a journal file before the answer leaves), and nothing
//! else. What it writes per request is what paysandbox writes, a little
//! smaller: the object as one JSON row (the request, typed: 859 B for the
//! documented example, paysandbox's 967 B) upserted into the same table with
//! the same unique index and pragmas, and one journal line (the request's
//! headers and body and the answer: 1,380 B, paysandbox's 1,605 B) appended
//! to a file; requests that arrive together share one commit (group commit,
//! one writer thread). `bench/run.sh` measures paysandbox's `--data-dir` row against it.
//!
//! `cargo run --release --example bench_durable_baseline -- 127.0.0.1:0 DIR`
//!
//! Three flags take something away, to see what each part costs (the rows
//! BENCHMARKS.md reports): `--integer-key` keeps rows in a table keyed by
//! the order id alone (SQLite's cheapest shape, no text index),
//! `--small-row` keeps a row of the order id and amount only (a few dozen
//! bytes instead of a kilobyte), `--no-journal` makes and writes no journal
//! line.

#[path = "bench_common/mod.rs"]
mod bench_common;

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use bytes::Bytes;
use rusqlite::{Connection, params};
use serde::Serialize;
use tokio::sync::oneshot;

use bench_common::CreatePayment;

/// The row kept for a payment: the request and what the server added.
#[derive(Serialize)]
struct Row<'a> {
    order_id: u64,
    status: &'static str,
    created_at: String,
    request: &'a CreatePayment,
}

/// The journal line of one request.
#[derive(Serialize)]
struct Line<'a> {
    id: u64,
    at: &'a str,
    method: &'static str,
    url: &'static str,
    status: u16,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a str,
    answer: &'a str,
}

/// Changes queued for the writer: the row's id and body, the journal line,
/// and who waits for their commit.
struct Queued {
    order_id: u64,
    id: String,
    row: String,
    line: String,
    committed: oneshot::Sender<()>,
}

#[derive(Clone)]
struct Baseline {
    next: Arc<AtomicU64>,
    queue: Arc<Mutex<std::sync::mpsc::Sender<Queued>>>,
    shape: Shape,
}

/// What the flags take away.
#[derive(Clone, Copy, Default)]
struct Shape {
    integer_key: bool,
    small_row: bool,
    no_journal: bool,
}

async fn create_payment(
    State(baseline): State<Baseline>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, StatusCode> {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sandbox-token") {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let request: CreatePayment =
        serde_json::from_slice(&body).map_err(|_| StatusCode::BAD_REQUEST)?;
    let order_id = 5_000_000 + baseline.next.fetch_add(1, Ordering::Relaxed);
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let row = if baseline.shape.small_row {
        serde_json::to_string(&(order_id, &request.amount))
    } else {
        serde_json::to_string(&Row {
            order_id,
            status: "not_paid",
            created_at: now.clone(),
            request: &request,
        })
    }
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let answer = serde_json::json!({
        "payment_url": format!("http://127.0.0.1:8080/softline/order/status/{order_id}/1a97507?lang=ru_RU"),
        "order_id": order_id,
    })
    .to_string();
    let line = if baseline.shape.no_journal {
        Ok(String::new())
    } else {
        serde_json::to_string(&Line {
            id: order_id,
            at: &now,
            method: "POST",
            url: "/softline/v1/payment",
            status: 200,
            headers: headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.to_str().unwrap_or("")))
                .collect(),
            body: std::str::from_utf8(&body).unwrap_or(""),
            answer: &answer,
        })
    }
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let (committed, wait) = oneshot::channel();
    let queued = Queued {
        order_id,
        id: format!("{order_id:020}"),
        row,
        line,
        committed,
    };
    if baseline.queue.lock().unwrap().send(queued).is_err() {
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    }
    wait.await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(([(CONTENT_TYPE, "application/json")], answer))
}

/// The writer: whatever is queued goes into one transaction and one append
/// to the journal file, then every request in it is answered.
fn write(dir: &std::path::Path, queue: std::sync::mpsc::Receiver<Queued>, shape: Shape) {
    let mut connection = Connection::open(dir.join("state.sqlite3")).expect("database");
    connection
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA wal_autocheckpoint = 100;
             CREATE TABLE IF NOT EXISTS objects (
                 workspace TEXT NOT NULL, part TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
                 body TEXT NOT NULL, touched INTEGER,
                 UNIQUE (workspace, part, kind, id));
             CREATE TABLE IF NOT EXISTS plain (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
        )
        .expect("schema");
    let mut journal = std::fs::File::options()
        .create(true)
        .append(true)
        .open(dir.join("journal.jsonl"))
        .expect("journal file");
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < 4_096 {
            match queue.try_recv() {
                Ok(queued) => batch.push(queued),
                Err(_) => break,
            }
        }
        if !shape.no_journal {
            let mut lines = Vec::with_capacity(batch.len() * 1_700);
            for queued in &batch {
                lines.extend_from_slice(queued.line.as_bytes());
                lines.push(b'\n');
            }
            journal.write_all(&lines).expect("journal write");
        }
        let transaction = connection.transaction().expect("begin");
        for queued in &batch {
            if shape.integer_key {
                transaction
                    .prepare_cached("INSERT OR REPLACE INTO plain (id, body) VALUES (?1, ?2)")
                    .expect("statement")
                    .execute(params![
                        i64::try_from(queued.order_id).unwrap_or(i64::MAX),
                        queued.row
                    ])
                    .expect("insert");
                continue;
            }
            transaction
                .prepare_cached(
                    "INSERT INTO objects (workspace, part, kind, id, body, touched)
                     VALUES ('default', 'softline', 'payments', ?1, ?2, 0)
                     ON CONFLICT (workspace, part, kind, id)
                     DO UPDATE SET body = excluded.body, touched = excluded.touched",
                )
                .expect("statement")
                .execute(params![queued.id, queued.row])
                .expect("insert");
        }
        transaction.commit().expect("commit");
        for queued in batch {
            let _ = queued.committed.send(());
        }
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let dir = std::path::PathBuf::from(args.next().expect("a data directory"));
    let mut shape = Shape::default();
    for flag in args {
        match flag.as_str() {
            "--integer-key" => shape.integer_key = true,
            "--small-row" => shape.small_row = true,
            "--no-journal" => shape.no_journal = true,
            other => panic!("unknown flag {other}"),
        }
    }
    std::fs::create_dir_all(&dir).expect("data directory");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || write(&dir, receiver, shape));
    let app = Router::new()
        .route("/softline/v1/payment", post(create_payment))
        .with_state(Baseline {
            next: Arc::default(),
            queue: Arc::new(Mutex::new(sender)),
            shape,
        });
    bench_common::serve(&addr, app).await;
}
