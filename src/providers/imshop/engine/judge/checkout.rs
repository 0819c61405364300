//! The checkout webhooks' answers: payment methods (`payments[]`),
//! deliveries (`deliveries[]`) and the order export (`orders[]`), and the
//! checks that tie the steps together (the method a flow pays with is one
//! the merchant offered, the order number it pays is the one the export
//! answered, a repeated export gives the same order).
//!
//! Source: docs.imshop.io, "Основные интеграции" (`oplaty.md`,
//! `dostavki.md`, `oformlenie-zakaza.md`); the rules are listed field by
//! field in `imshop-checkout.md` §3–§5. These answers have no `success`
//! at the top: the transport checks are [`super::transport`]'s, then
//! `required_fields` with every problem named by its path.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Step, non_empty_error};
use crate::providers::imshop::checks::{Check, CheckName, CheckStatus, Exchange};
use crate::providers::imshop::fixture::MessagePlacement;
use crate::providers::imshop::wire::{Answer, type_name};

/// `payments[].type`: the only values the app knows.
pub const PAYMENT_TYPES: &[&str] = &["cash", "card_on_delivery", "card", "iOS", "android"];

/// `payments[].iconId`: the built-in icons.
const ICON_IDS: &[&str] = &[
    "icon-card",
    "icon-yandex-card",
    "icon-sbp",
    "icon-split",
    "icon-podeli",
    "icon-dolyami",
    "icon-sber",
    "icon-t-bank",
    "icon-vtb",
    "icon-alfa",
    "icon-cash",
];

/// `deliveries[].type`.
const DELIVERY_TYPES: &[&str] = &["delivery", "pickup"];

/// What a field must be.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Boolean,
    Number,
    /// A number from 0 to 100 (`deliveryDiscount`).
    Percent,
    Array,
    Object,
    /// A string from a closed list.
    OneOf(&'static [&'static str]),
    /// `errorCode`: the docs give no type; a code is a string or a number.
    Code,
}

impl Kind {
    fn problem(self, value: &Value) -> Option<String> {
        let ok = match self {
            Self::Text => value.is_string(),
            Self::Boolean => value.is_boolean(),
            Self::Number => value.is_number(),
            Self::Percent => value.as_f64().is_some_and(|n| (0.0..=100.0).contains(&n)),
            Self::Array => value.is_array(),
            Self::Object => value.is_object(),
            Self::OneOf(values) => value.as_str().is_some_and(|v| values.contains(&v)),
            Self::Code => value.is_string() || value.is_number(),
        };
        if ok {
            return None;
        }
        let expected = match self {
            Self::Text => "a string".to_owned(),
            Self::Boolean => "a boolean".to_owned(),
            Self::Number => "a number".to_owned(),
            Self::Percent => "a number from 0 to 100".to_owned(),
            Self::Array => "an array".to_owned(),
            Self::Object => "an object".to_owned(),
            Self::OneOf(values) => format!("one of {}", values.join(", ")),
            Self::Code => "a string or a number".to_owned(),
        };
        Some(format!("is {}, expected {expected}", shown(value)))
    }
}

/// `"Card"`, `a number (5)`: a value as a message shows it.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("{text:?}"),
        Value::Null => "null".to_owned(),
        other => format!("{} ({other})", type_name(other)),
    }
}

struct Field {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

/// `payments[]`: `id`, `title`, `type` required (oplaty.md, "обязательные
/// поля").
const PAYMENT: &[Field] = &[
    req("id", Kind::Text),
    req("title", Kind::Text),
    req("type", Kind::OneOf(PAYMENT_TYPES)),
    opt("description", Kind::Text),
    opt("deliveryDiscount", Kind::Percent),
    opt("autoVerification", Kind::Boolean),
    opt("icon", Kind::Text),
    opt("iconId", Kind::OneOf(ICON_IDS)),
    opt("widget", Kind::Object),
];

/// `deliveries[]` (dostavki.md).
const DELIVERY: &[Field] = &[
    req("id", Kind::Text),
    req("title", Kind::Text),
    req("type", Kind::OneOf(DELIVERY_TYPES)),
    req("hasPickupLocations", Kind::Boolean),
    req("price", Kind::Number),
    req("min", Kind::Number),
    opt("description", Kind::Text),
    opt("priceLabel", Kind::Text),
    opt("max", Kind::Number),
    opt("timeLabel", Kind::Text),
    opt("addressNotice", Kind::Text),
    opt("groupName", Kind::Text),
    opt("addressIsOptional", Kind::Boolean),
    opt("dateIntervals", Kind::Array),
    opt("locations", Kind::Array),
];

/// `deliveries[].locations[]`.
const LOCATION: &[Field] = &[
    req("id", Kind::Text),
    req("title", Kind::Text),
    req("address", Kind::Text),
    req("city", Kind::Text),
    req("lat", Kind::Text),
    req("lon", Kind::Text),
    req("price", Kind::Number),
    req("min", Kind::Number),
];

/// `orders[]` of the export answer, whatever `success` says.
const EXPORTED: &[Field] = &[
    req("success", Kind::Boolean),
    req("uuid", Kind::Text),
    opt("id", Kind::Text),
    opt("publicId", Kind::Text),
    opt("message", Kind::Text),
    opt("errorCode", Kind::Code),
    opt("errorMessage", Kind::Text),
    opt("price", Kind::Number),
    opt("deliveryPrice", Kind::Number),
    opt("items", Kind::Array),
];

/// Every problem of `object`'s fields, named by `path` (`payments[1].type
/// is "Card", expected one of …`).
fn field_problems(object: &Map<String, Value>, path: &str, fields: &[Field]) -> Vec<String> {
    let mut problems = Vec::new();
    for field in fields {
        match object.get(field.name) {
            None if field.required => problems.push(format!("{path}.{} is missing", field.name)),
            // An optional field sent as null is the merchant saying "none".
            None | Some(Value::Null) if !field.required => {}
            None => {}
            Some(value) => {
                if let Some(problem) = field.kind.problem(value) {
                    problems.push(format!("{path}.{} {problem}", field.name));
                }
            }
        }
    }
    problems
}

/// The list `name` of `answer`, each entry checked against `fields` (and
/// `extra`, for nested lists), with the problems named.
fn listed<'a>(
    answer: &'a Answer,
    name: &str,
    fields: &[Field],
    extra: impl Fn(&Map<String, Value>, &str) -> Vec<String>,
) -> (Vec<&'a Map<String, Value>>, Vec<String>) {
    let mut problems = Vec::new();
    let entries = match answer.0.get(name) {
        None => {
            problems.push(format!("{name} is missing"));
            Vec::new()
        }
        Some(Value::Array(entries)) => entries
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                let path = format!("{name}[{i}]");
                match entry {
                    Value::Object(object) => {
                        problems.extend(field_problems(object, &path, fields));
                        problems.extend(extra(object, &path));
                        Some(object)
                    }
                    other => {
                        problems.push(format!(
                            "{path} is {}, expected an object",
                            type_name(other)
                        ));
                        None
                    }
                }
            })
            .collect(),
        Some(other) => {
            problems.push(format!("{name} is {}, expected an array", type_name(other)));
            Vec::new()
        }
    };
    (entries, problems)
}

fn duplicate_ids(entries: &[&Map<String, Value>], name: &str) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut problems = Vec::new();
    for entry in entries {
        if let Some(id) = entry.get("id").and_then(Value::as_str) {
            if seen.contains(&id) {
                problems.push(format!(
                    "{name} has the id {id:?} twice: the app cannot tell them apart"
                ));
            }
            seen.push(id);
        }
    }
    problems
}

fn required_fields(at: Step<'_>, exchange: &Arc<Exchange>, problems: Vec<String>) -> Check {
    if problems.is_empty() {
        let message = "every field the answer needs, with its type";
        at.on(
            exchange,
            CheckName::RequiredFields,
            CheckStatus::Passed,
            message,
        )
    } else {
        at.on(
            exchange,
            CheckName::RequiredFields,
            CheckStatus::Failed,
            problems.join("; "),
        )
    }
}

/// A payment method the merchant offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedMethod {
    pub id: String,
    pub title: String,
}

/// The payment-methods answer: `required_fields` on `payments[]`, and
/// `payment_method_offered`: a method of `wanted_type` (`card`, `iOS`,
/// `android`) the flow can pay with. A method with a defect of its own is
/// not chosen (the app would not show it).
pub fn payment_methods(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    answer: &Answer,
    wanted_type: &str,
) -> (Vec<Check>, Option<OfferedMethod>) {
    let (entries, mut problems) = listed(answer, "payments", PAYMENT, |_, _| Vec::new());
    problems.extend(duplicate_ids(&entries, "payments"));
    let fields = required_fields(at, exchange, problems);
    let chosen = entries
        .iter()
        .filter(|entry| field_problems(entry, "", PAYMENT).is_empty())
        .find(|entry| entry.get("type").and_then(Value::as_str) == Some(wanted_type))
        .map(|entry| OfferedMethod {
            id: text(entry, "id"),
            title: text(entry, "title"),
        });
    let offered = match &chosen {
        Some(method) => at.on(
            exchange,
            CheckName::PaymentMethodOffered,
            CheckStatus::Passed,
            format!(
                "the flow pays with {:?} ({:?}, type {wanted_type})",
                method.id, method.title
            ),
        ),
        None => {
            let types: Vec<String> = entries
                .iter()
                .filter_map(|e| e.get("type").map(shown))
                .collect();
            let types = if types.is_empty() {
                "none".to_owned()
            } else {
                types.join(", ")
            };
            at.on(
                exchange,
                CheckName::PaymentMethodOffered,
                CheckStatus::Failed,
                format!(
                    "no usable payment method of type {wanted_type:?}: the app would not offer this payment (types offered: {types})"
                ),
            )
        }
    };
    (vec![fields, offered], chosen)
}

/// The delivery the run chose, and the pickup point when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenDelivery {
    pub id: String,
    pub title: String,
    pub pickup_location_id: Option<String>,
}

/// The deliveries answer: `required_fields` on `deliveries[]` (and their
/// `locations[]`), and `delivery_offered`: the first usable delivery.
pub fn deliveries(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    answer: &Answer,
) -> (Vec<Check>, Option<ChosenDelivery>) {
    let locations = |entry: &Map<String, Value>, path: &str| match entry.get("locations") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .flat_map(|(i, location)| match location {
                Value::Object(object) => {
                    field_problems(object, &format!("{path}.locations[{i}]"), LOCATION)
                }
                other => vec![format!(
                    "{path}.locations[{i}] is {}, expected an object",
                    type_name(other)
                )],
            })
            .collect(),
        _ => Vec::new(),
    };
    let (entries, mut problems) = listed(answer, "deliveries", DELIVERY, locations);
    problems.extend(duplicate_ids(&entries, "deliveries"));
    if let Some(message) = answer.0.get("message")
        && !message.is_string()
        && !message.is_null()
    {
        problems.push(format!(
            "message is {}, expected a string",
            type_name(message)
        ));
    }
    let fields = required_fields(at, exchange, problems);
    let chosen = entries
        .iter()
        .find(|entry| field_problems(entry, "", DELIVERY).is_empty())
        .map(|entry| ChosenDelivery {
            id: text(entry, "id"),
            title: text(entry, "title"),
            pickup_location_id: entry
                .get("locations")
                .and_then(Value::as_array)
                .and_then(|list| list.first())
                .and_then(|location| location.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    let offered = match &chosen {
        Some(delivery) => at.on(
            exchange,
            CheckName::DeliveryOffered,
            CheckStatus::Passed,
            format!("the order goes by {:?} ({:?})", delivery.id, delivery.title),
        ),
        None => {
            let why = match answer.text("message") {
                Some(message) => format!(" (message: {message:?})"),
                None => String::new(),
            };
            at.on(
                exchange,
                CheckName::DeliveryOffered,
                CheckStatus::Failed,
                format!("no usable delivery{why}: the buyer could not place the order"),
            )
        }
    };
    (vec![fields, offered], chosen)
}

/// `choice_still_offered`: the lists are asked again right before the
/// order export (the docs say so); the chosen id must still be there.
pub fn still_offered(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    answer: &Answer,
    list: &str,
    chosen: &str,
) -> Check {
    let ids: Vec<&str> = answer
        .0
        .get(list)
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e.get("id").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if ids.contains(&chosen) {
        at.on(
            exchange,
            CheckName::ChoiceStillOffered,
            CheckStatus::Passed,
            format!("{list} asked again before the order: {chosen:?} is still offered"),
        )
    } else {
        at.on(
            exchange,
            CheckName::ChoiceStillOffered,
            CheckStatus::Failed,
            format!(
                "{list} asked again before the order no longer offers {chosen:?} (offered: {ids:?}): the same request must give the same list"
            ),
        )
    }
}

/// The order number the export answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedOrder {
    /// `orders[].id`: the merchant's order number, `orderId` of the
    /// payment calls.
    pub id: String,
    pub public_id: Option<String>,
}

/// The order-export answer for the order `uuid`: `required_fields`,
/// `order_uuid_echoed`, `order_exported` (and `message_placement` when the
/// fixture reads `message` in one place only).
pub fn order_export(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    answer: &Answer,
    uuid: &str,
    placement: MessagePlacement,
) -> (Vec<Check>, Option<ExportedOrder>) {
    let success_fields = |entry: &Map<String, Value>, path: &str| {
        let mut problems = Vec::new();
        if entry.get("success") == Some(&Value::Bool(true)) && !entry.contains_key("id") {
            problems.push(format!(
                "{path}.id is missing: an accepted order needs its number"
            ));
        }
        problems
    };
    let (entries, mut problems) = listed(answer, "orders", EXPORTED, success_fields);
    if let Some(message) = answer.0.get("message")
        && !message.is_string()
        && !message.is_null()
    {
        problems.push(format!(
            "message is {}, expected a string",
            type_name(message)
        ));
    }
    let mut checks = vec![required_fields(at, exchange, problems)];

    let ours = entries
        .iter()
        .find(|e| e.get("uuid").and_then(Value::as_str) == Some(uuid));
    let Some(order) = ours else {
        let answered: Vec<String> = entries
            .iter()
            .filter_map(|e| e.get("uuid").map(shown))
            .collect();
        checks.push(at.on(
            exchange,
            CheckName::OrderUuidEchoed,
            CheckStatus::Failed,
            format!(
                "orders[] has no order with uuid {uuid:?} (uuids answered: {}): IMSHOP cannot tell which order the answer is for",
                if answered.is_empty() { "none".to_owned() } else { answered.join(", ") }
            ),
        ));
        return (checks, None);
    };
    checks.push(at.on(
        exchange,
        CheckName::OrderUuidEchoed,
        CheckStatus::Passed,
        format!("the answer names the order {uuid:?}"),
    ));

    let success = order.get("success").and_then(Value::as_bool);
    let id = order.get("id").and_then(Value::as_str).map(str::trim);
    let exported = match (success, id) {
        (Some(true), Some(id)) if !id.is_empty() => {
            let public_id = order
                .get("publicId")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let public = public_id
                .as_deref()
                .map(|p| format!(" (publicId {p:?})"))
                .unwrap_or_default();
            checks.push(at.on(
                exchange,
                CheckName::OrderExported,
                CheckStatus::Passed,
                format!("the order got the number {id:?}{public}"),
            ));
            Some(ExportedOrder {
                id: id.to_owned(),
                public_id,
            })
        }
        (Some(true), _) => {
            checks.push(at.on(
                exchange,
                CheckName::OrderExported,
                CheckStatus::Failed,
                format!(
                    "success is true but id is {}: the order has no number to pay",
                    order.get("id").map_or_else(|| "missing".to_owned(), shown)
                ),
            ));
            None
        }
        (Some(false), _) => {
            let code = order
                .get("errorCode")
                .map_or_else(|| "missing".to_owned(), shown);
            let text = order
                .get("errorMessage")
                .and_then(Value::as_str)
                .filter(|m| !m.trim().is_empty())
                .map_or_else(
                    || "missing (the buyer is told nothing)".to_owned(),
                    |m| format!("{m:?}"),
                );
            checks.push(at.on(
                exchange,
                CheckName::OrderExported,
                CheckStatus::Failed,
                format!(
                    "the merchant refused the order: errorCode {code}, errorMessage {text}; a rejected order is lost money (the docs ask the endpoint to be tolerant)"
                ),
            ));
            None
        }
        (None, _) => {
            checks.push(at.on(
                exchange,
                CheckName::OrderExported,
                CheckStatus::Failed,
                format!(
                    "success is {}, expected a boolean",
                    order.get("success").map_or_else(|| "missing".to_owned(), shown)
                ),
            ));
            None
        }
    };
    if let Some(check) = message_placement(at, exchange, answer, order, placement) {
        checks.push(check);
    }
    (checks, exported)
}

/// `message_placement`: a warning when `message` is where the fixture's
/// reading does not look (the docs put it in both places).
fn message_placement(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    answer: &Answer,
    order: &Map<String, Value>,
    placement: MessagePlacement,
) -> Option<Check> {
    let top = answer.0.get("message").is_some_and(Value::is_string);
    let per_order = order.get("message").is_some_and(Value::is_string);
    let misplaced = match placement {
        MessagePlacement::Either => return None,
        MessagePlacement::PerOrder => top.then_some("at the top level, not in orders[]"),
        MessagePlacement::TopLevel => per_order.then_some("in orders[], not at the top level"),
    };
    Some(match misplaced {
        Some(where_) => at.on(
            exchange,
            CheckName::MessagePlacement,
            CheckStatus::Warning,
            format!("message is {where_}: under this fixture's reading the app would not show it"),
        ),
        None => at.on(
            exchange,
            CheckName::MessagePlacement,
            CheckStatus::Passed,
            "message, if any, is where this fixture's reading looks",
        ),
    })
}

/// `export_idempotent`: the same export sent again (IMSHOP's requests
/// "may be repeated") must not make a second order. A warning, since the
/// docs do not say IMSHOP repeats an export.
pub fn export_repeated(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    answer: Option<&Answer>,
    uuid: &str,
    first: &str,
) -> Check {
    let again = answer
        .and_then(|a| a.0.get("orders"))
        .and_then(Value::as_array)
        .and_then(|orders| {
            orders
                .iter()
                .find(|o| o.get("uuid").and_then(Value::as_str) == Some(uuid))
        });
    let (status, message) = match again {
        Some(order) if order.get("id").and_then(Value::as_str) == Some(first) => (
            CheckStatus::Passed,
            format!("the repeated export of {uuid:?} answered the same order number {first:?}"),
        ),
        Some(order) if order.get("success") == Some(&Value::Bool(true)) => (
            CheckStatus::Warning,
            format!(
                "the repeated export of {uuid:?} answered the order number {}, not {first:?}: the merchant created a second order for one IMSHOP order (look the order up by uuid)",
                order.get("id").map_or_else(|| "missing".to_owned(), shown)
            ),
        ),
        Some(order) => (
            CheckStatus::Warning,
            format!(
                "the repeated export of {uuid:?} was refused (errorMessage {}): answer the order it already has, {first:?}",
                order
                    .get("errorMessage")
                    .map_or_else(|| "missing".to_owned(), shown)
            ),
        ),
        None => (
            CheckStatus::Warning,
            format!(
                "the repeated export of {uuid:?} got no answer for that order: answer the order it already has, {first:?}"
            ),
        ),
    };
    at.on(exchange, CheckName::ExportIdempotent, status, message)
}

/// `unknown_method_refused`: a payment call with a `paymentMethodId` the
/// payment-methods webhook never offered must be refused.
pub fn unknown_method(at: Step<'_>, exchange: &Arc<Exchange>, method_id: &str) -> Vec<Check> {
    let Some(answer) = super::answer_of(exchange) else {
        return Vec::new();
    };
    let (status, message) = match answer.success() {
        Some(false) => match non_empty_error(&answer) {
            Some(error) => (
                CheckStatus::Passed,
                format!("refused paymentMethodId {method_id:?}: {error:?}"),
            ),
            None => (
                CheckStatus::Warning,
                format!(
                    "refused paymentMethodId {method_id:?} without an error text for the buyer"
                ),
            ),
        },
        _ => (
            CheckStatus::Failed,
            format!(
                "paymentMethodId {method_id:?}, which the payment-methods webhook never offered, was not refused (success is {}): the merchant takes any method id, so it cannot tell which one the buyer chose",
                answer.describe("success")
            ),
        ),
    };
    vec![at.on(exchange, CheckName::UnknownMethodRefused, status, message)]
}

/// `order_number_consistent`: a payment answer (or the sync report) that
/// names an `orderId` names the number the export answered.
pub fn order_number(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    named: Option<&Value>,
    exported: &str,
) -> Check {
    let named_text = named.and_then(|v| match v {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    });
    match named_text {
        None => at.on(
            exchange,
            CheckName::OrderNumberConsistent,
            CheckStatus::Passed,
            format!("the payment is for the exported order {exported:?}"),
        ),
        Some(id) if id == exported => at.on(
            exchange,
            CheckName::OrderNumberConsistent,
            CheckStatus::Passed,
            format!("orderId {id:?} is the number the export answered"),
        ),
        Some(id) => at.on(
            exchange,
            CheckName::OrderNumberConsistent,
            CheckStatus::Failed,
            format!(
                "orderId {id:?} is not the number the order export answered, {exported:?}: the order number changed between the export and the payment"
            ),
        ),
    }
}

/// `payment_method_accepted`: a payment call refused with an `error` that
/// speaks of the method (the word, or the id sent) when the id came from
/// the merchant's own payment-methods answer: the ids it hands out are not
/// the ones it takes. A refusal for any other reason is left to the other
/// checks (`payment_created`, `payment_captured_agrees`).
pub fn method_refused(
    at: Step<'_>,
    exchange: &Arc<Exchange>,
    answer: &Answer,
    sent: &str,
) -> Option<Check> {
    if answer.success() != Some(false) {
        return None;
    }
    let error = non_empty_error(answer)?;
    let lower = error.to_lowercase();
    if !(lower.contains("method") || (!sent.is_empty() && error.contains(sent))) {
        return None;
    }
    Some(at.on(
        exchange,
        CheckName::PaymentMethodAccepted,
        CheckStatus::Failed,
        format!(
            "refused paymentMethodId {sent:?}, which its payment-methods webhook offered ({error:?}): the payments webhook must take the ids that webhook hands out (see the fixture's payment_method_id reading: raw or webhook_prefixed)"
        ),
    ))
}

fn text(entry: &Map<String, Value>, name: &str) -> String {
    entry
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{at, json, verdict};
    use super::*;

    fn answer(value: Value) -> Answer {
        Answer::parse(value.to_string().as_bytes()).unwrap()
    }

    /// The export of the order `uuid` judged, the merchant having answered
    /// `body`.
    fn export_answered(
        body: Value,
        uuid: &str,
        placement: MessagePlacement,
    ) -> (Vec<Check>, Option<ExportedOrder>) {
        order_export(
            at("order_export"),
            &json(body.clone()),
            &answer(body),
            uuid,
            placement,
        )
    }

    #[test]
    fn the_documented_payment_methods_answer_offers_its_card_method() {
        let body = json!({"payments": [
            {"id": "13", "title": "Наличными", "type": "cash", "autoVerification": true,
             "icon": "https://cdn.imshop.io/icons/cash.png"},
            {"id": "001", "title": "Картой в приложении", "type": "card", "deliveryDiscount": 30,
             "autoVerification": false, "iconId": "icon-card"}
        ]});

        let (checks, chosen) = payment_methods(
            at("payment_methods"),
            &json(body.clone()),
            &answer(body),
            "card",
        );

        assert_eq!(
            verdict(&checks, CheckName::RequiredFields),
            (
                CheckStatus::Passed,
                "every field the answer needs, with its type"
            )
        );
        assert_eq!(chosen.unwrap().id, "001");
    }

    #[test]
    fn each_defect_of_a_payment_method_is_named_by_its_path() {
        let body = json!({"payments": [
            {"id": 1, "title": "Card", "type": "Card", "deliveryDiscount": 130, "iconId": "icon-x"},
            {"title": "Cash", "type": "cash"}
        ]});

        let (checks, chosen) = payment_methods(
            at("payment_methods"),
            &json(body.clone()),
            &answer(body),
            "card",
        );

        assert_eq!(
            verdict(&checks, CheckName::RequiredFields),
            (
                CheckStatus::Failed,
                "payments[0].id is a number (1), expected a string; payments[0].type is \"Card\", expected one of cash, card_on_delivery, card, iOS, android; payments[0].deliveryDiscount is a number (130), expected a number from 0 to 100; payments[0].iconId is \"icon-x\", expected one of icon-card, icon-yandex-card, icon-sbp, icon-split, icon-podeli, icon-dolyami, icon-sber, icon-t-bank, icon-vtb, icon-alfa, icon-cash; payments[1].id is missing"
            )
        );
        assert_eq!(
            verdict(&checks, CheckName::PaymentMethodOffered),
            (
                CheckStatus::Failed,
                "no usable payment method of type \"card\": the app would not offer this payment (types offered: \"Card\", \"cash\")"
            )
        );
        assert_eq!(chosen, None);
    }

    #[test]
    fn an_empty_delivery_list_with_a_message_is_no_delivery() {
        let body = json!({"deliveries": [], "message": "Доставка недоступна"});

        let (checks, chosen) = deliveries(at("deliveries"), &json(body.clone()), &answer(body));

        assert_eq!(
            verdict(&checks, CheckName::DeliveryOffered),
            (
                CheckStatus::Failed,
                "no usable delivery (message: \"Доставка недоступна\"): the buyer could not place the order"
            )
        );
        assert_eq!(chosen, None);
    }

    #[test]
    fn a_pickup_delivery_brings_its_first_location() {
        let body = json!({"deliveries": [{
            "id": "a1", "title": "Самовывоз", "type": "pickup", "hasPickupLocations": true,
            "price": 0, "min": 1,
            "locations": [{"id": "100", "title": "ПВЗ", "address": "ул. 1", "city": "Москва",
                           "lat": "55.7", "lon": "37.6", "price": 0, "min": 1}]
        }]});

        let (checks, chosen) = deliveries(at("deliveries"), &json(body.clone()), &answer(body));

        assert_eq!(
            verdict(&checks, CheckName::RequiredFields).0,
            CheckStatus::Passed
        );
        assert_eq!(chosen.unwrap().pickup_location_id.as_deref(), Some("100"));
    }

    #[test]
    fn an_export_answer_without_our_uuid_is_not_echoed() {
        let body = json!({"orders": [{"success": true, "id": "12345", "uuid": "other"}]});

        let (checks, exported) = export_answered(body, "ours", MessagePlacement::Either);

        assert_eq!(
            verdict(&checks, CheckName::OrderUuidEchoed),
            (
                CheckStatus::Failed,
                "orders[] has no order with uuid \"ours\" (uuids answered: \"other\"): IMSHOP cannot tell which order the answer is for"
            )
        );
        assert_eq!(exported, None);
    }

    #[test]
    fn a_refused_export_gives_its_code_and_message() {
        let body = json!({"orders": [{"success": false, "uuid": "u1", "errorCode": "E42",
                                       "errorMessage": "нет в наличии"}]});

        let (checks, exported) = export_answered(body, "u1", MessagePlacement::Either);

        assert_eq!(
            verdict(&checks, CheckName::OrderExported),
            (
                CheckStatus::Failed,
                "the merchant refused the order: errorCode \"E42\", errorMessage \"нет в наличии\"; a rejected order is lost money (the docs ask the endpoint to be tolerant)"
            )
        );
        assert_eq!(exported, None);
    }

    #[test]
    fn an_order_number_as_a_number_is_a_wrong_type() {
        let body = json!({"orders": [{"success": true, "id": 12345, "uuid": "u1"}]});

        let (checks, exported) = export_answered(body, "u1", MessagePlacement::Either);

        assert_eq!(
            verdict(&checks, CheckName::RequiredFields),
            (
                CheckStatus::Failed,
                "orders[0].id is a number (12345), expected a string"
            )
        );
        assert_eq!(exported, None);
    }

    #[test]
    fn a_top_level_message_warns_only_under_the_per_order_reading() {
        let body =
            json!({"message": "Спасибо", "orders": [{"success": true, "id": "1", "uuid": "u1"}]});

        let (either, _) = export_answered(body.clone(), "u1", MessagePlacement::Either);
        let (per_order, _) = export_answered(body, "u1", MessagePlacement::PerOrder);

        assert!(either.iter().all(|c| c.name != CheckName::MessagePlacement));
        assert_eq!(
            verdict(&per_order, CheckName::MessagePlacement).0,
            CheckStatus::Warning
        );
    }

    #[test]
    fn a_repeated_export_with_a_new_number_is_a_second_order() {
        let body = json!({"orders": [{"success": true, "id": "2", "uuid": "u1"}]});

        let check = export_repeated(
            at("order_export_repeat"),
            &json(body.clone()),
            Some(&answer(body)),
            "u1",
            "1",
        );

        assert_eq!(check.status, CheckStatus::Warning);
        assert_eq!(
            check.message,
            "the repeated export of \"u1\" answered the order number \"2\", not \"1\": the merchant created a second order for one IMSHOP order (look the order up by uuid)"
        );
    }

    #[test]
    fn only_a_refusal_that_speaks_of_the_method_is_blamed_on_it() {
        let cases = [
            (
                json!({"success": false, "error": "Unknown payment METHOD"}),
                true,
            ),
            (
                json!({"success": false, "error": "no such id m-card"}),
                true,
            ),
            (json!({"success": false, "error": "gateway is down"}), false),
            (json!({"success": false}), false),
            (json!({"success": true}), false),
        ];

        for (body, blamed) in cases {
            let check = method_refused(
                at("create"),
                &json(body.clone()),
                &answer(body.clone()),
                "m-card",
            );

            assert_eq!(check.is_some(), blamed, "{body}");
        }
    }

    #[test]
    fn an_order_id_other_than_the_exported_number_fails() {
        let exchange = json(json!({"success": true}));

        let same = order_number(at("create"), &exchange, Some(&json!("1")), "1");
        let other = order_number(at("create"), &exchange, Some(&json!(2)), "1");

        assert_eq!(same.status, CheckStatus::Passed);
        assert_eq!(other.status, CheckStatus::Failed);
        assert_eq!(
            other.message,
            "orderId \"2\" is not the number the order export answered, \"1\": the order number changed between the export and the payment"
        );
    }
}
