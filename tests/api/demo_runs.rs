//! The reference merchant end to end: the engine (in-process and as the
//! CLI) against `/demo/merchant/payments`, which pays through the real
//! Softline sandbox of the same server.

use paysandbox::providers::imshop::options::{FlowChoice, Outcome, RunRequest};
use serde_json::{Value, json};

use crate::helpers::{TestApp, binary, run_finished, spawn_app};
use crate::imshop_support::{
    assert_no_failure, failed, hop_notes, message, request, run_engine, warned,
};

/// A run of `flow` against the reference merchant of `app`.
fn demo(app: &TestApp, flow: FlowChoice, outcome: Outcome) -> RunRequest {
    request(&app.url("/demo/merchant/payments"), flow, outcome)
}

#[tokio::test]
async fn the_reference_merchant_passes_every_flow_for_both_outcomes() {
    let app = spawn_app().await;
    let webhook = app.url("/demo/merchant/payments");

    for outcome in [Outcome::Success, Outcome::Failure] {
        let report = run_engine(&app, request(&webhook, FlowChoice::All, outcome)).await;

        assert_eq!(
            failed(&report),
            Vec::<String>::new(),
            "{outcome:?}: {:#?}",
            report.checks
        );
        // Only the sandbox's plain-http payment URL is worth a warning.
        assert_eq!(
            warned(&report),
            ["card/create payment_url_absolute"],
            "{outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_paid_card_order_ends_on_the_merchants_return_page_and_is_captured() {
    let app = spawn_app().await;
    let mut req = demo(&app, FlowChoice::Card, Outcome::Success);
    req.order_id = Some("A-1001".into());

    let report = run_engine(&app, req).await;

    assert_eq!(
        message(&report, "card/web_view redirect_matched"),
        format!(
            "{} matched successRegex",
            app.url("/demo/merchant/orders/A-1001/paid")
        )
    );
    let payment_id = &report.orders[0].payment_ids[0];
    let order: Value = app
        .client
        .get(app.url(&format!("/softline/v1/order/{payment_id}")))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "paid");
    assert_eq!(
        message(&report, "card/capture_repeat capture_idempotent"),
        format!(
            "the same answer: success=true paymentId=\"{payment_id}\" paymentCaptured=true pending=false error=absent"
        )
    );
}

#[tokio::test]
async fn a_declined_card_stays_on_the_softline_form_and_capture_reports_it_not_paid() {
    let app = spawn_app().await;

    let report = run_engine(&app, demo(&app, FlowChoice::Card, Outcome::Failure)).await;

    let left = message(&report, "card/web_view redirect_matched");
    assert!(
        left.starts_with("no regex matched and the buyer leaves at"),
        "{left}"
    );
    assert!(left.contains("the form showed:"), "{left}");
    assert_eq!(
        message(&report, "card/capture error_text"),
        "error: \"the order is not paid (Softline status \\\"not paid\\\")\""
    );
    assert_eq!(
        message(&report, "card/capture payment_captured_agrees"),
        "the payment was refused (success: false): the declined payment is not captured"
    );
}

#[tokio::test]
async fn imshops_calls_and_the_merchants_answers_share_the_orders_timeline() {
    let app = spawn_app().await;
    let mut req = demo(&app, FlowChoice::Card, Outcome::Success);
    req.order_id = Some("T-77".into());

    run_engine(&app, req).await;

    let timeline = app.journal("object=T-77").await;
    let kinds: Vec<(&str, &str)> = timeline
        .iter()
        .map(|e| (e["provider"].as_str().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("imshop", "outbound")), "{kinds:?}");
    assert!(kinds.contains(&("demo", "inbound")), "{kinds:?}");
}

#[tokio::test]
async fn the_cli_passes_every_check_against_the_reference_merchant_for_both_outcomes() {
    let app = spawn_app().await;
    let webhook = app.url("/demo/merchant/payments");

    for outcome in ["success", "failure"] {
        let mut command = binary();
        command.args([
            "imshop",
            "run",
            "--webhook",
            &webhook,
            "--flow",
            "all",
            "--outcome",
            outcome,
        ]);
        let output = tokio::process::Command::from(command)
            .output()
            .await
            .unwrap();

        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{outcome}: {stdout}");
        assert!(stdout.contains("PASSED: "), "{stdout}");
    }
}

#[tokio::test]
async fn a_run_over_http_against_the_reference_merchant_passes() {
    let app = spawn_app().await;

    let id = app
        .start_run(&json!({"webhook": app.url("/demo/merchant/payments"), "flow": "all", "outcome": "failure"}))
        .await;
    let run = app.wait_for_run(&id, run_finished).await;

    assert_eq!(run["status"], "passed", "{run:#}");
}

#[tokio::test]
async fn a_three_d_secure_challenge_on_the_softline_form_is_passed_with_the_approving_code() {
    // Arrange: Softline sends every card to its challenge page.
    let app = spawn_app().await;
    let armed = app
        .post_json(
            "/__sandbox/scenarios",
            &json!({"id": "softline.payment.challenge", "times": 1}),
        )
        .await;
    assert_eq!(armed.status(), 201);

    // Act
    let report = run_engine(&app, demo(&app, FlowChoice::Card, Outcome::Success)).await;

    // Assert
    assert_no_failure(&report);
    let notes = hop_notes(&report, "card/web_view redirect_matched");
    assert!(
        notes.contains(&"3-D Secure code 123456 entered".to_owned()),
        "{notes:#?}"
    );
}

#[tokio::test]
async fn a_payment_softline_refuses_to_create_is_refused_by_the_merchant_with_the_reason() {
    let app = spawn_app().await;
    app.post_json(
        "/__sandbox/scenarios",
        &json!({"id": "softline.create_payment.6090", "times": 1}),
    )
    .await;

    let report = run_engine(&app, demo(&app, FlowChoice::Card, Outcome::Success)).await;

    assert_eq!(failed(&report), ["card/create payment_created"]);
    let refused = message(&report, "card/create payment_created");
    assert!(refused.starts_with("create refused the order (error: \"the payment could not be created: Softline answered 400:"), "{refused}");
    assert!(refused.contains("6090"), "{refused}");
}

#[tokio::test]
async fn a_run_at_a_workspace_s_runs_url_pays_through_that_workspace_s_reference_merchant_and_softline()
 {
    let app = spawn_app().await;
    let ws = app.create_workspace("checkout").await;
    let runs_url = ws["imshop"]["runs_url"].as_str().unwrap();

    let id = app
        .start_run_at(
            runs_url,
            &json!({"webhook": app.url("/demo/merchant/payments"), "flow": "card", "outcome": "success"}),
        )
        .await;
    let run = app.wait_for_run(&id, run_finished).await;

    assert_eq!(run["status"], "passed", "{run:#}");
    let found = |token: &str| {
        let search = app
            .client
            .post(app.url("/softline/v1/order/search"))
            .bearer_auth(token)
            .json(&json!({}))
            .send();
        async move { search.await.unwrap().json::<Value>().await.unwrap() }
    };
    let in_workspace = found(ws["softline"]["token"].as_str().unwrap()).await;
    let in_default = found("sandbox-token").await;
    assert_eq!(
        in_workspace["ids"].as_array().map(Vec::len),
        Some(1),
        "{in_workspace:#}"
    );
    assert_eq!(
        in_default["ids"].as_array().map(Vec::len),
        Some(0),
        "{in_default:#}"
    );
}
