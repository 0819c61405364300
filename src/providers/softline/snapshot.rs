//! Softline's section of a snapshot document: every payment in its state,
//! the tokens `login_check` issued, where order ids stand, and the webhook
//! URL. The webhook secret stays the workspace's own: it is a credential,
//! and a snapshot holds none.
//!
//! The section is its own wire format (documented in `docs/snapshots.md`),
//! so the model can change without breaking documents committed next to
//! tests.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::auth;
use super::fixture::WebhookUrl;
use super::model::{Card, CardExpiry, CardType, ChargeOutcome, Payment, ScheduledCharge};
use super::storage::DetailsView;
use super::types::{Currency, Customer, Details, PaymentId, PaymentStatus, ReturnUrl};
use crate::core::durable::{ObjectChange, to_json};
use crate::core::money::Amount;
use crate::core::snapshot::{Install, SnapshotError, read_section};

const PREFIX: &str = "providers.softline";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    /// The `order_id` the next payment gets.
    next_order_id: u64,
    /// Where webhooks go (`null`: nowhere).
    webhook_url: Option<String>,
    #[serde(default)]
    tokens: Vec<SavedToken>,
    #[serde(default)]
    payments: Vec<SavedPayment>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedToken {
    token: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

/// A payment as a snapshot or a row holds it; its texts owned (`String`,
/// read back or in a snapshot) or borrowed from the payment (`&str`, a row
/// written without copying them).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedPayment<S = String> {
    order_id: u64,
    /// `not paid`, `paid` or `deleted`.
    status: S,
    currency: S,
    /// `112.50`.
    amount: String,
    recurring_indicator: bool,
    #[serde(default)]
    parent_order_id: Option<u64>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    paid_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    deleted_at: Option<OffsetDateTime>,
    #[serde(default)]
    card: Option<SavedCard>,
    /// A card waiting for its 3-D Secure code.
    #[serde(default)]
    challenge: Option<SavedCard>,
    /// A recurring charge under way.
    #[serde(default)]
    charge: Option<SavedCharge>,
    /// The last segment of the hosted form's URL.
    hash: S,
    /// The merchant's `payment_id`.
    payment_id: S,
    payment_method: S,
    description: S,
    #[serde(default)]
    locale: Option<S>,
    return_success_url: S,
    customer: SavedCustomer<S>,
    /// In the order given: `[["referer7", "test"], …]`.
    #[serde(default)]
    additional_data: Vec<(S, S)>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCustomer<S = String> {
    email: S,
    first_name: S,
    last_name: S,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vat_number: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    company_name: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    company_billing_address: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    company_delivery_address: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kpp: Option<S>,
}

/// What is kept of a card: never the number, never the CVC.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCard {
    /// `Visa`, `Mastercard`, `MIR` or `""`.
    card_type: String,
    last_4: String,
    /// `MM/YY`.
    expiry: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCharge {
    #[serde(with = "time::serde::rfc3339")]
    due: OffsetDateTime,
    /// `succeeds` or `fails`.
    outcome: String,
    #[serde(default)]
    card: Option<SavedCard>,
}

fn save_card(card: &Card) -> SavedCard {
    SavedCard {
        card_type: card.card_type.as_str().to_owned(),
        last_4: card.last_4.clone(),
        expiry: card.expiry.to_string(),
    }
}

fn read_card(saved: &SavedCard, at: &str) -> Result<Card, String> {
    let card_type = [
        CardType::Visa,
        CardType::Mastercard,
        CardType::Mir,
        CardType::Other,
    ]
    .into_iter()
    .find(|t| t.as_str() == saved.card_type)
    .ok_or_else(|| {
        format!(
            "{at}.card_type: {:?} is not Visa, Mastercard, MIR or \"\"",
            saved.card_type
        )
    })?;
    let last_4_ok = saved.last_4.len() == 4 && saved.last_4.bytes().all(|b| b.is_ascii_digit());
    if !last_4_ok {
        return Err(format!("{at}.last_4: {:?} is not 4 digits", saved.last_4));
    }
    let expiry = CardExpiry::parse(&saved.expiry)
        .ok_or_else(|| format!("{at}.expiry: {:?} is not MM/YY", saved.expiry))?;
    Ok(Card {
        card_type,
        last_4: saved.last_4.clone(),
        expiry,
    })
}

fn save_payment(payment: &Payment) -> SavedPayment {
    saved(payment, &payment.details_view())
}

/// A payment's row: its texts written from where they are packed.
fn payment_row(payment: &Payment) -> String {
    to_json(&saved::<&str>(payment, &payment.details_view()))
}

/// A payment as a snapshot or a row holds it, its texts as `S`.
fn saved<'a, S: From<&'a str>>(payment: &'a Payment, details: &DetailsView<'a>) -> SavedPayment<S> {
    let c = details.customer;
    let text = |t: Option<&'a str>| t.map(S::from);
    SavedPayment {
        order_id: payment.order_id,
        status: S::from(payment.status.as_str()),
        currency: S::from(payment.currency.as_str()),
        amount: payment.amount.to_string(),
        recurring_indicator: payment.recurring_indicator,
        parent_order_id: payment.parent_order_id,
        created_at: payment.created_at,
        paid_at: payment.paid_at,
        deleted_at: payment.deleted_at,
        card: payment.card.as_ref().map(save_card),
        challenge: payment.challenge.as_ref().map(save_card),
        charge: payment.charge.as_ref().map(|charge| SavedCharge {
            due: charge.due,
            outcome: match charge.outcome {
                ChargeOutcome::Succeeds => "succeeds",
                ChargeOutcome::Fails => "fails",
            }
            .to_owned(),
            card: charge.card.as_ref().map(save_card),
        }),
        hash: S::from(details.hash),
        payment_id: S::from(details.external_id),
        payment_method: S::from(details.payment_method),
        description: S::from(details.description),
        locale: text(details.locale),
        return_success_url: S::from(details.return_success_url),
        customer: SavedCustomer {
            email: S::from(c.email),
            first_name: S::from(c.first_name),
            last_name: S::from(c.last_name),
            phone: text(c.phone),
            vat_number: text(c.vat_number),
            company_name: text(c.company_name),
            company_billing_address: text(c.company_billing_address),
            company_delivery_address: text(c.company_delivery_address),
            kpp: text(c.kpp),
        },
        additional_data: details
            .additional_data
            .iter()
            .map(|(k, v)| (S::from(k), S::from(v)))
            .collect(),
    }
}

/// A saved payment as the model keeps it, or what is wrong with it.
fn read_payment(saved: SavedPayment, at: &str) -> Result<Payment, String> {
    let status = PaymentStatus::parse(&saved.status).ok_or_else(|| {
        format!(
            "{at}.status: {:?} is not \"not paid\", \"paid\" or \"deleted\"",
            saved.status
        )
    })?;
    let currency = Currency::parse(&saved.currency).ok_or_else(|| {
        format!(
            "{at}.currency: {:?} is not an ISO 4217 code",
            saved.currency
        )
    })?;
    let amount = Amount::parse_decimal(&saved.amount)
        .map_err(|e| format!("{at}.amount: {:?}: {e}", saved.amount))?;
    let external_id = PaymentId::parse(&saved.payment_id).ok_or_else(|| {
        format!(
            "{at}.payment_id: {:?} is not a payment id",
            saved.payment_id
        )
    })?;
    let return_success_url = ReturnUrl::parse(&saved.return_success_url).ok_or_else(|| {
        format!(
            "{at}.return_success_url: {:?} is not an absolute http(s) URL",
            saved.return_success_url
        )
    })?;
    let hash_ok = !saved.hash.is_empty()
        && saved.hash.len() <= 64
        && saved.hash.bytes().all(|b| b.is_ascii_alphanumeric());
    if !hash_ok {
        return Err(format!("{at}.hash: {:?} is not a form hash", saved.hash));
    }
    let card = |c: &Option<SavedCard>, name: &str| {
        c.as_ref()
            .map(|c| read_card(c, &format!("{at}.{name}")))
            .transpose()
    };
    let charge = match &saved.charge {
        None => None,
        Some(charge) => {
            let outcome = match charge.outcome.as_str() {
                "succeeds" => ChargeOutcome::Succeeds,
                "fails" => ChargeOutcome::Fails,
                other => {
                    return Err(format!(
                        "{at}.charge.outcome: {other:?} is not \"succeeds\" or \"fails\""
                    ));
                }
            };
            Some(Box::new(ScheduledCharge {
                due: charge.due,
                outcome,
                card: card(&charge.card, "charge.card")?,
            }))
        }
    };
    let c = saved.customer;
    let details = Details {
        hash: saved.hash,
        external_id,
        payment_method: saved.payment_method,
        description: saved.description,
        locale: saved.locale,
        return_success_url,
        customer: Customer {
            email: c.email,
            first_name: c.first_name,
            last_name: c.last_name,
            phone: c.phone,
            vat_number: c.vat_number,
            company_name: c.company_name,
            company_billing_address: c.company_billing_address,
            company_delivery_address: c.company_delivery_address,
            kpp: c.kpp,
        },
        additional_data: saved.additional_data,
    };
    let mut payment =
        Payment::restored(saved.order_id, &details, currency, amount, saved.created_at);
    payment.status = status;
    payment.recurring_indicator = saved.recurring_indicator;
    payment.parent_order_id = saved.parent_order_id;
    payment.paid_at = saved.paid_at;
    payment.deleted_at = saved.deleted_at;
    payment.card = card(&saved.card, "card")?;
    payment.challenge = card(&saved.challenge, "challenge")?;
    payment.charge = charge;
    Ok(payment)
}

impl super::State {
    /// The section, every payment as stored (time's effects settle when it
    /// is read again, as they would have).
    pub fn snapshot_section(&self) -> serde_json::Value {
        let mut payments = self.payments.filter_map(|_, p| Some(save_payment(p)));
        payments.sort_unstable_by_key(|p| p.order_id);
        let tokens = self
            .tokens
            .all()
            .into_iter()
            .map(|(token, expires_at)| SavedToken { token, expires_at })
            .collect();
        let section = Section {
            next_order_id: self.order_ids.position(),
            webhook_url: self.webhook.get().url.map(|u| u.as_str().to_owned()),
            tokens,
            payments,
        };
        serde_json::to_value(section).unwrap_or(serde_json::Value::Null)
    }

    /// Reads and checks a section; the install puts it in place.
    pub fn prepare_section(
        &self,
        section: &serde_json::Value,
    ) -> Result<Install<'_>, SnapshotError> {
        if section.is_null() {
            return Ok(Box::new(move || self.reset()));
        }
        let section: Section = read_section(PREFIX, section)?;
        let malformed = |m: String| SnapshotError::Malformed(format!("{PREFIX}.{m}"));
        let webhook_url = section
            .webhook_url
            .as_deref()
            .map(WebhookUrl::parse)
            .transpose()
            .map_err(|e| malformed(format!("webhook_url: {e}")))?;
        let mut seen = BTreeSet::new();
        let mut payments = Vec::with_capacity(section.payments.len());
        for (index, saved) in section.payments.into_iter().enumerate() {
            if !seen.insert(saved.order_id) {
                return Err(malformed(format!(
                    "payments[{index}].order_id: {} appears twice",
                    saved.order_id
                )));
            }
            if self.order_ids.held_elsewhere(saved.order_id).is_some() {
                return Err(SnapshotError::Conflict(format!(
                    "order {} belongs to another workspace of this instance: restore this snapshot there, or into a fresh instance",
                    saved.order_id
                )));
            }
            payments.push(read_payment(saved, &format!("payments[{index}]")).map_err(malformed)?);
        }
        if let Some(highest) = seen.last().filter(|&&h| h >= section.next_order_id) {
            return Err(malformed(format!(
                "next_order_id: {} must be past every payment's order_id (the highest is {highest})",
                section.next_order_id
            )));
        }
        let claims = self.core.ids.claims();
        for saved in &section.tokens {
            let holder = claims.directory().text_owner(auth::TOKEN, &saved.token);
            if holder.is_some_and(|owner| owner != claims.owner()) {
                return Err(SnapshotError::Conflict(format!(
                    "token {}… belongs to another workspace of this instance",
                    saved.token.chars().take(6).collect::<String>()
                )));
            }
        }
        let tokens: Vec<(String, OffsetDateTime)> = section
            .tokens
            .into_iter()
            .map(|t| (t.token, t.expires_at))
            .collect();
        let next_order_id = section.next_order_id;
        Ok(Box::new(move || {
            self.payments.clear();
            for payment in payments {
                self.order_ids.claim(payment.order_id);
                self.payments.insert(payment.order_id, Box::new(payment));
            }
            for (token, _) in &tokens {
                claims.text(auth::TOKEN, token);
            }
            self.tokens.replace(tokens);
            self.order_ids.restore(next_order_id);
            let mut target = self.webhook.get();
            target.url = webhook_url;
            self.webhook.set(target);
        }))
    }
}

/// Softline's head in a data directory.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    next_order_id: u64,
    webhook_url: Option<String>,
    webhook_secret: String,
}

/// The kinds of rows Softline keeps in a data directory.
const PAYMENTS: &str = "payments";
const TOKENS: &str = "tokens";

/// Durable state: the same rows a snapshot holds, one per object.
impl super::State {
    pub fn track_durable_changes(&self) {
        self.payments.track_changes();
        self.tokens.track_changes();
    }

    pub fn take_durable_changes(&self, out: &mut Vec<ObjectChange>) {
        let payments = self.payments.take_changes();
        let rows = payments.keys.into_iter().map(|order_id| {
            let body = self.payments.read(&order_id, |p| payment_row(p));
            (order_id.to_string(), body)
        });
        ObjectChange::push_rows(out, PAYMENTS, payments.cleared, rows);
        let tokens = self.tokens.take_changes();
        let rows = tokens.keys.into_iter().map(|token| {
            let body = self.tokens.expiry_of(&token).map(|expires_at| {
                to_json(&SavedToken {
                    token: token.clone(),
                    expires_at,
                })
            });
            (token, body)
        });
        ObjectChange::push_rows(out, TOKENS, tokens.cleared, rows);
    }

    /// What is kept besides objects: the order id sequence and the webhook
    /// target, secret included (the data directory is the sandbox's own;
    /// a snapshot document leaves the secret out).
    pub fn durable_head_section(&self) -> String {
        let target = self.webhook.get();
        to_json(&Head {
            next_order_id: self.order_ids.position(),
            webhook_url: target.url.map(|u| u.as_str().to_owned()),
            webhook_secret: target.secret,
        })
    }

    pub fn load_durable_head(&self, body: &str) -> Result<(), String> {
        let head: Head = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let webhook_url = head
            .webhook_url
            .as_deref()
            .map(WebhookUrl::parse)
            .transpose()?;
        self.order_ids.restore(head.next_order_id);
        self.webhook.set(super::webhooks::Target {
            url: webhook_url,
            secret: head.webhook_secret,
        });
        Ok(())
    }

    pub fn load_durable_object(
        &self,
        kind: &str,
        body: &str,
        touched: Option<OffsetDateTime>,
    ) -> Result<(), String> {
        match kind {
            PAYMENTS => {
                let saved: SavedPayment = serde_json::from_str(body).map_err(|e| e.to_string())?;
                let payment = read_payment(saved, "payment")?;
                let order_id = payment.order_id;
                self.order_ids.claim(order_id);
                // The head's position was written at the last reset or
                // control request; creates since then moved it on.
                if order_id >= self.order_ids.position() {
                    self.order_ids.restore(order_id + 1);
                }
                let payment = Box::new(payment);
                match touched {
                    Some(at) => self.payments.insert_touched(order_id, payment, at),
                    None => self.payments.insert(order_id, payment),
                }
            }
            TOKENS => {
                let saved: SavedToken = serde_json::from_str(body).map_err(|e| e.to_string())?;
                self.core.ids.claims().text(auth::TOKEN, &saved.token);
                self.tokens
                    .replace_one(saved.token, saved.expires_at, touched);
            }
            other => return Err(format!("softline keeps no {other}")),
        }
        Ok(())
    }
}
