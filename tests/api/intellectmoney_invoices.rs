//! CreateInvoice: the three wire formats, names and paths in any case,
//! Hash / Sign / token, TST, field limits, duplicate OrderId, and the
//! official PHP SDK's request as it is sent.

use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::intellectmoney_support::*;

fn is_invoice_id(value: &Value) -> bool {
    value
        .as_u64()
        .is_some_and(|id| (3_000_000_000..4_000_000_000).contains(&id))
}

#[tokio::test]
async fn create_invoice_answers_the_envelope_with_a_numeric_invoice_id_in_every_wire_format() {
    let app = spawn_app().await;
    for (i, wire) in WIRES.into_iter().enumerate() {
        // Arrange
        let request =
            Request::signed("createInvoice", invoice_params(&format!("W-{i}"))).wire(wire);

        // Act
        let response = request.send(&app).await;

        // Assert
        assert_eq!(response.status(), 200, "{wire:?}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8",
            "{wire:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["OperationState"],
            json!({"Code": 0, "Desc": "Успешно обработана"}),
            "{wire:?}"
        );
        assert_eq!(body["EshopId"], 450000, "{wire:?}");
        assert_eq!(
            body["Result"]["State"],
            json!({"Code": 0, "Desc": "Успешно обработан"}),
            "{wire:?}"
        );
        assert!(
            is_invoice_id(&body["Result"]["InvoiceId"]),
            "{wire:?}: {body}"
        );
        assert!(body["Result"].get("InvoiceIdSplits").is_none());
    }
}

#[tokio::test]
async fn the_envelope_is_written_exactly_in_the_providers_field_order() {
    let app = spawn_app().await;

    let text = Request::signed("createInvoice", invoice_params("ORDER-1"))
        .send(&app)
        .await
        .text()
        .await
        .unwrap();

    let id = serde_json::from_str::<Value>(&text).unwrap()["Result"]["InvoiceId"].clone();
    assert_eq!(
        text,
        format!(
            r#"{{"OperationState":{{"Code":0,"Desc":"Успешно обработана"}},"EshopId":450000,"Result":{{"InvoiceId":{id},"State":{{"Code":0,"Desc":"Успешно обработан"}}}}}}"#
        )
    );
}

#[tokio::test]
async fn accept_application_xml_gets_the_same_envelope_in_xml() {
    let app = spawn_app().await;
    let mut request = Request::signed("createInvoice", invoice_params("XML-1")).wire(Wire::Xml);
    request.accept = Some("application/xml");

    let response = request.send(&app).await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><OperationState><Code>0</Code><Desc>Успешно обработана</Desc></OperationState><EshopId>450000</EshopId><Result><InvoiceId>3"),
        "{text}"
    );
    assert!(text.ends_with("</InvoiceId><State><Code>0</Code><Desc>Успешно обработан</Desc></State></Result></Response>"), "{text}");
}

#[tokio::test]
async fn parameter_names_in_any_letter_case_are_accepted() {
    let app = spawn_app().await;
    for (i, case) in ["pascal", "upper", "lower"].into_iter().enumerate() {
        let params: Vec<(String, String)> = invoice_params(&format!("CASE-{i}"))
            .into_iter()
            .map(|(k, v)| {
                let k = match case {
                    "pascal" => k[..1].to_uppercase() + &k[1..],
                    "upper" => k.to_uppercase(),
                    _ => k.to_lowercase(),
                };
                (k, v)
            })
            .collect();

        let body = Request::signed("createInvoice", params)
            .wire(Wire::Form)
            .envelope(&app)
            .await;

        assert!(
            is_invoice_id(&body["Result"]["InvoiceId"]),
            "{case}: {body}"
        );
    }
}

#[tokio::test]
async fn paths_in_any_letter_case_reach_the_method() {
    let app = spawn_app().await;
    for (i, path) in [
        "/intellectmoney/merchant/createinvoice",
        "/IntellectMoney/Merchant/CreateInvoice",
        "/INTELLECTMONEY/MERCHANT/CREATEINVOICE",
    ]
    .into_iter()
    .enumerate()
    {
        let response = Request::signed("createInvoice", invoice_params(&format!("PATH-{i}")))
            .send_to(&app, path)
            .await;

        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(
            is_invoice_id(&body["Result"]["InvoiceId"]),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn a_json_create_invoice_with_every_optional_field_empty_is_accepted() {
    // Arrange: a createInvoice in JSON as a contract checker sends it:
    // every field of the template, the optional ones empty, and the hash.
    let app = spawn_app().await;
    let fields = [
        ("eshopId", "450000"),
        ("orderId", "CONTRACT-IM-1"),
        ("serviceName", "contract"),
        ("recipientAmount", "10.00"),
        ("recipientCurrency", "RUB"),
        ("userName", ""),
        ("email", "buyer@example.com"),
        ("successUrl", ""),
        ("failUrl", ""),
        ("backUrl", ""),
        ("resultUrl", ""),
        ("expireDate", ""),
        ("holdMode", ""),
        ("preference", ""),
    ];
    let values: Vec<&str> = fields.iter().map(|(_, v)| *v).collect();
    let joined = values.join("::");
    let mut body: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    body.insert(
        "hash".into(),
        json!(md5_hex(&format!("{joined}::sandbox-secret"))),
    );

    let response = app
        .client
        .post(app.url("/intellectmoney/merchant/createInvoice"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header(
            "Sign",
            sha256_hex(&format!("{joined}::sandbox-sign-secret")),
        )
        .json(&body)
        .send()
        .await
        .unwrap();

    let body: Value = response.json().await.unwrap();
    let id = body["Result"]["InvoiceId"].to_string();
    assert!(id.len() == 10 && id.starts_with('3'), "{body}");
}

#[tokio::test]
async fn a_request_shaped_like_the_official_php_sdks_succeeds() {
    // json_encode of CreateInvoiceDataModel::toArray(): camelCase, eshopId a
    // number, recipientAmount a string, holdMode 0, escaped slashes, \uXXXX
    // text, and extra fields; hash and Sign over the decoded values.
    let app = spawn_app().await;
    let values = [
        "450000",
        "SDK-1",
        "Оплата заказа",
        "15.50",
        "RUB",
        "Иван",
        "buyer@example.com",
        "https://shop.example/ok",
        "https://shop.example/fail",
        "",
        "",
        "",
        "0",
        "",
    ];
    let joined = values.join("::");
    let hash = md5_hex(&format!("{joined}::{SECRET_KEY}"));
    let sign = sha256_hex(&format!("{joined}::{SIGN_SECRET_KEY}"));
    let body = format!(
        r#"{{"eshopId":450000,"orderId":"SDK-1","serviceName":"\u041e\u043f\u043b\u0430\u0442\u0430 \u0437\u0430\u043a\u0430\u0437\u0430","recipientAmount":"15.50","recipientCurrency":"RUB","userName":"\u0418\u0432\u0430\u043d","email":"buyer@example.com","successUrl":"https:\/\/shop.example\/ok","failUrl":"https:\/\/shop.example\/fail","hash":"{hash}","purchaseHash":"0cc175b9c0f1b6a831c399e269772661","language":"en","holdMode":0}}"#
    );

    let response = app
        .client
        .post(app.url("/intellectmoney/merchant/createInvoice"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Sign", sign)
        .body(body)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["OperationState"]["Code"], 0, "{body}");
    assert_eq!(body["Result"]["State"]["Code"], 0, "{body}");
    assert!(is_invoice_id(&body["Result"]["InvoiceId"]), "{body}");
}

#[tokio::test]
async fn a_wrong_hash_is_refused_naming_hash() {
    let app = spawn_app().await;
    let request =
        Request::signed("createInvoice", invoice_params("H-1")).set("hash", &"0".repeat(32));

    let body = request.envelope(&app).await;

    assert_eq!(
        body,
        json!({
            "OperationState": {"Code": 0, "Desc": "Успешно обработана"},
            "EshopId": 450000,
            "Result": {"State": {"Code": 4, "Desc": "Неверная подпись запроса (Hash)", "ErrorSourceParam": "Hash"}}
        })
    );
}

#[tokio::test]
async fn a_missing_hash_is_refused_naming_hash() {
    let app = spawn_app().await;
    let mut request = Request::signed("createInvoice", invoice_params("H-2"));
    request.params.retain(|(k, _)| k != "hash");

    let body = request.envelope(&app).await;

    assert_eq!(
        body["Result"]["State"],
        json!({"Code": 2, "Desc": "Не передан обязательный параметр Hash", "ErrorSourceParam": "Hash"})
    );
}

#[tokio::test]
async fn a_wrong_or_missing_sign_is_refused_naming_sign() {
    let app = spawn_app().await;
    let mut wrong = Request::signed("createInvoice", invoice_params("S-1"));
    wrong.sign = Some(sha256_hex("something else"));
    let mut missing = Request::signed("createInvoice", invoice_params("S-2"));
    missing.sign = None;

    let wrong = wrong.envelope(&app).await;
    let missing = missing.envelope(&app).await;

    assert_eq!(
        wrong["Result"]["State"],
        json!({"Code": 4, "Desc": "Неверная подпись запроса (Sign)", "ErrorSourceParam": "Sign"})
    );
    assert_eq!(
        missing["Result"]["State"],
        json!({"Code": 2, "Desc": "Не передан обязательный параметр Sign", "ErrorSourceParam": "Sign"})
    );
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused_naming_authorization() {
    let app = spawn_app().await;
    let mut wrong = Request::signed("createInvoice", invoice_params("A-1"));
    wrong.authorization = Some("Bearer 00000000000000000000000000000000".into());
    let mut missing = Request::signed("createInvoice", invoice_params("A-2"));
    missing.authorization = None;

    let wrong = wrong.envelope(&app).await;
    let missing = missing.envelope(&app).await;

    assert_eq!(
        wrong["Result"]["State"],
        json!({"Code": 5, "Desc": "Ошибка авторизации: неверный токен", "ErrorSourceParam": "Authorization"})
    );
    assert_eq!(
        missing["Result"]["State"],
        json!({"Code": 5, "Desc": "Ошибка авторизации: не передан заголовок Authorization", "ErrorSourceParam": "Authorization"})
    );
}

#[tokio::test]
async fn hex_signatures_are_accepted_in_upper_case() {
    let app = spawn_app().await;
    let mut request = Request::signed("createInvoice", invoice_params("UP-1"));
    request.sign = request.sign.map(|s| s.to_uppercase());
    let hash = request
        .params
        .iter()
        .find(|(k, _)| k == "hash")
        .unwrap()
        .1
        .to_uppercase();
    let request = request.set("hash", &hash);

    let body = request.envelope(&app).await;

    assert!(is_invoice_id(&body["Result"]["InvoiceId"]), "{body}");
}

#[tokio::test]
async fn the_create_invoice_sign_is_accepted_with_an_empty_fail_url_slot() {
    // The developer portal's variant of the template.
    let app = spawn_app().await;
    let params = invoice_params("SLOT-1");
    let without_fail_url: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if k == "failUrl" {
                    String::new()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    let mut request = Request::signed("createInvoice", params);
    request.sign = Some(sign("createInvoice", &without_fail_url));

    let body = request.envelope(&app).await;

    assert!(is_invoice_id(&body["Result"]["InvoiceId"]), "{body}");
}

#[tokio::test]
async fn tst_needs_neither_authorization_nor_sign_but_its_hash_is_checked() {
    let app = spawn_app().await;
    let params: Vec<(String, String)> = invoice_params("TST-1")
        .into_iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if k == "recipientCurrency" {
                    "TST".into()
                } else {
                    v
                },
            )
        })
        .collect();
    let mut unsigned = Request::signed("createInvoice", params.clone());
    unsigned.authorization = None;
    unsigned.sign = None;
    let mut wrong_hash = Request::signed("createInvoice", params).set("orderId", "TST-2");
    wrong_hash.authorization = None;
    wrong_hash.sign = None;

    let accepted = unsigned.envelope(&app).await;
    let refused = wrong_hash.envelope(&app).await;

    assert!(
        is_invoice_id(&accepted["Result"]["InvoiceId"]),
        "{accepted}"
    );
    assert_eq!(refused["Result"]["State"]["ErrorSourceParam"], "Hash");
}

#[tokio::test]
async fn a_repeated_order_id_is_refused_naming_order_id() {
    let app = spawn_app().await;
    create_invoice(&app, "DUP-1", &[]).await;

    let body = Request::signed("createInvoice", invoice_params("DUP-1"))
        .envelope(&app)
        .await;

    assert_eq!(
        body["Result"]["State"],
        json!({"Code": 8, "Desc": "Номер покупки DUP-1 уже использован в этом магазине", "ErrorSourceParam": "OrderId"})
    );
}

#[tokio::test]
async fn field_limits_of_the_reference_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let long_order = "x".repeat(51);
    let long_email = format!("{}@example.com", "e".repeat(89));
    let long_url = format!("https://shop.example/{}", "u".repeat(492));
    let cases: Vec<(&str, String, u32, &str)> = vec![
        ("orderId", long_order, 3, "OrderId"),
        ("orderId", String::new(), 2, "OrderId"),
        ("recipientAmount", "0.50".into(), 3, "RecipientAmount"),
        ("recipientAmount", "10.001".into(), 3, "RecipientAmount"),
        ("recipientCurrency", "GBP".into(), 3, "RecipientCurrency"),
        ("email", long_email, 3, "Email"),
        ("email", "buyer-at-example.com".into(), 3, "Email"),
        ("successUrl", long_url, 3, "SuccessUrl"),
        ("failUrl", "javascript:alert(1)".into(), 3, "FailUrl"),
        ("expireDate", "01.01.2030".into(), 3, "ExpireDate"),
        ("expireDate", "2001-01-01 00:00:00".into(), 3, "ExpireDate"),
        ("holdMode", "yes".into(), 3, "HoldMode"),
        ("holdTime", "120".into(), 3, "HoldTime"),
    ];
    for (i, (field, value, code, param)) in cases.into_iter().enumerate() {
        let request = Request::signed(
            "createInvoice",
            invoice_params(&format!("LIMIT-{i}"))
                .into_iter()
                .filter(|(k, _)| k != field)
                .chain([(field.to_owned(), value.clone())])
                .collect(),
        );

        let body = request.envelope(&app).await;

        assert_eq!(
            body["Result"]["State"]["Code"], code,
            "{field}={value}: {body}"
        );
        assert_eq!(
            body["Result"]["State"]["ErrorSourceParam"], param,
            "{field}={value}"
        );
    }
}

#[tokio::test]
async fn an_unknown_shop_is_refused_naming_eshop_id() {
    let app = spawn_app().await;
    let request =
        Request::signed("createInvoice", invoice_params("SHOP-1")).set("eshopId", "999999");

    let body = request.envelope(&app).await;

    assert_eq!(body.get("EshopId"), None);
    assert_eq!(
        body["Result"]["State"],
        json!({"Code": 6, "Desc": "Магазин 999999 не найден", "ErrorSourceParam": "EshopId"})
    );
}

#[tokio::test]
async fn unreadable_bodies_get_a_non_zero_operation_state_and_a_null_result() {
    let app = spawn_app().await;
    let cases = [
        ("application/json", "{\"eshopId\": 450000,"),
        (
            "application/xml",
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"b\">]><r><EshopId>&a;</EshopId></r>",
        ),
        ("application/xml", "<r><EshopId>450000</r>"),
    ];
    for (content_type, body) in cases {
        let response = app
            .client
            .post(app.url("/intellectmoney/merchant/createInvoice"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 200, "{body}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["OperationState"]["Code"], 1, "{body}");
        assert!(
            envelope["OperationState"]["Desc"]
                .as_str()
                .unwrap()
                .starts_with("Неверный формат запроса"),
            "{envelope}"
        );
        assert_eq!(envelope["Result"], Value::Null, "{body}");
    }
}

#[tokio::test]
async fn an_unknown_method_is_answered_in_the_envelope() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/intellectmoney/merchant/refundInvoice"))
        .body("")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"OperationState": {"Code": 2, "Desc": "Метод refundinvoice не найден"}, "Result": null})
    );
}

#[tokio::test]
async fn create_invoice_by_get_with_a_query_string_works_as_the_legacy_protocol_allows() {
    let app = spawn_app().await;
    let mut params = invoice_params("GET-1");
    params.push(("hash".into(), hash("createInvoice", &params)));
    let query = serde_urlencoded::to_string(&params).unwrap();

    let response = app
        .client
        .get(app.url(&format!("/intellectmoney/merchant/createInvoice?{query}")))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("sign", sign("createInvoice", &params))
        .send()
        .await
        .unwrap();

    let body: Value = response.json().await.unwrap();
    assert!(is_invoice_id(&body["Result"]["InvoiceId"]), "{body}");
}

#[tokio::test]
async fn invoice_ids_follow_one_another_and_repeat_after_reset() {
    let app = spawn_app().await;
    let first = create_invoice(&app, "SEQ-1", &[]).await;
    let second = create_invoice(&app, "SEQ-2", &[]).await;

    let reset = app
        .client
        .post(app.url("/__sandbox/reset"))
        .send()
        .await
        .unwrap();
    let again = create_invoice(&app, "SEQ-1", &[]).await;

    assert_eq!(second, first + 1);
    assert_eq!(reset.status(), 200);
    assert_eq!(
        again, first,
        "a reset forgets the OrderId and restarts the ids"
    );
}
