//! The async payment status sync URL, `POST /imshop/sync`.
//!
//! When a merchant answers `capture` with `pending: true`, IMSHOP.IO waits
//! for the merchant to POST the final status here (2022 docs, "API для
//! асинхронной смены статуса оплаты"). Runs watch the orders and payments
//! they drive on a [`SyncBoard`]; the endpoint hands each report to the run
//! that knows the payment and answers `{"success": true}`, or
//! `{"success": false, "error": "..."}` for a payment no run knows and for a
//! malformed body.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::core::body::RequestBody;
use crate::core::current::State;
use axum::Extension;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::checks::Exchange;
use super::error::{AnswerView, refusal};
use crate::core::journal::JournalObjects;
use crate::core::journal::Message;
use crate::core::scenarios;

/// A well-formed status report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub order_id: String,
    pub payment_id: String,
    /// Always `true` per the docs; kept so a run can say when it is not.
    pub success: bool,
    pub payment_captured: bool,
    /// With `payment_captured: false`: the buyer may pay again, and the
    /// flow restarts at `create`.
    pub retry: bool,
}

/// What reaches a run: a report, or why the body was refused, with the
/// exchange as evidence.
#[derive(Debug, Clone)]
pub struct SyncEvent {
    pub report: Result<SyncReport, String>,
    pub exchange: Arc<Exchange>,
}

/// One run's interest in an order.
#[derive(Debug)]
struct Watcher {
    run_id: String,
    order_id: String,
    events: mpsc::Sender<SyncEvent>,
}

/// Keys are `order:<id>` and `payment:<id>`, both pointing at the watcher.
#[derive(Debug, Default)]
struct Board {
    watchers: HashMap<String, Arc<Watcher>>,
    /// Insertion order, to forget the oldest keys first.
    order: VecDeque<String>,
}

/// The orders and payments runs are watching. Cloning shares it.
#[derive(Clone, Debug)]
pub struct SyncBoard {
    /// A std mutex: every method locks briefly and never awaits.
    inner: Arc<Mutex<Board>>,
    capacity: usize,
}

/// Reports a run may have waiting before it reads them.
const INBOX_SIZE: usize = 16;

impl SyncBoard {
    /// A board that remembers at most `capacity` orders and payments.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// Starts watching `order_id` for `run_id`; reports for it (and for
    /// payments added with [`SyncInbox::watch_payment`]) arrive in the inbox.
    pub fn watch(&self, run_id: &str, order_id: &str) -> SyncInbox {
        let (events, inbox) = mpsc::channel(INBOX_SIZE);
        let watcher = Arc::new(Watcher {
            run_id: run_id.to_owned(),
            order_id: order_id.to_owned(),
            events,
        });
        self.insert(format!("order:{order_id}"), Arc::clone(&watcher));
        SyncInbox {
            board: self.clone(),
            watcher,
            inbox,
        }
    }

    /// Remembers that `order_id` and its payments were a finished run's
    /// (a run restored from a snapshot): a late report for them is
    /// acknowledged, as it was before, and reaches nobody.
    pub fn remember(&self, run_id: &str, order_id: &str, payment_ids: &[String]) {
        // The receiver is dropped at once: a finished run reads nothing.
        let (events, _) = mpsc::channel(1);
        let watcher = Arc::new(Watcher {
            run_id: run_id.to_owned(),
            order_id: order_id.to_owned(),
            events,
        });
        self.insert(format!("order:{order_id}"), Arc::clone(&watcher));
        for payment_id in payment_ids {
            self.insert(format!("payment:{payment_id}"), Arc::clone(&watcher));
        }
    }

    fn insert(&self, key: String, watcher: Arc<Watcher>) {
        let mut board = self.inner.lock().unwrap();
        if board.watchers.insert(key.clone(), watcher).is_none() {
            board.order.push_back(key);
        }
        while board.order.len() > self.capacity {
            if let Some(oldest) = board.order.pop_front() {
                board.watchers.remove(&oldest);
            }
        }
    }

    /// The watcher of a payment, else of its order.
    fn find(&self, payment_id: Option<&str>, order_id: Option<&str>) -> Option<Arc<Watcher>> {
        let board = self.inner.lock().unwrap();
        payment_id
            .and_then(|p| board.watchers.get(&format!("payment:{p}")))
            .or_else(|| order_id.and_then(|o| board.watchers.get(&format!("order:{o}"))))
            .cloned()
    }

    /// Forgets every watcher (reset).
    pub fn clear(&self) {
        *self.inner.lock().unwrap() = Board::default();
    }
}

/// A run's end of the board for one order.
#[derive(Debug)]
pub struct SyncInbox {
    board: SyncBoard,
    watcher: Arc<Watcher>,
    inbox: mpsc::Receiver<SyncEvent>,
}

impl SyncInbox {
    /// Reports naming this payment reach this inbox too.
    pub fn watch_payment(&self, payment_id: &str) {
        self.board
            .insert(format!("payment:{payment_id}"), Arc::clone(&self.watcher));
    }

    /// The next report. Never ends on its own: the inbox holds a sender
    /// itself (through the watcher), so the channel stays open.
    pub async fn next(&mut self) -> SyncEvent {
        match self.inbox.recv().await {
            Some(event) => event,
            None => std::future::pending().await,
        }
    }

    /// Drops reports that arrived before now (a restarted flow starts clean).
    pub fn drain(&mut self) {
        while self.inbox.try_recv().is_ok() {}
    }
}

/// Reads a sync body into a report, naming the first problem.
pub fn read_report(body: &Value) -> Result<SyncReport, String> {
    let Some(object) = body.as_object() else {
        return Err("the body must be a JSON object".to_owned());
    };
    let text = |name: &str| match object.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("{name} is empty")),
        Some(other) => Err(format!(
            "{name} is {}, expected a string",
            super::wire::type_name(other)
        )),
        None => Err(format!("{name} is missing")),
    };
    let flag = |name: &str, required: bool| match object.get(name) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!(
            "{name} is {}, expected a boolean",
            super::wire::type_name(other)
        )),
        None if required => Err(format!("{name} is missing")),
        None => Ok(false),
    };
    Ok(SyncReport {
        order_id: text("orderId")?,
        payment_id: text("paymentId")?,
        success: flag("success", true)?,
        payment_captured: flag("paymentCaptured", true)?,
        retry: flag("retry", false)?,
    })
}

/// The answer to a report no run is waiting for.
fn unknown_payment(payment_id: &str, order_id: &str) -> Value {
    refusal(&format!(
        "unknown payment: no run knows paymentId {payment_id:?} of orderId {order_id:?}"
    ))
}

/// An id as sent, for finding the watcher even when its type is wrong.
fn loose_id(body: &Value, name: &str) -> Option<String> {
    match body.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `POST /imshop/sync`: the merchant reports a payment's final status.
///
/// The API key is accepted (as `Authorization: Bearer`, a `key` header or a
/// `key` field) but not required: the docs do not say how IMSHOP checks it.
#[utoipa::path(
    post, path = "/sync", tag = "imshop",
    request_body(content = String, description = "`{orderId, paymentId, success, paymentCaptured, retry?}`", content_type = "application/json"),
    responses(
        (status = 200, description = "`{\"success\": true}` for a payment a run knows, `{\"success\": false, \"error\"}` otherwise", body = AnswerView, examples(
            ("known payment" = (value = json!({"success": true}))),
            ("unknown payment" = (value = json!(unknown_payment("7d05", "12345")))),
        )),
        (status = 400, description = "Malformed body: `{\"success\": false, \"error\"}`", body = AnswerView, example = json!(refusal("orderId is missing"))),
    )
)]
// Docs: https://docs.imshop.io/api/extra-integrations/acquiring-webhook (API для асинхронной смены статуса оплаты)
pub async fn sync_payment(
    State(state): State<super::State>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    let parsed: Result<Value, String> =
        serde_json::from_slice(&body).map_err(|e| format!("the body is not JSON: {e}"));
    let (payment_id, order_id) = parsed.as_ref().map_or((None, None), |value| {
        (loose_id(value, "paymentId"), loose_id(value, "orderId"))
    });
    let report = parsed.as_ref().map_err(Clone::clone).and_then(read_report);
    // A forced `imshop.sync.unknown_payment` (on a well-formed report) takes
    // the unknown-payment path below: the watcher is not looked up.
    let forced = match (&report, &parsed) {
        (Ok(_), Ok(value)) => state.core.scenarios.forced(
            super::scenarios::SYNC,
            scenarios::header_of(&headers),
            &|name| scenarios::json_field(value, name),
        ),
        _ => None,
    };
    let watcher = match forced {
        Some(_) => None,
        None => state.sync.find(payment_id.as_deref(), order_id.as_deref()),
    };

    let (status, answer) = match (&report, &watcher) {
        (Err(error), _) => (StatusCode::BAD_REQUEST, refusal(error)),
        (Ok(report), None) => (
            StatusCode::OK,
            unknown_payment(&report.payment_id, &report.order_id),
        ),
        (Ok(_), Some(_)) => (StatusCode::OK, json!({"success": true})),
    };

    let mut objects: Vec<String> = order_id.iter().chain(payment_id.iter()).cloned().collect();
    if let Some(watcher) = &watcher {
        if !objects.contains(&watcher.order_id) {
            objects.push(watcher.order_id.clone());
        }
        objects.push(watcher.run_id.clone());
        let limit = state.core.journal.body_limit();
        let answer_text = answer.to_string();
        let exchange = Arc::new(Exchange {
            method: "POST".to_owned(),
            url: state.core.public_url.scoped("/imshop/sync"),
            request: Message::capture(
                headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.to_str().unwrap_or("<binary>"))),
                headers.get("content-type").and_then(|v| v.to_str().ok()),
                &body,
                limit,
            ),
            status: Some(status.as_u16()),
            response: Some(Message::capture(
                [("content-type", "application/json")],
                Some("application/json"),
                answer_text.as_bytes(),
                limit,
            )),
            error: None,
            elapsed_ms: 0.0,
        });
        // A full inbox means the run is not reading (it finished): the
        // report is still acknowledged, as IMSHOP would.
        let _ = watcher.events.try_send(SyncEvent {
            report: report.clone(),
            exchange,
        });
    }
    (
        status,
        Extension(JournalObjects(objects)),
        axum::Json(answer),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_body_is_a_report() {
        let body = json!({"orderId": "12345", "paymentId": "7d05", "success": true, "paymentCaptured": true});
        assert_eq!(
            read_report(&body),
            Ok(SyncReport {
                order_id: "12345".into(),
                payment_id: "7d05".into(),
                success: true,
                payment_captured: true,
                retry: false,
            })
        );
    }

    #[test]
    fn each_malformed_field_is_named() {
        let cases = [
            (json!([]), "the body must be a JSON object"),
            (
                json!({"paymentId": "p", "success": true, "paymentCaptured": true}),
                "orderId is missing",
            ),
            (
                json!({"orderId": 1, "paymentId": "p", "success": true, "paymentCaptured": true}),
                "orderId is a number, expected a string",
            ),
            (
                json!({"orderId": "1", "paymentId": "p", "success": true, "paymentCaptured": "yes"}),
                "paymentCaptured is a string, expected a boolean",
            ),
            (
                json!({"orderId": "1", "paymentId": "p", "success": true, "paymentCaptured": false, "retry": 1}),
                "retry is a number, expected a boolean",
            ),
        ];
        for (body, error) in cases {
            assert_eq!(read_report(&body), Err(error.to_owned()), "{body}");
        }
    }

    #[tokio::test]
    async fn a_report_reaches_the_run_by_payment_or_by_order() {
        let board = SyncBoard::new(10);
        let inbox = board.watch("run-1", "42");
        assert!(board.find(Some("p1"), None).is_none());
        inbox.watch_payment("p1");
        assert_eq!(board.find(Some("p1"), None).unwrap().run_id, "run-1");
        assert_eq!(
            board.find(Some("other"), Some("42")).unwrap().run_id,
            "run-1"
        );
    }

    #[test]
    fn the_board_forgets_the_oldest_keys_beyond_its_capacity() {
        let board = SyncBoard::new(2);
        let _a = board.watch("r", "1");
        let _b = board.watch("r", "2");
        let _c = board.watch("r", "3");
        assert!(board.find(None, Some("1")).is_none());
        assert!(board.find(None, Some("3")).is_some());
    }
}
