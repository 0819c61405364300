//! The flows, as the app and IMSHOP.IO go through them: `card` (`create`
//! → the payment page → `capture`, then `capture` again), `applepay` and
//! `googlepay` (one wallet command), the follow-up of a `pending` payment,
//! the restart a `retry` asks for, and the run-wide `capture` of a payment
//! nobody issued. The calls go through [`super::webhook`], the answers to
//! [`super::judge`]; this file decides what comes next.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Serialize;
use serde_json::json;

use super::judge::{self, Step};
use super::webhook::Filing;
use super::{Browser, Engine, Observer};
use crate::core::Core;
use crate::providers::imshop::checks::{Check, CheckName, CheckStatus, Evidence, Exchange, Scope};
use crate::providers::imshop::options::{Flow, Outcome, RunOptions};
use crate::providers::imshop::report::{BrowserWait, CheckoutSummary, OrderSummary};
use crate::providers::imshop::sync::{SyncInbox, SyncReport};
use crate::providers::imshop::wire::{
    Answer, CaptureRequest, Command, CreateRequest, WalletRequest,
};

/// The order a flow pays.
#[derive(Debug, Clone)]
pub(super) struct Order {
    /// `orderId`: the exported order number after an order export.
    pub order_id: String,
    pub order_uuid: String,
    /// `paymentMethodId` of the payment calls: the fixture's, or the
    /// method the payment-methods webhook offered.
    pub payment_method_id: String,
    /// The order export gave `order_id`: payment answers naming an
    /// `orderId` must name it.
    pub exported: bool,
    /// What the checkout chose, for the report.
    pub checkout: Option<CheckoutSummary>,
}

/// One call to the webhook and its answer, when it was a JSON object.
pub(super) struct Call {
    pub exchange: Arc<Exchange>,
    pub answer: Option<Answer>,
}

/// Where a settlement ended.
enum Settled {
    /// An answer with `pending` not set (from the first command or a
    /// `capture`), and the step that got it.
    Answer {
        exchange: Arc<Exchange>,
        step: String,
    },
    /// The merchant's report on `/imshop/sync`.
    Sync(SyncReport, Arc<Exchange>),
    /// Nothing final: still pending, or a call failed (already reported).
    Nothing,
}

/// The flow's position: which flow, which attempt, which order.
pub(super) struct Position<'o> {
    pub flow: Flow,
    /// Where checks are filed: the flow, or `run` for run-wide probes.
    pub scope: Scope,
    pub attempt: u8,
    pub order: &'o Order,
    pub payment_id: Option<String>,
}

impl Position<'_> {
    /// Where the checks of `step` are filed.
    pub fn step<'s>(&self, step: &'s str) -> Step<'s> {
        Step {
            flow: self.scope,
            name: step,
            attempt: self.attempt,
        }
    }

    /// What the journal files the calls of `step` under.
    pub fn filing(&self, run_id: &str, step: &str) -> Filing {
        let mut objects = vec![run_id.to_owned()];
        // The run-wide probe has no order.
        objects.extend(
            Some(&self.order.order_id)
                .filter(|id| !id.is_empty())
                .into_iter()
                .chain(self.payment_id.as_ref())
                .cloned(),
        );
        Filing {
            run_id: run_id.to_owned(),
            objects,
            what: format!("{}/{step}", self.scope),
        }
    }

    /// The payment `create` (or the wallet command) returned, if any.
    fn expected_payment_id(&self) -> &str {
        self.payment_id.as_deref().unwrap_or_default()
    }
}

/// A run in progress: collects checks and reports them to the observer.
pub(super) struct Recorder<'a> {
    pub engine: &'a Engine,
    pub run_id: &'a str,
    pub options: &'a RunOptions,
    pub observer: &'a dyn Observer,
    pub checks: Vec<Check>,
    pub orders: Vec<OrderSummary>,
    /// The first payment page nobody could finish.
    pub unfinished_page: Option<BrowserWait>,
    /// The unknown-method probe ran (once per run).
    pub probed_unknown_method: bool,
}

impl Recorder<'_> {
    pub(super) fn push(&mut self, check: Check) {
        self.observer.check(&check);
        self.checks.push(check);
    }

    pub(super) fn push_all(&mut self, checks: Vec<Check>) {
        for check in checks {
            self.push(check);
        }
    }

    pub(super) fn progress(&self, scope: Scope, line: &str) {
        self.observer.progress(scope, line);
    }

    /// One flow, restarted once if the merchant asks for a retry.
    /// The checkout steps come first: the order they export is the one
    /// paid.
    pub(super) async fn flow(&mut self, flow: Flow, order: Order, browser: &dyn Browser) {
        let Some(order) = self.checkout(flow, order).await else {
            return;
        };
        let mut inbox = self.engine.sync.watch(self.run_id, &order.order_id);
        self.orders.push(OrderSummary {
            flow,
            order_id: order.order_id.clone(),
            order_uuid: order.order_uuid.clone(),
            payment_ids: Vec::new(),
            checkout: order.checkout.clone(),
        });
        // Only the checkout was asked for.
        if self.options.webhook.is_none() {
            return;
        }
        for attempt in 1..=2 {
            inbox.drain();
            let mut at = Position {
                flow,
                scope: flow.as_str(),
                attempt,
                order: &order,
                payment_id: None,
            };
            let restart = match flow {
                Flow::Card => self.card(&mut at, &mut inbox, browser).await,
                Flow::Applepay | Flow::Googlepay => self.wallet(&mut at, &mut inbox).await,
            };
            if !restart {
                break;
            }
            self.progress(
                at.scope,
                &format!(
                    "the merchant asked for a retry: the flow starts again at {}",
                    flow.command()
                ),
            );
        }
    }

    /// The card flow; true when the merchant asked for a retry.
    async fn card(
        &mut self,
        at: &mut Position<'_>,
        inbox: &mut SyncInbox,
        browser: &dyn Browser,
    ) -> bool {
        let engine = self.engine;
        let body = CreateRequest {
            command: "create",
            payment_method_id: &at.order.payment_method_id,
            order_uuid: &at.order.order_uuid,
            order_id: &at.order.order_id,
            return_url: &engine.fixture.return_url,
        };
        let call = self.call(at, "create", Some(Command::Create), &body).await;
        let Some(answer) = call.answer else {
            return false;
        };
        self.order_number(at, "create", &call.exchange, &answer);
        self.push_all(judge::created(at.step("create"), &call.exchange));
        // A refusal, or a `success` that is not a boolean: judged already.
        if answer.success() != Some(true) {
            return false;
        }
        // What the web view needs: the URL it can open and the regexes
        // that compiled (the verdicts themselves were filed above).
        let (_, _, payment_url) = judge::payment_url_verdict(&answer);
        let (regexes, ..) = judge::regexes_verdict(&answer, payment_url.as_ref());
        let (Some(payment_id), Some(payment_url)) = (answer.text("paymentId"), payment_url) else {
            self.progress(
                at.scope,
                "create gave no paymentId or no usable paymentUrl: the flow cannot go on",
            );
            return false;
        };
        self.remember_payment(at, inbox, payment_id);

        if !self.web_view(at, payment_url, &regexes, browser).await {
            return false;
        }

        // capture, repeated while pending, then once more for idempotency.
        let capture = self.capture(at, "capture").await;
        let Some(first) = capture.answer else {
            return false;
        };
        let settled = if first.pending() {
            self.resolve_pending(at, inbox).await
        } else {
            Settled::Answer {
                exchange: capture.exchange,
                step: "capture".to_owned(),
            }
        };
        let restart = self.judge_settlement(at, &settled);
        if let Settled::Answer { exchange, .. } = &settled {
            self.repeat_capture(at, exchange).await;
        }
        restart
    }

    /// The wallet flows; true when the merchant asked for a retry.
    async fn wallet(&mut self, at: &mut Position<'_>, inbox: &mut SyncInbox) -> bool {
        let engine = self.engine;
        let cryptogram = cryptogram(
            at.flow,
            self.options.outcome,
            &at.order.order_id,
            &engine.core,
        );
        let body = WalletRequest {
            command: at.flow.command(),
            payment_method_id: &at.order.payment_method_id,
            order_uuid: &at.order.order_uuid,
            order_id: &at.order.order_id,
            apple_pay_data: (at.flow == Flow::Applepay).then_some(cryptogram.as_str()),
            android_pay_data: (at.flow == Flow::Googlepay).then_some(cryptogram.as_str()),
        };
        let call = self
            .call(at, at.flow.command(), Some(Command::Wallet), &body)
            .await;
        let Some(answer) = call.answer else {
            return false;
        };
        self.order_number(at, at.flow.command(), &call.exchange, &answer);
        if let Some(payment_id) = answer.text("paymentId").map(str::to_owned) {
            self.remember_payment(at, inbox, &payment_id);
        }
        let settled = if answer.success() == Some(true) && answer.pending() {
            self.resolve_pending(at, inbox).await
        } else {
            Settled::Answer {
                exchange: call.exchange,
                step: at.flow.command().to_owned(),
            }
        };
        self.judge_settlement(at, &settled)
    }

    /// The cross-step checks of the first payment answer:
    /// `payment_method_accepted` after a payment-methods step,
    /// `order_number_consistent` for an exported order.
    fn order_number(
        &mut self,
        at: &Position<'_>,
        step: &str,
        exchange: &Arc<Exchange>,
        answer: &Answer,
    ) {
        if self.options.checkout.methods.is_some()
            && let Some(check) = judge::checkout::method_refused(
                at.step(step),
                exchange,
                answer,
                &at.order.payment_method_id,
            )
        {
            self.push(check);
        }
        if at.order.exported {
            self.push(judge::checkout::order_number(
                at.step(step),
                exchange,
                answer.0.get("orderId"),
                &at.order.order_id,
            ));
        }
    }

    fn remember_payment(&mut self, at: &mut Position<'_>, inbox: &SyncInbox, payment_id: &str) {
        inbox.watch_payment(payment_id);
        at.payment_id = Some(payment_id.to_owned());
        if let Some(order) = self.orders.last_mut()
            && !order.payment_ids.iter().any(|p| p == payment_id)
        {
            order.payment_ids.push(payment_id.to_owned());
        }
    }

    /// Sends one command and judges what every answer must be (and, with
    /// the `command` it answers, its fields).
    pub(super) async fn call<B: Serialize>(
        &mut self,
        at: &Position<'_>,
        step: &str,
        command: Option<Command>,
        body: &B,
    ) -> Call {
        let options = self.options;
        let url = options
            .webhook
            .as_ref()
            .map(|u| u.as_str())
            .unwrap_or_default();
        self.progress(at.scope, &format!("{step}: POST {url}"));
        let filing = at.filing(self.run_id, step);
        let exchange = self.engine.call_webhook(options, body, &filing).await;
        self.push_all(judge::answer(
            at.step(step),
            &exchange,
            command,
            options.timeout,
        ));
        let answer = judge::answer_of(&exchange);
        let line = match (exchange.status, &answer) {
            (None, _) => match &exchange.error {
                Some(error) => format!("{step}: no answer ({error})"),
                None => format!("{step}: no answer"),
            },
            (Some(status), None) => format!("{step}: answered {status}, not JSON"),
            (Some(status), Some(answer)) => {
                format!("{step}: answered {status} {}", answer.settlement_key())
            }
        };
        self.progress(at.scope, &line);
        Call { exchange, answer }
    }

    /// One `capture` of the flow's payment, judged.
    async fn capture(&mut self, at: &Position<'_>, step: &str) -> Call {
        let payment_id = at.payment_id.clone().unwrap_or_default();
        let body = CaptureRequest {
            command: "capture",
            payment_method_id: &at.order.payment_method_id,
            payment_id: &payment_id,
        };
        let call = self.call(at, step, Some(Command::Capture), &body).await;
        self.push_all(judge::capture_payment_id(
            at.step(step),
            &call.exchange,
            at.expected_payment_id(),
        ));
        call
    }

    /// Follows a `pending` payment: `capture` again on the back-off, and
    /// the merchant's report on `/imshop/sync`, whichever settles it first.
    async fn resolve_pending(&mut self, at: &Position<'_>, inbox: &mut SyncInbox) -> Settled {
        let options = self.options;
        let started = Instant::now();
        self.progress(
            at.scope,
            &format!(
                "pending: repeating capture ({} times at most) and waiting up to {} ms for POST {}",
                options.pending_backoff.len(),
                options.sync_wait.as_millis(),
                self.engine.sync_url()
            ),
        );
        let sync_deadline = tokio::time::Instant::now() + options.sync_wait;
        // Without a paymentId there is nothing to capture: only the sync
        // report can settle it.
        let schedule: &[Duration] = if at.payment_id.is_some() {
            &options.pending_backoff
        } else {
            &[]
        };
        let mut polls = schedule.iter();
        let mut next_poll = polls.next().map(|wait| tokio::time::Instant::now() + *wait);
        let mut poll_number = 1;
        let settled = loop {
            let wake = match next_poll {
                Some(poll) => poll,
                None => sync_deadline,
            };
            match tokio::time::timeout_at(wake, inbox.next()).await {
                Ok(event) => {
                    self.push_all(judge::sync_report(
                        at.step("sync"),
                        &event,
                        at.expected_payment_id(),
                    ));
                    if let Ok(report) = event.report {
                        if at.order.exported {
                            let named = serde_json::Value::String(report.order_id.clone());
                            self.push(judge::checkout::order_number(
                                at.step("sync"),
                                &event.exchange,
                                Some(&named),
                                &at.order.order_id,
                            ));
                        }
                        self.progress(
                            at.scope,
                            &format!(
                                "sync: paymentCaptured {} retry {}",
                                report.payment_captured, report.retry
                            ),
                        );
                        break Settled::Sync(report, event.exchange);
                    }
                }
                Err(_elapsed) => {
                    if next_poll.is_none() {
                        break Settled::Nothing;
                    }
                    poll_number += 1;
                    next_poll = polls.next().map(|wait| tokio::time::Instant::now() + *wait);
                    let step = format!("capture_{poll_number}");
                    let call = self.capture(at, &step).await;
                    match call.answer {
                        Some(answer) if !answer.pending() => {
                            break Settled::Answer {
                                exchange: call.exchange,
                                step,
                            };
                        }
                        Some(_) => {}
                        None => return Settled::Nothing,
                    }
                }
            }
        };
        let waited = started.elapsed().as_millis();
        let (status, message) = match &settled {
            Settled::Answer { .. } => (
                CheckStatus::Passed,
                format!("capture settled it after {poll_number} calls ({waited} ms)"),
            ),
            Settled::Sync(..) => (
                CheckStatus::Passed,
                format!("the merchant reported it on the sync URL after {waited} ms"),
            ),
            Settled::Nothing => (
                CheckStatus::Failed,
                format!(
                    "still pending after {poll_number} captures and {waited} ms without a POST to {}",
                    self.engine.sync_url()
                ),
            ),
        };
        self.push(at.step("pending").check(
            CheckName::PendingResolved,
            status,
            message,
            Evidence::default(),
        ));
        settled
    }

    /// `payment_captured_agrees` on the settled result; true when the
    /// merchant asked for a retry and the flow restarts.
    fn judge_settlement(&mut self, at: &Position<'_>, settled: &Settled) -> bool {
        let outcome = self.options.outcome;
        match settled {
            Settled::Nothing => {}
            Settled::Sync(report, exchange) => {
                if !report.payment_captured && report.retry {
                    if at.attempt == 1 {
                        return true;
                    }
                    self.progress(at.scope, "retry asked again: a run restarts a flow once");
                }
                let check = judge::sync_settlement(at.step("sync"), report, exchange, outcome);
                self.push(check);
            }
            Settled::Answer { exchange, step } => {
                self.push_all(judge::settlement(at.step(step), exchange, outcome));
            }
        }
        false
    }

    /// `capture` once more: the same answer must come back.
    async fn repeat_capture(&mut self, at: &Position<'_>, first: &Exchange) {
        let step = "capture_repeat";
        let call = self.capture(at, step).await;
        self.push_all(judge::capture_repeated(
            at.step(step),
            first,
            &call.exchange,
        ));
    }

    /// `capture` of a paymentId nobody issued must be refused.
    pub(super) async fn unknown_capture(&mut self) {
        let engine = self.engine;
        let order = Order {
            order_id: String::new(),
            order_uuid: String::new(),
            payment_method_id: String::new(),
            exported: false,
            checkout: None,
        };
        let at = Position {
            flow: Flow::Card,
            scope: "run",
            attempt: 1,
            order: &order,
            payment_id: None,
        };
        let payment_id = format!("paysandbox-unknown-{}", engine.core.ids.hex(12));
        let body = CaptureRequest {
            command: "capture",
            payment_method_id: self
                .options
                .flows
                .first()
                .copied()
                .unwrap_or(Flow::Card)
                .payment_method_id(&engine.fixture),
            payment_id: &payment_id,
        };
        let step = "unknown_capture";
        let call = self.call(&at, step, None, &body).await;
        self.push_all(judge::unknown_capture(
            at.step(step),
            &call.exchange,
            &payment_id,
        ));
    }
}

/// The wallet cryptogram, base64. Its content decides nothing on IMSHOP's
/// side; by the sandbox convention (which the reference merchant follows)
/// a failure run's decoded text contains the word `decline`.
fn cryptogram(flow: Flow, outcome: Outcome, order_id: &str, core: &Core) -> String {
    let result = match outcome {
        Outcome::Success => "approve",
        Outcome::Failure => "decline",
    };
    let text = json!({
        "version": "EC_v1",
        "wallet": flow.as_str(),
        "orderId": order_id,
        "data": core.ids.hex(64),
        "sandbox": result,
    })
    .to_string();
    base64::engine::general_purpose::STANDARD.encode(text)
}
