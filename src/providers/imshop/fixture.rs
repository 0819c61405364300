//! `fixtures/imshop.json`: what paysandbox sends when it plays IMSHOP.IO,
//! and the reference merchant's settings.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The API key sent to merchants as `Authorization: Bearer`.
    pub api_key: String,
    /// Default per-call timeout of a run.
    pub timeout_ms: u64,
    /// Waits between repeated `capture` calls while the merchant answers `pending`.
    pub pending_backoff_ms: Vec<u64>,
    /// How long a run waits for the merchant's POST to `/imshop/sync`.
    pub sync_wait_ms: u64,
    /// The `paymentMethodId` each flow sends (the real value comes from the
    /// merchant's own payment-methods webhook, which a run does not call).
    pub payment_method_ids: PaymentMethodIds,
    /// `returnUrl` of `create`: the app's deep link for a cancelled payment.
    pub return_url: String,
    /// Navigations the web view follows before it gives up (a redirect loop).
    pub max_web_view_hops: usize,
    /// How long a run over HTTP waits for a person to finish a payment page
    /// in a browser and submit the final URL.
    pub browser_wait_ms: u64,
    /// Runs kept by `POST /imshop/runs` before the oldest finished ones go.
    pub runs_kept: usize,
    pub demo_merchant: DemoMerchant,
    /// How a run reads what the docs leave ambiguous in the checkout
    /// (`imshop-checkout.md` §7). Absent from older fixture files: the
    /// defaults.
    #[serde(default)]
    pub checkout: Checkout,
}

/// The readings of the checkout's ambiguous points, and what a run's
/// checkout requests carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Checkout {
    /// What `create` (and the wallet commands) send as `paymentMethodId`
    /// for a method the payment-methods webhook offered.
    pub payment_method_id: MethodIdReading,
    /// Where the order-export answer's `message` may be.
    pub order_message: MessagePlacement,
    /// Where the API key goes when a run does not say.
    pub key_placement: super::options::KeyPlacement,
    /// `city` of the checkout requests.
    pub city: String,
    /// `installId` of the order export.
    pub install_id: String,
}

impl Default for Checkout {
    fn default() -> Self {
        Self {
            payment_method_id: MethodIdReading::Raw,
            order_message: MessagePlacement::Either,
            key_placement: super::options::KeyPlacement::Bearer,
            city: "Москва".to_owned(),
            install_id: "9e201bab-1ccf-47d1-82e0-90d71ee5fd2c".to_owned(),
        }
    }
}

/// `paymentMethodId` in the payment calls. The docs say it "is taken from
/// the answer of the payment-methods webhook", but their examples
/// (`sberbank/card`, `sbp`) look prefixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodIdReading {
    /// `payments[].id` as the merchant gave it: what the text says.
    Raw,
    /// `webhook/<payments[].id>`, as the order's `delivery` is
    /// `<source>/<id>` (and third-party merchants strip `webhook/`).
    WebhookPrefixed,
}

impl MethodIdReading {
    pub fn apply(self, id: &str) -> String {
        match self {
            Self::Raw => id.to_owned(),
            Self::WebhookPrefixed => format!("webhook/{id}"),
        }
    }
}

/// Where the order-export answer's `message` (the thank-you text) is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessagePlacement {
    /// Top level or per order: the single-order example has it at the top,
    /// the field list and the split-cart example per order.
    Either,
    /// Per order only (the 2025 field list); a top-level one warns.
    PerOrder,
    /// Top level only (the single-order example, the 2021 text); a
    /// per-order one warns.
    TopLevel,
}

impl crate::core::fixtures::FixtureFile for Fixture {
    const FILE: &'static str = "imshop.json";
    const BUILTIN: &'static str = include_str!("../../../fixtures/imshop.json");
}

/// `paymentMethodId` per flow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodIds {
    pub card: String,
    pub applepay: String,
    pub googlepay: String,
}

/// The reference merchant at `/demo/merchant/payments`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoMerchant {
    /// The Softline token it calls the Softline sandbox with.
    pub softline_token: String,
    pub payment_method: String,
    pub currency: String,
    /// What every demo order costs.
    pub amount: String,
    /// A wallet cryptogram containing this text is declined.
    pub decline_cryptogram_marker: String,
    /// The buyer the demo sends to Softline (IMSHOP's payment calls carry
    /// no buyer; a real merchant takes it from the exported order).
    pub customer_email: String,
    pub customer_first_name: String,
    pub customer_last_name: String,
    /// Payments the demo remembers before forgetting the oldest.
    pub orders_kept: usize,
}
