//! CreateInvoice with a `MerchantReceipt` (54-FZ): accepted and shown on the
//! invoice and its timeline, each kind of defect refused in the envelope
//! naming the member, the positions' sum, and `skipAmountCheck`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, with};
use crate::intellectmoney_support::*;

/// The envelope of a refusal of `param`, exactly as written.
fn refusal(code: u32, desc: &str, param: &str) -> String {
    format!(
        r#"{{"OperationState":{{"Code":0,"Desc":"Успешно обработана"}},"EshopId":450000,"Result":{{"State":{{"Code":{code},"Desc":"{desc}","ErrorSourceParam":"{param}"}}}}}}"#
    )
}

/// The control plane's view of an invoice (the dashboard's invoice page).
async fn invoice_view(app: &TestApp, invoice: u64) -> Value {
    app.get_json(
        &format!("/__sandbox/intellectmoney/invoices/{invoice}"),
        200,
    )
    .await
}

fn invoice_id(envelope: &str) -> u64 {
    let body: Value = serde_json::from_str(envelope).unwrap();
    assert_eq!(body["Result"]["State"]["Code"], 0, "{body}");
    body["Result"]["InvoiceId"].as_u64().unwrap()
}

#[tokio::test]
async fn a_valid_receipt_is_accepted_and_shown_on_the_invoice_and_its_timeline() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let envelope = create_with_receipt(&app, "R-OK", &merchant_receipt().to_string()).await;

    // Assert
    let invoice = invoice_id(&envelope);
    let shown = invoice_view(&app, invoice).await;
    assert_eq!(shown["amount"], "1500.00");
    assert_eq!(
        shown["receipt"],
        json!({
            "inn": "7700000000",
            "skip_amount_check": false,
            "type": 1,
            "customer_contact": "buyer@example.com",
            "total": "1500.00",
            "positions": [
                {"text": "Чайник", "quantity": "2", "price": "500.00", "amount": "1000.00",
                 "tax": 1, "payment_subject_type": 1, "payment_method_type": 4},
                {"text": "Доставка", "quantity": "1", "price": "500.00", "amount": "500.00",
                 "tax": 6}
            ]
        })
    );
    let events = app.journal(&format!("object={invoice}&kind=event")).await;
    let summaries: Vec<&str> = events
        .iter()
        .filter_map(|e| e["summary"].as_str())
        .collect();
    assert!(
        summaries.contains(&"receipt: 2 positions, 1500.00, inn 7700000000"),
        "{summaries:?}"
    );
}

#[tokio::test]
async fn an_invoice_without_a_receipt_shows_none() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "R-NONE", &[]).await;

    let shown = invoice_view(&app, invoice).await;

    assert!(shown.get("receipt").is_none(), "{shown}");
}

#[tokio::test]
async fn each_kind_of_defect_is_refused_in_the_envelope_naming_the_member() {
    let app = spawn_app().await;
    let p = "MerchantReceipt.content.positions";
    let receipt = merchant_receipt;
    let cases: Vec<(String, String)> = vec![
        (
            "not json".into(),
            refusal(
                3,
                "Неверное значение параметра MerchantReceipt: чек — JSON-объект в тексте параметра",
                "MerchantReceipt",
            ),
        ),
        (
            with(receipt(), "/inn", json!("123")).to_string(),
            refusal(
                3,
                "Неверное значение параметра MerchantReceipt.inn: ИНН — 10 или 12 цифр",
                "MerchantReceipt.inn",
            ),
        ),
        (
            with(
                receipt(),
                "/content",
                json!({"customerContact": "a@b.ru", "positions": []}),
            )
            .to_string(),
            refusal(
                2,
                "Не передан обязательный параметр MerchantReceipt.content.type",
                "MerchantReceipt.content.type",
            ),
        ),
        (
            with(receipt(), "/content/type", json!(9)).to_string(),
            refusal(
                3,
                "Неверное значение параметра MerchantReceipt.content.type: допустимо: 1, 2, 3, 4",
                "MerchantReceipt.content.type",
            ),
        ),
        (
            with(receipt(), "/content/positions", json!([])).to_string(),
            refusal(
                3,
                &format!("Неверное значение параметра {p}: в чеке нужна хотя бы одна позиция"),
                p,
            ),
        ),
        (
            with(receipt(), "/content/positions/1/price", json!("5,00")).to_string(),
            refusal(
                3,
                &format!(
                    "Неверное значение параметра {p}[1].price: цена — неотрицательное число, не более двух знаков после точки"
                ),
                &format!("{p}[1].price"),
            ),
        ),
        (
            with(receipt(), "/content/positions/0/quantity", json!(0)).to_string(),
            refusal(
                3,
                &format!(
                    "Неверное значение параметра {p}[0].quantity: количество — число больше 0, не более трёх знаков после точки"
                ),
                &format!("{p}[0].quantity"),
            ),
        ),
        (
            with(receipt(), "/content/positions/1/tax", json!(0)).to_string(),
            refusal(
                3,
                &format!("Неверное значение параметра {p}[1].tax: допустимо: 1, 2, 3, 4, 5, 6"),
                &format!("{p}[1].tax"),
            ),
        ),
        (
            with(receipt(), "/content/positions/1/text", json!(" ")).to_string(),
            refusal(
                3,
                &format!("Неверное значение параметра {p}[1].text: пустое название"),
                &format!("{p}[1].text"),
            ),
        ),
        (
            with(
                receipt(),
                "/content/positions/0/paymentMethodType",
                json!(8),
            )
            .to_string(),
            refusal(
                3,
                &format!(
                    "Неверное значение параметра {p}[0].paymentMethodType: допустимо: 1, 2, 3, 4, 5, 6, 7"
                ),
                &format!("{p}[0].paymentMethodType"),
            ),
        ),
    ];
    for (i, (receipt, expected)) in cases.into_iter().enumerate() {
        let answer = create_with_receipt(&app, &format!("R-BAD-{i}"), &receipt).await;

        assert_eq!(answer, expected, "{receipt}");
    }
}

#[tokio::test]
async fn positions_not_adding_up_to_the_invoice_amount_are_refused_with_both_sums() {
    let app = spawn_app().await;
    let receipt = with(
        merchant_receipt(),
        "/content/positions/1/price",
        json!(499.99),
    );

    let answer = create_with_receipt(&app, "R-SUM", &receipt.to_string()).await;

    assert_eq!(
        answer,
        refusal(
            3,
            "Неверное значение параметра MerchantReceipt.content.positions: сумма позиций 1499.99 не равна сумме счёта 1500.00",
            "MerchantReceipt.content.positions",
        )
    );
}

#[tokio::test]
async fn skip_amount_check_accepts_positions_that_do_not_add_up() {
    // Arrange
    let app = spawn_app().await;
    let receipt = with(
        merchant_receipt(),
        "/content/positions/1/price",
        json!(100.0),
    );
    let receipt = with(receipt, "/skipAmountCheck", json!(true));

    // Act
    let envelope = create_with_receipt(&app, "R-SKIP", &receipt.to_string()).await;

    // Assert
    let invoice = invoice_id(&envelope);
    let shown = invoice_view(&app, invoice).await;
    assert_eq!(shown["receipt"]["skip_amount_check"], true);
    assert_eq!(shown["receipt"]["total"], "1100.00");
    let events = app.journal(&format!("object={invoice}&kind=event")).await;
    assert!(
        events
            .iter()
            .any(|e| e["summary"]
                == "receipt: 2 positions, 1100.00, inn 7700000000, skipAmountCheck"),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_receipt_is_read_in_every_wire_format_and_as_an_inline_json_object() {
    let app = spawn_app().await;
    let receipt = merchant_receipt();
    // Amount and OrderId are signed, so each request is signed with its own.
    let params = |order_id: &str| {
        let mut params = invoice_params(order_id);
        params.retain(|(name, _)| name != "recipientAmount");
        params.push(("recipientAmount".to_owned(), "1500.00".to_owned()));
        params
    };

    for (i, wire) in WIRES.into_iter().enumerate() {
        let body = Request::signed("createInvoice", params(&format!("R-WIRE-{i}")))
            .set("merchantReceipt", &receipt.to_string())
            .wire(wire)
            .envelope(&app)
            .await;

        assert_eq!(body["Result"]["State"]["Code"], 0, "{wire:?}: {body}");
    }

    let request = Request::signed("createInvoice", params("R-INLINE"));
    let mut body: serde_json::Map<String, Value> = request
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    body.insert("merchantReceipt".to_owned(), receipt);
    let inline: Value = app
        .client
        .post(app.url("/intellectmoney/merchant/createInvoice"))
        .header("content-type", "application/json")
        .header("authorization", request.authorization.unwrap())
        .header("sign", request.sign.unwrap())
        .body(Value::Object(body).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inline["Result"]["State"]["Code"], 0, "{inline}");
}
