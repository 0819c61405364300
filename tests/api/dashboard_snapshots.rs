//! The dashboard's Snapshots page: the workspace's snapshots with what they
//! hold, forms to take, restore, delete and import them (post/redirect/get,
//! refusals with the reason), and download links that reach the workspace
//! on screen.

use paysandbox::web::format_time;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::browser::{Browser, run_journey, tid};
use crate::browser_accessibility::audit;
use crate::ensure;
use crate::helpers::{TestApp, see_other, spawn_app};
use crate::softline_support::{
    api_get, assert_errors, create_ok, create_ok_as, minimal_payment, order, pay_with,
};

/// The names `GET {prefix}/snapshots` lists.
async fn listed(app: &TestApp, prefix: &str) -> Vec<String> {
    let body = app.get_json(&format!("{prefix}/snapshots"), 200).await;
    body["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The page's row of snapshot `name`, from `<tr` to `</tr>`.
fn snapshot_row<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!("<tr data-snapshot=\"{name}\">"))
        .unwrap_or_else(|| panic!("no row for {name}: {page}"));
    let end = start + page[start..].find("</tr>").unwrap();
    &page[start..end]
}

/// The `href` of a row's Download link, as written in the page.
fn download_href(row: &str) -> &str {
    let start = row.find("<a href=\"").unwrap() + "<a href=\"".len();
    &row[start..start + row[start..].find('"').unwrap()]
}

/// The notice of the page a 303 leads to.
async fn notice_after(app: &TestApp, response: &reqwest::Response) -> String {
    let page = app.html(&see_other(response)).await;
    let start = page
        .find("data-testid=\"notice\">")
        .unwrap_or_else(|| panic!("no notice: {page}"))
        + "data-testid=\"notice\">".len();
    page[start..start + page[start..].find("</p>").unwrap()].to_owned()
}

#[tokio::test]
async fn the_page_lists_a_snapshot_taken_through_the_api_with_its_counts_and_its_download_link() {
    let app = spawn_app().await;
    create_ok(&app, &minimal_payment("SNAP-1")).await;
    create_ok(&app, &minimal_payment("SNAP-2")).await;
    let login = app
        .post_json(
            "/softline/v1/login_check",
            &json!({"username": "sandbox", "password": "sandbox"}),
        )
        .await;
    assert_eq!(login.status(), 200);
    app.take_snapshot("/__sandbox", "two-orders").await;
    let summary = &app.get_json("/__sandbox/snapshots", 200).await["snapshots"][0];

    let page = app.html("/snapshots").await;

    assert!(
        page.contains(r#"<a href="/snapshots" aria-current="page">Snapshots</a>"#),
        "in the navigation, marked: {page}"
    );
    let row = snapshot_row(&page, "two-orders");
    assert!(row.contains("<td><code>two-orders</code></td>"), "{row}");
    let taken_at = OffsetDateTime::parse(summary["taken_at"].as_str().unwrap(), &Rfc3339).unwrap();
    assert!(
        row.contains(&format!(
            "<td class=\"nowrap\">{}</td>",
            format_time(taken_at)
        )),
        "{row}"
    );
    assert!(
        row.contains("<td>softline: 2 payments, 1 token</td>"),
        "{row}"
    );
    let href = download_href(row);
    assert_eq!(href, "/__sandbox/snapshots/two-orders?download=true");
    let download = app.get(href).await;
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"two-orders.json\""
    );
    let document: Value = download.json().await.unwrap();
    assert_eq!(document["name"], "two-orders");
}

#[tokio::test]
async fn taking_a_snapshot_from_the_form_keeps_it_and_comes_back_with_a_notice() {
    let app = spawn_app().await;
    create_ok(&app, &minimal_payment("FORM-1")).await;

    let named = app
        .post_form(
            "/actions/snapshots",
            &[("name", "from-form"), ("back", "/snapshots")],
        )
        .await;
    let unnamed = app
        .post_form(
            "/actions/snapshots",
            &[("name", " "), ("back", "/snapshots")],
        )
        .await;

    assert_eq!(named.status(), 303);
    assert!(
        see_other(&named).starts_with("/snapshots?done="),
        "{}",
        see_other(&named)
    );
    assert_eq!(
        notice_after(&app, &named).await,
        "Snapshot from-form taken: softline: 1 payment."
    );
    assert_eq!(
        notice_after(&app, &unnamed).await,
        "Snapshot snapshot-1 taken: softline: 1 payment.",
        "a blank name takes the API's generated one"
    );
    assert_eq!(
        listed(&app, "/__sandbox").await,
        ["from-form", "snapshot-1"]
    );
}

#[tokio::test]
async fn restoring_from_the_form_brings_back_a_payment_made_before_and_forgets_one_made_after() {
    let app = spawn_app().await;
    let (kept, kept_url) = create_ok(&app, &minimal_payment("KEPT")).await;
    let kept_before = order(&app, kept).await;
    let taken = app
        .post_form(
            "/actions/snapshots",
            &[("name", "unpaid"), ("back", "/snapshots")],
        )
        .await;
    assert_eq!(taken.status(), 303);
    let (after, _) = create_ok(&app, &minimal_payment("AFTER")).await;
    assert_eq!(
        pay_with(&app, &kept_url, "4111111111111111").await.status(),
        303
    );
    let page = app.html("/snapshots").await;
    let action = "/actions/snapshots/unpaid/restore";
    assert!(
        snapshot_row(&page, "unpaid").contains(&format!(
            "<form method=\"post\" action=\"{action}\" class=\"inline\">"
        )),
        "{page}"
    );

    let response = app.post_form(action, &[("back", "/snapshots")]).await;

    assert_eq!(response.status(), 303);
    assert_eq!(order(&app, kept).await, kept_before, "KEPT unpaid again");
    let gone = api_get(&app, &format!("/softline/v1/order/{after}")).await;
    assert_errors(gone, 404, &[(404, "Order not found.")]).await;
    let notice = notice_after(&app, &response).await;
    assert!(
        notice.starts_with("Snapshot unpaid restored: the workspace is as it was at "),
        "{notice}"
    );
}

#[tokio::test]
async fn a_workspace_page_lists_only_its_snapshots_and_links_their_downloads_under_its_prefix() {
    let app = spawn_app().await;
    let ws = app.create_workspace("ws-1").await;
    create_ok_as(
        &app,
        ws["softline"]["token"].as_str().unwrap(),
        &minimal_payment("WS-1"),
    )
    .await;
    app.take_snapshot("/__sandbox/workspaces/ws-1", "in-ws")
        .await;
    app.take_snapshot("/__sandbox", "in-default").await;

    let page = app.html("/snapshots?workspace=ws-1").await;

    assert!(!page.contains("in-default"), "{page}");
    let row = snapshot_row(&page, "in-ws");
    assert!(row.contains("<td>softline: 1 payment</td>"), "{row}");
    let href = download_href(row);
    assert_eq!(
        href,
        "/__sandbox/workspaces/ws-1/snapshots/in-ws?download=true"
    );
    let document: Value = app.get_json(href, 200).await;
    assert_eq!(document["workspace"], "ws-1");
    assert!(
        page.contains(r#"<form method="post" action="/actions/snapshots?workspace=ws-1" class="snapshot-form" data-testid="snapshot-form">"#),
        "the forms are pinned to the workspace: {page}"
    );
    let default_page = app.html("/snapshots").await;
    assert!(default_page.contains("in-default"));
    assert!(!default_page.contains("in-ws"), "{default_page}");
}

#[tokio::test]
async fn a_snapshot_taken_from_a_workspace_page_is_kept_in_that_workspace() {
    let app = spawn_app().await;
    app.create_workspace("ws-1").await;

    let response = app
        .post_form(
            "/actions/snapshots?workspace=ws-1",
            &[("name", "pinned"), ("back", "/snapshots")],
        )
        .await;

    assert_eq!(response.status(), 303);
    assert_eq!(listed(&app, "/__sandbox/workspaces/ws-1").await, ["pinned"]);
    assert!(listed(&app, "/__sandbox").await.is_empty());
}

#[tokio::test]
async fn a_bad_or_taken_name_is_refused_with_the_reason_and_nothing_is_kept() {
    let app = spawn_app().await;
    app.take_snapshot("/__sandbox", "taken").await;

    let bad = app
        .post_form("/actions/snapshots", &[("name", "a b")])
        .await;
    let taken = app
        .post_form("/actions/snapshots", &[("name", "taken")])
        .await;

    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.text().await.unwrap(),
        "snapshot names are 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or a digit: \"a b\""
    );
    assert_eq!(taken.status(), 409);
    assert_eq!(
        taken.text().await.unwrap(),
        "a snapshot named \"taken\" exists already (PUT …/snapshots/taken replaces it)"
    );
    assert_eq!(listed(&app, "/__sandbox").await, ["taken"]);
}

#[tokio::test]
async fn deleting_from_the_form_forgets_it_and_a_restore_of_it_is_then_refused_as_not_found() {
    let app = spawn_app().await;
    app.take_snapshot("/__sandbox", "short-lived").await;

    let deleted = app
        .post_form(
            "/actions/snapshots/short-lived/delete",
            &[("back", "/snapshots")],
        )
        .await;
    let again = app
        .post_form(
            "/actions/snapshots/short-lived/delete",
            &[("back", "/snapshots")],
        )
        .await;
    let restored = app
        .post_form("/actions/snapshots/short-lived/restore", &[])
        .await;

    assert_eq!(
        notice_after(&app, &deleted).await,
        "Snapshot short-lived deleted."
    );
    assert_eq!(notice_after(&app, &again).await, "Already gone.");
    assert_eq!(restored.status(), 404);
    assert_eq!(
        restored.text().await.unwrap(),
        "no snapshot named \"short-lived\" in this workspace"
    );
    assert!(listed(&app, "/__sandbox").await.is_empty());
    let page = app.html("/snapshots").await;
    assert!(
        page.contains("No snapshots in this workspace yet."),
        "{page}"
    );
}

#[tokio::test]
async fn cross_site_snapshot_forms_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.take_snapshot("/__sandbox", "guarded").await;
    let (after, _) = create_ok(&app, &minimal_payment("AFTER")).await;

    let mut statuses = Vec::new();
    for action in [
        "/actions/snapshots/guarded/restore",
        "/actions/snapshots/guarded/delete",
        "/actions/snapshots",
    ] {
        let response = app
            .client
            .post(app.url(action))
            .header("Origin", "https://evil.example")
            .form(&[("name", "evil"), ("back", "/snapshots")])
            .send()
            .await
            .unwrap();
        statuses.push((action, response.status().as_u16()));
    }

    for (action, status) in statuses {
        assert_eq!(status, 403, "{action}");
    }
    order(&app, after).await;
    assert_eq!(listed(&app, "/__sandbox").await, ["guarded"]);
}

#[tokio::test]
async fn a_pasted_document_is_imported_and_a_malformed_one_is_refused_with_the_reason() {
    let app = spawn_app().await;
    create_ok(&app, &minimal_payment("PASTED")).await;
    app.take_snapshot("/__sandbox", "original").await;
    let document = app
        .get("/__sandbox/snapshots/original")
        .await
        .text()
        .await
        .unwrap();

    let imported = app
        .post_form(
            "/actions/snapshots/import",
            &[
                ("name", "pasted"),
                ("document", &document),
                ("back", "/snapshots"),
            ],
        )
        .await;
    let malformed = app
        .post_form(
            "/actions/snapshots/import",
            &[("name", "broken"), ("document", r#"{"name": "x"}"#)],
        )
        .await;

    assert_eq!(
        notice_after(&app, &imported).await,
        "Snapshot pasted imported: softline: 1 payment."
    );
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.text().await.unwrap(),
        "not a snapshot document: no \"paysandbox_snapshot\" field at its top"
    );
    assert_eq!(listed(&app, "/__sandbox").await, ["original", "pasted"]);
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn a_person_takes_and_restores_a_snapshot_in_a_browser_and_the_later_payment_is_gone() {
    let app = spawn_app().await;
    let base = app.address.clone();

    run_journey("dashboard_snapshots", |b: Browser| async move {
        b.goto(&format!("{base}/snapshots")).await?;
        audit(&b, "the empty snapshots page", &["label", "button"]).await?;
        b.type_into("#snapshot-name", "clean").await?;
        b.press_enter("#snapshot-name").await?;
        b.wait_for_url("the snapshots page after taking one", |u| {
            u.contains("/snapshots?done=")
        })
        .await?;
        let notice = b.text(&tid("notice")).await?;
        ensure!(
            notice == "Snapshot clean taken: nothing.",
            "the notice reads {notice:?}"
        );
        let (after, _) = create_ok(&app, &minimal_payment("LATER")).await;

        b.click(&format!("tr[data-snapshot=clean] {}", tid("restore")))
            .await?;
        b.wait_for_text(&tid("notice"), "Snapshot clean restored")
            .await?;
        audit(&b, "the snapshots page with one", &["label", "button"]).await?;
        let gone = api_get(&app, &format!("/softline/v1/order/{after}")).await;
        ensure!(
            gone.status() == 404,
            "the later payment is still there: {}",
            gone.status()
        );
        Ok(())
    })
    .await;
}
