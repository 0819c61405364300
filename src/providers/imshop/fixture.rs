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
