//! The dashboard over HTTP: pages render what the core holds, and its forms
//! change state and come back (post/redirect/get), refusing cross-site posts.

use bytes::Bytes;
use paysandbox::core::outbox::{Acceptance, NewDelivery};
use serde_json::json;
use wiremock::ResponseTemplate;

use crate::helpers::{receiver_answering, spawn_app};

#[tokio::test]
async fn every_dashboard_page_renders() {
    let app = spawn_app().await;

    for path in [
        "/",
        "/journal",
        "/webhooks",
        "/scenarios",
        "/faults",
        "/snapshots",
        "/objects/5000001",
    ] {
        let page = app.html(path).await;
        assert!(page.contains("<main class=\"page\" id=\"main\">"), "{path}");
    }
}

#[tokio::test]
async fn the_journal_page_shows_an_exchange_with_its_masked_request() {
    let app = spawn_app().await;
    app.client
        .get(app.url("/softline/v1/order/77"))
        .header("Authorization", "Bearer sandbox-token")
        .send()
        .await
        .unwrap();

    let page = app.html("/journal?provider=softline").await;

    assert!(page.contains("GET /softline/v1/order/77"), "{page}");
    assert!(page.contains("authorization: Bearer ****"));
    assert!(!page.contains("sandbox-token"));
}

#[tokio::test]
async fn an_object_page_gathers_its_timeline_and_webhooks() {
    let app = spawn_app().await;
    let receiver =
        receiver_answering(ResponseTemplate::new(500).set_body_string("<b>nope</b>")).await;
    app.state.core.outbox.enqueue(NewDelivery {
        provider: "softline",
        event: "order.created".to_owned(),
        url: receiver.uri(),
        content_type: "application/json".to_owned(),
        headers: vec![],
        body: Bytes::from_static(br#"{"order_id":5000001}"#),
        retry_schedule: vec![60],
        acceptance: Acceptance::AnySuccess,
        objects: vec!["5000001".to_owned()],
        not_before: None,
        signature: None,
        signature_base: None,
    });
    app.deliver_pending_webhooks().await;

    let page = app.html("/objects/5000001").await;

    assert!(
        page.contains("order.created attempt 1: failed (HTTP 500"),
        "{page}"
    );
    assert!(
        page.contains("nope"),
        "the receiver's answer is shown: {page}"
    );
    assert!(
        !page.contains("<b>nope"),
        "the receiver's answer is escaped"
    );
    assert!(page.contains("data-testid=\"webhooks\""));
    assert!(
        page.contains("/__sandbox/journal?object=5000001&#38;download=true"),
        "export link"
    );
}

#[tokio::test]
async fn the_reset_button_resets_and_comes_back_with_a_notice() {
    let app = spawn_app().await;
    app.advance_clock(3600).await;

    let response = app.post_form("/actions/reset", &[("back", "/")]).await;

    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/?done="), "{location}");
    assert_eq!(
        app.get_json("/__sandbox/clock", 200).await["offset_seconds"],
        0
    );
    assert!(app.html(&location).await.contains("Sandbox reset"));
}

#[tokio::test]
async fn the_clock_form_takes_spans_with_units() {
    let app = spawn_app().await;

    let response = app
        .post_form("/actions/clock", &[("seconds", "24h"), ("back", "/faults")])
        .await;

    assert_eq!(response.status(), 303);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/faults?done=")
    );
    assert_eq!(
        app.get_json("/__sandbox/clock", 200).await["offset_seconds"],
        86_400
    );
}

#[tokio::test]
async fn faults_are_added_and_removed_from_the_form() {
    let app = spawn_app().await;

    let added = app
        .post_form(
            "/actions/faults",
            &[
                ("provider", "softline"),
                ("direction", "inbound"),
                ("path", "/v1/order"),
                ("status", "503"),
                ("times", "2"),
                ("latency_ms", ""),
            ],
        )
        .await;
    let listed = app.get_json("/__sandbox/faults", 200).await;
    let page = app.html("/faults").await;
    let removed = app.post_form("/actions/faults/1/remove", &[]).await;

    assert_eq!(added.status(), 303);
    assert_eq!(listed["faults"][0]["status"], 503);
    assert_eq!(listed["faults"][0]["times"], 2);
    assert!(page.contains("status 503"), "{page}");
    assert_eq!(removed.status(), 303);
    assert_eq!(
        app.get_json("/__sandbox/faults", 200).await["faults"],
        json!([])
    );
}

#[tokio::test]
async fn a_form_with_bad_values_is_refused_with_the_reason() {
    let app = spawn_app().await;

    let response = app
        .post_form(
            "/actions/faults",
            &[("provider", "softline"), ("status", "abc")],
        )
        .await;

    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        "status \"abc\" is not a number"
    );
}

#[tokio::test]
async fn cross_site_posts_to_the_dashboard_and_the_control_plane_are_refused() {
    let app = spawn_app().await;

    let dashboard = app
        .client
        .post(app.url("/actions/reset"))
        .header("Origin", "https://evil.example")
        .form(&[("back", "/")])
        .send()
        .await
        .unwrap();
    let control_plane = app
        .client
        .post(app.url("/__sandbox/reset"))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    let same_origin = app
        .client
        .post(app.url("/__sandbox/reset"))
        .header("Origin", app.address.clone())
        .send()
        .await
        .unwrap();

    assert_eq!(dashboard.status(), 403);
    assert_eq!(control_plane.status(), 403);
    assert_eq!(same_origin.status(), 200);
}

#[tokio::test]
async fn the_dashboard_script_and_stylesheet_are_served_locally() {
    let app = spawn_app().await;

    let page = app.html("/").await;
    let script = app.get("/assets/dashboard.js").await;

    assert!(page.contains(r#"<script src="/assets/dashboard.js" defer></script>"#));
    assert!(
        !page.contains("http://cdn") && !page.contains("https://"),
        "nothing from the internet"
    );
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
}

#[tokio::test]
async fn dashboard_pages_forbid_framing_and_foreign_resources() {
    let app = spawn_app().await;

    let response = app.get("/scenarios").await;

    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn payments_and_invoices_are_listed_with_links_to_their_pages_and_timelines() {
    let app = spawn_app().await;
    let (order_id, _) = crate::softline_support::create_ok(
        &app,
        &crate::softline_support::minimal_payment("DASH-1"),
    )
    .await;
    let invoice_id = crate::intellectmoney_support::create_invoice(&app, "DASH-IM-1", &[]).await;

    let payments = app.html("/payments").await;
    let invoices = app.html("/invoices").await;
    let payment_timeline = app.html(&format!("/objects/{order_id}")).await;
    let invoice_timeline = app.html(&format!("/objects/{invoice_id}")).await;

    assert!(
        payments.contains(&format!("data-order=\"{order_id}\"")),
        "{payments}"
    );
    assert!(payments.contains("not paid"));
    assert!(payments.contains("DASH-1"));
    assert!(
        invoices.contains(&format!("data-invoice=\"{invoice_id}\"")),
        "{invoices}"
    );
    assert!(invoices.contains("DASH-IM-1"));
    assert!(
        payment_timeline.contains("Softline payment form"),
        "{payment_timeline}"
    );
    assert!(payment_timeline.contains(&format!("/softline/order/status/{order_id}/")));
    assert!(invoice_timeline.contains(&format!("/intellectmoney/pay/{invoice_id}")));
}

#[tokio::test]
async fn metrics_count_stored_payments_and_invoices() {
    let app = spawn_app().await;
    crate::softline_support::create_ok(&app, &crate::softline_support::minimal_payment("M-1"))
        .await;
    crate::softline_support::create_ok(&app, &crate::softline_support::minimal_payment("M-2"))
        .await;
    crate::intellectmoney_support::create_invoice(&app, "M-IM-1", &[]).await;

    let text = app.get("/metrics").await.text().await.unwrap();

    assert!(
        text.contains(r#"paysandbox_stored{kind="softline_payments"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"paysandbox_stored{kind="intellectmoney_invoices"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"paysandbox_http_requests_total{provider="softline",route="/softline/v1/payment",method="POST",status="200"} 2"#),
        "{text}"
    );
}

#[tokio::test]
async fn an_invoice_and_a_payment_past_their_lifetime_show_as_ended_after_a_clock_advance() {
    // Arrange
    let app = spawn_app().await;
    let invoice_id = crate::intellectmoney_support::create_invoice(&app, "DASH-OLD", &[]).await;
    let (order_id, _) = crate::softline_support::create_ok(
        &app,
        &crate::softline_support::minimal_payment("DASH-OLD"),
    )
    .await;

    // Act: nothing reads the invoice or the payment before the pages do.
    app.advance_clock(200 * 24 * 3600).await;
    let invoices = app.html("/invoices").await;
    let payments = app.html("/payments").await;

    // Assert
    let invoice_row = invoices
        .split("<tr")
        .find(|row| row.contains(&format!("data-invoice=\"{invoice_id}\"")))
        .unwrap_or_else(|| panic!("no row for {invoice_id}: {invoices}"));
    assert!(invoice_row.contains("4 аннулирован"), "{invoice_row}");
    let payment_row = payments
        .split("<tr")
        .find(|row| row.contains(&format!("data-order=\"{order_id}\"")))
        .unwrap_or_else(|| panic!("no row for {order_id}: {payments}"));
    assert!(payment_row.contains("deleted"), "{payment_row}");
}

#[tokio::test]
async fn a_timeline_lists_the_request_before_the_effects_it_caused() {
    // Arrange
    let app = spawn_app().await;

    // Act: createInvoice stores the invoice (a transition) while it answers.
    let invoice_id = crate::intellectmoney_support::create_invoice(&app, "TIMELINE-1", &[]).await;
    let timeline = app.journal(&format!("object={invoice_id}")).await;
    let page = app.html(&format!("/objects/{invoice_id}")).await;

    // Assert
    let kinds: Vec<(&str, &str)> = timeline
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["summary"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(kinds[0].0, "inbound", "{kinds:?}");
    assert_eq!(kinds[1].0, "transition", "{kinds:?}");
    assert!(kinds[1].1.starts_with("invoice created"), "{kinds:?}");
    let request = page
        .find("createInvoice")
        .expect("the request is on the page");
    let effect = page
        .find("invoice created")
        .expect("the effect is on the page");
    assert!(request < effect, "the page lists the effect first");
}

#[tokio::test]
async fn the_clock_badge_reads_in_days_and_hours() {
    // Arrange
    let app = spawn_app().await;

    // Act
    app.advance_clock(200 * 24 * 3600 + 5 * 3600).await;
    let page = app.html("/").await;

    // Assert
    assert!(
        page.contains(r#"<span class="badge" title="17298000 s">+200 d 5 h</span>"#),
        "{page}"
    );
}
