//! Wire types of the Softline API, named and ordered as the documentation
//! prints them.
//!
//! Requests are read field by field by `validate` (so that every problem
//! can be reported at once); the request structs here describe their shape
//! for the OpenAPI document. Answers are serialized from these structs.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use super::model::Payment;
use super::types::{Customer, PaymentStatus};

/// `POST /v1/login_check`.
#[allow(dead_code)]
#[derive(Debug, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// "A technical parameter, not used for authorization."
    pub refresh_token: String,
}

/// `POST /v1/payment` (full set of parameters).
#[allow(dead_code)]
#[derive(Debug, utoipa::ToSchema)]
pub struct CreatePaymentRequest {
    /// ISO 4217 alpha-3, enabled for the merchant.
    pub currency: String,
    /// Digits with up to two decimals and a dot, e.g. `"112.50"` (a JSON
    /// number is accepted too); greater than zero unless `recurring_indicator`.
    pub amount: String,
    /// Absolute http(s) URL, at most 255 characters.
    pub return_success_url: String,
    /// `CreditCard`, `SBP` or `BankTransfer` in the built-in fixture.
    pub payment_method: String,
    pub recurring_indicator: Option<bool>,
    /// Digits, Latin letters, `-` and `_`.
    pub payment_id: String,
    /// At most 255 characters; default `Payment [payment_id]`.
    pub payment_description: Option<String>,
    pub locale: Option<String>,
    pub customer: Customer,
    /// String values only.
    pub additional_data: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatePaymentResponse {
    /// The hosted payment form, with `?lang=` when a valid locale was given.
    pub payment_url: String,
    pub order_id: u64,
}

/// `POST /v1/payment/recurring`.
#[allow(dead_code)]
#[derive(Debug, utoipa::ToSchema)]
pub struct RecurringRequest {
    pub parent_order_id: u64,
    pub payment_id: String,
    /// Must equal the parent's currency.
    pub currency: String,
    /// Greater than zero; string or number.
    pub amount: String,
    pub payment_description: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecurringResponse {
    pub order_id: u64,
}

/// `POST /v1/order/search`: every filter is optional.
#[allow(dead_code)]
#[derive(Debug, utoipa::ToSchema)]
pub struct SearchRequest {
    /// `not paid`, `paid` or `deleted`.
    pub status: Option<String>,
    pub external_id: Option<String>,
    /// `YYYY-MM-DDThh:mm:ss±hh:mm`, inclusive.
    pub create_date_from: Option<String>,
    pub create_date_to: Option<String>,
    pub pay_date_from: Option<String>,
    pub pay_date_to: Option<String>,
    pub currency: Option<String>,
    /// The customer's email, in any letter case.
    pub email: Option<String>,
    pub payment_method: Option<String>,
    /// 1 to 1000; default 100.
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// Newest first.
    pub ids: Vec<u64>,
}

/// A payment as `GET /v1/order/{id}` and the webhooks describe it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderData {
    pub order_id: u64,
    pub order_name: String,
    pub status: PaymentStatus,
    pub external_id: String,
    pub create_date: String,
    /// `""` until paid.
    pub pay_date: String,
    pub currency: String,
    /// Order look-up only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Order look-up only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_description: Option<String>,
    /// `""` when none was given.
    pub locale: String,
    pub recurring_indicator: bool,
    pub order_detail_url: String,
    pub customer: CustomerData,
    pub payment: PaymentData,
    /// The request's `additional_data`, when it had any.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_data: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerData {
    pub country: &'static str,
    /// `physical`, or `legal` when a company name was given.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub vat_number: String,
    pub company_name: String,
    pub company_billing_address: String,
    pub company_delivery_address: String,
    /// Order look-up only, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kpp: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentData {
    pub payment_method: String,
    pub payment_system_name: String,
    /// `Visa`, `Mastercard`, `MIR` or `""`.
    pub card_type: &'static str,
    /// `null` until a card paid.
    pub card_last_4: Option<String>,
    /// `MM/YY` or `""`.
    pub card_expiration_date: String,
    pub is_card_expired: bool,
    pub is_installment_payment: bool,
}

/// Which answer an [`OrderData`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// `GET /v1/order/{id}`: adds `amount`, `payment_description`, `kpp`.
    Lookup,
    /// A webhook body: exactly the documented fields.
    Webhook,
}

/// What a view needs besides the payment.
pub struct ViewContext<'a> {
    pub offset: UtcOffset,
    /// The hosted form's URL (`order_detail_url`).
    pub form_url: String,
    /// `payment.payment_system_name`.
    pub method_name: &'a str,
    pub now: OffsetDateTime,
}

/// `YYYY-MM-DDThh:mm:ss+03:00` in the merchant's offset.
pub fn timestamp(at: OffsetDateTime, offset: UtcOffset) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    at.checked_to_offset(offset)
        .unwrap_or(at)
        .format(format)
        .unwrap_or_default()
}

impl OrderData {
    pub fn of(payment: &Payment, context: &ViewContext<'_>, view: View) -> Self {
        let lookup = view == View::Lookup;
        let details = payment.details();
        let customer = &details.customer;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let card = payment.card.as_ref();
        Self {
            order_id: payment.order_id,
            order_name: payment.order_name(),
            status: payment.status,
            external_id: details.external_id.as_str().to_owned(),
            create_date: timestamp(payment.created_at, context.offset),
            pay_date: payment
                .paid_at
                .map(|at| timestamp(at, context.offset))
                .unwrap_or_default(),
            currency: payment.currency.as_str().to_owned(),
            amount: lookup.then(|| payment.amount.to_string()),
            payment_description: lookup.then(|| details.description.clone()),
            locale: text(&details.locale),
            recurring_indicator: payment.recurring_indicator,
            order_detail_url: context.form_url.clone(),
            customer: CustomerData {
                country: "RU",
                kind: if customer.company_name.is_some() {
                    "legal"
                } else {
                    "physical"
                },
                email: customer.email.clone(),
                first_name: customer.first_name.clone(),
                last_name: customer.last_name.clone(),
                phone: text(&customer.phone),
                vat_number: text(&customer.vat_number),
                company_name: text(&customer.company_name),
                company_billing_address: text(&customer.company_billing_address),
                company_delivery_address: text(&customer.company_delivery_address),
                kpp: customer.kpp.clone().filter(|_| lookup),
            },
            payment: PaymentData {
                payment_method: details.payment_method.clone(),
                payment_system_name: context.method_name.to_owned(),
                card_type: card.map_or("", |c| c.card_type.as_str()),
                card_last_4: card.map(|c| c.last_4.clone()),
                card_expiration_date: card.map(|c| c.expiry.to_string()).unwrap_or_default(),
                is_card_expired: card.is_some_and(|c| c.expiry.is_expired(context.now)),
                is_installment_payment: false,
            },
            additional_data: details.additional_data.iter().cloned().collect(),
        }
    }
}

/// A webhook's body: the event, then the payment, then `document_part`.
#[derive(Debug, Serialize)]
pub struct WebhookBody {
    pub event: &'static str,
    pub event_date: String,
    #[serde(flatten)]
    pub order: OrderData,
    pub document_part: &'static str,
}

/// `GET`/`PUT /__sandbox/softline/webhook`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookSettings {
    /// `null`: no webhooks are sent.
    pub url: Option<String>,
    pub secret: String,
    /// Seconds between attempts (from the fixture).
    pub retry_seconds: Vec<u64>,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutWebhookRequest {
    /// An absolute http(s) URL, or `null` to stop sending.
    pub url: Option<String>,
    /// Omitted: the secret stays as it is.
    pub secret: Option<String>,
}

/// `POST /__sandbox/softline/orders/{id}/refund`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefundResponse {
    pub order_id: u64,
    pub status: PaymentStatus,
}
