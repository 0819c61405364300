//! paysandbox's entry point. Deliberately thin: parse the command line, set
//! up logging, hand over to the library (where everything is testable).

use std::process::ExitCode;

use clap::Parser;
use paysandbox::cli::Cli;
use paysandbox::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init_subscriber(telemetry::DEFAULT_FILTER, std::io::stderr);
    cli.run().await
}
