//! The whole sandbox inside a Rust test, the way
//! `wiremock::MockServer::start()` starts a mock server: every provider,
//! the control plane and the dashboard on a free port of 127.0.0.1, with
//! typed helpers for what tests do through the control plane (arm a
//! scenario, move the clock, read the journal, reset), and stopped when
//! the handle is dropped.
//!
//! The helpers call what the control-plane handlers call, in this process:
//! no HTTP client is needed to drive the sandbox, only to talk to the
//! providers as the code under test does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::core::durable::DurableError;
use crate::core::journal::{Entry, Query};
use crate::core::outbox::DeliveryOutcome;
use crate::core::scenarios::{Arm, ArmError, Armed};
use crate::startup::{Application, StartupError, parse_public_url};
use crate::state::AppState;
use crate::workspaces::Workspaces;

/// Why a sandbox did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The builder's public URL is not an absolute http(s) URL with a
    /// host; found before anything is bound.
    #[error("public URL {0:?} is not an absolute http(s) URL (for example http://127.0.0.1:8080)")]
    PublicUrl(String),
    /// Starting failed as `paysandbox serve` would: a fixture directory
    /// that is missing or malformed, an address in use, a data directory
    /// that cannot be opened, a `--state` file that does not restore.
    #[error(transparent)]
    Startup(#[from] StartupError),
}

/// Why a control-plane helper refused or failed; the control plane
/// answers 400 to the first two and 503 to the last.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// An id that is not in the catalogue, or zero times.
    #[error(transparent)]
    Arm(#[from] ArmError),
    /// The clock moved further than it can go in one call.
    #[error("{0}")]
    Clock(String),
    /// With a data directory: the change was made but could not be kept.
    #[error("the change could not be kept in the data directory: {0}")]
    NotKept(#[from] DurableError),
}

/// A running sandbox; dropping it stops it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sandbox = paysandbox::Sandbox::start().await;
///
/// assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(sandbox.softline_url(), format!("{}/softline", sandbox.base_url()));
/// # }
/// ```
///
/// With settings of its own, and the control plane driven in process:
///
/// ```
/// use paysandbox::Sandbox;
/// use paysandbox::core::journal::Query;
/// use paysandbox::core::scenarios::Arm;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sandbox = Sandbox::builder()
///     .seed(7)
///     .public_url("http://sandbox.test")
///     .start()
///     .await?;
///
/// sandbox
///     .arm_scenario(Arm::new("softline.create_payment.6090").matching("payment_id", "A-1"))
///     .await?;
/// sandbox.advance_clock(24 * 3600).await?;
///
/// assert_eq!(sandbox.armed_scenarios().len(), 1);
/// assert!(sandbox.journal(&Query::default()).is_empty());
/// # Ok(())
/// # }
/// ```
pub struct Sandbox {
    address: SocketAddr,
    /// `softline_listen` / `intellectmoney_listen` as bound, by mount.
    provider_addresses: Vec<(&'static str, SocketAddr)>,
    workspaces: Workspaces,
    /// Cancelled on drop: the accept loops stop and the server task ends.
    shutdown: CancellationToken,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

/// Settings for a [`Sandbox`] before it starts; [`Sandbox::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.start().await`"]
pub struct SandboxBuilder {
    settings: Settings,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            settings: Settings {
                // A free port, on loopback only: tests run in parallel, and
                // a sandbox in a test has no business on the network.
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..Settings::default()
            },
        }
    }
}

impl SandboxBuilder {
    /// Every setting at once, as `paysandbox serve` takes them, `listen`
    /// included (`Settings::default()` listens on 127.0.0.1:8080; use
    /// port 0 for a free one). Methods called after it change it further.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Seed of every generated id and value (`--seed`): the same seed
    /// gives the same ids run to run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.settings.seed = Some(seed);
        self
    }

    /// A directory whose fixture files replace the built-in ones of the
    /// same name (`--fixtures`); a missing directory stops the start.
    pub fn fixtures(mut self, dir: impl Into<PathBuf>) -> Self {
        self.settings.fixtures = Some(dir.into());
        self
    }

    /// Base of every URL the sandbox hands out (`--public-url`), for code
    /// under test that reaches it under another name.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.settings.public_url = Some(url.into());
        self
    }

    /// Where to listen (default 127.0.0.1:0, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.settings.listen = addr;
        self
    }

    /// Journal entries kept before the oldest are dropped.
    pub fn journal_capacity(mut self, entries: usize) -> Self {
        self.settings.journal_capacity = entries;
        self
    }

    /// Keep state in an SQLite database in `dir` (`--data-dir`), so a
    /// second sandbox on the same directory starts where this one stopped.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.settings.data_dir = Some(dir.into());
        self
    }

    /// Whether a background worker sends webhooks as they fall due (the
    /// default) or a test sends them, step by step, with
    /// [`Sandbox::deliver_pending_webhooks`].
    pub fn webhooks(mut self, delivery: WebhookDelivery) -> Self {
        self.settings.deliver_webhooks = delivery == WebhookDelivery::Background;
        self
    }

    /// Binds, loads the fixtures and starts serving on a task of the
    /// current tokio runtime.
    pub async fn start(self) -> Result<Sandbox, StartError> {
        if let Some(url) = &self.settings.public_url {
            parse_public_url(url).map_err(|_| StartError::PublicUrl(url.clone()))?;
        }
        let app = Application::build(self.settings).await?;
        let address = app.address();
        let provider_addresses = app.provider_addresses();
        let workspaces = app.workspaces();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        Ok(Sandbox {
            address,
            provider_addresses,
            workspaces,
            shutdown,
            server: Some(server),
        })
    }
}

/// Who sends the webhooks that fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookDelivery {
    /// A worker in the background, as `paysandbox serve` does.
    #[default]
    Background,
    /// The test, with [`Sandbox::deliver_pending_webhooks`].
    Manual,
}

impl Sandbox {
    /// A sandbox with the default settings on a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If it cannot start (no port free); [`Sandbox::builder`]'s `start`
    /// returns the error instead.
    pub async fn start() -> Self {
        match Self::builder().start().await {
            Ok(sandbox) => sandbox,
            Err(err) => panic!("the sandbox could not start: {err}"),
        }
    }

    /// A sandbox with settings of its own.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// `http://127.0.0.1:PORT`: the control plane is under
    /// `/__sandbox/`, the dashboard at `/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The Softline API's base (`…/softline`), as a client's base URL:
    /// `POST {softline_url}/v1/payment`.
    pub fn softline_url(&self) -> String {
        self.provider_url("softline")
    }

    /// The IntellectMoney API's base (`…/intellectmoney`):
    /// `POST {intellectmoney_url}/merchant/createInvoice`.
    pub fn intellectmoney_url(&self) -> String {
        self.provider_url("intellectmoney")
    }

    /// The IMSHOP side (`…/imshop`): `POST {imshop_url}/sync`, the runs.
    pub fn imshop_url(&self) -> String {
        self.provider_url("imshop")
    }

    /// Where the provider `name` (`softline`) is mounted under
    /// [`Sandbox::base_url`].
    fn provider_url(&self, name: &str) -> String {
        let providers = &self.default_state().providers;
        let mount = providers
            .named(name)
            .map_or_else(|| format!("/{name}"), |p| p.mount().to_owned());
        format!("{}{mount}", self.base_url())
    }

    /// The listeners of their own asked for (`softline_listen`,
    /// `intellectmoney_listen`), by the provider's mount (`/softline`),
    /// each serving that provider at its root.
    pub fn provider_addresses(&self) -> &[(&'static str, SocketAddr)] {
        &self.provider_addresses
    }

    /// Arms a scenario as `POST /__sandbox/scenarios` does: the next
    /// `times` matching requests get its answer. Returns it as listed, with
    /// its handle.
    pub async fn arm_scenario(&self, arm: Arm) -> Result<Armed, ControlError> {
        let state = self.default_state();
        let armed = state.core.scenarios.arm(arm)?;
        self.keep(state).await?;
        Ok(armed)
    }

    /// What is armed, oldest first (`GET /__sandbox/scenarios`).
    pub fn armed_scenarios(&self) -> Vec<Armed> {
        self.default_state().core.scenarios.armed()
    }

    /// Moves the sandbox clock by `seconds` (negative goes back) as
    /// `POST /__sandbox/clock/advance` does: what time did to payments and
    /// invoices is applied and the webhooks that fall due are sent.
    /// Returns the sandbox's time after the move.
    pub async fn advance_clock(&self, seconds: i64) -> Result<OffsetDateTime, ControlError> {
        let step = crate::http::admin::clock_step(seconds).map_err(ControlError::Clock)?;
        let state = self.default_state();
        state.advance_clock(step);
        self.keep(state).await?;
        Ok(state.core.clock.now())
    }

    /// The sandbox clock's time (`GET /__sandbox/clock`).
    pub fn now(&self) -> OffsetDateTime {
        self.default_state().core.clock.now()
    }

    /// The journal's newest entries matching `query`, oldest first: the
    /// `entries` of `GET /__sandbox/journal`.
    pub fn journal(&self, query: &Query) -> Vec<Arc<Entry>> {
        self.default_state().core.journal.query(query)
    }

    /// The same entries as JSON, exactly as `GET /__sandbox/journal`
    /// writes them.
    pub fn journal_json(&self, query: &Query) -> Vec<Value> {
        self.journal(query)
            .iter()
            .map(|entry| serde_json::to_value(entry).unwrap_or(Value::Null))
            .collect()
    }

    /// Forgets every payment, invoice, run, scenario, fault and journal
    /// entry and sets the clock back to real time, as
    /// `POST /__sandbox/reset` does.
    pub async fn reset(&self) -> Result<(), ControlError> {
        let state = self.default_state();
        state.reset().await;
        self.keep(state).await
    }

    /// Sends every webhook that is due, one attempt each, until none is
    /// (for [`WebhookDelivery::Manual`]); what each attempt did.
    pub async fn deliver_pending_webhooks(&self) -> Vec<DeliveryOutcome> {
        let outbox = &self.default_state().core.outbox;
        let mut outcomes = Vec::new();
        loop {
            match outbox.try_deliver_next().await {
                DeliveryOutcome::QueueEmpty => return outcomes,
                outcome => outcomes.push(outcome),
            }
        }
    }

    /// Stops serving and waits until the server has finished (in-flight
    /// requests answered, pending webhooks given their last attempt, the
    /// data directory written). Dropping the handle stops it without
    /// waiting.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take()
            && let Ok(Err(err)) = server.await
        {
            tracing::error!(cause = %err, "the sandbox stopped with an error");
        }
    }

    /// `default`'s state, for tests of paysandbox itself.
    #[doc(hidden)]
    pub fn state(&self) -> AppState {
        self.default_state().clone()
    }

    /// Every workspace, for tests of paysandbox itself.
    #[doc(hidden)]
    pub fn workspaces(&self) -> Workspaces {
        self.workspaces.clone()
    }

    fn default_state(&self) -> &AppState {
        &self.workspaces.default_workspace().state
    }

    /// Keeps a control-plane change in the data directory, if there is one,
    /// as the control plane does before it answers.
    async fn keep(&self, state: &AppState) -> Result<(), ControlError> {
        crate::state::persist(&state.core, &state.providers, true).await?;
        Ok(())
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("address", &self.address)
            .field("provider_addresses", &self.provider_addresses)
            .finish_non_exhaustive()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fixtures::FixtureError;

    #[tokio::test]
    async fn a_public_url_that_is_not_absolute_http_is_refused_before_binding() {
        for url in ["sandbox.test", "ftp://sandbox.test", "http://"] {
            let refused = Sandbox::builder().public_url(url).start().await;

            match refused {
                Err(StartError::PublicUrl(given)) => assert_eq!(given, url),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn the_public_url_refusal_says_what_would_do() {
        let refused = Sandbox::builder().public_url("sandbox.test").start().await;

        assert_eq!(
            refused.unwrap_err().to_string(),
            "public URL \"sandbox.test\" is not an absolute http(s) URL (for example http://127.0.0.1:8080)"
        );
    }

    #[tokio::test]
    async fn a_fixture_directory_that_does_not_exist_is_refused_naming_it() {
        let dir = std::env::temp_dir().join("paysandbox-sandbox-no-such-fixtures");

        let refused = Sandbox::builder().fixtures(&dir).start().await;

        match refused {
            Err(StartError::Startup(StartupError::Fixture(FixtureError::MissingDirectory {
                dir: named,
                ..
            }))) => assert_eq!(named, dir.display().to_string()),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_address_in_use_is_refused_with_a_free_port_suggested() {
        let taken = Sandbox::start().await;

        let refused = Sandbox::builder().listen(taken.address()).start().await;

        let message = refused.unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "cannot listen on {}: the address is already in use (another paysandbox?); \
                 for a free port use --listen 127.0.0.1:0 or set PAYSANDBOX_LISTEN=127.0.0.1:0",
                taken.address()
            )
        );
    }

    #[tokio::test]
    async fn the_builder_starts_on_a_free_loopback_port_by_default() {
        let sandbox = Sandbox::builder().start().await.unwrap();

        assert!(sandbox.address().ip().is_loopback());
        assert_ne!(sandbox.address().port(), 0);
        assert_eq!(
            sandbox.intellectmoney_url(),
            format!("http://{}/intellectmoney", sandbox.address())
        );
    }

    #[tokio::test]
    async fn an_unknown_scenario_is_refused_as_the_control_plane_refuses_it() {
        let sandbox = Sandbox::start().await;

        let refused = sandbox.arm_scenario(Arm::new("softline.nothing")).await;

        assert_eq!(
            refused.unwrap_err().to_string(),
            "no scenario \"softline.nothing\" in the catalogue (GET /__sandbox/scenarios/catalogue)"
        );
    }

    #[tokio::test]
    async fn a_clock_move_beyond_a_century_is_refused_as_the_control_plane_refuses_it() {
        let sandbox = Sandbox::start().await;

        let refused = sandbox.advance_clock(i64::MIN).await;

        assert_eq!(
            refused.unwrap_err().to_string(),
            "seconds must be within ±3162240000"
        );
    }
}
