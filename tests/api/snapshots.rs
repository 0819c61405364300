//! Snapshots: take, list, export, import, restore and delete a workspace's
//! state (`/__sandbox/snapshots`), with Softline's objects as the example.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::softline_support::{
    api_get_as, api_post_as, assert_errors, create_ok, create_ok_as, minimal_payment, order,
    pay_with,
};
use crate::workspaces_support::login;

async fn export(app: &TestApp, prefix: &str, name: &str) -> Value {
    app.get_json(&format!("{prefix}/snapshots/{name}"), 200)
        .await
}

async fn control_error(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn taking_a_snapshot_answers_201_with_what_it_holds_and_its_document_starts_with_the_format()
{
    let app = spawn_app().await;
    create_ok(&app, &minimal_payment("SNAP-1")).await;
    create_ok(&app, &minimal_payment("SNAP-2")).await;
    login(&app, "sandbox", "sandbox").await;

    let summary = app.take_snapshot("/__sandbox", "two-orders").await;
    let document = export(&app, "/__sandbox", "two-orders").await;
    let listed = app.get_json("/__sandbox/snapshots", 200).await;

    let url = app.url("/__sandbox/snapshots/two-orders");
    assert_eq!(summary["name"], "two-orders");
    assert_eq!(summary["workspace"], "default");
    assert_eq!(summary["url"], url.as_str());
    assert_eq!(summary["restore_url"], format!("{url}/restore"));
    assert_eq!(
        summary["objects"]["softline"],
        json!({"payments": 2, "tokens": 1})
    );
    assert_eq!(listed["snapshots"], json!([summary]));
    assert_eq!(document["paysandbox_snapshot"], 1);
    assert_eq!(document["name"], "two-orders");
    assert_eq!(document["taken_at"], summary["taken_at"]);
    assert_eq!(
        document["providers"]["softline"]["payments"][0]["payment_id"],
        "SNAP-1"
    );
}

#[tokio::test]
async fn restoring_brings_back_payments_in_their_states_and_the_ids_handed_out_after_it_repeat() {
    let app = spawn_app().await;
    let (kept, kept_url) = create_ok(&app, &minimal_payment("KEPT")).await;
    let kept_before = order(&app, kept).await;
    app.take_snapshot("/__sandbox", "unpaid").await;
    let (after, after_url) = create_ok(&app, &minimal_payment("AFTER")).await;
    assert_eq!(
        pay_with(&app, &kept_url, "4111111111111111").await.status(),
        303
    );
    assert_eq!(order(&app, kept).await["status"], "paid");

    let response = app.restore_snapshot("/__sandbox", "unpaid").await;

    assert_eq!(response.status(), 200);
    assert_eq!(order(&app, kept).await, kept_before);
    let gone = crate::softline_support::api_get(&app, &format!("/softline/v1/order/{after}")).await;
    assert_errors(gone, 404, &[(404, "Order not found.")]).await;
    let (again, again_url) = create_ok(&app, &minimal_payment("AFTER")).await;
    assert_eq!((again, again_url), (after, after_url));
    assert_eq!(
        app.get(&kept_url).await.status(),
        200,
        "the form of a restored payment"
    );
}

#[tokio::test]
async fn a_token_issued_before_the_snapshot_works_after_a_restore_and_one_issued_after_it_does_not()
{
    let app = spawn_app().await;
    let before = login(&app, "sandbox", "sandbox").await;
    app.take_snapshot("/__sandbox", "one-token").await;
    let after = login(&app, "sandbox", "sandbox").await;

    assert_eq!(
        app.restore_snapshot("/__sandbox", "one-token")
            .await
            .status(),
        200
    );

    create_ok_as(&app, &before, &minimal_payment("TOKEN-1")).await;
    let refused = api_post_as(
        &app,
        &after,
        "/softline/v1/payment",
        &minimal_payment("T-2"),
    )
    .await;
    assert_errors(refused, 401, &[(1007, "Your token is invalid.")]).await;
}

/// The instant a clock answer reads.
fn clock_now(clock: &Value) -> time::OffsetDateTime {
    let text = clock["now"].as_str().unwrap();
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

#[tokio::test]
async fn a_restore_puts_the_clock_back_to_when_the_snapshot_was_taken_with_its_scenarios_and_faults()
 {
    let app = spawn_app().await;
    app.advance_clock(3_600).await;
    app.arm_scenario(&json!({"id": "softline.create_payment.6090", "times": 2}))
        .await;
    let fault = json!({"provider": "softline", "path": "/v1/order", "status": 503});
    assert_eq!(
        app.post_json("/__sandbox/faults", &fault).await.status(),
        201
    );
    let clock = app.get_json("/__sandbox/clock", 200).await;
    let scenarios = app.get_json("/__sandbox/scenarios", 200).await;
    let faults = app.get_json("/__sandbox/faults", 200).await;
    app.take_snapshot("/__sandbox", "armed").await;
    assert_eq!(
        app.post_json("/__sandbox/reset", &json!({})).await.status(),
        200
    );

    assert_eq!(
        app.restore_snapshot("/__sandbox", "armed").await.status(),
        200
    );

    let restored_clock = app.get_json("/__sandbox/clock", 200).await;
    let drift = clock_now(&restored_clock) - clock_now(&clock);
    assert!(
        drift >= time::Duration::ZERO && drift < time::Duration::seconds(2),
        "the clock reads the moment of the snapshot again: {drift}"
    );
    assert_eq!(app.get_json("/__sandbox/scenarios", 200).await, scenarios);
    assert_eq!(app.get_json("/__sandbox/faults", 200).await, faults);
}

#[tokio::test]
async fn an_exported_document_imported_into_a_fresh_instance_answers_the_same() {
    let first = spawn_app().await;
    let (paid, paid_url) = create_ok(&first, &minimal_payment("PAID")).await;
    assert_eq!(
        pay_with(&first, &paid_url, "4111111111111111")
            .await
            .status(),
        303
    );
    let (unpaid, unpaid_url) = create_ok(&first, &minimal_payment("UNPAID")).await;
    let answers = (order(&first, paid).await, order(&first, unpaid).await);
    first.take_snapshot("/__sandbox", "to-move").await;
    let document = export(&first, "/__sandbox", "to-move").await;
    let first_address = first.address.clone();
    drop(first);
    let second = spawn_app().await;

    let imported = second
        .import_snapshot("/__sandbox", "moved", &document.to_string())
        .await;
    let restored = second.restore_snapshot("/__sandbox", "moved").await;

    assert_eq!(imported.status(), 201);
    assert_eq!(restored.status(), 200);
    // The same answers, with the new instance's address in their URLs.
    let moved = serde_json::to_string(&answers)
        .unwrap()
        .replace(&first_address, &second.address);
    let answers_now = (order(&second, paid).await, order(&second, unpaid).await);
    assert_eq!(serde_json::to_string(&answers_now).unwrap(), moved);
    let form = unpaid_url.replace(&first_address, &second.address);
    assert_eq!(second.get(&form).await.status(), 200);
}

#[tokio::test]
async fn a_malformed_document_is_refused_with_the_field_named_and_changes_nothing() {
    let app = spawn_app().await;
    create_ok(&app, &minimal_payment("ORIGINAL")).await;
    app.take_snapshot("/__sandbox", "good").await;
    let good = export(&app, "/__sandbox", "good").await;
    let mut bad = good.clone();
    bad["providers"]["softline"]["payments"][0]["currency"] = json!("rub");

    let refused = app
        .import_snapshot("/__sandbox", "good", &bad.to_string())
        .await;

    let message = control_error(refused, 400, "bad_request").await;
    assert_eq!(
        message,
        "not a snapshot document: providers.softline.payments[0].currency: \"rub\" is not an ISO 4217 code"
    );
    assert_eq!(export(&app, "/__sandbox", "good").await, good);
}

#[tokio::test]
async fn documents_that_are_not_snapshots_or_from_a_newer_version_are_refused_by_name() {
    let app = spawn_app().await;
    app.take_snapshot("/__sandbox", "base").await;
    let mut newer = export(&app, "/__sandbox", "base").await;
    newer["paysandbox_snapshot"] = json!(2);
    let mut unknown = export(&app, "/__sandbox", "base").await;
    unknown["providers"]["stripe"] = json!({});

    let cases = [
        (
            json!({"name": "x"}),
            "not a snapshot document: no \"paysandbox_snapshot\" field at its top",
        ),
        (
            newer,
            "written by a newer paysandbox (\"paysandbox_snapshot\": 2); this one reads format 1",
        ),
        (
            unknown,
            "not a snapshot document: providers.stripe: no such provider (this version has softline, intellectmoney, imshop, demo)",
        ),
    ];
    for (document, expected) in cases {
        let response = app
            .import_snapshot("/__sandbox", "other", &document.to_string())
            .await;
        assert_eq!(control_error(response, 400, "bad_request").await, expected);
    }
    assert_eq!(
        app.get_json("/__sandbox/snapshots", 200).await["snapshots"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn names_are_checked_taken_once_and_a_deleted_snapshot_is_gone() {
    let app = spawn_app().await;
    app.take_snapshot("/__sandbox", "once").await;

    let again = app
        .post_json("/__sandbox/snapshots", &json!({"name": "once"}))
        .await;
    let bad = app
        .post_json("/__sandbox/snapshots", &json!({"name": "no spaces"}))
        .await;
    let unnamed = app.post_json("/__sandbox/snapshots", &json!({})).await;
    let deleted = app
        .client
        .delete(app.url("/__sandbox/snapshots/once"))
        .send()
        .await
        .unwrap();

    assert_eq!(
        control_error(again, 409, "conflict").await,
        "a snapshot named \"once\" exists already (PUT …/snapshots/once replaces it)"
    );
    assert_eq!(
        control_error(bad, 400, "bad_request").await,
        "snapshot names are 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or a digit: \"no spaces\""
    );
    assert_eq!(unnamed.status(), 201);
    assert_eq!(unnamed.json::<Value>().await.unwrap()["name"], "snapshot-1");
    assert_eq!(deleted.status(), 204);
    let missing = app.restore_snapshot("/__sandbox", "once").await;
    assert_eq!(
        control_error(missing, 404, "not_found").await,
        "no snapshot named \"once\" in this workspace"
    );
}

#[tokio::test]
async fn a_workspace_s_snapshots_are_its_own_and_its_objects_cannot_be_restored_into_a_neighbour() {
    let app = spawn_app().await;
    let ci = app.create_workspace("ci-1").await;
    let token = ci["softline"]["token"].as_str().unwrap().to_owned();
    let (order_id, _) = create_ok_as(&app, &token, &minimal_payment("CI-1")).await;
    let prefix = "/__sandbox/workspaces/ci-1";
    let summary = app.take_snapshot(prefix, "ci-state").await;
    let document = export(&app, prefix, "ci-state").await;

    let in_default = app.get_json("/__sandbox/snapshots", 200).await;
    let into_default = app
        .import_snapshot("/__sandbox", "borrowed", &document.to_string())
        .await;

    assert_eq!(summary["workspace"], "ci-1");
    assert_eq!(
        summary["url"],
        app.url("/__sandbox/workspaces/ci-1/snapshots/ci-state")
            .as_str()
    );
    assert_eq!(in_default["snapshots"], json!([]));
    assert_eq!(
        control_error(into_default, 409, "conflict").await,
        format!(
            "order {order_id} belongs to another workspace of this instance: restore this snapshot there, or into a fresh instance"
        )
    );
    assert_eq!(app.restore_snapshot(prefix, "ci-state").await.status(), 200);
    let answer = api_get_as(&app, &token, &format!("/softline/v1/order/{order_id}")).await;
    assert_eq!(answer.status(), 200);
}

/// A file of its own under the temporary directory.
fn state_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("paysandbox-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn starting_with_state_restores_default_from_the_document_and_keeps_it_as_a_snapshot() {
    let first = spawn_app().await;
    let (order_id, _) = create_ok(&first, &minimal_payment("FROM-FILE")).await;
    let answer = order(&first, order_id).await;
    first.take_snapshot("/__sandbox", "prepared").await;
    let document = export(&first, "/__sandbox", "prepared").await;
    let path = state_file("prepared.json", &serde_json::to_vec(&document).unwrap());
    let first_address = first.address.clone();
    drop(first);

    let second = crate::helpers::spawn_app_with(paysandbox::Settings {
        initial_state: Some(path),
        ..crate::helpers::test_settings()
    })
    .await;

    let restored = serde_json::to_string(&order(&second, order_id).await).unwrap();
    let expected = serde_json::to_string(&answer)
        .unwrap()
        .replace(&first_address, &second.address);
    assert_eq!(restored, expected);
    let listed = second.get_json("/__sandbox/snapshots", 200).await;
    assert_eq!(listed["snapshots"][0]["name"], "prepared");
}

#[test]
fn a_state_file_that_is_not_a_snapshot_stops_start_up_naming_the_file() {
    let path = state_file("not-a-snapshot.json", br#"{"orders": []}"#);

    let output = crate::helpers::binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--state"])
        .arg(&path)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no ready line");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "--state {}: not a snapshot document: no \"paysandbox_snapshot\" field at its top",
        path.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
