//! A real browser for end-to-end journeys: Debian's Chromium, headless,
//! driven over WebDriver by chromedriver (nothing downloads a browser).
//!
//! The build script (`build.rs`) looks for `chromium` and `chromedriver` on
//! `PATH`: without them every journey is compiled with
//! `#[cfg_attr(not(e2e_browser), ignore = …)]` and shows as ignored, except
//! under `CI=true`, where they run and a missing browser fails them
//! (`.ci/run` installs both).
//! A failing journey (an `ensure!`, a panic in a helper, or a journey that
//! hangs past [`JOURNEY_LIMIT`]) saves a screenshot and the page's HTML under
//! `target/e2e-artifacts/` and prints their paths. With `E2E_SCREENSHOTS=1`
//! the journeys also save their key pages there on success
//! ([`Browser::snapshot`]).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt as _;
use serde_json::Value;
use tokio::sync::Mutex;

/// Where the build script found them (the bare names when it did not).
const CHROMIUM: &str = env!("PAYSANDBOX_E2E_CHROMIUM");
const CHROMEDRIVER: &str = env!("PAYSANDBOX_E2E_CHROMEDRIVER");

/// A phone: the pages are opened in app web views.
pub const WINDOW: (u32, u32) = (412, 915);

/// How long one journey may take before it counts as hung.
const JOURNEY_LIMIT: Duration = Duration::from_secs(90);

/// How long an element or a URL is waited for.
const WAIT: Duration = Duration::from_secs(10);

/// One browser at a time: Chromium is heavy and CI has two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// A journey's failure: what went wrong, in words.
pub type Outcome = Result<(), String>;

/// Fails the journey (with artifacts) unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// The CSS selector of a `data-testid`.
pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// Runs `journey` in a fresh headless Chromium. A journey only runs where
/// the build found a browser, or under `CI=true`: a missing one fails it.
pub async fn run_journey<F, Fut>(name: &str, journey: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let installed =
        std::path::Path::new(CHROMIUM).is_file() && std::path::Path::new(CHROMEDRIVER).is_file();
    assert!(
        installed,
        "browser journey {name}: {CHROMIUM} or {CHROMEDRIVER} is missing \
         (apt-get install chromium chromium-driver)"
    );
    let turn = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let session = Session::launch().await;
    let launched = started.elapsed();
    let browser = Browser {
        client: session.client.clone(),
    };
    // A panic in a helper (an `assert_eq!` on an API answer) must still
    // leave artifacts and close the browser, so it is caught here.
    let ran = AssertUnwindSafe(tokio::time::timeout(JOURNEY_LIMIT, journey(browser)))
        .catch_unwind()
        .await;
    let problem = match ran {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(problem))) => Some(problem),
        Ok(Err(_)) => Some(format!("still running after {JOURNEY_LIMIT:?}")),
        Err(panic) => Some(panic_text(panic.as_ref())),
    };
    if let Some(problem) = problem {
        let saved = save_artifacts(&session.client, name).await;
        session.close().await;
        panic!("browser journey {name} failed: {problem}\nartifacts: {saved}");
    }
    // A closing browser hardly works any more: the next journey may start
    // its own meanwhile (half a second saved per journey).
    drop(turn);
    eprintln!(
        "browser journey {name}: {:.1} s (browser start {:.1} s)",
        started.elapsed().as_secs_f64(),
        launched.as_secs_f64(),
    );
    session.close().await;
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic".to_owned())
}

fn artifacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-artifacts")
}

/// Saves a screenshot and the HTML (with its URL) as `name.png`/`name.html`.
async fn save_artifacts(client: &Client, name: &str) -> String {
    let dir = artifacts_dir();
    let _ = std::fs::create_dir_all(&dir);
    let png = dir.join(format!("{name}.png"));
    let html = dir.join(format!("{name}.html"));
    if let Ok(bytes) = client.screenshot().await {
        let _ = std::fs::write(&png, bytes);
    }
    if let Ok(source) = client.source().await {
        let url = client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let _ = std::fs::write(&html, format!("<!-- {url} -->\n{source}"));
    }
    format!("{} {}", png.display(), html.display())
}

/// Chromium's driver process and its throwaway profile.
struct Session {
    client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Session {
    async fn launch() -> Self {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile =
            std::env::temp_dir().join(format!("paysandbox-chromium-{}-{port}", std::process::id()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--hide-scrollbars",
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                    format!("--user-data-dir={}", profile.display()),
                ],
                // Headless Chromium keeps windows at least 500 px wide and
                // takes its own toolbars off the height: emulating the
                // phone gives the page exactly WINDOW, as a web view does.
                "mobileEmulation": {
                    "deviceMetrics": {
                        "width": WINDOW.0, "height": WINDOW.1,
                        "pixelRatio": 1.0, "touch": true,
                    },
                },
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("chromedriver did not start a session: {err}"),
            }
        };
        Self {
            client,
            driver,
            profile,
        }
    }

    /// Ends the WebDriver session, which quits Chromium; dropping the
    /// session then stops chromedriver.
    async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Stops chromedriver even when a journey's test is torn down mid-way.
impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The browser a journey drives, with the few gestures a person makes.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
}

impl Browser {
    /// The URL the browser shows now.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    pub async fn goto(&self, url: &str) -> Outcome {
        self.client
            .goto(url)
            .await
            .map_err(|e| format!("could not open {url}: {e}"))
    }

    /// Types `text` into the element matching `css`, as a person would.
    pub async fn type_into(&self, css: &str, text: &str) -> Outcome {
        let element = self.find(css).await?;
        element
            .clear()
            .await
            .map_err(|e| format!("could not clear {css}: {e}"))?;
        element
            .send_keys(text)
            .await
            .map_err(|e| format!("could not type into {css}: {e}"))
    }

    /// Presses Enter in the element matching `css` (a field submits its
    /// form; a focused button is activated).
    pub async fn press_enter(&self, css: &str) -> Outcome {
        self.find(css)
            .await?
            .send_keys(&Key::Enter)
            .await
            .map_err(|e| format!("could not press Enter in {css}: {e}"))
    }

    pub async fn click(&self, css: &str) -> Outcome {
        self.find(css)
            .await?
            .click()
            .await
            .map_err(|e| format!("could not click {css}: {e}"))
    }

    /// Chooses the option with `value` in the `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) -> Outcome {
        self.find(css)
            .await?
            .select_by_value(value)
            .await
            .map_err(|e| format!("could not choose {value} in {css}: {e}"))
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Result<Element, String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .client
                .wait()
                .at_most(left)
                .for_element(Locator::Css(css))
                .await
            {
                Ok(element) => return Ok(element),
                // The page navigated while it was being searched (a form
                // posting itself, under load): Chrome answers the search
                // "aborted by navigation"; the page it landed on is asked.
                Err(e) if e.to_string().contains("aborted by navigation") && !left.is_zero() => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(e) => return Err(format!("no element {css} on {}: {e}", self.url().await)),
            }
        }
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String, String> {
        self.find(css)
            .await?
            .text()
            .await
            .map_err(|e| format!("no text in {css}: {e}"))
    }

    /// An attribute of the element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Result<String, String> {
        self.find(css)
            .await?
            .attr(name)
            .await
            .map_err(|e| format!("no attribute {name} on {css}: {e}"))?
            .ok_or_else(|| format!("{css} has no attribute {name}"))
    }

    /// Runs `script` in the page (`arguments[0]` is `arg`) and returns what
    /// it returns.
    pub async fn execute(&self, script: &str, arg: Value) -> Result<Value, String> {
        match self.client.execute(script, vec![arg]).await {
            Ok(value) => Ok(value),
            Err(e) => Err(format!("script failed on {}: {e}", self.url().await)),
        }
    }

    /// Waits until the URL satisfies `predicate` (redirects, auto-submits).
    pub async fn wait_for_url(
        &self,
        what: &str,
        predicate: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.url().await;
            if predicate(&url) {
                return Ok(url);
            }
            if Instant::now() > deadline {
                return Err(format!("the browser never reached {what}; it is on {url}"));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the text of `css` contains `needle`, in any letter case
    /// (CSS may upper-case it), for a page that refreshes itself or a value
    /// that arrives later.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> Result<String, String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self.text(css).await.unwrap_or_default();
            if found.to_lowercase().contains(&needle.to_lowercase()) {
                return Ok(found);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{css} never said {needle:?} on {}; it says {found:?}",
                    self.url().await
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The windows (tabs) open now.
    pub async fn windows(&self) -> Result<Vec<WindowHandle>, String> {
        self.client
            .windows()
            .await
            .map_err(|e| format!("could not list windows: {e}"))
    }

    /// Switches to the tab a link with `target=_blank` opened, which is
    /// the one not in `before`.
    pub async fn switch_to_new_window(&self, before: &[WindowHandle]) -> Outcome {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.windows().await?;
            if let Some(new) = now.into_iter().find(|w| !before.contains(w)) {
                return self
                    .client
                    .switch_to_window(new)
                    .await
                    .map_err(|e| format!("could not switch windows: {e}"));
            }
            if Instant::now() > deadline {
                return Err("no new window opened".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Closes the current tab and goes back to `window`.
    pub async fn close_window_to(&self, window: WindowHandle) -> Outcome {
        self.client
            .close_window()
            .await
            .map_err(|e| format!("could not close the window: {e}"))?;
        self.client
            .switch_to_window(window)
            .await
            .map_err(|e| format!("could not switch windows: {e}"))
    }

    /// With `E2E_SCREENSHOTS=1`, saves the page as it is now under
    /// `target/e2e-artifacts/{name}.png` (and `.html`), to look at.
    pub async fn snapshot(&self, name: &str) {
        if std::env::var("E2E_SCREENSHOTS").is_ok_and(|v| v == "1") {
            let saved = save_artifacts(&self.client, name).await;
            eprintln!("screenshot: {saved}");
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
