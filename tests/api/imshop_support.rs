//! Small merchants served inside the tests, correct or broken on purpose,
//! and helpers to run the engine against them.
//!
//! The correct merchant keeps payments in memory and has its own tiny
//! gateway: `paymentUrl` is a card form (`data-testid="card-form"`) whose
//! approved cards redirect to `/payment/{id}/success` and declined ones to
//! `/payment/{id}/failed`. Each [`Quirk`] breaks one thing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use paysandbox::providers::imshop::checks::{Check, CheckStatus};
use paysandbox::providers::imshop::engine::{NoBrowser, Observer};
use paysandbox::providers::imshop::options::{FlowChoice, Outcome, RunOptions, RunRequest};
use paysandbox::providers::imshop::report::RunReport;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// One way to break the merchant.
#[derive(Debug, Clone, PartialEq)]
pub enum Quirk {
    /// `create` leaves this field out.
    MissingField(&'static str),
    /// `create` sends `paymentId` as a number.
    PaymentIdAsNumber,
    /// `successRegex` does not compile.
    InvalidRegex,
    /// Both regexes compile but match no URL the gateway uses.
    RegexesNeverMatch,
    /// `capture` says `paymentCaptured: false` even for a paid order.
    NeverCaptured,
    /// Every answer is an HTML page.
    HtmlAnswers,
    /// Every answer is a 500.
    ServerError,
    /// `create` answers after this many milliseconds.
    SlowCreate(u64),
    /// `capture` answers another paymentId.
    OtherPaymentIdInCapture,
    /// `capture` answers `pending: true` this many times first.
    PendingCaptures(u32),
    /// `capture` always answers `pending: true`; the final status goes
    /// to the sync URL after the first pending answer.
    PendingThenSync,
    /// The first payment is reported on the sync URL as failed with
    /// `retry: true`; the second one is paid normally.
    RetryOnce,
    /// A refusal without `error`.
    RefusalWithoutError,
    /// `capture` of an unknown payment answers success.
    AcceptsUnknownPayments,
    /// `paymentUrl` is a page the web view cannot fill (a login form).
    ForeignPage,
    /// A declined card shows the form again with an error, no redirect
    /// (as Softline's form does).
    DeclineOnForm,
    /// An approved card goes through a 3-D Secure challenge first.
    Challenge,
    /// A declined card is sent to the `returnUrl` that `create` carried.
    DeclineToReturnUrl,
    /// A declined card is sent to this link of the merchant's own app.
    DeclineToAppLink(&'static str),
    /// The card method of the payment-methods answer has no `title`.
    MethodWithoutTitle,
    /// The order export answers the order number as a JSON number.
    OrderNumberAsNumber,
    /// `create` answers an `orderId` other than the exported number.
    OrderNumberChanges,
    /// `create` and the wallet commands take any `paymentMethodId`.
    AcceptsUnknownMethods,
    /// Every export makes a new order, even of a uuid it has seen.
    NewOrderOnRepeat,
    /// The deliveries answer leaves out `hasPickupLocations`.
    DeliveryWithoutPickupFlag,
    /// The payment-method ids change from one request to the next.
    MethodIdsPerRequest,
    /// The payments webhook knows only the fixture's method ids, not the
    /// ones its payment-methods webhook hands out.
    ForgetsOfferedMethods,
}

/// The payment methods the test merchant offers: `(id, type)`.
const METHODS: &[(&str, &str)] = &[
    ("m-card", "card"),
    ("m-apple", "iOS"),
    ("m-google", "android"),
];

/// Method ids the merchant takes: its own, and the fixture's (runs
/// without the checkout send those).
fn known_method(shop: &Shop, id: &str) -> bool {
    let offered =
        !shop.has(&Quirk::ForgetsOfferedMethods) && METHODS.iter().any(|(known, _)| *known == id);
    offered || id.starts_with("sandbox/")
}

#[derive(Debug, Default)]
struct Ledger {
    /// paymentId → (orderId, paid)
    payments: HashMap<String, (String, bool)>,
    captures: HashMap<String, u32>,
    creates: u32,
    /// Every command received, in order.
    commands: Vec<Value>,
    /// The `returnUrl` of the last `create`.
    return_url: String,
    /// Exported orders: uuid → order number.
    exports: HashMap<String, String>,
    /// Orders made by exports.
    orders_made: u32,
    /// Payment-methods requests answered.
    methods_asked: u32,
}

#[derive(Clone)]
struct Shop {
    quirks: Arc<Vec<Quirk>>,
    base: String,
    sync_url: String,
    /// The API key it expects in `Authorization: Bearer`.
    key: String,
    ledger: Arc<Mutex<Ledger>>,
}

impl Shop {
    fn has(&self, quirk: &Quirk) -> bool {
        self.quirks.contains(quirk)
    }

    fn find(&self, f: impl Fn(&Quirk) -> Option<u64>) -> Option<u64> {
        self.quirks.iter().find_map(f)
    }
}

/// A test merchant on a free port.
pub struct Merchant {
    /// The payments webhook URL.
    pub webhook: String,
    /// The payment-methods webhook URL.
    pub methods: String,
    /// The deliveries webhook URL.
    pub deliveries: String,
    /// The order-export webhook URL.
    pub orders: String,
    shop: Shop,
    _server: tokio::task::JoinHandle<()>,
}

impl Merchant {
    /// Every command the webhook received.
    pub fn commands(&self) -> Vec<Value> {
        self.shop.ledger.lock().unwrap().commands.clone()
    }

    /// The `command` names in order.
    pub fn command_names(&self) -> Vec<String> {
        self.commands()
            .iter()
            .map(|c| c["command"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// Starts a merchant with `quirks` that reports late results to `sync_url`.
pub async fn merchant(quirks: &[Quirk], sync_url: &str) -> Merchant {
    merchant_with_key(quirks, sync_url, "sandbox-imshop-key").await
}

/// Starts a merchant expecting the API key `key` (a workspace's).
pub async fn merchant_with_key(quirks: &[Quirk], sync_url: &str, key: &str) -> Merchant {
    // Its pending quirk posts to the sync URL with reqwest, which needs
    // the crypto provider even in a test that never spawns the app.
    paysandbox::core::http_client::install_crypto_provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shop = Shop {
        quirks: Arc::new(quirks.to_vec()),
        base: base.clone(),
        sync_url: sync_url.to_owned(),
        key: key.to_owned(),
        ledger: Arc::default(),
    };
    let app = Router::new()
        .route("/payments", post(webhook))
        .route("/methods", post(payment_methods))
        .route("/deliveries", post(deliveries))
        .route("/orders", post(export_orders))
        .route("/gateway/{id}", get(gateway_page))
        .route("/gateway/{id}/pay", post(gateway_pay))
        .route("/gateway/{id}/3ds", post(gateway_challenge))
        .route("/payment/{id}/{result}", get(landing))
        .route("/foreign/{id}", get(foreign_page))
        .with_state(shop.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Merchant {
        webhook: format!("{base}/payments"),
        methods: format!("{base}/methods"),
        deliveries: format!("{base}/deliveries"),
        orders: format!("{base}/orders"),
        shop,
        _server: server,
    }
}

async fn webhook(State(shop): State<Shop>, headers: HeaderMap, body: String) -> Response {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    shop.ledger.lock().unwrap().commands.push(request.clone());
    if let Some(ms) = shop.find(|q| match q {
        Quirk::SlowCreate(ms) => Some(*ms),
        _ => None,
    }) && request["command"] == "create"
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if shop.has(&Quirk::HtmlAnswers) {
        return Html("<html><body>Welcome to our shop</body></html>").into_response();
    }
    if shop.has(&Quirk::ServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let expected = format!("Bearer {}", shop.key);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return axum::Json(json!({"success": false, "error": "bad key"})).into_response();
    }
    let method = request["paymentMethodId"].as_str().unwrap_or_default();
    if matches!(
        request["command"].as_str(),
        Some("create" | "applepay" | "androidpay")
    ) && !known_method(&shop, method)
        && !shop.has(&Quirk::AcceptsUnknownMethods)
    {
        return axum::Json(json!({"success": false, "error": "unknown payment method"}))
            .into_response();
    }
    let answer = match request["command"].as_str() {
        Some("create") => create(&shop, &request),
        Some("capture") => capture(&shop, &request).await,
        Some("applepay") => wallet(&shop, &request, "applePayData"),
        Some("androidpay") => wallet(&shop, &request, "androidPayData"),
        _ => json!({"success": false, "error": "unknown command"}),
    };
    axum::Json(answer).into_response()
}

fn create(shop: &Shop, request: &Value) -> Value {
    let mut ledger = shop.ledger.lock().unwrap();
    ledger.creates += 1;
    ledger.return_url = request["returnUrl"].as_str().unwrap_or_default().to_owned();
    let payment_id = format!("pay-{}", ledger.creates);
    let order_id = request["orderId"].as_str().unwrap_or_default().to_owned();
    ledger
        .payments
        .insert(payment_id.clone(), (order_id, false));
    let mut answer = json!({
        "success": true,
        "paymentId": payment_id,
        "paymentUrl": format!("{}/gateway/{payment_id}", shop.base),
        "successRegex": "payment/(.+)/success",
        "failureRegex": "payment/(.+)/failed",
    });
    for quirk in shop.quirks.iter() {
        match quirk {
            Quirk::MissingField(name) => {
                answer.as_object_mut().unwrap().remove(*name);
            }
            Quirk::PaymentIdAsNumber => answer["paymentId"] = json!(ledger.creates),
            Quirk::InvalidRegex => answer["successRegex"] = json!("payment/(.+/success"),
            Quirk::ForeignPage => {
                answer["paymentUrl"] = json!(format!("{}/foreign/{payment_id}", shop.base));
            }
            Quirk::RegexesNeverMatch => {
                answer["successRegex"] = json!("checkout/done");
                answer["failureRegex"] = json!("checkout/error");
            }
            Quirk::OrderNumberChanges => {
                let order_id = request["orderId"].as_str().unwrap_or_default();
                answer["orderId"] = json!(format!("{order_id}-2"));
            }
            _ => {}
        }
    }
    answer
}

async fn capture(shop: &Shop, request: &Value) -> Value {
    let payment_id = request["paymentId"].as_str().unwrap_or_default().to_owned();
    let (known, order_id, paid, count, first_payment) = {
        let mut ledger = shop.ledger.lock().unwrap();
        let count = {
            let c = ledger.captures.entry(payment_id.clone()).or_default();
            *c += 1;
            *c
        };
        match ledger.payments.get(&payment_id) {
            Some((order, paid)) => (true, order.clone(), *paid, count, payment_id == "pay-1"),
            None => (false, String::new(), false, count, false),
        }
    };
    if !known {
        if shop.has(&Quirk::AcceptsUnknownPayments) {
            return json!({"success": true, "paymentId": payment_id, "paymentCaptured": true});
        }
        if shop.has(&Quirk::RefusalWithoutError) {
            return json!({"success": false});
        }
        return json!({"success": false, "error": "unknown payment"});
    }
    if let Some(n) = shop.find(|q| match q {
        Quirk::PendingCaptures(n) => Some(u64::from(*n)),
        _ => None,
    }) && u64::from(count) <= n
    {
        return json!({"success": true, "paymentId": payment_id, "pending": true});
    }
    let retrying = shop.has(&Quirk::RetryOnce) && first_payment;
    if shop.has(&Quirk::PendingThenSync) || retrying {
        if count == 1 {
            let body = json!({
                "orderId": order_id,
                "paymentId": payment_id,
                "success": true,
                "paymentCaptured": paid && !retrying,
                "retry": retrying,
            });
            let sync_url = shop.sync_url.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = reqwest::Client::new()
                    .post(sync_url)
                    .json(&body)
                    .send()
                    .await;
            });
        }
        return json!({"success": true, "paymentId": payment_id, "pending": true});
    }
    let answered_id = if shop.has(&Quirk::OtherPaymentIdInCapture) {
        "someone-else".to_owned()
    } else {
        payment_id.clone()
    };
    let captured = paid && !shop.has(&Quirk::NeverCaptured);
    if captured || shop.has(&Quirk::NeverCaptured) {
        json!({"success": true, "paymentId": answered_id, "paymentCaptured": captured})
    } else if shop.has(&Quirk::RefusalWithoutError) {
        json!({"success": false, "paymentId": answered_id, "paymentCaptured": false})
    } else {
        json!({"success": false, "paymentId": answered_id, "paymentCaptured": false, "error": "not paid"})
    }
}

fn wallet(shop: &Shop, request: &Value, field: &str) -> Value {
    let data = request[field].as_str().unwrap_or_default();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let mut ledger = shop.ledger.lock().unwrap();
    ledger.creates += 1;
    let payment_id = format!("wallet-{}", ledger.creates);
    if decoded.contains("decline") {
        if shop.has(&Quirk::RefusalWithoutError) {
            return json!({"success": false, "paymentId": payment_id});
        }
        json!({"success": false, "paymentId": payment_id, "error": "declined"})
    } else {
        json!({"success": true, "paymentId": payment_id, "paymentCaptured": true})
    }
}

async fn payment_methods(State(shop): State<Shop>) -> axum::Json<Value> {
    let asked = {
        let mut ledger = shop.ledger.lock().unwrap();
        ledger.methods_asked += 1;
        ledger.methods_asked
    };
    let payments: Vec<Value> = METHODS
        .iter()
        .map(|(id, kind)| {
            let id = if shop.has(&Quirk::MethodIdsPerRequest) {
                format!("{id}-{asked}")
            } else {
                (*id).to_owned()
            };
            let mut method = json!({"id": id, "title": format!("Pay by {kind}"), "type": kind});
            if *kind == "card" && shop.has(&Quirk::MethodWithoutTitle) {
                method.as_object_mut().unwrap().remove("title");
            }
            method
        })
        .collect();
    axum::Json(json!({ "payments": payments }))
}

async fn deliveries(State(shop): State<Shop>) -> axum::Json<Value> {
    let mut delivery = json!({
        "id": "d1", "title": "Courier", "type": "delivery", "hasPickupLocations": false,
        "price": 0, "min": 1
    });
    if shop.has(&Quirk::DeliveryWithoutPickupFlag) {
        delivery
            .as_object_mut()
            .unwrap()
            .remove("hasPickupLocations");
    }
    axum::Json(json!({ "deliveries": [delivery] }))
}

async fn export_orders(State(shop): State<Shop>, body: String) -> axum::Json<Value> {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut ledger = shop.ledger.lock().unwrap();
    let mut answers = Vec::new();
    for order in request["orders"].as_array().cloned().unwrap_or_default() {
        let uuid = order["uuid"].as_str().unwrap_or_default().to_owned();
        let known = ledger.exports.get(&uuid).cloned();
        let number = match known {
            Some(number) if !shop.has(&Quirk::NewOrderOnRepeat) => number,
            _ => {
                ledger.orders_made += 1;
                let number = format!("{}", 500 + ledger.orders_made);
                ledger.exports.insert(uuid.clone(), number.clone());
                number
            }
        };
        let id = if shop.has(&Quirk::OrderNumberAsNumber) {
            json!(number.parse::<u64>().unwrap())
        } else {
            json!(number)
        };
        answers.push(json!({"success": true, "id": id, "uuid": uuid}));
    }
    axum::Json(json!({ "orders": answers }))
}

async fn gateway_page(Path(id): Path<String>) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html><body>
        <form data-testid="card-form" method="post" action="/gateway/{id}/pay">
          <input type="hidden" name="session" value="s-{id}">
          <label>Card <input name="card_number"></label>
          <label>Expiry <input name="expiry"></label>
          <label>CVC <input name="cvc"></label>
          <label>Name <input name="cardholder"></label>
          <button type="submit">Pay</button>
        </form></body></html>"#
    ))
}

async fn gateway_pay(
    State(shop): State<Shop>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let approved = form.get("card_number").map(String::as_str) == Some("4111111111111111")
        && form.get("session") == Some(&format!("s-{id}"));
    if approved && shop.has(&Quirk::Challenge) {
        // A relative action: resolved against /gateway/{id}/pay.
        return Html(
            r#"<form data-testid="challenge-form" method="post" action="3ds">
                 <label>Code <input name="code" inputmode="numeric"></label><button>OK</button></form>"#,
        )
        .into_response();
    }
    if approved {
        mark_paid(&shop, &id);
        Redirect::to(&format!("/payment/{id}/success")).into_response()
    } else if shop.has(&Quirk::DeclineToReturnUrl) {
        let return_url = shop.ledger.lock().unwrap().return_url.clone();
        Redirect::to(&return_url).into_response()
    } else if let Some(link) = shop.quirks.iter().find_map(|q| match q {
        Quirk::DeclineToAppLink(link) => Some(*link),
        _ => None,
    }) {
        Redirect::to(link).into_response()
    } else if shop.has(&Quirk::DeclineOnForm) {
        Html(format!(
            r#"<p class="error" data-testid="error">Card declined by the issuer</p>
            <form data-testid="card-form" method="post" action="/gateway/{id}/pay">
              <input type="hidden" name="session" value="s-{id}">
              <label>Card <input name="card_number"></label></form>"#
        ))
        .into_response()
    } else {
        Redirect::to(&format!("/payment/{id}/failed")).into_response()
    }
}

fn mark_paid(shop: &Shop, id: &str) {
    if let Some(payment) = shop.ledger.lock().unwrap().payments.get_mut(id) {
        payment.1 = true;
    }
}

async fn gateway_challenge(
    State(shop): State<Shop>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("code").map(String::as_str) == Some("123456") {
        mark_paid(&shop, &id);
        Redirect::to(&format!("/payment/{id}/success")).into_response()
    } else {
        Redirect::to(&format!("/payment/{id}/failed")).into_response()
    }
}

async fn foreign_page(Path(id): Path<String>) -> Html<String> {
    Html(format!(
        r#"<h1>Bank login for {id}</h1><form action="/login"><input name="user"><input type="password" name="password"></form>"#
    ))
}

/// Pays payment `id` on the test gateway as a person in a browser would,
/// and gives the URL the browser ends on.
pub async fn pay_in_browser(merchant: &Merchant, id: &str) -> String {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/gateway/{id}/pay", merchant.shop.base))
        .form(&[
            ("card_number", "4111111111111111"),
            ("session", &format!("s-{id}")),
        ])
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    format!("{}{location}", merchant.shop.base)
}

async fn landing(Path((id, result)): Path<(String, String)>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html")],
        format!("<p>payment {id}: {result}</p>"),
    )
}

/// Swallows the engine's progress.
pub struct Quiet;

impl Observer for Quiet {
    fn progress(&self, _flow: &'static str, _line: &str) {}
    fn check(&self, _check: &paysandbox::providers::imshop::checks::Check) {}
}

/// Options for a run against `webhook`, with short waits so pending tests
/// stay fast.
pub fn request(webhook: &str, flow: FlowChoice, outcome: Outcome) -> RunRequest {
    RunRequest {
        webhook: webhook.to_owned(),
        flow: Some(flow),
        outcome: Some(outcome),
        timeout_ms: Some(2_000),
        pending_backoff_ms: Some(vec![50, 50, 50, 50]),
        sync_wait_ms: Some(3_000),
        ..RunRequest::default()
    }
}

/// Runs the app's engine in-process with `request`.
pub async fn run_engine(app: &TestApp, request: RunRequest) -> RunReport {
    let imshop = &app.state.imshop;
    let options = RunOptions::parse(request, &imshop.fixture).unwrap();
    imshop
        .engine
        .run("run-test", &options, &Quiet, &NoBrowser)
        .await
}

/// Options for a run of `flow` against `merchant`'s whole checkout:
/// deliveries, payment methods, the order export, then the payment.
pub fn checkout_request(merchant: &Merchant, flow: FlowChoice, outcome: Outcome) -> RunRequest {
    RunRequest {
        methods: Some(merchant.methods.clone()),
        deliveries: Some(merchant.deliveries.clone()),
        orders: Some(merchant.orders.clone()),
        ..request(&merchant.webhook, flow, outcome)
    }
}

/// A fresh app, a merchant with `quirks`, and the report of a checkout
/// run of `flow` against it.
pub async fn checkout_against(
    quirks: &[Quirk],
    flow: FlowChoice,
) -> (TestApp, Merchant, RunReport) {
    let app = crate::helpers::spawn_app().await;
    let shop = merchant(quirks, &sync_url(&app)).await;
    let report = run_engine(&app, checkout_request(&shop, flow, Outcome::Success)).await;
    (app, shop, report)
}

/// A fresh app, a merchant with `quirks`, and the report of one run of
/// `flow` against it.
pub async fn run_against(
    quirks: &[Quirk],
    flow: FlowChoice,
    outcome: Outcome,
) -> (TestApp, Merchant, RunReport) {
    let app = crate::helpers::spawn_app().await;
    let shop = merchant(quirks, &sync_url(&app)).await;
    let report = run_engine(&app, request(&shop.webhook, flow, outcome)).await;
    (app, shop, report)
}

/// The failed checks as `flow/step name` labels, in order.
pub fn failed(report: &RunReport) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Failed)
        .map(|c| c.label())
        .collect()
}

/// The checks with a warning, as labels.
pub fn warned(report: &RunReport) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Warning)
        .map(|c| c.label())
        .collect()
}

/// The check with `label` (`card/create http_200`).
pub fn find<'a>(report: &'a RunReport, label: &str) -> &'a Check {
    report
        .checks
        .iter()
        .find(|c| c.label() == label)
        .unwrap_or_else(|| panic!("no check {label} in {:#?}", labels(report)))
}

/// The message of the check with `label`.
pub fn message<'a>(report: &'a RunReport, label: &str) -> &'a str {
    &find(report, label).message
}

/// What the web view did at each navigation, from the evidence of the
/// check with `label`.
pub fn hop_notes(report: &RunReport, label: &str) -> Vec<String> {
    let hops = find(report, label)
        .evidence
        .hops
        .as_ref()
        .expect("web view evidence");
    hops.iter().map(|h| h.note.clone()).collect()
}

/// Asserts that no check failed, showing every check when one did.
pub fn assert_no_failure(report: &RunReport) {
    assert_eq!(failed(report), Vec::<String>::new(), "{:#?}", report.checks);
}

/// Every check label, for failure messages.
pub fn labels(report: &RunReport) -> Vec<String> {
    report.checks.iter().map(|c| c.label()).collect()
}

/// The sync URL of a test app.
pub fn sync_url(app: &TestApp) -> String {
    app.url("/imshop/sync")
}
