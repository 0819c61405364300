//! Settings: one documented `clap` struct, every field also an environment
//! variable, so the same binary runs from a terminal, a CI job or
//! docker-compose. Tests build it in code (`Settings::default()` with port 0).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub(crate) const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;
const DEFAULT_JOURNAL_BODY_LIMIT: usize = 16 * 1024;
const DEFAULT_OUTBOX_CAPACITY: usize = 10_000;
const DEFAULT_WEBHOOK_TIMEOUT_MS: u64 = 10_000;
const DEFAULT_WEBHOOK_CONCURRENCY: usize = 16;
const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
const DEFAULT_SHUTDOWN_GRACE_MS: u64 = 10_000;
const DEFAULT_MAX_CONNECTIONS: usize = 1024;
const DEFAULT_HEADER_READ_TIMEOUT_MS: u64 = 10_000;
const DEFAULT_BODY_READ_TIMEOUT_MS: u64 = 30_000;
const DEFAULT_MAX_WORKSPACES: usize = 1_000;

/// How `paysandbox serve` runs.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on; port 0 takes a free port (the ready line says which).
    #[arg(long, env = "PAYSANDBOX_LISTEN", default_value = DEFAULT_LISTEN, value_name = "ADDR", value_parser = listen_address)]
    pub listen: SocketAddr,

    /// Also serve the Softline API at the root of this address (for clients
    /// whose base URL cannot carry a path): `POST /v1/payment` there is
    /// `POST /softline/v1/payment`. Hosted pages stay under --public-url.
    #[arg(long, env = "PAYSANDBOX_SOFTLINE_LISTEN", value_name = "ADDR", value_parser = listen_address)]
    pub softline_listen: Option<SocketAddr>,

    /// Also serve the IntellectMoney API and pages at the root of this
    /// address: `POST /merchant/createInvoice`, `GET /?InvoiceId=…`.
    #[arg(long, env = "PAYSANDBOX_INTELLECTMONEY_LISTEN", value_name = "ADDR", value_parser = listen_address)]
    pub intellectmoney_listen: Option<SocketAddr>,

    /// Base of every URL paysandbox hands out (payment_url, Form3DS, hosted
    /// pages). Default: http:// and the listen address. Set it when clients reach
    /// paysandbox under another name (a container, a tunnel).
    #[arg(long, env = "PAYSANDBOX_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Directory of fixture files; a file here replaces the built-in one of
    /// the same name (softline.json, intellectmoney.json, imshop.json, cards.json).
    #[arg(long, env = "PAYSANDBOX_FIXTURES")]
    pub fixtures: Option<PathBuf>,

    /// A snapshot document (as `GET /__sandbox/snapshots/NAME` exports it)
    /// that `default` starts from; it is also kept as that workspace's
    /// snapshot under its name, to restore again after a reset.
    #[arg(long = "state", env = "PAYSANDBOX_STATE", value_name = "FILE")]
    pub initial_state: Option<PathBuf>,

    /// Keep every workspace's state in an SQLite database in DIR, so it
    /// survives a restart (and `kill -9`). Without it, state is in memory
    /// only. With it, `--state` applies only to a new, empty DIR.
    #[arg(long, env = "PAYSANDBOX_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Seed for every generated id and value: the same seed gives the same
    /// ids run to run. Without it a random seed is drawn and logged.
    #[arg(long, env = "PAYSANDBOX_SEED")]
    pub seed: Option<u64>,

    /// Entries the journal keeps before dropping the oldest.
    #[arg(long, env = "PAYSANDBOX_JOURNAL_CAPACITY", default_value_t = DEFAULT_JOURNAL_CAPACITY)]
    pub journal_capacity: usize,

    /// Bytes of each request or response body the journal keeps.
    #[arg(long, env = "PAYSANDBOX_JOURNAL_BODY_LIMIT", default_value_t = DEFAULT_JOURNAL_BODY_LIMIT)]
    pub journal_body_limit: usize,

    /// Webhook deliveries kept (finished ones are forgotten first; pending
    /// ones never are).
    #[arg(long, env = "PAYSANDBOX_OUTBOX_CAPACITY", default_value_t = DEFAULT_OUTBOX_CAPACITY)]
    pub outbox_capacity: usize,

    /// How long one webhook attempt or outbound call may take.
    #[arg(long, env = "PAYSANDBOX_WEBHOOK_TIMEOUT_MS", default_value_t = DEFAULT_WEBHOOK_TIMEOUT_MS)]
    pub webhook_timeout_ms: u64,

    /// Webhook attempts in flight at once.
    #[arg(long, env = "PAYSANDBOX_WEBHOOK_CONCURRENCY", default_value_t = DEFAULT_WEBHOOK_CONCURRENCY)]
    pub webhook_concurrency: usize,

    /// Largest request body accepted; larger ones get 413 in the provider's
    /// error format.
    #[arg(long, env = "PAYSANDBOX_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// After SIGTERM, how long in-flight requests may take to finish.
    #[arg(long, env = "PAYSANDBOX_SHUTDOWN_GRACE_MS", default_value_t = DEFAULT_SHUTDOWN_GRACE_MS)]
    pub shutdown_grace_ms: u64,

    /// Connections open at once; further clients wait in the listen backlog.
    #[arg(long, env = "PAYSANDBOX_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// How long a client may take to send a request's headers.
    #[arg(long, env = "PAYSANDBOX_HEADER_READ_TIMEOUT_MS", default_value_t = DEFAULT_HEADER_READ_TIMEOUT_MS)]
    pub header_read_timeout_ms: u64,

    /// How long a client may take to send a request's body (408 after).
    #[arg(long, env = "PAYSANDBOX_BODY_READ_TIMEOUT_MS", default_value_t = DEFAULT_BODY_READ_TIMEOUT_MS)]
    pub body_read_timeout_ms: u64,

    /// Whether the background worker sends webhooks. Tests switch it off and
    /// drive the outbox's step function themselves.
    #[arg(skip = true)]
    pub deliver_webhooks: bool,

    /// Most workspaces besides `default`; creating one more is refused.
    #[arg(long, env = "PAYSANDBOX_MAX_WORKSPACES", default_value_t = DEFAULT_MAX_WORKSPACES)]
    pub max_workspaces: usize,

    /// Drop a workspace untouched for this long (`30m`, `2h`, `1d`); off
    /// unless given. `default` is never dropped.
    #[arg(long, env = "PAYSANDBOX_WORKSPACE_IDLE_TTL")]
    pub workspace_idle_ttl: Option<humantime::Duration>,

    /// Forget payments, invoices and issued tokens untouched (not made,
    /// changed or read) for this long (`7d`, `12h`), in memory and in the
    /// data directory; off unless given.
    #[arg(long, env = "PAYSANDBOX_RETENTION")]
    pub retention: Option<humantime::Duration>,

    /// For a shared deployment: the control plane and the dashboard then
    /// need `Authorization: Bearer TOKEN` (or a browser's Basic password),
    /// except that a workspace's own control prefix also takes its control
    /// key. Off unless given; provider APIs and pages never need it.
    #[arg(long, env = "PAYSANDBOX_ADMIN_TOKEN")]
    pub admin_token: Option<AdminToken>,
}

/// An `IP:PORT` to listen on. Anything else is refused with the form it
/// should have, built from what was given (`8081` suggests
/// `127.0.0.1:8081`, `0.0.0.0` suggests `0.0.0.0:8080`), because clap's
/// own "invalid socket address syntax" does not say what would do. Host
/// names are refused too: a listener binds an address, not a name.
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let default: SocketAddr = DEFAULT_LISTEN.parse().expect("the default address parses");
    let trimmed = text.trim();
    // An IP first: `::1` would otherwise read as port 1.
    let example = if let Ok(ip) = trimmed.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        SocketAddr::new(ip, default.port())
    } else if let Ok(port) = trimmed.trim_start_matches(':').parse::<u16>() {
        SocketAddr::new(default.ip(), port)
    } else if let Some(port) = trimmed
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse::<u16>().ok())
    {
        SocketAddr::new(default.ip(), port)
    } else {
        default
    };
    Err(format!("expected IP:PORT, for example {example}"))
}

/// The admin token; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(pub String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(***)")
    }
}

impl std::str::FromStr for AdminToken {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            Err("the admin token is empty".to_owned())
        } else {
            Ok(Self(text.to_owned()))
        }
    }
}

impl Settings {
    /// The providers asked to be served on listeners of their own, by the
    /// provider's name.
    pub fn provider_listeners(&self) -> Vec<(&'static str, SocketAddr)> {
        [
            ("softline", self.softline_listen),
            ("intellectmoney", self.intellectmoney_listen),
        ]
        .into_iter()
        .filter_map(|(name, addr)| Some((name, addr?)))
        .collect()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("the default address parses"),
            softline_listen: None,
            intellectmoney_listen: None,
            public_url: None,
            fixtures: None,
            initial_state: None,
            data_dir: None,
            seed: None,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            journal_body_limit: DEFAULT_JOURNAL_BODY_LIMIT,
            outbox_capacity: DEFAULT_OUTBOX_CAPACITY,
            webhook_timeout_ms: DEFAULT_WEBHOOK_TIMEOUT_MS,
            webhook_concurrency: DEFAULT_WEBHOOK_CONCURRENCY,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            shutdown_grace_ms: DEFAULT_SHUTDOWN_GRACE_MS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout_ms: DEFAULT_HEADER_READ_TIMEOUT_MS,
            body_read_timeout_ms: DEFAULT_BODY_READ_TIMEOUT_MS,
            deliver_webhooks: true,
            max_workspaces: DEFAULT_MAX_WORKSPACES,
            workspace_idle_ttl: None,
            retention: None,
            admin_token: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        settings: Settings,
    }

    #[test]
    fn a_malformed_listen_address_is_refused_with_an_example_built_from_it() {
        let cases = [
            ("8081", "127.0.0.1:8081"),
            (":8081", "127.0.0.1:8081"),
            ("localhost:8081", "127.0.0.1:8081"),
            ("0.0.0.0", "0.0.0.0:8080"),
            ("::1", "[::1]:8080"),
            ("somewhere", "127.0.0.1:8080"),
            ("127.0.0.1:99999", "127.0.0.1:8080"),
        ];
        for (given, example) in cases {
            let refused = listen_address(given);

            assert_eq!(
                refused,
                Err(format!("expected IP:PORT, for example {example}")),
                "--listen {given}"
            );
        }
    }

    #[test]
    fn a_well_formed_listen_address_is_taken_as_it_is() {
        assert_eq!(
            listen_address("0.0.0.0:0"),
            Ok("0.0.0.0:0".parse().unwrap())
        );
        assert_eq!(listen_address("[::1]:80"), Ok("[::1]:80".parse().unwrap()));
    }

    #[test]
    fn the_manual_default_agrees_with_the_command_line_defaults() {
        // Guards against a default changed in one place and not the other.
        let parsed = Wrapper::try_parse_from(["paysandbox"]).unwrap().settings;
        let default = Settings::default();
        if std::env::vars().any(|(k, _)| k.starts_with("PAYSANDBOX_")) {
            return; // the environment overrides defaults; nothing to compare
        }
        assert_eq!(format!("{parsed:?}"), format!("{default:?}"));
    }
}
