//! Every IntellectMoney catalogue entry, forced by arming (with a `match`)
//! and by the `X-Sandbox-Scenario` header, answers exactly what the natural
//! outcome answers.

use serde_json::{Value, json};

use crate::helpers::{TestApp, see_other, spawn_app};
use crate::intellectmoney_support::*;

/// Arms `id` once, for requests that match `matches`.
async fn arm(app: &TestApp, id: &str, matches: Value) {
    app.arm_scenario(&json!({"id": id, "times": 1, "match": matches}))
        .await;
}

#[tokio::test]
async fn the_catalogue_lists_every_intellectmoney_scenario() {
    let app = spawn_app().await;

    let body = app.get_json("/__sandbox/scenarios/catalogue", 200).await;

    let ids: Vec<&str> = body["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .filter(|id| id.starts_with("intellectmoney."))
        .collect();
    assert_eq!(
        ids,
        [
            "intellectmoney.create_invoice.hash",
            "intellectmoney.create_invoice.sign",
            "intellectmoney.create_invoice.auth",
            "intellectmoney.create_invoice.duplicate_order_id",
            "intellectmoney.payment.declined",
            "intellectmoney.payment.3ds",
            "intellectmoney.payment.insufficient_funds",
            "intellectmoney.bnpl.declined",
            "intellectmoney.sbp.declined",
        ]
    );
}

/// The refusal a forced CreateInvoice gets: the same as the natural one.
fn create_invoice_refusal(id: &str) -> Value {
    let (code, desc, param) = match id {
        "intellectmoney.create_invoice.hash" => (4, "Неверная подпись запроса (Hash)", "Hash"),
        "intellectmoney.create_invoice.sign" => (4, "Неверная подпись запроса (Sign)", "Sign"),
        "intellectmoney.create_invoice.auth" => {
            (5, "Ошибка авторизации: неверный токен", "Authorization")
        }
        _ => (
            8,
            "Номер покупки {order} уже использован в этом магазине",
            "OrderId",
        ),
    };
    json!({"Code": code, "Desc": desc, "ErrorSourceParam": param})
}

#[tokio::test]
async fn create_invoice_scenarios_armed_with_a_match_hit_only_that_order() {
    let app = spawn_app().await;
    for (i, id) in [
        "intellectmoney.create_invoice.hash",
        "intellectmoney.create_invoice.sign",
        "intellectmoney.create_invoice.auth",
        "intellectmoney.create_invoice.duplicate_order_id",
    ]
    .into_iter()
    .enumerate()
    {
        // Arrange
        let target = format!("ARMED-{i}");
        arm(&app, id, json!({"OrderId": target})).await;

        // Act
        let other = Request::signed("createInvoice", invoice_params(&format!("OTHER-{i}")))
            .envelope(&app)
            .await;
        let hit = Request::signed("createInvoice", invoice_params(&target))
            .envelope(&app)
            .await;
        let next = Request::signed("createInvoice", invoice_params(&target))
            .envelope(&app)
            .await;

        // Assert
        assert_eq!(
            other["Result"]["State"]["Code"], 0,
            "{id}: another order is untouched"
        );
        let expected = create_invoice_refusal(id)
            .to_string()
            .replace("{order}", &target);
        assert_eq!(hit["Result"]["State"].to_string(), expected, "{id}");
        assert_eq!(hit["OperationState"]["Code"], 0);
        assert_eq!(next["Result"]["State"]["Code"], 0, "{id}: armed once");
    }
}

#[tokio::test]
async fn create_invoice_scenarios_by_header_apply_to_one_request_even_in_tst() {
    let app = spawn_app().await;
    for (i, id) in [
        "intellectmoney.create_invoice.hash",
        "intellectmoney.create_invoice.sign",
        "intellectmoney.create_invoice.auth",
        "intellectmoney.create_invoice.duplicate_order_id",
    ]
    .into_iter()
    .enumerate()
    {
        let order = format!("HEADER-{i}");
        let params = invoice_params(&order)
            .into_iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if k == "recipientCurrency" {
                        "TST".to_owned()
                    } else {
                        v
                    },
                )
            })
            .collect();
        let mut request = Request::signed("createInvoice", params);
        request.authorization = None;
        request.sign = None;
        request.scenario = Some(id.to_owned());

        let body = request.envelope(&app).await;

        let expected = create_invoice_refusal(id)
            .to_string()
            .replace("{order}", &order);
        assert_eq!(body["Result"]["State"].to_string(), expected, "{id}");
    }
}

#[tokio::test]
async fn card_scenarios_force_the_test_cards_outcome_through_bank_card_payment() {
    let app = spawn_app().await;
    let cases = [
        ("intellectmoney.payment.declined", "Error", Some(5)),
        (
            "intellectmoney.payment.insufficient_funds",
            "Error",
            Some(51),
        ),
        ("intellectmoney.payment.3ds", "SendTo3DS", None),
    ];
    for (i, (id, step, rc)) in cases.into_iter().enumerate() {
        // Armed for one invoice; the card itself would be approved.
        let armed = create_invoice(&app, &format!("CARD-ARMED-{i}"), &[]).await;
        arm(&app, id, json!({"InvoiceId": armed.to_string()})).await;
        pay(&app, "bankCardPayment", armed, &[]).await;
        let (_, armed_result) = poll_until_settled(&app, armed).await;

        let by_header = create_invoice(&app, &format!("CARD-HEADER-{i}"), &[]).await;
        let mut request = Request::signed(
            "bankCardPayment",
            payment_params("bankCardPayment", by_header),
        );
        request.scenario = Some(id.to_owned());
        request.envelope(&app).await;
        let (_, header_result) = poll_until_settled(&app, by_header).await;

        for result in [&armed_result, &header_result] {
            assert_eq!(result["PaymentStep"], step, "{id}");
            assert_eq!(result.get("RcCodeId").and_then(Value::as_u64), rc, "{id}");
        }
    }
}

#[tokio::test]
async fn a_card_scenario_applies_to_the_hosted_card_form_too() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "CARD-PAGE", &[]).await;
    arm(
        &app,
        "intellectmoney.payment.declined",
        json!({"OrderId": "CARD-PAGE"}),
    )
    .await;

    let response = app
        .post_form(
            &format!("/intellectmoney/pay/{invoice}/card"),
            &[
                ("card_number", "4111111111111111"),
                ("expiry", "12/35"),
                ("cvc", "123"),
            ],
        )
        .await;

    assert_eq!(see_other(&response), "https://shop.example/fail");
}

#[tokio::test]
async fn bnpl_and_sbp_declines_end_in_error_without_the_buyer() {
    let app = spawn_app().await;
    let cases = [
        (
            "intellectmoney.bnpl.declined",
            "bnplPayment",
            "Заявка на оплату частями отклонена",
        ),
        (
            "intellectmoney.sbp.declined",
            "sbpPayment",
            "Оплата через СБП отклонена",
        ),
    ];
    for (i, (id, method, message)) in cases.into_iter().enumerate() {
        let armed = create_invoice(&app, &format!("PAGE-ARMED-{i}"), &[]).await;
        arm(&app, id, json!({"OrderId": format!("PAGE-ARMED-{i}")})).await;
        pay(&app, method, armed, &[]).await;
        let (armed_steps, armed_result) = poll_until_settled(&app, armed).await;

        let by_header = create_invoice(&app, &format!("PAGE-HEADER-{i}"), &[]).await;
        let mut request = Request::signed(method, payment_params(method, by_header));
        request.scenario = Some(id.to_owned());
        request.envelope(&app).await;
        let (_, header_result) = poll_until_settled(&app, by_header).await;

        assert_eq!(
            armed_steps,
            ["Created", "InProcess", "InProcess", "Error"],
            "{id}"
        );
        for result in [&armed_result, &header_result] {
            assert_eq!(result["PaymentStep"], "Error", "{id}");
            assert_eq!(result["Message"], message, "{id}");
        }
    }
}
