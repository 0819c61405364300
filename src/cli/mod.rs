//! The command line: `serve` (the default), `healthcheck`, the IMSHOP
//! conformance run (`imshop run`, in [`imshop`]) and signatures worked out
//! offline (`sign`, in [`sign`]).

pub mod imshop;
pub mod sign;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::core::http_client::{HttpClient, OutboundRequest};
use crate::startup::Application;

/// `paysandbox --help`'s examples: one of each command.
const EXAMPLES: &str = "\
Examples:
  paysandbox                                   serve on 127.0.0.1:8080
  paysandbox serve --listen 127.0.0.1:0        serve on a free port (the ready line names it)
  paysandbox healthcheck http://127.0.0.1:8080
  paysandbox imshop run --webhook http://127.0.0.1:3000/imshop/payments
  paysandbox sign softline-webhook event=order.created order_id=5555555
  paysandbox help serve                        every serve option";

/// `paysandbox serve --help`'s examples.
const SERVE_EXAMPLES: &str = "\
Examples:
  paysandbox serve
  paysandbox serve --listen 127.0.0.1:0 --seed 7
  paysandbox serve --listen 0.0.0.0:8080 --public-url http://sandbox.local:8080 --fixtures ./fixtures
  paysandbox serve --softline-listen 127.0.0.1:8081 --intellectmoney-listen 127.0.0.1:8082
  paysandbox serve --data-dir ./paysandbox-data --state ./snapshot.json
  PAYSANDBOX_LISTEN=127.0.0.1:9090 paysandbox serve";

/// `paysandbox healthcheck --help`'s examples.
const HEALTHCHECK_EXAMPLES: &str = "\
Examples:
  paysandbox healthcheck
  paysandbox healthcheck http://127.0.0.1:9090 && echo up
  HEALTHCHECK CMD [\"paysandbox\", \"healthcheck\"]      (in a Dockerfile)";

/// `paysandbox imshop --help`'s and `imshop run --help`'s examples.
const IMSHOP_EXAMPLES: &str = "\
Examples:
  paysandbox imshop run --webhook http://127.0.0.1:3000/imshop/payments
  paysandbox imshop run --webhook https://shop.example/imshop/payments --key my-key --flow card --outcome failure
  paysandbox imshop run --webhook http://127.0.0.1:3000/imshop/payments --junit imshop.xml --json imshop.json --seed 7";

/// `paysandbox sign --help`'s examples.
const SIGN_EXAMPLES: &str = "\
Examples:
  paysandbox sign intellectmoney CreateInvoice EshopId=450000 OrderId=A-1 RecipientAmount=10.00 RecipientCurrency=RUB
  paysandbox sign softline-webhook event=order.created order_id=5555555 currency=RUB --secret my-secret";

/// A local sandbox of IMSHOP.IO, Softline Payments and IntellectMoney.
#[derive(Debug, Parser)]
#[command(
    name = "paysandbox",
    version,
    about,
    args_conflicts_with_subcommands = true,
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// With no subcommand, paysandbox serves with these settings.
    #[command(flatten)]
    pub serve: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve every provider, the control plane and the dashboard (the default).
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(Settings),
    /// Exit 0 when BASE_URL/healthz answers 200 (for container health checks).
    #[command(after_help = HEALTHCHECK_EXAMPLES)]
    Healthcheck {
        /// Where paysandbox runs.
        #[arg(default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Play IMSHOP.IO against a merchant's checkout and payments webhooks.
    #[command(after_help = IMSHOP_EXAMPLES)]
    Imshop {
        #[command(subcommand)]
        command: ImshopCommand,
    },
    /// Print the base and the signature a request or webhook should carry
    /// (exit 2 on an unknown method or field).
    #[command(after_help = SIGN_EXAMPLES)]
    Sign {
        #[command(subcommand)]
        command: sign::SignCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImshopCommand {
    /// Drive the webhook through every flow and report each check (exit 0
    /// all passed, 1 a check failed, 2 the run could not start).
    #[command(after_help = IMSHOP_EXAMPLES)]
    Run(imshop::RunArgs),
}

impl Cli {
    pub async fn run(self) -> ExitCode {
        match self.command {
            None => serve(self.serve).await,
            Some(Command::Serve(settings)) => serve(settings).await,
            Some(Command::Healthcheck { base_url }) => healthcheck(&base_url).await,
            Some(Command::Imshop {
                command: ImshopCommand::Run(args),
            }) => imshop::run(args).await,
            Some(Command::Sign { command }) => sign::run(command),
        }
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("paysandbox cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    // SIGTERM is caught from before the ready line: a script that stops
    // the server as soon as it reads the line must not kill it outright.
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(not(unix))]
    let term = None::<()>;
    // The ready line is the one thing on stdout: scripts wait for it and
    // read the real port from it (tracing goes to stderr).
    let ready = format!("paysandbox listening on {}\n", app.base_url());
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(ready.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        tracing::warn!("could not write the ready line to stdout");
    }
    drop(stdout);

    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone(), term));
    match app.run_until_stopped(shutdown).await {
        Ok(()) => {
            tracing::info!("paysandbox stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!(cause = %err, "paysandbox stopped with an error");
            ExitCode::FAILURE
        }
    }
}

/// Cancels `token` on Ctrl-C or SIGTERM (`term`, registered by the caller).
#[cfg(unix)]
async fn cancel_on_signal(token: CancellationToken, term: Option<tokio::signal::unix::Signal>) {
    let ctrl_c = tokio::signal::ctrl_c();
    match term {
        Some(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        None => {
            let _ = ctrl_c.await;
        }
    }
    tracing::info!("shutting down: finishing in-flight requests");
    token.cancel();
}

/// Cancels `token` on Ctrl-C.
#[cfg(not(unix))]
async fn cancel_on_signal(token: CancellationToken, _term: Option<()>) {
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down: finishing in-flight requests");
    token.cancel();
}

async fn healthcheck(base_url: &str) -> ExitCode {
    let client = HttpClient::new(Duration::from_secs(5), 4096);
    let url = format!("{}/healthz", base_url.trim_end_matches('/'));
    match client.send(OutboundRequest::get(url.clone())).await {
        Ok(response) if response.status == 200 => ExitCode::SUCCESS,
        Ok(response) => {
            tracing::error!(status = response.status, %url, "unhealthy");
            ExitCode::FAILURE
        }
        Err(err) => {
            tracing::error!(cause = %err, %url, "unreachable");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every command below `command` with its path (`sign intellectmoney`).
    fn every_command(command: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
        for sub in command.get_subcommands() {
            let path = format!("{path} {}", sub.get_name()).trim().to_owned();
            let help = sub
                .get_after_help()
                .or(sub.get_after_long_help())
                .map(ToString::to_string)
                .unwrap_or_default();
            out.push((path.clone(), help));
            every_command(sub, &path, out);
        }
    }

    #[test]
    fn every_command_has_examples_in_its_help() {
        // Arrange
        let root = Cli::command();
        let mut commands = vec![(
            "paysandbox".to_owned(),
            root.get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default(),
        )];

        // Act
        every_command(&root, "", &mut commands);

        // Assert
        assert!(commands.len() >= 7, "{commands:?}");
        for (path, help) in commands {
            assert!(
                help.starts_with("Examples:\n  paysandbox"),
                "{path}: {help:?}"
            );
        }
    }
}
