//! `--softline-listen` and `--intellectmoney-listen`: each provider also at
//! the root of a listener of its own, for clients whose base URL cannot
//! carry a path. The same sandbox: one journal, one store.

use serde_json::Value;

use crate::helpers::{TestApp, see_other, spawn_app_with, start_binary, test_settings};
use crate::intellectmoney_support::{Request, invoice_params};
use crate::softline_support::{TOKEN, assert_errors, minimal_payment};

async fn spawn_with_provider_listeners() -> TestApp {
    let mut settings = test_settings();
    settings.softline_listen = Some("127.0.0.1:0".parse().unwrap());
    settings.intellectmoney_listen = Some("127.0.0.1:0".parse().unwrap());
    spawn_app_with(settings).await
}

#[tokio::test]
async fn softline_at_the_root_of_its_listener_creates_a_payment_the_main_address_knows() {
    let app = spawn_with_provider_listeners().await;
    let softline = app.provider_listener("/softline");

    let created = softline
        .client
        .post(softline.url("/v1/payment"))
        .bearer_auth(TOKEN)
        .json(&minimal_payment("ROOT-1"))
        .send()
        .await
        .unwrap();

    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    let order_id = created["order_id"].as_u64().unwrap();
    // The hosted form is handed out under the public URL, as always.
    let payment_url = created["payment_url"].as_str().unwrap();
    assert!(
        payment_url.starts_with(&format!(
            "{}/softline/order/status/{order_id}/",
            app.address
        )),
        "{payment_url}"
    );
    let looked_up = app
        .client
        .get(app.url(&format!("/softline/v1/order/{order_id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(looked_up.status(), 200);
    let journal = app
        .get_json(&format!("/__sandbox/journal?object={order_id}"), 200)
        .await;
    assert!(
        journal.to_string().contains("/softline/v1/payment"),
        "the create is in the one journal: {journal}"
    );
}

#[tokio::test]
async fn an_unknown_path_on_the_softline_listener_is_softlines_404() {
    let app = spawn_with_provider_listeners().await;
    let softline = app.provider_listener("/softline");

    let response = softline.get("/v1/nothing-here").await;

    assert_errors(response, 404, &[(404, "Invalid request URL.")]).await;
}

#[tokio::test]
async fn intellectmoney_at_the_root_of_its_listener_creates_invoices_and_serves_their_pages() {
    let app = spawn_with_provider_listeners().await;
    let intellectmoney = app.provider_listener("/intellectmoney");

    // Paths in any letter case, as on the main address.
    let answer: Value = Request::signed("createInvoice", invoice_params("ROOT-IM-1"))
        .send_to(&intellectmoney, "/Merchant/CreateInvoice")
        .await
        .json()
        .await
        .unwrap();
    let invoice = answer["Result"]["InvoiceId"]
        .as_u64()
        .expect("an InvoiceId");
    // merchant.intellectmoney.ru/?InvoiceId= is the root of this listener.
    let legacy = intellectmoney.get(&format!("/?InvoiceId={invoice}")).await;
    let page_path = see_other(&legacy);
    // The page and its forms link under the mount point; that works here too.
    let page = intellectmoney.get(&page_path).await;

    assert_eq!(answer["OperationState"]["Code"], 0, "{answer}");
    assert_eq!(page_path, format!("/intellectmoney/pay/{invoice}"));
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("data-testid=\"card-form\"")
    );
    app.get_json(
        &format!("/__sandbox/intellectmoney/invoices/{invoice}"),
        200,
    )
    .await;
}

#[tokio::test]
async fn the_binary_serves_softline_at_the_flags_address_and_still_prints_one_ready_line() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let running = start_binary(&["--softline-listen", &format!("127.0.0.1:{port}")]);

    let created = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/v1/payment"))
        .bearer_auth(TOKEN)
        .json(&minimal_payment("BINARY-ROOT-1"))
        .send()
        .await
        .unwrap();

    // The one ready line names the main address; the Softline one is logged.
    assert!(
        running
            .ready_line
            .starts_with("paysandbox listening on http://127.0.0.1:"),
        "{}",
        running.ready_line
    );
    assert!(!running.base_url.ends_with(&format!(":{port}")));
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    assert!(
        created["payment_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/softline/", running.base_url))
    );
}
