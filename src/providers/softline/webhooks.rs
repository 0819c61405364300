//! Notifications to the merchant: the documented body, signed with SHA-512,
//! delivered (and retried) by the core outbox.
//!
//! The `signature` header is the lowercase hex SHA-512 of
//! `secret;event;order_id;create_date;payment_method;currency;customer.email`,
//! each value exactly as it appears in the body. No URL configured, nothing
//! sent: events are not queued for later.

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use time::OffsetDateTime;

use super::fixture::{Fixture, WebhookUrl};
use super::model::Payment;
use super::wire::{OrderData, View, WebhookBody, timestamp};
use crate::core::outbox::{Acceptance, NewDelivery, SignatureSlot};
use crate::core::signature::sha512_hex;

/// The events Softline Payments sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A payment was created (also an auto-payment).
    OrderCreated,
    /// A payment was paid (hosted form or recurring charge).
    PaymentSucceeded,
    /// A payment attempt failed (declined card, failed 3-D Secure, failed
    /// recurring charge).
    PaymentFailed,
    /// A full refund.
    ProductReturned,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderCreated => "order.created",
            Self::PaymentSucceeded => "order.payment.succeeded",
            Self::PaymentFailed => "order.payment.failed",
            Self::ProductReturned => "product.returned",
        }
    }
}

/// Where events go and the key they are signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: Option<WebhookUrl>,
    pub secret: String,
}

/// The current [`Target`], changed by the control plane. A std lock: it is
/// read once per event and never held across an `.await`.
#[derive(Debug, Clone)]
pub struct TargetCell(Arc<RwLock<Target>>);

impl TargetCell {
    pub fn new(fixture: &Fixture) -> Self {
        Self(Arc::new(RwLock::new(Self::default_of(fixture))))
    }

    fn default_of(fixture: &Fixture) -> Target {
        Target {
            url: fixture.webhook.url.clone(),
            secret: fixture.webhook.secret.clone(),
        }
    }

    pub fn get(&self) -> Target {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The target when events go somewhere; `None`, copying nothing (its
    /// secret is a string), when no URL is set, as on every create in a
    /// sandbox nobody subscribed to.
    pub fn sending(&self) -> Option<Target> {
        let target = self.0.read().unwrap_or_else(|e| e.into_inner());
        target.url.is_some().then(|| target.clone())
    }

    pub fn set(&self, target: Target) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = target;
    }

    /// Back to the fixture's URL and secret.
    pub fn reset(&self, fixture: &Fixture) {
        self.set(Self::default_of(fixture));
    }
}

/// The signed fields after the secret, named as in the documented formula.
pub const SIGNED_FIELDS: [&str; 6] = [
    "event",
    "order_id",
    "create_date",
    "payment_method",
    "currency",
    "customer.email",
];

/// The secret as written in a base shown to a merchant.
pub const SECRET_PLACEHOLDER: &str = "<secret>";

/// The signed text: the secret, then [`SIGNED_FIELDS`]' values, joined by `;`.
pub fn signed_text(secret: &str, values: &[&str; 6]) -> String {
    std::iter::once(secret)
        .chain(values.iter().copied())
        .collect::<Vec<_>>()
        .join(";")
}

/// The values of [`SIGNED_FIELDS`] for `event` about `order`, as in the body.
fn signed_values(event: &str, order: &OrderData) -> [String; 6] {
    [
        event.to_owned(),
        order.order_id.to_string(),
        order.create_date.clone(),
        order.payment.payment_method.to_string(),
        order.currency.to_string(),
        order.customer.email.to_string(),
    ]
}

/// The text a webhook's signature is computed over, closed by `secret`.
pub fn signature_base(secret: &str, event: &str, order: &OrderData) -> String {
    let values = signed_values(event, order);
    signed_text(secret, &values.each_ref().map(String::as_str))
}

/// The `signature` header of a webhook.
pub fn signature(secret: &str, event: &str, order: &OrderData) -> String {
    sha512_hex(&signature_base(secret, event, order))
}

/// Queues `event` about `payment` as it stands at `at` (a future `at` is
/// not attempted before then). Returns the delivery id, or `None` when no
/// URL is configured.
pub fn enqueue(
    state: &super::State,
    event: Event,
    payment: &Payment,
    at: OffsetDateTime,
) -> Option<u64> {
    let target = state.webhook.sending()?;
    let url = target.url?;
    let order = OrderData::of(payment, &state.view_context(payment, at), View::Webhook);
    let signature = signature(&target.secret, event.as_str(), &order);
    let base = signature_base(SECRET_PLACEHOLDER, event.as_str(), &order);
    let body = WebhookBody {
        event: event.as_str(),
        event_date: timestamp(at, state.fixture.utc_offset.0),
        order,
        document_part: "1-of-1",
    };
    let body = match serde_json::to_vec(&body) {
        Ok(body) => Bytes::from(body),
        Err(err) => {
            tracing::error!(cause = %err, "a webhook body could not be serialized");
            return None;
        }
    };
    let now = state.core.clock.now();
    Some(state.core.outbox.enqueue(NewDelivery {
        provider: super::NAME,
        event: event.as_str().to_owned(),
        url: url.as_str().to_owned(),
        content_type: "application/json".to_owned(),
        headers: vec![("signature".to_owned(), signature)],
        body,
        retry_schedule: state.fixture.webhook.retry_seconds.clone(),
        acceptance: Acceptance::AnySuccess,
        objects: vec![payment.order_id.to_string()],
        not_before: (at > now).then_some(at),
        signature: Some(SignatureSlot::Header("signature".to_owned())),
        signature_base: Some(base),
    }))
}

#[cfg(test)]
mod tests {
    use time::macros::{datetime, offset};

    use super::*;
    use crate::providers::softline::model::Payment;
    use crate::providers::softline::validate;

    const EXPECTED: &str = "e970dee7309c7793d2ef33e991c9603487a35eaa26c1f159a2fdad1c049671ffc4b8e887e2eb52c2cdbfc495ec528130d25575a0ecff386aad8096e20094003c";

    /// The payment of the documentation's webhook example.
    fn example_order() -> OrderData {
        let fixture: Fixture =
            serde_json::from_str(include_str!("../../../fixtures/softline.json")).unwrap();
        let request = serde_json::json!({
            "currency": "RUB", "amount": "100.00", "return_success_url": "https://shop.com/ok",
            "payment_method": "CreditCard", "payment_id": "TEST12025", "locale": "ru_RU",
            "customer": {"email": "customer@mail.ru", "first_name": "Иван", "last_name": "Петров"}
        });
        let body = serde_json::to_vec(&request).unwrap();
        let members = validate::payment_body(Some("application/json"), &body, None).unwrap();
        let new = validate::new_payment(&members, &fixture, None).unwrap();
        let created = datetime!(2021-08-13 09:16:35 +03:00);
        let payment = Payment::new(5_555_555, "1a97507", new, created);
        let context = crate::providers::softline::wire::ViewContext {
            offset: offset!(+03:00),
            form_url: "https://shop.checkout.softline.ru/order/status/5555555/1a97507".to_owned(),
            method_name: "Bank Card",
            now: created,
        };
        OrderData::of(&payment, &context, View::Webhook)
    }

    /// The worked example of docs.softline.ru/ru-ru/payment/webhooks-request.
    #[test]
    fn the_signature_reproduces_the_documented_example_byte_for_byte() {
        let order = example_order();

        let signed = signature("secret_key", "order.created", &order);

        assert_eq!(order.create_date, "2021-08-13T09:16:35+03:00");
        assert_eq!(signed, EXPECTED);
        assert_eq!(
            sha512_hex(
                "secret_key;order.created;5555555;2021-08-13T09:16:35+03:00;CreditCard;RUB;customer@mail.ru"
            ),
            EXPECTED
        );
    }

    /// The worked example of `docs/softline.md`, with the fixture's secret.
    #[test]
    fn the_readme_example_with_the_fixture_secret_is_right() {
        assert_eq!(
            signature("sandbox-webhook-secret", "order.created", &example_order()),
            "1e5909a67b1eaf190e444c989e7f997cdb67bf2f209be75e84092fdc589927c6d1b101c7044ab1af86ce911646c1c8bce19d5b8fe0fd5aa25002526edc90a4dc"
        );
    }

    #[test]
    fn the_body_has_the_documented_fields_in_the_documented_order() {
        let body = WebhookBody {
            event: "order.created",
            event_date: "2021-08-13T09:16:35+03:00".to_owned(),
            order: example_order(),
            document_part: "1-of-1",
        };

        let text = serde_json::to_string(&body).unwrap();

        assert_eq!(
            text,
            concat!(
                r#"{"event":"order.created","event_date":"2021-08-13T09:16:35+03:00","order_id":5555555,"#,
                r#""order_name":"A0005555555","status":"not paid","external_id":"TEST12025","#,
                r#""create_date":"2021-08-13T09:16:35+03:00","pay_date":"","currency":"RUB","locale":"ru_RU","#,
                r#""recurring_indicator":false,"order_detail_url":"https://shop.checkout.softline.ru/order/status/5555555/1a97507","#,
                r#""customer":{"country":"RU","type":"physical","email":"customer@mail.ru","first_name":"Иван","#,
                r#""last_name":"Петров","phone":"","vat_number":"","company_name":"","company_billing_address":"","#,
                r#""company_delivery_address":""},"payment":{"payment_method":"CreditCard","#,
                r#""payment_system_name":"Bank Card","card_type":"","card_last_4":null,"card_expiration_date":"","#,
                r#""is_card_expired":false,"is_installment_payment":false},"document_part":"1-of-1"}"#
            )
        );
    }
}
