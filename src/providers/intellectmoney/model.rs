//! The invoice (СКО) and the payment state machine, as pure functions: the
//! time (`now`) and the poll count come in as arguments, nothing here reads
//! a clock or does I/O.
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
//!
//! A payment (card, SBP or BNPL) walks `Created` → `InProcess` at the
//! fixture's pace, then either ends (`Ok`/`Error`) or waits for the buyer at
//! `SendTo3DS` (3-D Secure code, PayLate or SBP page), who ends it.

use time::{Duration, OffsetDateTime};

use super::fixture::Pacing;
use super::validate::NewInvoice;
use crate::core::money::Amount;

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

/// A custom field (`UserFieldName_N` / `UserField_N`), echoed in
/// notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserField {
    /// `N`, as sent.
    pub index: String,
    pub name: Option<String>,
    pub value: Option<String>,
}

/// The language of the hosted pages (shared with Softline's).
pub use crate::web::Lang;

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
    pub fn settle(&mut self, finish: Finish) -> Option<Transition> {
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

    /// What the clock does to the invoice at `now`: an unpaid invoice past
    /// its ExpireDate is cancelled (any payment under way ends in `Error`),
    /// a hold past its HoldTime is released. The transition is stamped with
    /// the moment it was due, not when it was noticed.
    pub fn tick(&mut self, now: OffsetDateTime) -> Option<Transition> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
    const POLLS: Pacing = Pacing::Polls {
        created: 1,
        in_process: 2,
    };
    const SECONDS: Pacing = Pacing::Seconds {
        created: 2,
        in_process: 3,
    };

    fn payment(plan: Plan) -> Payment {
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
                preference: None,
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

        assert_eq!(plain.settle(declined), None);
        assert_eq!(plain.check_payable(T0), Ok(()));
        assert_eq!(
            plain.settle(ok),
            Some(Transition {
                from: InvoiceStatus::Created,
                to: InvoiceStatus::Paid
            })
        );
        assert_eq!(held.settle(ok).unwrap().to, InvoiceStatus::Held);
        assert_eq!(held.hold_until, Some(T0 + Duration::hours(72)));
        assert_eq!(plain.check_payable(T0), Err(InvoiceError::AlreadyPaid));
    }

    #[test]
    fn capture_cancel_and_refund_follow_the_status_table() {
        let later = T0 + Duration::minutes(5);
        let mut held = invoice();
        held.terms.hold = Some(Duration::hours(1));
        held.settle(Finish {
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

        assert_eq!(inv.tick(inv.terms.expires_at - Duration::seconds(1)), None);
        let t = inv.tick(inv.terms.expires_at + Duration::hours(3)).unwrap();

        assert_eq!(t.to, InvoiceStatus::Cancelled);
        assert_eq!(inv.changed_at, inv.terms.expires_at);
        assert_eq!(
            inv.payment.as_ref().unwrap().finish().unwrap().decline,
            Some(Decline::Expired)
        );
        assert_eq!(inv.tick(inv.terms.expires_at + Duration::days(3)), None);
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
        inv.settle(Finish {
            decline: None,
            at: T0,
        });

        assert_eq!(inv.tick(T0 + Duration::hours(1)), None);
        assert_eq!(
            inv.tick(T0 + Duration::hours(2)).unwrap(),
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
            finish.and_then(|f| invoice.settle(f)).into_iter().collect()
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
                invoice.tick(*now).into_iter().collect()
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
    fn wire_names_of_steps_and_status_codes() {
        assert_eq!(PaymentStep::Ok.name(), "Ok");
        assert_eq!(PaymentStep::SendTo3DS.name(), "SendTo3DS");
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
