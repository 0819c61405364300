//! The run engine: plays IMSHOP.IO and the mobile app against a merchant's
//! payments webhook, flow by flow, and reports every named check.
//!
//! Library code: the CLI (`paysandbox imshop run`), the runs API
//! (`POST /imshop/runs`) and the dashboard all drive [`Engine::run`], and
//! watch it through an [`Observer`].
//!
//! A flow, as the docs describe it:
//! - `card`: `create` → the app opens `paymentUrl` in a web view and
//!   watches the redirects → `capture` when the buyer leaves the screen;
//! - `applepay` / `googlepay`: `applepay` / `androidpay` with a base64
//!   cryptogram, charged at once.
//!
//! `pending: true` is followed up in both documented readings at once:
//! `capture` is repeated on the fixture's back-off, and the merchant's POST
//! to `/imshop/sync` is awaited; `retry: true` with `paymentCaptured: false`
//! restarts the flow at its first command, once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::future::BoxFuture;
use regex::Regex;
use serde::Serialize;
use serde_json::json;

use super::checks::{Check, CheckName, CheckStatus, Evidence, Exchange, Hop, Scope};
use super::options::{Flow, Outcome, RunOptions, WebViewMode};
use super::report::{BrowserWait, OrderSummary, RunReport};
use super::sync::{SyncBoard, SyncEvent, SyncInbox, SyncReport};
use super::webview::{End, Navigation, Regexes, WebView, Which};
use super::wire::{Answer, CaptureRequest, Command, CreateRequest, WalletRequest};
use super::{Fixture, NAME};
use crate::core::Core;
use crate::core::http_client::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use crate::core::journal::{Entry, EntryKind, Message};

/// What watches a run as it goes.
pub trait Observer: Send + Sync {
    /// A step began or ended (`card: create → POST …`).
    fn progress(&self, flow: Scope, line: &str);
    /// A check was judged.
    fn check(&self, check: &Check);
}

/// Someone who can finish a payment page in a real browser.
pub trait Browser: Send + Sync {
    /// Hands `page_url` over and waits for the URL the browser ended on;
    /// `None` when nobody can or did.
    fn finish<'a>(&'a self, flow: Flow, page_url: &'a str) -> BoxFuture<'a, Option<String>>;
}

/// Nobody: the CLI runs unattended.
pub struct NoBrowser;

impl Browser for NoBrowser {
    fn finish<'a>(&'a self, _flow: Flow, _page_url: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }
}

/// The engine and what it needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Engine {
    pub core: Core,
    pub fixture: Arc<Fixture>,
    pub sync: SyncBoard,
    /// Reads bigger answers than the core's webhook client: payment pages
    /// are whole HTML documents.
    client: HttpClient,
}

/// The most of an answer a run reads.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

impl Engine {
    pub fn new(core: Core, fixture: Arc<Fixture>, sync: SyncBoard) -> Self {
        let client = HttpClient::new(Duration::from_millis(fixture.timeout_ms), MAX_ANSWER_BYTES);
        Self {
            core,
            fixture,
            sync,
            client,
        }
    }

    /// A fresh run id (`run-` and 12 hex digits from the seeded generator).
    pub fn new_run_id(&self) -> String {
        format!("run-{}", self.core.ids.hex(12))
    }

    /// Runs every flow of `options`, then the unknown-payment probe, and
    /// reports.
    pub async fn run(
        &self,
        run_id: &str,
        options: &RunOptions,
        observer: &dyn Observer,
        browser: &dyn Browser,
    ) -> RunReport {
        let started_at = self.core.clock.now();
        let started = Instant::now();
        let mut run = Recorder {
            engine: self,
            run_id,
            options,
            observer,
            checks: Vec::new(),
            orders: Vec::new(),
            unfinished_page: None,
        };
        observer.progress(
            "run",
            &format!(
                "run {run_id}: {} against {} (outcome {})",
                options
                    .flows
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                options.webhook,
                options.outcome.as_str()
            ),
        );
        let several = options.flows.len() > 1;
        for &flow in &options.flows {
            let order = self.order_for(options, flow, several);
            run.flow(flow, order, browser).await;
        }
        run.unknown_capture().await;

        let Recorder {
            checks,
            orders,
            unfinished_page,
            ..
        } = run;
        let mut report = RunReport::new(
            run_id,
            options,
            started_at,
            started.elapsed(),
            checks,
            orders,
            self.sync_url(),
        );
        report.needs_browser = unfinished_page;
        report
    }

    /// Where merchants report late results.
    pub fn sync_url(&self) -> String {
        self.core.public_url.join("/imshop/sync")
    }

    /// The order a flow pays: given ids (suffixed with the flow when a run
    /// has several, since an order is paid once) or generated ones.
    fn order_for(&self, options: &RunOptions, flow: Flow, several: bool) -> Order {
        let suffix = |id: &str| {
            if several {
                format!("{id}-{}", flow.as_str())
            } else {
                id.to_owned()
            }
        };
        Order {
            order_id: options.order_id.as_deref().map_or_else(
                || self.core.ids.number(10_000_000..100_000_000).to_string(),
                suffix,
            ),
            order_uuid: options
                .order_uuid
                .as_deref()
                .map_or_else(|| self.core.ids.uuid().to_string(), suffix),
        }
    }

    /// `MM/YY` three years ahead of the sandbox clock.
    fn card_expiry(&self) -> String {
        let now = self.core.clock.now();
        format!("{:02}/{:02}", u8::from(now.month()), (now.year() + 3) % 100)
    }
}

/// The order a flow pays.
#[derive(Debug, Clone)]
struct Order {
    order_id: String,
    order_uuid: String,
}

/// One call to the webhook and what the generic checks made of it.
struct Call {
    exchange: Arc<Exchange>,
    /// The answer when it was a JSON object.
    answer: Option<Answer>,
}

/// Where a settlement ended.
enum Settled {
    /// An answer with `pending` not set (from the first command or a
    /// `capture`), and the step that got it.
    Answer(Answer, Arc<Exchange>, String),
    /// The merchant's report on `/imshop/sync`.
    Sync(SyncReport, Arc<Exchange>),
    /// Nothing final: still pending, or a call failed (already reported).
    Nothing,
}

/// The flow's position: which flow, which attempt, which order.
struct Position<'o> {
    flow: Flow,
    /// Where checks are filed: the flow, or `run` for run-wide probes.
    scope: Scope,
    attempt: u8,
    order: &'o Order,
    payment_id: Option<String>,
}

impl Position<'_> {
    fn scope(&self) -> Scope {
        self.scope
    }
}

/// A run in progress: collects checks and reports them to the observer.
struct Recorder<'a> {
    engine: &'a Engine,
    run_id: &'a str,
    options: &'a RunOptions,
    observer: &'a dyn Observer,
    checks: Vec<Check>,
    orders: Vec<OrderSummary>,
    /// The first payment page nobody could finish.
    unfinished_page: Option<BrowserWait>,
}

impl Recorder<'_> {
    fn check(
        &mut self,
        at: &Position<'_>,
        step: &str,
        name: CheckName,
        status: CheckStatus,
        message: impl Into<String>,
        evidence: Evidence,
    ) {
        self.push(Check {
            flow: at.scope(),
            step: step.to_owned(),
            attempt: at.attempt,
            name,
            status,
            message: message.into(),
            evidence,
        });
    }

    fn push(&mut self, check: Check) {
        self.observer.check(&check);
        self.checks.push(check);
    }

    fn progress(&self, scope: Scope, line: &str) {
        self.observer.progress(scope, line);
    }

    /// One flow, restarted once if the merchant asks for a retry.
    async fn flow(&mut self, flow: Flow, order: Order, browser: &dyn Browser) {
        let mut inbox = self.engine.sync.watch(self.run_id, &order.order_id);
        self.orders.push(OrderSummary {
            flow,
            order_id: order.order_id.clone(),
            order_uuid: order.order_uuid.clone(),
            payment_ids: Vec::new(),
        });
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
                at.scope(),
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
            payment_method_id: at.flow.payment_method_id(&engine.fixture),
            order_uuid: &at.order.order_uuid,
            order_id: &at.order.order_id,
            return_url: &engine.fixture.return_url,
        };
        let call = self.call(at, "create", Command::Create, &body).await;
        let Some(answer) = call.answer else {
            return false;
        };
        match answer.success() {
            Some(true) => self.check(
                at,
                "create",
                CheckName::PaymentCreated,
                CheckStatus::Passed,
                "success: true",
                Evidence::exchange(&call.exchange),
            ),
            Some(false) => {
                // Even a payment that will be declined is created first:
                // the decline happens on the payment page.
                self.check(
                    at,
                    "create",
                    CheckName::PaymentCreated,
                    CheckStatus::Failed,
                    format!(
                        "create refused the order ({}): the buyer never reaches a payment page",
                        answer.text("error").map_or_else(
                            || "without an error text".to_owned(),
                            |e| format!("error: {e:?}")
                        )
                    ),
                    Evidence::exchange(&call.exchange),
                );
                return false;
            }
            // success_boolean already failed.
            None => return false,
        }
        // paymentUrl and the regexes.
        let payment_url = self.check_payment_url(at, &answer, &call.exchange);
        let regexes = self.check_regexes(at, &answer, &call.exchange, payment_url.as_ref());
        let (Some(payment_id), Some(payment_url)) = (answer.text("paymentId"), payment_url) else {
            self.progress(
                at.scope(),
                "create gave no paymentId or no usable paymentUrl: the flow cannot go on",
            );
            return false;
        };
        self.remember_payment(at, inbox, payment_id);

        // The web view.
        if !self.web_view(at, payment_url, &regexes, browser).await {
            return false;
        }

        // capture, repeated while pending, then once more for idempotency.
        let capture = self.capture(at, "capture").await;
        let Some(first) = capture.answer.clone() else {
            return false;
        };
        let settled = if first.pending() {
            self.resolve_pending(at, inbox).await
        } else {
            Settled::Answer(first, Arc::clone(&capture.exchange), "capture".to_owned())
        };
        let restart = self.judge_settlement(at, &settled);
        if let Settled::Answer(answer, ..) = &settled {
            self.repeat_capture(at, answer).await;
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
            payment_method_id: at.flow.payment_method_id(&engine.fixture),
            order_uuid: &at.order.order_uuid,
            order_id: &at.order.order_id,
            apple_pay_data: (at.flow == Flow::Applepay).then_some(cryptogram.as_str()),
            android_pay_data: (at.flow == Flow::Googlepay).then_some(cryptogram.as_str()),
        };
        let call = self
            .call(at, at.flow.command(), Command::Wallet, &body)
            .await;
        let Some(answer) = call.answer else {
            return false;
        };
        if let Some(payment_id) = answer.text("paymentId").map(str::to_owned) {
            self.remember_payment(at, inbox, &payment_id);
        }
        let settled = if answer.success() == Some(true) && answer.pending() {
            self.resolve_pending(at, inbox).await
        } else {
            Settled::Answer(answer, call.exchange, at.flow.command().to_owned())
        };
        self.judge_settlement(at, &settled)
    }

    fn remember_payment(&mut self, at: &mut Position<'_>, inbox: &SyncInbox, payment_id: &str) {
        inbox.watch_payment(payment_id);
        at.payment_id = Some(payment_id.to_owned());
        if let Some(order) = self.orders.last_mut() {
            if !order.payment_ids.iter().any(|p| p == payment_id) {
                order.payment_ids.push(payment_id.to_owned());
            }
        }
    }

    /// Sends one command and judges what every answer must be.
    async fn call<B: Serialize>(
        &mut self,
        at: &Position<'_>,
        step: &str,
        command: Command,
        body: &B,
    ) -> Call {
        let call = self.send(at, step, body).await;
        let answer = self.judge_answer(at, step, &call, Some(command));
        Call {
            exchange: call,
            answer,
        }
    }

    /// POSTs `body` to the webhook and journals the exchange.
    async fn send<B: Serialize>(
        &mut self,
        at: &Position<'_>,
        step: &str,
        body: &B,
    ) -> Arc<Exchange> {
        let engine = self.engine;
        let json = serde_json::to_vec(body).unwrap_or_default();
        let request =
            OutboundRequest::post(self.options.webhook.to_string(), "application/json", json)
                .header("authorization", format!("Bearer {}", self.options.key))
                .header("accept", "application/json")
                .timeout(self.options.timeout);
        self.progress(
            at.scope(),
            &format!("{step}: POST {}", self.options.webhook),
        );
        let started = Instant::now();
        let result = engine.client.send(request.clone()).await;
        let elapsed = started.elapsed();
        let exchange = Arc::new(exchange_of(
            &request,
            &result,
            elapsed,
            engine.core.journal.body_limit(),
        ));
        let mut objects = vec![self.run_id.to_owned()];
        objects.extend(
            Some(&at.order.order_id)
                .filter(|id| !id.is_empty())
                .into_iter()
                .chain(at.payment_id.as_ref())
                .cloned(),
        );
        self.journal(
            &request,
            &result,
            elapsed,
            objects,
            format!("{}/{step}", at.scope()),
        );
        exchange
    }

    fn journal(
        &self,
        request: &OutboundRequest,
        result: &Result<OutboundResponse, OutboundError>,
        elapsed: Duration,
        objects: Vec<String>,
        summary: String,
    ) {
        let core = &self.engine.core;
        let mut entry = Entry::new(NAME, EntryKind::Outbound);
        entry.objects = objects;
        entry.method = Some(request.method.to_string());
        entry.url = Some(request.url.clone());
        entry.duration_ms = Some(elapsed.as_secs_f64() * 1000.0);
        entry.request = Some(request_message(request, core.journal.body_limit()));
        match result {
            Ok(response) => {
                entry.status = Some(response.status);
                entry.response = Some(response_message(response, core.journal.body_limit()));
                entry.summary = Some(format!("run {}: {summary}", self.run_id));
            }
            Err(err) => {
                entry.summary = Some(format!("run {}: {summary}: {err}", self.run_id));
            }
        }
        core.record(entry);
    }

    /// The checks every answer gets: in time, 200, JSON, `success`, the
    /// command's fields (when `command` is given), and `error` when
    /// `success` is false. The answer comes back when it is a JSON object.
    fn judge_answer(
        &mut self,
        at: &Position<'_>,
        step: &str,
        exchange: &Arc<Exchange>,
        command: Option<Command>,
    ) -> Option<Answer> {
        let evidence = || Evidence::exchange(exchange);
        let timeout_ms = self.options.timeout.as_millis();
        let Some(status) = exchange.status else {
            let error = exchange.error.clone().unwrap_or_default();
            self.check(
                at,
                step,
                CheckName::AnsweredInTime,
                CheckStatus::Failed,
                format!("no answer within the {timeout_ms} ms timeout: {error}"),
                evidence(),
            );
            self.progress(at.scope(), &format!("{step}: no answer ({error})"));
            return None;
        };
        self.check(
            at,
            step,
            CheckName::AnsweredInTime,
            CheckStatus::Passed,
            format!(
                "answered in {:.0} ms (timeout {timeout_ms} ms)",
                exchange.elapsed_ms
            ),
            evidence(),
        );
        let (http_status, http_message) = if status == 200 {
            (CheckStatus::Passed, "HTTP 200".to_owned())
        } else {
            (
                CheckStatus::Failed,
                format!("HTTP {status}; IMSHOP expects 200 (with success: false for a refusal)"),
            )
        };
        self.check(
            at,
            step,
            CheckName::Http200,
            http_status,
            http_message,
            evidence(),
        );

        let body = exchange
            .response
            .as_ref()
            .map(|r| r.raw_body())
            .unwrap_or_default();
        let answer = match Answer::parse(body) {
            Ok(answer) => answer,
            Err(reason) => {
                self.check(
                    at,
                    step,
                    CheckName::JsonBody,
                    CheckStatus::Failed,
                    reason,
                    evidence(),
                );
                self.progress(at.scope(), &format!("{step}: answered {status}, not JSON"));
                return None;
            }
        };
        let content_type = exchange
            .response
            .as_ref()
            .and_then(|r| r.content_type().map(str::to_owned))
            .unwrap_or_default();
        if content_type.to_ascii_lowercase().contains("json") {
            self.check(
                at,
                step,
                CheckName::JsonBody,
                CheckStatus::Passed,
                "a JSON object",
                evidence(),
            );
        } else {
            self.check(
                at,
                step,
                CheckName::JsonBody,
                CheckStatus::Warning,
                format!(
                    "a JSON object, but Content-Type is {content_type:?}, not application/json"
                ),
                evidence(),
            );
        }

        match answer.success() {
            Some(success) => self.check(
                at,
                step,
                CheckName::SuccessBoolean,
                CheckStatus::Passed,
                format!("success: {success}"),
                evidence(),
            ),
            None => self.check(
                at,
                step,
                CheckName::SuccessBoolean,
                CheckStatus::Failed,
                format!(
                    "success is {}, expected a boolean",
                    answer.describe("success")
                ),
                evidence(),
            ),
        }
        if let Some(command) = command {
            let problems = answer.field_problems(command);
            if problems.is_empty() {
                self.check(
                    at,
                    step,
                    CheckName::RequiredFields,
                    CheckStatus::Passed,
                    "every field the answer needs, with its type",
                    evidence(),
                );
            } else {
                self.check(
                    at,
                    step,
                    CheckName::RequiredFields,
                    CheckStatus::Failed,
                    problems.join("; "),
                    evidence(),
                );
            }
            if answer.success() == Some(false) {
                self.check_error_text(at, step, &answer, exchange);
            }
        }
        self.progress(
            at.scope(),
            &format!("{step}: answered {status} {}", answer.settlement_key()),
        );
        Some(answer)
    }

    fn check_error_text(
        &mut self,
        at: &Position<'_>,
        step: &str,
        answer: &Answer,
        exchange: &Arc<Exchange>,
    ) {
        match answer
            .text("error")
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            Some(error) => self.check(
                at,
                step,
                CheckName::ErrorText,
                CheckStatus::Passed,
                format!("error: {error:?}"),
                Evidence::exchange(exchange),
            ),
            None => self.check(
                at,
                step,
                CheckName::ErrorText,
                CheckStatus::Failed,
                format!(
                    "success is false but error is {}; the app has nothing to show the buyer",
                    answer.describe("error")
                ),
                Evidence::exchange(exchange),
            ),
        }
    }

    /// `payment_url_absolute`: the URL the web view can open, if any.
    fn check_payment_url(
        &mut self,
        at: &Position<'_>,
        answer: &Answer,
        exchange: &Arc<Exchange>,
    ) -> Option<reqwest::Url> {
        let (status, message, usable) = payment_url_verdict(answer);
        self.check(
            at,
            "create",
            CheckName::PaymentUrlAbsolute,
            status,
            message,
            Evidence::exchange(exchange),
        );
        usable
    }

    /// `regexes_valid`: both compile and differ. A regex that does not
    /// compile never matches in the web view.
    fn check_regexes(
        &mut self,
        at: &Position<'_>,
        answer: &Answer,
        exchange: &Arc<Exchange>,
        payment_url: Option<&reqwest::Url>,
    ) -> Regexes {
        let (regexes, status, message) = regexes_verdict(answer, payment_url);
        self.check(
            at,
            "create",
            CheckName::RegexesValid,
            status,
            message,
            Evidence::exchange(exchange),
        );
        regexes
    }

    /// Opens the payment page, hands it to a person when the run cannot
    /// drive it, and judges where it ended. False when the flow cannot go
    /// on (the page broke, or nobody finished it).
    async fn web_view(
        &mut self,
        at: &Position<'_>,
        payment_url: reqwest::Url,
        regexes: &Regexes,
        browser: &dyn Browser,
    ) -> bool {
        let engine = self.engine;
        let (end, hops) = if self.options.web_view == WebViewMode::Browser {
            (
                End::NeedsBrowser {
                    url: payment_url.to_string(),
                },
                Vec::new(),
            )
        } else {
            self.progress(at.scope(), &format!("web_view: opening {payment_url}"));
            let run_id = self.run_id.to_owned();
            let mut objects = vec![run_id.clone(), at.order.order_id.clone()];
            objects.extend(at.payment_id.iter().cloned());
            let scope = at.scope();
            let on_navigation = move |nav: Navigation<'_>| {
                let mut entry = Entry::new(NAME, EntryKind::Outbound);
                entry.objects = objects.clone();
                entry.method = Some(nav.request.method.to_string());
                entry.url = Some(nav.request.url.clone());
                entry.request = Some(request_message(
                    nav.request,
                    engine.core.journal.body_limit(),
                ));
                match nav.result {
                    Ok(response) => {
                        entry.status = Some(response.status);
                        entry.duration_ms = Some(response.elapsed.as_secs_f64() * 1000.0);
                        entry.response =
                            Some(response_message(response, engine.core.journal.body_limit()));
                        entry.summary = Some(format!("run {run_id}: {scope}/web_view"));
                    }
                    Err(err) => {
                        entry.summary = Some(format!("run {run_id}: {scope}/web_view: {err}"))
                    }
                }
                engine.core.record(entry);
            };
            let view = WebView {
                client: &engine.client,
                cards: &engine.core.cards,
                outcome: self.options.outcome,
                regexes,
                timeout: self.options.timeout,
                max_hops: engine.fixture.max_web_view_hops,
                expiry: engine.card_expiry(),
                on_navigation: &on_navigation,
            };
            let trip = view.open(payment_url).await;
            (trip.end, trip.hops)
        };
        let mut hops: Vec<Hop> = hops;

        // A page the run cannot fill: a person may finish it.
        let mut by_person = false;
        let end = match end {
            End::NeedsBrowser { url } => {
                self.progress(
                    at.scope(),
                    &format!("web_view: {url} needs a person in a browser"),
                );
                match browser.finish(at.flow, &url).await {
                    Some(final_url) => {
                        by_person = true;
                        hops.push(Hop {
                            method: "BROWSER".to_owned(),
                            url: final_url.clone(),
                            status: None,
                            note: format!("a person finished {url} in a browser and ended here"),
                            elapsed_ms: 0.0,
                        });
                        match regexes.matching(&final_url) {
                            Some(which) => End::Matched {
                                which,
                                url: final_url,
                            },
                            None => End::Left {
                                url: final_url,
                                reason: "the browser ended on a URL no regex matches".to_owned(),
                            },
                        }
                    }
                    None => {
                        self.unfinished_page.get_or_insert(BrowserWait {
                            flow: at.flow,
                            url: url.clone(),
                        });
                        let hops: Arc<[Hop]> = hops.into();
                        self.check(
                            at,
                            "web_view",
                            CheckName::PaymentPageDriven,
                            CheckStatus::Failed,
                            format!("{url} is not a paysandbox page: finish it in a browser (needs_browser)"),
                            Evidence::hops(&hops),
                        );
                        return false;
                    }
                }
            }
            other => other,
        };
        let hops: Arc<[Hop]> = hops.into();
        let evidence = || Evidence::hops(&hops);
        if let End::Broken { url, reason } = &end {
            self.check(
                at,
                "web_view",
                CheckName::PaymentPageDriven,
                CheckStatus::Failed,
                format!("{url}: {reason}"),
                evidence(),
            );
            return false;
        }
        let driven = if by_person {
            "finished by a person in a browser".to_owned()
        } else {
            format!("completed in {} navigations", hops.len())
        };
        self.check(
            at,
            "web_view",
            CheckName::PaymentPageDriven,
            CheckStatus::Passed,
            driven,
            evidence(),
        );

        let outcome = self.options.outcome;
        let (status, message) = match (&end, outcome) {
            (
                End::Matched {
                    which: Which::Success,
                    url,
                },
                Outcome::Success,
            ) => (CheckStatus::Passed, format!("{url} matched successRegex")),
            (
                End::Matched {
                    which: Which::Failure,
                    url,
                },
                Outcome::Failure,
            ) => (CheckStatus::Passed, format!("{url} matched failureRegex")),
            (End::Left { url, reason }, Outcome::Failure) => (
                CheckStatus::Passed,
                format!(
                    "no regex matched and the buyer leaves at {url} ({reason}), as in the app; capture must say not captured"
                ),
            ),
            (End::Matched { which, url }, _) => (
                CheckStatus::Failed,
                format!(
                    "{url} matched {}, but a {} payment must end on {}",
                    which.field(),
                    outcome.as_str(),
                    expected_regex(outcome)
                ),
            ),
            (End::Left { url, reason }, _) => (
                CheckStatus::Failed,
                format!(
                    "no URL matched {}; the web view stopped at {url} ({reason})",
                    expected_regex(outcome)
                ),
            ),
            (End::Broken { .. } | End::NeedsBrowser { .. }, _) => unreachable_end(),
        };
        self.check(
            at,
            "web_view",
            CheckName::RedirectMatched,
            status,
            message,
            evidence(),
        );
        true
    }

    /// One `capture` of the flow's payment, judged.
    async fn capture(&mut self, at: &Position<'_>, step: &str) -> Call {
        let engine = self.engine;
        let payment_id = at.payment_id.clone().unwrap_or_default();
        let body = CaptureRequest {
            command: "capture",
            payment_method_id: at.flow.payment_method_id(&engine.fixture),
            payment_id: &payment_id,
        };
        let call = self.call(at, step, Command::Capture, &body).await;
        if let Some(answer) = &call.answer {
            self.check_payment_id(
                at,
                step,
                answer.text("paymentId"),
                answer.0.contains_key("paymentId"),
                &call.exchange,
            );
        }
        call
    }

    fn check_payment_id(
        &mut self,
        at: &Position<'_>,
        step: &str,
        found: Option<&str>,
        present: bool,
        exchange: &Arc<Exchange>,
    ) {
        let expected = at.payment_id.as_deref().unwrap_or_default();
        let (status, message) = match found {
            Some(found) if found == expected => (
                CheckStatus::Passed,
                format!("paymentId {found:?}, as create answered"),
            ),
            Some(found) => (
                CheckStatus::Failed,
                format!("paymentId {found:?}, but create answered {expected:?}"),
            ),
            // A refusal without paymentId says nothing about consistency.
            None if !present => return,
            None => (CheckStatus::Failed, "paymentId is not a string".to_owned()),
        };
        self.check(
            at,
            step,
            CheckName::PaymentIdConsistent,
            status,
            message,
            Evidence::exchange(exchange),
        );
    }

    /// Follows a `pending` payment: `capture` again on the back-off, and
    /// the merchant's report on `/imshop/sync`, whichever settles it first.
    async fn resolve_pending(&mut self, at: &Position<'_>, inbox: &mut SyncInbox) -> Settled {
        let options = self.options;
        let started = Instant::now();
        self.progress(
            at.scope(),
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
                    if let Some(report) = self.judge_sync(at, &event) {
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
                            break Settled::Answer(answer, call.exchange, step);
                        }
                        Some(_) => {}
                        None => return Settled::Nothing,
                    }
                }
            }
        };
        let waited = started.elapsed().as_millis();
        let (status, message) = match &settled {
            Settled::Answer(..) => (
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
        self.check(
            at,
            "pending",
            CheckName::PendingResolved,
            status,
            message,
            Evidence::default(),
        );
        settled
    }

    /// Judges a sync report; the report when it is well-formed.
    fn judge_sync(&mut self, at: &Position<'_>, event: &SyncEvent) -> Option<SyncReport> {
        let evidence = || Evidence::exchange(&event.exchange);
        match &event.report {
            Err(error) => {
                self.check(
                    at,
                    "sync",
                    CheckName::RequiredFields,
                    CheckStatus::Failed,
                    error.clone(),
                    evidence(),
                );
                None
            }
            Ok(report) => {
                if report.success {
                    self.check(
                        at,
                        "sync",
                        CheckName::RequiredFields,
                        CheckStatus::Passed,
                        format!(
                            "paymentCaptured: {}, retry: {}",
                            report.payment_captured, report.retry
                        ),
                        evidence(),
                    );
                } else {
                    self.check(
                        at,
                        "sync",
                        CheckName::RequiredFields,
                        CheckStatus::Failed,
                        "success is false; the docs say it is always true (paymentCaptured carries the result)",
                        evidence(),
                    );
                }
                self.check_payment_id(at, "sync", Some(&report.payment_id), true, &event.exchange);
                self.progress(
                    at.scope(),
                    &format!(
                        "sync: paymentCaptured {} retry {}",
                        report.payment_captured, report.retry
                    ),
                );
                Some(report.clone())
            }
        }
    }

    /// `payment_captured_agrees` on the settled result; true when the
    /// merchant asked for a retry and the flow restarts.
    fn judge_settlement(&mut self, at: &Position<'_>, settled: &Settled) -> bool {
        let outcome = self.options.outcome;
        let (captured, evidence, step, said) = match settled {
            Settled::Nothing => return false,
            Settled::Sync(report, exchange) => {
                if !report.payment_captured && report.retry {
                    if at.attempt == 1 {
                        return true;
                    }
                    self.progress(at.scope(), "retry asked again: a run restarts a flow once");
                }
                (
                    report.payment_captured,
                    Evidence::exchange(exchange),
                    "sync",
                    format!(
                        "the sync report says paymentCaptured {}",
                        report.payment_captured
                    ),
                )
            }
            Settled::Answer(answer, exchange, step) => {
                let captured =
                    answer.success() == Some(true) && answer.flag("paymentCaptured") == Some(true);
                let said = match (answer.success(), answer.flag("paymentCaptured")) {
                    (Some(false), _) => "the payment was refused (success: false)".to_owned(),
                    (_, Some(c)) => format!("paymentCaptured: {c}"),
                    _ => format!("paymentCaptured is {}", answer.describe("paymentCaptured")),
                };
                (captured, Evidence::exchange(exchange), step.as_str(), said)
            }
        };
        let (status, message) = match (outcome, captured) {
            (Outcome::Success, true) => (
                CheckStatus::Passed,
                format!("{said}: the paid order is captured"),
            ),
            (Outcome::Failure, false) => (
                CheckStatus::Passed,
                format!("{said}: the declined payment is not captured"),
            ),
            (Outcome::Success, false) => (
                CheckStatus::Failed,
                format!(
                    "{said}, but the buyer paid: expected success: true with paymentCaptured: true"
                ),
            ),
            (Outcome::Failure, true) => (
                CheckStatus::Failed,
                format!(
                    "{said}, but the payment was declined: expected paymentCaptured: false or success: false"
                ),
            ),
        };
        self.check(
            at,
            step,
            CheckName::PaymentCapturedAgrees,
            status,
            message,
            evidence,
        );
        false
    }

    /// `capture` once more: the same answer must come back.
    async fn repeat_capture(&mut self, at: &Position<'_>, first: &Answer) {
        let call = self.capture(at, "capture_repeat").await;
        let Some(again) = call.answer else {
            return;
        };
        let (before, after) = (first.settlement_key(), again.settlement_key());
        let (status, message) = if before == after {
            (CheckStatus::Passed, format!("the same answer: {after}"))
        } else {
            (
                CheckStatus::Failed,
                format!("first capture answered {before}, the repeat {after}"),
            )
        };
        self.check(
            at,
            "capture_repeat",
            CheckName::CaptureIdempotent,
            status,
            message,
            Evidence::exchange(&call.exchange),
        );
    }

    /// `capture` of a paymentId nobody issued must be refused.
    async fn unknown_capture(&mut self) {
        let engine = self.engine;
        let order = Order {
            order_id: String::new(),
            order_uuid: String::new(),
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
        let exchange = self.send(&at, step, &body).await;
        let answer = self.judge_answer(&at, step, &exchange, None);
        let Some(answer) = answer else { return };
        let error = answer
            .text("error")
            .map(str::trim)
            .filter(|e| !e.is_empty());
        let (status, message) = match (answer.success(), error) {
            (Some(false), Some(error)) => (CheckStatus::Passed, format!("refused: {error:?}")),
            (Some(false), None) => (
                CheckStatus::Failed,
                format!("refused, but error is {}", answer.describe("error")),
            ),
            _ => (
                CheckStatus::Failed,
                format!(
                    "capture of paymentId {payment_id:?}, which nobody issued, answered success {}: expected success: false with an error",
                    answer.describe("success")
                ),
            ),
        };
        self.check(
            &at,
            step,
            CheckName::UnknownPaymentRefused,
            status,
            message,
            Evidence::exchange(&exchange),
        );
    }
}

/// The `payment_url_absolute` verdict on a `create` answer, and the URL
/// the web view can open when there is one. Pure, so the fuzz target runs
/// exactly what a run does.
pub fn payment_url_verdict(answer: &Answer) -> (CheckStatus, String, Option<reqwest::Url>) {
    let Some(raw) = answer.text("paymentUrl") else {
        return (
            CheckStatus::Failed,
            format!(
                "paymentUrl is {}: the app has no page to open",
                answer.describe("paymentUrl")
            ),
            None,
        );
    };
    let parsed = reqwest::Url::parse(raw).ok().filter(|u| u.host().is_some());
    let (status, message, usable) = match parsed.as_ref().map(reqwest::Url::scheme) {
        Some("https") => (
            CheckStatus::Passed,
            format!("{raw} is absolute https"),
            true,
        ),
        Some("http") => (
            CheckStatus::Warning,
            format!("{raw} is plain http: IMSHOP requires https in production"),
            true,
        ),
        Some(scheme) => (
            CheckStatus::Failed,
            format!("{raw:?} has scheme {scheme:?}; expected an absolute http(s) URL"),
            false,
        ),
        None => (
            CheckStatus::Failed,
            format!("{raw:?} is not an absolute URL"),
            false,
        ),
    };
    (status, message, if usable { parsed } else { None })
}

/// The `regexes_valid` verdict on a `create` answer, with the regexes that
/// compiled. Pure, like [`payment_url_verdict`].
pub fn regexes_verdict(
    answer: &Answer,
    payment_url: Option<&reqwest::Url>,
) -> (Regexes, CheckStatus, String) {
    let mut problems = Vec::new();
    let mut compile = |field: &str| -> Option<Regex> {
        let text = answer.text(field)?;
        if text.is_empty() {
            problems.push(format!("{field} is empty: it would match every URL"));
            return None;
        }
        match Regex::new(text) {
            Ok(regex) => Some(regex),
            Err(err) => {
                let first = err
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                problems.push(format!(
                    "{field} {text:?} does not compile ({first}; lookaround and backreferences are not supported)"
                ));
                None
            }
        }
    };
    let regexes = Regexes {
        success: compile("successRegex"),
        failure: compile("failureRegex"),
    };
    if let (Some(s), Some(f)) = (answer.text("successRegex"), answer.text("failureRegex")) {
        if s == f {
            problems.push(format!("successRegex and failureRegex are the same ({s:?}): the app cannot tell success from failure"));
        }
    }
    let mut warning = None;
    if problems.is_empty() {
        if let Some(which) = payment_url.and_then(|u| regexes.matching(u.as_str())) {
            warning = Some(format!(
                "paymentUrl itself matches {}: an app that checks the first page closes the screen at once",
                which.field()
            ));
        }
    }
    let (status, message) = match (problems.is_empty(), warning) {
        (false, _) => (CheckStatus::Failed, problems.join("; ")),
        (true, Some(warning)) => (CheckStatus::Warning, warning),
        (true, None) => (CheckStatus::Passed, "both compile and differ".to_owned()),
    };
    (regexes, status, message)
}

fn unreachable_end() -> (CheckStatus, String) {
    // Broken and NeedsBrowser returned earlier; keep the match total
    // without a panic.
    (
        CheckStatus::Failed,
        "the web view ended without a result".to_owned(),
    )
}

fn expected_regex(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "successRegex",
        Outcome::Failure => "failureRegex (or no regex: the buyer leaves)",
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

fn request_message(request: &OutboundRequest, limit: usize) -> Message {
    let content_type = request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    Message::capture(
        request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
        content_type,
        &request.body,
        limit,
    )
}

fn response_message(response: &OutboundResponse, limit: usize) -> Message {
    let mut message = Message::capture(
        response
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
        response.header("content-type"),
        &response.body,
        limit,
    );
    message.truncated |= response.truncated;
    message
}

fn exchange_of(
    request: &OutboundRequest,
    result: &Result<OutboundResponse, OutboundError>,
    elapsed: Duration,
    limit: usize,
) -> Exchange {
    let (status, response, error) = match result {
        Ok(response) => (
            Some(response.status),
            Some(response_message(response, limit)),
            None,
        ),
        Err(err) => (None, None, Some(err.to_string())),
    };
    Exchange {
        method: request.method.to_string(),
        url: request.url.clone(),
        request: request_message(request, limit),
        status,
        response,
        error,
        elapsed_ms: elapsed.as_secs_f64() * 1000.0,
    }
}
