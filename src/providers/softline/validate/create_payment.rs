//! `POST /v1/payment`: the rules of a new payment after the first group
//! (see the module `validate`): 6010 for each malformed or missing field,
//! 6020 unknown locale, 6030 zero amount, 6060 e-mail, 6080 method not
//! available (currency, legal entity), 6090 amount out of the method's range,
//! 6100 recurring not supported by the method.

use std::borrow::Cow;

use crate::core::json::{Object, Value};

use super::fields::{Fields, Parsed};
use super::{currency_gate, finish};
use crate::core::money::Amount;
use crate::providers::softline::error::Problem;
use crate::providers::softline::fixture::Fixture;
use crate::providers::softline::types::{
    Currency, CustomerView, MAX_TEXT, NewPayment, PaymentId, ReturnUrl,
};

crate::core::json::json_members! {
    /// The top level of a `POST /v1/payment` body, each member the JSON
    /// value it was sent as (the rules below judge it), read in one pass
    /// without a list of members to build and search.
    pub struct PaymentBody {
        currency,
        amount,
        return_success_url,
        payment_method,
        recurring_indicator,
        payment_id,
        payment_description,
        locale,
        customer,
        additional_data,
    }
}

const CUSTOMER_FIELDS: &[&str] = &[
    "email",
    "first_name",
    "last_name",
    "phone",
    "vat_number",
    "company_name",
    "company_billing_address",
    "company_delivery_address",
    "kpp",
];

/// `POST /v1/payment` after 110 and 111: 6000, then every other problem.
/// `forced` is a problem a scenario adds at its own place in the checks.
pub fn new_payment<'a>(
    body: &'a PaymentBody<'a>,
    fixture: &Fixture,
    forced: Option<&Problem>,
) -> Result<NewPayment<'a>, Vec<Problem>> {
    currency_gate(body, fixture, forced).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let mut f = Fields::new(body, "", &mut problems);

    let currency = f.required("currency", Currency::parse);
    let amount = f.amount("amount");
    let return_success_url = f.required("return_success_url", ReturnUrl::parse);
    let method_code = f.required_text("payment_method");
    let recurring = f.boolean("recurring_indicator");
    let payment_id = f.required("payment_id", PaymentId::parse);
    let description = f.text("payment_description").value();
    let locale = f.text("locale").value();
    let customer = match f.object("customer") {
        Parsed::Value(map) => Some(map),
        Parsed::Absent => {
            f.invalid("customer");
            None
        }
        Parsed::Invalid => None,
    };
    // Customer fields come next in the documented order, then
    // `additional_data`, then unknown names at the top level.
    let customer = customer.and_then(|map| customer_fields(map, &mut problems));
    let additional_data = additional_data(body, &mut problems);
    Fields::new(body, "", &mut problems).refuse_unknown(PaymentBody::NAMES);

    if locale.is_some_and(|l| !fixture.locale_known(l)) {
        problems.push(Problem::LocaleNotFound);
    }
    let recurring_indicator = match recurring {
        Parsed::Value(b) => Some(b),
        Parsed::Absent => Some(false),
        Parsed::Invalid => None,
    };
    if amount.is_some_and(Amount::is_zero) && recurring_indicator == Some(false) {
        problems.push(Problem::ZeroAmount);
    }
    match method_code.map(|code| fixture.method(code)) {
        Some(Some(method)) => {
            let wrong_currency = currency.is_some_and(|c| !method.takes_currency(c.as_str()));
            let needs_company = method.legal_entity_only
                && customer.as_ref().is_some_and(|c| c.company_name.is_none());
            if wrong_currency || needs_company {
                problems.push(Problem::MethodNotAvailable);
            }
            if amount.is_some_and(|a| !method.takes_amount(a)) {
                problems.push(Problem::AmountNotAvailable);
            }
            if recurring_indicator == Some(true) && !method.recurring {
                problems.push(Problem::RecurringNotSupported);
            }
            if method.legal_entity_only
                && let Some(c) = &customer
            {
                legal_entity_numbers(c, &mut problems);
            }
        }
        Some(None) => problems.push(Problem::MethodNotAvailable),
        None => {}
    }
    if let Some(problem) = forced {
        problems.push(problem.clone());
    }

    match (
        currency,
        amount,
        return_success_url,
        method_code,
        recurring_indicator,
        payment_id,
        customer,
    ) {
        (
            Some(currency),
            Some(amount),
            Some(return_success_url),
            Some(method),
            Some(recurring_indicator),
            Some(payment_id),
            Some(customer),
        ) if problems.is_empty() => Ok(NewPayment {
            currency,
            amount,
            return_success_url,
            payment_method: method,
            recurring_indicator,
            payment_description: description.map_or_else(
                || Cow::Owned(format!("Payment {}", payment_id.as_str())),
                Cow::Borrowed,
            ),
            payment_id,
            locale,
            customer,
            additional_data,
        }),
        _ => Err(finish(problems)),
    }
}

/// The customer's fields; a malformed email is a 6060 even when other
/// fields are wrong too.
fn customer_fields<'a>(
    map: &'a Object<'a>,
    problems: &mut Vec<Problem>,
) -> Option<CustomerView<'a>> {
    let mut f = Fields::new(map, "customer.", problems);
    let email = f.required_text("email");
    let first_name = f.required_text("first_name");
    let last_name = f.required_text("last_name");
    let phone = f.text("phone");
    let vat_number = f.digits("vat_number");
    let company_name = f.text("company_name");
    let company_billing_address = f.text("company_billing_address");
    let company_delivery_address = f.text("company_delivery_address");
    let kpp = f.digits("kpp");
    f.refuse_unknown(CUSTOMER_FIELDS);
    if email.is_some_and(|e| !is_email(e)) {
        problems.push(Problem::Email);
    }
    let optional = |p: Parsed<&'a str>| match p {
        Parsed::Value(s) => Ok(Some(s)),
        Parsed::Absent => Ok(None),
        Parsed::Invalid => Err(()),
    };
    Some(CustomerView {
        email: email?,
        first_name: first_name?,
        last_name: last_name?,
        phone: optional(phone).ok()?,
        vat_number: optional(vat_number).ok()?,
        company_name: optional(company_name).ok()?,
        company_billing_address: optional(company_billing_address).ok()?,
        company_delivery_address: optional(company_delivery_address).ok()?,
        kpp: optional(kpp).ok()?,
    })
}

/// INN has 10 or 12 digits and KPP 9 where the method needs a legal entity.
fn legal_entity_numbers(customer: &CustomerView<'_>, problems: &mut Vec<Problem>) {
    if customer
        .vat_number
        .is_some_and(|v| !matches!(v.len(), 10 | 12))
    {
        problems.push(Problem::field("customer.vat_number"));
    }
    if customer.kpp.is_some_and(|k| k.len() != 9) {
        problems.push(Problem::field("customer.kpp"));
    }
}

/// `additional_data`: an object of strings of at most 255 characters.
fn additional_data<'a>(
    body: &'a PaymentBody<'a>,
    problems: &mut Vec<Problem>,
) -> Vec<(&'a str, &'a str)> {
    let mut f = Fields::new(body, "", problems);
    let Parsed::Value(map) = f.object("additional_data") else {
        return Vec::new();
    };
    let members = map.members();
    let mut pairs = Vec::with_capacity(members.len());
    for (key, value) in members {
        match value {
            Value::String(s) if s.chars().count() <= MAX_TEXT => pairs.push((key, s.as_ref())),
            _ => problems.push(Problem::field(format!("additional_data.{key}"))),
        }
    }
    pairs
}

/// `name@domain.zone`, the shape error 6060 names.
pub fn is_email(text: &str) -> bool {
    let Some((name, domain)) = text.split_once('@') else {
        return false;
    };
    let Some((host, zone)) = domain.rsplit_once('.') else {
        return false;
    };
    let name_ok = !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '@');
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    let zone_ok = zone.chars().count() >= 2 && zone.chars().all(char::is_alphanumeric);
    name_ok && host_ok && zone_ok
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::examples::{fixture, with, without};
    use super::*;

    fn minimal() -> Value {
        json!({
            "currency": "RUB",
            "amount": "112.50",
            "return_success_url": "https://shop.com/successful_payment",
            "payment_method": "CreditCard",
            "payment_id": "TEST12025",
            "customer": {"email": "customer@gmail.com", "first_name": "Иван", "last_name": "Петров"}
        })
    }

    /// `body` read as the handler reads it, its bytes and members leaked
    /// so the payment can borrow from them (a few hundred bytes per test).
    fn members(body: &Value) -> &'static PaymentBody<'static> {
        let bytes = Box::leak(serde_json::to_vec(body).unwrap().into_boxed_slice());
        Box::leak(Box::new(crate::core::json::parse_members(bytes).unwrap()))
    }

    fn parse(body: &Value) -> Result<NewPayment<'static>, Vec<Problem>> {
        new_payment(members(body), &fixture(), None)
    }

    fn codes(body: &Value) -> Vec<(u32, String)> {
        parse(body)
            .unwrap_err()
            .iter()
            .map(|p| (p.code(), p.message().into_owned()))
            .collect()
    }

    fn field(name: &str) -> (u32, String) {
        (6010, format!("Invalid field value: {name}."))
    }

    #[test]
    fn the_minimal_example_parses_with_the_documented_defaults() {
        let payment = parse(&minimal()).unwrap();

        assert_eq!(payment.currency.as_str(), "RUB");
        assert_eq!(payment.amount, Amount::from_minor(11250));
        assert!(!payment.recurring_indicator);
        assert_eq!(payment.payment_description, "Payment TEST12025");
        assert_eq!(payment.locale, None);
        assert_eq!(payment.customer.first_name, "Иван");
    }

    #[test]
    fn the_documented_full_example_parses_as_it_stands() {
        let body = json!({
            "currency": "RUB", "amount": "112.50",
            "return_success_url": "https://shop.com/successful_payment",
            "payment_method": "CreditCard", "recurring_indicator": false,
            "payment_id": "TEST12025", "payment_description": "Тестовая оплата", "locale": "ru_RU",
            "customer": {
                "email": "customer@gmail.com", "first_name": "Иван", "last_name": "Петров",
                "phone": "7999991111", "vat_number": "12345654321", "company_name": "ООО Компания",
                "company_billing_address": "Москва, Ломоновоский проспект, 12",
                "company_delivery_address": "Москва, Ломоновоский проспект, 12", "kpp": "123456789"
            },
            "additional_data": {"referer7": "test", "referer8": "testA"}
        });

        let payment = parse(&body).unwrap();

        assert_eq!(payment.locale, Some("ru_RU"));
        assert_eq!(payment.customer.vat_number, Some("12345654321"));
        assert_eq!(payment.additional_data[1], ("referer8", "testA"));
    }

    #[test]
    fn amounts_may_be_strings_or_numbers_with_at_most_two_decimals() {
        let ok = [json!("1"), json!("0.5"), json!(112.5), json!(7)];
        for amount in ok {
            assert!(
                parse(&with(minimal(), "/amount", amount.clone())).is_ok(),
                "{amount}"
            );
        }
        let bad = [
            json!("1.234"),
            json!(1.234),
            json!("-1"),
            json!(-1),
            json!("1,50"),
            json!(""),
            json!(true),
            json!(null),
            json!("1e3"),
        ];
        for amount in bad {
            assert_eq!(
                codes(&with(minimal(), "/amount", amount.clone())),
                [field("amount")],
                "{amount}"
            );
        }
    }

    #[test]
    fn each_malformed_field_is_a_6010_naming_it() {
        let long = "x".repeat(256);
        let cases: Vec<(&str, Value, &str)> = vec![
            ("/currency", json!("rub"), "currency"),
            ("/currency", json!("RUBL"), "currency"),
            ("/currency", json!(643), "currency"),
            (
                "/return_success_url",
                json!("/relative"),
                "return_success_url",
            ),
            (
                "/return_success_url",
                json!("ftp://shop.com/ok"),
                "return_success_url",
            ),
            (
                "/return_success_url",
                json!("https://shop.com/o k"),
                "return_success_url",
            ),
            (
                "/return_success_url",
                json!("https://shop.com/\u{7}"),
                "return_success_url",
            ),
            (
                "/return_success_url",
                json!(format!("https://shop.com/{long}")),
                "return_success_url",
            ),
            ("/payment_method", json!(1), "payment_method"),
            ("/recurring_indicator", json!("true"), "recurring_indicator"),
            ("/recurring_indicator", json!(null), "recurring_indicator"),
            ("/payment_id", json!("ТЕСТ"), "payment_id"),
            ("/payment_id", json!("a b"), "payment_id"),
            ("/payment_id", json!(""), "payment_id"),
            ("/payment_id", json!(12025), "payment_id"),
            (
                "/payment_description",
                json!(long.clone()),
                "payment_description",
            ),
            ("/locale", json!(["ru_RU"]), "locale"),
            ("/customer", json!("customer@gmail.com"), "customer"),
            ("/customer/email", json!(null), "customer.email"),
            ("/customer/first_name", json!(""), "customer.first_name"),
            ("/customer/phone", json!(7999991111_u64), "customer.phone"),
            (
                "/customer/vat_number",
                json!("12345a"),
                "customer.vat_number",
            ),
            ("/customer/kpp", json!("12-34"), "customer.kpp"),
            (
                "/customer/company_name",
                json!(long.clone()),
                "customer.company_name",
            ),
            ("/customer/nickname", json!("Ваня"), "customer.nickname"),
            ("/additional_data", json!(["a"]), "additional_data"),
            ("/additional_data", json!({"a": 1}), "additional_data.a"),
            ("/callback_url", json!("https://x.y"), "callback_url"),
        ];
        for (pointer, value, name) in cases {
            assert_eq!(
                codes(&with(minimal(), pointer, value.clone())),
                [field(name)],
                "{pointer} = {value}"
            );
        }
    }

    #[test]
    fn each_missing_required_field_is_a_6010_naming_it() {
        for (pointer, name) in [
            ("/currency", "currency"),
            ("/amount", "amount"),
            ("/return_success_url", "return_success_url"),
            ("/payment_method", "payment_method"),
            ("/payment_id", "payment_id"),
            ("/customer", "customer"),
            ("/customer/email", "customer.email"),
            ("/customer/first_name", "customer.first_name"),
            ("/customer/last_name", "customer.last_name"),
        ] {
            assert_eq!(
                codes(&without(minimal(), pointer)),
                [field(name)],
                "{pointer}"
            );
        }
    }

    #[test]
    fn a_well_formed_currency_that_is_not_enabled_stops_every_other_check() {
        let body = with(
            with(minimal(), "/currency", json!("GBP")),
            "/amount",
            json!("x"),
        );

        assert_eq!(parse(&body).unwrap_err(), [Problem::CurrencyNotEnabled]);
    }

    #[test]
    fn second_group_problems_are_all_returned_by_code_then_documented_field_order() {
        let body = json!({
            "zzz": 1,
            "currency": "rub",
            "amount": "0",
            "return_success_url": "nope",
            "payment_method": "Cash",
            "payment_id": "?",
            "locale": "xx_XX",
            "customer": {"email": "no-at-sign", "first_name": "A", "last_name": "B", "aaa": 1},
        });

        let problems = parse(&body).unwrap_err();

        assert_eq!(
            problems,
            [
                Problem::field("currency"),
                Problem::field("return_success_url"),
                Problem::field("payment_id"),
                Problem::field("customer.aaa"),
                Problem::field("zzz"),
                Problem::LocaleNotFound,
                Problem::ZeroAmount,
                Problem::Email,
                Problem::MethodNotAvailable,
            ]
        );
    }

    #[test]
    fn a_zero_amount_is_allowed_only_for_a_recurring_parent() {
        let zero = with(minimal(), "/amount", json!("0.00"));

        assert_eq!(parse(&zero).unwrap_err(), [Problem::ZeroAmount]);
        assert!(parse(&with(zero, "/recurring_indicator", json!(true))).is_ok());
    }

    #[test]
    fn methods_refuse_currencies_ranges_recurring_and_private_buyers() {
        let sbp = with(minimal(), "/payment_method", json!("SBP"));
        let transfer = with(minimal(), "/payment_method", json!("BankTransfer"));
        let big = with(minimal(), "/amount", json!("1000000.01"));

        assert_eq!(
            parse(&with(sbp.clone(), "/currency", json!("USD"))).unwrap_err(),
            [Problem::MethodNotAvailable]
        );
        assert_eq!(
            parse(&with(sbp.clone(), "/recurring_indicator", json!(true))).unwrap_err(),
            [Problem::RecurringNotSupported]
        );
        assert_eq!(parse(&big).unwrap_err(), [Problem::AmountNotAvailable]);
        assert_eq!(
            parse(&with(transfer.clone(), "/amount", json!("2000.00"))).unwrap_err(),
            [Problem::MethodNotAvailable],
            "BankTransfer needs customer.company_name"
        );
        assert_eq!(
            parse(&transfer).unwrap_err(),
            [Problem::MethodNotAvailable, Problem::AmountNotAvailable]
        );
    }

    #[test]
    fn inn_and_kpp_lengths_are_enforced_only_for_legal_entity_methods() {
        let company = |vat: &str, kpp: &str| {
            let body = with(minimal(), "/customer/company_name", json!("ООО Компания"));
            let body = with(body, "/customer/vat_number", json!(vat));
            with(body, "/customer/kpp", json!(kpp))
        };
        let transfer = |body: Value| {
            with(
                with(body, "/payment_method", json!("BankTransfer")),
                "/amount",
                json!("2000"),
            )
        };

        assert!(
            parse(&company("12345654321", "1234")).is_ok(),
            "CreditCard takes any digits"
        );
        assert!(parse(&transfer(company("1234567890", "123456789"))).is_ok());
        assert!(parse(&transfer(company("123456789012", "123456789"))).is_ok());
        assert_eq!(
            parse(&transfer(company("12345654321", "1234"))).unwrap_err(),
            [
                Problem::field("customer.vat_number"),
                Problem::field("customer.kpp")
            ]
        );
    }

    #[test]
    fn a_forced_problem_joins_the_natural_ones_at_its_place() {
        let map = members(&minimal());
        let bad_locale = with(minimal(), "/locale", json!("xx"));

        assert_eq!(
            new_payment(map, &fixture(), Some(&Problem::AmountNotAvailable)).unwrap_err(),
            [Problem::AmountNotAvailable]
        );
        assert_eq!(
            new_payment(
                members(&bad_locale),
                &fixture(),
                Some(&Problem::field("amount"))
            )
            .unwrap_err(),
            [Problem::field("amount"), Problem::LocaleNotFound]
        );
        assert_eq!(
            new_payment(map, &fixture(), Some(&Problem::CurrencyNotEnabled)).unwrap_err(),
            [Problem::CurrencyNotEnabled]
        );
    }

    #[test]
    fn emails_need_a_name_a_domain_and_a_zone() {
        for ok in ["customer@mail.ru", "a.b+c@sub.example.com", "иван@почта.рф"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "customer",
            "@mail.ru",
            "a@mail",
            "a@.ru",
            "a@mail.r",
            "a b@mail.ru",
            "a@b@mail.ru",
            "a@-x.ru",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
