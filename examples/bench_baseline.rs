//! The benchmark's yardstick: a bare axum 0.8 handler for Softline's
//! `POST /v1/payment` that does what any server must (parse the same JSON,
//! check the bearer token, store one small record, answer the same number of
//! bytes) and nothing a sandbox adds (validation, state machine, journal,
//! webhooks). `bench/run.sh` measures paysandbox against it in the same run.
//!
//! `cargo run --release --example bench_baseline -- 127.0.0.1:0`

#[path = "bench_common/mod.rs"]
mod bench_common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};

use bench_common::CreatePayment;

#[derive(Clone, Default)]
struct Baseline {
    next: Arc<AtomicU64>,
    orders: Arc<Mutex<HashMap<u64, u64>>>,
}

async fn create_payment(
    State(baseline): State<Baseline>,
    headers: HeaderMap,
    Json(request): Json<CreatePayment>,
) -> Result<Json<serde_json::Value>, StatusCode> {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sandbox-token") {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let order_id = 5_000_000 + baseline.next.fetch_add(1, Ordering::Relaxed);
    let amount = request.amount.len() as u64;
    baseline.orders.lock().unwrap().insert(order_id, amount);
    Ok(Json(serde_json::json!({
        "payment_url": format!("http://127.0.0.1:8080/softline/order/status/{order_id}/1a97507?lang=ru_RU"),
        "order_id": order_id,
    })))
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let app = Router::new()
        .route("/softline/v1/payment", post(create_payment))
        .with_state(Baseline::default());
    bench_common::serve(&addr, app).await;
}
