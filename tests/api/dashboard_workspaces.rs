//! The dashboard across workspaces: a switcher on every page, each page
//! showing one workspace, the overview listing them all, and the links a
//! page hands out to the control plane reaching the workspace on screen.

use crate::browser::{Browser, run_journey, tid};
use crate::browser_accessibility::audit;
use crate::ensure;
use crate::helpers::{TestApp, spawn_app};
use crate::softline_support::{create_ok_as, minimal_payment};

/// A Softline payment made with `token` (which names its workspace); its
/// `order_id`.
async fn create_payment_with(app: &TestApp, token: &str, payment_id: &str) -> u64 {
    create_ok_as(app, token, &minimal_payment(payment_id))
        .await
        .0
}

/// `GET path` as a browser that chose `workspace` earlier (its cookie).
async fn html_in(app: &TestApp, workspace: &str, path: &str) -> String {
    let response = app
        .client
        .get(app.url(path))
        .header("accept", "text/html")
        .header("cookie", format!("paysandbox_workspace={workspace}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {path} in {workspace}");
    response.text().await.unwrap()
}

/// The overview's row of `workspace`, from `<tr` to `</tr>`.
fn workspace_row<'a>(page: &'a str, workspace: &str) -> &'a str {
    let start = page
        .find(&format!("<tr data-workspace=\"{workspace}\""))
        .unwrap_or_else(|| panic!("no row for {workspace}: {page}"));
    let end = start + page[start..].find("</tr>").unwrap();
    &page[start..end]
}

/// The `href` of the first link labelled `label`, unescaped.
fn href_of(page: &str, label: &str) -> String {
    let end = page
        .find(&format!(">{label}</a>"))
        .unwrap_or_else(|| panic!("no link {label:?}: {page}"));
    let start = page[..end].rfind("href=\"").unwrap() + "href=\"".len();
    let href = &page[start..end];
    href[..href.find('"').unwrap()].replace("&#38;", "&")
}

#[tokio::test]
async fn asking_for_a_workspace_remembers_it_and_the_switcher_shows_it_selected() {
    let app = spawn_app().await;
    app.create_workspace("qa").await;

    let response = app
        .client
        .get(app.url("/journal?workspace=qa"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["set-cookie"],
        "paysandbox_workspace=qa; Path=/; SameSite=Lax; HttpOnly"
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains(r#"<form method="get" action="/journal" class="workspace-form" data-testid="workspace-switcher">"#),
        "the switch comes back to the page it was made on: {page}"
    );
    assert!(page.contains(r#"<label for="workspace-name">Workspace</label>"#));
    assert!(page.contains(r#"<option value="default">default</option>"#));
    assert!(page.contains(r#"<option value="qa" selected>qa</option>"#));
}

#[tokio::test]
async fn the_switcher_on_an_object_page_goes_back_to_the_overview() {
    let app = spawn_app().await;
    app.create_workspace("qa").await;

    let page = app.html("/objects/5000001").await;

    assert!(
        page.contains(r#"<form method="get" action="/" class="workspace-form""#),
        "an object of one workspace is nowhere in another: {page}"
    );
    assert!(page.contains(r#"<option value="default" selected>default</option>"#));
}

#[tokio::test]
async fn a_workspace_payments_page_lists_its_payments_and_the_default_one_does_not() {
    let app = spawn_app().await;
    let qa = app.create_workspace("qa").await;
    let token = qa["softline"]["token"].as_str().unwrap();
    create_payment_with(&app, token, "QA-ONLY-1").await;

    let asked = app.html("/payments?workspace=qa").await;
    let remembered = html_in(&app, "qa", "/payments").await;
    let default = app.html("/payments").await;

    assert!(asked.contains("QA-ONLY-1"), "{asked}");
    assert!(remembered.contains("QA-ONLY-1"), "{remembered}");
    assert!(!default.contains("QA-ONLY-1"), "{default}");
    assert!(default.contains("No payments yet"));
}

#[tokio::test]
async fn the_overview_lists_every_workspace_with_its_object_counts_and_marks_the_current_one() {
    let app = spawn_app().await;
    let qa = app.create_workspace("qa").await;
    let token = qa["softline"]["token"].as_str().unwrap();
    create_payment_with(&app, token, "QA-1").await;
    create_payment_with(&app, token, "QA-2").await;

    let page = app.html("/?workspace=qa").await;

    let default = workspace_row(&page, "default");
    let qa_row = workspace_row(&page, "qa");
    assert!(
        default.contains(r#"<a href="/?workspace=default">default</a></td>"#),
        "{default}"
    );
    assert!(default.contains(r#"<td data-count="payments">0</td>"#));
    assert!(
        qa_row.contains(
            r#"<a href="/?workspace=qa" aria-current="true">qa</a> <span class="badge">current</span></td>"#
        ),
        "{qa_row}"
    );
    assert!(qa_row.contains(r#"<td data-count="payments">2</td>"#));
    assert!(qa_row.contains(r#"<td data-count="invoices">0</td>"#));
    assert!(qa_row.contains(r#"<td data-count="runs">0</td>"#));
    assert!(qa_row.contains(&format!(
        "<td><code>{}/__sandbox/workspaces/qa</code></td>",
        app.address
    )));
    assert!(
        page.contains(&format!("static token <code>{token}</code>")),
        "the providers' cards give qa's own credentials"
    );
}

#[tokio::test]
async fn the_journal_export_on_a_workspace_page_reaches_that_workspace() {
    let app = spawn_app().await;
    let qa = app.create_workspace("qa").await;
    let token = qa["softline"]["token"].as_str().unwrap();
    create_payment_with(&app, token, "QA-EXPORT").await;

    let page = html_in(&app, "qa", "/journal?provider=softline").await;
    let export = href_of(&page, "Export JSON");

    assert_eq!(
        export,
        "/__sandbox/workspaces/qa/journal?provider=softline&download=true"
    );
    let exported = app.get(&export).await.text().await.unwrap();
    assert!(exported.contains("QA-EXPORT"), "{exported}");
}

#[tokio::test]
async fn an_object_page_of_a_workspace_links_its_export_under_the_workspace_prefix() {
    let app = spawn_app().await;
    let qa = app.create_workspace("qa").await;
    let token = qa["softline"]["token"].as_str().unwrap();
    let order_id = create_payment_with(&app, token, "QA-OBJECT").await;

    let page = html_in(&app, "qa", &format!("/objects/{order_id}")).await;
    let export = href_of(&page, "Export as JSON");

    assert_eq!(
        export,
        format!("/__sandbox/workspaces/qa/journal?object={order_id}&download=true")
    );
    let exported = app.get(&export).await.text().await.unwrap();
    assert!(exported.contains("QA-OBJECT"), "{exported}");
}

#[tokio::test]
async fn a_form_shown_in_a_workspace_acts_on_it_even_after_another_tab_switched_the_cookie() {
    let app = spawn_app().await;
    let qa = app.create_workspace("qa").await;
    let qa_order =
        create_payment_with(&app, qa["softline"]["token"].as_str().unwrap(), "QA-1").await;
    let default_order = create_payment_with(&app, "sandbox-token", "DEFAULT-1").await;
    let page = html_in(&app, "qa", "/").await;

    // Act: the reset form of qa's page, posted by a browser whose cookie
    // another tab has since moved to default.
    let action = page
        .split("<form method=\"post\" action=\"")
        .find_map(|rest| {
            rest.split('"')
                .next()
                .filter(|a| a.starts_with("/actions/reset"))
        })
        .unwrap()
        .to_owned();
    let response = app
        .client
        .post(app.url(&action))
        .header("cookie", "paysandbox_workspace=default")
        .header("origin", app.url(""))
        .form(&[("back", "/")])
        .send()
        .await
        .unwrap();

    assert_eq!(action, "/actions/reset?workspace=qa");
    assert_eq!(response.status(), 303);
    let qa_after = app
        .client
        .get(app.url(&format!("/softline/v1/order/{qa_order}")))
        .bearer_auth(qa["softline"]["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let default_after = app
        .client
        .get(app.url(&format!("/softline/v1/order/{default_order}")))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap();
    assert_eq!(qa_after.status(), 404, "qa was reset");
    assert_eq!(default_after.status(), 200, "default was not");
}

#[tokio::test]
async fn the_default_workspace_pages_keep_the_bare_control_prefix() {
    let app = spawn_app().await;
    app.create_workspace("qa").await;

    let page = app.html("/journal").await;
    let export = href_of(&page, "Export JSON");

    assert_eq!(export, "/__sandbox/journal?download=true");
    assert_eq!(app.get(&export).await.status(), 200);
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn a_person_switches_workspace_from_the_keyboard_and_every_page_then_shows_it() {
    let app = spawn_app().await;
    let qa = app.create_workspace("qa").await;
    let token = qa["softline"]["token"].as_str().unwrap();
    create_payment_with(&app, token, "QA-BROWSER").await;
    let base = app.address.clone();

    run_journey("dashboard_workspace_switch", |b: Browser| async move {
        b.goto(&format!("{base}/payments")).await?;
        audit(
            &b,
            "the payments page with the switcher",
            &["label", "button"],
        )
        .await?;
        let before = b.text("#payments").await?;
        ensure!(!before.contains("QA-BROWSER"), "default shows qa's payment");

        b.select("#workspace-name", "qa").await?;
        b.press_enter(&format!("{} button", tid("workspace-switcher")))
            .await?;
        b.wait_for_url("the payments page of qa", |u| {
            u.ends_with("/payments?workspace=qa")
        })
        .await?;
        b.wait_for_text("#payments", "QA-BROWSER").await?;

        // The cookie keeps the choice on pages reached without the query.
        b.goto(&format!("{base}/")).await?;
        let current = b.text("[data-testid=workspaces] tr.current").await?;
        ensure!(current.contains("qa"), "the overview marks {current:?}");
        audit(&b, "the overview with its workspaces", &["label"]).await?;
        Ok(())
    })
    .await;
}
