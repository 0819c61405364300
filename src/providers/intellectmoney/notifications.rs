//! Result notifications: a form POST to the invoice's ResultUrl (or the
//! shop's "Result URL") on every status change, creation included, signed
//! with the MD5 `hash` ([`super::signature::notification_hash`]). A
//! delivery counts only when the merchant answers HTTP 200 with the body
//! exactly `OK`; otherwise the outbox retries on the fixture's schedule, and
//! every attempt is journaled under the invoice.

use time::UtcOffset;

use super::fixture::Shop;
use super::model::Invoice;
use super::signature::{notification_hash, notification_payload};
use super::validate::DATE_TIME;
use super::{NAME, State};
use crate::core::journal::{Entry, EntryKind};
use crate::core::outbox::{Acceptance, NewDelivery, SignatureSlot};

/// The notification's fields, in the order they are sent.
pub fn form(invoice: &Invoice, shop: &Shop, offset: UtcOffset) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = Vec::with_capacity(24);
    let mut push = |name: &str, value: String| form.push((name.to_owned(), value));
    push("eshopId", invoice.eshop_id.to_string());
    push("paymentId", invoice.id.to_string());
    push("orderId", invoice.terms.order_id.clone());
    push("eshopAccount", shop.eshop_account.to_string());
    push("serviceName", invoice.terms.service_name.clone());
    push("recipientAmount", invoice.terms.amount.to_string());
    push("recipientOriginalAmount", invoice.terms.amount.to_string());
    push("recipientCurrency", invoice.terms.currency.clone());
    push("paymentStatus", invoice.status.code().to_string());
    push("userName", invoice.terms.user_name.clone());
    push("userEmail", invoice.terms.email.clone());
    push(
        "paymentData",
        invoice
            .changed_at
            .to_offset(offset)
            .format(DATE_TIME)
            .unwrap_or_default(),
    );
    if let Some(payment) = invoice
        .payment
        .as_ref()
        .filter(|p| p.finish().is_some_and(|f| f.decline.is_none()))
    {
        push(
            "payMethod",
            payment
                .method
                .pay_method(invoice.is_test_currency())
                .to_owned(),
        );
        push("gatewayName", "paysandbox".to_owned());
        if let super::model::PaymentMethod::Card { short_pan } = &payment.method {
            push("shortPan", short_pan.clone());
        }
        push("rrn", payment.rrn.clone());
        if let Some(ip) = &payment.ip_address {
            push("ipAddress", ip.clone());
        }
    }
    if let Some(refund) = invoice.refund_amount {
        push("refundAmount", refund.to_string());
    }
    for field in &invoice.terms.user_fields {
        if let Some(name) = &field.name {
            push(&format!("UserFieldName_{}", field.index), name.clone());
        }
        if let Some(value) = &field.value {
            push(&format!("UserField_{}", field.index), value.clone());
        }
    }
    push(
        "secretKey",
        if shop.send_secret_key {
            shop.secret_key.clone()
        } else {
            String::new()
        },
    );
    let hash = notification_hash(&form, &shop.secret_key);
    form.push(("hash".to_owned(), hash));
    form
}

/// Queues the notification of the invoice's current status, or journals
/// why none goes out (no Result URL anywhere).
pub fn notify(state: &State, invoice: &Invoice) {
    let Some(shop) = state.shop(invoice.eshop_id) else {
        return;
    };
    let status = invoice.status.code();
    let Some(url) = invoice
        .terms
        .result_url
        .clone()
        .or_else(|| shop.result_url.clone())
    else {
        state.core.record(
            Entry::new(NAME, EntryKind::Event)
                .object(invoice.id.to_string())
                .summary(format!(
                    "paymentStatus={status}: no ResultUrl on the invoice and no Result URL for shop {}; notification not sent",
                    shop.eshop_id
                )),
        );
        return;
    };
    let form = form(invoice, shop, state.offset);
    let signature_base = notification_payload(&form, "<secret>");
    let body = serde_urlencoded::to_string(form).unwrap_or_default();
    state.core.outbox.enqueue(NewDelivery {
        provider: NAME,
        event: format!("paymentStatus={status}"),
        url,
        content_type: "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        headers: Vec::new(),
        body: body.into(),
        retry_schedule: state.fixture.notification_retry_seconds.clone(),
        acceptance: Acceptance::ExactOk,
        objects: vec![invoice.id.to_string()],
        not_before: None,
        signature: Some(SignatureSlot::FormField("hash".to_owned())),
        signature_base: Some(signature_base),
    });
}
