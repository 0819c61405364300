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
//!
//! Durable state (`--data-dir`) keeps the same payments, each one row
//! whose body is its entry of `payments` (see the end of this file).
//!
//! The orders exported to it (`orders`: `uuid` and `number`, oldest first)
//! are in a snapshot when there are any, and rows of kind `orders` in a data
//! directory.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Payment;
use crate::core::durable::{ObjectChange, to_json};
use crate::core::snapshot::{Install, SnapshotError, read_section};

const PREFIX: &str = "providers.demo";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    /// Oldest first.
    #[serde(default)]
    payments: Vec<SavedPayment>,
    /// The orders exported to it (IMSHOP's order export), oldest first.
    /// Left out when there are none, so older documents read the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    orders: Vec<SavedOrder>,
}

/// An exported order: IMSHOP's uuid and the number the merchant gave it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedOrder {
    uuid: String,
    number: String,
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

/// A saved row as the ledger keeps it, or what is wrong with it (`at`: its
/// path below the section, `payments[3]`).
fn read(saved: SavedPayment, at: &str) -> Result<(String, Payment), String> {
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
        let orders = self
            .orders
            .entries()
            .into_iter()
            .map(|(uuid, number)| SavedOrder { uuid, number })
            .collect();
        serde_json::to_value(Section { payments, orders }).unwrap_or(serde_json::Value::Null)
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
            let (payment_id, payment) =
                read(saved, &format!("payments[{index}]")).map_err(malformed)?;
            if !seen.insert(payment_id.clone()) {
                return Err(malformed(format!(
                    "payments[{index}].payment_id: {payment_id:?} appears twice"
                )));
            }
            entries.push((payment_id, payment));
        }
        if section.orders.len() > self.orders.capacity() {
            return Err(malformed(format!(
                "orders: {} orders; the merchant keeps at most {} (the fixture's orders_kept)",
                section.orders.len(),
                self.orders.capacity()
            )));
        }
        let mut uuids = BTreeSet::new();
        let mut orders = Vec::with_capacity(section.orders.len());
        for (index, saved) in section.orders.into_iter().enumerate() {
            if saved.uuid.is_empty() || saved.number.is_empty() {
                return Err(malformed(format!(
                    "orders[{index}]: an empty uuid or number"
                )));
            }
            if !uuids.insert(saved.uuid.clone()) {
                return Err(malformed(format!(
                    "orders[{index}].uuid: {:?} appears twice",
                    saved.uuid
                )));
            }
            orders.push((saved.uuid, saved.number));
        }
        Ok(Box::new(move || {
            self.ledger.replace(entries);
            self.orders.replace(orders);
        }))
    }
}

/// The kind of rows the reference merchant keeps in a data directory: one
/// per payment, its body the payment as a snapshot's `payments` holds it.
const PAYMENTS: &str = "payments";

/// The rows of the orders exported to it: one per order, by its uuid.
const ORDERS: &str = "orders";

/// Durable state: the same rows a snapshot holds, one per payment. The
/// merchant keeps no head (a wallet payment's id comes from the core's
/// generator).
impl super::State {
    /// Each payment inserted or changed (`Saved`) or forgotten (`Removed`)
    /// since the last call, after a `Cleared` when every payment was
    /// forgotten first.
    pub fn take_durable_changes(&self, out: &mut Vec<ObjectChange>) {
        let changes = self.ledger.take_changes();
        let rows = changes.payments.into_iter().map(|(id, payment)| {
            let body = payment.map(|payment| to_json(&save(id.clone(), payment)));
            (id, body)
        });
        ObjectChange::push_rows(out, PAYMENTS, changes.cleared, rows);
        let changes = self.orders.take_changes();
        let rows = changes.orders.into_iter().map(|(uuid, number)| {
            let body = number.map(|number| {
                to_json(&SavedOrder {
                    uuid: uuid.clone(),
                    number,
                })
            });
            (uuid, body)
        });
        ObjectChange::push_rows(out, ORDERS, changes.cleared, rows);
    }

    /// Loads one row [`Self::take_durable_changes`] wrote, read and checked
    /// as a snapshot's payment is.
    pub fn load_durable_object(&self, kind: &str, id: &str, body: &str) -> Result<(), String> {
        if kind == ORDERS {
            let saved: SavedOrder = serde_json::from_str(body).map_err(|e| e.to_string())?;
            if saved.uuid != id || saved.number.is_empty() {
                return Err(format!("the row of {id} holds order {:?}", saved.uuid));
            }
            self.orders.load(saved.uuid, saved.number);
            return Ok(());
        }
        if kind != PAYMENTS {
            return Err(format!("demo keeps no {kind}"));
        }
        let saved: SavedPayment = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let (payment_id, payment) = read(saved, "payment")?;
        if payment_id != id {
            return Err(format!("the row of {id} holds payment {payment_id}"));
        }
        self.ledger.load(payment_id, payment);
        Ok(())
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
    fn the_exported_orders_come_back_and_numbering_goes_on_after_them() {
        let before = shop();
        let first = before.orders.register("u-1");
        let second = before.orders.register("u-2");
        let section = before.snapshot_section();

        let after = state();
        restore(&after, &section).unwrap();

        assert_eq!(
            section["orders"],
            json!([{"uuid": "u-1", "number": first}, {"uuid": "u-2", "number": second}])
        );
        assert_eq!(after.orders.register("u-1"), first);
        assert_eq!(after.orders.register("u-3"), "100003");
    }

    #[test]
    fn each_exported_order_gives_a_row_that_loads_back_with_its_number() {
        let state = tracked(10);
        state.orders.track_changes();
        let number = state.orders.register("u-1");

        let rows = taken(&state);
        let loaded = super::tests::state();
        for row in &rows {
            if let ObjectChange::Saved { kind, id, body } = row {
                loaded.load_durable_object(kind, id, body).unwrap();
            }
        }

        assert_eq!(
            rows,
            [ObjectChange::Saved {
                kind: "orders",
                id: "u-1".to_owned(),
                body: r#"{"uuid":"u-1","number":"100001"}"#.to_owned(),
            }]
        );
        assert_eq!(loaded.orders.register("u-1"), number);
        assert_eq!(loaded.orders.register("u-2"), "100002");
    }

    #[test]
    fn a_section_without_exported_orders_has_no_orders_field() {
        let section = shop().snapshot_section();

        assert!(section.get("orders").is_none(), "{section}");
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

    /// A tracked merchant keeping at most `orders_kept` payments.
    fn tracked(orders_kept: usize) -> State {
        let mut fixture = Fixture::builtin();
        fixture.demo_merchant.orders_kept = orders_kept;
        let settings = Settings::default();
        let core = Core::new(
            &settings,
            Clock::new(Arc::new(SystemTime)),
            Ids::new(1),
            &Commons::new(&settings),
            PublicUrl::new("http://127.0.0.1:1"),
            Arc::new(CardsFixture::builtin()),
        );
        let state = State::new(core, Arc::new(fixture));
        state.ledger.track_changes();
        state
    }

    fn taken(state: &State) -> Vec<ObjectChange> {
        let mut out = Vec::new();
        state.take_durable_changes(&mut out);
        out
    }

    /// Rows of payments come in no particular order: by their Debug text.
    fn sorted(mut rows: Vec<ObjectChange>) -> Vec<ObjectChange> {
        rows.sort_by_key(|row| format!("{row:?}"));
        rows
    }

    fn wallet(captured: bool) -> Payment {
        Payment::Wallet {
            order_id: "48213377-applepay".to_owned(),
            captured,
        }
    }

    #[test]
    fn each_payment_made_or_changed_gives_a_saved_row_that_reads_back_identical() {
        // Arrange
        let state = tracked(100);
        state.ledger.insert(
            "1000".to_owned(),
            Payment::Card {
                order_id: "48213377-card".to_owned(),
                softline_order: 1000,
            },
        );
        state.ledger.insert("wallet-1".to_owned(), wallet(false));
        let made = sorted(taken(&state));
        state.ledger.insert("wallet-1".to_owned(), wallet(true));
        let changed = taken(&state);
        let restarted = state_with_rows(&made);

        // Assert
        assert_eq!(made.len(), 2, "{made:?}");
        assert_eq!(restarted.ledger.entries(), shop().ledger.entries());
        assert_eq!(restarted.snapshot_section(), shop().snapshot_section());
        assert_eq!(
            changed,
            [ObjectChange::Saved {
                kind: "payments",
                id: "wallet-1".to_owned(),
                body: r#"{"kind":"wallet","payment_id":"wallet-1","order_id":"48213377-applepay","captured":true}"#.to_owned(),
            }]
        );
        assert_eq!(taken(&state), [], "taken once");
    }

    fn state_with_rows(rows: &[ObjectChange]) -> State {
        let state = state();
        for row in rows {
            let ObjectChange::Saved { kind, id, body } = row else {
                panic!("{row:?}");
            };
            state.load_durable_object(kind, id, body).unwrap();
        }
        state
    }

    #[test]
    fn a_payment_forgotten_to_make_room_gives_a_removed_row() {
        let state = tracked(1);
        state.ledger.insert("wallet-1".to_owned(), wallet(true));
        taken(&state);

        state.ledger.insert("wallet-2".to_owned(), wallet(true));

        let rows = sorted(taken(&state));
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(
            rows[0],
            ObjectChange::Removed {
                kind: "payments",
                id: "wallet-1".to_owned()
            }
        );
        assert!(
            matches!(&rows[1], ObjectChange::Saved { id, .. } if id == "wallet-2"),
            "{rows:?}"
        );
    }

    #[test]
    fn a_reset_gives_a_cleared_row_and_a_restore_a_cleared_row_then_each_payment() {
        // Arrange
        let state = tracked(100);
        state.ledger.insert("wallet-9".to_owned(), wallet(true));
        let section = shop().snapshot_section();

        // Act
        state.reset();
        let after_reset = taken(&state);
        restore(&state, &section).unwrap();
        let after_restore = taken(&state);

        // Assert
        assert_eq!(after_reset, [ObjectChange::Cleared { kind: "payments" }]);
        assert_eq!(after_restore.len(), 3, "{after_restore:?}");
        assert_eq!(after_restore[0], ObjectChange::Cleared { kind: "payments" });
        let saved = sorted(after_restore[1..].to_vec());
        assert_eq!(
            state_with_rows(&saved).ledger.entries(),
            shop().ledger.entries()
        );
    }

    #[test]
    fn an_untracked_merchant_gives_no_rows() {
        let state = shop();
        state.reset();

        assert_eq!(taken(&state), []);
    }

    #[test]
    fn a_row_that_does_not_read_back_is_refused_naming_what_is_wrong() {
        let cases = [
            (
                "payments",
                "1",
                r#"{"kind":"paypal","payment_id":"1","order_id":"1"}"#,
                "payment.kind: \"paypal\" is not \"card\" or \"wallet\"",
            ),
            (
                "payments",
                "2",
                r#"{"kind":"wallet","payment_id":"1","order_id":"1","captured":true}"#,
                "the row of 2 holds payment 1",
            ),
            (
                "orders",
                "1",
                "{}",
                "missing field `uuid` at line 1 column 2",
            ),
            (
                "orders",
                "u-2",
                r#"{"uuid":"u-1","number":"100001"}"#,
                "the row of u-2 holds order \"u-1\"",
            ),
            ("invoices", "1", "{}", "demo keeps no invoices"),
        ];
        for (kind, id, body, message) in cases {
            let state = state();

            let error = state.load_durable_object(kind, id, body).unwrap_err();

            assert_eq!(error, message, "{kind} {id}");
            assert_eq!(state.ledger.entries(), [], "{kind} {id}");
        }
    }

    #[test]
    fn a_null_section_resets() {
        let state = shop();

        restore(&state, &serde_json::Value::Null).unwrap();

        assert_eq!(state.snapshot_section(), json!({"payments": []}));
    }
}
