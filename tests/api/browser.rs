//! A real browser for end-to-end journeys: Debian's Chromium, headless,
//! driven over WebDriver by chromedriver (nothing downloads a browser).
//!
//! When Chromium or chromedriver is missing the journeys skip with a message,
//! except under `CI=true`, where that is a failure (`.ci/run` installs both).
//! A failing journey saves a screenshot and the page's HTML under
//! `target/e2e-artifacts/` and prints their paths.

use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::sync::Mutex;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

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

/// Runs `journey` in a fresh headless Chromium. Returns without running it
/// (saying why) when no browser is installed and CI is not set.
pub async fn run_journey<F, Fut>(name: &str, journey: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = (Browser, Outcome)>,
{
    let installed =
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !installed {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "CI=true but {CHROMIUM} or {CHROMEDRIVER} is missing: .ci/run installs them"
        );
        eprintln!(
            "skipping browser journey {name}: install chromium and chromium-driver to run it"
        );
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().await;
    let browser = Browser::launch().await;
    let (browser, outcome) = journey(browser).await;
    if let Err(problem) = outcome {
        let saved = browser.save_artifacts(name).await;
        browser.close().await;
        panic!("browser journey {name} failed: {problem}\nartifacts: {saved}");
    }
    browser.close().await;
}

/// A Chromium session and its chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
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
                    "--window-size=412,915",
                    format!("--user-data-dir={}", profile.display()),
                ],
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
                Err(err) if Instant::now() < deadline => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(100)).await;
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

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }

    async fn save_artifacts(&self, name: &str) -> String {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-artifacts");
        let _ = std::fs::create_dir_all(&dir);
        let png = dir.join(format!("{name}.png"));
        let html = dir.join(format!("{name}.html"));
        if let Ok(bytes) = self.client.screenshot().await {
            let _ = std::fs::write(&png, bytes);
        }
        if let Ok(source) = self.client.source().await {
            let url = self.url().await;
            let _ = std::fs::write(&html, format!("<!-- {url} -->\n{source}"));
        }
        format!("{} {}", png.display(), html.display())
    }

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

    pub async fn click(&self, css: &str) -> Outcome {
        self.find(css)
            .await?
            .click()
            .await
            .map_err(|e| format!("could not click {css}: {e}"))
    }

    pub async fn find(&self, css: &str) -> Result<fantoccini::elements::Element, String> {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => Ok(element),
            Err(e) => Err(format!("no element {css} on {}: {e}", self.url().await)),
        }
    }

    pub async fn text(&self, css: &str) -> Result<String, String> {
        self.find(css)
            .await?
            .text()
            .await
            .map_err(|e| format!("no text in {css}: {e}"))
    }

    /// Waits until the URL satisfies `predicate` (redirects, auto-submits).
    pub async fn wait_for_url(
        &self,
        what: &str,
        predicate: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.url().await;
            if predicate(&url) {
                return Ok(url);
            }
            if Instant::now() > deadline {
                return Err(format!("the browser never reached {what}; it is on {url}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
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
