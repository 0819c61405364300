//! One attempt to pay an invoice (card, SBP or PayLate), as a pure state
//! machine: the time (`now`) and whether a call is a poll come in as
//! arguments, nothing here reads a clock or does I/O.
//!
//! A payment walks `Created` → `InProcess` at the fixture's pace (polls of
//! GetBankCardPaymentState, or seconds), then either ends (`Ok`/`Error`)
//! as its [`Plan`] says, or waits at `SendTo3DS` for the buyer, who ends it
//! on a [`BuyerPage`]. A payment started on the payment page skips the pace.

use time::{Duration, OffsetDateTime};

use crate::core::cards::CardOutcome;
use crate::providers::intellectmoney::fixture::Pacing;

/// `PaymentStep` of GetBankCardPaymentState.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStep {
    Created,
    InProcess,
    SendTo3DS,
    Ok,
    Error,
}

impl PaymentStep {
    /// The name on the wire. `Ok`, not `OK`: the official SDK matches names
    /// case-sensitively and throws on `OK`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "Created",
            Self::InProcess => "InProcess",
            Self::SendTo3DS => "SendTo3DS",
            Self::Ok => "Ok",
            Self::Error => "Error",
        }
    }
}

/// How the buyer pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentMethod {
    /// A bank card; `short_pan` is masked (`411111******1111`).
    Card {
        short_pan: String,
    },
    Sbp,
    Bnpl,
}

impl PaymentMethod {
    /// The method for the journal.
    pub fn describe(&self) -> String {
        match self {
            Self::Card { short_pan } => format!("card {short_pan}"),
            Self::Sbp => "SBP".to_owned(),
            Self::Bnpl => "BNPL (PayLate)".to_owned(),
        }
    }

    /// The page where the buyer finishes a payment by this method.
    pub fn buyer_page(&self) -> BuyerPage {
        match self {
            Self::Card { .. } => BuyerPage::ThreeDs,
            Self::Bnpl => BuyerPage::PayLate,
            Self::Sbp => BuyerPage::Sbp,
        }
    }

    /// `payMethod` in notifications.
    pub fn pay_method(&self, test_currency: bool) -> &'static str {
        match self {
            Self::Card { .. } if test_currency => "TestAcquiring",
            Self::Card { .. } => "Acquiring",
            Self::Sbp => "Sbp",
            Self::Bnpl => "BNPL",
        }
    }
}

/// Why a payment ended in `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    /// The issuer said no.
    Card,
    InsufficientFunds,
    /// A wrong 3-D Secure code, or the buyer gave up on the page.
    ThreeDs,
    /// PayLate refused the instalment plan, or the buyer declined it.
    Bnpl,
    /// The buyer declined the SBP payment in their bank's app.
    Sbp,
    /// The invoice expired while the payment was under way.
    Expired,
}

/// The buyer's 3-D Secure code: the challenge code approves (`None`), any
/// other declines.
pub fn check_code(typed: &str, challenge_code: &str) -> Option<Decline> {
    (typed != challenge_code).then_some(Decline::ThreeDs)
}

impl Decline {
    /// `Message` and `RcCodeId` of the `Error` step (the codes follow the
    /// card networks' response codes where one fits).
    pub fn message_and_code(self) -> (&'static str, u32) {
        match self {
            Self::Card => ("Отказ банка-эмитента", 5),
            Self::InsufficientFunds => ("Недостаточно средств на карте", 51),
            Self::ThreeDs => ("Не пройдена аутентификация 3-D Secure", 82),
            Self::Bnpl => ("Заявка на оплату частями отклонена", 5),
            Self::Sbp => ("Оплата через СБП отклонена", 5),
            Self::Expired => ("Срок оплаты счёта истёк", 54),
        }
    }
}

/// `Message` and `RcCodeId` of the `Ok` step.
pub const APPROVED: (&str, u32) = ("Операция успешно завершена", 0);

/// What happens once a payment leaves `InProcess`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Approve,
    Decline(Decline),
    /// `SendTo3DS`: the buyer finishes it on a page.
    AskBuyer,
}

impl Plan {
    /// What a card's outcome makes of a payment once it leaves `InProcess`.
    pub fn for_card(outcome: CardOutcome) -> Self {
        match outcome {
            CardOutcome::Approved => Self::Approve,
            CardOutcome::Challenge => Self::AskBuyer,
            CardOutcome::Declined => Self::Decline(Decline::Card),
            CardOutcome::InsufficientFunds => Self::Decline(Decline::InsufficientFunds),
        }
    }
}

/// A finished payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finish {
    /// `None` is success.
    pub decline: Option<Decline>,
    pub at: OffsetDateTime,
}

impl Finish {
    pub fn step(&self) -> PaymentStep {
        if self.decline.is_some() {
            PaymentStep::Error
        } else {
            PaymentStep::Ok
        }
    }

    pub fn message_and_code(&self) -> (&'static str, u32) {
        self.decline.map_or(APPROVED, Decline::message_and_code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `Created` or `InProcess`, moved on by polls or time.
    Paced {
        polls: u32,
    },
    /// `SendTo3DS`.
    AwaitingBuyer,
    Finished(Finish),
}

/// Where the buyer goes when a page finishes the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Started by a merchant's API call: BnplPayment/SbpPayment's SuccessUrl
    /// and FailUrl, BankCardPayment's ReturnUrl (both outcomes).
    Api {
        success_url: Option<String>,
        fail_url: Option<String>,
        return_url: Option<String>,
    },
    /// Started on the invoice's own payment page.
    Hosted,
}

/// One attempt to pay an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub method: PaymentMethod,
    pub origin: Origin,
    pub plan: Plan,
    pub progress: Progress,
    pub started_at: OffsetDateTime,
    /// BnplPayment's `OperationId`.
    pub operation_id: Option<uuid::Uuid>,
    /// The retrieval reference, drawn when the payment starts.
    pub rrn: String,
    pub ip_address: Option<String>,
}

/// Where the pacing puts a payment that has not left `InProcess`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paced {
    Created,
    InProcess,
    Done,
}

/// The paced step after `polls` answered polls (this one included) or
/// `elapsed` seconds since the payment started.
pub fn paced(pacing: &Pacing, polls: u32, elapsed: Duration) -> Paced {
    let (created, in_process, at) = match *pacing {
        Pacing::Polls {
            created,
            in_process,
        } => (u64::from(created), u64::from(in_process), u64::from(polls)),
        Pacing::Seconds {
            created,
            in_process,
        } => (
            created,
            in_process,
            // Whole seconds, and a step's last second still counts as in it
            // until it has fully passed.
            u64::try_from(elapsed.whole_seconds()).unwrap_or(0),
        ),
    };
    let polls_mode = matches!(pacing, Pacing::Polls { .. });
    let in_created = if polls_mode {
        at <= created
    } else {
        at < created
    };
    let in_process_ = if polls_mode {
        at <= created + in_process
    } else {
        at < created + in_process
    };
    if in_created {
        Paced::Created
    } else if in_process_ {
        Paced::InProcess
    } else {
        Paced::Done
    }
}

/// Why a buyer's decision or a new payment is not possible now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("платёж ещё обрабатывается")]
    NotReady,
    #[error("платёж уже завершён")]
    Finished,
}

impl Payment {
    pub fn new(
        method: PaymentMethod,
        origin: Origin,
        plan: Plan,
        now: OffsetDateTime,
        rrn: String,
    ) -> Self {
        Self {
            method,
            origin,
            plan,
            progress: Progress::Paced { polls: 0 },
            started_at: now,
            operation_id: None,
            rrn,
            ip_address: None,
        }
    }

    /// A payment started on a hosted page: no pacing, the buyer is there
    /// and decides at once (a card form) or on the next page.
    pub fn hosted(method: PaymentMethod, now: OffsetDateTime, rrn: String) -> Self {
        let mut payment = Self::new(method, Origin::Hosted, Plan::AskBuyer, now, rrn);
        payment.progress = Progress::AwaitingBuyer;
        payment
    }

    /// The step as it stands, without moving it.
    pub fn step(&self, pacing: &Pacing, now: OffsetDateTime) -> PaymentStep {
        match self.progress {
            Progress::Paced { polls } => match paced(pacing, polls, now - self.started_at) {
                Paced::Created => PaymentStep::Created,
                Paced::InProcess | Paced::Done => PaymentStep::InProcess,
            },
            Progress::AwaitingBuyer => PaymentStep::SendTo3DS,
            Progress::Finished(finish) => finish.step(),
        }
    }

    pub fn finish(&self) -> Option<Finish> {
        match self.progress {
            Progress::Finished(finish) => Some(finish),
            _ => None,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finish().is_some()
    }

    /// Moves the payment on by the pacing; a `poll` (GetBankCardPaymentState)
    /// counts toward poll pacing, a page view does not. Returns the step to
    /// report and the finish if this call ended the payment.
    pub fn advance(
        &mut self,
        pacing: &Pacing,
        now: OffsetDateTime,
        poll: bool,
    ) -> (PaymentStep, Option<Finish>) {
        let Progress::Paced { polls } = self.progress else {
            return (self.step(pacing, now), None);
        };
        let polls = if poll { polls.saturating_add(1) } else { polls };
        self.progress = Progress::Paced { polls };
        match paced(pacing, polls, now - self.started_at) {
            Paced::Created => (PaymentStep::Created, None),
            Paced::InProcess => (PaymentStep::InProcess, None),
            Paced::Done => match self.plan {
                Plan::AskBuyer => {
                    self.progress = Progress::AwaitingBuyer;
                    (PaymentStep::SendTo3DS, None)
                }
                Plan::Approve => self.end(None, now),
                Plan::Decline(decline) => self.end(Some(decline), now),
            },
        }
    }

    /// The buyer's answer on the 3-D Secure, PayLate or SBP page.
    pub fn decide(
        &mut self,
        decline: Option<Decline>,
        now: OffsetDateTime,
    ) -> Result<Finish, PaymentError> {
        match self.progress {
            Progress::AwaitingBuyer => Ok(self
                .end(decline, now)
                .1
                .unwrap_or(Finish { decline, at: now })),
            Progress::Paced { .. } => Err(PaymentError::NotReady),
            Progress::Finished(_) => Err(PaymentError::Finished),
        }
    }

    /// Ends an unfinished payment (the invoice expired); `None` if it had
    /// already ended.
    pub fn abort(&mut self, decline: Decline, now: OffsetDateTime) -> Option<Finish> {
        if self.is_finished() {
            return None;
        }
        self.end(Some(decline), now).1
    }

    fn end(
        &mut self,
        decline: Option<Decline>,
        now: OffsetDateTime,
    ) -> (PaymentStep, Option<Finish>) {
        let finish = Finish { decline, at: now };
        self.progress = Progress::Finished(finish);
        (finish.step(), Some(finish))
    }
}

/// The page where the buyer finishes a payment at `SendTo3DS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuyerPage {
    /// A card's 3-D Secure code.
    ThreeDs,
    /// PayLate's instalment plan.
    PayLate,
    /// The SBP QR code.
    Sbp,
}

/// What a buyer's page finds of the invoice's payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    /// At `SendTo3DS`: the page asks the buyer.
    AwaitingBuyer,
    /// Ended already: nothing is left to decide.
    Finished,
    /// Still at the fixture's pace: the page is early.
    InProgress,
    /// No payment for this page: none at all, or one by another method.
    NoPayment,
}

impl BuyerPage {
    /// What this page finds of `payment`.
    pub fn finds(self, payment: Option<&Payment>) -> PageState {
        match payment {
            Some(p) if p.method.buyer_page() != self => PageState::NoPayment,
            Some(p) if p.progress == Progress::AwaitingBuyer => PageState::AwaitingBuyer,
            Some(p) if p.is_finished() => PageState::Finished,
            Some(_) => PageState::InProgress,
            None => PageState::NoPayment,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use time::macros::datetime;

    pub(crate) const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
    pub(crate) const POLLS: Pacing = Pacing::Polls {
        created: 1,
        in_process: 2,
    };
    const SECONDS: Pacing = Pacing::Seconds {
        created: 2,
        in_process: 3,
    };

    /// A BNPL payment started by the API at `T0`, with no addresses.
    pub(crate) fn payment(plan: Plan) -> Payment {
        Payment::new(
            PaymentMethod::Bnpl,
            Origin::Api {
                success_url: None,
                fail_url: None,
                return_url: None,
            },
            plan,
            T0,
            "123456789012".into(),
        )
    }

    #[test]
    fn by_default_polls_answer_created_then_in_process_twice_then_send_to_3ds_on_the_fourth() {
        let mut p = payment(Plan::AskBuyer);

        let steps: Vec<PaymentStep> = (0..5).map(|_| p.advance(&POLLS, T0, true).0).collect();

        assert_eq!(
            steps,
            [
                PaymentStep::Created,
                PaymentStep::InProcess,
                PaymentStep::InProcess,
                PaymentStep::SendTo3DS,
                PaymentStep::SendTo3DS
            ]
        );
    }

    #[test]
    fn a_page_view_does_not_count_as_a_poll() {
        let mut p = payment(Plan::AskBuyer);
        for _ in 0..10 {
            p.advance(&POLLS, T0, false);
        }
        assert_eq!(p.advance(&POLLS, T0, true).0, PaymentStep::Created);
    }

    #[test]
    fn seconds_pacing_moves_by_sandbox_time_only() {
        let mut p = payment(Plan::Approve);
        let at = |s: i64| T0 + Duration::seconds(s);

        assert_eq!(p.advance(&SECONDS, at(1), true).0, PaymentStep::Created);
        assert_eq!(p.advance(&SECONDS, at(2), true).0, PaymentStep::InProcess);
        assert_eq!(p.advance(&SECONDS, at(4), true).0, PaymentStep::InProcess);
        let (step, finish) = p.advance(&SECONDS, at(5), false);

        assert_eq!(step, PaymentStep::Ok);
        assert_eq!(
            finish,
            Some(Finish {
                decline: None,
                at: at(5)
            })
        );
        assert_eq!(p.advance(&SECONDS, at(9), true), (PaymentStep::Ok, None));
    }

    #[test]
    fn a_planned_decline_ends_in_error_with_its_message() {
        let mut p = payment(Plan::Decline(Decline::InsufficientFunds));
        let last = (0..4).map(|_| p.advance(&POLLS, T0, true)).last().unwrap();

        assert_eq!(last.0, PaymentStep::Error);
        let finish = last.1.unwrap();
        assert_eq!(
            finish.message_and_code(),
            ("Недостаточно средств на карте", 51)
        );
    }

    #[test]
    fn the_buyer_decides_only_at_send_to_3ds_and_only_once() {
        let mut p = payment(Plan::AskBuyer);
        assert_eq!(p.decide(None, T0), Err(PaymentError::NotReady));
        for _ in 0..4 {
            p.advance(&POLLS, T0, true);
        }

        let finish = p.decide(Some(Decline::Bnpl), T0).unwrap();

        assert_eq!(finish.step(), PaymentStep::Error);
        assert_eq!(p.decide(None, T0), Err(PaymentError::Finished));
        assert_eq!(p.step(&POLLS, T0), PaymentStep::Error);
    }

    #[test]
    fn a_hosted_payment_skips_the_pacing() {
        let mut p = Payment::hosted(PaymentMethod::Sbp, T0, "1".into());
        assert_eq!(p.advance(&POLLS, T0, false).0, PaymentStep::SendTo3DS);
    }

    #[test]
    fn steps_have_their_wire_names() {
        assert_eq!(PaymentStep::Ok.name(), "Ok");
        assert_eq!(PaymentStep::SendTo3DS.name(), "SendTo3DS");
    }

    #[test]
    fn a_cards_outcome_plans_its_payment() {
        let cases = [
            (CardOutcome::Approved, Plan::Approve),
            (CardOutcome::Challenge, Plan::AskBuyer),
            (CardOutcome::Declined, Plan::Decline(Decline::Card)),
            (
                CardOutcome::InsufficientFunds,
                Plan::Decline(Decline::InsufficientFunds),
            ),
        ];
        for (outcome, plan) in cases {
            assert_eq!(Plan::for_card(outcome), plan, "{outcome:?}");
        }
    }

    #[test]
    fn only_the_challenge_code_passes_3_d_secure() {
        assert_eq!(check_code("123456", "123456"), None);
        assert_eq!(check_code("123457", "123456"), Some(Decline::ThreeDs));
    }

    #[test]
    fn a_buyers_page_finds_only_a_payment_of_its_own_method() {
        let card = PaymentMethod::Card {
            short_pan: "411111******1111".into(),
        };
        let waiting = Payment::hosted(card, T0, "1".into());
        let mut paced = payment(Plan::AskBuyer);
        let mut finished = payment(Plan::AskBuyer);
        finished.abort(Decline::Expired, T0);

        assert_eq!(
            BuyerPage::ThreeDs.finds(Some(&waiting)),
            PageState::AwaitingBuyer
        );
        assert_eq!(BuyerPage::Sbp.finds(Some(&waiting)), PageState::NoPayment);
        assert_eq!(
            BuyerPage::PayLate.finds(Some(&paced)),
            PageState::InProgress
        );
        assert_eq!(
            BuyerPage::PayLate.finds(Some(&finished)),
            PageState::Finished
        );
        assert_eq!(BuyerPage::PayLate.finds(None), PageState::NoPayment);
        paced.advance(&SECONDS, T0 + Duration::seconds(5), false);
        assert_eq!(
            BuyerPage::PayLate.finds(Some(&paced)),
            PageState::AwaitingBuyer
        );
    }
}
