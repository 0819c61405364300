//! `POST /imshop/sync`: the async payment status URL merchants report to.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_report_for_a_payment_a_run_knows_is_acknowledged_with_or_without_the_key() {
    // Arrange: a run watching order 12345 and its payment.
    let app = spawn_app().await;
    let inbox = app.state.imshop.sync.watch("run-abc", "12345");
    inbox.watch_payment("7d05");
    let report =
        json!({"orderId": "12345", "paymentId": "7d05", "success": true, "paymentCaptured": true});

    // Act
    let without_key = app.post_json("/imshop/sync", &report).await;
    let with_key = app
        .client
        .post(app.url("/imshop/sync"))
        .bearer_auth("sandbox-imshop-key")
        .json(&report)
        .send()
        .await
        .unwrap();

    // Assert
    for response in [without_key, with_key] {
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"success": true})
        );
    }
    let timeline = app.journal("object=7d05").await;
    assert_eq!(timeline.len(), 2);
    assert_eq!(
        timeline[0]["objects"],
        json!(["12345", "7d05", "run-abc"]),
        "filed under the order, the payment and the run"
    );
    assert_eq!(
        timeline[1]["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "authorization")
            .unwrap()[1],
        "Bearer ****-key"
    );
}

#[tokio::test]
async fn a_report_for_an_order_whose_payment_is_not_known_yet_is_acknowledged() {
    let app = spawn_app().await;
    let _inbox = app.state.imshop.sync.watch("run-abc", "555");

    let response = app
        .post_json(
            "/imshop/sync",
            &json!({"orderId": "555", "paymentId": "new", "success": true, "paymentCaptured": false, "retry": true}),
        )
        .await;

    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"success": true})
    );
}

#[tokio::test]
async fn a_report_for_an_unknown_payment_is_refused_with_an_error() {
    let app = spawn_app().await;

    let response = app
        .post_json(
            "/imshop/sync",
            &json!({"orderId": "1", "paymentId": "nope", "success": true, "paymentCaptured": true}),
        )
        .await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"success": false, "error": "unknown payment: no run knows paymentId \"nope\" of orderId \"1\""})
    );
    let entries = app.journal("object=nope").await;
    assert_eq!(entries[0]["provider"], "imshop");
}

#[tokio::test]
async fn malformed_reports_are_answered_in_the_same_shape() {
    let app = spawn_app().await;
    let cases: [(&str, &str); 5] = [
        (
            "{oops",
            "the body is not JSON: key must be a string at line 1 column 2",
        ),
        ("[1, 2]", "the body must be a JSON object"),
        (
            r#"{"paymentId": "p", "success": true, "paymentCaptured": true}"#,
            "orderId is missing",
        ),
        (
            r#"{"orderId": "1", "paymentId": "p", "success": true, "paymentCaptured": "yes"}"#,
            "paymentCaptured is a string, expected a boolean",
        ),
        (
            "",
            "the body is not JSON: EOF while parsing a value at line 1 column 0",
        ),
    ];
    for (body, error) in cases {
        let response = app
            .client
            .post(app.url("/imshop/sync"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"success": false, "error": error}),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_oversized_report_is_413_in_imshops_shape() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/imshop/sync"))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 413);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["success"], false);
}

#[tokio::test]
async fn the_sync_url_and_the_runs_api_are_in_the_openapi_document() {
    let app = spawn_app().await;

    let api = app.get_json("/__sandbox/openapi.json", 200).await;

    for (path, method) in [
        ("/imshop/sync", "post"),
        ("/imshop/runs", "post"),
        ("/imshop/runs", "get"),
        ("/imshop/runs/{id}", "get"),
        ("/imshop/runs/{id}/final-url", "post"),
        ("/demo/merchant/payments", "post"),
        ("/demo/merchant/orders/{order_id}/paid", "get"),
    ] {
        assert!(api["paths"][path][method].is_object(), "{method} {path}");
    }
}

#[tokio::test]
async fn the_unknown_payment_refusal_can_be_forced_by_arming_or_by_header() {
    // Arrange: a payment a run knows, and the scenario armed once for it.
    let app = spawn_app().await;
    let _inbox = app.state.imshop.sync.watch("run-abc", "42");
    let report =
        json!({"orderId": "42", "paymentId": "p-42", "success": true, "paymentCaptured": true});
    let armed = app
        .post_json(
            "/__sandbox/scenarios",
            &json!({"id": "imshop.sync.unknown_payment", "times": 1, "match": {"orderId": "42"}}),
        )
        .await;
    assert_eq!(armed.status(), 201);
    let refused = json!({"success": false, "error": "unknown payment: no run knows paymentId \"p-42\" of orderId \"42\""});

    // Act + Assert: armed, then natural, then by header.
    let first = app.post_json("/imshop/sync", &report).await;
    assert_eq!(first.json::<Value>().await.unwrap(), refused);
    let second = app.post_json("/imshop/sync", &report).await;
    assert_eq!(
        second.json::<Value>().await.unwrap(),
        json!({"success": true})
    );
    let by_header = app
        .client
        .post(app.url("/imshop/sync"))
        .header("x-sandbox-scenario", "imshop.sync.unknown_payment")
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    assert_eq!(by_header.json::<Value>().await.unwrap(), refused);
}

#[tokio::test]
async fn the_catalogue_lists_the_imshop_scenario() {
    let app = spawn_app().await;

    let catalogue = app.get_json("/__sandbox/scenarios/catalogue", 200).await;

    let text = catalogue.to_string();
    assert!(text.contains("imshop.sync.unknown_payment"), "{text}");
}
