//! The invoice (СКО) as a pure state machine: what CreateInvoice asked for,
//! where it stands, and where each page's decision leads. The time (`now`)
//! comes in as an argument; nothing here reads a clock or does I/O.
//!
//! Invoice statuses are the `paymentStatus` codes of the notifications:
//!
//! | from | event | to |
//! |---|---|---|
//! | 3 created | payment `Ok`, no hold | 5 paid |
//! | 3 created | payment `Ok`, HoldMode=1 | 6 held |
//! | 3 created | ExpireDate passes, or cancel | 4 cancelled |
//! | 6 held | capture | 5 paid |
//! | 6 held | cancel, or HoldTime passes | 4 cancelled (money returned) |
//! | 5 paid | refund | 8 refunded |

use time::OffsetDateTime;

use super::payment::{Decline, Finish, Origin, Payment};
use crate::core::money::Amount;
use crate::providers::intellectmoney::types::NewInvoice;

/// `paymentStatus`: where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Created,
    Cancelled,
    Paid,
    Held,
    /// Documented, but no sandbox payment pays part of an invoice.
    PartiallyPaid,
    Refunded,
}

impl InvoiceStatus {
    pub fn code(self) -> u8 {
        match self {
            Self::Created => 3,
            Self::Cancelled => 4,
            Self::Paid => 5,
            Self::Held => 6,
            Self::PartiallyPaid => 7,
            Self::Refunded => 8,
        }
    }

    /// The provider's own words for it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Created => "создан",
            Self::Cancelled => "аннулирован",
            Self::Paid => "оплачен",
            Self::Held => "сумма заблокирована",
            Self::PartiallyPaid => "частично оплачен",
            Self::Refunded => "возвращён",
        }
    }
}

/// An invoice (СКО): what CreateInvoice asked for, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: u64,
    pub eshop_id: u32,
    pub terms: NewInvoice,
    pub status: InvoiceStatus,
    pub created_at: OffsetDateTime,
    /// When the status last changed (`paymentData`).
    pub changed_at: OffsetDateTime,
    pub hold_until: Option<OffsetDateTime>,
    pub refund_amount: Option<Amount>,
    pub payment: Option<Payment>,
}

/// A status change, for the journal and the notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: InvoiceStatus,
    pub to: InvoiceStatus,
}

/// Why an invoice cannot make a move (answered as a conflict or a refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("счёт уже оплачен")]
    AlreadyPaid,
    #[error("счёт аннулирован")]
    Cancelled,
    #[error("по счёту выполнен возврат")]
    Refunded,
    #[error("сумма по счёту заблокирована, ожидается списание")]
    Held,
    #[error("срок оплаты счёта истёк")]
    Expired,
    #[error("оплата по счёту уже выполняется")]
    PaymentUnderWay,
    #[error("сумма не заблокирована: списывать нечего")]
    NotHeld,
    #[error("счёт не оплачен: возвращать нечего")]
    NotPaid,
    #[error("сумма возврата больше суммы счёта")]
    RefundTooLarge,
}

impl Invoice {
    pub fn is_test_currency(&self) -> bool {
        self.terms.currency == "TST"
    }

    /// Whether the invoice was cancelled by its ExpireDate (expiry stamps
    /// the cancellation with that date; nothing else can come later).
    pub fn expired(&self) -> bool {
        self.status == InvoiceStatus::Cancelled && self.changed_at >= self.terms.expires_at
    }

    fn move_to(&mut self, to: InvoiceStatus, now: OffsetDateTime) -> Transition {
        let from = self.status;
        self.status = to;
        self.changed_at = now;
        Transition { from, to }
    }

    /// Whether a new payment may start now.
    pub fn check_payable(&self, now: OffsetDateTime) -> Result<(), InvoiceError> {
        match self.status {
            InvoiceStatus::Created | InvoiceStatus::PartiallyPaid => {}
            InvoiceStatus::Paid => return Err(InvoiceError::AlreadyPaid),
            InvoiceStatus::Held => return Err(InvoiceError::Held),
            InvoiceStatus::Cancelled if self.expired() => return Err(InvoiceError::Expired),
            InvoiceStatus::Cancelled => return Err(InvoiceError::Cancelled),
            InvoiceStatus::Refunded => return Err(InvoiceError::Refunded),
        }
        if now >= self.terms.expires_at {
            return Err(InvoiceError::Expired);
        }
        match &self.payment {
            Some(payment) if !payment.is_finished() => Err(InvoiceError::PaymentUnderWay),
            _ => Ok(()),
        }
    }

    /// A payment ended: success pays (or holds) the invoice; a decline
    /// leaves it payable, so the buyer may try again.
    pub fn end_payment(&mut self, finish: Finish) -> Option<Transition> {
        if finish.decline.is_some()
            || !matches!(
                self.status,
                InvoiceStatus::Created | InvoiceStatus::PartiallyPaid
            )
        {
            return None;
        }
        Some(match self.terms.hold {
            Some(hold) => {
                self.hold_until = Some(finish.at + hold);
                self.move_to(InvoiceStatus::Held, finish.at)
            }
            None => self.move_to(InvoiceStatus::Paid, finish.at),
        })
    }

    /// Held → paid.
    pub fn capture(&mut self, now: OffsetDateTime) -> Result<Transition, InvoiceError> {
        match self.status {
            InvoiceStatus::Held => {
                self.hold_until = None;
                Ok(self.move_to(InvoiceStatus::Paid, now))
            }
            _ => Err(InvoiceError::NotHeld),
        }
    }

    /// Created or held → cancelled (a hold's money goes back to the buyer).
    pub fn cancel(&mut self, now: OffsetDateTime) -> Result<Transition, InvoiceError> {
        match self.status {
            InvoiceStatus::Created | InvoiceStatus::PartiallyPaid | InvoiceStatus::Held => {
                if let Some(payment) = self.payment.as_mut() {
                    payment.abort(Decline::Expired, now);
                }
                self.hold_until = None;
                Ok(self.move_to(InvoiceStatus::Cancelled, now))
            }
            InvoiceStatus::Paid => Err(InvoiceError::AlreadyPaid),
            InvoiceStatus::Cancelled => Err(InvoiceError::Cancelled),
            InvoiceStatus::Refunded => Err(InvoiceError::Refunded),
        }
    }

    /// Paid → refunded, in full or for `amount`.
    pub fn refund(
        &mut self,
        amount: Option<Amount>,
        now: OffsetDateTime,
    ) -> Result<Transition, InvoiceError> {
        let amount = amount.unwrap_or(self.terms.amount);
        match self.status {
            InvoiceStatus::Paid if amount > self.terms.amount || amount.is_zero() => {
                Err(InvoiceError::RefundTooLarge)
            }
            InvoiceStatus::Paid => {
                self.refund_amount = Some(amount);
                Ok(self.move_to(InvoiceStatus::Refunded, now))
            }
            InvoiceStatus::Refunded => Err(InvoiceError::Refunded),
            InvoiceStatus::Held => Err(InvoiceError::Held),
            _ => Err(InvoiceError::NotPaid),
        }
    }

    /// Where the invoice stands for its payment page.
    pub fn standing(&self, now: OffsetDateTime) -> Standing {
        match self.status {
            InvoiceStatus::Created | InvoiceStatus::PartiallyPaid
                if now < self.terms.expires_at =>
            {
                Standing::Payable
            }
            InvoiceStatus::Created | InvoiceStatus::PartiallyPaid => Standing::Expired,
            InvoiceStatus::Cancelled if self.expired() => Standing::Expired,
            InvoiceStatus::Paid | InvoiceStatus::Held => Standing::Paid,
            InvoiceStatus::Cancelled => Standing::Cancelled,
            InvoiceStatus::Refunded => Standing::Refunded,
        }
    }

    /// The shop's page a settled invoice links back to: a paid one to its
    /// SuccessUrl (else its BackUrl), a cancelled or refunded one to its
    /// BackUrl; an expired one to none, nor one still payable.
    pub fn link_back(&self, standing: Standing) -> Option<&str> {
        let terms = &self.terms;
        match standing {
            Standing::Payable | Standing::Expired => None,
            Standing::Paid => terms.success_url.as_deref().or(terms.back_url.as_deref()),
            Standing::Cancelled | Standing::Refunded => terms.back_url.as_deref(),
        }
    }

    /// Why the last attempt to pay failed, so the buyer can retry knowing.
    pub fn last_decline(&self) -> Option<Decline> {
        self.payment.as_ref()?.finish()?.decline
    }

    /// Where the buyer goes once a payment started from `origin` has ended:
    /// BankCardPayment's ReturnUrl whatever the outcome; BnplPayment's and
    /// SbpPayment's SuccessUrl or FailUrl, else the invoice's; the
    /// invoice's for a payment started on its page; without one, the
    /// payment page, which shows the outcome.
    pub fn return_to(&self, origin: &Origin, approved: bool) -> ReturnTo {
        let (success_url, fail_url) = match origin {
            Origin::Api {
                return_url: Some(url),
                ..
            } => return ReturnTo::Url(url.clone()),
            Origin::Api {
                success_url,
                fail_url,
                ..
            } => (success_url.as_ref(), fail_url.as_ref()),
            Origin::Hosted => (None, None),
        };
        let terms = &self.terms;
        let url = if approved {
            success_url.or(terms.success_url.as_ref())
        } else {
            fail_url.or(terms.fail_url.as_ref())
        };
        url.map_or(ReturnTo::PaymentPage, |u| ReturnTo::Url(u.clone()))
    }

    /// What the clock does to the invoice at `now`: an unpaid invoice past
    /// its ExpireDate is cancelled (any payment under way ends in `Error`),
    /// a hold past its HoldTime is released. The transition is stamped with
    /// the moment it was due, not when it was noticed.
    pub fn settle(&mut self, now: OffsetDateTime) -> Option<Transition> {
        match self.status {
            InvoiceStatus::Created | InvoiceStatus::PartiallyPaid
                if now >= self.terms.expires_at =>
            {
                let at = self.terms.expires_at;
                if let Some(payment) = self.payment.as_mut() {
                    payment.abort(Decline::Expired, at);
                }
                Some(self.move_to(InvoiceStatus::Cancelled, at))
            }
            InvoiceStatus::Held => match self.hold_until {
                Some(until) if now >= until => {
                    self.hold_until = None;
                    Some(self.move_to(InvoiceStatus::Cancelled, until))
                }
                _ => None,
            },
            _ => None,
        }
    }
}

/// Where an invoice stands for its payment page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Open to a payment (one may be under way).
    Payable,
    /// Past its ExpireDate, whether or not the clock has cancelled it yet.
    Expired,
    /// Paid, or its amount held: the buyer is done.
    Paid,
    Cancelled,
    Refunded,
}

/// Where the buyer goes once a payment has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnTo {
    /// A merchant's address, as the merchant wrote it.
    Url(String),
    /// The invoice's own payment page, which shows the outcome.
    PaymentPage,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::intellectmoney::model::payment::tests::{POLLS, T0, payment};
    use crate::providers::intellectmoney::model::{PaymentMethod, Plan};
    use crate::providers::intellectmoney::types::{Lang, Methods};
    use time::Duration;

    fn invoice() -> Invoice {
        Invoice {
            id: 3000000001,
            eshop_id: 450000,
            terms: NewInvoice {
                order_id: "A-1".into(),
                service_name: String::new(),
                amount: Amount::from_minor(1000),
                currency: "RUB".into(),
                user_name: String::new(),
                email: "a@b.ru".into(),
                success_url: None,
                fail_url: None,
                back_url: None,
                result_url: None,
                expires_at: T0 + Duration::days(1),
                hold: None,
                methods: Methods::ALL,
                language: Lang::Ru,
                user_fields: Vec::new(),
                merchant_receipt: None,
            },
            status: InvoiceStatus::Created,
            created_at: T0,
            changed_at: T0,
            hold_until: None,
            refund_amount: None,
            payment: None,
        }
    }

    #[test]
    fn a_successful_payment_pays_or_holds_and_a_decline_leaves_the_invoice_payable() {
        let ok = Finish {
            decline: None,
            at: T0,
        };
        let declined = Finish {
            decline: Some(Decline::Card),
            at: T0,
        };
        let mut plain = invoice();
        let mut held = invoice();
        held.terms.hold = Some(Duration::hours(72));

        assert_eq!(plain.end_payment(declined), None);
        assert_eq!(plain.check_payable(T0), Ok(()));
        assert_eq!(
            plain.end_payment(ok),
            Some(Transition {
                from: InvoiceStatus::Created,
                to: InvoiceStatus::Paid
            })
        );
        assert_eq!(held.end_payment(ok).unwrap().to, InvoiceStatus::Held);
        assert_eq!(held.hold_until, Some(T0 + Duration::hours(72)));
        assert_eq!(plain.check_payable(T0), Err(InvoiceError::AlreadyPaid));
    }

    #[test]
    fn capture_cancel_and_refund_follow_the_status_table() {
        let later = T0 + Duration::minutes(5);
        let mut held = invoice();
        held.terms.hold = Some(Duration::hours(1));
        held.end_payment(Finish {
            decline: None,
            at: T0,
        });

        assert_eq!(held.refund(None, later), Err(InvoiceError::Held));
        assert_eq!(held.capture(later).unwrap().to, InvoiceStatus::Paid);
        assert_eq!(held.capture(later), Err(InvoiceError::NotHeld));
        assert_eq!(held.cancel(later), Err(InvoiceError::AlreadyPaid));
        assert_eq!(
            held.refund(Some(Amount::from_minor(1001)), later),
            Err(InvoiceError::RefundTooLarge)
        );
        let refund = held.refund(Some(Amount::from_minor(400)), later).unwrap();
        assert_eq!(refund.to, InvoiceStatus::Refunded);
        assert_eq!(held.refund_amount, Some(Amount::from_minor(400)));
        assert_eq!(held.refund(None, later), Err(InvoiceError::Refunded));

        let mut unpaid = invoice();
        assert_eq!(unpaid.refund(None, later), Err(InvoiceError::NotPaid));
        assert_eq!(unpaid.cancel(later).unwrap().to, InvoiceStatus::Cancelled);
        assert_eq!(unpaid.cancel(later), Err(InvoiceError::Cancelled));
    }

    #[test]
    fn expiry_cancels_an_unpaid_invoice_at_its_expire_date_and_ends_its_payment() {
        let mut inv = invoice();
        inv.payment = Some(payment(Plan::AskBuyer));

        assert_eq!(
            inv.settle(inv.terms.expires_at - Duration::seconds(1)),
            None
        );
        let t = inv
            .settle(inv.terms.expires_at + Duration::hours(3))
            .unwrap();

        assert_eq!(t.to, InvoiceStatus::Cancelled);
        assert_eq!(inv.changed_at, inv.terms.expires_at);
        assert_eq!(
            inv.payment.as_ref().unwrap().finish().unwrap().decline,
            Some(Decline::Expired)
        );
        assert_eq!(inv.settle(inv.terms.expires_at + Duration::days(3)), None);
        assert!(inv.expired());
        assert_eq!(
            inv.check_payable(inv.terms.expires_at),
            Err(InvoiceError::Expired)
        );
    }

    #[test]
    fn a_hold_past_its_hold_time_is_released() {
        let mut inv = invoice();
        inv.terms.hold = Some(Duration::hours(2));
        inv.end_payment(Finish {
            decline: None,
            at: T0,
        });

        assert_eq!(inv.settle(T0 + Duration::hours(1)), None);
        assert_eq!(
            inv.settle(T0 + Duration::hours(2)).unwrap(),
            Transition {
                from: InvoiceStatus::Held,
                to: InvoiceStatus::Cancelled
            }
        );
    }

    #[test]
    fn a_second_payment_waits_for_the_first_to_finish() {
        let mut inv = invoice();
        inv.payment = Some(payment(Plan::AskBuyer));
        assert_eq!(inv.check_payable(T0), Err(InvoiceError::PaymentUnderWay));
        inv.payment.as_mut().unwrap().abort(Decline::Card, T0);
        assert_eq!(inv.check_payable(T0), Ok(()));
        assert_eq!(
            inv.check_payable(inv.terms.expires_at),
            Err(InvoiceError::Expired)
        );
    }

    /// What can happen to an invoice: a payment started by the API or a
    /// page, polls, the buyer's decision, the control plane's moves, the
    /// clock.
    #[derive(Debug, Clone)]
    enum Event {
        Start(Plan),
        Poll,
        Decide(Option<Decline>),
        Capture,
        Cancel,
        /// `None` refunds the whole amount; else this many minor units.
        Refund(Option<u64>),
        /// The clock moves on by this many minutes (the sweep runs).
        Advance(u32),
    }

    fn event() -> impl proptest::strategy::Strategy<Value = Event> {
        use proptest::prelude::*;
        let plan = prop_oneof![
            Just(Plan::Approve),
            Just(Plan::AskBuyer),
            Just(Plan::Decline(Decline::Card)),
        ];
        prop_oneof![
            plan.prop_map(Event::Start),
            Just(Event::Poll),
            prop_oneof![Just(None), Just(Some(Decline::ThreeDs))].prop_map(Event::Decide),
            Just(Event::Capture),
            Just(Event::Cancel),
            proptest::option::of(0u64..2000).prop_map(Event::Refund),
            (1u32..3000).prop_map(Event::Advance),
        ]
    }

    fn legal(from: InvoiceStatus, to: InvoiceStatus) -> bool {
        use InvoiceStatus::*;
        matches!(
            (from, to),
            (Created, Paid | Held | Cancelled) | (Held, Paid | Cancelled) | (Paid, Refunded)
        )
    }

    /// Applies one event the way the handlers do; returns the transitions
    /// reported.
    fn apply(invoice: &mut Invoice, event: Event, now: &mut OffsetDateTime) -> Vec<Transition> {
        let settle = |invoice: &mut Invoice, finish: Option<Finish>| {
            finish
                .and_then(|f| invoice.end_payment(f))
                .into_iter()
                .collect()
        };
        match event {
            Event::Start(plan) => {
                if invoice.check_payable(*now).is_ok() {
                    invoice.payment = Some(Payment::new(
                        PaymentMethod::Bnpl,
                        Origin::Hosted,
                        plan,
                        *now,
                        "1".into(),
                    ));
                }
                vec![]
            }
            Event::Poll => {
                let finish = invoice
                    .payment
                    .as_mut()
                    .and_then(|p| p.advance(&POLLS, *now, true).1);
                settle(invoice, finish)
            }
            Event::Decide(decline) => {
                let finish = invoice
                    .payment
                    .as_mut()
                    .and_then(|p| p.decide(decline, *now).ok());
                settle(invoice, finish)
            }
            Event::Capture => invoice.capture(*now).into_iter().collect(),
            Event::Cancel => invoice.cancel(*now).into_iter().collect(),
            Event::Refund(minor) => invoice
                .refund(minor.map(Amount::from_minor), *now)
                .into_iter()
                .collect(),
            Event::Advance(minutes) => {
                *now += Duration::minutes(i64::from(minutes));
                invoice.settle(*now).into_iter().collect()
            }
        }
    }

    proptest::proptest! {
        /// No sequence of events leaves an illegal state: every status
        /// change is a row of the table and is reported (so notified), a
        /// hold has its deadline, a refund its amount, a cancelled or
        /// refunded invoice stays so, and no payment is left running on an
        /// invoice that cannot be paid.
        #[test]
        fn no_sequence_of_events_leaves_an_illegal_state(
            events in proptest::collection::vec(event(), 1..40),
            hold in proptest::bool::ANY,
        ) {
            let mut invoice = invoice();
            if hold {
                invoice.terms.hold = Some(Duration::hours(1));
            }
            let mut now = T0;
            for event in events {
                let before = invoice.clone();
                let reported = apply(&mut invoice, event.clone(), &mut now);
                let mut status = before.status;
                for t in &reported {
                    proptest::prop_assert_eq!(t.from, status, "{:?}", event);
                    proptest::prop_assert!(legal(t.from, t.to), "{:?} → {:?}", t.from, t.to);
                    status = t.to;
                }
                proptest::prop_assert_eq!(status, invoice.status, "unreported change on {:?}", event);
                proptest::prop_assert!(invoice.changed_at >= before.changed_at, "{:?}", event);
                proptest::prop_assert_eq!(
                    invoice.status == InvoiceStatus::Held,
                    invoice.hold_until.is_some()
                );
                match invoice.status {
                    InvoiceStatus::Refunded => {
                        let refunded = invoice.refund_amount.unwrap_or(Amount::from_minor(0));
                        proptest::prop_assert!(!refunded.is_zero() && refunded <= invoice.terms.amount);
                    }
                    _ => proptest::prop_assert!(invoice.refund_amount.is_none()),
                }
                if matches!(before.status, InvoiceStatus::Cancelled | InvoiceStatus::Refunded) {
                    proptest::prop_assert_eq!(before.status, invoice.status, "terminal");
                }
                if !matches!(invoice.status, InvoiceStatus::Created | InvoiceStatus::PartiallyPaid) {
                    proptest::prop_assert!(
                        invoice.payment.as_ref().is_none_or(Payment::is_finished),
                        "a payment runs on a {:?} invoice", invoice.status
                    );
                }
                if matches!(invoice.status, InvoiceStatus::Paid | InvoiceStatus::Held) {
                    let ok = invoice.payment.as_ref().and_then(Payment::finish).is_some_and(|f| f.decline.is_none());
                    proptest::prop_assert!(ok, "paid without a successful payment");
                }
            }
        }
    }

    #[test]
    fn the_payment_page_sees_an_invoice_payable_until_its_expire_date() {
        let mut inv = invoice();
        let expires_at = inv.terms.expires_at;

        assert_eq!(
            inv.standing(expires_at - Duration::seconds(1)),
            Standing::Payable
        );
        assert_eq!(inv.standing(expires_at), Standing::Expired);
        inv.settle(expires_at);
        assert_eq!(inv.standing(expires_at), Standing::Expired);
        assert_eq!(inv.link_back(Standing::Expired), None);
    }

    #[test]
    fn a_settled_invoice_links_back_to_the_shop() {
        let mut inv = invoice();
        inv.terms.back_url = Some("https://shop.example/back".into());
        let mut cancelled = inv.clone();
        cancelled.cancel(T0).unwrap();
        let back = Some("https://shop.example/back");

        inv.end_payment(Finish {
            decline: None,
            at: T0,
        });
        assert_eq!(inv.standing(T0), Standing::Paid);
        assert_eq!(inv.link_back(Standing::Paid), back);
        inv.terms.success_url = Some("https://shop.example/ok".into());
        assert_eq!(
            inv.link_back(Standing::Paid),
            Some("https://shop.example/ok")
        );
        inv.refund(None, T0).unwrap();
        assert_eq!(inv.standing(T0), Standing::Refunded);
        assert_eq!(inv.link_back(Standing::Refunded), back);
        assert_eq!(cancelled.standing(T0), Standing::Cancelled);
        assert_eq!(cancelled.link_back(Standing::Cancelled), back);
    }

    #[test]
    fn the_last_decline_is_the_finished_attempts() {
        let mut inv = invoice();
        assert_eq!(inv.last_decline(), None);
        inv.payment = Some(payment(Plan::AskBuyer));
        assert_eq!(inv.last_decline(), None);

        inv.payment.as_mut().unwrap().abort(Decline::Card, T0);

        assert_eq!(inv.last_decline(), Some(Decline::Card));
    }

    #[test]
    fn a_return_url_takes_both_outcomes_and_page_urls_fall_back_to_the_invoices() {
        let mut inv = invoice();
        inv.terms.success_url = Some("https://shop.example/ok".into());
        let url = |u: &str| ReturnTo::Url(u.to_owned());
        let card = Origin::Api {
            success_url: None,
            fail_url: None,
            return_url: Some("https://shop.example/3ds".into()),
        };
        let bnpl = Origin::Api {
            success_url: Some("https://shop.example/bnpl-ok".into()),
            fail_url: None,
            return_url: None,
        };
        let cases = [
            (&card, true, url("https://shop.example/3ds")),
            (&card, false, url("https://shop.example/3ds")),
            (&bnpl, true, url("https://shop.example/bnpl-ok")),
            (&bnpl, false, ReturnTo::PaymentPage),
            (&Origin::Hosted, true, url("https://shop.example/ok")),
            (&Origin::Hosted, false, ReturnTo::PaymentPage),
        ];
        for (origin, approved, expected) in cases {
            assert_eq!(
                inv.return_to(origin, approved),
                expected,
                "{origin:?}, approved: {approved}"
            );
        }
        inv.terms.fail_url = Some("https://shop.example/fail".into());
        assert_eq!(
            inv.return_to(&bnpl, false),
            url("https://shop.example/fail")
        );
    }

    #[test]
    fn statuses_have_their_payment_status_codes() {
        let codes: Vec<u8> = [
            InvoiceStatus::Created,
            InvoiceStatus::Cancelled,
            InvoiceStatus::Paid,
            InvoiceStatus::Held,
            InvoiceStatus::PartiallyPaid,
            InvoiceStatus::Refunded,
        ]
        .iter()
        .map(|s| s.code())
        .collect();
        assert_eq!(codes, [3, 4, 5, 6, 7, 8]);
    }
}
