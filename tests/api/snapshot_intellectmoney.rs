//! IntellectMoney in a snapshot: invoices in their states, their payments
//! and where `InvoiceId`s stand come back on a restore, as the API and the
//! buyer's pages answered them when the snapshot was taken.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::intellectmoney_support::*;

/// The control plane's view of an invoice.
async fn control_view(app: &TestApp, invoice: u64) -> Value {
    app.get_json(
        &format!("/__sandbox/intellectmoney/invoices/{invoice}"),
        200,
    )
    .await
}

/// A move of the control plane (`cancel`, `refund`, `capture`); its answer.
async fn control_move(app: &TestApp, invoice: u64, action: &str) -> Value {
    let response = app
        .client
        .post(app.url(&format!(
            "/__sandbox/intellectmoney/invoices/{invoice}/{action}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{action} {invoice}");
    response.json().await.unwrap()
}

/// The invoice's payment page: its status and HTML.
async fn payment_page(app: &TestApp, invoice: u64) -> (u16, String) {
    app.html_page(&format!("/intellectmoney/pay/{invoice}"))
        .await
}

/// What the API and the control plane answer of a settled invoice (asking
/// changes nothing once its payment has ended).
async fn answers(app: &TestApp, invoice: u64) -> (Value, Value) {
    (
        payment_state_in(app, &Shop::builtin(), invoice).await,
        control_view(app, invoice).await,
    )
}

#[tokio::test]
async fn restoring_a_snapshot_brings_back_every_invoice_as_the_api_answered_it() {
    // Arrange: an open invoice, one paid by card, one paid on its page and
    // held, and one whose PayLate payment has been polled once.
    let app = spawn_app().await;
    let open = create_invoice(&app, "SNAP-OPEN", &[]).await;
    let paid = create_invoice(&app, "SNAP-PAID", &[]).await;
    pay(&app, "bankCardPayment", paid, &[]).await;
    let (_, paid_result) = poll_until_settled(&app, paid).await;
    let held = create_invoice(&app, "SNAP-HELD", &[("holdMode", "1")]).await;
    let card = app
        .post_form(
            &format!("/intellectmoney/pay/{held}/card"),
            &[
                ("card_number", "4111 1111 1111 1111"),
                ("expiry", "12/35"),
                ("cvc", "123"),
                ("cardholder", "IVAN PETROV"),
            ],
        )
        .await;
    let bnpl = create_invoice(&app, "SNAP-BNPL", &[]).await;
    pay(&app, "bnplPayment", bnpl, &[]).await;
    let first_poll = poll(&app, bnpl).await;
    let mut before = Vec::new();
    for invoice in [open, paid, held] {
        before.push(answers(&app, invoice).await);
    }
    let bnpl_before = control_view(&app, bnpl).await;
    app.take_snapshot("/__sandbox", "x").await;

    // Act: every invoice moves on, then the snapshot is restored.
    control_move(&app, open, "cancel").await;
    control_move(&app, paid, "refund").await;
    control_move(&app, held, "capture").await;
    let second_poll = poll(&app, bnpl).await;
    assert_eq!(app.restore_snapshot("/__sandbox", "x").await.status(), 200);

    // Assert
    assert_eq!(card.status(), 303);
    assert_eq!(paid_result["PaymentStep"], "Ok");
    assert_eq!(first_poll["PaymentStep"], "Created");
    let statuses: Vec<&Value> = before.iter().map(|(_, view)| &view["status"]).collect();
    assert_eq!(statuses, [&json!(3), &json!(5), &json!(6)]);
    for (invoice, expected) in [open, paid, held].into_iter().zip(&before) {
        assert_eq!(&answers(&app, invoice).await, expected, "invoice {invoice}");
    }
    assert_eq!(control_view(&app, bnpl).await, bnpl_before);
    assert_eq!(second_poll["PaymentStep"], "InProcess");
    assert_eq!(
        poll(&app, bnpl).await,
        second_poll,
        "the poll after a restore repeats the one after the snapshot"
    );
}

#[tokio::test]
async fn after_a_restore_the_next_invoice_gets_the_id_handed_out_after_the_snapshot() {
    // Arrange
    let app = spawn_app().await;
    let kept = create_invoice(&app, "SNAP-KEPT", &[]).await;
    app.take_snapshot("/__sandbox", "x").await;
    let after_snapshot = create_invoice(&app, "SNAP-LATER", &[]).await;

    // Act
    assert_eq!(app.restore_snapshot("/__sandbox", "x").await.status(), 200);
    let gone = app
        .get(&format!(
            "/__sandbox/intellectmoney/invoices/{after_snapshot}"
        ))
        .await;
    let again = create_invoice(&app, "SNAP-LATER", &[]).await;
    let repeated = Request::signed("createInvoice", invoice_params("SNAP-KEPT"))
        .envelope(&app)
        .await;

    // Assert
    assert_eq!(after_snapshot, kept + 1);
    assert_eq!(gone.status(), 404);
    assert_eq!(again, after_snapshot);
    assert_eq!(
        repeated["Result"]["State"],
        json!({"Code": 8, "Desc": "Номер покупки SNAP-KEPT уже использован в этом магазине", "ErrorSourceParam": "OrderId"}),
        "the restored invoice holds its OrderId again"
    );
}

#[tokio::test]
async fn restoring_a_snapshot_brings_back_a_held_invoice_and_its_payment_page() {
    // Arrange: a card payment by the API on an invoice with HoldMode=1.
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "SNAP-HOLD", &[("holdMode", "1")]).await;
    pay(&app, "bankCardPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;
    let before = answers(&app, invoice).await;
    let page_before = payment_page(&app, invoice).await;
    app.take_snapshot("/__sandbox", "held-invoice").await;
    let captured = control_move(&app, invoice, "capture").await;

    // Act
    assert_eq!(
        app.restore_snapshot("/__sandbox", "held-invoice")
            .await
            .status(),
        200
    );

    // Assert
    assert_eq!(captured["status"], 5);
    assert_eq!(before.1["status"], 6);
    assert_eq!(before.1["status_text"], "сумма заблокирована");
    assert_eq!(answers(&app, invoice).await, before);
    assert_eq!(page_before.0, 200);
    assert_eq!(payment_page(&app, invoice).await, page_before);
    assert_eq!(
        control_move(&app, invoice, "capture").await,
        captured,
        "the restored hold can be captured again"
    );
}

#[tokio::test]
async fn an_imported_snapshot_with_a_malformed_invoice_is_refused_naming_the_field_and_changes_nothing()
 {
    // Arrange
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "SNAP-BAD", &[]).await;
    app.take_snapshot("/__sandbox", "x").await;
    let mut document = app.get_json("/__sandbox/snapshots/x", 200).await;
    document["name"] = json!("y");
    document["providers"]["intellectmoney"]["invoices"][0]["status"] = json!("lost");
    let before = control_view(&app, invoice).await;

    // Act
    let response = app
        .client
        .put(app.url("/__sandbox/snapshots/y"))
        .json(&document)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();

    // Assert
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": {
            "code": "bad_request",
            "message": "not a snapshot document: providers.intellectmoney.invoices[0].status: \"lost\" is not \"created\", \"cancelled\", \"paid\", \"held\", \"partially_paid\" or \"refunded\""
        }})
    );
    assert_eq!(app.get("/__sandbox/snapshots/y").await.status(), 404);
    assert_eq!(control_view(&app, invoice).await, before);
}
