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
//!
//! # Layout
//! - `mod.rs` (this file): the [`Engine`], what watches a run, and
//!   [`Engine::run`], which runs each flow and then the unknown-payment
//!   probe;
//! - `checkout.rs`: the checkout before a flow's payment (deliveries,
//!   payment methods, the order export) and the unknown-method probe;
//! - `flows.rs`: the flows themselves, step by step, and what each answer
//!   leads to (the next command, the pending follow-up, a restart);
//! - `webhook.rs`: calling the merchant's webhook, timing and journaling
//!   the exchange;
//! - `judge/` ([`judge`]): the checks an exchange earns, as pure functions
//!   with their unit tests;
//! - `payment_page.rs`: the card flow's payment page in the [`WebView`]
//!   (or in a person's browser) and where it ended.
//!
//! [`WebView`]: super::webview::WebView

mod checkout;
mod flows;
pub mod judge;
mod payment_page;
mod webhook;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::Fixture;
use super::checks::{Check, Scope};
use super::options::{Flow, RunOptions};
use super::report::RunReport;
use super::sync::SyncBoard;
use crate::core::Core;
use crate::core::http_client::HttpClient;
use flows::{Order, Recorder};

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

    /// A fresh run id (`run-` and 12 hex digits from the seeded generator),
    /// claimed so its page finds this workspace.
    pub fn new_run_id(&self) -> String {
        loop {
            let id = format!("run-{}", self.core.ids.hex(12));
            if self.core.ids.claims().text(super::addressee::RUN, &id) {
                return id;
            }
        }
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
            probed_unknown_method: false,
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
                options
                    .webhook
                    .as_ref()
                    .map_or_else(|| "the checkout webhooks".to_owned(), |u| u.to_string()),
                options.outcome.as_str()
            ),
        );
        let several = options.flows.len() > 1;
        for &flow in &options.flows {
            let order = self.order_for(options, flow, several);
            run.flow(flow, order, browser).await;
        }
        if options.webhook.is_some() {
            run.unknown_capture().await;
        }

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

    /// Where merchants report late results (this workspace's sync URL).
    pub fn sync_url(&self) -> String {
        self.core.public_url.scoped("/imshop/sync")
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
            payment_method_id: flow.payment_method_id(&self.fixture).to_owned(),
            exported: false,
            checkout: None,
        }
    }

    /// `MM/YY` three years ahead of the sandbox clock.
    fn card_expiry(&self) -> String {
        let now = self.core.clock.now();
        format!("{:02}/{:02}", u8::from(now.month()), (now.year() + 3) % 100)
    }
}
