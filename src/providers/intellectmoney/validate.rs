//! Request parameters → typed requests, with the limits IntellectMoney
//! documents (developer portal and legacy wiki agree on them). Each
//! check stops at the first fault and names the parameter, as IntellectMoney
//! answers one `ErrorSourceParam` at a time.

use std::sync::LazyLock;

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::error::{IntellectMoneyError, Result};
use super::request::Params;
/// What [`NewInvoice::parse`] makes, named here too beside its parser.
pub use super::types::NewInvoice;
use super::types::{Lang, Methods, Receipt, UserField};
use crate::core::cards;
use crate::core::money::Amount;

/// `yyyy-MM-dd HH:mm:ss`: ExpireDate and `paymentData`.
pub const DATE_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// The smallest invoice amount, 1.00 (the developer portal's HTML-form page).
pub const MIN_AMOUNT: Amount = Amount::from_minor(100);

/// A present, non-empty value, or `Missing`.
fn required<'a>(params: &'a Params, name: &'static str) -> Result<&'a str> {
    params
        .non_empty(name)
        .ok_or(IntellectMoneyError::Missing(name))
}

/// An optional text of at most `max` characters; empty is absent.
fn text(params: &Params, name: &'static str, max: usize) -> Result<Option<String>> {
    match params.non_empty(name) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(IntellectMoneyError::invalid(
            name,
            format!("длина не более {max} символов"),
        )),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// `EshopId`: up to six digits.
pub fn eshop_id(params: &Params) -> Result<u32> {
    let value = required(params, "EshopId")?;
    if value.len() > 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IntellectMoneyError::invalid(
            "EshopId",
            "номер магазина — не более 6 цифр",
        ));
    }
    value
        .parse()
        .map_err(|_| IntellectMoneyError::invalid("EshopId", "номер магазина — не более 6 цифр"))
}

/// Why an `InvoiceId` is refused.
pub const INVOICE_ID_FORMAT: &str = "номер счёта — 10 цифр, начинается с 3";

/// `InvoiceId`: ten digits starting with 3.
pub fn invoice_id(params: &Params) -> Result<u64> {
    let value = required(params, "InvoiceId")?;
    parse_invoice_id(value)
        .ok_or_else(|| IntellectMoneyError::invalid("InvoiceId", INVOICE_ID_FORMAT))
}

/// `3xxxxxxxxx` as a number.
pub fn parse_invoice_id(text: &str) -> Option<u64> {
    (text.len() == 10 && text.starts_with('3') && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `RecipientCurrency`: one of the fixture's codes, as written.
pub fn currency(params: &Params, allowed: &[String]) -> Result<String> {
    let value = required(params, "RecipientCurrency")?;
    if allowed.iter().any(|c| c == value) {
        Ok(value.to_owned())
    } else {
        Err(IntellectMoneyError::invalid(
            "RecipientCurrency",
            format!("допустимые валюты: {}", allowed.join(", ")),
        ))
    }
}

/// An absolute http(s) URL of at most 512 characters without control
/// characters or spaces; empty is absent. Kept as written (it is signed and
/// redirected to as sent).
pub fn url(params: &Params, name: &'static str) -> Result<Option<String>> {
    let Some(value) = params.non_empty(name) else {
        return Ok(None);
    };
    match url_fault(value) {
        Some(reason) => Err(IntellectMoneyError::invalid(name, reason)),
        None => Ok(Some(value.to_owned())),
    }
}

/// Whether `value` is an address [`url`] takes (a snapshot's invoice keeps
/// only those).
pub fn is_url(value: &str) -> bool {
    url_fault(value).is_none()
}

/// Why [`url`] refuses `value`, in the API's words.
fn url_fault(value: &str) -> Option<&'static str> {
    if value.chars().count() > 512 {
        return Some("длина не более 512 символов");
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("адрес содержит пробелы или управляющие символы");
    }
    match reqwest::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => None,
        _ => Some("нужен абсолютный адрес http:// или https://"),
    }
}

fn required_url(params: &Params, name: &'static str) -> Result<String> {
    required(params, name)?;
    url(params, name)?.ok_or(IntellectMoneyError::Missing(name))
}

static EMAIL: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^[^\s@]+@[A-Za-z0-9\p{L}](?:[A-Za-z0-9\p{L}-]*[A-Za-z0-9\p{L}])?(?:\.[A-Za-z0-9\p{L}](?:[A-Za-z0-9\p{L}-]*[A-Za-z0-9\p{L}])?)+$")
        .expect("a valid pattern")
});

/// `Email`: required, at most 100 characters, `name@domain.tld`.
pub fn email(params: &Params) -> Result<String> {
    let value = required(params, "Email")?;
    match email_fault(value) {
        Some(reason) => Err(IntellectMoneyError::invalid("Email", reason)),
        None => Ok(value.to_owned()),
    }
}

/// Whether `value` is an address [`email`] takes.
pub fn is_email(value: &str) -> bool {
    email_fault(value).is_none()
}

/// Why [`email`] refuses `value`, in the API's words.
fn email_fault(value: &str) -> Option<&'static str> {
    if value.chars().count() > 100 {
        Some("длина не более 100 символов")
    } else if value.chars().any(char::is_control) || !EMAIL.is_match(value) {
        Some("адрес электронной почты указан неверно")
    } else {
        None
    }
}

/// `RecipientAmount`: at most 13 characters, a dot and up to two decimals,
/// not less than 1.00.
pub fn amount(params: &Params) -> Result<Amount> {
    let value = required(params, "RecipientAmount")?;
    let bad = |reason: &str| IntellectMoneyError::invalid("RecipientAmount", reason);
    if value.len() > 13 {
        return Err(bad("не более 13 символов"));
    }
    let amount = Amount::parse_decimal(value).map_err(|_| {
        bad("сумма — число с точкой и не более двух знаков после неё, например 10.00")
    })?;
    if amount < MIN_AMOUNT {
        return Err(bad("сумма не меньше 1.00"));
    }
    Ok(amount)
}

/// `IpAddress`: an IPv4 or IPv6 address.
fn ip_address(params: &Params) -> Result<String> {
    let value = required(params, "IpAddress")?;
    value
        .parse::<std::net::IpAddr>()
        .map(|_| value.to_owned())
        .map_err(|_| {
            IntellectMoneyError::invalid("IpAddress", "нужен IP-адрес, например 127.0.0.1")
        })
}

/// What CreateInvoice checks against besides the request.
pub struct InvoiceRules<'a> {
    pub currencies: &'a [String],
    pub now: OffsetDateTime,
    /// The offset ExpireDate is written in.
    pub offset: UtcOffset,
    /// The longest an invoice lives, and its lifetime without ExpireDate.
    pub lifetime: Duration,
    pub default_hold: Duration,
}

impl NewInvoice {
    pub fn parse(params: &Params, rules: &InvoiceRules<'_>) -> Result<Self> {
        let order_id = required(params, "OrderId")?;
        if order_id.chars().count() > 50 {
            return Err(IntellectMoneyError::invalid(
                "OrderId",
                "длина не более 50 символов",
            ));
        }
        let service_name = text(params, "ServiceName", 1024)?.unwrap_or_default();
        let amount = amount(params)?;
        let currency = currency(params, rules.currencies)?;
        let user_name = text(params, "UserName", 255)?.unwrap_or_default();
        let email = email(params)?;
        let success_url = url(params, "SuccessUrl")?;
        let fail_url = url(params, "FailUrl")?;
        let back_url = url(params, "BackUrl")?;
        let result_url = url(params, "ResultUrl")?;
        let expires_at = expire_date(params, rules)?;
        let hold_mode = hold_mode(params)?;
        let hold_time = hold_time(params)?;
        let hold = hold_mode.then(|| match hold_time {
            Some(hours) if hours > 0 => Duration::hours(i64::from(hours)),
            _ => rules.default_hold,
        });
        let merchant_receipt = params
            .non_empty("MerchantReceipt")
            .map(|text| Receipt::parse(text, amount))
            .transpose()?;
        Ok(Self {
            order_id: order_id.to_owned(),
            service_name,
            amount,
            currency,
            user_name,
            email,
            success_url,
            fail_url,
            back_url,
            result_url,
            expires_at,
            hold,
            methods: Methods::from_preference(params.non_empty("Preference")),
            language: match params.get("Language") {
                Some(l) if l.eq_ignore_ascii_case("en") => Lang::En,
                _ => Lang::Ru,
            },
            user_fields: user_fields(params),
            merchant_receipt,
        })
    }
}

/// `ExpireDate` in the shop's offset, in the future and within the
/// invoice's lifetime; without it the invoice lives the whole lifetime.
fn expire_date(params: &Params, rules: &InvoiceRules<'_>) -> Result<OffsetDateTime> {
    let Some(value) = params.non_empty("ExpireDate") else {
        return Ok(rules.now + rules.lifetime);
    };
    let at = PrimitiveDateTime::parse(value, DATE_TIME)
        .map_err(|_| IntellectMoneyError::invalid("ExpireDate", "формат даты yyyy-MM-dd HH:mm:ss"))?
        .assume_offset(rules.offset);
    if at <= rules.now {
        return Err(IntellectMoneyError::invalid(
            "ExpireDate",
            "дата должна быть в будущем",
        ));
    }
    if at > rules.now + rules.lifetime {
        return Err(IntellectMoneyError::invalid(
            "ExpireDate",
            format!("счёт живёт не более {} дней", rules.lifetime.whole_days()),
        ));
    }
    Ok(at)
}

/// `HoldMode`: `1`/`0` (the SDK), `true`/`false` accepted too; empty is the
/// shop's default (no hold).
fn hold_mode(params: &Params) -> Result<bool> {
    match params.non_empty("HoldMode") {
        None => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some("0") | Some("false") => Ok(false),
        Some(_) => Err(IntellectMoneyError::invalid(
            "HoldMode",
            "допустимо 0 или 1",
        )),
    }
}

/// `HoldTime`: whole hours 0–119.
fn hold_time(params: &Params) -> Result<Option<u32>> {
    match params.non_empty("HoldTime") {
        None => Ok(None),
        Some(v) => match v.parse::<u32>() {
            Ok(hours) if hours <= 119 && v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(hours)),
            _ => Err(IntellectMoneyError::invalid(
                "HoldTime",
                "целое число часов от 0 до 119",
            )),
        },
    }
}

/// `UserFieldName_N` / `UserField_N`, paired by `N`, in the order sent.
fn user_fields(params: &Params) -> Vec<UserField> {
    let mut fields: Vec<UserField> = Vec::new();
    for (name, value) in params.iter() {
        let lower = name.to_ascii_lowercase();
        let (index, is_name) = if let Some(i) = lower.strip_prefix("userfieldname_") {
            (i, true)
        } else if let Some(i) = lower.strip_prefix("userfield_") {
            (i, false)
        } else {
            continue;
        };
        if index.is_empty() || index.len() > 10 || !index.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            continue;
        }
        let position = match fields.iter().position(|f| f.index == index) {
            Some(p) => p,
            None => {
                fields.push(UserField {
                    index: index.to_owned(),
                    name: None,
                    value: None,
                });
                fields.len() - 1
            }
        };
        let slot = if is_name {
            &mut fields[position].name
        } else {
            &mut fields[position].value
        };
        if slot.is_none() {
            *slot = Some(value.to_owned());
        }
    }
    fields
}

/// BnplPayment and SbpPayment: one field list. IntellectMoney documents
/// BnplPayment's; SbpPayment has no public page, and third-party clients
/// send it the same fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePayment {
    pub success_url: String,
    pub fail_url: Option<String>,
    pub ip_address: String,
}

impl PagePayment {
    pub fn parse(params: &Params) -> Result<Self> {
        let success_url = required_url(params, "SuccessUrl")?;
        let fail_url = url(params, "FailUrl")?;
        // Reserved by the provider ("не используется"): accepted as given.
        let _additional = params.get("AdditionalParams");
        let ip_address = ip_address(params)?;
        Ok(Self {
            success_url,
            fail_url,
            ip_address,
        })
    }
}

/// BankCardPayment's card and return address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPayment {
    /// Digits only.
    pub pan: String,
    pub card_holder: String,
    pub return_url: String,
    pub ip_address: String,
}

impl CardPayment {
    pub fn parse(params: &Params, now: OffsetDateTime) -> Result<Self> {
        let pan = cards::card_digits(required(params, "Pan")?)
            .map_err(|e| IntellectMoneyError::invalid("Pan", card_number_reason(e)))?;
        let card_holder = required(params, "CardHolder")?;
        if card_holder.chars().count() > 100 {
            return Err(IntellectMoneyError::invalid(
                "CardHolder",
                "длина не более 100 символов",
            ));
        }
        let month = required(params, "ExpiredMonth")?;
        let month = match month.parse::<u8>() {
            Ok(m @ 1..=12) if month.len() <= 2 => m,
            _ => {
                return Err(IntellectMoneyError::invalid(
                    "ExpiredMonth",
                    "месяц от 01 до 12",
                ));
            }
        };
        let year = required(params, "ExpiredYear")?;
        let year = match (year.len(), year.parse::<i32>()) {
            (2, Ok(y)) => 2000 + y,
            (4, Ok(y)) => y,
            _ => {
                return Err(IntellectMoneyError::invalid(
                    "ExpiredYear",
                    "год из 2 или 4 цифр",
                ));
            }
        };
        if card_expired(month, year, now) {
            return Err(IntellectMoneyError::invalid(
                "ExpiredYear",
                "срок действия карты истёк",
            ));
        }
        if let Some(cvv) = params.non_empty("Cvv")
            && (!(3..=4).contains(&cvv.len()) || !cvv.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(IntellectMoneyError::invalid("Cvv", "3 или 4 цифры"));
        }
        let return_url = required_url(params, "ReturnUrl")?;
        let ip_address = ip_address(params)?;
        Ok(Self {
            pan,
            card_holder: card_holder.to_owned(),
            return_url,
            ip_address,
        })
    }
}

/// Words for a typed card number that cannot be a card.
pub fn card_number_reason(error: cards::CardNumberError) -> &'static str {
    match error {
        cards::CardNumberError::Length => "номер карты — от 12 до 19 цифр",
        cards::CardNumberError::Luhn => "номер карты введён с ошибкой",
    }
}

/// Whether a card valid through the end of `month`/`year` has expired.
pub fn card_expired(month: u8, year: i32, now: OffsetDateTime) -> bool {
    (year, month) < (now.year(), u8::from(now.month()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs)
    }

    fn currencies() -> Vec<String> {
        ["RUB", "RUR", "TST", "USD", "EUR"]
            .map(String::from)
            .to_vec()
    }

    fn parse_invoice(extra: &[(&str, &str)]) -> Result<NewInvoice> {
        let mut pairs = vec![
            ("OrderId", "A-1"),
            ("RecipientAmount", "10.00"),
            ("RecipientCurrency", "RUB"),
            ("Email", "buyer@example.com"),
        ];
        for (k, v) in extra {
            pairs.retain(|(name, _)| name != k);
            pairs.push((k, v));
        }
        let currencies = currencies();
        NewInvoice::parse(
            &params(&pairs),
            &InvoiceRules {
                currencies: &currencies,
                now: NOW,
                offset: offset!(+3),
                lifetime: Duration::days(180),
                default_hold: Duration::hours(72),
            },
        )
    }

    fn fault(result: Result<NewInvoice>) -> (Option<u32>, Option<String>) {
        let e = result.unwrap_err();
        (e.state_code(), e.source_param().map(str::to_owned))
    }

    #[test]
    fn a_minimal_invoice_lives_the_whole_lifetime_without_hold() {
        let invoice = parse_invoice(&[]).unwrap();
        assert_eq!(invoice.amount, Amount::from_minor(1000));
        assert_eq!(invoice.expires_at, NOW + Duration::days(180));
        assert_eq!(invoice.hold, None);
        assert_eq!(invoice.language, Lang::Ru);
    }

    #[test]
    fn each_documented_limit_is_refused_naming_its_field() {
        let long = |n: usize| "x".repeat(n);
        let (order51, service1025, user256) = (long(51), long(1025), long(256));
        let email101 = format!("{}@example.com", long(89));
        let url513 = format!("https://shop.example/{}", long(492));
        type Case<'a> = (Vec<(&'a str, &'a str)>, u32, &'a str);
        let cases: Vec<Case> = vec![
            (vec![("OrderId", "")], 2, "OrderId"),
            (vec![("OrderId", &order51)], 3, "OrderId"),
            (vec![("ServiceName", &service1025)], 3, "ServiceName"),
            (vec![("RecipientAmount", "0.99")], 3, "RecipientAmount"),
            (vec![("RecipientAmount", "10,00")], 3, "RecipientAmount"),
            (vec![("RecipientAmount", "1.005")], 3, "RecipientAmount"),
            (
                vec![("RecipientAmount", "12345678901.00")],
                3,
                "RecipientAmount",
            ),
            (vec![("RecipientCurrency", "GBP")], 3, "RecipientCurrency"),
            (vec![("RecipientCurrency", "rub")], 3, "RecipientCurrency"),
            (vec![("UserName", &user256)], 3, "UserName"),
            (vec![("Email", "")], 2, "Email"),
            (vec![("Email", "not-an-email")], 3, "Email"),
            (vec![("Email", "a b@example.com")], 3, "Email"),
            (vec![("Email", &email101)], 3, "Email"),
            (vec![("SuccessUrl", "/relative")], 3, "SuccessUrl"),
            (vec![("FailUrl", "ftp://shop.example/")], 3, "FailUrl"),
            (vec![("BackUrl", "https://shop.example/\n")], 3, "BackUrl"),
            (vec![("ResultUrl", &url513)], 3, "ResultUrl"),
            (vec![("ExpireDate", "2026-03-01T20:00:00")], 3, "ExpireDate"),
            (vec![("ExpireDate", "2026-03-01 15:00:00")], 3, "ExpireDate"),
            (vec![("ExpireDate", "2027-03-01 15:00:00")], 3, "ExpireDate"),
            (vec![("HoldMode", "2")], 3, "HoldMode"),
            (vec![("HoldTime", "120")], 3, "HoldTime"),
            (vec![("HoldTime", "-1")], 3, "HoldTime"),
        ];
        for (extra, code, param) in cases {
            assert_eq!(
                fault(parse_invoice(&extra)),
                (Some(code), Some(param.to_owned())),
                "{extra:?}"
            );
        }
    }

    #[test]
    fn values_at_the_limits_are_accepted() {
        let (order50, email100) = ("o".repeat(50), format!("{}@example.com", "x".repeat(88)));
        let url512 = format!("https://shop.example/{}", "p".repeat(491));
        let ok = parse_invoice(&[
            ("OrderId", &order50),
            ("RecipientAmount", "1.00"),
            ("Email", &email100),
            ("SuccessUrl", &url512),
            ("HoldTime", "119"),
        ]);
        assert!(ok.is_ok(), "{ok:?}");
        assert!(parse_invoice(&[("RecipientAmount", "1")]).is_ok());
    }

    #[test]
    fn expire_date_is_read_in_the_shop_offset() {
        // 15:00:01 Moscow is 12:00:01 UTC, one second after NOW.
        let invoice = parse_invoice(&[("ExpireDate", "2026-03-01 15:00:01")]).unwrap();
        assert_eq!(invoice.expires_at, datetime!(2026-03-01 12:00:01 UTC));
    }

    #[test]
    fn hold_mode_takes_its_hold_time_or_the_default() {
        let timed = parse_invoice(&[("HoldMode", "1"), ("HoldTime", "5")]).unwrap();
        let default = parse_invoice(&[("HoldMode", "true"), ("HoldTime", "0")]).unwrap();
        let off = parse_invoice(&[("HoldMode", "0"), ("HoldTime", "5")]).unwrap();
        assert_eq!(timed.hold, Some(Duration::hours(5)));
        assert_eq!(default.hold, Some(Duration::hours(72)));
        assert_eq!(off.hold, None);
    }

    #[test]
    fn a_merchant_receipt_is_checked_against_the_invoice_amount() {
        let receipt = |price: &str| {
            format!(
                r#"{{"inn":"","group":"","content":{{"type":1,"customerContact":"buyer@example.com","positions":[{{"quantity":1,"price":{price},"tax":6,"text":"Товар"}}]}}}}"#
            )
        };
        let (matching, short) = (receipt("10.0"), receipt("9.99"));

        let invoice = parse_invoice(&[("MerchantReceipt", &matching)]).unwrap();
        let refused = fault(parse_invoice(&[("merchantReceipt", &short)]));

        let kept = invoice.merchant_receipt.unwrap();
        assert_eq!(kept.total(), Some(Amount::from_minor(1000)));
        assert_eq!(kept.inn, None);
        assert_eq!(
            refused,
            (
                Some(3),
                Some("MerchantReceipt.content.positions".to_owned())
            )
        );
    }

    #[test]
    fn user_fields_pair_names_and_values_by_index_in_any_case() {
        let invoice = parse_invoice(&[
            ("userFieldName_0", "Курьер"),
            ("USERFIELD_0", "Иван"),
            ("UserField_1", "only value"),
        ])
        .unwrap();
        assert_eq!(
            invoice.user_fields,
            [
                UserField {
                    index: "0".into(),
                    name: Some("Курьер".into()),
                    value: Some("Иван".into())
                },
                UserField {
                    index: "1".into(),
                    name: None,
                    value: Some("only value".into())
                },
            ]
        );
    }

    #[test]
    fn ids_must_have_their_shape() {
        assert_eq!(eshop_id(&params(&[("eshopid", "450000")])), Ok(450000));
        assert!(eshop_id(&params(&[("EshopId", "4500001")])).is_err());
        assert!(eshop_id(&params(&[("EshopId", "45a")])).is_err());
        assert_eq!(parse_invoice_id("3000000001"), Some(3000000001));
        assert_eq!(parse_invoice_id("2000000001"), None);
        assert_eq!(parse_invoice_id("300000001"), None);
    }

    #[test]
    fn a_card_payment_needs_a_valid_unexpired_card_and_a_return_url() {
        let base = [
            ("Pan", "4111111111111111"),
            ("CardHolder", "IVAN PETROV"),
            ("ExpiredMonth", "03"),
            ("ExpiredYear", "26"),
            ("Cvv", "123"),
            ("ReturnUrl", "https://shop.example/3ds"),
            ("IpAddress", "127.0.0.1"),
        ];
        let with = |k: &str, v: &str| {
            let mut p: Vec<(&str, &str)> = base.iter().filter(|(n, _)| *n != k).copied().collect();
            p.push((k, v));
            CardPayment::parse(&params(&p), NOW).map_err(|e| e.source_param().map(str::to_owned))
        };
        assert_eq!(
            CardPayment::parse(&params(&base), NOW).unwrap().pan,
            "4111111111111111"
        );
        assert_eq!(with("Pan", "4111111111111112"), Err(Some("Pan".into())));
        assert_eq!(with("ExpiredMonth", "13"), Err(Some("ExpiredMonth".into())));
        assert_eq!(with("ExpiredYear", "2026").map(|c| c.pan.len()), Ok(16));
        assert_eq!(with("ExpiredMonth", "02"), Err(Some("ExpiredYear".into())));
        assert_eq!(with("Cvv", "12"), Err(Some("Cvv".into())));
        assert_eq!(with("ReturnUrl", ""), Err(Some("ReturnUrl".into())));
        assert_eq!(
            with("IpAddress", "localhost"),
            Err(Some("IpAddress".into()))
        );
    }

    #[test]
    fn bnpl_and_sbp_need_a_success_url_and_an_ip_address() {
        let ok = PagePayment::parse(&params(&[
            ("SuccessUrl", "https://shop.ru"),
            ("IpAddress", "::1"),
        ]));
        assert!(ok.is_ok());
        let missing = PagePayment::parse(&params(&[("IpAddress", "127.0.0.1")])).unwrap_err();
        assert_eq!(missing, IntellectMoneyError::Missing("SuccessUrl"));
    }
}
