//! The typed values an invoice is made of, shared by [`super::validate`]
//! (which makes them from a request's parameters) and [`super::model`]
//! (which keeps them in the invoice).

use time::{Duration, OffsetDateTime};

use crate::core::money::Amount;

pub use super::receipt::Receipt;

/// The language of the hosted pages (shared with Softline's).
pub use crate::web::Lang;

/// What CreateInvoice needs besides the shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub order_id: String,
    pub service_name: String,
    pub amount: Amount,
    pub currency: String,
    pub user_name: String,
    pub email: String,
    pub success_url: Option<String>,
    pub fail_url: Option<String>,
    pub back_url: Option<String>,
    pub result_url: Option<String>,
    pub expires_at: OffsetDateTime,
    /// HoldMode=1 with its hold time (0 or absent: the shop's default).
    pub hold: Option<Duration>,
    /// The ways to pay that `Preference` allows.
    pub methods: Methods,
    pub language: Lang,
    pub user_fields: Vec<UserField>,
    /// The 54-FZ receipt, checked against the amount.
    pub merchant_receipt: Option<Receipt>,
}

/// A custom field (`UserFieldName_N` / `UserField_N`), echoed in
/// notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserField {
    /// `N`, as sent.
    pub index: String,
    pub name: Option<String>,
    pub value: Option<String>,
}

/// The ways to pay an invoice allows, from its `Preference`. A Preference
/// that names none of the ways the sandbox knows (or no Preference) allows
/// them all, as the payment page then offers every way it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Methods {
    pub card: bool,
    pub sbp: bool,
    /// Instalments through PayLate (BNPL).
    pub paylate: bool,
}

impl Methods {
    pub const ALL: Self = Self {
        card: true,
        sbp: true,
        paylate: true,
    };

    /// `Preference` as shops write it: method names in any letter case,
    /// joined by whatever separator (`BankCard,Sbp`, `bankcard;bnpl`), so
    /// each name is looked for anywhere in the text.
    pub fn from_preference(preference: Option<&str>) -> Self {
        let text = preference.unwrap_or_default().to_ascii_lowercase();
        let named = Self {
            card: text.contains("bankcard"),
            sbp: text.contains("sbp"),
            paylate: text.contains("bnpl") || text.contains("paylate"),
        };
        if named.card || named.sbp || named.paylate {
            named
        } else {
            Self::ALL
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preference_allows_only_the_ways_it_names_in_any_case_and_separator() {
        let cases = [
            ("Sbp", (false, true, false)),
            ("bankcard,PayLate", (true, false, true)),
            ("BANKCARD;bnpl", (true, false, true)),
            ("BankCard Sbp", (true, true, false)),
        ];
        for (preference, (card, sbp, paylate)) in cases {
            assert_eq!(
                Methods::from_preference(Some(preference)),
                Methods { card, sbp, paylate },
                "{preference}"
            );
        }
    }

    #[test]
    fn no_preference_or_one_naming_no_known_way_allows_every_way() {
        for preference in [None, Some(""), Some("WebMoney"), Some("card")] {
            assert_eq!(
                Methods::from_preference(preference),
                Methods::ALL,
                "{preference:?}"
            );
        }
    }
}
