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
    pub demo_merchant: DemoMerchant,
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
}
