//! Every page that shows a value someone else supplied (a merchant's
//! request, a buyer's form, a webhook receiver's answer, a URL) shows it
//! HTML-escaped: a `<script>` in every such field never reaches the page as
//! markup.

use serde_json::json;
use wiremock::ResponseTemplate;

use crate::helpers::{receiver_answering, run_finished, spawn_app, with};
use crate::intellectmoney_support::{
    Request, create_invoice, form_action, invoice_params, path_of, pay, poll_until_settled,
};
use crate::softline_support::{
    create_ok, form_base, minimal_payment, set_webhook_url, webhook_receiver,
};

/// Markup in every shape that breaks out of text or of an attribute.
const PAYLOAD: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

/// The page carries `PAYLOAD` only escaped, if at all; `shown` says it
/// must be there (escaped).
fn assert_escaped(html: &str, shown: bool, page: &str) {
    assert!(!html.contains("<script>alert(1)"), "{page}: raw script");
    assert!(
        !html.contains("<img src=x"),
        "{page}: raw attribute breakout"
    );
    if shown {
        // askama writes `<` as `&#60;`; either spelling is escaped.
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}: the value is not shown escaped"
        );
    }
}

#[tokio::test]
async fn the_softline_form_challenge_empty_and_not_found_pages_escape_what_they_show() {
    // Arrange: the payment description and the buyer's names carry markup.
    let app = spawn_app().await;
    let mut body = with(
        minimal_payment("XSS-1"),
        "/payment_description",
        json!(PAYLOAD),
    );
    body = with(body, "/customer/first_name", json!(PAYLOAD));
    let (order_id, payment_url) = create_ok(&app, &body).await;
    let base = form_base(&payment_url);

    // Act + Assert: the form, and the form again after a decline.
    let form = app.html(&path_of(&app, &base)).await;
    assert_escaped(&form, true, "form");
    let declined = app.post_form(&format!("{base}/decline"), &[]).await;
    assert_escaped(&declined.text().await.unwrap(), true, "declined form");

    // The 3-D Secure page.
    let challenged = app
        .post_form(
            &format!("{base}/card"),
            &[
                ("card_number", "4000000000003220"),
                ("expiry", "12/39"),
                ("cvc", "123"),
                ("cardholder", PAYLOAD),
            ],
        )
        .await;
    assert_eq!(challenged.status(), 303);
    assert_escaped(
        &app.html(&path_of(&app, &format!("{base}/3ds"))).await,
        false,
        "3ds",
    );

    // The empty page of a deleted payment, and the 404 page of a bad hash.
    app.advance_clock(91 * 24 * 3600).await;
    assert_escaped(&app.html(&path_of(&app, &base)).await, false, "empty");
    let (status, not_found) = app
        .html_page(&format!(
            "/softline/order/status/{order_id}/%3Cscript%3Ealert(1)%3C%2Fscript%3E"
        ))
        .await;
    assert_eq!(status, 404, "a bad hash");
    assert_escaped(&not_found, false, "not found");
}

#[tokio::test]
async fn the_intellectmoney_pay_3ds_paylate_and_sbp_pages_escape_what_they_show() {
    // Arrange: every text the invoice carries, with markup.
    let app = spawn_app().await;
    let order_id = "<script>alert(1)</script>";
    let invoice = create_invoice(
        &app,
        order_id,
        &[("serviceName", PAYLOAD), ("userName", PAYLOAD)],
    )
    .await;

    // The payment page, and the same page with the buyer's typed values
    // echoed after a refused card.
    let page = app.html(&format!("/intellectmoney/pay/{invoice}")).await;
    assert_escaped(&page, true, "pay page");
    let refused = app
        .client
        .post(app.url(&format!("/intellectmoney/pay/{invoice}/card")))
        .form(&[
            ("card_number", PAYLOAD),
            ("expiry", PAYLOAD),
            ("cvc", "1"),
            ("cardholder", PAYLOAD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert_escaped(&refused.text().await.unwrap(), true, "refused card");

    // The PayLate page of a BNPL payment.
    let bnpl = pay(&app, "bnplPayment", invoice, &[]).await;
    assert_eq!(bnpl["Result"]["State"]["Code"], 0, "{bnpl}");
    let (_, state) = poll_until_settled(&app, invoice).await;
    let paylate = path_of(&app, &form_action(state["Form3DS"].as_str().unwrap()));
    assert_escaped(&app.html(&paylate).await, true, "paylate");
    let declined = app
        .client
        .post(app.url(&format!("{paylate}/decline")))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 303);

    // The SBP page.
    let sbp = pay(&app, "sbpPayment", invoice, &[]).await;
    assert_eq!(sbp["Result"]["State"]["Code"], 0, "{sbp}");
    poll_until_settled(&app, invoice).await;
    assert_escaped(
        &app.html(&format!("/intellectmoney/sbp/{invoice}")).await,
        true,
        "sbp",
    );
    let declined = app
        .client
        .post(app.url(&format!("/intellectmoney/sbp/{invoice}/decline")))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 303);

    // The 3-D Secure page of a card payment.
    let card = pay(
        &app,
        "bankCardPayment",
        invoice,
        &[("pan", "4000000000003220"), ("cardHolder", "<script>x")],
    )
    .await;
    assert_eq!(card["Result"]["State"]["Code"], 0, "{card}");
    let (_, state) = poll_until_settled(&app, invoice).await;
    let three_ds = path_of(&app, &form_action(state["Form3DS"].as_str().unwrap()));
    assert_escaped(&app.html(&three_ds).await, true, "3ds");
}

#[tokio::test]
async fn the_dashboard_pages_escape_request_bodies_ids_and_webhook_answers() {
    // Arrange: a webhook receiver that answers markup, a Softline payment
    // with markup in the buyer's name, an invoice with markup in its ids.
    let app = spawn_app().await;
    let receiver = receiver_answering(ResponseTemplate::new(500).set_body_string(PAYLOAD)).await;
    set_webhook_url(&app, &format!("{}/hook", receiver.uri())).await;
    let body = with(
        minimal_payment("XSS-2"),
        "/customer/first_name",
        json!(PAYLOAD),
    );
    let (order_id, _) = create_ok(&app, &body).await;
    let mut params = invoice_params(PAYLOAD);
    params.retain(|(k, _)| k != "serviceName");
    params.push(("serviceName".into(), PAYLOAD.into()));
    let created = Request::signed("createInvoice", params)
        .envelope(&app)
        .await;
    assert_eq!(
        created["Result"]["State"]["Code"], 3,
        "an OrderId over 50 is refused: {created}"
    );
    let invoice = create_invoice(&app, "<b>x</b>\"'", &[("serviceName", PAYLOAD)]).await;
    app.deliver_pending_webhooks().await;

    // Act + Assert
    let pages: [(String, bool); 6] = [
        ("/payments".into(), false),
        ("/invoices".into(), false),
        ("/journal".into(), true),
        (format!("/objects/{order_id}"), true),
        ("/objects/%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(), false),
        ("/webhooks".into(), true),
    ];
    for (path, shown) in pages {
        assert_escaped(&app.html(&path).await, shown, &path);
    }
    let invoices = app.html("/invoices").await;
    assert!(
        invoices.contains("&#60;b&#62;x&#60;/b&#62;&#34;&#39;"),
        "{invoices}"
    );
    let object = app.html(&format!("/objects/{invoice}")).await;
    assert_escaped(&object, true, "invoice object");
}

#[tokio::test]
async fn the_imshop_run_page_escapes_the_merchants_answers_and_options() {
    // Arrange: a merchant whose every answer carries markup.
    let app = spawn_app().await;
    let merchant = receiver_answering(
        ResponseTemplate::new(200).set_body_json(json!({"success": false, "error": PAYLOAD})),
    )
    .await;
    let id = app
        .start_run(&json!({"webhook": format!("{}/payments", merchant.uri()), "key": PAYLOAD, "flow": "card"}))
        .await;

    // Act: wait for the run to end.
    let run = app.wait_for_run(&id, run_finished).await;
    assert_eq!(run["status"], "failed");

    // Assert
    assert_escaped(
        &app.html(&format!("/imshop/runs/{id}")).await,
        true,
        "run page",
    );
    assert_escaped(&app.html("/imshop/runs").await, false, "runs page");
}

#[tokio::test]
async fn the_demo_merchants_return_page_escapes_the_order_id_of_its_path() {
    let app = spawn_app().await;

    let page = app.html("/demo/merchant/orders/%3Cscript%3Ealert(1)%3C%2Fscript%3E%22'%3E%3Cimg%20src=x%20onerror=alert(2)%3E/paid",
    )
    .await;

    assert_escaped(&page, true, "demo return page");
}

#[tokio::test]
async fn softline_webhooks_to_a_receiver_answering_markup_leave_the_journal_escaped() {
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let body = with(
        minimal_payment("XSS-3"),
        "/payment_description",
        json!(PAYLOAD),
    );
    let (order_id, _) = create_ok(&app, &body).await;
    app.deliver_pending_webhooks().await;
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);

    let page = app.html(&format!("/journal?object={order_id}")).await;

    assert_escaped(&page, true, "journal of one object");
}
