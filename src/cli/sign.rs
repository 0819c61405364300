//! `paysandbox sign`: the signature a request or webhook should carry,
//! worked out offline.
//!
//! The text is built by the providers' own code (the one the server checks
//! with), so what this prints is what the sandbox accepts. The base is
//! printed as the `X-Sandbox-Signature-Base` header writes it (bytes outside
//! printable ASCII, and `%`, percent-encoded), so the two can be compared
//! character for character. Exit status: 0 printed, 2 an unknown method or
//! field.

use std::process::ExitCode;

use crate::core::fixtures::FixtureFile;
use crate::core::signature::{percent_encode_header, sha512_hex};
use crate::providers::intellectmoney::request::Params;
use crate::providers::intellectmoney::signature::{self as im, Key, Method};
use crate::providers::softline::webhooks::{SECRET_PLACEHOLDER, SIGNED_FIELDS, signed_text};
use crate::providers::{intellectmoney, softline};

#[derive(Debug, clap::Subcommand)]
pub enum SignCommand {
    /// An IntellectMoney method's `Hash` and `Sign` (METHOD: CreateInvoice,
    /// BankCardPayment, GetBankCardPaymentState, BnplPayment, SbpPayment, or
    /// Purchase for the legacy form), in any letter case.
    #[command(after_help = "\
Examples:
  paysandbox sign intellectmoney CreateInvoice EshopId=450000 OrderId=A-1 ServiceName=contract \\
      RecipientAmount=10.00 RecipientCurrency=RUB Email=buyer@example.com
  paysandbox sign intellectmoney GetBankCardPaymentState EshopId=450000 InvoiceId=3000000001 \\
      --secret-key my-secret --sign-secret-key my-sign-secret")]
    Intellectmoney(IntellectMoneyArgs),
    /// A Softline webhook's `signature` header.
    #[command(after_help = "\
Examples:
  paysandbox sign softline-webhook event=order.created order_id=5555555 \\
      create_date=2021-08-13T09:16:35+03:00 payment_method=CreditCard currency=RUB \\
      customer.email=customer@mail.ru --secret secret_key")]
    SoftlineWebhook(SoftlineWebhookArgs),
}

#[derive(Debug, clap::Args)]
pub struct IntellectMoneyArgs {
    /// The method whose template is signed.
    pub method: String,
    /// The request's fields as NAME=VALUE (names in any letter case); a field
    /// not given keeps its empty slot.
    pub fields: Vec<String>,
    /// The key of the `Hash` [default: the built-in shop's, sandbox-secret]
    #[arg(long)]
    pub secret_key: Option<String>,
    /// The key of the `Sign` [default: the built-in shop's, sandbox-sign-secret]
    #[arg(long)]
    pub sign_secret_key: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SoftlineWebhookArgs {
    /// The webhook's fields as NAME=VALUE: event, order_id, create_date,
    /// payment_method, currency, customer.email.
    pub fields: Vec<String>,
    /// The webhook secret [default: the built-in one, sandbox-webhook-secret]
    #[arg(long)]
    pub secret: Option<String>,
}

/// Why nothing could be signed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("unknown IntellectMoney method {0:?}; known: {known}", known = known_methods())]
    UnknownMethod(String),
    #[error("{method} has no field {field:?}; its fields: {known}")]
    UnknownField {
        method: &'static str,
        field: String,
        known: String,
    },
    #[error("{0:?} is not NAME=VALUE")]
    NotAField(String),
}

fn known_methods() -> String {
    Method::ALL.map(Method::name).join(", ")
}

/// Prints the lines, or the error on stderr with exit status 2.
pub fn run(command: SignCommand) -> ExitCode {
    let lines = match command {
        SignCommand::Intellectmoney(args) => intellectmoney_lines(&args),
        SignCommand::SoftlineWebhook(args) => softline_lines(&args),
    };
    match lines {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("paysandbox sign: {err}");
            ExitCode::from(2)
        }
    }
}

/// `NAME=VALUE` pairs, each name one of `known` (any letter case) and
/// written as `known` spells it; a later value of a name wins.
fn assignments(
    raw: &[String],
    method: &'static str,
    known: &[&'static str],
) -> Result<Vec<(&'static str, String)>, SignError> {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    for text in raw {
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| SignError::NotAField(text.clone()))?;
        let name = known
            .iter()
            .copied()
            .find(|k| k.eq_ignore_ascii_case(name))
            .ok_or_else(|| SignError::UnknownField {
                method,
                field: name.to_owned(),
                known: known.join(", "),
            })?;
        pairs.retain(|(n, _)| *n != name);
        pairs.push((name, value.to_owned()));
    }
    Ok(pairs)
}

fn intellectmoney_lines(args: &IntellectMoneyArgs) -> Result<Vec<String>, SignError> {
    let method =
        Method::parse(&args.method).ok_or_else(|| SignError::UnknownMethod(args.method.clone()))?;
    let pairs = assignments(&args.fields, method.name(), method.fields())?;
    let params = Params::new(
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    );
    let (secret_key, sign_secret_key) = match (&args.secret_key, &args.sign_secret_key) {
        (Some(secret), Some(sign)) => (secret.clone(), sign.clone()),
        (secret, sign) => {
            let fixture = intellectmoney::Fixture::builtin();
            let shop = &fixture.shops[0];
            (
                secret.clone().unwrap_or_else(|| shop.secret_key.clone()),
                sign.clone().unwrap_or_else(|| shop.sign_secret_key.clone()),
            )
        }
    };
    let help = im::help(method, &params, Key::SecretKey);
    Ok(vec![
        format!("base: {}", help.header_value()),
        format!("Hash: {}", im::expected_hash(method, &params, &secret_key)),
        format!(
            "Sign: {}",
            im::expected_sign(method, &params, &sign_secret_key)
        ),
    ])
}

fn softline_lines(args: &SoftlineWebhookArgs) -> Result<Vec<String>, SignError> {
    // The README's formula spells the method `payment.payment_method`, its
    // place in the body; both spellings name the one field.
    let fields: Vec<String> = args
        .fields
        .iter()
        .map(|f| match f.split_once('=') {
            Some((name, value)) if name.eq_ignore_ascii_case("payment.payment_method") => {
                format!("payment_method={value}")
            }
            _ => f.clone(),
        })
        .collect();
    let pairs = assignments(&fields, "softline-webhook", &SIGNED_FIELDS)?;
    let values = SIGNED_FIELDS.map(|name| {
        pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    });
    let secret = args
        .secret
        .clone()
        .unwrap_or_else(|| softline::Fixture::builtin().webhook.secret);
    Ok(vec![
        format!(
            "base: {}",
            percent_encode_header(&signed_text(SECRET_PLACEHOLDER, &values))
        ),
        format!("signature: {}", sha512_hex(&signed_text(&secret, &values))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn the_readme_create_invoice_gives_its_hash_and_sign_with_the_built_in_keys() {
        let args = IntellectMoneyArgs {
            method: "createinvoice".into(),
            fields: fields(&[
                "eshopid=450000",
                "OrderId=CONTRACT-IM-1",
                "ServiceName=contract",
                "RECIPIENTAMOUNT=10.00",
                "RecipientCurrency=RUB",
                "Email=buyer@example.com",
            ]),
            secret_key: None,
            sign_secret_key: None,
        };

        let lines = intellectmoney_lines(&args).unwrap();

        assert_eq!(
            lines,
            [
                "base: 450000::CONTRACT-IM-1::contract::10.00::RUB::::buyer@example.com::::::::::::::::<SecretKey>",
                "Hash: 34bae846b5617f9a38835c8ddc8fb345",
                "Sign: 4087ddc96db4fda586cecdbecd12155ee2c9bcb6a7c07dd7e9d620891ef3354a",
            ]
        );
    }

    #[test]
    fn the_documented_webhook_example_gives_the_documented_signature() {
        let args = SoftlineWebhookArgs {
            fields: fields(&[
                "event=order.created",
                "order_id=5555555",
                "create_date=2021-08-13T09:16:35+03:00",
                "payment.payment_method=CreditCard",
                "currency=RUB",
                "customer.email=customer@mail.ru",
            ]),
            secret: Some("secret_key".into()),
        };

        let lines = softline_lines(&args).unwrap();

        assert_eq!(
            lines,
            [
                "base: <secret>;order.created;5555555;2021-08-13T09:16:35+03:00;CreditCard;RUB;customer@mail.ru",
                "signature: e970dee7309c7793d2ef33e991c9603487a35eaa26c1f159a2fdad1c049671ffc4b8e887e2eb52c2cdbfc495ec528130d25575a0ecff386aad8096e20094003c",
            ]
        );
    }

    #[test]
    fn an_unknown_method_or_field_is_refused_by_name() {
        let unknown_method = IntellectMoneyArgs {
            method: "refund".into(),
            fields: Vec::new(),
            secret_key: None,
            sign_secret_key: None,
        };
        let unknown_field = SoftlineWebhookArgs {
            fields: fields(&["amount=10"]),
            secret: None,
        };

        assert_eq!(
            intellectmoney_lines(&unknown_method)
                .unwrap_err()
                .to_string(),
            "unknown IntellectMoney method \"refund\"; known: CreateInvoice, BankCardPayment, GetBankCardPaymentState, BnplPayment, SbpPayment, Purchase"
        );
        assert_eq!(
            softline_lines(&unknown_field).unwrap_err().to_string(),
            "softline-webhook has no field \"amount\"; its fields: event, order_id, create_date, payment_method, currency, customer.email"
        );
    }
}
