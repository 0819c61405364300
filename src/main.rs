//! paysandbox's entry point. Deliberately thin: parse the command line, set
//! up logging, hand over to the library (where everything is testable).

use std::process::ExitCode;

use clap::Parser;
use paysandbox::cli::Cli;
use paysandbox::telemetry;

// jemalloc, not glibc's malloc: a request allocates dozens of small strings and
// frees them together, which overflows glibc's per-thread cache and sends every
// request through its chunk consolidation (measured: 31.8k to 48.0k create-payment
// req/s, and less memory per stored payment; see BENCHMARKS.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init_subscriber(telemetry::DEFAULT_FILTER, std::io::stderr);
    cli.run().await
}
