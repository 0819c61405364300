//! Hostile input to IMSHOP's endpoints (`/imshop/sync`, `/imshop/runs`)
//! and to the control plane: IMSHOP answers `{"success": false, "error"}`,
//! the control plane `{"error": {"code", "message"}}`, never a 5xx, a hang
//! or a plain-text rejection.

use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with, test_settings};
use crate::hostile_support::{ALL, Answer, Hostile, Raw};

/// `{"success": false, "error": "<prefix>…"}` with `status`.
fn assert_imshop(answer: &Answer, status: u16, error_prefix: &str, case: &str) {
    assert_eq!(answer.status, status, "{case}: {}", answer.text());
    assert!(
        answer.content_type.starts_with("application/json"),
        "{case}"
    );
    let body = answer.json();
    assert_eq!(body["success"], false, "{case}: {body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{case}: {body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.starts_with(error_prefix), "{case}: {error:?}");
}

/// What `/imshop/sync` says to each hostile body.
fn sync_error(hostile: Hostile) -> &'static str {
    match hostile {
        // Valid JSON, but not a status report.
        Hostile::HugeString => "orderId is missing",
        _ => "the body is not JSON: ",
    }
}

#[tokio::test]
async fn every_hostile_body_to_the_sync_url_is_a_400_naming_the_problem() {
    let app = spawn_app().await;

    for hostile in ALL {
        let (content_type, body) = hostile.body();

        let answer = Raw::post("/imshop/sync", Some(content_type), body)
            .send(&app)
            .await;

        assert_imshop(&answer, 400, sync_error(hostile), &format!("{hostile:?}"));
    }
}

#[tokio::test]
async fn the_sync_url_reads_a_repeated_key_as_its_last_value_and_ignores_content_type() {
    let app = spawn_app().await;
    let cases = [
        (
            Some("application/json"),
            r#"{"orderId":"1","orderId":2,"paymentId":"p","success":true,"paymentCaptured":true}"#,
            400,
            "orderId is a number, expected a string",
        ),
        (
            Some("text/plain"),
            r#"{"orderId":"Заказ-№1","paymentId":"платёж","success":true,"paymentCaptured":true}"#,
            200,
            r#"unknown payment: no run knows paymentId "платёж" of orderId "Заказ-№1""#,
        ),
        (
            None,
            r#"{"orderId":"1","paymentId":"p","success":true,"paymentCaptured":true,"retry":"yes"}"#,
            400,
            "retry is a string, expected a boolean",
        ),
    ];

    for (content_type, body, status, error) in cases {
        let answer = Raw::post("/imshop/sync", content_type, body)
            .send(&app)
            .await;

        assert_eq!(answer.status, status, "{body}");
        assert_eq!(
            answer.json(),
            json!({"success": false, "error": error}),
            "{body}"
        );
    }
}

#[tokio::test]
async fn every_hostile_body_to_the_runs_api_is_a_400_and_starts_no_run() {
    let app = spawn_app().await;

    for hostile in ALL {
        let (content_type, body) = hostile.body();

        let answer = Raw::post("/imshop/runs", Some(content_type), body)
            .send(&app)
            .await;

        let prefix = if content_type.starts_with("application/x-www-form-urlencoded") {
            "invalid form: missing field `webhook`"
        } else {
            "invalid body"
        };
        assert_imshop(&answer, 400, prefix, &format!("{hostile:?}"));
    }
    let runs = app.get_json("/imshop/runs", 200).await;
    assert_eq!(runs["runs"], json!([]));
}

#[tokio::test]
async fn run_options_of_the_wrong_type_or_out_of_range_are_named() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"webhook": 42}),
            "invalid body at webhook: invalid type: integer `42`",
        ),
        (
            json!({"webhook": "http://127.0.0.1:1/x", "flow": "bitcoin"}),
            "invalid body at flow: unknown variant `bitcoin`",
        ),
        (
            json!({"webhook": "http://127.0.0.1:1/x", "timeout_ms": -1}),
            "invalid body at timeout_ms: invalid value: integer `-1`",
        ),
        (
            json!({"webhook": "http://127.0.0.1:1/x", "timeout_ms": 1e300}),
            "invalid body at timeout_ms: invalid type: floating point",
        ),
    ];

    for (body, prefix) in cases {
        let answer = Raw::post(
            "/imshop/runs",
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .send(&app)
        .await;

        assert_imshop(&answer, 400, prefix, &body.to_string());
    }
}

#[tokio::test]
async fn run_ids_that_no_run_has_are_404_whatever_they_contain() {
    let app = spawn_app().await;
    let ids = [
        "%0D%0ASet-Cookie:%20a=1",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%D0%B7%D0%B0%D0%BF%D1%83%D1%81%D0%BA",
        "%FF%FE",
        "..%2F..%2Fetc%2Fpasswd",
    ];

    for id in ids {
        let path = format!("/imshop/runs/{id}");
        let answer = Raw::bare(reqwest::Method::GET, &path).send(&app).await;

        let status = if id == "%FF%FE" { 400 } else { 404 };
        let prefix = if status == 404 {
            "no run "
        } else {
            "Invalid URL"
        };
        assert_imshop(&answer, status, prefix, id);
    }
}

/// The control plane's JSON endpoints, each with a body it accepts.
fn control_endpoints() -> Vec<(reqwest::Method, &'static str, Value)> {
    vec![
        (
            reqwest::Method::POST,
            "/__sandbox/scenarios",
            json!({"id": "softline.create_payment.6090", "times": 1}),
        ),
        (
            reqwest::Method::POST,
            "/__sandbox/clock/advance",
            json!({"seconds": 1}),
        ),
        (
            reqwest::Method::POST,
            "/__sandbox/faults",
            json!({"provider": "softline", "path": "/v1/payment", "status": 503, "times": 1}),
        ),
        (
            reqwest::Method::PUT,
            "/__sandbox/softline/webhook",
            json!({"url": "http://127.0.0.1:1/hook"}),
        ),
    ]
}

fn assert_control(answer: &Answer, status: u16, code: &str, case: &str) {
    assert_eq!(answer.status, status, "{case}: {}", answer.text());
    assert!(
        answer.content_type.starts_with("application/json"),
        "{case}"
    );
    let body = answer.json();
    assert_eq!(body["error"]["code"], code, "{case}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{case}: {body}"
    );
}

#[tokio::test]
async fn every_hostile_body_to_the_control_plane_is_a_400_in_its_envelope() {
    let app = spawn_app().await;

    for (method, path, _) in control_endpoints() {
        for hostile in ALL {
            let (content_type, body) = hostile.body();
            let answer = Raw {
                method: method.clone(),
                path,
                content_type: Some(content_type),
                headers: Vec::new(),
                body,
            }
            .send(&app)
            .await;

            assert_control(&answer, 400, "bad_request", &format!("{path} {hostile:?}"));
        }
    }
}

#[tokio::test]
async fn valid_control_plane_json_without_its_content_type_is_a_400_in_the_envelope() {
    let app = spawn_app().await;

    for (method, path, body) in control_endpoints() {
        for content_type in [None, Some("text/plain")] {
            let answer = Raw {
                method: method.clone(),
                path,
                content_type,
                headers: Vec::new(),
                body: serde_json::to_vec(&body).unwrap(),
            }
            .send(&app)
            .await;

            assert_control(
                &answer,
                400,
                "bad_request",
                &format!("{path} {content_type:?}"),
            );
        }
    }
}

#[tokio::test]
async fn a_control_plane_body_over_the_limit_is_a_413_in_its_envelope() {
    let app = spawn_app_with(paysandbox::Settings {
        max_body_bytes: 1024,
        ..test_settings()
    })
    .await;
    let body = format!(r#"{{"id":"{}"}}"#, "x".repeat(4096));

    let answer = Raw::post("/__sandbox/scenarios", Some("application/json"), body)
        .send(&app)
        .await;

    assert_control(&answer, 413, "payload_too_large", "4 KiB");
}

#[tokio::test]
async fn a_refund_body_that_is_not_json_is_a_400_and_refunds_nothing() {
    let app = spawn_app().await;
    let invoice = crate::intellectmoney_support::create_invoice(&app, "HOST-1", &[]).await;
    let path = format!("/__sandbox/intellectmoney/invoices/{invoice}/refund");

    for hostile in ALL.into_iter().filter(|h| *h != Hostile::Empty) {
        let (content_type, body) = hostile.body();

        let answer = Raw::post(&path, Some(content_type), body).send(&app).await;

        assert_control(&answer, 400, "bad_request", &format!("{hostile:?}"));
    }
    let view = app
        .get_json(
            &format!("/__sandbox/intellectmoney/invoices/{invoice}"),
            200,
        )
        .await;
    assert_eq!(view["status"], 3);
}

#[tokio::test]
async fn unknown_control_paths_and_wrong_methods_are_answered_in_the_envelope() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::GET, "/__sandbox/nothing", 404, "not_found"),
        (
            reqwest::Method::PUT,
            "/__sandbox/reset",
            405,
            "method_not_allowed",
        ),
        (reqwest::Method::DELETE, "/imshop/sync", 405, ""),
        (reqwest::Method::GET, "/imshop/nothing", 404, ""),
    ];

    for (method, path, status, code) in cases {
        let answer = Raw::bare(method, path).send(&app).await;

        if code.is_empty() {
            let prefix = if status == 404 {
                "No such endpoint"
            } else {
                "Method DELETE"
            };
            assert_imshop(&answer, status, prefix, path);
        } else {
            assert_control(&answer, status, code, path);
        }
    }
}

#[tokio::test]
async fn the_most_negative_number_of_seconds_is_refused_not_a_crash() {
    // Found by schemathesis: `abs()` of i64::MIN overflowed and the
    // connection was dropped.
    let app = spawn_app().await;

    let answer = Raw::post(
        "/__sandbox/clock/advance",
        Some("application/json"),
        format!(r#"{{"seconds": {}}}"#, i64::MIN),
    )
    .send(&app)
    .await;
    let form = app
        .client
        .post(app.url("/actions/clock"))
        .form(&[("seconds", i64::MIN.to_string())])
        .send()
        .await
        .unwrap();

    assert_control(&answer, 400, "bad_request", "i64::MIN");
    assert_eq!(form.status(), 400);
}

#[tokio::test]
async fn a_hundred_centuries_of_clock_advances_leave_the_sandbox_working() {
    let app = spawn_app().await;
    let century = 100 * 366 * 24 * 3600_i64;

    for _ in 0..120 {
        app.advance_clock(century).await;
    }
    let clock = app.get_json("/__sandbox/clock", 200).await;
    let created = crate::softline_support::create_ok(
        &app,
        &crate::softline_support::minimal_payment("FAR-1"),
    )
    .await;

    assert_eq!(clock["offset_seconds"], 1_000 * 366 * 24 * 3600_i64);
    assert!(created.0 > 0);
}

#[tokio::test]
async fn a_dashboard_back_link_with_crlf_falls_back_to_a_safe_page() {
    // Found while probing: axum's Redirect answered a plain-text 500.
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/actions/reset"))
        .form(&[("back", "/\r\nSet-Cookie: a=1")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/?done=Sandbox+reset%3A+everything+forgotten%2C+clock+at+real+time."
    );
}

#[tokio::test]
async fn a_dashboard_form_that_is_not_a_form_is_the_dashboards_own_400() {
    let app = spawn_app().await;
    let cases = [
        (
            "application/json",
            r#"{"seconds": 5}"#,
            "Form requests must have `Content-Type: application/x-www-form-urlencoded`",
        ),
        (
            "application/x-www-form-urlencoded",
            "back=%2F",
            "Failed to deserialize form body: missing field `seconds`",
        ),
    ];

    for (content_type, body, message) in cases {
        let response = app
            .client
            .post(app.url("/actions/clock"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 400, "{content_type}");
        assert_eq!(response.text().await.unwrap(), message, "{content_type}");
    }
}
