//! Parse, don't validate: a request's JSON becomes a typed [`NewPayment`],
//! [`NewRecurring`] or [`SearchFilter`], or the list of every problem found.
//!
//! The documentation runs its checks in two groups. The first (110 invalid
//! JSON, then 111 wrong `Content-Type`, then 6000 currency not enabled) stops
//! at the first error. The second (6010, 6020, 6030, 6060, 6080, 6090, 6100)
//! collects every problem, which is why the body is read field by field from
//! a `serde_json::Value` instead of through a derived `Deserialize` that would
//! stop at the first one.
//!
//! Order of a 400 answer with several entries: by code, and within 6010 by
//! the order the documentation lists the fields (`currency`, `amount`,
//! `return_success_url`, `payment_method`, `recurring_indicator`,
//! `payment_id`, `payment_description`, `locale`, `customer` and its fields,
//! `additional_data` and its keys), then unknown parameter names in
//! alphabetical order. The same problem is never listed twice.

use std::collections::HashSet;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::error::Problem;
use super::fixture::Fixture;
use super::model::PaymentStatus;
use crate::core::money::Amount;

/// The longest text any parameter takes (the documentation states 255 for
/// the URL, the description and the company fields; the sandbox applies it
/// to every text).
pub const MAX_TEXT: usize = 255;

/// Orders a search returns when it names no `limit`, and the most it may ask.
pub const DEFAULT_SEARCH_LIMIT: usize = 100;
pub const MAX_SEARCH_LIMIT: usize = 1000;

/// An ISO 4217 alpha-3 code: three capital Latin letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; 3] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(u8::is_ascii_uppercase)
            .then_some(Self(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters get in (see `parse`).
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

/// The merchant's own id of a payment: digits, Latin letters, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentId(String);

impl PaymentId {
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= MAX_TEXT
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(text.to_owned()))
    }

    /// One that passed [`PaymentId::parse`] when it was stored.
    pub(crate) fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the buyer goes after paying: an absolute http(s) URL, at most 255
/// characters, without whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnUrl(String);

impl ReturnUrl {
    pub fn parse(text: &str) -> Option<Self> {
        if text.chars().count() > MAX_TEXT
            || text.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return None;
        }
        let url = reqwest::Url::parse(text).ok()?;
        (matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .then(|| Self(text.to_owned()))
    }

    /// One that passed [`ReturnUrl::parse`] when it was stored.
    pub(crate) fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL as a `Location` header carries it: ASCII only (punycode host,
    /// percent-encoded path), so any accepted URL makes a valid header.
    pub fn location(&self) -> String {
        reqwest::Url::parse(&self.0).map_or_else(|_| self.0.clone(), String::from)
    }
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

/// The buyer as the request gives it (also its wire shape in the OpenAPI
/// document).
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
pub struct Customer {
    /// `name@domain.zone` (else 6060).
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    /// INN: digits only (10 or 12 for legal-entity methods).
    pub vat_number: Option<String>,
    /// Required by legal-entity methods (else 6080).
    pub company_name: Option<String>,
    pub company_billing_address: Option<String>,
    pub company_delivery_address: Option<String>,
    /// KPP: digits only (9 for legal-entity methods).
    pub kpp: Option<String>,
}

/// A valid `POST /v1/payment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub currency: Currency,
    pub amount: Amount,
    pub return_success_url: ReturnUrl,
    /// A code of the fixture's payment methods.
    pub payment_method: String,
    pub recurring_indicator: bool,
    pub payment_id: PaymentId,
    /// As given, or `Payment [payment_id]` (the documented default).
    pub payment_description: String,
    /// One of the fixture's locales, when one was given.
    pub locale: Option<String>,
    pub customer: Customer,
    /// In key order.
    pub additional_data: Vec<(String, String)>,
}

/// A valid `POST /v1/payment/recurring`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecurring {
    pub parent_order_id: u64,
    pub payment_id: PaymentId,
    pub currency: Currency,
    pub amount: Amount,
    pub payment_description: String,
}

/// What a recurring charge needs to know about its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentFacts {
    pub currency: Currency,
    pub recurring_indicator: bool,
    pub status: PaymentStatus,
    pub payment_method: String,
}

/// A valid `POST /v1/order/search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchFilter {
    pub status: Option<PaymentStatus>,
    pub external_id: Option<String>,
    pub create_date_from: Option<OffsetDateTime>,
    pub create_date_to: Option<OffsetDateTime>,
    pub pay_date_from: Option<OffsetDateTime>,
    pub pay_date_to: Option<OffsetDateTime>,
    pub currency: Option<Currency>,
    pub email: Option<String>,
    pub payment_method: Option<String>,
    pub limit: usize,
}

/// 110, then 111: the body as a JSON object sent as `application/json`.
/// `forced` makes one of the two checks fail where it stands.
pub fn json_object(
    content_type: Option<&str>,
    body: &[u8],
    forced: Option<&Problem>,
) -> Result<Map<String, Value>, Problem> {
    let object = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) if forced != Some(&Problem::InvalidJson) => map,
        _ => return Err(Problem::InvalidJson),
    };
    if !is_json_media_type(content_type) || forced == Some(&Problem::ContentType) {
        return Err(Problem::ContentType);
    }
    Ok(object)
}

/// `application/json`, in any letter case, with any parameters.
pub fn is_json_media_type(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// 6000: a well-formed currency the merchant has not enabled stops the
/// checks (a malformed one is a 6010 of the second group).
fn currency_gate(
    body: &Map<String, Value>,
    fixture: &Fixture,
    forced: Option<&Problem>,
) -> Result<(), Problem> {
    let disabled = body
        .get("currency")
        .and_then(Value::as_str)
        .and_then(Currency::parse)
        .is_some_and(|c| !fixture.currency_enabled(c.as_str()));
    if disabled || forced == Some(&Problem::CurrencyNotEnabled) {
        return Err(Problem::CurrencyNotEnabled);
    }
    Ok(())
}

/// What one parameter turned out to be.
enum Parsed<T> {
    Absent,
    /// A problem was recorded.
    Invalid,
    Value(T),
}

impl<T> Parsed<T> {
    fn value(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// Reads the parameters of one JSON object, recording a 6010 for each bad
/// one under its dotted name.
struct Fields<'a, 'p> {
    map: &'a Map<String, Value>,
    prefix: &'static str,
    problems: &'p mut Vec<Problem>,
}

impl<'a, 'p> Fields<'a, 'p> {
    fn new(
        map: &'a Map<String, Value>,
        prefix: &'static str,
        problems: &'p mut Vec<Problem>,
    ) -> Self {
        Self {
            map,
            prefix,
            problems,
        }
    }

    fn invalid(&mut self, name: &str) {
        self.problems
            .push(Problem::field(format!("{}{name}", self.prefix)));
    }

    /// A present value, or `Absent`; `null` is refused.
    fn raw(&mut self, name: &str) -> Parsed<&'a Value> {
        match self.map.get(name) {
            None => Parsed::Absent,
            Some(Value::Null) => {
                self.invalid(name);
                Parsed::Invalid
            }
            Some(value) => Parsed::Value(value),
        }
    }

    /// A string of at most 255 characters; the empty string counts as absent.
    fn text(&mut self, name: &str) -> Parsed<&'a str> {
        match self.raw(name) {
            Parsed::Value(Value::String(s)) if s.is_empty() => Parsed::Absent,
            Parsed::Value(Value::String(s)) if s.chars().count() <= MAX_TEXT => {
                Parsed::Value(s.as_str())
            }
            Parsed::Value(_) => {
                self.invalid(name);
                Parsed::Invalid
            }
            Parsed::Absent => Parsed::Absent,
            Parsed::Invalid => Parsed::Invalid,
        }
    }

    fn required_text(&mut self, name: &str) -> Option<&'a str> {
        match self.text(name) {
            Parsed::Value(s) => Some(s),
            Parsed::Absent => {
                self.invalid(name);
                None
            }
            Parsed::Invalid => None,
        }
    }

    /// A required text that must also pass `parse`.
    fn required<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        let text = self.required_text(name)?;
        let parsed = parse(text);
        if parsed.is_none() {
            self.invalid(name);
        }
        parsed
    }

    fn digits(&mut self, name: &str) -> Parsed<&'a str> {
        match self.text(name) {
            Parsed::Value(s) if !s.bytes().all(|b| b.is_ascii_digit()) => {
                self.invalid(name);
                Parsed::Invalid
            }
            other => other,
        }
    }

    fn boolean(&mut self, name: &str) -> Parsed<bool> {
        match self.raw(name) {
            Parsed::Value(Value::Bool(b)) => Parsed::Value(*b),
            Parsed::Value(_) => {
                self.invalid(name);
                Parsed::Invalid
            }
            Parsed::Absent => Parsed::Absent,
            Parsed::Invalid => Parsed::Invalid,
        }
    }

    /// An amount: a JSON string or number, digits with at most two decimals.
    fn amount(&mut self, name: &str) -> Option<Amount> {
        let parsed = match self.raw(name) {
            Parsed::Value(Value::String(s)) => Amount::parse_decimal(s).ok(),
            Parsed::Value(Value::Number(n)) => Amount::parse_decimal(&n.to_string()).ok(),
            Parsed::Value(_) | Parsed::Absent => None,
            Parsed::Invalid => return None,
        };
        if parsed.is_none() {
            self.invalid(name);
        }
        parsed
    }

    fn object(&mut self, name: &str) -> Parsed<&'a Map<String, Value>> {
        match self.raw(name) {
            Parsed::Value(Value::Object(m)) => Parsed::Value(m),
            Parsed::Value(_) => {
                self.invalid(name);
                Parsed::Invalid
            }
            Parsed::Absent => Parsed::Absent,
            Parsed::Invalid => Parsed::Invalid,
        }
    }

    /// A 6010 for every parameter name not in `known`, alphabetically.
    fn refuse_unknown(&mut self, known: &[&str]) {
        let mut unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        for name in unknown {
            self.invalid(name);
        }
    }
}

/// Sorts by code (stable, so fields keep their documented order) and drops
/// repeats.
fn finish(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(Problem::code);
    let mut seen = HashSet::new();
    problems.retain(|p| seen.insert(p.clone()));
    problems
}

const PAYMENT_FIELDS: &[&str] = &[
    "currency",
    "amount",
    "return_success_url",
    "payment_method",
    "recurring_indicator",
    "payment_id",
    "payment_description",
    "locale",
    "customer",
    "additional_data",
];

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
pub fn new_payment(
    body: &Map<String, Value>,
    fixture: &Fixture,
    forced: Option<&Problem>,
) -> Result<NewPayment, Vec<Problem>> {
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
    Fields::new(body, "", &mut problems).refuse_unknown(PAYMENT_FIELDS);

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
            if method.legal_entity_only {
                if let Some(c) = &customer {
                    legal_entity_numbers(c, &mut problems);
                }
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
            payment_method: method.to_owned(),
            recurring_indicator,
            payment_description: description
                .map_or_else(|| format!("Payment {}", payment_id.as_str()), str::to_owned),
            payment_id,
            locale: locale.map(str::to_owned),
            customer,
            additional_data,
        }),
        _ => Err(finish(problems)),
    }
}

/// The customer's fields; a malformed email is a 6060 even when other
/// fields are wrong too.
fn customer_fields(map: &Map<String, Value>, problems: &mut Vec<Problem>) -> Option<Customer> {
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
    let own = |p: Parsed<&str>| match p {
        Parsed::Value(s) => Ok(Some(s.to_owned())),
        Parsed::Absent => Ok(None),
        Parsed::Invalid => Err(()),
    };
    Some(Customer {
        email: email?.to_owned(),
        first_name: first_name?.to_owned(),
        last_name: last_name?.to_owned(),
        phone: own(phone).ok()?,
        vat_number: own(vat_number).ok()?,
        company_name: own(company_name).ok()?,
        company_billing_address: own(company_billing_address).ok()?,
        company_delivery_address: own(company_delivery_address).ok()?,
        kpp: own(kpp).ok()?,
    })
}

/// INN has 10 or 12 digits and KPP 9 where the method needs a legal entity.
fn legal_entity_numbers(customer: &Customer, problems: &mut Vec<Problem>) {
    if customer
        .vat_number
        .as_ref()
        .is_some_and(|v| !matches!(v.len(), 10 | 12))
    {
        problems.push(Problem::field("customer.vat_number"));
    }
    if customer.kpp.as_ref().is_some_and(|k| k.len() != 9) {
        problems.push(Problem::field("customer.kpp"));
    }
}

/// `additional_data`: an object of strings of at most 255 characters.
fn additional_data(
    body: &Map<String, Value>,
    problems: &mut Vec<Problem>,
) -> Vec<(String, String)> {
    let mut f = Fields::new(body, "", problems);
    let Parsed::Value(map) = f.object("additional_data") else {
        return Vec::new();
    };
    let mut pairs = Vec::with_capacity(map.len());
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        match &map[key] {
            Value::String(s) if s.chars().count() <= MAX_TEXT => {
                pairs.push((key.clone(), s.clone()))
            }
            _ => problems.push(Problem::field(format!("additional_data.{key}"))),
        }
    }
    pairs
}

/// `POST /v1/login_check`: `username` and `password`, nothing else.
pub fn credentials(body: &Map<String, Value>) -> Result<(String, String), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut f = Fields::new(body, "", &mut problems);
    let username = f.required_text("username");
    let password = f.required_text("password");
    f.refuse_unknown(&["username", "password"]);
    match (username, password) {
        (Some(u), Some(p)) if problems.is_empty() => Ok((u.to_owned(), p.to_owned())),
        _ => Err(finish(problems)),
    }
}

const RECURRING_FIELDS: &[&str] = &[
    "parent_order_id",
    "payment_id",
    "currency",
    "amount",
    "payment_description",
];

/// `POST /v1/payment/recurring` after 110 and 111. The parent must exist,
/// be a `recurring_indicator: true` payment, be `paid` and have the same
/// currency; refusals the documentation does not spell are 6010 on the
/// field at fault (`parent_order_id`, `currency`, `amount`).
pub fn new_recurring(
    body: &Map<String, Value>,
    fixture: &Fixture,
    parent_of: impl FnOnce(u64) -> Option<ParentFacts>,
) -> Result<NewRecurring, Vec<Problem>> {
    currency_gate(body, fixture, None).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let mut f = Fields::new(body, "", &mut problems);

    let parent_id = match f.raw("parent_order_id") {
        Parsed::Value(v) => v.as_u64(),
        Parsed::Absent | Parsed::Invalid => None,
    };
    let parent = parent_id.and_then(parent_of);
    let parent_ok = parent
        .as_ref()
        .is_some_and(|p| p.recurring_indicator && p.status == PaymentStatus::Paid);
    if !parent_ok && !f.problems.contains(&Problem::field("parent_order_id")) {
        f.invalid("parent_order_id");
    }
    let payment_id = f.required("payment_id", PaymentId::parse);
    let currency = f.required("currency", Currency::parse);
    if let (Some(c), Some(p)) = (currency, &parent) {
        if c != p.currency {
            f.invalid("currency");
        }
    }
    let amount = f.amount("amount").filter(|a| !a.is_zero());
    if amount.is_none() && !f.problems.contains(&Problem::field("amount")) {
        f.invalid("amount");
    }
    let description = f.text("payment_description").value();
    f.refuse_unknown(RECURRING_FIELDS);

    if let (Some(a), Some(method)) = (
        amount,
        parent
            .as_ref()
            .and_then(|p| fixture.method(&p.payment_method)),
    ) {
        if !method.takes_amount(a) {
            problems.push(Problem::AmountNotAvailable);
        }
    }
    match (parent_id, payment_id, currency, amount) {
        (Some(parent_order_id), Some(payment_id), Some(currency), Some(amount))
            if problems.is_empty() =>
        {
            Ok(NewRecurring {
                parent_order_id,
                payment_description: description
                    .map_or_else(|| format!("Payment {}", payment_id.as_str()), str::to_owned),
                payment_id,
                currency,
                amount,
            })
        }
        _ => Err(finish(problems)),
    }
}

const SEARCH_FIELDS: &[&str] = &[
    "status",
    "external_id",
    "create_date_from",
    "create_date_to",
    "pay_date_from",
    "pay_date_to",
    "currency",
    "email",
    "payment_method",
    "limit",
];

/// A timestamp as the API writes them: `YYYY-MM-DDThh:mm:ss±hh:mm`.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    OffsetDateTime::parse(text, format).ok()
}

/// `POST /v1/order/search` after 110 and 111: every filter is optional;
/// each bad one is a 6010.
pub fn search_filter(body: &Map<String, Value>) -> Result<SearchFilter, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut f = Fields::new(body, "", &mut problems);
    let status = parse_optional(&mut f, "status", PaymentStatus::parse);
    let external_id = f.text("external_id").value().map(str::to_owned);
    let create_date_from = parse_optional(&mut f, "create_date_from", parse_timestamp);
    let create_date_to = parse_optional(&mut f, "create_date_to", parse_timestamp);
    let pay_date_from = parse_optional(&mut f, "pay_date_from", parse_timestamp);
    let pay_date_to = parse_optional(&mut f, "pay_date_to", parse_timestamp);
    let currency = parse_optional(&mut f, "currency", Currency::parse);
    let email = f.text("email").value().map(str::to_owned);
    let payment_method = f.text("payment_method").value().map(str::to_owned);
    let limit = match f.raw("limit") {
        Parsed::Value(v) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if (1..=MAX_SEARCH_LIMIT).contains(&n) => n,
            _ => {
                f.invalid("limit");
                0
            }
        },
        Parsed::Absent | Parsed::Invalid => DEFAULT_SEARCH_LIMIT,
    };
    f.refuse_unknown(SEARCH_FIELDS);
    if !problems.is_empty() {
        return Err(finish(problems));
    }
    Ok(SearchFilter {
        status,
        external_id,
        create_date_from,
        create_date_to,
        pay_date_from,
        pay_date_to,
        currency,
        email,
        payment_method,
        limit,
    })
}

/// An optional text that must pass `parse` when given.
fn parse_optional<T>(
    f: &mut Fields<'_, '_>,
    name: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    let text = f.text(name).value()?;
    let parsed = parse(text);
    if parsed.is_none() {
        f.invalid(name);
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture() -> Fixture {
        serde_json::from_str(include_str!("../../../fixtures/softline.json")).unwrap()
    }

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

    fn with(mut body: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).unwrap()
        };
        target
            .as_object_mut()
            .unwrap()
            .insert(key.to_owned(), value);
        body
    }

    fn without(mut body: Value, pointer: &str) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).unwrap()
        };
        target.as_object_mut().unwrap().remove(key);
        body
    }

    fn parse(body: &Value) -> Result<NewPayment, Vec<Problem>> {
        new_payment(body.as_object().unwrap(), &fixture(), None)
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
    fn the_full_example_of_the_seed_parses_as_it_stands() {
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

        assert_eq!(payment.locale.as_deref(), Some("ru_RU"));
        assert_eq!(payment.customer.vat_number.as_deref(), Some("12345654321"));
        assert_eq!(
            payment.additional_data[1],
            ("referer8".to_owned(), "testA".to_owned())
        );
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
        let map = minimal();
        let map = map.as_object().unwrap();
        let bad_locale = with(minimal(), "/locale", json!("xx"));

        assert_eq!(
            new_payment(map, &fixture(), Some(&Problem::AmountNotAvailable)).unwrap_err(),
            [Problem::AmountNotAvailable]
        );
        assert_eq!(
            new_payment(
                bad_locale.as_object().unwrap(),
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
    fn json_then_content_type_are_checked_first_in_that_order() {
        let json_type = Some("application/json; charset=utf-8");

        assert_eq!(
            json_object(Some("text/plain"), b"{", None),
            Err(Problem::InvalidJson)
        );
        assert_eq!(
            json_object(json_type, b"[1]", None),
            Err(Problem::InvalidJson)
        );
        assert_eq!(
            json_object(json_type, b"\xff", None),
            Err(Problem::InvalidJson)
        );
        assert_eq!(
            json_object(Some("text/plain"), b"{}", None),
            Err(Problem::ContentType)
        );
        assert_eq!(json_object(None, b"{}", None), Err(Problem::ContentType));
        assert!(json_object(Some("Application/JSON"), b"{}", None).is_ok());
        assert_eq!(
            json_object(json_type, b"{}", Some(&Problem::ContentType)),
            Err(Problem::ContentType)
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

    fn parent(currency: &str, recurring: bool, status: PaymentStatus) -> ParentFacts {
        ParentFacts {
            currency: Currency::parse(currency).unwrap(),
            recurring_indicator: recurring,
            status,
            payment_method: "CreditCard".to_owned(),
        }
    }

    fn recurring(body: Value, facts: Option<ParentFacts>) -> Result<NewRecurring, Vec<Problem>> {
        new_recurring(body.as_object().unwrap(), &fixture(), |_| facts)
    }

    #[test]
    fn a_recurring_charge_needs_a_paid_recurring_parent_in_the_same_currency() {
        let body = json!({"parent_order_id": 5000001, "payment_id": "R-1", "currency": "RUB", "amount": 10});
        let paid = Some(parent("RUB", true, PaymentStatus::Paid));

        let ok = recurring(body.clone(), paid.clone()).unwrap();
        assert_eq!(ok.amount, Amount::from_minor(1000));
        assert_eq!(ok.payment_description, "Payment R-1");
        for facts in [
            None,
            Some(parent("RUB", false, PaymentStatus::Paid)),
            Some(parent("RUB", true, PaymentStatus::NotPaid)),
        ] {
            assert_eq!(
                recurring(body.clone(), facts.clone()).unwrap_err(),
                [Problem::field("parent_order_id")],
                "{facts:?}"
            );
        }
        assert_eq!(
            recurring(with(body.clone(), "/currency", json!("USD")), paid.clone()).unwrap_err(),
            [Problem::field("currency")]
        );
        assert_eq!(
            recurring(with(body.clone(), "/amount", json!("0")), paid.clone()).unwrap_err(),
            [Problem::field("amount")]
        );
        assert_eq!(
            recurring(
                with(body.clone(), "/parent_order_id", json!("5000001")),
                paid.clone()
            )
            .unwrap_err(),
            [Problem::field("parent_order_id")]
        );
        assert_eq!(
            recurring(with(body, "/amount", json!("1000000.01")), paid).unwrap_err(),
            [Problem::AmountNotAvailable]
        );
    }

    #[test]
    fn search_filters_parse_and_bad_ones_are_6010() {
        let filter = search_filter(
            json!({"status": "not paid", "create_date_from": "2022-01-01T00:00:00+03:00", "limit": 5})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(filter.status, Some(PaymentStatus::NotPaid));
        assert_eq!(
            filter.create_date_from.unwrap().unix_timestamp(),
            1_640_984_400
        );
        assert_eq!(filter.limit, 5);
        assert_eq!(
            search_filter(&Map::new()).unwrap().limit,
            DEFAULT_SEARCH_LIMIT
        );

        let bad = json!({"status": "unpaid", "pay_date_to": "2022-01-01", "limit": 0, "currency": "rub", "page": 2});
        assert_eq!(
            search_filter(bad.as_object().unwrap()).unwrap_err(),
            [
                Problem::field("status"),
                Problem::field("pay_date_to"),
                Problem::field("currency"),
                Problem::field("limit"),
                Problem::field("page"),
            ]
        );
    }
}
