//! The merchant of the browser journeys: a small axum server on
//! `127.0.0.1:0` that records everything it receives (the buyer's browser
//! landing on a return URL, Softline webhooks, IntellectMoney result
//! notifications) and serves pages a merchant's site would (a `Form3DS`).
//!
//! - `GET` any path: a plain "back at the shop" page
//!   (`data-testid="merchant-page"`), or a page stored with [`Merchant::serve`];
//! - `POST` any path: `OK` (what an IntellectMoney ResultUrl must answer;
//!   Softline only looks at the status).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::browser::{Browser, Outcome, tid};
use crate::ensure;

/// One request the merchant received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A field of a form-urlencoded body.
    pub fn form_field(&self, name: &str) -> Option<String> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&self.body)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

#[derive(Clone, Default)]
struct Shop {
    received: Arc<Mutex<Vec<Received>>>,
    pages: Arc<Mutex<HashMap<String, String>>>,
}

/// A merchant on a free port; stops with the test's runtime.
pub struct Merchant {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    shop: Shop,
}

impl Merchant {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shop = Shop::default();
        let app = Router::new().fallback(receive).with_state(shop.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, shop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Serves `html` at `path`, as the merchant's own page.
    pub fn serve(&self, path: &str, html: &str) -> String {
        self.shop
            .pages
            .lock()
            .unwrap()
            .insert(path.to_owned(), html.to_owned());
        self.url(path)
    }

    /// Everything received, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shop.received.lock().unwrap().clone()
    }

    /// What was received with `method` on `path`.
    pub fn received_at(&self, method: Method, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.method == method && r.path == path)
            .collect()
    }

    /// The JSON bodies posted to `path` (webhooks), in order.
    pub fn posted_json(&self, path: &str) -> Vec<Value> {
        self.received_at(Method::POST, path)
            .iter()
            .map(Received::json)
            .collect()
    }

    /// Waits for the browser to land on this merchant's `path` (query
    /// included) and checks the merchant served it.
    pub async fn landed(&self, b: &Browser, path: &str) -> Outcome {
        let expected = self.url(path);
        let landed = b
            .wait_for_url("the merchant's page", |u| u.starts_with(&self.base))
            .await?;
        ensure!(landed == expected, "landed on {landed}, not {expected}");
        let path_only = path.split('?').next().unwrap_or_default();
        ensure!(
            !self.received_at(Method::GET, path_only).is_empty(),
            "the merchant never served {path_only}:\n{}",
            self.log()
        );
        b.find(&tid("merchant-page")).await?;
        Ok(())
    }

    /// What was received, one line each, for failure messages.
    pub fn log(&self) -> String {
        self.received()
            .iter()
            .map(|r| format!("{} {}?{} {}", r.method, r.path, r.query, r.body))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

async fn receive(
    State(shop): State<Shop>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    shop.received.lock().unwrap().push(Received {
        method: method.clone(),
        path: path.clone(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if method == Method::POST {
        return ([(header::CONTENT_TYPE, "text/plain")], "OK").into_response();
    }
    let stored = shop.pages.lock().unwrap().get(&path).cloned();
    match stored {
        Some(page) => Html(page).into_response(),
        None => Html(landing(&path)).into_response(),
    }
}

/// The merchant's "thank you" page: a real page, so a screenshot of where
/// the buyer ends up shows something sensible.
fn landing(path: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Test shop</title></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem">
<h1 data-testid="merchant-page">Back at the test shop</h1><p><code>{path}</code></p></body></html>"#
    )
}
