//! `POST /v1/order/search`: every filter is optional, each bad one a 6010.

use crate::core::json::Object;
use time::OffsetDateTime;

use super::fields::{Fields, Parsed, parse_optional};
use super::finish;
use crate::providers::softline::error::Problem;
use crate::providers::softline::types::{Currency, PaymentStatus, SearchFilter};

/// Orders a search returns when it names no `limit`, and the most it may ask.
pub const DEFAULT_SEARCH_LIMIT: usize = 100;
pub const MAX_SEARCH_LIMIT: usize = 1000;

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
pub fn search_filter(body: &Object<'_>) -> Result<SearchFilter, Vec<Problem>> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::examples::object;
    use super::*;

    #[test]
    fn search_filters_parse_and_bad_ones_are_6010() {
        let filter = search_filter(&object(
            &json!({"status": "not paid", "create_date_from": "2022-01-01T00:00:00+03:00", "limit": 5}),
        ))
        .unwrap();
        assert_eq!(filter.status, Some(PaymentStatus::NotPaid));
        assert_eq!(
            filter.create_date_from.unwrap().unix_timestamp(),
            1_640_984_400
        );
        assert_eq!(filter.limit, 5);
        assert_eq!(
            search_filter(&Object::default()).unwrap().limit,
            DEFAULT_SEARCH_LIMIT
        );

        let bad = json!({"status": "unpaid", "pay_date_to": "2022-01-01", "limit": 0, "currency": "rub", "page": 2});
        assert_eq!(
            search_filter(&object(&bad)).unwrap_err(),
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
