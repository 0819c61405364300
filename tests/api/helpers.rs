//! `spawn_app()` and the typed helpers every test uses.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use paysandbox::core::PublicUrl;
use paysandbox::core::clock::{Clock, FixedTime};
use paysandbox::core::outbox::DeliveryOutcome;
use paysandbox::fixtures::Fixtures;
use paysandbox::state::AppState;
use paysandbox::workspaces::Workspaces;
use paysandbox::{Sandbox, Settings};
use serde_json::Value;
use time::OffsetDateTime;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Logs only when `TEST_LOG=1`, so test output stays readable.
static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
        paysandbox::telemetry::init_subscriber("paysandbox=debug", std::io::stdout);
    }
    // Tests build their own reqwest clients; rustls needs its provider first.
    paysandbox::core::http_client::install_crypto_provider();
});

/// A running paysandbox and handles to drive it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// A client that does not follow redirects, so tests see each one.
    pub client: reqwest::Client,
    pub state: AppState,
    /// Every workspace of the sandbox (`state` is `default`'s).
    pub workspaces: Workspaces,
    /// `--softline-listen` / `--intellectmoney-listen` as bound, by mount point.
    provider_addresses: Vec<(&'static str, String)>,
    /// The running sandbox, shared with the views of its provider
    /// listeners; it stops when the last of them is dropped.
    pub sandbox: Arc<Sandbox>,
}

/// Settings every test starts from: a free port, a fixed seed, and no
/// background webhook worker (tests drive the outbox step by step).
pub fn test_settings() -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: Some(42),
        deliver_webhooks: false,
        webhook_timeout_ms: 2_000,
        shutdown_grace_ms: 1_000,
        ..Settings::default()
    }
}

/// The router of a sandbox that is not listening, for `oneshot` tests: the
/// test settings' seed, fixed ids, and a clock standing at `NOW` until a
/// test moves it (`state.core.clock.advance`), so every answer is stable.
pub fn in_process() -> (axum::Router, AppState) {
    LazyLock::force(&TRACING);
    let fixtures = Fixtures::load(None).expect("the built-in fixtures load");
    let clock = Clock::new(Arc::new(FixedTime::new(NOW)));
    let state = AppState::new(
        &test_settings(),
        &fixtures,
        clock,
        PublicUrl::new("http://sandbox.test"),
    );
    (paysandbox::router(state.clone()), state)
}

/// Where the in-process clock stands.
pub const NOW: OffsetDateTime = time::macros::datetime!(2026-01-15 12:00 UTC);

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

/// Starts paysandbox with `settings` the way a user's Rust test would,
/// through [`Sandbox`].
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    LazyLock::force(&TRACING);
    let sandbox = Sandbox::builder()
        .settings(settings)
        .start()
        .await
        .expect("the sandbox starts");
    let provider_addresses = sandbox
        .provider_addresses()
        .iter()
        .map(|(mount, addr)| (*mount, format!("http://{addr}")))
        .collect();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    TestApp {
        address: sandbox.base_url(),
        client,
        state: sandbox.state(),
        workspaces: sandbox.workspaces(),
        provider_addresses,
        sandbox: Arc::new(sandbox),
    }
}

impl TestApp {
    /// The same sandbox seen through the listener of the provider mounted at
    /// `mount` (`/softline`): its `url("/v1/payment")` is that listener's.
    pub fn provider_listener(&self, mount: &str) -> TestApp {
        let address = self
            .provider_addresses
            .iter()
            .find(|(m, _)| *m == mount)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| panic!("no listener of its own for {mount}"));
        TestApp {
            address,
            client: self.client.clone(),
            state: self.state.clone(),
            workspaces: self.workspaces.clone(),
            provider_addresses: Vec::new(),
            sandbox: Arc::clone(&self.sandbox),
        }
    }

    /// `path` under this sandbox; an absolute URL (one the sandbox handed
    /// out, a `payment_url`) stays as it is.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.address)
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POSTs an HTML form as a browser does (form-urlencoded, no redirect
    /// followed) to a path or an absolute URL.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// `GET path` as a browser asks for it; the status and the page, which
    /// must be HTML.
    pub async fn html_page(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8",
            "GET {path}"
        );
        (status, response.text().await.unwrap())
    }

    /// `GET path` as a browser asks for it: an HTML page answered 200.
    pub async fn html(&self, path: &str) -> String {
        let (status, page) = self.html_page(path).await;
        assert_eq!(status, 200, "GET {path}");
        page
    }

    /// Arms a scenario through the control plane (`{"id": …, "times": …}`).
    pub async fn arm_scenario(&self, scenario: &Value) {
        let response = self.post_json("/__sandbox/scenarios", scenario).await;
        assert_eq!(response.status(), 201, "armed {scenario}");
    }

    /// `POST /imshop/runs` with `body`, asserting 201; the run's id.
    pub async fn start_run(&self, body: &Value) -> String {
        self.start_run_at("/imshop/runs", body).await
    }

    /// The same at `runs_url` (a workspace's, which names it).
    pub async fn start_run_at(&self, runs_url: &str, body: &Value) -> String {
        let response = self.post_json(runs_url, body).await;
        assert_eq!(response.status(), 201, "{body}");
        let created: Value = response.json().await.unwrap();
        created["id"].as_str().unwrap().to_owned()
    }

    /// Polls the run until `done` says so; the run as it then is.
    pub async fn wait_for_run(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        wait_for(&format!("run {id} to get there"), async || {
            let run = self.get_json(&format!("/imshop/runs/{id}"), 200).await;
            done(&run).then_some(run)
        })
        .await
    }

    /// `GET` and parse JSON, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        response.json().await.unwrap()
    }

    /// Moves the sandbox clock through the control plane.
    pub async fn advance_clock(&self, seconds: i64) {
        let response = self
            .post_json(
                "/__sandbox/clock/advance",
                &serde_json::json!({ "seconds": seconds }),
            )
            .await;
        assert_eq!(response.status(), 200, "clock advance");
    }

    /// Runs the outbox's step function until nothing is due.
    pub async fn deliver_pending_webhooks(&self) -> Vec<DeliveryOutcome> {
        self.sandbox.deliver_pending_webhooks().await
    }

    /// `POST /__sandbox/workspaces {"name": name}`, asserting 201; the
    /// workspace as created (credentials and URLs).
    pub async fn create_workspace(&self, name: &str) -> Value {
        let response = self
            .post_json(
                "/__sandbox/workspaces",
                &serde_json::json!({ "name": name }),
            )
            .await;
        assert_eq!(response.status(), 201, "workspace {name} created");
        response.json().await.unwrap()
    }

    /// `POST {prefix}/snapshots {"name": name}` (`prefix`: `/__sandbox`
    /// or a workspace's control prefix), asserting 201; the summary.
    pub async fn take_snapshot(&self, prefix: &str, name: &str) -> Value {
        let response = self
            .post_json(
                &format!("{prefix}/snapshots"),
                &serde_json::json!({ "name": name }),
            )
            .await;
        assert_eq!(response.status(), 201, "snapshot {name} taken");
        response.json().await.unwrap()
    }

    /// `POST {prefix}/snapshots/{name}/restore`.
    pub async fn restore_snapshot(&self, prefix: &str, name: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("{prefix}/snapshots/{name}/restore")))
            .send()
            .await
            .unwrap()
    }

    /// `PUT {prefix}/snapshots/{name}` with `document`.
    pub async fn import_snapshot(
        &self,
        prefix: &str,
        name: &str,
        document: &str,
    ) -> reqwest::Response {
        self.client
            .put(self.url(&format!("{prefix}/snapshots/{name}")))
            .header("content-type", "application/json")
            .body(document.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// Runs the outbox's step function of the workspace `name` until
    /// nothing is due.
    pub async fn deliver_pending_webhooks_of(&self, name: &str) -> Vec<DeliveryOutcome> {
        let workspace = self
            .workspaces
            .named(name)
            .unwrap_or_else(|| panic!("no workspace {name}"));
        let mut outcomes = Vec::new();
        loop {
            match workspace.state.core.outbox.try_deliver_next().await {
                DeliveryOutcome::QueueEmpty => return outcomes,
                outcome => outcomes.push(outcome),
            }
        }
    }

    /// `GET /__sandbox/journal` with a query string.
    pub async fn journal(&self, query: &str) -> Vec<Value> {
        let body = self
            .get_json(&format!("/__sandbox/journal?{query}"), 200)
            .await;
        body["entries"].as_array().unwrap().clone()
    }
}

/// `body` with `value` at the JSON pointer `pointer` (parents must exist).
pub fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        &mut body
    } else {
        body.pointer_mut(parent).unwrap()
    };
    target
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), value);
    body
}

/// Whether a run has ended, passed or failed.
pub fn run_finished(run: &Value) -> bool {
    run["status"] == "passed" || run["status"] == "failed"
}

/// Polls `check` until it gives `Some` (every 20 ms, for at most 10 s).
pub async fn wait_for<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(done) = check().await {
            return done;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited 10 s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A webhook receiver (a merchant's ResultUrl, Softline's webhook URL)
/// answering every `POST` with 200 and the body `OK`, which every provider
/// takes as delivered.
pub async fn receiver() -> MockServer {
    receiver_answering(ResponseTemplate::new(200).set_body_string("OK")).await
}

/// A webhook receiver answering every `POST` with `answer`.
pub async fn receiver_answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// The `Location` of a redirect.
pub fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

/// The `Location` of a 303.
pub fn see_other(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303, "expected a 303");
    location(response).to_owned()
}

/// Seconds in a day, for moving the sandbox clock.
pub const DAY: i64 = 24 * 3600;

/// The paysandbox binary as a child process, for tests of what only the
/// process shows: the ready line, exit codes, signals.
pub struct RunningBinary {
    pub child: std::process::Child,
    pub base_url: String,
    pub ready_line: String,
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn binary() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_paysandbox"));
    // The tests choose every setting; none leaks in from the environment.
    for (key, _) in std::env::vars() {
        if key.starts_with("PAYSANDBOX_") {
            command.env_remove(key);
        }
    }
    command
}

/// Starts `paysandbox serve --listen 127.0.0.1:0 ARGS` and waits for its
/// ready line.
pub fn start_binary(args: &[&str]) -> RunningBinary {
    use std::io::BufRead;
    LazyLock::force(&TRACING);
    let mut child = binary()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut reader = std::io::BufReader::new(stdout);
    let mut ready_line = String::new();
    reader.read_line(&mut ready_line).unwrap();
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base_url = ready_line
        .trim_end()
        .strip_prefix("paysandbox listening on ")
        .unwrap_or_default()
        .to_owned();
    RunningBinary {
        child,
        base_url,
        ready_line,
    }
}
