//! The hosted pages' two languages. Both providers' pages are Russian
//! unless the merchant asks for English; each provider decides how it is
//! asked (Softline's `lang` query, IntellectMoney's `Language` field).

/// The language of a hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ru,
    En,
}

impl Lang {
    /// The `lang` attribute of the page's `<html>`.
    pub fn html_lang(self) -> &'static str {
        match self {
            Self::Ru => "ru",
            Self::En => "en",
        }
    }
}
