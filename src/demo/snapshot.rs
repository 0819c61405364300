//! The reference merchant's section of a snapshot document: its payments
//! table, oldest first. A card payment names the Softline order it paid
//! with (which is in Softline's section); a wallet payment says whether it
//! was captured, which nothing else records.
//!
//! ```json
//! {"payments": [
//!   {"kind": "card", "payment_id": "1000", "order_id": "48213377-card", "softline_order": 1000},
//!   {"kind": "wallet", "payment_id": "wallet-…", "order_id": "48213377-applepay", "captured": true}]}
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Payment;
use crate::core::snapshot::{Install, SnapshotError, read_section};

const PREFIX: &str = "providers.demo";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    /// Oldest first.
    #[serde(default)]
    payments: Vec<SavedPayment>,
}

/// One row. Flat rather than a tagged enum: serde reads a tagged enum
/// through a buffer, and its errors would lose the field's path.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedPayment {
    /// `card` or `wallet`.
    kind: String,
    payment_id: String,
    /// The IMSHOP order it pays.
    order_id: String,
    /// A card payment's Softline order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    softline_order: Option<u64>,
    /// Whether a wallet payment was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    captured: Option<bool>,
}

fn save(payment_id: String, payment: Payment) -> SavedPayment {
    match payment {
        Payment::Card {
            order_id,
            softline_order,
        } => SavedPayment {
            kind: "card".to_owned(),
            payment_id,
            order_id,
            softline_order: Some(softline_order),
            captured: None,
        },
        Payment::Wallet { order_id, captured } => SavedPayment {
            kind: "wallet".to_owned(),
            payment_id,
            order_id,
            softline_order: None,
            captured: Some(captured),
        },
    }
}

/// A saved row as the ledger keeps it, or what is wrong with it (its path
/// below the section).
fn read(saved: SavedPayment, index: usize) -> Result<(String, Payment), String> {
    let at = format!("payments[{index}]");
    if saved.payment_id.is_empty() {
        return Err(format!("{at}.payment_id: empty"));
    }
    let payment = match (saved.kind.as_str(), saved.softline_order, saved.captured) {
        ("card", Some(softline_order), None) => Payment::Card {
            order_id: saved.order_id,
            softline_order,
        },
        ("wallet", None, Some(captured)) => Payment::Wallet {
            order_id: saved.order_id,
            captured,
        },
        ("card", _, _) => {
            return Err(format!(
                "{at}: a card payment has a softline_order and no captured"
            ));
        }
        ("wallet", _, _) => {
            return Err(format!(
                "{at}: a wallet payment has captured and no softline_order"
            ));
        }
        (other, _, _) => {
            return Err(format!(
                "{at}.kind: {other:?} is not \"card\" or \"wallet\""
            ));
        }
    };
    Ok((saved.payment_id, payment))
}

impl super::State {
    /// The section: every payment the merchant keeps.
    pub fn snapshot_section(&self) -> serde_json::Value {
        let payments = self
            .ledger
            .entries()
            .into_iter()
            .map(|(id, payment)| save(id, payment))
            .collect();
        serde_json::to_value(Section { payments }).unwrap_or(serde_json::Value::Null)
    }

    /// Reads and checks a section; the install replaces the payments
    /// table. `Null` installs a reset.
    pub fn prepare_section(
        &self,
        section: &serde_json::Value,
    ) -> Result<Install<'_>, SnapshotError> {
        if section.is_null() {
            return Ok(Box::new(move || self.reset()));
        }
        let section: Section = read_section(PREFIX, section)?;
        let malformed = |m: String| SnapshotError::Malformed(format!("{PREFIX}.{m}"));
        if section.payments.len() > self.ledger.capacity() {
            return Err(malformed(format!(
                "payments: {} payments; the merchant keeps at most {} (the fixture's orders_kept)",
                section.payments.len(),
                self.ledger.capacity()
            )));
        }
        let mut seen = BTreeSet::new();
        let mut entries = Vec::with_capacity(section.payments.len());
        for (index, saved) in section.payments.into_iter().enumerate() {
            let (payment_id, payment) = read(saved, index).map_err(malformed)?;
            if !seen.insert(payment_id.clone()) {
                return Err(malformed(format!(
                    "payments[{index}].payment_id: {payment_id:?} appears twice"
                )));
            }
            entries.push((payment_id, payment));
        }
        Ok(Box::new(move || self.ledger.replace(entries)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::Settings;
    use crate::core::cards::CardsFixture;
    use crate::core::clock::{Clock, SystemTime};
    use crate::core::fixtures::FixtureFile;
    use crate::core::ids::Ids;
    use crate::core::{Commons, Core, PublicUrl};
    use crate::demo::State;
    use crate::providers::imshop::Fixture;

    fn state() -> State {
        let settings = Settings::default();
        let core = Core::new(
            &settings,
            Clock::new(Arc::new(SystemTime)),
            Ids::new(1),
            &Commons::new(&settings),
            PublicUrl::new("http://127.0.0.1:1"),
            Arc::new(CardsFixture::builtin()),
        );
        State::new(core, Arc::new(Fixture::builtin()))
    }

    /// A card payment and a declined wallet payment.
    fn shop() -> State {
        let state = state();
        state.ledger.insert(
            "1000".to_owned(),
            Payment::Card {
                order_id: "48213377-card".to_owned(),
                softline_order: 1000,
            },
        );
        state.ledger.insert(
            "wallet-1".to_owned(),
            Payment::Wallet {
                order_id: "48213377-applepay".to_owned(),
                captured: false,
            },
        );
        state
    }

    fn restore(state: &State, section: &serde_json::Value) -> Result<(), SnapshotError> {
        let install = state.prepare_section(section)?;
        install();
        Ok(())
    }

    #[test]
    fn the_payments_table_comes_back_in_its_order() {
        // Arrange
        let section = shop().snapshot_section();
        let restored = state();

        // Act
        restore(&restored, &section).unwrap();

        // Assert
        assert_eq!(
            section,
            json!({"payments": [
                {"kind": "card", "payment_id": "1000", "order_id": "48213377-card", "softline_order": 1000},
                {"kind": "wallet", "payment_id": "wallet-1", "order_id": "48213377-applepay", "captured": false},
            ]})
        );
        assert_eq!(restored.ledger.entries(), shop().ledger.entries());
    }

    #[test]
    fn a_malformed_payment_is_refused_with_its_path_and_nothing_changes() {
        let cases = [
            (
                json!({"payments": [{"kind": "paypal", "payment_id": "1", "order_id": "1"}]}),
                "providers.demo.payments[0].kind: \"paypal\" is not \"card\" or \"wallet\"",
            ),
            (
                json!({"payments": [{"kind": "wallet", "payment_id": "1", "order_id": "1", "captured": "yes"}]}),
                "providers.demo.payments[0].captured: invalid type: string \"yes\", expected a boolean",
            ),
            (
                json!({"payments": [{"kind": "wallet", "payment_id": "1", "order_id": "1", "captured": true, "pan": "4111"}]}),
                "providers.demo.payments[0].pan: unknown field `pan`, expected one of `kind`, `payment_id`, `order_id`, `softline_order`, `captured`",
            ),
            (
                json!({"payments": [{"kind": "card", "payment_id": "1", "order_id": "1", "captured": true}]}),
                "providers.demo.payments[0]: a card payment has a softline_order and no captured",
            ),
            (
                json!({"payments": [
                    {"kind": "wallet", "payment_id": "1", "order_id": "1", "captured": true},
                    {"kind": "card", "payment_id": "1", "order_id": "2", "softline_order": 7},
                ]}),
                "providers.demo.payments[1].payment_id: \"1\" appears twice",
            ),
        ];
        for (section, message) in cases {
            // Arrange
            let live = shop();

            // Act
            let error = live.prepare_section(&section).map(|_| ()).unwrap_err();

            // Assert
            assert_eq!(
                error.to_string(),
                format!("not a snapshot document: {message}"),
                "{section}"
            );
            assert_eq!(live.ledger.entries(), shop().ledger.entries(), "{section}");
        }
    }

    #[test]
    fn a_null_section_resets() {
        let state = shop();

        restore(&state, &serde_json::Value::Null).unwrap();

        assert_eq!(state.snapshot_section(), json!({"payments": []}));
    }
}
