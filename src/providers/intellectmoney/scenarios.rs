//! IntellectMoney outcomes that can be forced (see `core::scenarios`).
//!
//! Each is produced by the handler's own code path: a forced refusal is the
//! same error value the check would return, a forced card outcome is paid
//! exactly as if the buyer had typed that test card.

use crate::core::scenarios::Scenario;

/// CreateInvoice's operation.
pub const CREATE_INVOICE: &str = "intellectmoney.create_invoice";
/// A card payment: BankCardPayment and the hosted card form.
pub const PAYMENT: &str = "intellectmoney.payment";
/// BnplPayment.
pub const BNPL: &str = "intellectmoney.bnpl";
/// SbpPayment.
pub const SBP: &str = "intellectmoney.sbp";

pub const CREATE_INVOICE_HASH: &str = "intellectmoney.create_invoice.hash";
pub const CREATE_INVOICE_SIGN: &str = "intellectmoney.create_invoice.sign";
pub const CREATE_INVOICE_AUTH: &str = "intellectmoney.create_invoice.auth";
pub const CREATE_INVOICE_DUPLICATE: &str = "intellectmoney.create_invoice.duplicate_order_id";
pub const PAYMENT_DECLINED: &str = "intellectmoney.payment.declined";
pub const PAYMENT_3DS: &str = "intellectmoney.payment.3ds";
pub const PAYMENT_INSUFFICIENT: &str = "intellectmoney.payment.insufficient_funds";
pub const BNPL_DECLINED: &str = "intellectmoney.bnpl.declined";
pub const SBP_DECLINED: &str = "intellectmoney.sbp.declined";

const CREATE: &str = "POST /intellectmoney/merchant/createInvoice";
const CARD: &str = "POST /intellectmoney/merchant/bankCardPayment, the hosted card form";

/// The catalogue; each id is handled by this provider's own code path.
pub const CATALOGUE: &[Scenario] = &[
    Scenario {
        id: CREATE_INVOICE_HASH,
        operation: CREATE_INVOICE,
        applies_to: CREATE,
        response: "Result.State 4 «Неверная подпись запроса (Hash)», ErrorSourceParam Hash",
    },
    Scenario {
        id: CREATE_INVOICE_SIGN,
        operation: CREATE_INVOICE,
        applies_to: CREATE,
        response: "Result.State 4 «Неверная подпись запроса (Sign)», ErrorSourceParam Sign",
    },
    Scenario {
        id: CREATE_INVOICE_AUTH,
        operation: CREATE_INVOICE,
        applies_to: CREATE,
        response: "Result.State 5 «Ошибка авторизации», ErrorSourceParam Authorization",
    },
    Scenario {
        id: CREATE_INVOICE_DUPLICATE,
        operation: CREATE_INVOICE,
        applies_to: CREATE,
        response: "Result.State 8 «Номер покупки … уже использован», ErrorSourceParam OrderId",
    },
    Scenario {
        id: PAYMENT_DECLINED,
        operation: PAYMENT,
        applies_to: CARD,
        response: "the card is declined: PaymentStep Error, RcCodeId 5 «Отказ банка-эмитента»",
    },
    Scenario {
        id: PAYMENT_3DS,
        operation: PAYMENT,
        applies_to: CARD,
        response: "the card asks for 3-D Secure: PaymentStep SendTo3DS, code 123456 approves",
    },
    Scenario {
        id: PAYMENT_INSUFFICIENT,
        operation: PAYMENT,
        applies_to: CARD,
        response: "PaymentStep Error, RcCodeId 51 «Недостаточно средств на карте»",
    },
    Scenario {
        id: BNPL_DECLINED,
        operation: BNPL,
        applies_to: "POST /intellectmoney/merchant/bnplPayment",
        response: "PayLate refuses the plan: PaymentStep Error «Заявка на оплату частями отклонена»",
    },
    Scenario {
        id: SBP_DECLINED,
        operation: SBP,
        applies_to: "POST /intellectmoney/merchant/sbpPayment",
        response: "the SBP payment is declined: PaymentStep Error «Оплата через СБП отклонена»",
    },
];

/// The card outcome a forced payment scenario stands for.
pub fn card_outcome(id: &str) -> Option<crate::core::cards::CardOutcome> {
    use crate::core::cards::CardOutcome;
    match id {
        PAYMENT_DECLINED => Some(CardOutcome::Declined),
        PAYMENT_3DS => Some(CardOutcome::Challenge),
        PAYMENT_INSUFFICIENT => Some(CardOutcome::InsufficientFunds),
        _ => None,
    }
}
