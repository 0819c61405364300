//! A Softline payment and its state machine.
//!
//! ```text
//!   not paid ──(card approved / recurring charge done)──▶ paid
//!      │                                                   │
//!      └──(unpaid for 90 days)──▶ deleted ◀──(full refund)──┘
//! ```
//!
//! Every function here is pure: the time is passed in, nothing is read from
//! a clock and nothing is sent. Time-driven changes (the 90-day deletion, the
//! end of an asynchronous recurring charge) are worked out by
//! [`Payment::settle`] whenever a payment is read, so a payment never needs a
//! timer and an advanced sandbox clock takes effect on the next read.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::validate::{
    Currency, Customer, NewPayment, NewRecurring, PaymentId, ReturnUrl, SearchFilter,
};
use crate::core::money::Amount;
use crate::core::packed::PackedText;

/// The documented statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
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

/// The card network, from the first digits of the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardType {
    Visa,
    Mastercard,
    Mir,
    /// A network the sandbox does not name (written as `""`).
    Other,
}

impl CardType {
    pub fn from_number(digits: &str) -> Self {
        let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
        match (prefix(1), prefix(2), prefix(4)) {
            (Some(4), _, _) => Self::Visa,
            (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => Self::Mastercard,
            (_, _, Some(2200..=2204)) => Self::Mir,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visa => "Visa",
            Self::Mastercard => "Mastercard",
            Self::Mir => "MIR",
            Self::Other => "",
        }
    }
}

/// `MM/YY`, as typed on the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardExpiry {
    pub month: u8,
    /// Full year (`27` is 2027).
    pub year: i32,
}

impl CardExpiry {
    /// `MM/YY` (or `MM/YYYY`, `MMYY`), month 01 to 12.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (month, year) = match text.split_once('/') {
            Some((m, y)) => (m.trim(), y.trim()),
            // ASCII only: splitting inside a multi-byte character panics.
            None if text.len() == 4 && text.is_ascii() => text.split_at(2),
            None => return None,
        };
        if month.len() != 2 || !matches!(year.len(), 2 | 4) {
            return None;
        }
        let month: u8 = month.parse().ok().filter(|m| (1..=12).contains(m))?;
        let year: i32 = year.parse().ok()?;
        let year = if year < 100 { 2000 + year } else { year };
        Some(Self { month, year })
    }

    /// Valid through the last day of its month.
    pub fn is_expired(self, now: OffsetDateTime) -> bool {
        (now.year(), u8::from(now.month())) > (self.year, self.month)
    }
}

impl std::fmt::Display for CardExpiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}/{:02}", self.month, self.year % 100)
    }
}

/// What is kept of a card: never the number, never the CVC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub card_type: CardType,
    pub last_4: String,
    pub expiry: CardExpiry,
}

/// How an asynchronous recurring charge ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeds,
    Fails,
}

/// A recurring charge under way: its result is known at `due`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledCharge {
    pub due: OffsetDateTime,
    pub outcome: ChargeOutcome,
    /// The parent's card, which the charge uses.
    pub card: Option<Card>,
}

/// Why a status changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The buyer paid on the hosted form.
    CardPayment,
    /// An auto-payment charged the saved card.
    RecurringCharge,
    /// Unpaid for the documented lifetime.
    Expired,
    /// Fully refunded.
    Refund,
}

/// A status change, for the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: PaymentStatus,
    pub to: PaymentStatus,
    pub at: OffsetDateTime,
    pub reason: Reason,
}

impl Transition {
    /// `not paid → paid (card payment)`.
    pub fn summary(&self) -> String {
        let why = match self.reason {
            Reason::CardPayment => "card payment on the hosted form",
            Reason::RecurringCharge => "recurring charge",
            Reason::Expired => "unpaid past its lifetime",
            Reason::Refund => "full refund",
        };
        format!("{} → {} ({why})", self.from.as_str(), self.to.as_str())
    }
}

/// What a [`Payment::settle`] found had happened since the last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    Changed(Transition),
    /// A recurring charge failed; the payment stays `not paid`.
    ChargeFailed {
        at: OffsetDateTime,
    },
}

/// An operation the payment's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the payment is {}, not `not paid`", .0.as_str())]
    NotPayable(PaymentStatus),
    #[error("the payment is {}; only a paid payment can be refunded", .0.as_str())]
    NotRefundable(PaymentStatus),
    /// An auto-payment's charge decides its outcome; its form cannot.
    #[error("the payment's recurring charge is under way")]
    ChargeUnderWay,
}

/// One payment.
///
/// What changes (status, dates, card) is kept as typed fields; what a
/// payment is given at creation and never changes (its ids, method,
/// description, return URL, the buyer, additional data) is packed into one
/// allocation and read back through [`Payment::details`] and the accessors
/// below. A stored payment is a few hundred bytes instead of a few
/// kilobytes (measured in `BENCHMARKS.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub order_id: u64,
    pub status: PaymentStatus,
    pub currency: Currency,
    pub amount: Amount,
    pub recurring_indicator: bool,
    pub parent_order_id: Option<u64>,
    pub created_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
    pub card: Option<Card>,
    /// A card waiting for its 3-D Secure code.
    pub challenge: Option<Card>,
    pub charge: Option<Box<ScheduledCharge>>,
    text: PackedText,
}

/// What a payment is given at creation and never changes, unpacked.
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

/// The slots of a payment's packed text, in order; additional data follows
/// the last one as key, value, key, value...
mod slot {
    pub const HASH: usize = 0;
    pub const EXTERNAL_ID: usize = 1;
    pub const PAYMENT_METHOD: usize = 2;
    pub const LOCALE: usize = 3;
    pub const RETURN_URL: usize = 4;
    pub const DESCRIPTION: usize = 5;
    pub const EMAIL: usize = 6;
    pub const FIRST_NAME: usize = 7;
    pub const LAST_NAME: usize = 8;
    pub const PHONE: usize = 9;
    pub const VAT_NUMBER: usize = 10;
    pub const COMPANY_NAME: usize = 11;
    pub const BILLING_ADDRESS: usize = 12;
    pub const DELIVERY_ADDRESS: usize = 13;
    pub const KPP: usize = 14;
    pub const ADDITIONAL_DATA: usize = 15;
}

fn pack(details: &Details) -> PackedText {
    let c = &details.customer;
    let fixed = [
        Some(details.hash.as_str()),
        Some(details.external_id.as_str()),
        Some(details.payment_method.as_str()),
        details.locale.as_deref(),
        Some(details.return_success_url.as_str()),
        Some(details.description.as_str()),
        Some(c.email.as_str()),
        Some(c.first_name.as_str()),
        Some(c.last_name.as_str()),
        c.phone.as_deref(),
        c.vat_number.as_deref(),
        c.company_name.as_deref(),
        c.company_billing_address.as_deref(),
        c.company_delivery_address.as_deref(),
        c.kpp.as_deref(),
    ];
    let additional = details
        .additional_data
        .iter()
        .flat_map(|(k, v)| [Some(k.as_str()), Some(v.as_str())]);
    // Sized up front: one allocation, no growing.
    let size = fixed
        .iter()
        .copied()
        .chain(additional.clone())
        .map(|t| t.map_or(1, |t| t.len() + 2))
        .sum();
    PackedText::pack_sized(size, fixed.into_iter().chain(additional))
}

impl Payment {
    fn with_details(
        order_id: u64,
        details: &Details,
        currency: Currency,
        amount: Amount,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            order_id,
            status: PaymentStatus::NotPaid,
            currency,
            amount,
            recurring_indicator: false,
            parent_order_id: None,
            created_at: now,
            paid_at: None,
            deleted_at: None,
            card: None,
            challenge: None,
            charge: None,
            text: pack(details),
        }
    }

    /// A new `not paid` payment.
    pub fn new(order_id: u64, hash: String, new: NewPayment, now: OffsetDateTime) -> Self {
        let details = Details {
            hash,
            external_id: new.payment_id,
            payment_method: new.payment_method,
            description: new.payment_description,
            locale: new.locale,
            return_success_url: new.return_success_url,
            customer: new.customer,
            additional_data: new.additional_data,
        };
        Self {
            recurring_indicator: new.recurring_indicator,
            ..Self::with_details(order_id, &details, new.currency, new.amount, now)
        }
    }

    /// A `not paid` auto-payment of `parent` whose charge ends at `due`.
    pub fn recurring(
        order_id: u64,
        hash: String,
        parent: &Payment,
        new: NewRecurring,
        now: OffsetDateTime,
        due: OffsetDateTime,
        outcome: ChargeOutcome,
    ) -> Self {
        let inherited = parent.details();
        let details = Details {
            hash,
            external_id: new.payment_id,
            description: new.payment_description,
            additional_data: Vec::new(),
            ..inherited
        };
        Self {
            parent_order_id: Some(parent.order_id),
            charge: Some(Box::new(ScheduledCharge {
                due,
                outcome,
                card: parent.card.clone(),
            })),
            ..Self::with_details(order_id, &details, new.currency, new.amount, now)
        }
    }

    /// Everything the payment was given at creation.
    pub fn details(&self) -> Details {
        let t = &self.text;
        let owned = |slot| t.get(slot).map(str::to_owned);
        let text = |slot| t.text(slot).to_owned();
        let mut additional = t.iter().skip(slot::ADDITIONAL_DATA);
        let mut additional_data = Vec::new();
        while let (Some(k), Some(v)) = (additional.next(), additional.next()) {
            additional_data.push((k.unwrap_or("").to_owned(), v.unwrap_or("").to_owned()));
        }
        Details {
            hash: text(slot::HASH),
            external_id: PaymentId::stored(text(slot::EXTERNAL_ID)),
            payment_method: text(slot::PAYMENT_METHOD),
            description: text(slot::DESCRIPTION),
            locale: owned(slot::LOCALE),
            return_success_url: ReturnUrl::stored(text(slot::RETURN_URL)),
            customer: Customer {
                email: text(slot::EMAIL),
                first_name: text(slot::FIRST_NAME),
                last_name: text(slot::LAST_NAME),
                phone: owned(slot::PHONE),
                vat_number: owned(slot::VAT_NUMBER),
                company_name: owned(slot::COMPANY_NAME),
                company_billing_address: owned(slot::BILLING_ADDRESS),
                company_delivery_address: owned(slot::DELIVERY_ADDRESS),
                kpp: owned(slot::KPP),
            },
            additional_data,
        }
    }

    /// The last segment of the form's URL.
    pub fn hash(&self) -> &str {
        self.text.text(slot::HASH)
    }

    /// The merchant's `payment_id`.
    pub fn external_id(&self) -> &str {
        self.text.text(slot::EXTERNAL_ID)
    }

    pub fn payment_method(&self) -> &str {
        self.text.text(slot::PAYMENT_METHOD)
    }

    pub fn locale(&self) -> Option<&str> {
        self.text.get(slot::LOCALE)
    }

    pub fn description(&self) -> &str {
        self.text.text(slot::DESCRIPTION)
    }

    /// The buyer's `customer.email`.
    pub fn email(&self) -> &str {
        self.text.text(slot::EMAIL)
    }

    pub fn return_success_url(&self) -> ReturnUrl {
        ReturnUrl::stored(self.text.text(slot::RETURN_URL).to_owned())
    }

    /// `A0005555555`: the order id with the documented prefix.
    pub fn order_name(&self) -> String {
        format!("A{:010}", self.order_id)
    }

    /// Applies what time has done by `now`: a recurring charge that is due
    /// ends, and a payment unpaid for `unpaid_lifetime` is deleted.
    pub fn settle(&mut self, now: OffsetDateTime, unpaid_lifetime: Duration) -> Vec<Observed> {
        let mut observed = Vec::new();
        if let Some(charge) = self.charge.take_if(|c| c.due <= now).map(|c| *c) {
            if self.status == PaymentStatus::NotPaid {
                match charge.outcome {
                    ChargeOutcome::Succeeds => {
                        observed.push(Observed::Changed(self.mark_paid(
                            charge.card,
                            charge.due,
                            Reason::RecurringCharge,
                        )));
                    }
                    ChargeOutcome::Fails => {
                        observed.push(Observed::ChargeFailed { at: charge.due })
                    }
                }
            }
        }
        let expires_at = self.created_at + unpaid_lifetime;
        if self.status == PaymentStatus::NotPaid && self.charge.is_none() && expires_at <= now {
            self.status = PaymentStatus::Deleted;
            self.deleted_at = Some(expires_at);
            self.challenge = None;
            observed.push(Observed::Changed(Transition {
                from: PaymentStatus::NotPaid,
                to: PaymentStatus::Deleted,
                at: expires_at,
                reason: Reason::Expired,
            }));
        }
        observed
    }

    fn mark_paid(&mut self, card: Option<Card>, at: OffsetDateTime, reason: Reason) -> Transition {
        let from = self.status;
        self.status = PaymentStatus::Paid;
        self.paid_at = Some(at);
        self.card = card;
        self.challenge = None;
        Transition {
            from,
            to: PaymentStatus::Paid,
            at,
            reason,
        }
    }

    /// Refuses anything but a `not paid` payment, and an auto-payment whose
    /// charge is under way (its webhook is already queued: paying it on the
    /// form too would pay it twice).
    pub fn ensure_payable(&self) -> Result<(), TransitionError> {
        match self.status {
            PaymentStatus::NotPaid if self.charge.is_some() => Err(TransitionError::ChargeUnderWay),
            PaymentStatus::NotPaid => Ok(()),
            other => Err(TransitionError::NotPayable(other)),
        }
    }

    /// The buyer's card was approved.
    pub fn pay(&mut self, card: Card, now: OffsetDateTime) -> Result<Transition, TransitionError> {
        self.ensure_payable()?;
        Ok(self.mark_paid(Some(card), now, Reason::CardPayment))
    }

    /// The card needs a 3-D Secure code first.
    pub fn start_challenge(&mut self, card: Card) -> Result<(), TransitionError> {
        self.ensure_payable()?;
        self.challenge = Some(card);
        Ok(())
    }

    /// A card was declined: the buyer may try again, the status stays.
    pub fn decline(&mut self) -> Result<(), TransitionError> {
        self.ensure_payable()?;
        self.challenge = None;
        Ok(())
    }

    /// A full refund.
    pub fn refund(&mut self, now: OffsetDateTime) -> Result<Transition, TransitionError> {
        if self.status != PaymentStatus::Paid {
            return Err(TransitionError::NotRefundable(self.status));
        }
        self.status = PaymentStatus::Deleted;
        self.deleted_at = Some(now);
        Ok(Transition {
            from: PaymentStatus::Paid,
            to: PaymentStatus::Deleted,
            at: now,
            reason: Reason::Refund,
        })
    }
}

impl Payment {
    /// Whether the payment passes every filter of a search (dates
    /// inclusive, email in any letter case, a pay-date filter excludes
    /// unpaid payments).
    pub fn matches(&self, filter: &SearchFilter) -> bool {
        let within = |at: Option<OffsetDateTime>,
                      from: Option<OffsetDateTime>,
                      to: Option<OffsetDateTime>| {
            // Timestamps are written to the second and compared so: an order
            // whose `create_date` equals the filter's value matches it.
            let at = at.map(|at| at.replace_nanosecond(0).unwrap_or(at));
            (from.is_none() && to.is_none())
                || at.is_some_and(|at| from.is_none_or(|f| at >= f) && to.is_none_or(|t| at <= t))
        };
        filter.status.is_none_or(|s| s == self.status)
            && filter
                .external_id
                .as_deref()
                .is_none_or(|id| id == self.external_id())
            && within(
                Some(self.created_at),
                filter.create_date_from,
                filter.create_date_to,
            )
            && within(self.paid_at, filter.pay_date_from, filter.pay_date_to)
            && filter.currency.is_none_or(|c| c == self.currency)
            && filter
                .email
                .as_deref()
                .is_none_or(|e| e.to_lowercase() == self.email().to_lowercase())
            && filter
                .payment_method
                .as_deref()
                .is_none_or(|m| m == self.payment_method())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
    const LIFETIME: Duration = Duration::days(90);

    fn payment() -> Payment {
        Payment::new(
            5_555_555,
            "1a97507".to_owned(),
            NewPayment {
                currency: Currency::parse("RUB").unwrap(),
                amount: Amount::from_minor(11250),
                return_success_url: ReturnUrl::parse("https://shop.com/ok").unwrap(),
                payment_method: "CreditCard".to_owned(),
                recurring_indicator: true,
                payment_id: PaymentId::parse("TEST12025").unwrap(),
                payment_description: "Payment TEST12025".to_owned(),
                locale: None,
                customer: Customer {
                    email: "customer@mail.ru".to_owned(),
                    first_name: "Иван".to_owned(),
                    last_name: "Петров".to_owned(),
                    phone: None,
                    vat_number: None,
                    company_name: None,
                    company_billing_address: None,
                    company_delivery_address: None,
                    kpp: None,
                },
                additional_data: Vec::new(),
            },
            T0,
        )
    }

    fn visa() -> Card {
        Card {
            card_type: CardType::Visa,
            last_4: "1111".to_owned(),
            expiry: CardExpiry {
                month: 12,
                year: 2030,
            },
        }
    }

    fn recurring_of(parent: &Payment, outcome: ChargeOutcome) -> Payment {
        let new = NewRecurring {
            parent_order_id: parent.order_id,
            payment_id: PaymentId::parse("R-1").unwrap(),
            currency: parent.currency,
            amount: Amount::from_minor(500),
            payment_description: "Payment R-1".to_owned(),
        };
        Payment::recurring(
            5_555_556,
            "abc".to_owned(),
            parent,
            new,
            T0,
            T0 + Duration::seconds(5),
            outcome,
        )
    }

    #[test]
    fn a_new_payment_is_not_paid_and_named_with_the_documented_prefix() {
        let p = payment();
        assert_eq!(p.status, PaymentStatus::NotPaid);
        assert_eq!(p.order_name(), "A0005555555");
    }

    #[test]
    fn paying_records_the_card_and_time_and_cannot_happen_twice() {
        let mut p = payment();
        let later = T0 + Duration::minutes(3);

        let transition = p.pay(visa(), later).unwrap();

        assert_eq!(transition.from, PaymentStatus::NotPaid);
        assert_eq!(transition.to, PaymentStatus::Paid);
        assert_eq!(p.paid_at, Some(later));
        assert_eq!(p.card, Some(visa()));
        assert_eq!(
            p.pay(visa(), later),
            Err(TransitionError::NotPayable(PaymentStatus::Paid))
        );
        assert_eq!(
            p.decline(),
            Err(TransitionError::NotPayable(PaymentStatus::Paid))
        );
    }

    #[test]
    fn a_declined_card_leaves_the_payment_not_paid_and_forgets_a_pending_challenge() {
        let mut p = payment();
        p.start_challenge(visa()).unwrap();

        p.decline().unwrap();

        assert_eq!(p.status, PaymentStatus::NotPaid);
        assert_eq!(p.challenge, None);
    }

    #[test]
    fn an_unpaid_payment_is_deleted_once_its_lifetime_is_over() {
        let mut p = payment();

        let before = p.settle(T0 + LIFETIME - Duration::seconds(1), LIFETIME);
        let at_end = p.settle(T0 + LIFETIME, LIFETIME);
        let again = p.settle(T0 + LIFETIME * 2, LIFETIME);

        assert!(before.is_empty());
        assert_eq!(
            at_end,
            [Observed::Changed(Transition {
                from: PaymentStatus::NotPaid,
                to: PaymentStatus::Deleted,
                at: T0 + LIFETIME,
                reason: Reason::Expired,
            })]
        );
        assert!(again.is_empty(), "a transition is observed once");
        assert_eq!(p.status, PaymentStatus::Deleted);
    }

    #[test]
    fn a_paid_payment_never_expires_and_a_refund_deletes_it() {
        let mut p = payment();
        p.pay(visa(), T0).unwrap();

        assert!(p.settle(T0 + LIFETIME * 3, LIFETIME).is_empty());
        let refund = p.refund(T0 + LIFETIME * 3).unwrap();

        assert_eq!(refund.to, PaymentStatus::Deleted);
        assert_eq!(
            p.refund(T0),
            Err(TransitionError::NotRefundable(PaymentStatus::Deleted))
        );
        assert_eq!(
            payment().refund(T0),
            Err(TransitionError::NotRefundable(PaymentStatus::NotPaid))
        );
    }

    #[test]
    fn a_recurring_charge_ends_when_due_with_the_parents_card() {
        let mut parent = payment();
        parent.pay(visa(), T0).unwrap();
        let mut child = recurring_of(&parent, ChargeOutcome::Succeeds);

        let early = child.settle(T0 + Duration::seconds(4), LIFETIME);
        let due = child.settle(T0 + Duration::seconds(5), LIFETIME);

        assert!(early.is_empty());
        assert_eq!(child.status, PaymentStatus::Paid);
        assert_eq!(child.paid_at, Some(T0 + Duration::seconds(5)));
        assert_eq!(child.card, Some(visa()));
        assert!(matches!(
            due[..],
            [Observed::Changed(Transition {
                reason: Reason::RecurringCharge,
                ..
            })]
        ));
    }

    /// Found by the state-machine property test: the form could pay an
    /// auto-payment whose charge was under way, and a refund then came
    /// before the charge's own "succeeded".
    #[test]
    fn an_auto_payment_cannot_be_paid_on_the_form_while_its_charge_is_under_way() {
        let mut parent = payment();
        parent.pay(visa(), T0).unwrap();
        let mut child = recurring_of(&parent, ChargeOutcome::Succeeds);

        assert_eq!(child.pay(visa(), T0), Err(TransitionError::ChargeUnderWay));
        assert_eq!(
            child.start_challenge(visa()),
            Err(TransitionError::ChargeUnderWay)
        );
        child.settle(T0 + Duration::seconds(5), LIFETIME);
        assert_eq!(child.status, PaymentStatus::Paid);
    }

    #[test]
    fn a_failed_recurring_charge_leaves_the_payment_not_paid() {
        let mut parent = payment();
        parent.pay(visa(), T0).unwrap();
        let mut child = recurring_of(&parent, ChargeOutcome::Fails);

        let observed = child.settle(T0 + Duration::minutes(1), LIFETIME);

        assert_eq!(
            observed,
            [Observed::ChargeFailed {
                at: T0 + Duration::seconds(5)
            }]
        );
        assert_eq!(child.status, PaymentStatus::NotPaid);
    }

    #[test]
    fn search_filters_all_have_to_match() {
        let mut p = payment();
        p.pay(visa(), T0 + Duration::hours(1)).unwrap();
        let none = SearchFilter {
            status: None,
            external_id: None,
            create_date_from: None,
            create_date_to: None,
            pay_date_from: None,
            pay_date_to: None,
            currency: None,
            email: None,
            payment_method: None,
            limit: 100,
        };
        let cases = [
            (
                SearchFilter {
                    status: Some(PaymentStatus::Paid),
                    ..none.clone()
                },
                true,
            ),
            (
                SearchFilter {
                    status: Some(PaymentStatus::NotPaid),
                    ..none.clone()
                },
                false,
            ),
            (
                SearchFilter {
                    external_id: Some("TEST12025".into()),
                    ..none.clone()
                },
                true,
            ),
            (
                SearchFilter {
                    external_id: Some("test12025".into()),
                    ..none.clone()
                },
                false,
            ),
            (
                SearchFilter {
                    create_date_from: Some(T0),
                    create_date_to: Some(T0),
                    ..none.clone()
                },
                true,
            ),
            (
                SearchFilter {
                    create_date_from: Some(T0 + Duration::seconds(1)),
                    ..none.clone()
                },
                false,
            ),
            (
                SearchFilter {
                    pay_date_to: Some(T0),
                    ..none.clone()
                },
                false,
            ),
            (
                SearchFilter {
                    pay_date_from: Some(T0),
                    ..none.clone()
                },
                true,
            ),
            (
                SearchFilter {
                    currency: Currency::parse("USD"),
                    ..none.clone()
                },
                false,
            ),
            (
                SearchFilter {
                    email: Some("CUSTOMER@mail.ru".into()),
                    ..none.clone()
                },
                true,
            ),
            (
                SearchFilter {
                    payment_method: Some("SBP".into()),
                    ..none.clone()
                },
                false,
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(p.matches(&filter), expected, "{filter:?}");
        }
        assert!(
            !payment().matches(&SearchFilter {
                pay_date_from: Some(T0),
                ..none
            }),
            "unpaid"
        );
    }

    /// What can happen to a payment, as the form, the control plane and
    /// the clock make it happen.
    #[derive(Debug, Clone)]
    enum Event {
        Pay,
        Challenge,
        Decline,
        Refund,
        /// The sandbox clock moves on by this many hours; the next read
        /// settles the payment.
        Advance(u16),
    }

    fn event() -> impl proptest::strategy::Strategy<Value = Event> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Event::Pay),
            Just(Event::Challenge),
            Just(Event::Decline),
            Just(Event::Refund),
            (1u16..=2400).prop_map(Event::Advance),
        ]
    }

    /// The facts that hold of every payment in every state.
    fn assert_consistent(p: &Payment) -> Result<(), proptest::test_runner::TestCaseError> {
        use proptest::prop_assert;
        match p.status {
            PaymentStatus::NotPaid => {
                prop_assert!(p.paid_at.is_none() && p.deleted_at.is_none(), "{p:?}");
            }
            PaymentStatus::Paid => {
                prop_assert!(p.paid_at.is_some() && p.deleted_at.is_none(), "{p:?}");
                prop_assert!(
                    p.challenge.is_none(),
                    "a paid payment has no pending challenge"
                );
            }
            PaymentStatus::Deleted => {
                prop_assert!(p.deleted_at.is_some() && p.challenge.is_none(), "{p:?}");
            }
        }
        if let (Some(paid), Some(deleted)) = (p.paid_at, p.deleted_at) {
            prop_assert!(paid <= deleted, "{p:?}");
        }
        Ok(())
    }

    fn legal(from: PaymentStatus, to: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (from, to),
            (NotPaid, Paid) | (NotPaid, Deleted) | (Paid, Deleted)
        )
    }

    proptest::proptest! {
        /// No sequence of events leaves an illegal state: every change is a
        /// documented transition and is reported, a refused event changes
        /// nothing, and `deleted` is the end.
        #[test]
        fn no_sequence_of_events_leaves_an_illegal_state(
            events in proptest::collection::vec(event(), 1..40),
            recurring in proptest::bool::ANY,
        ) {
            let mut now = T0;
            let mut p = if recurring {
                let mut parent = payment();
                parent.pay(visa(), T0).unwrap();
                recurring_of(&parent, ChargeOutcome::Succeeds)
            } else {
                payment()
            };
            for event in events {
                let before = p.clone();
                let reported: Vec<(PaymentStatus, PaymentStatus)> = match event {
                    Event::Pay => match p.pay(visa(), now) {
                        Ok(t) => vec![(t.from, t.to)],
                        Err(_) => vec![],
                    },
                    Event::Refund => match p.refund(now) {
                        Ok(t) => vec![(t.from, t.to)],
                        Err(_) => vec![],
                    },
                    Event::Challenge => {
                        let _ = p.start_challenge(visa());
                        vec![]
                    }
                    Event::Decline => {
                        let _ = p.decline();
                        vec![]
                    }
                    Event::Advance(hours) => {
                        now += Duration::hours(i64::from(hours));
                        p.settle(now, LIFETIME)
                            .into_iter()
                            .filter_map(|o| match o {
                                Observed::Changed(t) => Some((t.from, t.to)),
                                Observed::ChargeFailed { .. } => None,
                            })
                            .collect()
                    }
                };
                assert_consistent(&p)?;
                let mut status = before.status;
                for (from, to) in &reported {
                    proptest::prop_assert_eq!(*from, status);
                    proptest::prop_assert!(legal(*from, *to), "{from:?} → {to:?}");
                    status = *to;
                }
                proptest::prop_assert_eq!(status, p.status, "every change is reported");
                if before.status == PaymentStatus::Deleted {
                    proptest::prop_assert_eq!(&p, &before, "deleted is the end");
                }
            }
        }
    }

    #[test]
    fn card_types_come_from_the_bin() {
        let cases = [
            ("4111111111111111", CardType::Visa),
            ("5555555555554444", CardType::Mastercard),
            ("2221000000000009", CardType::Mastercard),
            ("2200000000000004", CardType::Mir),
            ("6011111111111117", CardType::Other),
        ];
        for (number, card_type) in cases {
            assert_eq!(CardType::from_number(number), card_type, "{number}");
        }
    }

    #[test]
    fn expiry_dates_parse_as_mm_yy_and_expire_after_their_month() {
        let expiry = CardExpiry::parse("12/27").unwrap();
        assert_eq!(
            expiry,
            CardExpiry {
                month: 12,
                year: 2027
            }
        );
        assert_eq!(expiry.to_string(), "12/27");
        assert_eq!(CardExpiry::parse("1227"), Some(expiry));
        // "1é2" is four bytes: it once split inside the "é" and panicked.
        for bad in ["13/27", "00/27", "1/27", "12/2", "ab/cd", "", "1é2", "éé"] {
            assert_eq!(CardExpiry::parse(bad), None, "{bad}");
        }
        assert!(!expiry.is_expired(datetime!(2027-12-31 23:59 UTC)));
        assert!(expiry.is_expired(datetime!(2028-01-01 00:00 UTC)));
    }
}
