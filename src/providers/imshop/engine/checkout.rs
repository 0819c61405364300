//! The checkout before a flow's payment, as the app goes through it
//! (`imshop-checkout.md` §2): the deliveries webhook (the buyer picks a
//! delivery), the payment-methods webhook (the buyer picks the method the
//! flow pays with), both lists asked again right before the order, the
//! order export (the order gets its number), the same export once more
//! (IMSHOP's requests may be repeated), and once per run a payment call
//! with a method id nobody offered. Each step is optional: a run calls the
//! webhooks it was given.
//!
//! What the flow then pays: the exported number as `orderId`, the order's
//! `uuid` as `orderUuid`, the chosen method as `paymentMethodId` (raw or
//! `webhook/`-prefixed, by the fixture's reading).

use std::sync::Arc;

use serde_json::{Value, json};

use super::flows::{Order, Position, Recorder};
use super::judge::{self, checkout as judged};
use super::webhook::Filing;
use crate::providers::imshop::checks::{Exchange, Scope};
use crate::providers::imshop::options::Flow;
use crate::providers::imshop::report::CheckoutSummary;
use crate::providers::imshop::wire::{Answer, CreateRequest, WalletRequest};

/// The delivery id the requests carry when the run has no deliveries
/// webhook to choose from (the app would have an IMSHOP-side one).
const NO_WEBHOOK_DELIVERY: &str = "sandbox-courier";

impl Flow {
    /// `payments[].type` of a method this flow pays with (oplaty.md); the
    /// docs never state the mapping to the commands, the names imply it.
    pub fn payment_type(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Applepay => "iOS",
            Self::Googlepay => "android",
        }
    }

    /// `device.platform` of the order export: a wallet's own platform; the
    /// card flow is shown from an iPhone.
    fn platform(self) -> &'static str {
        match self {
            Self::Googlepay => "android",
            Self::Card | Self::Applepay => "ios",
        }
    }
}

/// The cart every checkout request carries: two lines of the docs'
/// example (IMSHOP ids, feed offer ids).
fn items() -> Value {
    json!([
        {"name": "Тестовый товар 1", "id": "00a03026-412a-54fe-a9df-dcf9325f8618",
         "privateId": "3464", "configurationId": "3464", "quantity": 1},
        {"name": "Тестовый товар 2", "id": "605e0108-dc95-5dab-95a2-7f459da6aade",
         "privateId": "29117", "configurationId": "29117", "quantity": 1}
    ])
}

impl Recorder<'_> {
    /// Runs the checkout steps the run was given for `flow`; the order to
    /// pay, or `None` when a step left nothing to pay (already reported).
    pub(super) async fn checkout(&mut self, flow: Flow, mut order: Order) -> Option<Order> {
        let urls = self.options.checkout.clone();
        if urls.is_empty() {
            return Some(order);
        }
        let scope = flow.as_str();
        let mut summary = CheckoutSummary::default();
        let reading = self.engine.fixture.checkout.payment_method_id;

        let delivery = match &urls.deliveries {
            Some(url) => {
                let body = self.deliveries_request();
                let (exchange, answer) = self
                    .checkout_call(scope, &order, "deliveries", url, &body)
                    .await;
                let answer = answer?;
                let (checks, chosen) =
                    judged::deliveries(step(scope, "deliveries"), &exchange, &answer);
                self.push_all(checks);
                let Some(chosen) = chosen else {
                    self.progress(scope, "no delivery to choose: the flow stops");
                    return None;
                };
                summary.delivery_id = Some(chosen.id.clone());
                Some(chosen)
            }
            None => None,
        };
        let delivery_id = delivery
            .as_ref()
            .map_or(NO_WEBHOOK_DELIVERY, |d| d.id.as_str())
            .to_owned();
        let pickup = delivery.as_ref().and_then(|d| d.pickup_location_id.clone());

        let methods_body = self.methods_request(&delivery_id, pickup.as_deref());
        let method = match &urls.methods {
            Some(url) => {
                let (exchange, answer) = self
                    .checkout_call(scope, &order, "payment_methods", url, &methods_body)
                    .await;
                let answer = answer?;
                let (checks, chosen) = judged::payment_methods(
                    step(scope, "payment_methods"),
                    &exchange,
                    &answer,
                    flow.payment_type(),
                );
                self.push_all(checks);
                let Some(chosen) = chosen else {
                    self.progress(scope, "no payment method for this flow: the flow stops");
                    return None;
                };
                order.payment_method_id = reading.apply(&chosen.id);
                Some(chosen)
            }
            None => None,
        };
        summary.payment_method_id = Some(order.payment_method_id.clone());

        // Both lists again, right before the order (dostavki.md, oplaty.md).
        if let (Some(url), Some(method)) = (&urls.methods, &method) {
            let (exchange, answer) = self
                .checkout_call(scope, &order, "payment_methods_again", url, &methods_body)
                .await;
            if let Some(answer) = answer {
                let at = step(scope, "payment_methods_again");
                self.push(judged::still_offered(
                    at, &exchange, &answer, "payments", &method.id,
                ));
            }
        }
        if let (Some(url), Some(delivery)) = (&urls.deliveries, &delivery) {
            let body = self.deliveries_request();
            let (exchange, answer) = self
                .checkout_call(scope, &order, "deliveries_again", url, &body)
                .await;
            if let Some(answer) = answer {
                let at = step(scope, "deliveries_again");
                self.push(judged::still_offered(
                    at,
                    &exchange,
                    &answer,
                    "deliveries",
                    &delivery.id,
                ));
            }
        }

        if let Some(url) = &urls.orders {
            let body = self.export_request(
                flow,
                &order,
                &delivery_id,
                delivery.as_ref().map(|d| d.title.as_str()),
                pickup.as_deref(),
                method.as_ref().map(|m| m.title.as_str()),
            );
            let (exchange, answer) = self
                .checkout_call(scope, &order, "order_export", url, &body)
                .await;
            let answer = answer?;
            let placement = self.engine.fixture.checkout.order_message;
            let (checks, exported) = judged::order_export(
                step(scope, "order_export"),
                &exchange,
                &answer,
                &order.order_uuid,
                placement,
            );
            self.push_all(checks);
            let Some(exported) = exported else {
                self.progress(scope, "the order has no number: the flow stops");
                return None;
            };
            order.order_id = exported.id.clone();
            order.exported = true;
            summary.order_number = Some(exported.id.clone());
            summary.public_id = exported.public_id;

            let (exchange, again) = self
                .checkout_call(scope, &order, "order_export_repeat", url, &body)
                .await;
            if exchange.status.is_some() {
                self.push(judged::export_repeated(
                    step(scope, "order_export_repeat"),
                    &exchange,
                    again.as_ref(),
                    &order.order_uuid,
                    &exported.id,
                ));
            }
        }

        if urls.methods.is_some() && self.options.webhook.is_some() && !self.probed_unknown_method {
            self.probed_unknown_method = true;
            self.unknown_method(flow, &order).await;
        }
        order.checkout = Some(summary);
        Some(order)
    }

    /// One checkout call, judged as any answer is (in time, 200, JSON);
    /// the body when it is a JSON object.
    async fn checkout_call(
        &mut self,
        scope: Scope,
        order: &Order,
        name: &str,
        url: &reqwest::Url,
        body: &Value,
    ) -> (Arc<Exchange>, Option<Answer>) {
        self.progress(scope, &format!("{name}: POST {url}"));
        // Filed under the run and IMSHOP's order uuid (and, once exported,
        // the order number): the ids the merchant sees in these calls.
        let mut objects = vec![self.run_id.to_owned(), order.order_uuid.clone()];
        if order.exported {
            objects.push(order.order_id.clone());
        }
        let filing = Filing {
            run_id: self.run_id.to_owned(),
            objects,
            what: format!("{scope}/{name}"),
        };
        let exchange = self
            .engine
            .call_merchant(self.options, url, body, &filing)
            .await;
        let (checks, answer) = judge::transport(step(scope, name), &exchange, self.options.timeout);
        self.push_all(checks);
        let line = match (exchange.status, &answer) {
            (None, _) => format!("{name}: no answer"),
            (Some(status), None) => format!("{name}: answered {status}, not JSON"),
            (Some(status), Some(_)) => format!("{name}: answered {status}"),
        };
        self.progress(scope, &line);
        (exchange, answer)
    }

    /// The flow's first command with a `paymentMethodId` nobody offered:
    /// the merchant must refuse it (its own report line).
    async fn unknown_method(&mut self, flow: Flow, order: &Order) {
        let method_id = format!("paysandbox-unknown-{}", self.engine.core.ids.hex(8));
        let at = Position {
            flow,
            scope: flow.as_str(),
            attempt: 1,
            order,
            payment_id: None,
        };
        let name = format!("{}_unknown_method", flow.command());
        let cryptogram = base64_cryptogram(flow);
        let call = match flow {
            Flow::Card => {
                let body = CreateRequest {
                    command: "create",
                    payment_method_id: &method_id,
                    order_uuid: &order.order_uuid,
                    order_id: &order.order_id,
                    return_url: &self.engine.fixture.return_url,
                };
                self.call(&at, &name, None, &body).await
            }
            Flow::Applepay | Flow::Googlepay => {
                let body = WalletRequest {
                    command: flow.command(),
                    payment_method_id: &method_id,
                    order_uuid: &order.order_uuid,
                    order_id: &order.order_id,
                    apple_pay_data: (flow == Flow::Applepay).then_some(cryptogram.as_str()),
                    android_pay_data: (flow == Flow::Googlepay).then_some(cryptogram.as_str()),
                };
                self.call(&at, &name, None, &body).await
            }
        };
        self.push_all(judged::unknown_method(
            at.step(&name),
            &call.exchange,
            &method_id,
        ));
    }

    fn deliveries_request(&self) -> Value {
        let city = &self.engine.fixture.checkout.city;
        let mut body = json!({
            "externalUserId": null,
            "country": "RU",
            "promocode": null,
            "bonusesSpent": 0,
            "position": "checkout",
            "skipPickupLocations": false,
            "addressData": {
                "city": city,
                "value": format!("г {city}, ул Тестовая, д 1"),
                "street": "Тестовая",
                "house": "1",
                "zip": "127001",
            },
            "items": items(),
        });
        self.legal_entity_mode(&mut body);
        body
    }

    /// `legalEntityMode` is sent only when a legal entity was chosen, and
    /// then as `true` (oplaty.md, dostavki.md).
    fn legal_entity_mode(&self, body: &mut Value) {
        if self.options.legal_entity {
            body["legalEntityMode"] = Value::Bool(true);
        }
    }

    fn methods_request(&self, delivery_id: &str, pickup: Option<&str>) -> Value {
        let mut body = json!({
            "externalUserId": null,
            "country": "RU",
            "city": self.engine.fixture.checkout.city,
            "promocode": null,
            "deliveryId": delivery_id,
            "pickupLocationId": pickup,
            "bonusesSpent": 0,
            "items": items(),
        });
        self.legal_entity_mode(&mut body);
        body
    }

    /// The order export (oformlenie-zakaza.md). The payment happens after
    /// the export, so `paymentProcessed`/`paymentId`/`paymentGateway` are
    /// `false`/`null`/`null`; `payment` is `webhook/<id>` like `delivery`.
    fn export_request(
        &self,
        flow: Flow,
        order: &Order,
        delivery_id: &str,
        delivery_name: Option<&str>,
        pickup: Option<&str>,
        payment_name: Option<&str>,
    ) -> Value {
        let fixture = &self.engine.fixture;
        let now = self
            .engine
            .core
            .clock
            .now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let raw_method = order
            .payment_method_id
            .strip_prefix("webhook/")
            .unwrap_or(&order.payment_method_id);
        let mut body = json!({
            "device": {"platform": flow.platform()},
            "installId": fixture.checkout.install_id,
            "orders": [{
                "uuid": order.order_uuid,
                "externalUserId": null,
                "groupId": null,
                "createdOn": now,
                "updatedOn": now,
                "status": "placed",
                "name": "Иван Петров",
                "phone": "+79990000000",
                "email": fixture.demo_merchant.customer_email,
                "country": "RU",
                "currency": "RUB",
                "city": fixture.checkout.city,
                "address": "ул Тестовая, д 1",
                "authorizedBonuses": 0,
                "promocode": null,
                "loyaltyCard": null,
                "delivery": format!("webhook/{delivery_id}"),
                "deliveryName": delivery_name.unwrap_or("Курьером"),
                "pickupLocationId": pickup,
                "payment": format!("webhook/{raw_method}"),
                "paymentName": payment_name.unwrap_or("Картой в приложении"),
                "paymentProcessed": false,
                "paymentId": null,
                "paymentGateway": null,
                "deliveryComment": "",
                "items": items(),
            }],
        });
        if self.options.legal_entity {
            // The docs' example company.
            body["orders"][0]["legalEntity"] = json!({
                "contactPersonPosition": "Менеджер",
                "legalEntityName": "ООО ВЕКТОР",
                "taxpayerIdentificationNumber": "7710000000",
                "taxRegistrationReasonCode": "77100000",
                "businessAddress": "г. Москва, Кутузовский проспект, 36",
            });
        }
        body
    }
}

fn step(scope: Scope, name: &str) -> judge::Step<'_> {
    judge::Step {
        flow: scope,
        name,
        attempt: 1,
    }
}

/// A cryptogram for the unknown-method probe: it must be refused before
/// anything is charged, so it says `decline` too.
fn base64_cryptogram(flow: Flow) -> String {
    use base64::Engine as _;
    let text = json!({"wallet": flow.as_str(), "sandbox": "decline", "probe": "unknown method"});
    base64::engine::general_purpose::STANDARD.encode(text.to_string())
}
