//! Runs over HTTP: `POST /imshop/runs`, `GET /imshop/runs[/{id}]` as JSON
//! and HTML, and a payment page finished by a person in a browser.

use serde_json::{Value, json};

use crate::helpers::{run_finished, spawn_app};
use crate::imshop_support::{merchant, pay_in_browser, sync_url};

#[tokio::test]
async fn a_run_started_over_http_answers_201_and_finishes_in_the_background() {
    // Arrange
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;

    // Act
    let response = app
        .post_json(
            "/imshop/runs",
            &json!({"webhook": shop.webhook, "flow": "all", "timeout_ms": 2000}),
        )
        .await;

    // Assert
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("run-"), "{id}");
    assert_eq!(location, format!("/imshop/runs/{id}"));
    assert_eq!(body["url"], app.url(&location));
    assert_eq!(body["status"], "running");

    let run = app.wait_for_run(&id, run_finished).await;
    assert_eq!(run["status"], "passed", "{run:#}");
    assert_eq!(run["needs_browser"], Value::Null);
    assert_eq!(run["sync_url"], app.url("/imshop/sync"));
    assert_eq!(run["summary"]["failed"], 0);
    let check = &run["checks"][0];
    assert_eq!(check["flow"], "card");
    assert_eq!(check["step"], "create");
    assert_eq!(check["name"], "answered_in_time");
    assert_eq!(check["status"], "passed");
    assert_eq!(check["evidence"]["exchange"]["method"], "POST");
    assert_eq!(
        run["checks"][1]["name"], "http_200",
        "named as the text report, JUnit and the README name it"
    );
    assert!(run["progress"].as_array().unwrap().len() > 5);

    let list = app.get_json("/imshop/runs", 200).await;
    assert_eq!(list["runs"][0]["id"], id.as_str());
    assert_eq!(list["runs"][0]["status"], "passed");

    let timeline = app.journal(&format!("object={id}")).await;
    assert!(
        timeline
            .iter()
            .any(|e| e["kind"] == "outbound" && e["url"] == shop.webhook.as_str())
    );
}

#[tokio::test]
async fn a_browser_gets_the_run_as_a_page_with_each_check_and_its_evidence() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;
    let id = &app
        .start_run(&json!({"webhook": shop.webhook, "flow": "card"}))
        .await;
    app.wait_for_run(id, run_finished).await;

    let html = app.html(&format!("/imshop/runs/{id}")).await;

    assert!(html.contains(&format!("IMSHOP run <code>{id}</code>")));
    assert!(
        html.contains(r#"data-testid="run-status">passed<"#),
        "{html}"
    );
    assert!(html.contains(r#"data-testid="check-capture_idempotent""#));
    assert!(html.contains("<details><summary>Evidence</summary>"));
    assert!(
        !html.contains("final-url-form"),
        "no form when no browser is needed"
    );

    let list = app.html("/imshop/runs").await;
    assert!(list.contains(&format!(r#"<a href="/imshop/runs/{id}">{id}</a>"#)));
    assert!(list.contains(r#"data-testid="run-form""#));
}

#[tokio::test]
async fn a_payment_page_finished_in_a_browser_continues_the_run_from_its_final_url() {
    // Arrange: the run hands the page over at once.
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;
    let id = &app
        .start_run(&json!({"webhook": shop.webhook, "flow": "card", "web_view": "browser"}))
        .await;
    let waiting = app
        .wait_for_run(id, |run| run["status"] == "needs_browser")
        .await;
    let page = waiting["needs_browser"]["url"].as_str().unwrap();
    assert!(page.ends_with("/gateway/pay-1"), "{page}");
    assert_eq!(waiting["needs_browser"]["flow"], "card");
    let html = app.html(&format!("/imshop/runs/{id}")).await;
    assert!(
        html.contains(&format!(r#"action="/imshop/runs/{id}/final-url""#)),
        "{html}"
    );

    // Act: a person pays and pastes where the browser ended.
    let final_url = pay_in_browser(&shop, "pay-1").await;
    let response = app
        .post_json(
            &format!("/imshop/runs/{id}/final-url"),
            &json!({"url": final_url}),
        )
        .await;

    // Assert
    assert_eq!(response.status(), 202);
    let run = app.wait_for_run(id, run_finished).await;
    assert_eq!(run["status"], "passed", "{run:#}");
    let driven = run["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "payment_page_driven")
        .unwrap();
    assert_eq!(driven["message"], "finished by a person in a browser");
}

#[tokio::test]
async fn the_final_url_form_of_the_run_page_redirects_back_to_it() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;
    let id = &app
        .start_run(&json!({"webhook": shop.webhook, "flow": "card", "web_view": "browser"}))
        .await;
    app.wait_for_run(id, |run| run["status"] == "needs_browser")
        .await;

    let response = app
        .client
        .post(app.url(&format!("/imshop/runs/{id}/final-url")))
        .form(&[("url", "imshop://payment/failed")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/imshop/runs/{id}").as_str()
    );
    let run = app.wait_for_run(id, run_finished).await;
    // The buyer gave up: nothing matched, so a success run fails there.
    let failed: Vec<&str> = run["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["redirect_matched", "payment_captured_agrees"]);
}

#[tokio::test]
async fn the_start_form_of_the_runs_page_redirects_to_the_new_run() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;

    let response = app
        .client
        .post(app.url("/imshop/runs"))
        .form(&[
            ("webhook", shop.webhook.as_str()),
            ("key", ""),
            ("flow", "applepay"),
            ("outcome", "failure"),
            ("timeout_ms", "2000"),
            ("web_view", "auto"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    let id = location.strip_prefix("/imshop/runs/").unwrap();
    let run = app.wait_for_run(id, run_finished).await;
    assert_eq!(run["flows"], json!(["applepay"]));
    assert_eq!(run["outcome"], "failure");
    assert_eq!(run["status"], "passed");
}

#[tokio::test]
async fn bad_run_requests_are_refused_in_imshops_shape() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"webhook": "ftp://shop.example/pay"}),
            400,
            "webhook \"ftp://shop.example/pay\" is not an absolute http(s) URL",
        ),
        (
            json!({"webhook": "http://h/", "flow": "cash"}),
            400,
            "invalid body at flow: unknown variant `cash`, expected one of `card`, `applepay`, `googlepay`, `all`, `checkout` at line 1 column 14",
        ),
        (
            json!({"webhook": "http://h/", "colour": 1}),
            400,
            "invalid body at colour: unknown field `colour`, expected one of `webhook`, `key`, `flow`, `outcome`, `timeout_ms`, `order_id`, `order_uuid`, `pending_backoff_ms`, `sync_wait_ms`, `web_view`, `methods`, `deliveries`, `orders`, `key_placement`, `legal_entity` at line 1 column 9",
        ),
        (
            json!({"webhook": "http://h/", "timeout_ms": 0}),
            400,
            "timeout_ms must be between 1 and 600000",
        ),
        (
            json!({}),
            400,
            "webhook is required unless methods, deliveries or orders are given",
        ),
    ];
    for (body, status, error) in cases {
        let response = app.post_json("/imshop/runs", &body).await;

        assert_eq!(response.status().as_u16(), status, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer, json!({"success": false, "error": error}), "{body}");
    }
    let response = app
        .client
        .post(app.url("/imshop/runs"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["success"], false);
    assert_eq!(
        answer["error"],
        "invalid body: key must be a string at line 1 column 2"
    );
}

#[tokio::test]
async fn an_unknown_run_is_404_and_a_final_url_for_a_run_not_waiting_is_409() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;

    let missing = app.get("/imshop/runs/run-000000000000").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"success": false, "error": "no run run-000000000000"})
    );

    let id = &app
        .start_run(&json!({"webhook": shop.webhook, "flow": "googlepay"}))
        .await;
    app.wait_for_run(id, run_finished).await;
    let response = app
        .post_json(
            &format!("/imshop/runs/{id}/final-url"),
            &json!({"url": "https://x.example/"}),
        )
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        format!("run {id} is not waiting for a browser (status passed)")
    );
    let response = app
        .post_json(
            &format!("/imshop/runs/{id}/final-url"),
            &json!({"url": "not a url"}),
        )
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn reset_forgets_every_run() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;
    let id = &app
        .start_run(&json!({"webhook": shop.webhook, "flow": "applepay"}))
        .await;

    app.post_json("/__sandbox/reset", &json!({})).await;

    assert_eq!(app.get(&format!("/imshop/runs/{id}")).await.status(), 404);
    assert_eq!(app.get_json("/imshop/runs", 200).await["runs"], json!([]));
}
