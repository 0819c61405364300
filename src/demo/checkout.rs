//! The reference merchant's checkout webhooks, which IMSHOP.IO calls before
//! the payments webhook:
//! - `POST /demo/merchant/deliveries`: how the order can travel;
//! - `POST /demo/merchant/payment-methods`: how it can be paid; the `id`s
//!   given here come back as `paymentMethodId` in the payment calls;
//! - `POST /demo/merchant/orders`: the order export; the `id` answered here
//!   (the order number) comes back as `orderId`.
//!
//! Every answer is HTTP 200 JSON. A real shop computes the lists from the
//! cart and the address; this one offers the same lists every time, which
//! is also what the docs ask of a repeated request.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Extension;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::State as Demo;
use super::authorized;
use crate::core::body::RequestBody;
use crate::core::current::State;
use crate::core::journal::JournalObjects;
use crate::core::store::Changes;

/// The payment methods this shop offers: `(id, title, type)`. The type
/// tells the app which payment to run: `card` opens `create`'s page, `iOS`
/// is Apple Pay, `android` Google Pay; `cash` is paid to the courier.
pub const METHODS: &[(&str, &str, &str)] = &[
    ("card", "Картой в приложении", "card"),
    ("applepay", "Apple Pay", "iOS"),
    ("androidpay", "Google Pay", "android"),
    ("cash", "Наличными при получении", "cash"),
];

/// The method `payment_method_id` names, if this shop offers it. IMSHOP's
/// docs say the id "is taken from the payment-methods answer" but show
/// prefixed ones (`sberbank/card`): a tolerant shop reads the part after
/// the last `/`, so `card`, `webhook/card` and `sandbox/card` all work.
pub fn offered_method(payment_method_id: &str) -> Option<&'static str> {
    let id = payment_method_id.rsplit('/').next().unwrap_or_default();
    METHODS
        .iter()
        .find(|(known, ..)| *known == id)
        .map(|(known, ..)| *known)
}

/// The orders the shop registered, by IMSHOP's `uuid`: a repeated export
/// of the same `uuid` answers the same order instead of making a second
/// one. Bounded like the payments table.
#[derive(Debug, Clone)]
pub struct OrderBook {
    /// A std mutex: reads and writes are short and never await.
    inner: Arc<Mutex<Book>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Book {
    /// uuid → order number.
    by_uuid: HashMap<String, String>,
    /// uuids, oldest first.
    order: VecDeque<String>,
    next: u64,
    /// `Some` once changes are tracked (durable state): the uuids
    /// registered or forgotten since the changes were last taken.
    changes: Option<Changes<String>>,
}

impl Book {
    fn note(&mut self, uuid: &str) {
        if let Some(changes) = &mut self.changes {
            changes.keys.insert(uuid.to_owned());
        }
    }

    fn insert(&mut self, uuid: String, number: String, capacity: usize) {
        if let Some(n) = number
            .parse::<u64>()
            .ok()
            .map(|n| n.saturating_sub(100_000))
        {
            self.next = self.next.max(n);
        }
        if self.by_uuid.insert(uuid.clone(), number).is_none() {
            self.order.push_back(uuid);
        }
        while self.order.len() > capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.by_uuid.remove(&oldest);
                self.note(&oldest);
            }
        }
    }
}

/// What changed in the order book since the changes were last taken.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BookChanges {
    /// Every order was forgotten first (a reset, a restore).
    pub cleared: bool,
    /// Each order noted, as `(uuid, number)` (`None`: forgotten).
    pub orders: Vec<(String, Option<String>)>,
}

impl OrderBook {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// The number of the order `uuid`, registering it on first sight.
    pub fn register(&self, uuid: &str) -> String {
        let mut book = self.inner.lock().unwrap();
        if let Some(number) = book.by_uuid.get(uuid) {
            return number.clone();
        }
        let number = format!("{}", 100_000 + book.next + 1);
        book.note(uuid);
        book.insert(uuid.to_owned(), number.clone(), self.capacity);
        number
    }

    /// The number registered for `uuid`.
    pub fn number(&self, uuid: &str) -> Option<String> {
        self.inner.lock().unwrap().by_uuid.get(uuid).cloned()
    }

    pub fn clear(&self) {
        self.replace(Vec::new());
    }

    /// Every order as `(uuid, number)`, oldest first.
    pub fn entries(&self) -> Vec<(String, String)> {
        let book = self.inner.lock().unwrap();
        book.order
            .iter()
            .filter_map(|uuid| Some((uuid.clone(), book.by_uuid.get(uuid)?.clone())))
            .collect()
    }

    /// Keeps `entries` (oldest first, distinct uuids) instead; the next
    /// number follows the highest one kept.
    pub fn replace(&self, entries: Vec<(String, String)>) {
        let mut book = self.inner.lock().unwrap();
        let tracked = book.changes.is_some();
        *book = Book::default();
        for (uuid, number) in entries {
            book.insert(uuid, number, usize::MAX);
        }
        if tracked {
            book.changes = Some(Changes {
                cleared: true,
                keys: book.order.iter().cloned().collect(),
            });
        }
    }

    /// Keeps an order read back from a data directory (beyond the
    /// capacity the oldest is forgotten, and noted so its row goes too).
    pub fn load(&self, uuid: String, number: String) {
        let mut book = self.inner.lock().unwrap();
        book.changes.get_or_insert_with(Changes::default);
        book.insert(uuid, number, self.capacity);
    }

    /// From now on, notes every order registered or forgotten.
    pub fn track_changes(&self) {
        self.inner
            .lock()
            .unwrap()
            .changes
            .get_or_insert_with(Changes::default);
    }

    /// What changed since the last call (nothing when untracked).
    pub fn take_changes(&self) -> BookChanges {
        let mut book = self.inner.lock().unwrap();
        let Some(changes) = book.changes.as_mut().map(std::mem::take) else {
            return BookChanges::default();
        };
        let orders = changes
            .keys
            .into_iter()
            .map(|uuid| {
                let number = book.by_uuid.get(&uuid).cloned();
                (uuid, number)
            })
            .collect();
        BookChanges {
            cleared: changes.cleared,
            orders,
        }
    }

    /// Most orders kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// Why a request was refused: its status and the error text.
struct Refusal(StatusCode, &'static str);

/// The refusal of a body that is not JSON.
pub(super) const NOT_JSON: &str = "the body is not JSON";
/// The refusal of a request without the shop's API key.
pub(super) const BAD_KEY: &str = "invalid API key";

impl Refusal {
    /// The body, also for the OpenAPI document's examples.
    fn body(&self) -> Value {
        json!({"success": false, "error": self.1})
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.body())).into_response()
    }
}

/// A refusal as the OpenAPI document describes it (IMSHOP's shape).
#[derive(utoipa::ToSchema)]
#[schema(as = DemoRefusal)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub(super) struct RefusalView {
    /// Always `false`.
    success: bool,
    error: String,
}

/// The deliveries answer as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
#[schema(as = DemoDeliveries)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
struct DeliveriesView {
    deliveries: Vec<DeliveryView>,
}

/// One way to deliver, in IMSHOP's field names.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DemoDelivery)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
struct DeliveryView {
    id: String,
    title: String,
    description: Option<String>,
    /// `delivery` or `pickup`.
    #[serde(rename = "type")]
    kind: String,
    has_pickup_locations: bool,
    price: u32,
    /// Days at the soonest.
    min: u32,
    /// Days at the latest.
    max: Option<u32>,
    /// The pickup points (`id`, `title`, `address`, `city`, `lat`, `lon`…).
    #[schema(value_type = Option<Vec<Object>>)]
    locations: Option<Vec<Value>>,
}

/// The payment-methods answer as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
#[schema(as = DemoPaymentMethods)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
struct PaymentMethodsView {
    payments: Vec<PaymentMethodView>,
}

/// One payment method offered.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DemoPaymentMethod)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
struct PaymentMethodView {
    id: String,
    title: String,
    #[serde(rename = "type")]
    kind: String,
    icon_id: String,
}

/// The order export's answer as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
#[schema(as = DemoOrders)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
struct OrdersView {
    orders: Vec<OrderView>,
}

/// One order's answer: its number, or why it has none.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DemoOrder)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
struct OrderView {
    success: bool,
    /// The order's number (`orderId` of the payment calls).
    id: Option<String>,
    public_id: Option<String>,
    /// The `uuid` as sent (any JSON value when it was not a text).
    uuid: Value,
    message: Option<String>,
    /// `no_uuid`.
    error_code: Option<String>,
    error_message: Option<String>,
}

/// The body as JSON, after the API key; or why it is refused.
fn read(demo: &Demo, headers: &HeaderMap, body: &[u8]) -> Result<Value, Refusal> {
    let Ok(raw) = serde_json::from_slice::<Value>(body) else {
        return Err(Refusal(StatusCode::BAD_REQUEST, NOT_JSON));
    };
    if !authorized(headers, &raw, &demo.fixture.api_key) {
        return Err(Refusal(StatusCode::UNAUTHORIZED, BAD_KEY));
    }
    Ok(raw)
}

/// The deliveries webhook: a courier and a pickup point.
#[utoipa::path(
    post, path = "/deliveries", tag = "demo",
    request_body(content = String, description = "IMSHOP's deliveries request (`items`, `addressData`, …)", content_type = "application/json"),
    responses(
        (status = 200, description = "A courier and a pickup point", body = DeliveriesView),
        (status = 400, description = "Not JSON", body = RefusalView, example = json!(Refusal(StatusCode::BAD_REQUEST, NOT_JSON).body())),
        (status = 401, description = "Wrong or missing API key", body = RefusalView, example = json!(Refusal(StatusCode::UNAUTHORIZED, BAD_KEY).body())),
    )
)]
// IMSHOP's deliveries webhook: https://docs.imshop.io/osnovnye-integracii/dostavki
pub async fn deliveries(
    State(demo): State<Demo>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    if let Err(refused) = read(&demo, &headers, &body) {
        return refused.into_response();
    }
    axum::Json(json!({
        "deliveries": [
            {
                "id": "courier", "title": "Курьером", "description": "Доставка до двери",
                "type": "delivery", "hasPickupLocations": false, "price": 300, "min": 1, "max": 2
            },
            {
                "id": "pickup", "title": "Самовывоз из магазина", "type": "pickup",
                "hasPickupLocations": true, "price": 0, "min": 0,
                "locations": [{
                    "id": "store-1", "title": "Магазин на Тестовой", "address": "ул Тестовая, д 1",
                    "city": "Москва", "lat": "55.7558", "lon": "37.6173", "price": 0, "min": 0
                }]
            }
        ]
    }))
    .into_response()
}

/// The payment-methods webhook: every method of [`METHODS`].
#[utoipa::path(
    post, path = "/payment-methods", tag = "demo",
    request_body(content = String, description = "IMSHOP's payment-methods request (`deliveryId`, `items`, …)", content_type = "application/json"),
    responses(
        (status = 200, description = "Every method the shop offers", body = PaymentMethodsView),
        (status = 400, description = "Not JSON", body = RefusalView, example = json!(Refusal(StatusCode::BAD_REQUEST, NOT_JSON).body())),
        (status = 401, description = "Wrong or missing API key", body = RefusalView, example = json!(Refusal(StatusCode::UNAUTHORIZED, BAD_KEY).body())),
    )
)]
// IMSHOP's payment-methods webhook: https://docs.imshop.io/osnovnye-integracii/oplaty
pub async fn payment_methods(
    State(demo): State<Demo>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    if let Err(refused) = read(&demo, &headers, &body) {
        return refused.into_response();
    }
    let payments: Vec<Value> = METHODS
        .iter()
        .map(|(id, title, kind)| {
            let icon = if *kind == "cash" {
                "icon-cash"
            } else {
                "icon-card"
            };
            json!({"id": id, "title": title, "type": kind, "iconId": icon})
        })
        .collect();
    axum::Json(json!({ "payments": payments })).into_response()
}

/// The order export: every order gets a number, the same one when its
/// `uuid` comes again (IMSHOP's requests may be repeated). Tolerant, as
/// the docs ask: only `uuid` is needed; prices sent are not used.
#[utoipa::path(
    post, path = "/orders", tag = "demo",
    request_body(content = String, description = "IMSHOP's order export `{device, installId, orders: [{uuid, ...}]}`", content_type = "application/json"),
    responses(
        (status = 200, description = "Each order's number, or why it has none", body = OrdersView),
        (status = 400, description = "Not JSON", body = RefusalView, example = json!(Refusal(StatusCode::BAD_REQUEST, NOT_JSON).body())),
        (status = 401, description = "Wrong or missing API key", body = RefusalView, example = json!(Refusal(StatusCode::UNAUTHORIZED, BAD_KEY).body())),
    )
)]
// IMSHOP's order export webhook: https://docs.imshop.io/osnovnye-integracii/oformlenie-zakaza
pub async fn orders(
    State(demo): State<Demo>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    let request = match read(&demo, &headers, &body) {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    let mut objects = Vec::new();
    let answers: Vec<Value> = request
        .get("orders")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|order| match order.get("uuid").and_then(Value::as_str) {
            Some(uuid) if !uuid.trim().is_empty() => {
                let number = demo.orders.register(uuid);
                objects.extend([uuid.to_owned(), number.clone()]);
                json!({
                    "success": true, "id": number, "publicId": format!("ЗКЗ-{number}"),
                    "uuid": uuid, "message": "Спасибо! Заказ принят."
                })
            }
            _ => json!({
                "success": false, "uuid": order.get("uuid"), "errorCode": "no_uuid",
                "errorMessage": "the order has no uuid"
            }),
        })
        .collect();
    (
        Extension(JournalObjects(objects)),
        axum::Json(json!({ "orders": answers })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_id_is_read_with_or_without_a_source_prefix() {
        let cases = [
            ("card", Some("card")),
            ("webhook/card", Some("card")),
            ("sandbox/androidpay", Some("androidpay")),
            ("paysandbox-unknown-1", None),
        ];

        for (given, expected) in cases {
            assert_eq!(offered_method(given), expected, "{given}");
        }
    }

    #[test]
    fn the_same_uuid_gets_the_same_number_and_another_a_new_one() {
        let book = OrderBook::new(10);

        let first = book.register("u1");
        let again = book.register("u1");
        let other = book.register("u2");

        assert_eq!(first, again);
        assert_ne!(first, other);
    }
}
