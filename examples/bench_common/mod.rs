//! What the two yardsticks (`bench_baseline`, `bench_durable_baseline`)
//! share: the typed request and how they serve.

use axum::Router;
use serde::{Deserialize, Serialize};

/// Softline's documented full create-payment request, typed.
#[derive(Deserialize, Serialize)]
#[allow(dead_code)]
pub struct CreatePayment {
    pub currency: String,
    pub amount: String,
    pub return_success_url: String,
    pub payment_method: String,
    pub recurring_indicator: Option<bool>,
    pub payment_id: String,
    pub payment_description: Option<String>,
    pub locale: Option<String>,
    pub customer: serde_json::Map<String, serde_json::Value>,
    pub additional_data: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Serves `app` on `addr`, first printing the same ready line as
/// paysandbox, so the bench script treats every process alike.
pub async fn serve(addr: &str, app: Router) {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let ready = format!(
        "paysandbox listening on http://{}\n",
        listener.local_addr().expect("a bound address")
    );
    std::io::Write::write_all(&mut std::io::stdout(), ready.as_bytes()).expect("stdout");
    axum::serve(listener, app).await.expect("serve");
}
