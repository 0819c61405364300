//! Softline's vocabulary: the typed values a request becomes and a payment
//! is made of.
//!
//! Newtypes that can only hold a valid value ([`Currency`], [`PaymentId`],
//! [`ReturnUrl`]), the buyer, the statuses, and each request once it is
//! valid ([`NewPayment`], [`NewRecurring`], [`SearchFilter`]). `validate`
//! makes these out of JSON and `model` keeps and changes them; both depend
//! on this module and neither on the other.

use std::borrow::Cow;

use time::OffsetDateTime;

use crate::core::money::Amount;

/// The longest text any parameter takes (the documentation states 255 for
/// the URL, the description and the company fields; the sandbox applies it
/// to every text).
pub const MAX_TEXT: usize = 255;

/// An ISO 4217 alpha-3 code: three capital Latin letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; 3] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(u8::is_ascii_uppercase)
            .then_some(Self(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters get in (see `parse`).
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

/// The merchant's own id of a payment: digits, Latin letters, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentId(String);

impl PaymentId {
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= MAX_TEXT
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(text.to_owned()))
    }

    /// One that passed [`PaymentId::parse`] when it was stored.
    pub(crate) fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the buyer goes after paying: an absolute http(s) URL, at most 255
/// characters, without whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnUrl(String);

impl ReturnUrl {
    pub fn parse(text: &str) -> Option<Self> {
        if text.chars().count() > MAX_TEXT
            || text.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return None;
        }
        if !plainly_http(text) {
            let url = reqwest::Url::parse(text).ok()?;
            if !(matches!(url.scheme(), "http" | "https") && url.host().is_some()) {
                return None;
            }
        }
        Some(Self(text.to_owned()))
    }

    /// One that passed [`ReturnUrl::parse`] when it was stored.
    pub(crate) fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL to redirect the buyer to, as the merchant wrote it
    /// (`https://shop.com` stays without a trailing slash);
    /// [`crate::web::redirect::see_other`] writes what a `Location` header
    /// cannot carry (an IDN host, non-ASCII bytes) the way a browser reads it.
    pub fn location(&self) -> &str {
        &self.0
    }
}

/// Whether `text` is an http(s) URL that the `url` crate accepts with a
/// host, told without parsing it: `http://` or `https://`, a host of
/// lower-case letters, digits, dots and single hyphens whose labels are not
/// empty and whose last label starts with a letter (so it is a domain, not
/// an IPv4 address, and no label is punycode), then anything else
/// (a path, query or fragment never fails to parse). Most return URLs are
/// like this, and parsing each (an allocation and a host lookup table)
/// was a tenth of a create-payment's validation. `false` only means "ask
/// the parser": the property test below holds it to the parser's verdict.
fn plainly_http(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let plain_label = |label: &str| {
        !label.is_empty()
            && !label.contains("--")
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    host.split('.').all(plain_label)
        && host
            .rsplit('.')
            .next()
            .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_lowercase()))
}

/// The documented statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
pub enum PaymentStatus {
    #[serde(rename = "not paid")]
    NotPaid,
    #[serde(rename = "paid")]
    Paid,
    #[serde(rename = "deleted")]
    Deleted,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotPaid => "not paid",
            Self::Paid => "paid",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::NotPaid, Self::Paid, Self::Deleted]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The buyer as the request gives it (also its wire shape in the OpenAPI
/// document).
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
pub struct Customer {
    /// `name@domain.zone` (else 6060).
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    /// INN: digits only (10 or 12 for legal-entity methods).
    pub vat_number: Option<String>,
    /// Required by legal-entity methods (else 6080).
    pub company_name: Option<String>,
    pub company_billing_address: Option<String>,
    pub company_delivery_address: Option<String>,
    /// KPP: digits only (9 for legal-entity methods).
    pub kpp: Option<String>,
}

/// A buyer borrowed: from a request's body, or from where a payment's
/// [`Details`] are packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerView<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub phone: Option<&'a str>,
    pub vat_number: Option<&'a str>,
    pub company_name: Option<&'a str>,
    pub company_billing_address: Option<&'a str>,
    pub company_delivery_address: Option<&'a str>,
    pub kpp: Option<&'a str>,
}

/// A valid `POST /v1/payment`, its free texts borrowed from the request's
/// body: they are packed into the payment's one allocation of text
/// (`storage::PackedDetails`) and nowhere else, so a `String` for each
/// (two dozen on the documented example) was allocated to be thrown away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment<'a> {
    pub currency: Currency,
    pub amount: Amount,
    pub return_success_url: ReturnUrl,
    /// A code of the fixture's payment methods.
    pub payment_method: &'a str,
    pub recurring_indicator: bool,
    pub payment_id: PaymentId,
    /// As given, or `Payment [payment_id]` (the documented default).
    pub payment_description: Cow<'a, str>,
    /// One of the fixture's locales, when one was given.
    pub locale: Option<&'a str>,
    pub customer: CustomerView<'a>,
    /// In key order.
    pub additional_data: Vec<(&'a str, &'a str)>,
}

/// A valid `POST /v1/payment/recurring`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecurring {
    pub parent_order_id: u64,
    pub payment_id: PaymentId,
    pub currency: Currency,
    pub amount: Amount,
    pub payment_description: String,
}

/// What a recurring charge needs to know about its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentFacts {
    pub currency: Currency,
    pub recurring_indicator: bool,
    pub status: PaymentStatus,
    pub payment_method: String,
}

/// A valid `POST /v1/order/search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchFilter {
    pub status: Option<PaymentStatus>,
    pub external_id: Option<String>,
    pub create_date_from: Option<OffsetDateTime>,
    pub create_date_to: Option<OffsetDateTime>,
    pub pay_date_from: Option<OffsetDateTime>,
    pub pay_date_to: Option<OffsetDateTime>,
    pub currency: Option<Currency>,
    pub email: Option<String>,
    pub payment_method: Option<String>,
    pub limit: usize,
}

/// What a payment is given at creation and never changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    /// The last segment of the form's URL; a wrong one is a 404.
    pub hash: String,
    /// The merchant's `payment_id`.
    pub external_id: PaymentId,
    pub payment_method: String,
    pub description: String,
    pub locale: Option<String>,
    /// An auto-payment inherits its parent's.
    pub return_success_url: ReturnUrl,
    pub customer: Customer,
    pub additional_data: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_url_taken_without_parsing_is_one_the_parser_takes(
            text in r"(https?|HTTP|ftp)(://|:/|:)[-a-z0-9.:@A-Z\\]{0,14}([/?#\\][-a-z0-9/?#%.\\]{0,8})?"
        ) {
            let parsed = reqwest::Url::parse(&text)
                .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some());
            prop_assert!(!plainly_http(&text) || parsed, "{text}");
        }
    }

    #[test]
    fn return_urls_are_absolute_http_with_a_host() {
        for good in [
            "https://shop.com/successful_payment",
            "http://shop.com",
            "https://a-b.shop.ru/ok?x=1#y",
            "https://SHOP.com/",
            "https://127.0.0.1/ok",
            "https://shop.com:8443/ok",
            "https://xn--80ak6aa92e.com/",
        ] {
            assert!(ReturnUrl::parse(good).is_some(), "{good}");
        }
        for bad in [
            "shop.com/ok",
            "ftp://shop.com/",
            "https://",
            "https:// shop.com",
            "https://shop.com/a b",
            "https://999.999.999.999/",
            "https://shop.com:99999/",
            "mailto:a@b.c",
        ] {
            assert!(ReturnUrl::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn currencies_are_three_capital_latin_letters() {
        assert_eq!(Currency::parse("RUB").unwrap().as_str(), "RUB");
        for bad in ["rub", "RUBL", "RU", "", "RÜB", "R1B"] {
            assert_eq!(Currency::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn payment_ids_take_latin_letters_digits_dashes_and_underscores() {
        assert_eq!(
            PaymentId::parse("TEST-12_025").unwrap().as_str(),
            "TEST-12_025"
        );
        let long = "x".repeat(MAX_TEXT + 1);
        for bad in ["", "a b", "ТЕСТ", "a.b", long.as_str()] {
            assert_eq!(PaymentId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn return_urls_are_absolute_http_urls_kept_as_written() {
        let url = ReturnUrl::parse("https://магазин.рф/ок").unwrap();

        assert_eq!(url.as_str(), "https://магазин.рф/ок");
        assert_eq!(url.location(), "https://магазин.рф/ок");
        let long = format!("https://shop.com/{}", "x".repeat(MAX_TEXT));
        for bad in [
            "/relative",
            "ftp://shop.com/ok",
            "https://shop.com/o k",
            "https://shop.com/\u{7}",
            long.as_str(),
        ] {
            assert_eq!(ReturnUrl::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn statuses_read_back_what_they_write() {
        for status in [
            PaymentStatus::NotPaid,
            PaymentStatus::Paid,
            PaymentStatus::Deleted,
        ] {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(PaymentStatus::parse("unpaid"), None);
    }
}
