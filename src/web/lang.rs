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

    /// The language a request hints at, for a page that has no invoice or
    /// payment to ask (a "not found" page): the `lang` query parameter
    /// (`ru`/`en`, as Softline's pages take it) first, then the first of
    /// Russian or English in `Accept-Language` by preference. `None` when
    /// neither names one, so the caller keeps its own default.
    pub fn hinted(query: Option<&str>, accept_language: Option<&str>) -> Option<Self> {
        let from_query = query
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("lang"))
            })
            .and_then(|(_, value)| Self::named(&value));
        from_query.or_else(|| Self::preferred(accept_language?))
    }

    /// `ru` or `en`, in any letter case, with or without a region.
    fn named(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        if primary.eq_ignore_ascii_case("ru") {
            Some(Self::Ru)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// The most preferred of Russian and English in an `Accept-Language`
    /// header (`en-US,en;q=0.9,ru;q=0.8`); equal weights go by order.
    fn preferred(accept_language: &str) -> Option<Self> {
        let mut best: Option<(f32, Self)> = None;
        for item in accept_language.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Self::named) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lang_query_parameter_names_the_language_first() {
        let cases = [
            (Some("lang=en"), None, Some(Lang::En)),
            (Some("a=1&LANG=EN-gb"), None, Some(Lang::En)),
            (Some("lang=ru"), Some("en"), Some(Lang::Ru)),
            (Some("lang=de"), Some("en"), Some(Lang::En)),
        ];
        for (query, accept, expected) in cases {
            assert_eq!(
                Lang::hinted(query, accept),
                expected,
                "{query:?} {accept:?}"
            );
        }
    }

    #[test]
    fn accept_language_gives_the_most_preferred_of_russian_and_english() {
        let cases = [
            ("en-US,en;q=0.9", Some(Lang::En)),
            ("de-DE,de;q=0.9,en;q=0.8,ru;q=0.7", Some(Lang::En)),
            ("ru-RU,ru;q=0.9,en-US;q=0.8", Some(Lang::Ru)),
            ("en;q=0.5, ru", Some(Lang::Ru)),
            ("en;q=0", None),
            ("de, fr", None),
            ("", None),
        ];
        for (accept, expected) in cases {
            assert_eq!(Lang::hinted(None, Some(accept)), expected, "{accept}");
        }
    }
}
