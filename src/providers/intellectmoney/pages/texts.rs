//! The words of the buyer's pages in the two languages they speak: Russian,
//! or English for an invoice created with `Language=en`. The card form's
//! words are Softline's too, so they come from [`CardWords`].
//!
//! Some messages are Russian whatever the invoice's language (the
//! "not found" and "already finished" pages, the card form's own checks):
//! they stand as written in the page that shows them.

use crate::core::cards::CardOutcome;
use crate::web::lang::CardWords;

use crate::web::Lang;

/// Words of the pages in the two languages they speak.
pub struct Texts {
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
    pub card_challenge: &'static str,
    pub card_declined: &'static str,
    pub card_insufficient_funds: &'static str,
}

pub const RU: Texts = Texts {
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
    card_challenge: "3-D Secure: код 123456 — успех, другой — отказ",
    card_declined: "отказ банка",
    card_insufficient_funds: CardWords::RU.insufficient_funds,
};

const EN: Texts = Texts {
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
    card_challenge: "3-D Secure: code 123456 approves, any other declines",
    card_declined: "declined",
    card_insufficient_funds: CardWords::EN.insufficient_funds,
};

/// The words of a page in `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Ru => &RU,
        Lang::En => &EN,
    }
}

impl Texts {
    /// What a test card does, for the test-card table.
    pub fn card_outcome(&self, outcome: CardOutcome) -> &'static str {
        match outcome {
            CardOutcome::Approved => self.card_approved,
            CardOutcome::Challenge => self.card_challenge,
            CardOutcome::Declined => self.card_declined,
            CardOutcome::InsufficientFunds => self.card_insufficient_funds,
        }
    }
}
