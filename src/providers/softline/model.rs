//! A Softline payment: what it holds and how it is made.
//!
//! Its state machine (paying, refunding, what time does to it) is in
//! `model/transitions.rs`; how its unchanging text is laid out in memory is
//! `storage.rs`'s business, not this module's.

use time::OffsetDateTime;

use super::storage::{DetailsView, PackedDetails};
use super::types::{
    Currency, Details, NewPayment, NewRecurring, PaymentStatus, ReturnUrl, SearchFilter,
};
use crate::core::money::Amount;

mod transitions;

pub use transitions::{Observed, Reason, Transition, TransitionError};

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

/// One payment.
///
/// What changes (status, dates, card) is kept as typed fields; what a
/// payment is given at creation and never changes ([`Details`]: its ids,
/// method, description, return URL, the buyer, additional data) is kept
/// compactly and read back through [`Payment::details`] and the accessors
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
    /// What the payment was given at creation, in one allocation.
    details: PackedDetails,
}

impl Payment {
    fn with_details(
        order_id: u64,
        details: PackedDetails,
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
            details,
        }
    }

    /// A `not paid` payment with these details, as a snapshot's restore
    /// starts one (it then sets what changed).
    pub fn restored(
        order_id: u64,
        details: &Details,
        currency: Currency,
        amount: Amount,
        created_at: OffsetDateTime,
    ) -> Self {
        Self::with_details(
            order_id,
            PackedDetails::pack(details),
            currency,
            amount,
            created_at,
        )
    }

    /// A new `not paid` payment.
    pub fn new(order_id: u64, hash: &str, new: NewPayment<'_>, now: OffsetDateTime) -> Self {
        let details = PackedDetails::pack_view(&DetailsView {
            hash,
            external_id: new.payment_id.as_str(),
            payment_method: new.payment_method,
            description: &new.payment_description,
            locale: new.locale,
            return_success_url: new.return_success_url.as_str(),
            customer: new.customer,
            additional_data: new.additional_data,
        });
        Self {
            recurring_indicator: new.recurring_indicator,
            ..Self::with_details(order_id, details, new.currency, new.amount, now)
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
            ..Self::with_details(
                order_id,
                PackedDetails::pack(&details),
                new.currency,
                new.amount,
                now,
            )
        }
    }

    /// Everything the payment was given at creation.
    pub fn details(&self) -> Details {
        self.details.unpack()
    }

    /// Its unchanging texts, borrowed.
    pub fn details_view(&self) -> super::storage::DetailsView<'_> {
        self.details.view()
    }

    /// The last segment of the form's URL.
    pub fn hash(&self) -> &str {
        self.details.hash()
    }

    /// The merchant's `payment_id`.
    pub fn external_id(&self) -> &str {
        self.details.external_id()
    }

    pub fn payment_method(&self) -> &str {
        self.details.payment_method()
    }

    pub fn locale(&self) -> Option<&str> {
        self.details.locale()
    }

    pub fn description(&self) -> &str {
        self.details.description()
    }

    /// The buyer's `customer.email`.
    pub fn email(&self) -> &str {
        self.details.email()
    }

    pub fn return_success_url(&self) -> ReturnUrl {
        ReturnUrl::stored(self.details.return_success_url().to_owned())
    }

    /// `A0005555555`: the order id with the documented prefix.
    pub fn order_name(&self) -> String {
        format!("A{:010}", self.order_id)
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

/// The payments the tests of this module start from.
#[cfg(test)]
mod examples {
    use time::Duration;
    use time::macros::datetime;

    use super::*;
    use crate::providers::softline::types::{CustomerView, PaymentId};

    pub(super) const T0: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
    pub(super) const LIFETIME: Duration = Duration::days(90);

    pub(super) fn payment() -> Payment {
        Payment::new(
            5_555_555,
            "1a97507",
            NewPayment {
                currency: Currency::parse("RUB").unwrap(),
                amount: Amount::from_minor(11250),
                return_success_url: ReturnUrl::parse("https://shop.com/ok").unwrap(),
                payment_method: "CreditCard",
                recurring_indicator: true,
                payment_id: PaymentId::parse("TEST12025").unwrap(),
                payment_description: "Payment TEST12025".into(),
                locale: None,
                customer: CustomerView {
                    email: "customer@mail.ru",
                    first_name: "Иван",
                    last_name: "Петров",
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

    pub(super) fn visa() -> Card {
        Card {
            card_type: CardType::Visa,
            last_4: "1111".to_owned(),
            expiry: CardExpiry {
                month: 12,
                year: 2030,
            },
        }
    }

    pub(super) fn recurring_of(parent: &Payment, outcome: ChargeOutcome) -> Payment {
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
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use time::Duration;

    use super::examples::{T0, payment, visa};
    use super::*;
    use crate::providers::softline::types::{CustomerView, PaymentId};

    #[test]
    fn a_new_payment_is_not_paid_and_named_with_the_documented_prefix() {
        let p = payment();
        assert_eq!(p.status, PaymentStatus::NotPaid);
        assert_eq!(p.order_name(), "A0005555555");
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

    /// The documentation's full example as the bench sends it
    /// (`CREATE_PAYMENT` in `bench/run.py`): every optional text given, six
    /// `additional_data` entries.
    fn full_example() -> Payment {
        let additional_data = [
            ("referer10", "testC"),
            ("referer11", "testD"),
            ("referer12", "testF"),
            ("referer7", "test"),
            ("referer8", "testA"),
            ("referer9", "testB"),
        ]
        .to_vec();
        let address = "Москва, Ломоновоский проспект, 12";
        let new = NewPayment {
            currency: Currency::parse("RUB").unwrap(),
            amount: Amount::from_minor(11250),
            return_success_url: ReturnUrl::parse("https://shop.com/successful_payment").unwrap(),
            payment_method: "CreditCard",
            recurring_indicator: false,
            payment_id: PaymentId::parse("TEST12025").unwrap(),
            payment_description: "Тестовая оплата".into(),
            locale: Some("ru_RU"),
            customer: CustomerView {
                email: "customer@gmail.com",
                first_name: "Иван",
                last_name: "Петров",
                phone: Some("7999991111"),
                vat_number: Some("12345654321"),
                company_name: Some("ООО Компания"),
                company_billing_address: Some(address),
                company_delivery_address: Some(address),
                kpp: Some("123456789"),
            },
            additional_data,
        };
        Payment::new(5_000_001, "1a97507e", new, T0)
    }

    /// Memory per payment is the bench's headline figure (`BENCHMARKS.md`,
    /// optimisation 4): the store's pointer, the record, and one buffer of
    /// text. 612 bytes for the full example when the text was packed.
    #[test]
    fn a_stored_payment_of_the_full_example_takes_at_most_612_bytes() {
        let payment = full_example();

        let bytes = size_of::<Box<Payment>>() + size_of::<Payment>() + payment.details.len_bytes();

        assert_eq!(size_of::<Payment>(), 192, "the record itself");
        assert!(bytes <= 612, "{bytes} bytes per payment");
    }
}
