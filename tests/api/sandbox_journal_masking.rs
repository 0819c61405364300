//! Card data in the journal: card numbers show as their first six and last
//! four digits and CVV/CVC as `***`, whatever shape the body had, wherever
//! the journal is shown (`/__sandbox/journal`, timelines, exports, the
//! dashboard).

use paysandbox::Settings;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, spawn_app_with, test_settings};
use crate::intellectmoney_support::{Request, create_invoice, payment_params};
use crate::softline_support::{create_ok, minimal_payment, pay_with};

const PAN: &str = "4111111111111111";
const MASKED_PAN: &str = "411111******1111";

/// A way to write BankCardPayment's parameters, each value masked or not.
struct Shape {
    name: &'static str,
    content_type: &'static str,
    write: fn(&[(String, String, bool)]) -> String,
}

fn form(params: &[(String, String, bool)]) -> String {
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v, _)| (k.as_str(), v.as_str()))
        .collect();
    serde_urlencoded::to_string(pairs).unwrap()
}

fn xml_cdata(params: &[(String, String, bool)]) -> String {
    let body: String = params
        .iter()
        .map(|(k, v, masked)| match masked {
            true => format!("<{k}>{v}</{k}>"),
            false => format!("<{k}><![CDATA[{v}]]></{k}>"),
        })
        .collect();
    format!("<Request>{body}</Request>")
}

fn xml_attribute(params: &[(String, String, bool)]) -> String {
    let body: String = params
        .iter()
        .map(|(k, v, _)| format!(r#"<{k} type="string">{v}</{k}>"#))
        .collect();
    format!(r#"<?xml version="1.0"?><Request>{body}</Request>"#)
}

fn xml_namespace(params: &[(String, String, bool)]) -> String {
    let body: String = params
        .iter()
        .map(|(k, v, _)| format!("<im:{k}>{v}</im:{k}>"))
        .collect();
    format!(r#"<im:Request xmlns:im="urn:intellectmoney">{body}</im:Request>"#)
}

fn json_upper_case(params: &[(String, String, bool)]) -> String {
    let map: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v, _)| (k.to_uppercase(), Value::String(v.clone())))
        .collect();
    Value::Object(map).to_string()
}

const SHAPES: [Shape; 5] = [
    // IntellectMoney's own samples send a form with this label.
    Shape {
        name: "a form labelled JSON",
        content_type: "application/json",
        write: form,
    },
    Shape {
        name: "XML with CDATA",
        content_type: "application/xml",
        write: xml_cdata,
    },
    Shape {
        name: "XML elements with an attribute",
        content_type: "text/xml",
        write: xml_attribute,
    },
    Shape {
        name: "XML with a namespace prefix",
        content_type: "application/xml",
        write: xml_namespace,
    },
    Shape {
        name: "JSON with names in capitals",
        content_type: "application/json",
        write: json_upper_case,
    },
];

/// `value` as the journal must show the parameter `name`.
fn masked(name: &str, value: &str) -> Option<String> {
    match name.to_ascii_lowercase().as_str() {
        "pan" => Some(MASKED_PAN.to_owned()),
        "cvv" => Some("***".to_owned()),
        "hash" => Some(format!("****{}", &value[value.len() - 4..])),
        _ => None,
    }
}

/// Pays `invoice_id` by card with a correctly signed BankCardPayment in
/// `shape`; returns the body as the journal must show it, and why the
/// provider refused it if it did.
async fn pay_by_card(app: &TestApp, invoice_id: u64, shape: &Shape) -> (String, Option<String>) {
    let request = Request::signed(
        "bankCardPayment",
        payment_params("bankCardPayment", invoice_id),
    );
    let sent: Vec<(String, String, bool)> = request
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone(), false))
        .collect();
    let shown: Vec<(String, String, bool)> = request
        .params
        .iter()
        .map(|(k, v)| match masked(k, v) {
            Some(m) => (k.clone(), m, true),
            None => (k.clone(), v.clone(), false),
        })
        .collect();
    let response = app
        .client
        .post(app.url("/intellectmoney/merchant/bankCardPayment"))
        .header("content-type", shape.content_type)
        .header("authorization", request.authorization.unwrap())
        .header("sign", request.sign.unwrap())
        .body((shape.write)(&sent))
        .send()
        .await
        .unwrap();
    let envelope: Value = response.json().await.unwrap();
    let refused = (envelope["OperationState"]["Code"] != 0
        || envelope["Result"]["State"]["Code"] != 0)
        .then(|| format!("{}: the provider refused it: {envelope}", shape.name));
    ((shape.write)(&shown), refused)
}

/// The request of the newest journal entry for `path`, as
/// `/__sandbox/journal?{query}` shows it (`null` when there is none).
async fn journal_request(app: &TestApp, query: &str, path: &str) -> Value {
    let entries = app.journal(query).await;
    entries
        .iter()
        .rev()
        .find(|e| e["url"].as_str().is_some_and(|u| u.starts_with(path)))
        .map_or(Value::Null, |entry| entry["request"].clone())
}

async fn text(app: &TestApp, path: &str) -> String {
    app.get(path).await.text().await.unwrap()
}

#[tokio::test]
async fn intellectmoney_card_payments_show_masked_in_the_journal_in_every_body_shape() {
    let mut failures = Vec::new();
    for shape in &SHAPES {
        // Arrange
        let app = spawn_app().await;
        let invoice_id = create_invoice(&app, "mask-1", &[]).await;
        let (expected, refused) = pay_by_card(&app, invoice_id, shape).await;
        failures.extend(refused);

        // Act
        let path = "/intellectmoney/merchant/bankCardPayment";
        let journal = journal_request(&app, "provider=intellectmoney", path).await;
        let timeline = journal_request(&app, &format!("object={invoice_id}"), path).await;
        let export = text(&app, "/__sandbox/journal?download=true").await;
        let pages = [
            app.html("/").await,
            app.html("/journal").await,
            app.html(&format!("/objects/{invoice_id}")).await,
        ];

        // Assert (every shape, then all that failed at once)
        let name = shape.name;
        if journal["body"] != expected {
            failures.push(format!(
                "{name}: /__sandbox/journal shows {}",
                journal["body"]
            ));
        }
        if timeline["body"] != expected {
            failures.push(format!("{name}: the timeline shows {}", timeline["body"]));
        }
        if export.contains(PAN) || !export.contains(MASKED_PAN) {
            failures.push(format!("{name}: the export"));
        }
        if pages.iter().any(|page| page.contains(PAN)) || !pages[1].contains(MASKED_PAN) {
            failures.push(format!("{name}: the dashboard"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn the_softline_card_form_shows_masked_in_the_journal_and_on_the_dashboard() {
    // Arrange
    let app = spawn_app().await;
    let (order_id, payment_url) = create_ok(&app, &minimal_payment("mask-2")).await;
    pay_with(&app, &payment_url, "4111 1111 1111 1111").await;
    let path = payment_url
        .split('?')
        .next()
        .unwrap()
        .trim_start_matches(&app.address)
        .to_owned();

    // Act
    let journal = journal_request(&app, "provider=softline", &format!("{path}/card")).await;
    let timeline =
        journal_request(&app, &format!("object={order_id}"), &format!("{path}/card")).await;
    let page = app.html("/journal?provider=softline").await;

    // Assert
    let expected = "card_number=411111******1111&expiry=12%2F39&cvc=***&cardholder=IVAN+PETROV";
    assert_eq!(journal["body"], expected);
    assert_eq!(timeline["body"], expected);
    assert!(
        page.contains(
            "card_number=411111******1111&#38;expiry=12%2F39&#38;cvc=***&#38;cardholder=IVAN+PETROV"
        ),
        "{page}"
    );
    assert!(!page.contains("4111+1111"));
}

#[tokio::test]
async fn a_json_body_cut_at_the_journal_limit_shows_no_card_digits_in_clear() {
    // Arrange: the limit cuts the first body after the card number, the
    // second in the middle of it.
    let settings = Settings {
        journal_body_limit: 48,
        ..test_settings()
    };
    let app = spawn_app_with(settings).await;
    let cases = [
        (
            r#"{"cvv":"123","pan":"4111111111111111","cardHolder":"IVAN PETROV"}"#,
            r#"{"cvv":"***","pan":"411111******1111","cardHolde"#,
        ),
        (
            r#"{"eshopId":"450000","cvv":"123","pan":"4111111111111111"}"#,
            r#"{"eshopId":"450000","cvv":"***","pan":"****"#,
        ),
    ];
    for (body, expected) in cases {
        app.client
            .post(app.url("/intellectmoney/merchant/bankCardPayment"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();

        // Act
        let request = journal_request(
            &app,
            "provider=intellectmoney",
            "/intellectmoney/merchant/bankCardPayment",
        )
        .await;
        let page = app.html("/journal").await;

        // Assert
        assert_eq!(request["truncated"], true, "{body}");
        assert_eq!(request["body"], expected, "{body}");
        assert!(!page.contains("4111111"), "{body}: the journal page");
    }
}
