//! The hosted pages' two languages, and the card form's words that both
//! providers' pages share. Both providers' pages are Russian unless the
//! merchant asks for English; each provider decides how it is asked
//! (Softline's `lang` query, IntellectMoney's `Language` field).

/// The language of a hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ru,
    En,
}

impl Lang {
    /// The `lang` attribute of the page's `<html>` (a `const fn`, so the
    /// providers' word tables can hold it).
    pub const fn html_lang(self) -> &'static str {
        match self {
            Self::Ru => "ru",
            Self::En => "en",
        }
    }
}

/// The card form's words, the same on every provider's hosted pages: a
/// buyer who meets both providers reads one wording. Each provider's word
/// table takes these rather than writing them again.
pub struct CardWords {
    pub card_number: &'static str,
    pub expiry: &'static str,
    pub expiry_placeholder: &'static str,
    pub cvc: &'static str,
    pub cardholder: &'static str,
    pub pay: &'static str,
    /// The 3-D Secure page's button that sends the code.
    pub confirm: &'static str,
    /// Why the card form refuses a card past its expiry date.
    pub card_expired: &'static str,
    /// What a test card for "insufficient funds" does, in the test-card table.
    pub insufficient_funds: &'static str,
}

impl CardWords {
    pub const RU: Self = Self {
        card_number: "Номер карты",
        expiry: "Срок действия",
        expiry_placeholder: "ММ/ГГ",
        cvc: "CVC/CVV",
        cardholder: "Имя владельца карты",
        pay: "Оплатить",
        confirm: "Подтвердить",
        card_expired: "Срок действия карты истёк.",
        insufficient_funds: "отказ: недостаточно средств",
    };

    pub const EN: Self = Self {
        card_number: "Card number",
        expiry: "Expiry date",
        expiry_placeholder: "MM/YY",
        cvc: "CVC/CVV",
        cardholder: "Cardholder name",
        pay: "Pay",
        confirm: "Confirm",
        card_expired: "The card has expired.",
        insufficient_funds: "declined: insufficient funds",
    };
}
