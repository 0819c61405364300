//! IntellectMoney's two signatures over a method's template:
//! - `Hash` (body field): MD5 of the values joined by `::`, then the shop's
//!   SecretKey;
//! - `Sign` (header): SHA-256 of the same values, then the SignSecretKey.
//!
//! Values are the request's text as sent (decoded), a field of the template
//! that the request lacks keeps its empty slot (`a::::b`), and the hex is
//! compared in any letter case. The CreateInvoice `Sign` is accepted with the
//! FailUrl value or with an empty FailUrl slot: the official SDK and the wiki
//! put the value there, the developer portal prints an empty slot.
//!
//! A refusal also says what was expected ([`help`]); the `sign` command
//! builds its text here too, so what it prints is what the server checks.

use axum::http::HeaderValue;
use axum::response::Response;

use super::request::Params;
use crate::core::mask::mask_card_number;
use crate::core::signature::{
    BASE_HEADER, SignatureHelp, SignedField, hex_matches, md5_hex, sha256_hex,
};

/// A signed merchant method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    CreateInvoice,
    BankCardPayment,
    GetBankCardPaymentState,
    BnplPayment,
    SbpPayment,
    /// The legacy HTML form's `hash` (PurchaseHash): five fields.
    Purchase,
}

impl Method {
    /// Every method, for lookups by name.
    pub const ALL: [Self; 6] = [
        Self::CreateInvoice,
        Self::BankCardPayment,
        Self::GetBankCardPaymentState,
        Self::BnplPayment,
        Self::SbpPayment,
        Self::Purchase,
    ];

    /// The method's name as the API spells it (`Purchase`: the legacy form).
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateInvoice => "CreateInvoice",
            Self::BankCardPayment => "BankCardPayment",
            Self::GetBankCardPaymentState => "GetBankCardPaymentState",
            Self::BnplPayment => "BnplPayment",
            Self::SbpPayment => "SbpPayment",
            Self::Purchase => "Purchase",
        }
    }

    /// The method named `name`, in any letter case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// The template's fields, in order (the key is appended after them).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::CreateInvoice => &[
                "EshopId",
                "OrderId",
                "ServiceName",
                "RecipientAmount",
                "RecipientCurrency",
                "UserName",
                "Email",
                "SuccessUrl",
                "FailUrl",
                "BackUrl",
                "ResultUrl",
                "ExpireDate",
                "HoldMode",
                "Preference",
            ],
            Self::BankCardPayment => &[
                "EshopId",
                "InvoiceId",
                "Pan",
                "CardHolder",
                "ExpiredMonth",
                "ExpiredYear",
                "Cvv",
                "ReturnUrl",
                "IpAddress",
            ],
            Self::GetBankCardPaymentState => &["EshopId", "InvoiceId"],
            Self::Purchase => &[
                "EshopId",
                "OrderId",
                "ServiceName",
                "RecipientAmount",
                "RecipientCurrency",
            ],
            Self::BnplPayment | Self::SbpPayment => &[
                "EshopId",
                "InvoiceId",
                "SuccessUrl",
                "FailUrl",
                "AdditionalParams",
                "IpAddress",
            ],
        }
    }

    /// The template's values in the request, each `""` when absent; with
    /// `empty_fail_url` the FailUrl slot is left empty (the portal's variant).
    fn values(self, params: &Params, empty_fail_url: bool) -> Vec<&str> {
        self.fields()
            .iter()
            .map(|field| {
                if empty_fail_url && *field == "FailUrl" {
                    ""
                } else {
                    params.text(field)
                }
            })
            .collect()
    }
}

/// The signed text: the values joined by `::`, then the key.
pub fn payload<'a>(values: impl IntoIterator<Item = &'a str>, key: &'a str) -> String {
    values
        .into_iter()
        .chain(std::iter::once(key))
        .collect::<Vec<_>>()
        .join("::")
}

/// The `Hash` a correct client sends for `params`.
pub fn expected_hash(method: Method, params: &Params, secret_key: &str) -> String {
    md5_hex(&payload(method.values(params, false), secret_key))
}

/// The `Sign` a correct client sends for `params` (the SDK's variant).
pub fn expected_sign(method: Method, params: &Params, sign_secret_key: &str) -> String {
    sha256_hex(&payload(method.values(params, false), sign_secret_key))
}

/// Whether the body's `Hash` is right.
pub fn hash_matches(method: Method, params: &Params, secret_key: &str, received: &str) -> bool {
    hex_matches(received, &expected_hash(method, params, secret_key))
}

/// Whether the `Sign` header is right, in either CreateInvoice variant.
pub fn sign_matches(
    method: Method,
    params: &Params,
    sign_secret_key: &str,
    received: &str,
) -> bool {
    if hex_matches(received, &expected_sign(method, params, sign_secret_key)) {
        return true;
    }
    method == Method::CreateInvoice
        && hex_matches(
            received,
            &sha256_hex(&payload(method.values(params, true), sign_secret_key)),
        )
}

/// Which key closes a signed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The body's `Hash`.
    SecretKey,
    /// The `Sign` header.
    SignSecretKey,
}

impl Key {
    /// The key as written in a base shown to a client.
    pub fn placeholder(self) -> &'static str {
        match self {
            Self::SecretKey => "<SecretKey>",
            Self::SignSecretKey => "<SignSecretKey>",
        }
    }
}

/// The card fields of a template, shown masked wherever the journal is.
fn masked_value(field: &str, value: &str) -> String {
    match field {
        "Pan" if !value.is_empty() => mask_card_number(value),
        "Cvv" if !value.is_empty() => "***".to_owned(),
        _ => value.to_owned(),
    }
}

/// What `key`'s signature over `method`'s template is computed from, the
/// key as its placeholder; the CreateInvoice `Sign` in the variant with the
/// FailUrl value in its slot (the SDK's).
pub fn help(method: Method, params: &Params, key: Key) -> SignatureHelp {
    let values = method.values(params, false);
    SignatureHelp {
        base: payload(values.iter().copied(), key.placeholder()),
        fields: method
            .fields()
            .iter()
            .zip(values)
            .map(|(name, value)| SignedField::new(*name, value))
            .collect(),
    }
}

/// What a refused `Hash` or `Sign` should have been, for the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub help: SignatureHelp,
    pub key: Key,
}

impl Expected {
    pub fn new(method: Method, params: &Params, key: Key) -> Self {
        Self {
            help: help(method, params, key),
            key,
        }
    }

    /// A refusal with this help: the header carries the base as the client
    /// sent the fields (their own data), the journal gets it with card data
    /// masked. The body is untouched.
    pub fn attach(&self, mut response: Response) -> Response {
        if let Ok(value) = HeaderValue::from_str(&self.help.header_value()) {
            response.headers_mut().insert(BASE_HEADER, value);
        }
        response
            .extensions_mut()
            .insert(masked(&self.help, self.key));
        response
    }
}

/// `help` with card data masked, for the journal.
fn masked(help: &SignatureHelp, key: Key) -> SignatureHelp {
    let fields: Vec<SignedField> = help
        .fields
        .iter()
        .map(|f| SignedField::new(f.name.clone(), masked_value(&f.name, &f.value)))
        .collect();
    SignatureHelp {
        base: payload(fields.iter().map(|f| f.value.as_str()), key.placeholder()),
        fields,
    }
}

/// The fields of a result notification's `hash`, in order.
pub const NOTIFICATION_FIELDS: [&str; 10] = [
    "eshopId",
    "orderId",
    "serviceName",
    "eshopAccount",
    "recipientAmount",
    "recipientCurrency",
    "paymentStatus",
    "userName",
    "userEmail",
    "paymentData",
];

/// The `hash` of a result notification whose fields are `form`.
pub fn notification_hash(form: &[(String, String)], secret_key: &str) -> String {
    md5_hex(&notification_payload(form, secret_key))
}

/// The text a notification's `hash` is computed over, closed by `key`.
pub fn notification_payload(form: &[(String, String)], key: &str) -> String {
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    payload(NOTIFICATION_FIELDS.iter().map(|f| value(f)), key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs)
    }

    /// The worked example of `docs/intellectmoney.md` (How to sign).
    fn contract_invoice() -> Params {
        params(&[
            ("eshopId", "450000"),
            ("orderId", "CONTRACT-IM-1"),
            ("serviceName", "contract"),
            ("recipientAmount", "10.00"),
            ("recipientCurrency", "RUB"),
            ("userName", ""),
            ("email", "buyer@example.com"),
        ])
    }

    #[test]
    fn the_create_invoice_payload_keeps_empty_slots() {
        let invoice = contract_invoice();
        let values = Method::CreateInvoice.values(&invoice, false);
        assert_eq!(
            payload(values, "sandbox-secret"),
            "450000::CONTRACT-IM-1::contract::10.00::RUB::::buyer@example.com::::::::::::::::sandbox-secret"
        );
    }

    #[test]
    fn worked_example_hash_and_sign_with_the_fixture_keys() {
        let p = contract_invoice();
        assert_eq!(
            expected_hash(Method::CreateInvoice, &p, "sandbox-secret"),
            "34bae846b5617f9a38835c8ddc8fb345"
        );
        assert_eq!(
            expected_sign(Method::CreateInvoice, &p, "sandbox-sign-secret"),
            "4087ddc96db4fda586cecdbecd12155ee2c9bcb6a7c07dd7e9d620891ef3354a"
        );
    }

    #[test]
    fn worked_example_of_a_bnpl_payment() {
        let p = params(&[
            ("EshopId", "450000"),
            ("InvoiceId", "3000000000"),
            ("SuccessUrl", "https://shop.ru"),
            ("IpAddress", "127.0.0.1"),
        ]);
        assert_eq!(
            expected_hash(Method::BnplPayment, &p, "sandbox-secret"),
            "65a010dbeba3a9b87de3275841fc435f"
        );
        assert_eq!(
            expected_sign(Method::BnplPayment, &p, "sandbox-sign-secret"),
            "9758154224663b7088bf8bfc5ac2b0a49ee1027a62b7e8522aa41b58c51c9938"
        );
    }

    #[test]
    fn hex_is_accepted_in_any_letter_case_and_a_changed_value_is_not() {
        let p = contract_invoice();
        let hash = expected_hash(Method::CreateInvoice, &p, "sandbox-secret");
        assert!(hash_matches(
            Method::CreateInvoice,
            &p,
            "sandbox-secret",
            &hash.to_uppercase()
        ));
        let changed = Params::new(
            contract_invoice()
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_owned(),
                        if k == "recipientAmount" {
                            "10.01".to_owned()
                        } else {
                            v.to_owned()
                        },
                    )
                })
                .collect(),
        );
        assert!(!hash_matches(
            Method::CreateInvoice,
            &changed,
            "sandbox-secret",
            &hash
        ));
    }

    #[test]
    fn the_create_invoice_sign_is_accepted_with_the_fail_url_or_an_empty_slot() {
        let p = params(&[
            ("EshopId", "450000"),
            ("OrderId", "A-1"),
            ("RecipientAmount", "10.00"),
            ("RecipientCurrency", "RUB"),
            ("Email", "a@b.ru"),
            ("FailUrl", "https://shop.example/fail"),
        ]);
        let with_value = sha256_hex(
            "450000::A-1::::10.00::RUB::::a@b.ru::::https://shop.example/fail::::::::::::k",
        );
        let with_empty_slot = sha256_hex("450000::A-1::::10.00::RUB::::a@b.ru::::::::::::::::k");
        let without_slot = sha256_hex("450000::A-1::::10.00::RUB::::a@b.ru::::::::::::::k");

        assert!(sign_matches(Method::CreateInvoice, &p, "k", &with_value));
        assert!(sign_matches(
            Method::CreateInvoice,
            &p,
            "k",
            &with_empty_slot
        ));
        assert!(!sign_matches(Method::CreateInvoice, &p, "k", &without_slot));
        // Other methods have no second variant.
        assert!(!sign_matches(
            Method::BnplPayment,
            &p,
            "k",
            &with_empty_slot
        ));
    }

    #[test]
    fn payment_templates_join_their_fields_in_order() {
        let p = params(&[
            ("EshopId", "450000"),
            ("InvoiceId", "3000000000"),
            ("SuccessUrl", "https://shop.ru"),
            ("IpAddress", "127.0.0.1"),
        ]);
        assert_eq!(
            payload(Method::BnplPayment.values(&p, false), "s"),
            "450000::3000000000::https://shop.ru::::::127.0.0.1::s"
        );
        assert_eq!(
            payload(Method::GetBankCardPaymentState.values(&p, false), "s"),
            "450000::3000000000::s"
        );
        assert_eq!(Method::BankCardPayment.fields().len(), 9);
    }

    #[test]
    fn the_help_is_the_template_base_with_the_key_as_a_placeholder() {
        let help = help(Method::CreateInvoice, &contract_invoice(), Key::SecretKey);

        assert_eq!(
            help.base,
            "450000::CONTRACT-IM-1::contract::10.00::RUB::::buyer@example.com::::::::::::::::<SecretKey>"
        );
        assert_eq!(help.fields.len(), 14);
        assert_eq!(
            help.fields[5],
            SignedField {
                name: "UserName".into(),
                value: String::new(),
                empty: true
            }
        );
    }

    #[test]
    fn the_journal_copy_of_a_card_payment_help_masks_the_card() {
        let p = params(&[
            ("EshopId", "450000"),
            ("InvoiceId", "3000000000"),
            ("Pan", "4111111111111111"),
            ("Cvv", "123"),
        ]);
        let help = help(Method::BankCardPayment, &p, Key::SignSecretKey);

        let masked = masked(&help, Key::SignSecretKey);

        assert_eq!(
            masked.base,
            "450000::3000000000::411111******1111::::::::***::::::<SignSecretKey>"
        );
        assert_eq!(masked.fields[2].value, "411111******1111");
    }

    #[test]
    fn the_notification_hash_uses_its_ten_fields_in_order() {
        // A notification the real service sent, whose shop key is unknown:
        // the payload is checked instead of the digest.
        let form: Vec<(String, String)> = [
            ("eshopId", "464745"),
            ("paymentId", "3237113704"),
            ("orderId", "live_22"),
            ("eshopAccount", "4899226221"),
            ("serviceName", "Оплата заказа №live_22"),
            ("recipientAmount", "500.00"),
            ("recipientCurrency", "RUB"),
            ("paymentStatus", "3"),
            ("userName", ""),
            ("userEmail", "xcart@ya.ru"),
            ("paymentData", "2023-05-31 21:22:43"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let text = "464745::live_22::Оплата заказа №live_22::4899226221::500.00::RUB::3::::xcart@ya.ru::2023-05-31 21:22:43::key";
        assert_eq!(notification_hash(&form, "key"), md5_hex(text));
    }
}
