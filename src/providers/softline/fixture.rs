//! `fixtures/softline.json`: the contract-specific dictionaries the real
//! service configures per merchant, plus the sandbox's credentials.

use serde::Deserialize;

use crate::core::money::Amount;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// API users for `POST /v1/login_check`.
    pub users: Vec<User>,
    /// Tokens that are always valid (CI-friendly: no login step).
    pub static_tokens: Vec<String>,
    /// How long a token from `login_check` lives (24 on the real service).
    pub token_lifetime_hours: i64,
    pub webhook: Webhook,
    /// Currencies enabled for the merchant (others answer 6000).
    pub currencies: Vec<String>,
    /// Locales the merchant may pass (others answer 6020).
    pub locales: Vec<String>,
    pub payment_methods: Vec<PaymentMethod>,
    /// Days an unpaid payment lives before it becomes `deleted` (90).
    pub unpaid_lifetime_days: i64,
    /// The offset timestamps are written with (Moscow, `+03:00`).
    pub utc_offset: String,
    /// Where `order_id` numbers are drawn from.
    pub order_ids: IdRange,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Where events go until `PUT /__sandbox/softline/webhook` changes it.
    pub url: Option<String>,
    /// The secret key that starts the SHA-512 signature string.
    pub secret: String,
    /// Seconds between delivery attempts.
    pub retry_seconds: Vec<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethod {
    /// The `payment_method` code (`CreditCard`).
    pub code: String,
    /// `payment.payment_system_name` in webhooks (`Bank Card`).
    pub name: String,
    pub currencies: Vec<String>,
    pub min_amount: Amount,
    pub max_amount: Amount,
    /// Whether `recurring_indicator: true` is allowed (else 6100).
    pub recurring: bool,
    /// Whether `customer.company_name` is required (else 6080).
    pub legal_entity_only: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdRange {
    pub from: u64,
    pub to: u64,
}
