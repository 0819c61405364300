//! Amounts of money in minor units (kopecks, cents).
//!
//! Both server-side providers write amounts as decimal text with at most two
//! decimals and a dot (`"112.50"`). Keeping them as integers of minor units
//! avoids every floating-point surprise in comparisons and signatures.

use std::fmt;

/// A non-negative amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(u64);

/// Why a text is not an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("an amount is digits with an optional dot and up to two decimals")]
    Format,
    #[error("an amount has at most two decimals")]
    TooManyDecimals,
    #[error("the amount is too large")]
    TooLarge,
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub const fn from_minor(minor: u64) -> Self {
        Self(minor)
    }

    pub const fn minor(self) -> u64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses `"112.5"`, `"112.50"` or `"112"`; refuses signs, exponents,
    /// commas, spaces and a third decimal.
    pub fn parse_decimal(text: &str) -> Result<Self, AmountError> {
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::Format);
        }
        let cents = match fraction {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(AmountError::Format);
            }
            Some(f) if f.len() > 2 => return Err(AmountError::TooManyDecimals),
            Some(f) if f.len() == 1 => u64::from(f.as_bytes()[0] - b'0') * 10,
            Some(f) => u64::from(f.as_bytes()[0] - b'0') * 10 + u64::from(f.as_bytes()[1] - b'0'),
        };
        let whole: u64 = whole.parse().map_err(|_| AmountError::TooLarge)?;
        whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .map(Self)
            .ok_or(AmountError::TooLarge)
    }
}

/// Always two decimals with a dot: `112.50`.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        Self::parse_decimal(&text).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_parses_to_minor_units() {
        let cases = [
            ("112.50", 11250),
            ("112.5", 11250),
            ("112", 11200),
            ("0.01", 1),
            ("0", 0),
        ];
        for (text, minor) in cases {
            assert_eq!(
                Amount::parse_decimal(text),
                Ok(Amount::from_minor(minor)),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_amounts_are_refused_with_their_reason() {
        let cases = [
            ("1.234", AmountError::TooManyDecimals),
            ("1,50", AmountError::Format),
            ("-1", AmountError::Format),
            ("+1", AmountError::Format),
            ("1e3", AmountError::Format),
            (".5", AmountError::Format),
            ("5.", AmountError::Format),
            ("", AmountError::Format),
            (" 1", AmountError::Format),
            ("99999999999999999999", AmountError::TooLarge),
        ];
        for (text, err) in cases {
            assert_eq!(Amount::parse_decimal(text), Err(err), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_amount_survives_display_and_parse(minor in 0u64..=u64::MAX / 100) {
            let amount = Amount::from_minor(minor);
            proptest::prop_assert_eq!(Amount::parse_decimal(&amount.to_string()), Ok(amount));
        }

        #[test]
        fn three_or_more_decimals_are_always_refused(whole in 0u64..1_000_000, decimals in "[0-9]{3,8}") {
            let text = format!("{whole}.{decimals}");
            proptest::prop_assert_eq!(Amount::parse_decimal(&text), Err(AmountError::TooManyDecimals));
        }

        #[test]
        fn parsing_never_panics_and_only_accepts_the_documented_shape(text in "\\PC{0,24}") {
            let shape = regex::Regex::new(r"^[0-9]+(\.[0-9]{1,2})?$").unwrap();
            if let Ok(amount) = Amount::parse_decimal(&text) {
                proptest::prop_assert!(shape.is_match(&text), "{text:?} parsed as {amount}");
            }
        }
    }

    #[test]
    fn display_always_has_two_decimals() {
        assert_eq!(Amount::from_minor(11250).to_string(), "112.50");
        assert_eq!(Amount::from_minor(7).to_string(), "0.07");
    }
}
