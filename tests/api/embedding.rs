//! `paysandbox::Sandbox` as a user's Rust test embeds it: started in
//! process on a free port, driven by its typed helpers, stopped on drop.
//! Every answer is checked as it goes over the wire.

use paysandbox::Sandbox;
use paysandbox::core::journal::Query;
use paysandbox::core::scenarios::Arm;
use serde_json::{Value, json};

use crate::helpers::{DAY, wait_for};
use crate::softline_support::{TOKEN, minimal_payment};

/// A plain client, as the code under test would have.
fn client() -> reqwest::Client {
    paysandbox::core::http_client::install_crypto_provider();
    reqwest::Client::new()
}

/// `POST {softline}/v1/payment` with `token`; the status and the body.
/// `GET` a control-plane URL and parse its JSON.
async fn get_json(url: &str) -> Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn create_payment(sandbox: &Sandbox, token: &str, body: &Value) -> (u16, String) {
    let response = client()
        .post(format!("{}/v1/payment", sandbox.softline_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_sandbox_started_in_process_answers_on_its_base_url() {
    // Arrange
    let sandbox = Sandbox::start().await;

    // Act
    let response = client()
        .get(format!("{}/healthz", sandbox.base_url()))
        .send()
        .await
        .unwrap();

    // Assert
    assert!(
        sandbox.base_url().starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.base_url()
    );
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn each_provider_url_is_the_base_url_and_the_provider_s_mount() {
    let sandbox = Sandbox::start().await;

    let urls = [
        sandbox.softline_url(),
        sandbox.intellectmoney_url(),
        sandbox.imshop_url(),
    ];

    let base = sandbox.base_url();
    assert_eq!(
        urls,
        [
            format!("{base}/softline"),
            format!("{base}/intellectmoney"),
            format!("{base}/imshop"),
        ]
    );
}

#[tokio::test]
async fn an_armed_scenario_answers_the_next_create_with_its_code() {
    // Arrange
    let sandbox = Sandbox::builder().seed(7).start().await.unwrap();
    let armed = sandbox
        .arm_scenario(Arm::new("softline.create_payment.6090").matching("payment_id", "EMB-1"))
        .await
        .unwrap();

    // Act
    let forced = create_payment(&sandbox, TOKEN, &minimal_payment("EMB-1")).await;
    let next = create_payment(&sandbox, TOKEN, &minimal_payment("EMB-1")).await;

    // Assert
    assert_eq!(armed.remaining, 1);
    assert_eq!(
        forced,
        (
            400,
            r#"{"errors":[{"error":6090,"message":"This payment method is not available for this payment amount. Change payment method (payment_method)."}]}"#
                .to_owned()
        )
    );
    assert_eq!(next.0, 200, "used up after one request: {}", next.1);
    assert!(sandbox.armed_scenarios().is_empty());
}

#[tokio::test]
async fn a_scenario_armed_in_process_is_listed_by_the_control_plane() {
    let sandbox = Sandbox::start().await;

    sandbox
        .arm_scenario(
            Arm::new("softline.create_payment.6090")
                .times(2)
                .matching("payment_id", "EMB-2"),
        )
        .await
        .unwrap();

    let listed = get_json(&format!("{}/__sandbox/scenarios", sandbox.base_url())).await;
    assert_eq!(
        listed,
        json!({"armed": [{"handle": 1, "id": "softline.create_payment.6090", "times": 2, "match": {"payment_id": "EMB-2"}, "remaining": 2}]})
    );
}

#[tokio::test]
async fn advancing_the_clock_expires_a_softline_token_after_24_hours() {
    // Arrange: a token from login_check (the fixture's static token never
    // expires).
    let sandbox = Sandbox::start().await;
    let login: Value = client()
        .post(format!("{}/v1/login_check", sandbox.softline_url()))
        .json(&json!({"username": "sandbox", "password": "sandbox"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();

    // Act
    sandbox.advance_clock(DAY - 1).await.unwrap();
    let just_before = create_payment(&sandbox, token, &minimal_payment("EMB-3")).await;
    sandbox.advance_clock(1).await.unwrap();
    let after = create_payment(&sandbox, token, &minimal_payment("EMB-4")).await;

    // Assert
    assert_eq!(just_before.0, 200, "{}", just_before.1);
    assert_eq!(
        after,
        (
            401,
            r#"{"errors":[{"error":1009,"message":"Your token is expired."}]}"#.to_owned()
        )
    );
}

#[tokio::test]
async fn the_clock_advanced_in_process_is_the_clock_the_control_plane_shows() {
    let sandbox = Sandbox::start().await;

    let now = sandbox.advance_clock(3600).await.unwrap();

    let clock = get_json(&format!("{}/__sandbox/clock", sandbox.base_url())).await;
    assert_eq!(clock["offset_seconds"], 3600);
    let shown = time::OffsetDateTime::parse(
        clock["now"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(shown >= now, "{shown} before {now}");
    assert!(shown - now < time::Duration::seconds(5), "{shown} vs {now}");
}

#[tokio::test]
async fn the_journal_read_in_process_is_the_journal_the_control_plane_answers() {
    // Arrange
    let sandbox = Sandbox::builder().seed(7).start().await.unwrap();
    create_payment(&sandbox, TOKEN, &minimal_payment("EMB-5")).await;

    // Act
    let in_process = sandbox.journal_json(&Query::default());
    let typed = sandbox.journal(&Query {
        provider: Some("softline".to_owned()),
        ..Query::default()
    });

    // Assert
    let answered = get_json(&format!("{}/__sandbox/journal", sandbox.base_url())).await;
    assert_eq!(Value::Array(in_process.clone()), answered["entries"]);
    assert!(!in_process.is_empty());
    let inbound = typed
        .iter()
        .find(|e| e.url.as_deref() == Some("/softline/v1/payment"))
        .expect("the create is journaled");
    assert_eq!(inbound.method.as_deref(), Some("POST"));
    assert_eq!(inbound.status, Some(200));
}

#[tokio::test]
async fn a_reset_in_process_forgets_the_journal_and_the_armed_scenarios() {
    let sandbox = Sandbox::start().await;
    create_payment(&sandbox, TOKEN, &minimal_payment("EMB-6")).await;
    sandbox
        .arm_scenario(Arm::new("softline.create_payment.6090"))
        .await
        .unwrap();

    sandbox.reset().await.unwrap();

    assert_eq!(sandbox.journal_json(&Query::default()), Vec::<Value>::new());
    assert!(sandbox.armed_scenarios().is_empty());
}

#[tokio::test]
async fn dropping_the_sandbox_stops_it() {
    // Arrange
    let sandbox = Sandbox::start().await;
    let healthz = format!("{}/healthz", sandbox.base_url());
    assert_eq!(client().get(&healthz).send().await.unwrap().status(), 200);

    // Act
    drop(sandbox);

    // Assert: the port stops answering (a fresh client: no kept-alive
    // connection).
    wait_for("the port to stop answering", async || {
        client()
            .get(&healthz)
            .send()
            .await
            .err()
            .filter(reqwest::Error::is_connect)
    })
    .await;
}

#[tokio::test]
async fn stopping_the_sandbox_waits_until_it_has_stopped() {
    let sandbox = Sandbox::start().await;
    let address = sandbox.address();

    sandbox.stop().await;

    let refused = tokio::net::TcpStream::connect(address).await;
    assert_eq!(
        refused.unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
}
