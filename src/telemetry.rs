//! Logging setup: structured `tracing` events to a sink (stderr for the
//! server, so stdout carries only the ready line).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The filter when `RUST_LOG` is unset: our own info and above. Per-request
/// lines are at debug so a busy CI run is not slowed by logging.
pub const DEFAULT_FILTER: &str = "paysandbox=info,tower_http=warn";

/// Installs the global subscriber once; later calls are ignored (tests call
/// it from many places).
pub fn init_subscriber<W>(default_filter: &str, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        // Colour only for a person at a terminal, never in CI logs or files.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
