//! What the IntellectMoney tests share: a merchant client that signs as
//! IntellectMoney documents it (written here from the documented templates,
//! not with the server's own signing code, so a mistake on either side
//! shows), bodies in the three wire formats, and short-cuts for common steps.

use md5::{Digest, Md5};
use serde_json::Value;
use sha2::Sha256;

use crate::helpers::TestApp;

pub const ESHOP_ID: &str = "450000";
pub const TOKEN: &str = "9d97820c61424eb6ac0db414ccb7ac60";
pub const SECRET_KEY: &str = "sandbox-secret";
pub const SIGN_SECRET_KEY: &str = "sandbox-sign-secret";

/// The fields each method's hash covers, in IntellectMoney's documented order.
pub fn template(method: &str) -> &'static [&'static str] {
    match method {
        "createInvoice" => &[
            "eshopId",
            "orderId",
            "serviceName",
            "recipientAmount",
            "recipientCurrency",
            "userName",
            "email",
            "successUrl",
            "failUrl",
            "backUrl",
            "resultUrl",
            "expireDate",
            "holdMode",
            "preference",
        ],
        "bankCardPayment" => &[
            "eshopId",
            "invoiceId",
            "pan",
            "cardHolder",
            "expiredMonth",
            "expiredYear",
            "cvv",
            "returnUrl",
            "ipAddress",
        ],
        "getBankCardPaymentState" => &["eshopId", "invoiceId"],
        "bnplPayment" | "sbpPayment" => &[
            "eshopId",
            "invoiceId",
            "successUrl",
            "failUrl",
            "additionalParams",
            "ipAddress",
        ],
        other => panic!("no template for {other}"),
    }
}

pub fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn joined(method: &str, params: &[(String, String)], key: &str) -> String {
    let mut parts: Vec<&str> = template(method)
        .iter()
        .map(|field| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(field))
                .map_or("", |(_, v)| v.as_str())
        })
        .collect();
    parts.push(key);
    parts.join("::")
}

/// `Hash`: MD5 over the template with the SecretKey.
pub fn hash(method: &str, params: &[(String, String)]) -> String {
    md5_hex(&joined(method, params, SECRET_KEY))
}

/// `Sign`: SHA-256 over the template with the SignSecretKey.
pub fn sign(method: &str, params: &[(String, String)]) -> String {
    sha256_hex(&joined(method, params, SIGN_SECRET_KEY))
}

/// A shop's credentials: the built-in shop's, or a workspace's.
#[derive(Debug, Clone)]
pub struct Shop {
    pub eshop_id: String,
    pub token: String,
    pub secret_key: String,
    pub sign_secret_key: String,
}

impl Shop {
    /// The fixtures' shop, `default`'s.
    pub fn builtin() -> Self {
        Self {
            eshop_id: ESHOP_ID.to_owned(),
            token: TOKEN.to_owned(),
            secret_key: SECRET_KEY.to_owned(),
            sign_secret_key: SIGN_SECRET_KEY.to_owned(),
        }
    }

    /// The shop of a workspace, from its creation answer.
    pub fn of_workspace(workspace: &Value) -> Self {
        let im = &workspace["intellectmoney"];
        Self {
            eshop_id: im["eshop_id"].as_u64().unwrap().to_string(),
            token: im["token"].as_str().unwrap().to_owned(),
            secret_key: im["secret_key"].as_str().unwrap().to_owned(),
            sign_secret_key: im["sign_secret_key"].as_str().unwrap().to_owned(),
        }
    }
}

/// How a body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Json,
    Form,
    Xml,
}

pub const WIRES: [Wire; 3] = [Wire::Json, Wire::Form, Wire::Xml];

pub fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A request to a merchant method, to be adjusted before sending.
pub struct Request {
    pub method: String,
    pub params: Vec<(String, String)>,
    pub wire: Wire,
    pub authorization: Option<String>,
    pub sign: Option<String>,
    pub accept: Option<&'static str>,
    pub scenario: Option<String>,
}

impl Request {
    /// Signed as a correct merchant signs: `Hash` in the body,
    /// `Authorization` and `Sign` in the headers.
    pub fn signed(method: &str, params: Vec<(String, String)>) -> Self {
        Self::signed_by(&Shop::builtin(), method, params)
    }

    /// Signed as `shop`'s merchant signs, with its keys and token.
    pub fn signed_by(shop: &Shop, method: &str, params: Vec<(String, String)>) -> Self {
        let mut params = params;
        let hash = md5_hex(&joined(method, &params, &shop.secret_key));
        let sign = sha256_hex(&joined(method, &params, &shop.sign_secret_key));
        params.push(("hash".to_owned(), hash));
        Self {
            method: method.to_owned(),
            params,
            wire: Wire::Json,
            authorization: Some(format!("Bearer {}", shop.token)),
            sign: Some(sign),
            accept: None,
            scenario: None,
        }
    }

    pub fn wire(mut self, wire: Wire) -> Self {
        self.wire = wire;
        self
    }

    pub fn set(mut self, name: &str, value: &str) -> Self {
        match self
            .params
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.params.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    pub async fn send(self, app: &TestApp) -> reqwest::Response {
        let path = format!("/intellectmoney/merchant/{}", self.method);
        self.send_to(app, &path).await
    }

    pub async fn send_to(self, app: &TestApp, path: &str) -> reqwest::Response {
        self.post(&app.client, &app.url(path)).await
    }

    /// Sends to its merchant method on the sandbox at `base_url` (a binary
    /// a test started, which no [`TestApp`] stands for).
    pub async fn send_at(self, client: &reqwest::Client, base_url: &str) -> reqwest::Response {
        let url = format!("{base_url}/intellectmoney/merchant/{}", self.method);
        self.post(client, &url).await
    }

    async fn post(self, client: &reqwest::Client, url: &str) -> reqwest::Response {
        let mut builder = client.post(url);
        builder = match self.wire {
            Wire::Json => {
                let map: serde_json::Map<String, Value> = self
                    .params
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                builder
                    .header("content-type", "application/json")
                    .body(Value::Object(map).to_string())
            }
            Wire::Form => builder.form(&self.params),
            Wire::Xml => {
                let body: String = self
                    .params
                    .iter()
                    .map(|(k, v)| format!("<{k}>{}</{k}>", xml_escape(v)))
                    .collect();
                builder
                    .header("content-type", "application/xml")
                    .body(format!("<?xml version=\"1.0\"?><Request>{body}</Request>"))
            }
        };
        if let Some(a) = self.authorization {
            builder = builder.header("authorization", a);
        }
        if let Some(s) = self.sign {
            builder = builder.header("sign", s);
        }
        if let Some(accept) = self.accept {
            builder = builder.header("accept", accept);
        }
        if let Some(id) = self.scenario {
            builder = builder.header("x-sandbox-scenario", id);
        }
        builder.send().await.unwrap()
    }

    /// Sends and reads the JSON envelope, asserting HTTP 200.
    pub async fn envelope(self, app: &TestApp) -> Value {
        let response = self.send(app).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// CreateInvoice's parameters for a 10.00 RUB invoice of `order_id`.
pub fn invoice_params(order_id: &str) -> Vec<(String, String)> {
    invoice_params_for(&Shop::builtin(), order_id)
}

/// CreateInvoice's parameters for a 10.00 RUB invoice of `order_id` in
/// `shop`.
pub fn invoice_params_for(shop: &Shop, order_id: &str) -> Vec<(String, String)> {
    owned(&[
        ("eshopId", &shop.eshop_id),
        ("orderId", order_id),
        ("serviceName", "Заказ в тестовом магазине"),
        ("recipientAmount", "10.00"),
        ("recipientCurrency", "RUB"),
        ("userName", "Иван Петров"),
        ("email", "buyer@example.com"),
        ("successUrl", "https://shop.example/success"),
        ("failUrl", "https://shop.example/fail"),
        ("backUrl", "https://shop.example/back"),
    ])
}

/// Creates an invoice with `extra` parameters added or replaced; returns
/// its id.
pub async fn create_invoice(app: &TestApp, order_id: &str, extra: &[(&str, &str)]) -> u64 {
    let mut params = invoice_params(order_id);
    for (k, v) in extra {
        params.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
        params.push(((*k).to_owned(), (*v).to_owned()));
    }
    let body = Request::signed("createInvoice", params).envelope(app).await;
    assert_eq!(body["Result"]["State"]["Code"], 0, "createInvoice: {body}");
    body["Result"]["InvoiceId"]
        .as_u64()
        .unwrap_or_else(|| panic!("no InvoiceId in {body}"))
}

/// The parameters of a payment method on `invoice_id`.
pub fn payment_params(method: &str, invoice_id: u64) -> Vec<(String, String)> {
    payment_params_for(&Shop::builtin(), method, invoice_id)
}

/// The parameters of a payment method on `invoice_id` of `shop`.
pub fn payment_params_for(shop: &Shop, method: &str, invoice_id: u64) -> Vec<(String, String)> {
    let id = invoice_id.to_string();
    let mut params = owned(&[("eshopId", &shop.eshop_id), ("invoiceId", &id)]);
    match method {
        "bnplPayment" | "sbpPayment" => params.extend(owned(&[
            ("successUrl", "https://shop.example/bnpl-ok"),
            ("failUrl", "https://shop.example/bnpl-fail"),
            ("ipAddress", "127.0.0.1"),
        ])),
        "bankCardPayment" => params.extend(owned(&[
            ("pan", "4111111111111111"),
            ("cardHolder", "IVAN PETROV"),
            ("expiredMonth", "12"),
            ("expiredYear", "35"),
            ("cvv", "123"),
            ("returnUrl", "https://shop.example/3ds-return"),
            ("ipAddress", "127.0.0.1"),
        ])),
        _ => {}
    }
    params
}

/// Calls a payment method with `extra` parameters; returns the envelope.
pub async fn pay(app: &TestApp, method: &str, invoice_id: u64, extra: &[(&str, &str)]) -> Value {
    let mut params = payment_params(method, invoice_id);
    for (k, v) in extra {
        params.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
        params.push(((*k).to_owned(), (*v).to_owned()));
    }
    Request::signed(method, params).envelope(app).await
}

/// One GetBankCardPaymentState poll; returns `Result`.
pub async fn poll(app: &TestApp, invoice_id: u64) -> Value {
    poll_in(app, &Shop::builtin(), invoice_id).await
}

/// One `getBankCardPaymentState` of `invoice_id` asked by `shop`; the
/// envelope, whatever it says.
pub async fn payment_state_in(app: &TestApp, shop: &Shop, invoice_id: u64) -> Value {
    Request::signed_by(
        shop,
        "getBankCardPaymentState",
        payment_params_for(shop, "getBankCardPaymentState", invoice_id),
    )
    .envelope(app)
    .await
}

/// [`poll`] as `shop` asks.
pub async fn poll_in(app: &TestApp, shop: &Shop, invoice_id: u64) -> Value {
    let body = payment_state_in(app, shop, invoice_id).await;
    assert_eq!(body["OperationState"]["Code"], 0, "{body}");
    body["Result"].clone()
}

/// Polls until the step is neither Created nor InProcess; returns the steps
/// seen and the last `Result`.
pub async fn poll_until_settled(app: &TestApp, invoice_id: u64) -> (Vec<String>, Value) {
    poll_until_settled_in(app, &Shop::builtin(), invoice_id).await
}

/// [`poll_until_settled`] as `shop` asks.
pub async fn poll_until_settled_in(
    app: &TestApp,
    shop: &Shop,
    invoice_id: u64,
) -> (Vec<String>, Value) {
    let mut steps = Vec::new();
    for _ in 0..10 {
        let result = poll_in(app, shop, invoice_id).await;
        let step = result["PaymentStep"].as_str().unwrap().to_owned();
        steps.push(step.clone());
        if step != "Created" && step != "InProcess" {
            return (steps, result);
        }
    }
    panic!("still not settled after 10 polls: {steps:?}");
}

/// The `action` of the form in a `Form3DS` HTML.
pub fn form_action(form3ds: &str) -> String {
    let start = form3ds.find("ACTION=\"").expect("an ACTION") + "ACTION=\"".len();
    let end = form3ds[start..].find('"').unwrap() + start;
    form3ds[start..end].to_owned()
}

/// The path part of an absolute URL the sandbox handed out.
pub fn path_of(app: &TestApp, url: &str) -> String {
    url.strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{url} is not under {}", app.address))
        .to_owned()
}

/// The `data-testid`s in an HTML page.
pub fn test_ids(html: &str) -> Vec<String> {
    html.match_indices("data-testid=\"")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// A `MerchantReceipt` as the official SDK writes it (`json_encode` of
/// `CashboxReceiptData::toArray`: floats for quantity and price, numbers for
/// the enumerations, `""` for an unset group): two positions adding up to
/// 1500.00.
pub fn merchant_receipt() -> Value {
    serde_json::json!({
        "inn": "7700000000",
        "group": "",
        "skipAmountCheck": false,
        "content": {
            "type": 1,
            "customerContact": "buyer@example.com",
            "positions": [
                {"quantity": 2.0, "price": 500.0, "tax": 1, "text": "Чайник",
                 "paymentSubjectType": 1, "paymentMethodType": 4},
                {"quantity": 1.0, "price": 500.0, "tax": 6, "text": "Доставка"}
            ]
        }
    })
}

/// CreateInvoice of 1500.00 RUB with `receipt` as the SDK sends it, a JSON
/// string in `merchantReceipt`; returns the envelope's text.
pub async fn create_with_receipt(app: &TestApp, order_id: &str, receipt: &str) -> String {
    // The amount is signed, so it is set before signing; the receipt is not.
    let mut params = invoice_params(order_id);
    params.retain(|(name, _)| name != "recipientAmount");
    params.push(("recipientAmount".to_owned(), "1500.00".to_owned()));
    Request::signed("createInvoice", params)
        .set("merchantReceipt", receipt)
        .send(app)
        .await
        .text()
        .await
        .unwrap()
}

/// The value of `name` in a received form.
pub fn form_field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or_else(|| panic!("no {name} in {form:?}"), |(_, v)| v.as_str())
}

/// A result notification's hash as a merchant checks it: MD5 of the
/// documented fields and the shop's `secret_key`, joined by `::`.
pub fn merchant_hash(form: &[(String, String)], secret_key: &str) -> String {
    let names = [
        "eshopId",
        "orderId",
        "serviceName",
        "eshopAccount",
        "recipientAmount",
        "recipientCurrency",
        "paymentStatus",
        "userName",
        "userEmail",
        "paymentData",
    ];
    let mut parts: Vec<&str> = names.iter().map(|n| form_field(form, n)).collect();
    parts.push(secret_key);
    md5_hex(&parts.join("::"))
}
