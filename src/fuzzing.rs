//! Entry points for the `cargo fuzz` targets in `fuzz/` (not part of the
//! API). Each runs the very code a request runs, on arbitrary bytes, and
//! asserts what must hold whatever the input: no panic, and answers that
//! agree with themselves. A crash found here gets a regression test beside
//! the code at fault.

use std::sync::LazyLock;

use serde_json::Value;
use time::OffsetDateTime;
use time::macros::datetime;

use crate::core::signature::hex_matches;
use crate::fixtures::Fixtures;
use crate::providers::imshop::{engine, sync, wire};
use crate::providers::intellectmoney::request::{self, Params};
use crate::providers::intellectmoney::signature::{self as im_signature, Method};
use crate::providers::intellectmoney::validate as im_validate;
use crate::providers::softline::model::CardExpiry;
use crate::providers::softline::types::{self as sl_types, ParentFacts, PaymentStatus};
use crate::providers::softline::validate as sl_validate;
use crate::providers::softline::{pages as sl_pages, scenarios as sl_scenarios};

static FIXTURES: LazyLock<Fixtures> = LazyLock::new(Fixtures::builtin);

/// A fixed "now", so a crash replays the same way.
const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

/// Softline: `POST /v1/payment`, `/v1/payment/recurring`,
/// `/v1/order/search` and `/v1/login_check` bodies, the scenario field
/// look-up, and the hosted card form. The first byte picks the
/// `Content-Type`; the rest is the body.
pub fn softline(data: &[u8]) {
    let (content_type, body) = match data.split_first() {
        Some((0, rest)) => (None, rest),
        Some((1, rest)) => (Some("text/plain"), rest),
        Some((_, rest)) => (Some("application/json; charset=utf-8"), rest),
        None => (None, data),
    };
    let fixture = &FIXTURES.softline;
    let lookup = sl_scenarios::fields_of_bytes(body);
    for name in ["amount", "customer.email", "payment_id", "x"] {
        let _ = lookup(name);
    }
    // A new payment's members are read in one pass, every other request's
    // body as a tree: the two must take and refuse the same bodies alike.
    let members = sl_validate::payment_body(content_type, body, None);
    let object = sl_validate::json_object(content_type, body, None);
    assert_eq!(members.as_ref().err(), object.as_ref().err());
    if let Ok(members) = members {
        match sl_validate::new_payment(&members, fixture, None) {
            Ok(new) => {
                let method = fixture
                    .method(new.payment_method)
                    .expect("an accepted method is in the fixture");
                assert!(method.takes_amount(new.amount), "amount outside the method");
                assert!(method.takes_currency(new.currency.as_str()));
                assert!(new.payment_id.as_str().len() <= sl_types::MAX_TEXT);
                let _ = new.return_success_url.location();
            }
            Err(problems) => assert!(!problems.is_empty(), "a refusal names a problem"),
        }
    }
    if let Ok(object) = object {
        let parent = |_| {
            Some(ParentFacts {
                currency: sl_types::Currency::parse("RUB")?,
                recurring_indicator: true,
                status: PaymentStatus::Paid,
                payment_method: "CreditCard".to_owned(),
            })
        };
        let _ = sl_validate::new_recurring(&object, fixture, parent);
        let _ = sl_validate::search_filter(&object);
        let _ = sl_validate::credentials(&object);
    }
    let fields = sl_pages::form_fields(body);
    let _ = sl_pages::card_from_form(&fields, sl_pages::texts_for(None), NOW);
    if let Ok(text) = std::str::from_utf8(body)
        && let Some(expiry) = CardExpiry::parse(text)
    {
        assert!((1..=12).contains(&expiry.month));
        let _ = expiry.is_expired(NOW);
    }
}

/// IntellectMoney: a body in any format (JSON, form, XML) → parameters →
/// every method's `Hash` and `Sign` checks and field validation.
pub fn intellectmoney(data: &[u8]) {
    let Ok(params) = request::parse(data) else {
        return;
    };
    let fixture = &FIXTURES.intellectmoney;
    for shop in &fixture.shops {
        for method in [
            Method::CreateInvoice,
            Method::BankCardPayment,
            Method::GetBankCardPaymentState,
            Method::BnplPayment,
            Method::SbpPayment,
        ] {
            signatures_agree(method, &params, &shop.secret_key, &shop.sign_secret_key);
        }
    }
    let _ = im_validate::eshop_id(&params);
    let _ = im_validate::invoice_id(&params);
    let _ = im_validate::currency(&params, &fixture.currencies);
    let rules = im_validate::InvoiceRules {
        currencies: &fixture.currencies,
        now: NOW,
        offset: time::UtcOffset::UTC,
        lifetime: time::Duration::days(fixture.invoice_lifetime_days),
        default_hold: time::Duration::hours(i64::from(fixture.default_hold_hours)),
    };
    if let Ok(invoice) = im_validate::NewInvoice::parse(&params, &rules) {
        assert!(invoice.expires_at > NOW, "an invoice expires in the future");
    }
    let _ = im_validate::PagePayment::parse(&params);
    let _ = im_validate::CardPayment::parse(&params, NOW);
}

/// The checks must accept what they compute, in any letter case, and
/// refuse the body's own `Hash` only when it differs.
fn signatures_agree(method: Method, params: &Params, secret: &str, sign_secret: &str) {
    let hash = im_signature::expected_hash(method, params, secret);
    assert!(im_signature::hash_matches(
        method,
        params,
        secret,
        &hash.to_uppercase()
    ));
    let sign = im_signature::expected_sign(method, params, sign_secret);
    assert!(im_signature::sign_matches(
        method,
        params,
        sign_secret,
        &sign
    ));
    let received = params.text("Hash");
    assert_eq!(
        im_signature::hash_matches(method, params, secret, received),
        hex_matches(received, &hash)
    );
    let _ = im_signature::sign_matches(method, params, sign_secret, received);
}

/// IMSHOP: a merchant's answer body through the checks a run applies to
/// it (JSON object, fields per command, error text, paymentUrl, regexes,
/// the web view's regex matching), and a body POSTed to `/imshop/sync`.
pub fn imshop(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        let _ = sync::read_report(&value);
    }
    let Ok(answer) = wire::Answer::parse(data) else {
        return;
    };
    for command in [
        wire::Command::Create,
        wire::Command::Wallet,
        wire::Command::Capture,
    ] {
        let _ = answer.field_problems(command);
    }
    let _ = answer.settlement_key();
    let _ = answer.describe("error");
    let (_, _, url) = engine::judge::payment_url_verdict(&answer);
    let (regexes, _, _) = engine::judge::regexes_verdict(&answer, url.as_ref());
    for probe in [
        "https://shop.example/payment/1/success?x=1",
        answer.text("paymentUrl").unwrap_or_default(),
    ] {
        let _ = regexes.matching(probe);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each entry point runs on the inputs that matter most, so a broken
    /// target shows up in `cargo test` and not only under the fuzzer.
    #[test]
    fn every_entry_point_takes_valid_and_hostile_inputs() {
        let inputs: &[&[u8]] = &[
            b"",
            b"\x02{\"currency\":\"RUB\",\"amount\":\"10.00\"}",
            b"\xff\xfe",
            b"<Request><EshopId>450000</EshopId></Request>",
            b"EshopId=450000&Hash=abc",
            br#"{"success":true,"paymentUrl":"https://x/","successRegex":"ok","failureRegex":"(("}"#,
        ];
        for input in inputs {
            softline(input);
            intellectmoney(input);
            imshop(input);
        }
    }
}
