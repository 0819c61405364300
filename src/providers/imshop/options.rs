//! What a run is asked to do: the wire form (`POST /imshop/runs`, and the
//! CLI's flags mapped onto it) and the checked [`RunOptions`] the engine
//! takes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Fixture;

/// The flows a run can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// `create` → the payment page in the web view → `capture`.
    Card,
    /// `applepay` with a base64 cryptogram.
    Applepay,
    /// `androidpay` with a base64 cryptogram.
    Googlepay,
}

impl Flow {
    pub const ALL: [Flow; 3] = [Flow::Card, Flow::Applepay, Flow::Googlepay];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Applepay => "applepay",
            Self::Googlepay => "googlepay",
        }
    }

    /// The command that starts the flow.
    pub fn command(self) -> &'static str {
        match self {
            Self::Card => "create",
            Self::Applepay => "applepay",
            Self::Googlepay => "androidpay",
        }
    }

    pub fn payment_method_id(self, fixture: &Fixture) -> &str {
        match self {
            Self::Card => &fixture.payment_method_ids.card,
            Self::Applepay => &fixture.payment_method_ids.applepay,
            Self::Googlepay => &fixture.payment_method_ids.googlepay,
        }
    }
}

/// `--flow`: one flow or all of them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FlowChoice {
    Card,
    Applepay,
    Googlepay,
    #[default]
    All,
    /// Every flow, each preceded by the whole checkout: it needs the
    /// `methods` and `orders` URLs (`deliveries` stays optional).
    Checkout,
}

impl FlowChoice {
    pub fn flows(self) -> Vec<Flow> {
        match self {
            Self::Card => vec![Flow::Card],
            Self::Applepay => vec![Flow::Applepay],
            Self::Googlepay => vec![Flow::Googlepay],
            Self::All | Self::Checkout => Flow::ALL.to_vec(),
        }
    }
}

/// Where the API key goes in each call to the merchant. The docs allow
/// both and do not say which IMSHOP.IO itself uses (see
/// `imshop-checkout.md` §1.2): a run can send either, or both.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum KeyPlacement {
    /// `Authorization: Bearer <key>`: the one form every page agrees on.
    #[default]
    Bearer,
    /// A top-level `"key"` field in the JSON body (the 2020–2021 wording,
    /// and the only webhook example that carries a key).
    Body,
    /// Both at once.
    Both,
}

impl KeyPlacement {
    pub fn bearer(self) -> bool {
        matches!(self, Self::Bearer | Self::Both)
    }

    pub fn body(self) -> bool {
        matches!(self, Self::Body | Self::Both)
    }
}

/// The merchant's checkout webhooks a run calls before the payment, each
/// optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckoutUrls {
    /// The payment-methods webhook ("Оплаты").
    pub methods: Option<reqwest::Url>,
    /// The deliveries webhook ("Доставки").
    pub deliveries: Option<reqwest::Url>,
    /// The order-export webhook ("Оформление заказа").
    pub orders: Option<reqwest::Url>,
}

impl CheckoutUrls {
    /// No checkout step: the run pays orders of its own making, as before.
    pub fn is_empty(&self) -> bool {
        self.methods.is_none() && self.deliveries.is_none() && self.orders.is_none()
    }
}

/// The outcome the buyer goes for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Pays with an approved card (or a wallet cryptogram that approves).
    #[default]
    Success,
    /// Pays with a declined card (or a cryptogram that says `decline`).
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// Who completes the payment page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebViewMode {
    /// The run fills paysandbox's hosted pages itself and hands a page it
    /// cannot drive over to a person.
    #[default]
    Auto,
    /// The run hands every payment page over to a person at once (over
    /// HTTP only: the CLI has nobody to hand it to).
    Browser,
}

/// `POST /imshop/runs`, and what the CLI's flags become.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The merchant's payments webhook (http or https). Empty or absent:
    /// only the checkout webhooks are tested (one of `methods`,
    /// `deliveries`, `orders` is then needed), as a merchant does before
    /// it has the acquiring integration, which the docs bring in last.
    #[serde(default)]
    pub webhook: String,
    /// API key sent as `Authorization: Bearer` (default from the fixture).
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub flow: Option<FlowChoice>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Per-call timeout (default from the fixture, 10 000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// The merchant's order id (generated when absent).
    #[serde(default)]
    pub order_id: Option<String>,
    /// IMSHOP's order uuid (generated when absent).
    #[serde(default)]
    pub order_uuid: Option<String>,
    /// Waits between repeated `capture` calls while `pending` (default
    /// from the fixture).
    #[serde(default)]
    pub pending_backoff_ms: Option<Vec<u64>>,
    /// How long to wait for the merchant's POST to `/imshop/sync`.
    #[serde(default)]
    pub sync_wait_ms: Option<u64>,
    #[serde(default)]
    pub web_view: Option<WebViewMode>,
    /// The merchant's payment-methods webhook: called before each flow, and
    /// the flow pays with the method it offers.
    #[serde(default)]
    pub methods: Option<String>,
    /// The merchant's deliveries webhook: called first; the chosen
    /// delivery goes into the payment-methods request and the order.
    #[serde(default)]
    pub deliveries: Option<String>,
    /// The merchant's order-export webhook: the flow pays the order number
    /// it answers.
    #[serde(default)]
    pub orders: Option<String>,
    /// Where the API key goes (default from the fixture, `bearer`).
    #[serde(default)]
    pub key_placement: Option<KeyPlacement>,
    /// The buyer orders as a legal entity: the checkout requests carry
    /// `legalEntityMode: true` and the order its `legalEntity`.
    #[serde(default)]
    pub legal_entity: Option<bool>,
}

/// A run's checked options.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `None`: the run stops after each flow's checkout.
    pub webhook: Option<reqwest::Url>,
    pub key: String,
    pub flows: Vec<Flow>,
    pub outcome: Outcome,
    pub timeout: Duration,
    pub order_id: Option<String>,
    pub order_uuid: Option<String>,
    pub pending_backoff: Vec<Duration>,
    pub sync_wait: Duration,
    pub web_view: WebViewMode,
    pub checkout: CheckoutUrls,
    pub key_placement: KeyPlacement,
    pub legal_entity: bool,
}

/// Why a run cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("webhook {0:?} is not an absolute http(s) URL")]
    Webhook(String),
    #[error("{0} {1:?} is not an absolute http(s) URL")]
    CheckoutUrl(&'static str, String),
    #[error("webhook is required unless methods, deliveries or orders are given")]
    NoWebhook,
    #[error("flow checkout needs the methods and orders URLs (deliveries is optional)")]
    CheckoutIncomplete,
    #[error("the API key must not be empty")]
    EmptyKey,
    #[error("timeout_ms must be between 1 and {MAX_TIMEOUT_MS}")]
    Timeout,
    #[error("{0} must be 1 to 200 characters without control characters")]
    Id(&'static str),
    #[error("pending_backoff_ms takes at most {MAX_POLLS} waits of at most {MAX_WAIT_MS} ms each")]
    Backoff,
    #[error("sync_wait_ms must be at most {MAX_WAIT_MS}")]
    SyncWait,
}

/// Ten minutes: longer than any sane webhook, short enough that a typo
/// does not hang a CI job for a day.
const MAX_TIMEOUT_MS: u64 = 600_000;
const MAX_WAIT_MS: u64 = 600_000;
const MAX_POLLS: usize = 20;

impl RunOptions {
    /// Checks `request`, filling what it leaves out from the fixture.
    pub fn parse(request: RunRequest, fixture: &Fixture) -> Result<Self, OptionsError> {
        let webhook = match request.webhook.trim() {
            "" => None,
            text => {
                Some(http_url(text).ok_or_else(|| OptionsError::Webhook(request.webhook.clone()))?)
            }
        };
        let checkout = CheckoutUrls {
            methods: checkout_url(request.methods.as_deref(), "methods")?,
            deliveries: checkout_url(request.deliveries.as_deref(), "deliveries")?,
            orders: checkout_url(request.orders.as_deref(), "orders")?,
        };
        let flow = request.flow.unwrap_or_default();
        if flow == FlowChoice::Checkout && (checkout.methods.is_none() || checkout.orders.is_none())
        {
            return Err(OptionsError::CheckoutIncomplete);
        }
        if webhook.is_none() && checkout.is_empty() {
            return Err(OptionsError::NoWebhook);
        }
        let key = request.key.unwrap_or_else(|| fixture.api_key.clone());
        if key.trim().is_empty() {
            return Err(OptionsError::EmptyKey);
        }
        let timeout_ms = request.timeout_ms.unwrap_or(fixture.timeout_ms);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(OptionsError::Timeout);
        }
        let order_id = checked_id(request.order_id, "order_id")?;
        let order_uuid = checked_id(request.order_uuid, "order_uuid")?;
        let backoff = request
            .pending_backoff_ms
            .unwrap_or_else(|| fixture.pending_backoff_ms.clone());
        if backoff.len() > MAX_POLLS || backoff.iter().any(|&ms| ms > MAX_WAIT_MS) {
            return Err(OptionsError::Backoff);
        }
        let sync_wait_ms = request.sync_wait_ms.unwrap_or(fixture.sync_wait_ms);
        if sync_wait_ms > MAX_WAIT_MS {
            return Err(OptionsError::SyncWait);
        }
        Ok(Self {
            webhook,
            key,
            flows: flow.flows(),
            outcome: request.outcome.unwrap_or_default(),
            timeout: Duration::from_millis(timeout_ms),
            order_id,
            order_uuid,
            pending_backoff: backoff.into_iter().map(Duration::from_millis).collect(),
            sync_wait: Duration::from_millis(sync_wait_ms),
            web_view: request.web_view.unwrap_or_default(),
            checkout,
            key_placement: request
                .key_placement
                .unwrap_or(fixture.checkout.key_placement),
            legal_entity: request.legal_entity.unwrap_or(false),
        })
    }
}

fn http_url(text: &str) -> Option<reqwest::Url> {
    reqwest::Url::parse(text.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

fn checkout_url(
    text: Option<&str>,
    name: &'static str,
) -> Result<Option<reqwest::Url>, OptionsError> {
    text.map(|text| http_url(text).ok_or_else(|| OptionsError::CheckoutUrl(name, text.to_owned())))
        .transpose()
}

fn checked_id(id: Option<String>, name: &'static str) -> Result<Option<String>, OptionsError> {
    match id {
        None => Ok(None),
        Some(id)
            if (1..=200).contains(&id.chars().count()) && !id.chars().any(char::is_control) =>
        {
            Ok(Some(id))
        }
        Some(_) => Err(OptionsError::Id(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fixtures::FixtureFile;

    fn request(webhook: &str) -> RunRequest {
        RunRequest {
            webhook: webhook.to_owned(),
            ..RunRequest::default()
        }
    }

    #[test]
    fn defaults_come_from_the_fixture() {
        let fixture = Fixture::builtin();
        let options = RunOptions::parse(request("http://127.0.0.1:1/pay"), &fixture).unwrap();
        assert_eq!(options.key, "sandbox-imshop-key");
        assert_eq!(options.timeout, Duration::from_secs(10));
        assert_eq!(options.flows, Flow::ALL);
        assert_eq!(options.outcome, Outcome::Success);
        assert_eq!(options.pending_backoff.len(), 5);
    }

    #[test]
    fn a_webhook_that_is_not_http_is_refused() {
        let fixture = Fixture::builtin();
        for bad in ["ftp://x/y", "not a url", "/relative", "http://"] {
            assert_eq!(
                RunOptions::parse(request(bad), &fixture).unwrap_err(),
                OptionsError::Webhook(bad.to_owned()),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_zero_timeout_and_an_empty_key_are_refused() {
        let fixture = Fixture::builtin();
        let mut r = request("https://shop.example/pay");
        r.timeout_ms = Some(0);
        assert_eq!(
            RunOptions::parse(r, &fixture).unwrap_err(),
            OptionsError::Timeout
        );
        let mut r = request("https://shop.example/pay");
        r.key = Some(" ".into());
        assert_eq!(
            RunOptions::parse(r, &fixture).unwrap_err(),
            OptionsError::EmptyKey
        );
    }

    #[test]
    fn flow_checkout_needs_the_methods_and_orders_urls() {
        let fixture = Fixture::builtin();
        let mut r = request("https://shop.example/pay");
        r.flow = Some(FlowChoice::Checkout);
        r.methods = Some("https://shop.example/methods".into());
        assert_eq!(
            RunOptions::parse(r.clone(), &fixture).unwrap_err(),
            OptionsError::CheckoutIncomplete
        );

        r.orders = Some("https://shop.example/orders".into());
        let options = RunOptions::parse(r, &fixture).unwrap();

        assert_eq!(options.flows, Flow::ALL);
        assert!(options.checkout.deliveries.is_none());
        assert_eq!(options.key_placement, KeyPlacement::Bearer);
    }

    #[test]
    fn without_a_webhook_a_run_needs_a_checkout_url() {
        let fixture = Fixture::builtin();
        let mut r = request("");
        assert_eq!(
            RunOptions::parse(r.clone(), &fixture).unwrap_err(),
            OptionsError::NoWebhook
        );

        r.orders = Some("https://shop.example/orders".into());
        let options = RunOptions::parse(r, &fixture).unwrap();

        assert_eq!(options.webhook, None);
    }

    #[test]
    fn a_checkout_url_that_is_not_http_is_refused_by_name() {
        let mut r = request("https://shop.example/pay");
        r.deliveries = Some("ftp://shop.example/d".into());

        assert_eq!(
            RunOptions::parse(r, &Fixture::builtin()).unwrap_err(),
            OptionsError::CheckoutUrl("deliveries", "ftp://shop.example/d".into())
        );
    }

    #[test]
    fn flow_all_is_every_flow() {
        assert_eq!(FlowChoice::All.flows(), Flow::ALL);
    }
}
