//! Signature help: a refused IntellectMoney `Hash` or `Sign` answers the
//! base the sandbox expected in `X-Sandbox-Signature-Base` (body unchanged),
//! the journal and the dashboard show it with the template's fields, every
//! outbound webhook and notification shows its base in the outbox, and
//! `paysandbox sign` prints digests the server accepts.

use std::process::Output;

use serde_json::{Value, json};

use crate::helpers::{binary, spawn_app, with};
use crate::intellectmoney_support::*;
use crate::softline_support::{create_ok, minimal_payment, webhook_receiver};

const BASE_HEADER: &str = "x-sandbox-signature-base";

/// The refusal of a wrong `Hash`, byte for byte as the real API writes it.
const WRONG_HASH_BODY: &str = r#"{"OperationState":{"Code":0,"Desc":"Успешно обработана"},"EshopId":450000,"Result":{"State":{"Code":4,"Desc":"Неверная подпись запроса (Hash)","ErrorSourceParam":"Hash"}}}"#;

/// The README's worked example (the contract check's createInvoice).
fn contract_invoice(order_id: &str) -> Vec<(String, String)> {
    owned(&[
        ("eshopId", ESHOP_ID),
        ("orderId", order_id),
        ("serviceName", "contract"),
        ("recipientAmount", "10.00"),
        ("recipientCurrency", "RUB"),
        ("userName", ""),
        ("email", "buyer@example.com"),
    ])
}

fn header(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(BASE_HEADER)
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn sign_command(args: &[&str]) -> Output {
    let mut command = binary();
    command.arg("sign").args(args);
    tokio::process::Command::from(command)
        .output()
        .await
        .expect("the binary runs")
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The value of the `name: value` line.
fn printed<'a>(lines: &'a [String], name: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} line in {lines:?}"))
}

#[tokio::test]
async fn a_wrong_hash_answers_the_expected_base_in_a_header_and_the_real_body() {
    // Arrange
    let app = spawn_app().await;
    let request = Request::signed("createInvoice", contract_invoice("CONTRACT-IM-1"))
        .set("hash", &"0".repeat(32));

    // Act
    let response = request.send(&app).await;

    // Assert
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response).as_deref(),
        Some(
            "450000::CONTRACT-IM-1::contract::10.00::RUB::::buyer@example.com::::::::::::::::<SecretKey>"
        )
    );
    assert_eq!(response.text().await.unwrap(), WRONG_HASH_BODY);
}

#[tokio::test]
async fn a_missing_hash_answers_the_expected_base_too() {
    // Arrange
    let app = spawn_app().await;
    let mut request = Request::signed("createInvoice", contract_invoice("NO-HASH-1"));
    request.params.retain(|(k, _)| k != "hash");

    // Act
    let response = request.send(&app).await;

    // Assert
    assert_eq!(
        header(&response).as_deref(),
        Some(
            "450000::NO-HASH-1::contract::10.00::RUB::::buyer@example.com::::::::::::::::<SecretKey>"
        )
    );
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"OperationState":{"Code":0,"Desc":"Успешно обработана"},"EshopId":450000,"Result":{"State":{"Code":2,"Desc":"Не передан обязательный параметр Hash","ErrorSourceParam":"Hash"}}}"#
    );
}

#[tokio::test]
async fn a_wrong_create_invoice_sign_answers_the_base_with_the_fail_url_in_its_slot_percent_encoded()
 {
    // Arrange
    let app = spawn_app().await;
    let mut request = Request::signed("createInvoice", invoice_params("SIGN-1"));
    request.sign = Some("0".repeat(64));

    // Act
    let response = request.send(&app).await;

    // Assert
    assert_eq!(
        header(&response).as_deref(),
        Some(concat!(
            "450000::SIGN-1::",
            "%D0%97%D0%B0%D0%BA%D0%B0%D0%B7 %D0%B2 %D1%82%D0%B5%D1%81%D1%82%D0%BE%D0%B2%D0%BE%D0%BC %D0%BC%D0%B0%D0%B3%D0%B0%D0%B7%D0%B8%D0%BD%D0%B5",
            "::10.00::RUB::%D0%98%D0%B2%D0%B0%D0%BD %D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2::buyer@example.com",
            "::https://shop.example/success::https://shop.example/fail::https://shop.example/back",
            "::::::::::<SignSecretKey>"
        ))
    );
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"OperationState":{"Code":0,"Desc":"Успешно обработана"},"EshopId":450000,"Result":{"State":{"Code":4,"Desc":"Неверная подпись запроса (Sign)","ErrorSourceParam":"Sign"}}}"#
    );
}

#[tokio::test]
async fn an_accepted_request_and_a_refusal_of_another_kind_carry_no_base() {
    // Arrange
    let app = spawn_app().await;
    let unauthorized = Request {
        authorization: None,
        ..Request::signed("createInvoice", contract_invoice("NO-TOKEN-1"))
    };

    // Act
    let accepted = Request::signed("createInvoice", contract_invoice("OK-1"))
        .send(&app)
        .await;
    let refused = unauthorized.send(&app).await;

    // Assert
    assert_eq!(header(&accepted), None);
    assert_eq!(header(&refused), None);
}

#[tokio::test]
async fn the_legacy_form_with_a_wrong_hash_answers_the_purchase_base() {
    // Arrange
    let app = spawn_app().await;
    let fields = [
        ("eshopId", ESHOP_ID),
        ("orderId", "WOO-SIG-1"),
        ("serviceName", "Заказ из WooCommerce"),
        ("recipientAmount", "1500.00"),
        ("recipientCurrency", "RUB"),
        ("user_email", "buyer@example.com"),
        ("hash", "00000000000000000000000000000000"),
    ];

    // Act
    let response = app.post_form("/intellectmoney/ru/", &fields).await;

    // Assert
    assert_eq!(response.status(), 400);
    assert_eq!(
        header(&response).as_deref(),
        Some(
            "450000::WOO-SIG-1::%D0%97%D0%B0%D0%BA%D0%B0%D0%B7 %D0%B8%D0%B7 WooCommerce::1500.00::RUB::<SecretKey>"
        )
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Неверная подпись запроса (Hash).")
    );
}

#[tokio::test]
async fn the_journal_files_the_base_and_fields_of_a_refused_card_payment_with_the_card_masked() {
    // Arrange
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "CARD-SIG-1", &[]).await;
    let request = Request::signed(
        "bankCardPayment",
        payment_params("bankCardPayment", invoice),
    )
    .set("hash", &"0".repeat(32));

    // Act
    let response = request.send(&app).await;
    let entries = app.journal("provider=intellectmoney").await;

    // Assert
    let sent = format!(
        "450000::{invoice}::4111111111111111::IVAN PETROV::12::35::123::https://shop.example/3ds-return::127.0.0.1::<SecretKey>"
    );
    assert_eq!(header(&response), Some(sent));
    let entry = entries
        .iter()
        .rfind(|e| e["signature_base"].is_string())
        .expect("an entry with a signature base");
    let masked = format!(
        "450000::{invoice}::411111******1111::IVAN PETROV::12::35::***::https://shop.example/3ds-return::127.0.0.1::<SecretKey>"
    );
    assert_eq!(entry["signature_base"], masked.as_str());
    let field = |name: &str, value: &str, empty: bool| json!({"name": name, "value": value, "empty": empty});
    assert_eq!(
        entry["signature_fields"],
        json!([
            field("EshopId", "450000", false),
            field("InvoiceId", &invoice.to_string(), false),
            field("Pan", "411111******1111", false),
            field("CardHolder", "IVAN PETROV", false),
            field("ExpiredMonth", "12", false),
            field("ExpiredYear", "35", false),
            field("Cvv", "***", false),
            field("ReturnUrl", "https://shop.example/3ds-return", false),
            field("IpAddress", "127.0.0.1", false),
        ])
    );
    let journaled_header = entry["response"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == BASE_HEADER)
        .map(|h| h[1].clone());
    assert_eq!(journaled_header, Some(Value::String(masked)));
    assert!(!entry.to_string().contains("4111111111111111"), "{entry}");
    let timeline = app.html(&format!("/objects/{invoice}")).await;
    assert!(
        timeline.contains("<li>Pan = 411111******1111</li>"),
        "{timeline}"
    );
    assert!(timeline.contains("<li>Cvv = ***</li>"), "{timeline}");
    assert!(!timeline.contains("4111111111111111"), "{timeline}");
}

#[tokio::test]
async fn the_dashboard_journal_shows_the_base_and_which_fields_were_empty() {
    // Arrange
    let app = spawn_app().await;
    Request::signed("createInvoice", contract_invoice("DASH-SIG-1"))
        .set("hash", &"0".repeat(32))
        .send(&app)
        .await;

    // Act
    let page = app.html("/journal").await;

    // Assert
    assert!(
        page.contains("Expected signature base: <code class=\"small wrap\">450000::DASH-SIG-1::contract::10.00::RUB::::buyer@example.com::::::::::::::::&#60;SecretKey&#62;</code>"),
        "{page}"
    );
    assert!(page.contains("<li>EshopId = 450000</li>"), "{page}");
    assert!(page.contains("<li>UserName = (empty)</li>"), "{page}");
}

#[tokio::test]
async fn a_softline_webhook_shows_its_signature_base_in_the_outbox() {
    // Arrange
    let app = spawn_app().await;
    let _receiver = webhook_receiver(&app, 200).await;

    // Act
    let (order_id, _) = create_ok(&app, &minimal_payment("BASE-1")).await;
    let listed = app.get_json("/__sandbox/webhooks", 200).await;

    // Assert
    let delivery = &listed["deliveries"][0];
    let base = delivery["signature_base"].as_str().unwrap();
    let body: Value = serde_json::from_str(delivery["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        base,
        format!(
            "<secret>;order.created;{order_id};{};CreditCard;RUB;customer@gmail.com",
            body["create_date"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn the_dashboard_shows_a_deliverys_base_on_the_webhooks_page_and_the_timeline() {
    // Arrange
    let app = spawn_app().await;
    let _receiver = webhook_receiver(&app, 200).await;
    let (order_id, _) = create_ok(&app, &minimal_payment("BASE-2")).await;
    let listed = app.get_json("/__sandbox/webhooks", 200).await;
    let base = listed["deliveries"][0]["signature_base"].as_str().unwrap();
    let shown = format!(
        "Signature base: <code class=\"wrap\">{}</code>",
        base.replace('<', "&#60;").replace('>', "&#62;")
    );

    // Act
    let webhooks = app.html("/webhooks").await;
    let timeline = app.html(&format!("/objects/{order_id}")).await;

    // Assert
    assert!(webhooks.contains(&shown), "{shown} in {webhooks}");
    assert!(timeline.contains(&shown), "{shown} in {timeline}");
}

#[tokio::test]
async fn an_intellectmoney_notification_shows_its_hash_base_in_the_outbox() {
    // Arrange
    let app = spawn_app().await;
    let server = crate::helpers::receiver().await;
    let url = format!("{}/result", server.uri());

    // Act
    create_invoice(&app, "NOTE-BASE-1", &[("resultUrl", &url)]).await;
    let listed = app.get_json("/__sandbox/webhooks", 200).await;

    // Assert
    let delivery = &listed["deliveries"][0];
    let form: Vec<(String, String)> =
        serde_urlencoded::from_str(delivery["body"].as_str().unwrap()).unwrap();
    let paid_at = &form.iter().find(|(k, _)| k == "paymentData").unwrap().1;
    assert_eq!(
        delivery["signature_base"],
        format!(
            "450000::NOTE-BASE-1::Заказ в тестовом магазине::4500000001::10.00::RUB::3::Иван Петров::buyer@example.com::{paid_at}::<secret>"
        )
    );
}

#[tokio::test]
async fn an_invoice_created_with_the_hash_and_sign_the_cli_printed_is_accepted() {
    // Arrange
    let app = spawn_app().await;
    let output = sign_command(&[
        "intellectmoney",
        "CREATEINVOICE",
        "eshopid=450000",
        "OrderId=CLI-1",
        "ServiceName=contract",
        "RecipientAmount=10.00",
        "RecipientCurrency=RUB",
        "Email=buyer@example.com",
        "FailUrl=https://shop.example/fail",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines = stdout_lines(&output);
    let mut params = contract_invoice("CLI-1");
    params.push(("failUrl".into(), "https://shop.example/fail".into()));
    params.push(("hash".into(), printed(&lines, "Hash").to_owned()));
    let request = Request {
        method: "createInvoice".into(),
        params,
        wire: Wire::Json,
        authorization: Some(format!("Bearer {TOKEN}")),
        sign: Some(printed(&lines, "Sign").to_owned()),
        accept: None,
        scenario: None,
    };

    // Act
    let body = request.envelope(&app).await;

    // Assert
    assert_eq!(body["Result"]["State"]["Code"], 0, "{body}");
    assert_eq!(
        printed(&lines, "base"),
        "450000::CLI-1::contract::10.00::RUB::::buyer@example.com::::https://shop.example/fail::::::::::::<SecretKey>"
    );
}

#[tokio::test]
async fn the_webhook_signature_the_cli_prints_is_the_one_the_merchant_receives() {
    // Arrange
    let app = spawn_app().await;
    let receiver = webhook_receiver(&app, 200).await;
    let (order_id, _) = create_ok(
        &app,
        &with(minimal_payment("CLI-HOOK-1"), "/currency", json!("RUB")),
    )
    .await;
    app.deliver_pending_webhooks().await;
    let request = &receiver.received_requests().await.unwrap()[0];
    let body: Value = serde_json::from_slice(&request.body).unwrap();

    // Act
    let output = sign_command(&[
        "softline-webhook",
        "event=order.created",
        &format!("order_id={order_id}"),
        &format!("create_date={}", body["create_date"].as_str().unwrap()),
        "payment_method=CreditCard",
        "currency=RUB",
        "customer.email=customer@gmail.com",
    ])
    .await;

    // Assert
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines = stdout_lines(&output);
    assert_eq!(
        printed(&lines, "signature"),
        request.headers["signature"].to_str().unwrap()
    );
    assert_eq!(
        printed(&lines, "base"),
        format!(
            "<secret>;order.created;{order_id};{};CreditCard;RUB;customer@gmail.com",
            body["create_date"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn the_cli_refuses_an_unknown_method_or_field_with_exit_status_2() {
    // Act
    let method = sign_command(&["intellectmoney", "Refund", "EshopId=450000"]).await;
    let field = sign_command(&["softline-webhook", "amount=10.00"]).await;

    // Assert
    assert_eq!(method.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&method.stderr),
        "paysandbox sign: unknown IntellectMoney method \"Refund\"; known: CreateInvoice, BankCardPayment, GetBankCardPaymentState, BnplPayment, SbpPayment, Purchase\n"
    );
    assert!(method.stdout.is_empty());
    assert_eq!(field.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&field.stderr),
        "paysandbox sign: softline-webhook has no field \"amount\"; its fields: event, order_id, create_date, payment_method, currency, customer.email\n"
    );
}
