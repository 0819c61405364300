//! The test cards every hosted card page understands.
//!
//! The table lives in `fixtures/cards.json`; the spec's contract names the
//! built-in numbers. A number that fails the Luhn check is refused by the form
//! itself; a valid number not in the table is approved.

use serde::Deserialize;

/// What paying with a card does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardOutcome {
    Approved,
    /// A 3-D Secure challenge page comes first; the right code approves.
    Challenge,
    Declined,
    InsufficientFunds,
}

/// One row of the test card table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCard {
    /// Digits only (spaces are allowed in the fixture for readability).
    pub number: String,
    pub outcome: CardOutcome,
    /// Shown next to the card on the hosted pages.
    pub description: String,
}

/// The `cards.json` fixture.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardsFixture {
    pub cards: Vec<TestCard>,
    /// The 3-D Secure code that approves a challenge.
    pub challenge_code: String,
}

impl crate::core::fixtures::FixtureFile for CardsFixture {
    const FILE: &'static str = "cards.json";
    const BUILTIN: &'static str = include_str!("../../fixtures/cards.json");
}

/// Why a typed card number was refused before any payment attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardNumberError {
    #[error("a card number has 12 to 19 digits")]
    Length,
    #[error("the card number is mistyped (Luhn check failed)")]
    Luhn,
}

impl CardsFixture {
    /// The outcome of paying with `number` (spaces and dashes ignored).
    pub fn outcome(&self, number: &str) -> Result<CardOutcome, CardNumberError> {
        let digits = card_digits(number)?;
        Ok(self
            .cards
            .iter()
            .find(|c| digits_only(&c.number) == digits)
            .map_or(CardOutcome::Approved, |c| c.outcome))
    }

    /// The first test card with `outcome` (digits only), for one-click buttons
    /// and for the IMSHOP web view that fills forms like a person would.
    pub fn number_for(&self, outcome: CardOutcome) -> Option<String> {
        self.cards
            .iter()
            .find(|c| c.outcome == outcome)
            .map(|c| digits_only(&c.number))
    }
}

fn digits_only(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The digits of a typed card number, if it could be a real one.
pub fn card_digits(number: &str) -> Result<String, CardNumberError> {
    let cleaned: String = number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !(12..=19).contains(&cleaned.len()) || !cleaned.chars().all(|c| c.is_ascii_digit()) {
        return Err(CardNumberError::Length);
    }
    if !luhn_valid(&cleaned) {
        return Err(CardNumberError::Luhn);
    }
    Ok(cleaned)
}

/// The Luhn (mod 10) check of a digit string.
pub fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The last four digits, for receipts and webhooks.
pub fn last_four(digits: &str) -> &str {
    &digits[digits.len().saturating_sub(4)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> CardsFixture {
        serde_json::from_str(include_str!("../../fixtures/cards.json")).unwrap()
    }

    #[test]
    fn the_contract_test_cards_have_their_outcomes() {
        let cards = fixture();
        let cases = [
            ("4111 1111 1111 1111", CardOutcome::Approved),
            ("5555 5555 5555 4444", CardOutcome::Approved),
            ("4000 0000 0000 3220", CardOutcome::Challenge),
            ("4000 0000 0000 0002", CardOutcome::Declined),
            ("4000 0000 0000 9995", CardOutcome::InsufficientFunds),
        ];
        for (number, outcome) in cases {
            assert_eq!(cards.outcome(number), Ok(outcome), "card {number}");
        }
        assert_eq!(cards.challenge_code, "123456");
    }

    #[test]
    fn any_other_valid_number_is_approved_and_a_mistyped_one_refused() {
        let cards = fixture();
        assert_eq!(
            cards.outcome("4242-4242-4242-4242"),
            Ok(CardOutcome::Approved)
        );
        assert_eq!(
            cards.outcome("4111 1111 1111 1112"),
            Err(CardNumberError::Luhn)
        );
        assert_eq!(cards.outcome("4111"), Err(CardNumberError::Length));
        assert_eq!(
            cards.outcome("4111 1111 1111 111a"),
            Err(CardNumberError::Length)
        );
    }

    #[test]
    fn number_for_finds_a_card_per_outcome() {
        assert_eq!(
            fixture().number_for(CardOutcome::Challenge).as_deref(),
            Some("4000000000003220")
        );
    }
}
