//! `POST /v1/payment/recurring`: an auto-payment of a paid parent.

use crate::core::json::Object;

use super::fields::{Fields, Parsed};
use super::{currency_gate, finish};
use crate::providers::softline::error::Problem;
use crate::providers::softline::fixture::Fixture;
use crate::providers::softline::types::{
    Currency, NewRecurring, ParentFacts, PaymentId, PaymentStatus,
};

const RECURRING_FIELDS: &[&str] = &[
    "parent_order_id",
    "payment_id",
    "currency",
    "amount",
    "payment_description",
];

/// `POST /v1/payment/recurring` after 110 and 111. The parent must exist,
/// be a `recurring_indicator: true` payment, be `paid` and have the same
/// currency; refusals the documentation does not spell are 6010 on the
/// field at fault (`parent_order_id`, `currency`, `amount`).
pub fn new_recurring(
    body: &Object<'_>,
    fixture: &Fixture,
    parent_of: impl FnOnce(u64) -> Option<ParentFacts>,
) -> Result<NewRecurring, Vec<Problem>> {
    currency_gate(body, fixture, None).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let mut f = Fields::new(body, "", &mut problems);

    let parent_id = match f.raw("parent_order_id") {
        Parsed::Value(v) => v.as_u64(),
        Parsed::Absent | Parsed::Invalid => None,
    };
    let parent = parent_id.and_then(parent_of);
    let parent_ok = parent
        .as_ref()
        .is_some_and(|p| p.recurring_indicator && p.status == PaymentStatus::Paid);
    if !parent_ok && !f.problems.contains(&Problem::field("parent_order_id")) {
        f.invalid("parent_order_id");
    }
    let payment_id = f.required("payment_id", PaymentId::parse);
    let currency = f.required("currency", Currency::parse);
    if let (Some(c), Some(p)) = (currency, &parent)
        && c != p.currency
    {
        f.invalid("currency");
    }
    let amount = f.amount("amount").filter(|a| !a.is_zero());
    if amount.is_none() && !f.problems.contains(&Problem::field("amount")) {
        f.invalid("amount");
    }
    let description = f.text("payment_description").value();
    f.refuse_unknown(RECURRING_FIELDS);

    if let (Some(a), Some(method)) = (
        amount,
        parent
            .as_ref()
            .and_then(|p| fixture.method(&p.payment_method)),
    ) && !method.takes_amount(a)
    {
        problems.push(Problem::AmountNotAvailable);
    }
    match (parent_id, payment_id, currency, amount) {
        (Some(parent_order_id), Some(payment_id), Some(currency), Some(amount))
            if problems.is_empty() =>
        {
            Ok(NewRecurring {
                parent_order_id,
                payment_description: description
                    .map_or_else(|| format!("Payment {}", payment_id.as_str()), str::to_owned),
                payment_id,
                currency,
                amount,
            })
        }
        _ => Err(finish(problems)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::examples::{fixture, object, with};
    use super::*;
    use crate::core::money::Amount;

    fn parent(currency: &str, recurring: bool, status: PaymentStatus) -> ParentFacts {
        ParentFacts {
            currency: Currency::parse(currency).unwrap(),
            recurring_indicator: recurring,
            status,
            payment_method: "CreditCard".to_owned(),
        }
    }

    fn recurring(body: Value, facts: Option<ParentFacts>) -> Result<NewRecurring, Vec<Problem>> {
        new_recurring(&object(&body), &fixture(), |_| facts)
    }

    #[test]
    fn a_recurring_charge_needs_a_paid_recurring_parent_in_the_same_currency() {
        let body = json!({"parent_order_id": 5000001, "payment_id": "R-1", "currency": "RUB", "amount": 10});
        let paid = Some(parent("RUB", true, PaymentStatus::Paid));

        let ok = recurring(body.clone(), paid.clone()).unwrap();
        assert_eq!(ok.amount, Amount::from_minor(1000));
        assert_eq!(ok.payment_description, "Payment R-1");
        for facts in [
            None,
            Some(parent("RUB", false, PaymentStatus::Paid)),
            Some(parent("RUB", true, PaymentStatus::NotPaid)),
        ] {
            assert_eq!(
                recurring(body.clone(), facts.clone()).unwrap_err(),
                [Problem::field("parent_order_id")],
                "{facts:?}"
            );
        }
        assert_eq!(
            recurring(with(body.clone(), "/currency", json!("USD")), paid.clone()).unwrap_err(),
            [Problem::field("currency")]
        );
        assert_eq!(
            recurring(with(body.clone(), "/amount", json!("0")), paid.clone()).unwrap_err(),
            [Problem::field("amount")]
        );
        assert_eq!(
            recurring(
                with(body.clone(), "/parent_order_id", json!("5000001")),
                paid.clone()
            )
            .unwrap_err(),
            [Problem::field("parent_order_id")]
        );
        assert_eq!(
            recurring(with(body, "/amount", json!("1000000.01")), paid).unwrap_err(),
            [Problem::AmountNotAvailable]
        );
    }
}
