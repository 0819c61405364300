//! `fixtures/softline.json`: the contract-specific dictionaries the real
//! service configures per merchant, plus the sandbox's credentials.
//!
//! Values that could make the sandbox misbehave (an empty id range, an
//! offset that is not `+hh:mm`, a webhook URL that is not absolute) are
//! refused when the file is loaded, naming the field, so a bad override
//! stops start-up instead of surfacing as a strange answer later.

use serde::Deserialize;
use time::{Duration, UtcOffset};

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
    pub utc_offset: Offset,
    /// Where `order_id` numbers are drawn from.
    pub order_ids: IdRange,
    /// Sandbox seconds between `POST /v1/payment/recurring` and the end of
    /// its charge (the real charge is asynchronous; the docs give no time).
    #[serde(default = "default_recurring_delay")]
    pub recurring_charge_delay_seconds: u64,
}

impl crate::core::fixtures::FixtureFile for Fixture {
    const FILE: &'static str = "softline.json";
    const BUILTIN: &'static str = include_str!("../../../fixtures/softline.json");
}

fn default_recurring_delay() -> u64 {
    5
}

/// The longest span any fixture duration is taken to mean: beyond it the
/// sandbox's timestamps would leave the representable range.
const MAX_SPAN_SECONDS: i64 = 100 * 366 * 24 * 3600;

fn span(amount: i64, unit_seconds: i64) -> Duration {
    Duration::seconds(
        amount
            .saturating_mul(unit_seconds)
            .clamp(0, MAX_SPAN_SECONDS),
    )
}

impl Fixture {
    /// How long a `login_check` token lives.
    pub fn token_lifetime(&self) -> Duration {
        span(self.token_lifetime_hours, 3600)
    }

    /// How long a payment may stay `not paid` before it is `deleted`.
    pub fn unpaid_lifetime(&self) -> Duration {
        span(self.unpaid_lifetime_days, 24 * 3600)
    }

    /// How long a recurring charge takes.
    pub fn recurring_delay(&self) -> Duration {
        span(
            i64::try_from(self.recurring_charge_delay_seconds).unwrap_or(i64::MAX),
            1,
        )
    }

    /// The payment method with this exact code.
    pub fn method(&self, code: &str) -> Option<&PaymentMethod> {
        self.payment_methods.iter().find(|m| m.code == code)
    }

    pub fn currency_enabled(&self, code: &str) -> bool {
        self.currencies.iter().any(|c| c == code)
    }

    pub fn locale_known(&self, code: &str) -> bool {
        self.locales.iter().any(|l| l == code)
    }
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
    /// Where events go until `PUT /__sandbox/softline/webhook` changes it;
    /// `null` sends nothing.
    pub url: Option<WebhookUrl>,
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

impl PaymentMethod {
    pub fn takes_currency(&self, code: &str) -> bool {
        self.currencies.iter().any(|c| c == code)
    }

    pub fn takes_amount(&self, amount: Amount) -> bool {
        (self.min_amount..=self.max_amount).contains(&amount)
    }
}

/// A range of order ids, `from` below `to`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "RawIdRange")]
pub struct IdRange {
    pub from: u64,
    pub to: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdRange {
    from: u64,
    to: u64,
}

impl TryFrom<RawIdRange> for IdRange {
    type Error = String;

    fn try_from(raw: RawIdRange) -> Result<Self, Self::Error> {
        if raw.from >= raw.to {
            return Err(format!(
                "`from` ({}) must be below `to` ({})",
                raw.from, raw.to
            ));
        }
        Ok(Self {
            from: raw.from,
            to: raw.to,
        })
    }
}

/// A UTC offset written `+hh:mm` or `-hh:mm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(pub UtcOffset);

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        let format =
            time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
        UtcOffset::parse(&text, format)
            .map(Self)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not an offset like +03:00")))
    }
}

/// An absolute http(s) URL for webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        match reqwest::Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Ok(Self(text.to_owned()))
            }
            _ => Err(format!("{text:?} is not an absolute http(s) URL")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for WebhookUrl {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILT_IN: &str = include_str!("../../../fixtures/softline.json");

    #[test]
    fn the_built_in_fixture_has_the_contract_dictionaries() {
        let fixture: Fixture = serde_json::from_str(BUILT_IN).unwrap();
        assert_eq!(fixture.currencies, ["RUB", "USD", "EUR"]);
        assert_eq!(fixture.utc_offset.0, UtcOffset::from_hms(3, 0, 0).unwrap());
        assert_eq!(fixture.recurring_charge_delay_seconds, 5);
        assert!(fixture.method("CreditCard").unwrap().recurring);
        assert!(fixture.method("creditcard").is_none(), "codes are exact");
        assert_eq!(fixture.unpaid_lifetime(), Duration::days(90));
        assert_eq!(fixture.token_lifetime(), Duration::hours(24));
        assert_eq!(fixture.recurring_delay(), Duration::seconds(5));
    }

    #[test]
    fn absurd_durations_are_clamped_instead_of_overflowing() {
        let mut fixture: Fixture = serde_json::from_str(BUILT_IN).unwrap();
        fixture.unpaid_lifetime_days = i64::MAX;
        fixture.token_lifetime_hours = -5;
        fixture.recurring_charge_delay_seconds = u64::MAX;

        assert_eq!(
            fixture.unpaid_lifetime(),
            Duration::seconds(MAX_SPAN_SECONDS)
        );
        assert_eq!(fixture.token_lifetime(), Duration::ZERO);
        assert_eq!(
            fixture.recurring_delay(),
            Duration::seconds(MAX_SPAN_SECONDS)
        );
    }

    #[test]
    fn an_empty_id_range_a_bad_offset_or_a_relative_webhook_url_is_refused() {
        let cases = [
            (
                r#""order_ids": { "from": 5000000, "to": 6000000 }"#,
                r#""order_ids": { "from": 7, "to": 7 }"#,
                "must be below",
            ),
            (
                r#""utc_offset": "+03:00""#,
                r#""utc_offset": "Moscow""#,
                "not an offset",
            ),
            (
                r#""url": null"#,
                r#""url": "/hooks""#,
                "absolute http(s) URL",
            ),
        ];
        for (from, to, message) in cases {
            assert!(BUILT_IN.contains(from), "{from}");
            let err = serde_json::from_str::<Fixture>(&BUILT_IN.replace(from, to))
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{to}: {err}");
        }
    }
}
