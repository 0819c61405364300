//! The words of the buyer's pages in the two languages they speak: Russian,
//! or English for an invoice created with `Language=en`. The card form's
//! words are Softline's too, so they come from [`CardWords`].
//!
//! Every word a page shows is here, message pages and the card form's
//! checks included, so an English invoice's buyer never meets Russian. Two
//! pages have no invoice to ask: "not found" speaks the language the request
//! hints at (`lang=en` or `Accept-Language`, see
//! [`crate::web::Lang::hinted`]), Russian by default; the legacy form's
//! refusal stays Russian, because its reason is the API's own (Russian)
//! error message.

use crate::core::cards::{CardNumberError, CardOutcome};
use crate::providers::intellectmoney::model::{Decline, InvoiceError};
use crate::web::lang::CardWords;

use crate::web::Lang;

/// Words of the pages in the two languages they speak.
pub struct Texts {
    pub language: Lang,
    pub lang: &'static str,
    pub order: &'static str,
    pub invoice: &'static str,
    pub pay_title: &'static str,
    pub card_number: &'static str,
    pub expiry: &'static str,
    pub expiry_placeholder: &'static str,
    pub cvc: &'static str,
    pub cardholder: &'static str,
    pub pay: &'static str,
    pub other_ways: &'static str,
    pub sbp_button: &'static str,
    pub paylate_button: &'static str,
    pub approve: &'static str,
    pub decline: &'static str,
    pub quick_note: &'static str,
    pub back: &'static str,
    pub sandbox: &'static str,
    pub test_cards: &'static str,
    pub three_ds_title: &'static str,
    pub three_ds_text: &'static str,
    pub code: &'static str,
    pub confirm: &'static str,
    pub code_hint: &'static str,
    pub paylate_title: &'static str,
    pub paylate_text: &'static str,
    pub paylate_approve: &'static str,
    pub paylate_decline: &'static str,
    pub payment_no: &'static str,
    pub today: &'static str,
    pub sbp_title: &'static str,
    pub sbp_text: &'static str,
    pub sbp_approve: &'static str,
    pub sbp_decline: &'static str,
    pub qr_alt: &'static str,
    pub to_payment_page: &'static str,
    /// The payment page's notice once the invoice is paid.
    pub paid: &'static str,
    /// The test-card table's outcomes.
    pub card_approved: &'static str,
    pub card_declined: &'static str,
    pub card_insufficient_funds: &'static str,
    /// The payment page's notices once the invoice cannot be paid.
    pub expired: &'static str,
    pub cancelled: &'static str,
    pub refunded: &'static str,
    /// Before the reason of the last decline, shown on the payment page.
    pub payment_failed: &'static str,
    /// The card form's own checks.
    pub expiry_invalid: &'static str,
    pub card_expired: &'static str,
    pub cvc_invalid: &'static str,
    /// The 3-D Secure form sent without a code.
    pub code_missing: &'static str,
    /// Under the SBP QR code, before the URL it encodes.
    pub sbp_link: &'static str,
    /// Message pages: a title and its text.
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub finished_title: &'static str,
    pub finished_text: &'static str,
    pub finished_or_not_ready_text: &'static str,
    pub in_progress_title: &'static str,
    pub in_progress_text: &'static str,
    pub no_payment_title: &'static str,
    pub no_payment_text: &'static str,
    pub qr_failed_title: &'static str,
    pub qr_failed_text: &'static str,
}

pub const RU: Texts = Texts {
    language: Lang::Ru,
    lang: Lang::Ru.html_lang(),
    order: "Заказ №",
    invoice: "Счёт №",
    pay_title: "Оплата заказа",
    card_number: CardWords::RU.card_number,
    expiry: CardWords::RU.expiry,
    expiry_placeholder: CardWords::RU.expiry_placeholder,
    cvc: CardWords::RU.cvc,
    cardholder: CardWords::RU.cardholder,
    pay: CardWords::RU.pay,
    other_ways: "Другие способы оплаты",
    sbp_button: "Оплатить через СБП",
    paylate_button: "Оплатить частями — PayLate",
    approve: "Оплата прошла",
    decline: "Оплата отклонена",
    quick_note: "Быстрый исход без карты:",
    back: "Вернуться в магазин",
    sandbox: "Песочница paysandbox: деньги не списываются.",
    test_cards: "Тестовые карты",
    three_ds_title: "Подтверждение платежа",
    three_ds_text: "Банк отправил код подтверждения для карты",
    code: "Код из SMS",
    confirm: CardWords::RU.confirm,
    code_hint: "В песочнице подходит код",
    paylate_title: "PayLate — оплата частями",
    paylate_text: "Сумма делится на равные платежи без переплаты:",
    paylate_approve: "Оформить",
    paylate_decline: "Отказаться",
    payment_no: "Платёж",
    today: "сегодня",
    sbp_title: "Оплата через СБП",
    sbp_text: "Отсканируйте QR-код камерой телефона или в приложении банка и подтвердите оплату.",
    sbp_approve: "Оплата подтверждена в банке",
    sbp_decline: "Отклонить",
    qr_alt: "QR-код для оплаты через СБП",
    to_payment_page: "К странице оплаты",
    paid: "Счёт оплачен. Спасибо!",
    card_approved: "успешная оплата",
    card_declined: "отказ банка",
    card_insufficient_funds: CardWords::RU.insufficient_funds,
    expired: "Срок оплаты счёта истёк.",
    cancelled: "Счёт аннулирован и не может быть оплачен.",
    refunded: "По счёту выполнен возврат.",
    payment_failed: "Оплата не прошла: ",
    expiry_invalid: "Срок действия указан неверно: нужен формат ММ/ГГ.",
    card_expired: CardWords::RU.card_expired,
    cvc_invalid: "CVC/CVV — 3 или 4 цифры с обратной стороны карты.",
    code_missing: "Введите код подтверждения.",
    sbp_link: "Ссылка для оплаты:",
    not_found_title: "Счёт не найден",
    not_found_text: "Счёта с таким номером нет. Проверьте ссылку на оплату.",
    finished_title: "Платёж уже завершён",
    finished_text: "Этот платёж уже завершён.",
    finished_or_not_ready_text: "Этот платёж уже завершён или ещё не готов к подтверждению.",
    in_progress_title: "Платёж ещё обрабатывается",
    in_progress_text: "Платёж ещё обрабатывается. Обновите страницу через несколько секунд.",
    no_payment_title: "Платёж не найден",
    no_payment_text: "По этому счёту нет платежа, ожидающего подтверждения здесь.",
    qr_failed_title: "QR-код не построен",
    qr_failed_text: "Ссылка для оплаты через СБП слишком длинна для QR-кода.",
};

pub const EN: Texts = Texts {
    language: Lang::En,
    lang: Lang::En.html_lang(),
    order: "Order",
    invoice: "Invoice",
    pay_title: "Payment",
    card_number: CardWords::EN.card_number,
    expiry: CardWords::EN.expiry,
    expiry_placeholder: CardWords::EN.expiry_placeholder,
    cvc: CardWords::EN.cvc,
    cardholder: CardWords::EN.cardholder,
    pay: CardWords::EN.pay,
    other_ways: "Other ways to pay",
    sbp_button: "Pay with SBP",
    paylate_button: "Pay in parts — PayLate",
    approve: "Payment succeeds",
    decline: "Payment is declined",
    quick_note: "Quick outcome without a card:",
    back: "Back to the shop",
    sandbox: "paysandbox: no money moves.",
    test_cards: "Test cards",
    three_ds_title: "Confirm your payment",
    three_ds_text: "Your bank sent a confirmation code for the card",
    code: "Code from the SMS",
    confirm: CardWords::EN.confirm,
    code_hint: "In the sandbox the code is",
    paylate_title: "PayLate — pay in parts",
    paylate_text: "The amount is split into equal payments at no extra cost:",
    paylate_approve: "Accept the plan",
    paylate_decline: "Decline",
    payment_no: "Payment",
    today: "today",
    sbp_title: "Pay with SBP",
    sbp_text: "Scan the QR code with your phone's camera or your bank's app and confirm the payment.",
    sbp_approve: "Payment confirmed in the bank",
    sbp_decline: "Decline",
    qr_alt: "QR code to pay with SBP",
    to_payment_page: "To the payment page",
    paid: "The invoice is paid. Thank you!",
    card_approved: "approved",
    card_declined: "declined",
    card_insufficient_funds: CardWords::EN.insufficient_funds,
    expired: "The invoice has expired.",
    cancelled: "The invoice is cancelled and cannot be paid.",
    refunded: "The invoice has been refunded.",
    payment_failed: "The payment failed: ",
    expiry_invalid: "The expiry date is wrong: write it as MM/YY.",
    card_expired: CardWords::EN.card_expired,
    cvc_invalid: "CVC/CVV is the 3 or 4 digits on the back of the card.",
    code_missing: "Enter the confirmation code.",
    sbp_link: "Payment link:",
    not_found_title: "Invoice not found",
    not_found_text: "There is no invoice with this number. Check the payment link.",
    finished_title: "The payment is already finished",
    finished_text: "This payment is already finished.",
    finished_or_not_ready_text: "This payment is already finished or not ready to be confirmed yet.",
    in_progress_title: "The payment is still in progress",
    in_progress_text: "The payment is still in progress. Refresh the page in a few seconds.",
    no_payment_title: "Payment not found",
    no_payment_text: "This invoice has no payment waiting to be confirmed here.",
    qr_failed_title: "No QR code",
    qr_failed_text: "The SBP payment link is too long for a QR code.",
};

/// The words of a page in `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Ru => &RU,
        Lang::En => &EN,
    }
}

impl Texts {
    /// What a test card does, for the test-card table; a challenge card
    /// names the 3-D Secure code of the cards fixture.
    pub fn card_outcome(&self, outcome: CardOutcome, challenge_code: &str) -> String {
        match (outcome, self.language) {
            (CardOutcome::Approved, _) => self.card_approved.to_owned(),
            (CardOutcome::Challenge, Lang::Ru) => {
                format!("3-D Secure: код {challenge_code} — успех, другой — отказ")
            }
            (CardOutcome::Challenge, Lang::En) => {
                format!("3-D Secure: code {challenge_code} approves, any other declines")
            }
            (CardOutcome::Declined, _) => self.card_declined.to_owned(),
            (CardOutcome::InsufficientFunds, _) => self.card_insufficient_funds.to_owned(),
        }
    }

    /// Why the card form refuses a typed card number, as a sentence.
    pub fn card_number_error(&self, error: CardNumberError) -> &'static str {
        match (error, self.language) {
            (CardNumberError::Length, Lang::Ru) => "Номер карты — от 12 до 19 цифр.",
            (CardNumberError::Luhn, Lang::Ru) => "Номер карты введён с ошибкой.",
            (CardNumberError::Length, Lang::En) => "A card number has 12 to 19 digits.",
            (CardNumberError::Luhn, Lang::En) => "The card number is mistyped.",
        }
    }

    /// Why the last payment was declined, inside the payment page's
    /// sentence. The Russian is the payment's `Message`, as the API says it.
    pub fn decline_reason(&self, decline: Decline) -> String {
        match self.language {
            Lang::Ru => lower_first(decline.message_and_code().0),
            Lang::En => match decline {
                Decline::Card => "the issuing bank declined it",
                Decline::InsufficientFunds => "insufficient funds on the card",
                Decline::ThreeDs => "3-D Secure authentication failed",
                Decline::Bnpl => "the instalment plan was declined",
                Decline::Sbp => "the SBP payment was declined",
                Decline::Expired => "the invoice has expired",
            }
            .to_owned(),
        }
    }

    /// Why a payment cannot start on the invoice, as a sentence. The
    /// Russian is the API's own error message.
    pub fn invoice_error(&self, error: InvoiceError) -> String {
        match self.language {
            Lang::Ru => super::sentence(&error.to_string()),
            Lang::En => match error {
                InvoiceError::AlreadyPaid => "The invoice is already paid.",
                InvoiceError::Cancelled => "The invoice is cancelled.",
                InvoiceError::Refunded => "The invoice has been refunded.",
                InvoiceError::Held => "The amount is held and waits to be captured.",
                InvoiceError::Expired => "The invoice has expired.",
                InvoiceError::PaymentUnderWay => "A payment of the invoice is already under way.",
                InvoiceError::NotHeld => "The amount is not held: there is nothing to capture.",
                InvoiceError::NotPaid => "The invoice is not paid: there is nothing to refund.",
                InvoiceError::RefundTooLarge => "The refund is larger than the invoice.",
            }
            .to_owned(),
        }
    }
}

/// `text` inside a sentence: its first letter in lower case.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cyrillic(text: &str) -> String {
        text.chars()
            .filter(|c| ('\u{400}'..='\u{4ff}').contains(c))
            .collect()
    }

    #[test]
    fn the_english_table_has_no_russian_word() {
        let source = include_str!("texts.rs");
        let start = source.find("pub const EN: Texts = Texts {").unwrap();
        let table = &source[start..start + source[start..].find("\n};").unwrap()];

        assert_eq!(cyrillic(table), "", "{table}");
        assert!(
            table.contains("qr_failed_text:"),
            "the whole table: {table}"
        );
    }

    #[test]
    fn the_english_reasons_and_outcomes_have_no_russian_word() {
        let declines = [
            Decline::Card,
            Decline::InsufficientFunds,
            Decline::ThreeDs,
            Decline::Bnpl,
            Decline::Sbp,
            Decline::Expired,
        ];
        let errors = [
            InvoiceError::AlreadyPaid,
            InvoiceError::Cancelled,
            InvoiceError::Refunded,
            InvoiceError::Held,
            InvoiceError::Expired,
            InvoiceError::PaymentUnderWay,
            InvoiceError::NotHeld,
            InvoiceError::NotPaid,
            InvoiceError::RefundTooLarge,
        ];
        let outcomes = [
            CardOutcome::Approved,
            CardOutcome::Challenge,
            CardOutcome::Declined,
            CardOutcome::InsufficientFunds,
        ];

        let words: Vec<String> = declines
            .map(|d| EN.decline_reason(d))
            .into_iter()
            .chain(errors.map(|e| EN.invoice_error(e)))
            .chain(outcomes.map(|o| EN.card_outcome(o, "424242")))
            .chain(
                [CardNumberError::Length, CardNumberError::Luhn]
                    .map(|e| EN.card_number_error(e).to_owned()),
            )
            .collect();

        for text in &words {
            assert_eq!(cyrillic(text), "", "{text}");
        }
        assert_eq!(
            EN.card_outcome(CardOutcome::Challenge, "424242"),
            "3-D Secure: code 424242 approves, any other declines"
        );
        assert_eq!(
            RU.invoice_error(InvoiceError::Cancelled),
            "Счёт аннулирован."
        );
    }
}
