//! `paysandbox imshop run`: one conformance run from the command line.
//!
//! The engine runs in this process. For merchants that answer `pending`
//! and report the final status later, the command also serves
//! `POST /imshop/sync` on a local port of its own (`--sync-listen`,
//! default an ephemeral port on 127.0.0.1) and prints that URL first.
//!
//! Output: progress on stderr as the run goes, the summary on stdout,
//! `--junit` and `--json` files. Exit status: 0 every check passed, 1 a
//! check failed (an unreachable webhook is a failed check), 2 the run could
//! not start (bad arguments, a report file that cannot be written, a sync
//! port that cannot be bound).

use std::any::{Any, TypeId};
use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::core::clock::{Clock, SystemTime};
use crate::core::current::{WorkspaceParts, serving};
use crate::core::{Core, PublicUrl};
use crate::fixtures::Fixtures;
use crate::providers::imshop::checks::{Check, CheckStatus, Scope};
use crate::providers::imshop::engine::{NoBrowser, Observer};
use crate::providers::imshop::options::{
    FlowChoice, KeyPlacement, Outcome, RunOptions, RunRequest,
};
use crate::providers::imshop::{self, scenarios, sync};

/// `paysandbox imshop run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The merchant's payments webhook (http or https); without it only the checkout webhooks are tested.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// API key sent as `Authorization: Bearer` [default: the fixture's, sandbox-imshop-key]
    #[arg(long)]
    pub key: Option<String>,
    /// Where the key goes: bearer (Authorization header), body (a "key" field), both [default: the fixture's, bearer]
    #[arg(long, value_enum)]
    pub key_placement: Option<KeyPlacement>,
    /// The merchant's payment-methods webhook: each flow pays with a method it offers.
    #[arg(long, value_name = "URL")]
    pub methods: Option<String>,
    /// The merchant's deliveries webhook, called first in the checkout.
    #[arg(long, value_name = "URL")]
    pub deliveries: Option<String>,
    /// The merchant's order-export webhook: each flow pays the order number it answers.
    #[arg(long, value_name = "URL")]
    pub orders: Option<String>,
    /// The buyer orders as a legal entity (legalEntityMode, the order's legalEntity).
    #[arg(long)]
    pub legal_entity: bool,
    /// Which flows to run (checkout: every flow, after the checkout steps; needs --methods and --orders).
    #[arg(long, value_enum, default_value_t = FlowChoice::All)]
    pub flow: FlowChoice,
    /// The outcome the buyer goes for.
    #[arg(long, value_enum, default_value_t = Outcome::Success)]
    pub outcome: Outcome,
    /// Per-call timeout in milliseconds [default: the fixture's, 10000]
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Write a JUnit XML report here (one testcase per check).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Where to serve POST /imshop/sync for merchants that report late results.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0", value_parser = crate::config::listen_address)]
    pub sync_listen: SocketAddr,
    /// How long to wait for the merchant's POST to the sync URL [default: the fixture's]
    #[arg(long)]
    pub sync_wait_ms: Option<u64>,
    /// The merchant's order id to pay [default: generated]
    #[arg(long)]
    pub order_id: Option<String>,
    /// IMSHOP's order uuid [default: generated]
    #[arg(long)]
    pub order_uuid: Option<String>,
    /// Directory of fixture files overriding the built-in ones (imshop.json, cards.json).
    #[arg(long, env = "PAYSANDBOX_FIXTURES")]
    pub fixtures: Option<PathBuf>,
    /// Seed for generated order ids and uuids [default: random]
    #[arg(long)]
    pub seed: Option<u64>,
}

/// A run that could start: options checked, report files open, the sync
/// URL listening.
struct Prepared {
    options: RunOptions,
    state: imshop::State,
    junit: Option<(PathBuf, File)>,
    json: Option<(PathBuf, File)>,
    listener: tokio::net::TcpListener,
}

/// Runs `paysandbox imshop run` and gives its exit status.
pub async fn run(args: RunArgs) -> ExitCode {
    let prepared = match prepare(args).await {
        Ok(prepared) => prepared,
        Err(message) => {
            say(&format!("paysandbox imshop run: {message}"));
            return ExitCode::from(2);
        }
    };
    execute(prepared).await
}

async fn prepare(args: RunArgs) -> Result<Prepared, String> {
    let fixtures = Fixtures::load(args.fixtures.as_deref()).map_err(|e| e.to_string())?;
    let request = RunRequest {
        webhook: args.webhook.unwrap_or_default(),
        key: args.key,
        flow: Some(args.flow),
        outcome: Some(args.outcome),
        timeout_ms: args.timeout_ms,
        order_id: args.order_id,
        order_uuid: args.order_uuid,
        pending_backoff_ms: None,
        sync_wait_ms: args.sync_wait_ms,
        web_view: None,
        methods: args.methods,
        deliveries: args.deliveries,
        orders: args.orders,
        key_placement: args.key_placement,
        legal_entity: Some(args.legal_entity),
    };
    let options = RunOptions::parse(request, &fixtures.imshop).map_err(|e| e.to_string())?;
    let junit = open_report(args.junit)?;
    let json = open_report(args.json)?;
    let listener = tokio::net::TcpListener::bind(args.sync_listen)
        .await
        .map_err(|e| format!("cannot serve the sync URL on {}: {e}", args.sync_listen))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot serve the sync URL on {}: {e}", args.sync_listen))?;
    let core = Core::new(
        &Settings::default(),
        Clock::new(Arc::new(SystemTime)),
        crate::core::ids::Ids::new(args.seed.unwrap_or_else(rand::random)),
        &crate::core::Commons::new(&Settings::default()),
        PublicUrl::new(&format!("http://{address}")),
        Arc::clone(&fixtures.cards),
    );
    core.scenarios.publish(scenarios::CATALOGUE.to_vec());
    Ok(Prepared {
        options,
        state: imshop::State::new(core, Arc::clone(&fixtures.imshop)),
        junit,
        json,
        listener,
    })
}

/// Creates a report file now, so a path that cannot be written stops the
/// run before it calls anyone.
fn open_report(path: Option<PathBuf>) -> Result<Option<(PathBuf, File)>, String> {
    path.map(|path| {
        File::create(&path)
            .map(|file| (path.clone(), file))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    })
    .transpose()
}

/// The sync URL's handler takes its parts from this run's IMSHOP state
/// alone (see `core::current`).
struct Alone(imshop::State);

impl WorkspaceParts for Alone {
    fn part(&self, of: TypeId) -> Option<&(dyn Any + Send + Sync)> {
        if of == TypeId::of::<imshop::State>() {
            Some(&self.0)
        } else if of == TypeId::of::<Core>() {
            Some(&self.0.core)
        } else {
            None
        }
    }
}

async fn execute(prepared: Prepared) -> ExitCode {
    let Prepared {
        options,
        state,
        junit,
        json,
        listener,
    } = prepared;
    let stop = CancellationToken::new();
    let sync_app = Router::new()
        .route("/imshop/sync", post(sync::sync_payment))
        .layer(serving(Arc::new(Alone(state.clone()))));
    let server = tokio::spawn(
        axum::serve(listener, sync_app)
            .with_graceful_shutdown(stop.clone().cancelled_owned())
            .into_future(),
    );
    say(&format!(
        "paysandbox imshop run: merchants that answer pending report to {}",
        state.engine.sync_url()
    ));

    let engine = state.engine.clone();
    let run_id = engine.new_run_id();
    let report = engine
        .run(&run_id, &options, &StderrProgress::default(), &NoBrowser)
        .await;
    stop.cancel();
    let _ = server.await;

    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(report.to_text().as_bytes());
    let _ = stdout.flush();
    drop(stdout);

    let mut written = Ok(());
    if let Some((path, file)) = junit {
        written = written.and(write_report(&path, file, report.to_junit().as_bytes()));
    }
    if let Some((path, file)) = json {
        let text = serde_json::to_vec_pretty(&report).unwrap_or_default();
        written = written.and(write_report(&path, file, &text));
    }
    if let Err(message) = written {
        say(&format!("paysandbox imshop run: {message}"));
        return ExitCode::from(2);
    }
    if report.summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn write_report(path: &Path, mut file: File, bytes: &[u8]) -> Result<(), String> {
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A line on stderr (the CLI's progress channel; stdout has the summary).
fn say(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

/// Prints each step and check on stderr as the run goes.
#[derive(Default)]
struct StderrProgress {
    /// Serialises lines from the engine's callbacks.
    lock: Mutex<()>,
}

impl Observer for StderrProgress {
    fn progress(&self, flow: Scope, line: &str) {
        let _guard = self.lock.lock();
        say(&format!("[{flow}] {line}"));
    }

    fn check(&self, check: &Check) {
        let _guard = self.lock.lock();
        let mark = match check.status {
            CheckStatus::Passed => "ok  ",
            CheckStatus::Warning => "warn",
            CheckStatus::Failed => "FAIL",
        };
        say(&format!(
            "[{}]   {mark} {} {}: {}",
            check.flow, check.step, check.name, check.message
        ));
    }
}
