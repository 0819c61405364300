//! paysandbox inside a Rust program (a test, usually): start it on a free
//! port, talk to its Softline API over HTTP as the code under test would,
//! force an answer with a scenario, move the clock, and read the journal.
//!
//! `cargo run --example embedded`

use paysandbox::Sandbox;
use paysandbox::core::journal::Query;
use paysandbox::core::scenarios::Arm;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fixed seed: the same order ids on every run.
    let sandbox = Sandbox::builder().seed(7).start().await?;
    println!("paysandbox at {}", sandbox.base_url());

    // reqwest is built without a TLS provider of its own; paysandbox
    // installs one (plain http needs none, but the client builder asks).
    paysandbox::core::http_client::install_crypto_provider();
    let http = reqwest::Client::new();
    let create = |payment_id: &str| {
        http.post(format!("{}/v1/payment", sandbox.softline_url()))
            // The fixture's static token.
            .bearer_auth("sandbox-token")
            .json(&json!({
                "currency": "RUB",
                "amount": "112.50",
                "return_success_url": "https://shop.example/success",
                "payment_method": "CreditCard",
                "payment_id": payment_id,
                "customer": {"email": "buyer@example.com", "first_name": "Ivan", "last_name": "Petrov"}
            }))
            .send()
    };

    // A payment as Softline creates it.
    let created: Value = create("EXAMPLE-1").await?.json().await?;
    println!("created: {created}");

    // The next create for EXAMPLE-2 answers 6090, as Softline would for an
    // amount the method does not take.
    sandbox
        .arm_scenario(Arm::new("softline.create_payment.6090").matching("payment_id", "EXAMPLE-2"))
        .await?;
    let forced = create("EXAMPLE-2").await?;
    println!("forced: {} {}", forced.status(), forced.text().await?);

    // 91 days on, the unpaid payment is deleted by the sandbox clock.
    let now = sandbox.advance_clock(91 * 24 * 3600).await?;
    println!("the sandbox clock reads {now}");

    // What happened, as GET /__sandbox/journal lists it.
    let softline = Query {
        provider: Some("softline".to_owned()),
        ..Query::default()
    };
    for entry in sandbox.journal(&softline) {
        println!(
            "#{} {:?} {} {} {}",
            entry.id,
            entry.kind,
            entry.method.as_deref().unwrap_or("-"),
            entry.url.as_deref().unwrap_or("-"),
            entry.summary.as_deref().unwrap_or(""),
        );
    }

    // Dropping the handle stops the server; `stop` also waits for it.
    sandbox.stop().await;
    Ok(())
}
