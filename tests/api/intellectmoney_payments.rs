//! BnplPayment, SbpPayment, BankCardPayment and GetBankCardPaymentState:
//! the step machine by polling, the buyer's pages it leads to, and the
//! refusals of the payment methods.

use serde_json::{Value, json};

use crate::helpers::{see_other, spawn_app};
use crate::intellectmoney_support::*;

#[tokio::test]
async fn the_full_bnpl_flow_by_polling_reaches_ok_through_paylate() {
    // Arrange
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "BNPL-1", &[]).await;

    // Act: BnplPayment, then poll until the step is neither Created nor
    // InProcess, as a merchant does.
    let started = pay(&app, "bnplPayment", invoice, &[]).await;
    let (steps, result) = poll_until_settled(&app, invoice).await;
    let paylate = path_of(&app, &form_action(result["Form3DS"].as_str().unwrap()));
    let page = app.post_form(&paylate, &[("data", "x")]).await;
    let page_status = page.status();
    let html = page.text().await.unwrap();
    let approved = app.post_form(&format!("{paylate}/approve"), &[]).await;
    let last = poll(&app, invoice).await;

    // Assert
    assert_eq!(started["OperationState"]["Code"], 0);
    assert_eq!(started["Result"]["State"]["Code"], 0, "{started}");
    let operation_id = started["OperationId"].as_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(operation_id).is_ok(),
        "{operation_id}"
    );
    assert_eq!(steps, ["Created", "InProcess", "InProcess", "SendTo3DS"]);
    assert_eq!(paylate, format!("/intellectmoney/paylate/{invoice}"));
    assert_eq!(page_status, 200);
    assert!(test_ids(&html).contains(&"approve".to_owned()), "{html}");
    assert!(
        html.contains("Платёж 4"),
        "the schedule shows four payments"
    );
    assert_eq!(see_other(&approved), "https://shop.example/bnpl-ok");
    assert_eq!(last["PaymentStep"], "Ok");
    assert_eq!(last["Message"], "Операция успешно завершена");
    assert_eq!(last["RcCodeId"], 0);
    assert_eq!(last["Rrn"].as_str().unwrap().len(), 12);
    assert_eq!(
        last["State"],
        json!({"Code": 0, "Desc": "Успешно обработан"})
    );
    assert!(last.get("Form3DS").is_none());
}

#[tokio::test]
async fn form3ds_is_an_auto_submitting_form_without_external_resources() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "BNPL-F", &[]).await;
    pay(&app, "bnplPayment", invoice, &[]).await;

    let (_, result) = poll_until_settled(&app, invoice).await;

    let form = result["Form3DS"].as_str().unwrap();
    let prefix = format!(
        "<body OnLoad=\"document.forms[0].submit();\"><FORM ACTION=\"{}/intellectmoney/paylate/{invoice}\" METHOD=\"post\"><input type=\"hidden\" name=\"data\" value=\"",
        app.address
    );
    let suffix =
        "\"><noscript><button type=\"submit\">Продолжить</button></noscript></FORM></body>";
    assert!(
        form.starts_with(&prefix) && form.ends_with(suffix),
        "{form}"
    );
    let data = &form[prefix.len()..form.len() - suffix.len()];
    let decoded = String::from_utf8(hex::decode(data).unwrap()).unwrap();
    let (id, rrn) = decoded.split_once(':').unwrap();
    assert_eq!(id, invoice.to_string());
    assert!(
        rrn.len() == 12 && rrn.bytes().all(|b| b.is_ascii_digit()),
        "{decoded}"
    );
    assert!(!form.contains("src="), "nothing loaded from elsewhere");
}

#[tokio::test]
async fn a_declined_bnpl_ends_in_error_and_sends_the_buyer_to_the_fail_url() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "BNPL-2", &[]).await;
    pay(&app, "bnplPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;

    let declined = app
        .post_form(&format!("/intellectmoney/paylate/{invoice}/decline"), &[])
        .await;
    let result = poll(&app, invoice).await;

    assert_eq!(see_other(&declined), "https://shop.example/bnpl-fail");
    assert_eq!(result["PaymentStep"], "Error");
    assert_eq!(result["Message"], "Заявка на оплату частями отклонена");
    assert_eq!(result["RcCodeId"], 5);
}

#[tokio::test]
async fn a_declined_payment_leaves_the_invoice_payable_again() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "BNPL-3", &[]).await;
    pay(&app, "bnplPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;
    app.post_form(&format!("/intellectmoney/paylate/{invoice}/decline"), &[])
        .await;

    let again = pay(&app, "bnplPayment", invoice, &[]).await;

    assert_eq!(again["Result"]["State"]["Code"], 0, "{again}");
    assert_eq!(poll(&app, invoice).await["PaymentStep"], "Created");
}

#[tokio::test]
async fn a_second_payment_while_one_is_under_way_is_refused() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "BUSY-1", &[]).await;
    pay(&app, "bnplPayment", invoice, &[]).await;

    let body = pay(&app, "bankCardPayment", invoice, &[]).await;

    assert_eq!(
        body["Result"]["State"],
        json!({"Code": 9, "Desc": "Операция недоступна: оплата по счёту уже выполняется", "ErrorSourceParam": "InvoiceId"})
    );
}

#[tokio::test]
async fn a_card_without_3ds_is_paid_after_in_process() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "CARD-1", &[]).await;

    let started = pay(&app, "bankCardPayment", invoice, &[]).await;
    let (steps, result) = poll_until_settled(&app, invoice).await;

    assert_eq!(
        started,
        json!({"OperationState": {"Code": 0, "Desc": "Успешно обработана"}, "EshopId": 450000,
               "Result": {"State": {"Code": 0, "Desc": "Успешно обработан"}}})
    );
    assert_eq!(steps, ["Created", "InProcess", "InProcess", "Ok"]);
    assert_eq!(result["Message"], "Операция успешно завершена");
}

#[tokio::test]
async fn a_card_with_3ds_asks_for_the_code_and_returns_to_the_return_url() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "CARD-3DS", &[]).await;
    pay(
        &app,
        "bankCardPayment",
        invoice,
        &[("pan", "4000000000003220")],
    )
    .await;

    let (steps, result) = poll_until_settled(&app, invoice).await;
    let action = path_of(&app, &form_action(result["Form3DS"].as_str().unwrap()));
    let page = app.post_form(&action, &[("data", "x")]).await;
    let html = page.text().await.unwrap();
    let confirmed = app
        .post_form(&format!("{action}/confirm"), &[("code", "123456")])
        .await;
    let last = poll(&app, invoice).await;

    assert_eq!(steps.last().unwrap(), "SendTo3DS");
    assert_eq!(action, format!("/intellectmoney/3ds/{invoice}"));
    let ids = test_ids(&html);
    assert!(ids.contains(&"challenge-form".to_owned()), "{ids:?}");
    assert!(html.contains("name=\"code\""));
    assert!(
        html.contains("400000******3220"),
        "the masked card is shown"
    );
    assert_eq!(see_other(&confirmed), "https://shop.example/3ds-return");
    assert_eq!(last["PaymentStep"], "Ok");
}

#[tokio::test]
async fn a_wrong_3ds_code_ends_in_error_and_still_returns_to_the_return_url() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "CARD-3DS-2", &[]).await;
    pay(
        &app,
        "bankCardPayment",
        invoice,
        &[("pan", "4000000000003220")],
    )
    .await;
    poll_until_settled(&app, invoice).await;

    let confirmed = app
        .post_form(
            &format!("/intellectmoney/3ds/{invoice}/confirm"),
            &[("code", "000000")],
        )
        .await;
    let last = poll(&app, invoice).await;

    assert_eq!(see_other(&confirmed), "https://shop.example/3ds-return");
    assert_eq!(last["PaymentStep"], "Error");
    assert_eq!(last["Message"], "Не пройдена аутентификация 3-D Secure");
    assert_eq!(last["RcCodeId"], 82);
}

#[tokio::test]
async fn declining_test_cards_end_in_error_with_their_reason() {
    let app = spawn_app().await;
    let cases = [
        ("4000000000000002", "Отказ банка-эмитента", 5),
        ("4000000000009995", "Недостаточно средств на карте", 51),
    ];
    for (i, (pan, message, code)) in cases.into_iter().enumerate() {
        let invoice = create_invoice(&app, &format!("DECL-{i}"), &[]).await;
        pay(&app, "bankCardPayment", invoice, &[("pan", pan)]).await;

        let (steps, result) = poll_until_settled(&app, invoice).await;

        assert_eq!(steps.last().unwrap(), "Error", "{pan}");
        assert_eq!(result["Message"], message, "{pan}");
        assert_eq!(result["RcCodeId"], code, "{pan}");
    }
}

#[tokio::test]
async fn the_sbp_flow_gives_a_qr_code_and_the_bank_approves_on_the_sbp_page() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "SBP-1", &[]).await;
    pay(&app, "sbpPayment", invoice, &[]).await;

    let (steps, result) = poll_until_settled(&app, invoice).await;
    let form: Value = serde_json::from_str(result["Form3DS"].as_str().unwrap()).unwrap();
    let page_path = path_of(&app, form["SbpQrCodeUrl"].as_str().unwrap());
    let page = app.get(&page_path).await.text().await.unwrap();
    let qr = app
        .get(&path_of(&app, form["SbpQrCodeImage"].as_str().unwrap()))
        .await;
    let qr_type = qr.headers()["content-type"].to_str().unwrap().to_owned();
    let approved = app.post_form(&format!("{page_path}/approve"), &[]).await;

    assert_eq!(steps.last().unwrap(), "SendTo3DS");
    assert_eq!(page_path, format!("/intellectmoney/sbp/{invoice}"));
    assert!(test_ids(&page).contains(&"approve".to_owned()));
    assert_eq!(qr_type, "image/svg+xml");
    assert!(qr.text().await.unwrap().starts_with("<svg"));
    assert_eq!(see_other(&approved), "https://shop.example/bnpl-ok");
    assert_eq!(poll(&app, invoice).await["PaymentStep"], "Ok");
}

#[tokio::test]
async fn a_declined_sbp_payment_goes_to_the_fail_url() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "SBP-2", &[]).await;
    pay(&app, "sbpPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;

    let declined = app
        .post_form(&format!("/intellectmoney/sbp/{invoice}/decline"), &[])
        .await;

    assert_eq!(see_other(&declined), "https://shop.example/bnpl-fail");
    assert_eq!(
        poll(&app, invoice).await["Message"],
        "Оплата через СБП отклонена"
    );
}

#[tokio::test]
async fn every_payment_method_is_accepted_as_json_form_and_xml_with_xml_answers() {
    let app = spawn_app().await;
    for (i, wire) in WIRES.into_iter().enumerate() {
        for method in ["bnplPayment", "sbpPayment", "bankCardPayment"] {
            let invoice = create_invoice(&app, &format!("WIRE-{i}-{method}"), &[]).await;
            let mut request = Request::signed(method, payment_params(method, invoice)).wire(wire);
            request.accept = Some("application/xml");

            let text = request.send(&app).await.text().await.unwrap();

            assert!(
                text.contains(
                    "<Result><State><Code>0</Code><Desc>Успешно обработан</Desc></State></Result>"
                ),
                "{wire:?} {method}: {text}"
            );
            let mut state = Request::signed(
                "getBankCardPaymentState",
                payment_params("getBankCardPaymentState", invoice),
            )
            .wire(wire);
            state.accept = Some("text/xml");
            let text = state.send(&app).await.text().await.unwrap();
            assert!(
                text.contains("<PaymentStep>Created</PaymentStep>"),
                "{wire:?} {method}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn payment_methods_check_hash_sign_and_token_with_the_invoices_currency() {
    let app = spawn_app().await;
    let rub = create_invoice(&app, "AUTH-RUB", &[]).await;
    let tst = create_invoice(&app, "AUTH-TST", &[("recipientCurrency", "TST")]).await;
    let state_params = |id| payment_params("getBankCardPaymentState", id);

    let mut no_token = Request::signed("getBankCardPaymentState", state_params(rub));
    no_token.authorization = None;
    let mut bad_sign = Request::signed("bnplPayment", payment_params("bnplPayment", rub));
    bad_sign.sign = Some("00".repeat(32));
    let bad_hash =
        Request::signed("bankCardPayment", payment_params("bankCardPayment", rub)).set("hash", "x");
    let mut tst_unsigned = Request::signed("getBankCardPaymentState", state_params(tst));
    tst_unsigned.authorization = None;
    tst_unsigned.sign = None;

    let param = |body: Value| body["Result"]["State"]["ErrorSourceParam"].clone();
    assert_eq!(param(no_token.envelope(&app).await), "Authorization");
    assert_eq!(param(bad_sign.envelope(&app).await), "Sign");
    assert_eq!(param(bad_hash.envelope(&app).await), "Hash");
    assert_eq!(
        tst_unsigned.envelope(&app).await["Result"]["PaymentStep"],
        "Created"
    );
}

#[tokio::test]
async fn an_unknown_invoice_is_refused_naming_invoice_id() {
    let app = spawn_app().await;

    let body = Request::signed(
        "getBankCardPaymentState",
        payment_params("getBankCardPaymentState", 3999999999),
    )
    .envelope(&app)
    .await;

    assert_eq!(
        body["Result"]["State"],
        json!({"Code": 7, "Desc": "Счёт 3999999999 не найден", "ErrorSourceParam": "InvoiceId"})
    );
}

#[tokio::test]
async fn payment_fields_are_checked_naming_the_field() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "FIELDS-1", &[]).await;
    let cases = [
        ("bankCardPayment", "pan", "4111111111111112", "Pan"),
        ("bankCardPayment", "expiredMonth", "13", "ExpiredMonth"),
        ("bankCardPayment", "returnUrl", "", "ReturnUrl"),
        ("bnplPayment", "successUrl", "not a url", "SuccessUrl"),
        ("sbpPayment", "ipAddress", "", "IpAddress"),
    ];
    for (method, field, value, param) in cases {
        let body = pay(&app, method, invoice, &[(field, value)]).await;

        assert_eq!(
            body["Result"]["State"]["ErrorSourceParam"], param,
            "{method} {field}: {body}"
        );
    }
}

#[tokio::test]
async fn an_expired_invoice_cannot_be_paid() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "EXP-1", &[]).await;
    app.advance_clock(181 * 24 * 3600).await;

    let body = pay(&app, "bnplPayment", invoice, &[]).await;

    assert_eq!(
        body["Result"]["State"],
        json!({"Code": 10, "Desc": "Срок оплаты счёта истёк", "ErrorSourceParam": "InvoiceId"})
    );
}

#[tokio::test]
async fn a_paid_invoice_cannot_be_paid_again() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAID-1", &[]).await;
    pay(&app, "bankCardPayment", invoice, &[]).await;
    poll_until_settled(&app, invoice).await;

    let body = pay(&app, "sbpPayment", invoice, &[]).await;

    assert_eq!(body["Result"]["State"]["Code"], 9);
    assert_eq!(
        body["Result"]["State"]["Desc"],
        "Операция недоступна: счёт уже оплачен"
    );
}

#[tokio::test]
async fn an_invoice_without_a_payment_reports_created() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "NOPAY-1", &[]).await;

    let result = poll(&app, invoice).await;

    assert_eq!(
        result,
        json!({"PaymentStep": "Created", "State": {"Code": 0, "Desc": "Успешно обработан"}})
    );
}

#[tokio::test]
async fn every_api_call_lands_on_the_invoices_timeline() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "TIMELINE-1", &[]).await;
    pay(&app, "bnplPayment", invoice, &[]).await;
    poll(&app, invoice).await;

    let entries = app.journal(&format!("object={invoice}")).await;

    let urls: Vec<&str> = entries.iter().filter_map(|e| e["url"].as_str()).collect();
    assert!(
        urls.contains(&"/intellectmoney/merchant/createInvoice"),
        "{urls:?}"
    );
    assert!(
        urls.contains(&"/intellectmoney/merchant/bnplPayment"),
        "{urls:?}"
    );
    assert!(
        urls.contains(&"/intellectmoney/merchant/getBankCardPaymentState"),
        "{urls:?}"
    );
    assert!(entries.iter().any(|e| e["kind"] == "transition"));
}
