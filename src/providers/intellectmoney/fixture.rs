//! `fixtures/intellectmoney.json`: shops with their keys, the currency list,
//! and how fast a payment moves through its steps.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub shops: Vec<Shop>,
    /// `RecipientCurrency` values accepted (RUB, RUR, TST, USD, EUR).
    pub currencies: Vec<String>,
    /// Lifetime of an invoice created without `ExpireDate` (6 months).
    pub invoice_lifetime_days: i64,
    pub pacing: Pacing,
    /// Seconds between result-notification attempts.
    pub notification_retry_seconds: Vec<u64>,
    /// The offset `paymentData` and `ExpireDate` are written in (Moscow).
    pub utc_offset: String,
    pub invoice_ids: IdRange,
    /// How long a HoldMode=1 payment stays held when the invoice gives no
    /// `HoldTime` (or 0); hours, at most 119.
    pub default_hold_hours: u32,
    /// The instalment plan the PayLate page shows.
    pub paylate: PayLate,
}

impl crate::core::fixtures::FixtureFile for Fixture {
    const FILE: &'static str = "intellectmoney.json";
    const BUILTIN: &'static str = include_str!("../../../fixtures/intellectmoney.json");
}

/// PayLate ("оплата частями"): the purchase split into equal parts.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayLate {
    pub installments: u32,
    pub interval_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shop {
    /// `EshopId`.
    pub eshop_id: u32,
    pub name: String,
    /// `eshopAccount` in notifications.
    pub eshop_account: u64,
    /// The `Authorization: Bearer` token issued in the merchant cabinet.
    pub bearer_token: String,
    /// Ends the MD5 `Hash` template.
    pub secret_key: String,
    /// Ends the SHA-256 `Sign` template.
    pub sign_secret_key: String,
    /// The shop's "Result URL" setting, used when an invoice has no ResultUrl.
    pub result_url: Option<String>,
    /// "Принимать только уникальный номер покупки": refuse a repeated OrderId.
    pub unique_order_id: bool,
    /// Whether notifications carry `secretKey` in clear.
    pub send_secret_key: bool,
}

/// How a card, SBP or BNPL payment advances while the merchant polls
/// `GetBankCardPaymentState`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pacing {
    /// The step moves on after this many polls in each state: with
    /// `{created: 1, in_process: 2}` the 1st poll answers `Created`, the 2nd
    /// and 3rd `InProcess`, the 4th the next step.
    Polls { created: u32, in_process: u32 },
    /// The step moves on after this many sandbox seconds in each state.
    Seconds { created: u64, in_process: u64 },
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdRange {
    pub from: u64,
    pub to: u64,
}
