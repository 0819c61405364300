//! A payment's state machine.
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

use time::{Duration, OffsetDateTime};

use super::{Card, ChargeOutcome, Payment};
use crate::providers::softline::types::PaymentStatus;

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

impl Payment {
    /// Applies what time has done by `now`: a recurring charge that is due
    /// ends, and a payment unpaid for `unpaid_lifetime` is deleted.
    pub fn settle(&mut self, now: OffsetDateTime, unpaid_lifetime: Duration) -> Vec<Observed> {
        let mut observed = Vec::new();
        if let Some(charge) = self.charge.take_if(|c| c.due <= now).map(|c| *c)
            && self.status == PaymentStatus::NotPaid
        {
            match charge.outcome {
                ChargeOutcome::Succeeds => {
                    observed.push(Observed::Changed(self.mark_paid(
                        charge.card,
                        charge.due,
                        Reason::RecurringCharge,
                    )));
                }
                ChargeOutcome::Fails => observed.push(Observed::ChargeFailed { at: charge.due }),
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

#[cfg(test)]
mod tests {
    use super::super::examples::{LIFETIME, T0, payment, recurring_of, visa};
    use super::*;

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
}
