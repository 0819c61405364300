//! IntellectMoney's section of a snapshot document: every invoice (СКО) in
//! its state, with the terms CreateInvoice gave it and the payment under
//! way or done, and where `InvoiceId`s stand.
//!
//! Not in it: the shops' keys and tokens (credentials, which stay the
//! workspace's own, and a snapshot holds none), anything of a card but the
//! masked number the model keeps, and the `(EshopId, OrderId)` index of
//! shops that refuse a repeated OrderId, which is rebuilt from the invoices
//! (saving it too would let the two disagree). Notifications go to each
//! invoice's ResultUrl or to its shop's fixture setting, so there is no
//! webhook target to keep.
//!
//! The section is its own wire format (documented in `docs/snapshots.md`),
//! so the model can change without breaking documents committed next to
//! tests. A data directory (`--data-dir`) keeps the same invoice entries,
//! one row each, and `next_invoice_id` as the head (the block at the end).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use super::model::{
    Decline, Finish, Invoice, InvoiceStatus, Origin, Payment, PaymentMethod, Plan, Progress,
};
use super::types::{Lang, Methods, NewInvoice, Receipt, UserField};
use super::validate;
use crate::core::durable::{ObjectChange, to_json};
use crate::core::money::Amount;
use crate::core::snapshot::{Install, SnapshotError, read_section};

const PREFIX: &str = "providers.intellectmoney";

/// CreateInvoice's limits on its texts, in characters.
const MAX_ORDER_ID: usize = 50;
const MAX_SERVICE_NAME: usize = 1024;
const MAX_USER_NAME: usize = 255;

/// The longest hold HoldTime (and the fixture's default) can give: 119
/// hours. A longer one could put its end past what a date can hold.
const MAX_HOLD_SECONDS: i64 = 119 * 3600;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    /// The `InvoiceId` the next CreateInvoice gets.
    next_invoice_id: u64,
    #[serde(default)]
    invoices: Vec<SavedInvoice>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedInvoice {
    invoice_id: u64,
    eshop_id: u32,
    /// `created`, `cancelled`, `paid`, `held`, `partially_paid` or
    /// `refunded` (`paymentStatus` 3 to 8).
    status: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When the status last changed (`paymentData`).
    #[serde(with = "time::serde::rfc3339")]
    changed_at: OffsetDateTime,
    /// A held invoice's: when the hold is released.
    #[serde(default, with = "time::serde::rfc3339::option")]
    hold_until: Option<OffsetDateTime>,
    /// A refunded invoice's: `10.00`.
    #[serde(default)]
    refund_amount: Option<String>,
    terms: SavedTerms,
    /// The last attempt to pay it, under way or done.
    #[serde(default)]
    payment: Option<SavedPayment>,
}

/// What CreateInvoice asked for, as it was taken.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedTerms {
    order_id: String,
    #[serde(default)]
    service_name: String,
    /// `RecipientAmount`: `10.00`.
    amount: String,
    /// `RecipientCurrency`, one of the fixture's.
    currency: String,
    #[serde(default)]
    user_name: String,
    email: String,
    #[serde(default)]
    success_url: Option<String>,
    #[serde(default)]
    fail_url: Option<String>,
    #[serde(default)]
    back_url: Option<String>,
    #[serde(default)]
    result_url: Option<String>,
    /// `ExpireDate`, or the end of the fixture's lifetime.
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    /// HoldMode=1: how long a successful payment stays held, in seconds
    /// (HoldTime, or the shop's default); `null` without a hold.
    #[serde(default)]
    hold_seconds: Option<i64>,
    /// The ways to pay its `Preference` allows.
    methods: SavedMethods,
    /// The pages' language: `ru` or `en`.
    language: String,
    /// `UserFieldName_N` / `UserField_N`, in the order sent.
    #[serde(default)]
    user_fields: Vec<SavedUserField>,
    /// `MerchantReceipt` as the official SDK writes it, read again as
    /// CreateInvoice reads it.
    #[serde(default)]
    merchant_receipt: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedMethods {
    card: bool,
    sbp: bool,
    paylate: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedUserField {
    /// `N`, as sent.
    index: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

/// One attempt to pay: never a card's number or CVC, only the masked
/// number the model keeps.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedPayment {
    /// `card`, `sbp` or `bnpl`.
    method: String,
    /// A card's: `411111******1111`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    short_pan: Option<String>,
    /// `api` (BankCardPayment, BnplPayment, SbpPayment) or `hosted` (the
    /// invoice's payment page).
    origin: String,
    /// An `api` payment's SuccessUrl, FailUrl and ReturnUrl.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    success_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fail_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    return_url: Option<String>,
    /// What happens once it leaves `InProcess`: `approve`, `ask_buyer` or
    /// `decline`.
    plan: String,
    /// With `decline`: why (see `decline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    planned_decline: Option<String>,
    /// `paced` (Created or InProcess), `awaiting_buyer` (SendTo3DS) or
    /// `finished` (Ok or Error).
    progress: String,
    /// `paced`: the polls of GetBankCardPaymentState answered so far.
    #[serde(default)]
    polls: u32,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    finished_at: Option<OffsetDateTime>,
    /// `finished` in Error: `card`, `insufficient_funds`, `three_ds`,
    /// `bnpl`, `sbp` or `expired`; absent when it ended Ok.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decline: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    /// BnplPayment's `OperationId`.
    #[serde(default)]
    operation_id: Option<String>,
    /// The twelve-digit retrieval reference.
    rrn: String,
    #[serde(default)]
    ip_address: Option<String>,
}

const STATUSES: [InvoiceStatus; 6] = [
    InvoiceStatus::Created,
    InvoiceStatus::Cancelled,
    InvoiceStatus::Paid,
    InvoiceStatus::Held,
    InvoiceStatus::PartiallyPaid,
    InvoiceStatus::Refunded,
];

fn status_name(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Created => "created",
        InvoiceStatus::Cancelled => "cancelled",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Held => "held",
        InvoiceStatus::PartiallyPaid => "partially_paid",
        InvoiceStatus::Refunded => "refunded",
    }
}

const DECLINES: [Decline; 6] = [
    Decline::Card,
    Decline::InsufficientFunds,
    Decline::ThreeDs,
    Decline::Bnpl,
    Decline::Sbp,
    Decline::Expired,
];

fn decline_name(decline: Decline) -> &'static str {
    match decline {
        Decline::Card => "card",
        Decline::InsufficientFunds => "insufficient_funds",
        Decline::ThreeDs => "three_ds",
        Decline::Bnpl => "bnpl",
        Decline::Sbp => "sbp",
        Decline::Expired => "expired",
    }
}

/// `"a", "b" or "c"`, for a refusal.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn read_decline(name: &str, at: &str) -> Result<Decline, String> {
    DECLINES
        .into_iter()
        .find(|d| decline_name(*d) == name)
        .ok_or_else(|| {
            let names: Vec<&str> = DECLINES.into_iter().map(decline_name).collect();
            format!("{at}: {name:?} is not {}", one_of(&names))
        })
}

/// `MerchantReceipt` as the official SDK sends it (enumerations as their
/// numbers, amounts and quantities as decimal text, which it accepts too),
/// so that [`Receipt::parse`] reads it back as it was.
fn save_receipt(receipt: &Receipt) -> Value {
    let positions: Vec<Value> = receipt
        .positions
        .iter()
        .map(|p| {
            let mut position = Map::new();
            position.insert("quantity".into(), p.quantity.to_string().into());
            position.insert("price".into(), p.price.to_string().into());
            position.insert("tax".into(), p.tax.value.into());
            position.insert("text".into(), p.text.clone().into());
            if let Some(code) = p.payment_subject_type {
                position.insert("paymentSubjectType".into(), code.value.into());
            }
            if let Some(code) = p.payment_method_type {
                position.insert("paymentMethodType".into(), code.value.into());
            }
            if let Some(inn) = &p.supplier_inn {
                position.insert("supplierInn".into(), inn.clone().into());
            }
            Value::Object(position)
        })
        .collect();
    let mut content = Map::new();
    content.insert("type".into(), receipt.doc_type.value.into());
    content.insert(
        "customerContact".into(),
        receipt.customer_contact.clone().into(),
    );
    if let Some(agent_type) = receipt.agent_type {
        content.insert("agentType".into(), agent_type.into());
    }
    content.insert("positions".into(), positions.into());
    if let Some(close) = &receipt.check_close {
        let payments: Vec<Value> = close
            .payments
            .iter()
            .map(|(kind, amount)| serde_json::json!({"type": kind.value, "amount": amount.to_string()}))
            .collect();
        content.insert(
            "checkClose".into(),
            serde_json::json!({"taxationSystem": close.taxation_system.value, "payments": payments}),
        );
    }
    // The SDK's `""` for an unset INN or group, which reads back as unset.
    serde_json::json!({
        "inn": receipt.inn.clone().unwrap_or_default(),
        "group": receipt.group.clone().unwrap_or_default(),
        "skipAmountCheck": receipt.skip_amount_check,
        "content": content,
    })
}

fn save_payment(payment: &Payment) -> SavedPayment {
    let (method, short_pan) = match &payment.method {
        PaymentMethod::Card { short_pan } => ("card", Some(short_pan.clone())),
        PaymentMethod::Sbp => ("sbp", None),
        PaymentMethod::Bnpl => ("bnpl", None),
    };
    let (origin, success_url, fail_url, return_url) = match &payment.origin {
        Origin::Api {
            success_url,
            fail_url,
            return_url,
        } => (
            "api",
            success_url.clone(),
            fail_url.clone(),
            return_url.clone(),
        ),
        Origin::Hosted => ("hosted", None, None, None),
    };
    let (plan, planned_decline) = match payment.plan {
        Plan::Approve => ("approve", None),
        Plan::AskBuyer => ("ask_buyer", None),
        Plan::Decline(decline) => ("decline", Some(decline_name(decline).to_owned())),
    };
    let (progress, polls, finish) = match payment.progress {
        Progress::Paced { polls } => ("paced", polls, None),
        Progress::AwaitingBuyer => ("awaiting_buyer", 0, None),
        Progress::Finished(finish) => ("finished", 0, Some(finish)),
    };
    SavedPayment {
        method: method.to_owned(),
        short_pan,
        origin: origin.to_owned(),
        success_url,
        fail_url,
        return_url,
        plan: plan.to_owned(),
        planned_decline,
        progress: progress.to_owned(),
        polls,
        finished_at: finish.map(|f| f.at),
        decline: finish
            .and_then(|f| f.decline)
            .map(|d| decline_name(d).to_owned()),
        started_at: payment.started_at,
        operation_id: payment.operation_id.map(|id| id.to_string()),
        rrn: payment.rrn.clone(),
        ip_address: payment.ip_address.clone(),
    }
}

fn save_invoice(invoice: &Invoice) -> SavedInvoice {
    let terms = &invoice.terms;
    SavedInvoice {
        invoice_id: invoice.id,
        eshop_id: invoice.eshop_id,
        status: status_name(invoice.status).to_owned(),
        created_at: invoice.created_at,
        changed_at: invoice.changed_at,
        hold_until: invoice.hold_until,
        refund_amount: invoice.refund_amount.map(|a| a.to_string()),
        terms: SavedTerms {
            order_id: terms.order_id.clone(),
            service_name: terms.service_name.clone(),
            amount: terms.amount.to_string(),
            currency: terms.currency.clone(),
            user_name: terms.user_name.clone(),
            email: terms.email.clone(),
            success_url: terms.success_url.clone(),
            fail_url: terms.fail_url.clone(),
            back_url: terms.back_url.clone(),
            result_url: terms.result_url.clone(),
            expires_at: terms.expires_at,
            hold_seconds: terms.hold.map(|hold| hold.whole_seconds()),
            methods: SavedMethods {
                card: terms.methods.card,
                sbp: terms.methods.sbp,
                paylate: terms.methods.paylate,
            },
            language: terms.language.html_lang().to_owned(),
            user_fields: terms
                .user_fields
                .iter()
                .map(|f| SavedUserField {
                    index: f.index.clone(),
                    name: f.name.clone(),
                    value: f.value.clone(),
                })
                .collect(),
            merchant_receipt: terms.merchant_receipt.as_ref().map(save_receipt),
        },
        payment: invoice.payment.as_ref().map(save_payment),
    }
}

/// A text of at most `max` characters.
fn check_length(text: &str, max: usize, at: &str) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("{at}: longer than {max} characters"));
    }
    Ok(())
}

/// An address as CreateInvoice and the payment methods take them.
fn check_url(url: Option<&str>, at: &str) -> Result<(), String> {
    match url {
        Some(url) if !validate::is_url(url) => Err(format!(
            "{at}: {url:?} is not an absolute http(s) URL of at most 512 characters without spaces"
        )),
        _ => Ok(()),
    }
}

/// A masked card number: the first six digits and the last four, never
/// more (a full number must not be put back into the sandbox this way).
fn is_short_pan(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 16
        && bytes[..6].iter().all(u8::is_ascii_digit)
        && &bytes[6..12] == b"******"
        && bytes[12..].iter().all(u8::is_ascii_digit)
}

fn read_payment(saved: SavedPayment, at: &str) -> Result<Payment, String> {
    let method = match (saved.method.as_str(), saved.short_pan) {
        ("card", Some(short_pan)) if is_short_pan(&short_pan) => PaymentMethod::Card { short_pan },
        ("card", Some(short_pan)) => {
            return Err(format!(
                "{at}.short_pan: {short_pan:?} is not a masked card number (411111******1111)"
            ));
        }
        ("card", None) => return Err(format!("{at}.short_pan: a card payment needs one")),
        ("sbp" | "bnpl", Some(_)) => {
            return Err(format!(
                "{at}.short_pan: only a card payment has one, not {:?}",
                saved.method
            ));
        }
        ("sbp", None) => PaymentMethod::Sbp,
        ("bnpl", None) => PaymentMethod::Bnpl,
        (other, _) => {
            return Err(format!(
                "{at}.method: {other:?} is not {}",
                one_of(&["card", "sbp", "bnpl"])
            ));
        }
    };
    let origin = match saved.origin.as_str() {
        "api" => {
            check_url(saved.success_url.as_deref(), &format!("{at}.success_url"))?;
            check_url(saved.fail_url.as_deref(), &format!("{at}.fail_url"))?;
            check_url(saved.return_url.as_deref(), &format!("{at}.return_url"))?;
            Origin::Api {
                success_url: saved.success_url,
                fail_url: saved.fail_url,
                return_url: saved.return_url,
            }
        }
        "hosted" => {
            let given = [
                ("success_url", &saved.success_url),
                ("fail_url", &saved.fail_url),
                ("return_url", &saved.return_url),
            ];
            if let Some((name, _)) = given.iter().find(|(_, url)| url.is_some()) {
                return Err(format!(
                    "{at}.{name}: a payment started on the payment page has none"
                ));
            }
            Origin::Hosted
        }
        other => {
            return Err(format!(
                "{at}.origin: {other:?} is not {}",
                one_of(&["api", "hosted"])
            ));
        }
    };
    let plan = match (saved.plan.as_str(), saved.planned_decline.as_deref()) {
        ("approve", None) => Plan::Approve,
        ("ask_buyer", None) => Plan::AskBuyer,
        ("decline", Some(name)) => {
            Plan::Decline(read_decline(name, &format!("{at}.planned_decline"))?)
        }
        ("decline", None) => {
            return Err(format!(
                "{at}.planned_decline: a planned decline needs its reason"
            ));
        }
        ("approve" | "ask_buyer", Some(_)) => {
            return Err(format!(
                "{at}.planned_decline: only the plan \"decline\" has one"
            ));
        }
        (other, _) => {
            return Err(format!(
                "{at}.plan: {other:?} is not {}",
                one_of(&["approve", "ask_buyer", "decline"])
            ));
        }
    };
    let paced = saved.progress == "paced";
    if !paced && saved.polls != 0 {
        return Err(format!(
            "{at}.polls: only a paced payment counts polls, not an {:?} one",
            saved.progress
        ));
    }
    let finished = saved.progress == "finished";
    if !finished && (saved.finished_at.is_some() || saved.decline.is_some()) {
        return Err(format!(
            "{at}.progress: {:?} is not finished, yet it has finished_at or decline",
            saved.progress
        ));
    }
    let progress = match saved.progress.as_str() {
        "paced" => Progress::Paced { polls: saved.polls },
        "awaiting_buyer" => Progress::AwaitingBuyer,
        "finished" => {
            let at_time = saved
                .finished_at
                .ok_or_else(|| format!("{at}.finished_at: a finished payment needs one"))?;
            let decline = saved
                .decline
                .as_deref()
                .map(|name| read_decline(name, &format!("{at}.decline")))
                .transpose()?;
            Progress::Finished(Finish {
                decline,
                at: at_time,
            })
        }
        other => {
            return Err(format!(
                "{at}.progress: {other:?} is not {}",
                one_of(&["paced", "awaiting_buyer", "finished"])
            ));
        }
    };
    let operation_id = saved
        .operation_id
        .as_deref()
        .map(|id| {
            uuid::Uuid::parse_str(id)
                .map_err(|_| format!("{at}.operation_id: {id:?} is not a UUID"))
        })
        .transpose()?;
    let rrn_ok = saved.rrn.len() == 12 && saved.rrn.bytes().all(|b| b.is_ascii_digit());
    if !rrn_ok {
        return Err(format!("{at}.rrn: {:?} is not 12 digits", saved.rrn));
    }
    if let Some(ip) = &saved.ip_address
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err(format!("{at}.ip_address: {ip:?} is not an IP address"));
    }
    Ok(Payment {
        method,
        origin,
        plan,
        progress,
        started_at: saved.started_at,
        operation_id,
        rrn: saved.rrn,
        ip_address: saved.ip_address,
    })
}

impl super::State {
    /// The section, every invoice as stored (time's effects settle when it
    /// is read again, as they would have).
    pub fn snapshot_section(&self) -> Value {
        let mut invoices = self.invoices.filter_map(|_, i| Some(save_invoice(i)));
        invoices.sort_unstable_by_key(|i| i.invoice_id);
        let section = Section {
            next_invoice_id: self.invoice_ids.position(),
            invoices,
        };
        serde_json::to_value(section).unwrap_or(Value::Null)
    }

    /// Reads and checks a section; the install puts it in place.
    pub fn prepare_section(&self, section: &Value) -> Result<Install<'_>, SnapshotError> {
        if section.is_null() {
            return Ok(Box::new(move || self.reset()));
        }
        let section: Section = read_section(PREFIX, section)?;
        let malformed = |m: String| SnapshotError::Malformed(format!("{PREFIX}.{m}"));
        let mut seen = BTreeSet::new();
        // `(EshopId, OrderId)` → `InvoiceId`, for the shops that refuse a
        // repeated OrderId: what CreateInvoice claimed as it went.
        let mut order_ids: BTreeMap<(u32, String), u64> = BTreeMap::new();
        let mut invoices = Vec::with_capacity(section.invoices.len());
        for (index, saved) in section.invoices.into_iter().enumerate() {
            let id = saved.invoice_id;
            if !seen.insert(id) {
                return Err(malformed(format!(
                    "invoices[{index}].invoice_id: {id} appears twice"
                )));
            }
            if self.invoice_ids.held_elsewhere(id).is_some() {
                return Err(SnapshotError::Conflict(format!(
                    "invoice {id} belongs to another workspace of this instance: restore this snapshot there, or into a fresh instance"
                )));
            }
            let invoice = self
                .read_invoice(saved, &format!("invoices[{index}]"))
                .map_err(malformed)?;
            if self
                .shop(invoice.eshop_id)
                .is_some_and(|s| s.unique_order_id)
            {
                let key = (invoice.eshop_id, invoice.terms.order_id.clone());
                if let Some(first) = order_ids.insert(key, id) {
                    return Err(malformed(format!(
                        "invoices[{index}].terms.order_id: {:?} is invoice {first}'s already, and shop {} refuses a repeated OrderId",
                        invoice.terms.order_id, invoice.eshop_id
                    )));
                }
            }
            invoices.push(invoice);
        }
        let next_invoice_id = section.next_invoice_id;
        if let Some(last) = seen.last().filter(|&&last| next_invoice_id <= last) {
            return Err(malformed(format!(
                "next_invoice_id: {next_invoice_id} is not past invoice {last}, whose id would be handed out again"
            )));
        }
        Ok(Box::new(move || {
            self.invoices.clear();
            self.order_ids.clear();
            for invoice in invoices {
                self.invoice_ids.claim(invoice.id);
                self.invoices.insert(invoice.id, Box::new(invoice));
            }
            for (key, id) in order_ids {
                self.order_ids.insert(key, id);
            }
            self.invoice_ids.restore(next_invoice_id);
        }))
    }

    /// A saved invoice as the model keeps it, or what is wrong with it
    /// (named from `at`, its path without the prefix).
    fn read_invoice(&self, saved: SavedInvoice, at: &str) -> Result<Invoice, String> {
        let id = saved.invoice_id;
        if validate::parse_invoice_id(&id.to_string()).is_none() {
            return Err(format!(
                "{at}.invoice_id: {id} is not an InvoiceId (10 digits starting with 3)"
            ));
        }
        if self.shop(saved.eshop_id).is_none() {
            return Err(format!(
                "{at}.eshop_id: {} is not a shop of this workspace",
                saved.eshop_id
            ));
        }
        let status = STATUSES
            .into_iter()
            .find(|s| status_name(*s) == saved.status)
            .ok_or_else(|| {
                let names: Vec<&str> = STATUSES.into_iter().map(status_name).collect();
                format!("{at}.status: {:?} is not {}", saved.status, one_of(&names))
            })?;
        let terms = self.read_terms(saved.terms, &format!("{at}.terms"))?;
        // What the model keeps true: a hold has its end, a refund its
        // amount, and neither outlives its status.
        match (status, saved.hold_until) {
            (InvoiceStatus::Held, None) => {
                return Err(format!("{at}.hold_until: a held invoice needs one"));
            }
            (InvoiceStatus::Held, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(format!(
                    "{at}.hold_until: only a held invoice has one, not a {:?} one",
                    saved.status
                ));
            }
        }
        let refund_amount = match (status, saved.refund_amount.as_deref()) {
            (InvoiceStatus::Refunded, Some(text)) => {
                let amount = Amount::parse_decimal(text)
                    .map_err(|e| format!("{at}.refund_amount: {text:?}: {e}"))?;
                if amount.is_zero() || amount > terms.amount {
                    return Err(format!(
                        "{at}.refund_amount: {text:?} is not more than 0.00 and at most the invoice's {}",
                        terms.amount
                    ));
                }
                Some(amount)
            }
            (InvoiceStatus::Refunded, None) => {
                return Err(format!("{at}.refund_amount: a refunded invoice needs one"));
            }
            (_, Some(_)) => {
                return Err(format!(
                    "{at}.refund_amount: only a refunded invoice has one, not a {:?} one",
                    saved.status
                ));
            }
            (_, None) => None,
        };
        let payment = saved
            .payment
            .map(|p| read_payment(p, &format!("{at}.payment")))
            .transpose()?;
        Ok(Invoice {
            id,
            eshop_id: saved.eshop_id,
            terms,
            status,
            created_at: saved.created_at,
            changed_at: saved.changed_at,
            hold_until: saved.hold_until,
            refund_amount,
            payment,
        })
    }

    /// Saved terms checked as CreateInvoice checks them, against this
    /// workspace's fixture (its currencies).
    fn read_terms(&self, saved: SavedTerms, at: &str) -> Result<NewInvoice, String> {
        if saved.order_id.is_empty() {
            return Err(format!("{at}.order_id: empty"));
        }
        check_length(&saved.order_id, MAX_ORDER_ID, &format!("{at}.order_id"))?;
        check_length(
            &saved.service_name,
            MAX_SERVICE_NAME,
            &format!("{at}.service_name"),
        )?;
        check_length(&saved.user_name, MAX_USER_NAME, &format!("{at}.user_name"))?;
        let amount = Amount::parse_decimal(&saved.amount)
            .map_err(|e| format!("{at}.amount: {:?}: {e}", saved.amount))?;
        if amount < validate::MIN_AMOUNT {
            return Err(format!(
                "{at}.amount: {:?} is less than {}",
                saved.amount,
                validate::MIN_AMOUNT
            ));
        }
        if !self.fixture.currencies.contains(&saved.currency) {
            return Err(format!(
                "{at}.currency: {:?} is not one of the fixture's ({})",
                saved.currency,
                self.fixture.currencies.join(", ")
            ));
        }
        if !validate::is_email(&saved.email) {
            return Err(format!(
                "{at}.email: {:?} is not an e-mail address of at most 100 characters",
                saved.email
            ));
        }
        let urls = [
            ("success_url", &saved.success_url),
            ("fail_url", &saved.fail_url),
            ("back_url", &saved.back_url),
            ("result_url", &saved.result_url),
        ];
        for (name, url) in urls {
            check_url(url.as_deref(), &format!("{at}.{name}"))?;
        }
        let hold = match saved.hold_seconds {
            Some(seconds) if !(1..=MAX_HOLD_SECONDS).contains(&seconds) => {
                return Err(format!(
                    "{at}.hold_seconds: {seconds} is not 1 to {MAX_HOLD_SECONDS} seconds (HoldTime is at most 119 hours)"
                ));
            }
            hold => hold.map(Duration::seconds),
        };
        let m = &saved.methods;
        if !(m.card || m.sbp || m.paylate) {
            return Err(format!(
                "{at}.methods: an invoice allows at least one way to pay"
            ));
        }
        let methods = Methods {
            card: m.card,
            sbp: m.sbp,
            paylate: m.paylate,
        };
        let language = [Lang::Ru, Lang::En]
            .into_iter()
            .find(|l| l.html_lang() == saved.language)
            .ok_or_else(|| {
                format!(
                    "{at}.language: {:?} is not {}",
                    saved.language,
                    one_of(&["ru", "en"])
                )
            })?;
        let mut indices = BTreeSet::new();
        let mut user_fields = Vec::with_capacity(saved.user_fields.len());
        for (i, field) in saved.user_fields.into_iter().enumerate() {
            let index_ok = !field.index.is_empty()
                && field.index.len() <= 10
                && field.index.bytes().all(|b| b.is_ascii_alphanumeric());
            if !index_ok {
                return Err(format!(
                    "{at}.user_fields[{i}].index: {:?} is not 1 to 10 letters or digits",
                    field.index
                ));
            }
            if !indices.insert(field.index.to_ascii_lowercase()) {
                return Err(format!(
                    "{at}.user_fields[{i}].index: {:?} appears twice",
                    field.index
                ));
            }
            user_fields.push(UserField {
                index: field.index,
                name: field.name,
                value: field.value,
            });
        }
        let merchant_receipt = saved
            .merchant_receipt
            .map(|receipt| {
                Receipt::parse(&receipt.to_string(), amount)
                    .map_err(|e| format!("{at}.merchant_receipt: {e}"))
            })
            .transpose()?;
        Ok(NewInvoice {
            order_id: saved.order_id,
            service_name: saved.service_name,
            amount,
            currency: saved.currency,
            user_name: saved.user_name,
            email: saved.email,
            success_url: saved.success_url,
            fail_url: saved.fail_url,
            back_url: saved.back_url,
            result_url: saved.result_url,
            expires_at: saved.expires_at,
            hold,
            methods,
            language,
            user_fields,
            merchant_receipt,
        })
    }
}

/// IntellectMoney's head in a data directory: where `InvoiceId`s stand.
/// Nothing else it keeps besides invoices can change (no webhook target:
/// notifications go where each invoice or its shop's fixture says).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    next_invoice_id: u64,
}

/// The kind of rows IntellectMoney keeps in a data directory.
const INVOICES: &str = "invoices";

/// Durable state: the same rows a snapshot holds, one per invoice. The
/// `(EshopId, OrderId)` index is not kept: it is rebuilt as invoices load.
impl super::State {
    pub fn track_durable_changes(&self) {
        self.invoices.track_changes();
    }

    pub fn take_durable_changes(&self, out: &mut Vec<ObjectChange>) {
        let invoices = self.invoices.take_changes();
        let rows = invoices.keys.into_iter().map(|invoice_id| {
            let body = self
                .invoices
                .read(&invoice_id, |i| to_json(&save_invoice(i)));
            (invoice_id.to_string(), body)
        });
        ObjectChange::push_rows(out, INVOICES, invoices.cleared, rows);
    }

    /// What is kept besides invoices: the InvoiceId sequence.
    pub fn durable_head_section(&self) -> String {
        to_json(&Head {
            next_invoice_id: self.invoice_ids.position(),
        })
    }

    pub fn load_durable_head(&self, body: &str) -> Result<(), String> {
        let head: Head = serde_json::from_str(body).map_err(|e| e.to_string())?;
        self.invoice_ids.restore(head.next_invoice_id);
        Ok(())
    }

    pub fn load_durable_object(
        &self,
        kind: &str,
        row_id: &str,
        body: &str,
        touched: Option<OffsetDateTime>,
    ) -> Result<(), String> {
        if kind != INVOICES {
            return Err(format!("intellectmoney keeps no {kind}"));
        }
        let saved: SavedInvoice = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let invoice = self.read_invoice(saved, "invoice")?;
        let id = invoice.id;
        if id.to_string() != row_id {
            return Err(format!(
                "invoice.invoice_id: {id} is not the row's id {row_id:?}"
            ));
        }
        let eshop_id = invoice.eshop_id;
        let order_id = &invoice.terms.order_id;
        if self.shop(eshop_id).is_some_and(|s| s.unique_order_id)
            && !self.claim_order_id(eshop_id, order_id, id)
            && let Some(first) = self.invoice_of_order(eshop_id, order_id)
        {
            return Err(format!(
                "invoice.terms.order_id: {order_id:?} is invoice {first}'s already, and shop {eshop_id} refuses a repeated OrderId"
            ));
        }
        self.invoice_ids.claim(id);
        // The head's position was written at the last reset or control
        // request; creates since then moved it on.
        if id >= self.invoice_ids.position() {
            self.invoice_ids.restore(id + 1);
        }
        let invoice = Box::new(invoice);
        match touched {
            Some(at) => self.invoices.insert_touched(id, invoice, at),
            None => self.invoices.insert(id, invoice),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::Settings;
    use crate::core::cards::CardsFixture;
    use crate::core::clock::{Clock, FixedTime};
    use crate::core::directory::{Claims, Directory};
    use crate::core::fixtures::FixtureFile;
    use crate::core::ids::Ids;
    use crate::core::{Commons, Core, PublicUrl};
    use crate::providers::intellectmoney::{Fixture, State};

    const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
    /// The built-in fixture's shop, which refuses a repeated OrderId.
    const ESHOP: u32 = 450000;

    fn state_with(claims: Claims) -> State {
        let settings = Settings::default();
        let core = Core::new(
            &settings,
            Clock::new(Arc::new(FixedTime::new(T0))),
            Ids::claiming(7, claims),
            &Commons::new(&settings),
            PublicUrl::new("http://sandbox.test"),
            Arc::new(CardsFixture::builtin()),
        );
        State::new(core, Arc::new(Fixture::builtin()))
    }

    fn state() -> State {
        state_with(Claims::standalone())
    }

    fn terms(order_id: &str) -> NewInvoice {
        NewInvoice {
            order_id: order_id.into(),
            service_name: "Заказ".into(),
            amount: Amount::from_minor(1000),
            currency: "RUB".into(),
            user_name: "Иван Петров".into(),
            email: "buyer@example.com".into(),
            success_url: Some("https://shop.example/success".into()),
            fail_url: None,
            back_url: Some("https://shop.example/back".into()),
            result_url: None,
            expires_at: T0 + Duration::days(1),
            hold: None,
            methods: Methods::ALL,
            language: Lang::Ru,
            user_fields: Vec::new(),
            merchant_receipt: None,
        }
    }

    fn payment(method: PaymentMethod, plan: Plan, progress: Progress) -> Payment {
        Payment {
            method,
            origin: Origin::Api {
                success_url: Some("https://shop.example/bnpl-ok".into()),
                fail_url: None,
                return_url: None,
            },
            plan,
            progress,
            started_at: T0 + Duration::minutes(1),
            operation_id: None,
            rrn: "123456789012".into(),
            ip_address: Some("127.0.0.1".into()),
        }
    }

    fn ok_at(minutes: i64) -> Progress {
        Progress::Finished(Finish {
            decline: None,
            at: T0 + Duration::minutes(minutes),
        })
    }

    /// Opens an invoice as CreateInvoice does (an id drawn, the OrderId
    /// claimed), changed by `change`; its id.
    fn open(state: &State, order_id: &str, change: impl FnOnce(&mut Invoice)) -> u64 {
        let id = state.next_invoice_id();
        assert!(state.claim_order_id(ESHOP, order_id, id), "{order_id}");
        let mut invoice = Invoice {
            id,
            eshop_id: ESHOP,
            terms: terms(order_id),
            status: InvoiceStatus::Created,
            created_at: T0,
            changed_at: T0,
            hold_until: None,
            refund_amount: None,
            payment: None,
        };
        change(&mut invoice);
        state.invoices.insert(id, Box::new(invoice));
        id
    }

    /// Invoices in every state the model has, with every kind of payment.
    fn filled() -> State {
        let state = state();
        open(&state, "CREATED", |i| {
            i.terms.amount = Amount::from_minor(150_000);
            i.terms.language = Lang::En;
            i.terms.methods = Methods::from_preference(Some("Sbp,PayLate"));
            i.terms.hold = Some(Duration::hours(5));
            i.terms.user_fields = vec![UserField {
                index: "1".into(),
                name: Some("Комментарий".into()),
                value: None,
            }];
            let receipt = json!({
                "inn": "7700000000", "group": "",
                "content": {"type": 1, "customerContact": "buyer@example.com", "agentType": 1,
                    "positions": [
                        {"quantity": 2.0, "price": 500.0, "tax": 1, "text": "Чайник",
                         "paymentSubjectType": 1, "paymentMethodType": 4, "supplierInn": "770000000000"},
                        {"quantity": 0.5, "price": 1000, "tax": 6, "text": "Доставка"}],
                    "checkClose": {"taxationSystem": 1, "payments": [{"type": 2, "amount": 1500}]}}
            });
            i.terms.merchant_receipt =
                Some(Receipt::parse(&receipt.to_string(), i.terms.amount).unwrap());
        });
        open(&state, "PAID", |i| {
            i.status = InvoiceStatus::Paid;
            i.changed_at = T0 + Duration::minutes(2);
            let mut card = payment(
                PaymentMethod::Card {
                    short_pan: "411111******1111".into(),
                },
                Plan::Approve,
                ok_at(2),
            );
            card.origin = Origin::Api {
                success_url: None,
                fail_url: None,
                return_url: Some("https://shop.example/3ds-return".into()),
            };
            i.payment = Some(card);
        });
        open(&state, "HELD", |i| {
            i.terms.hold = Some(Duration::hours(72));
            i.status = InvoiceStatus::Held;
            i.hold_until = Some(T0 + Duration::hours(72));
            let mut sbp = payment(PaymentMethod::Sbp, Plan::AskBuyer, ok_at(3));
            sbp.origin = Origin::Hosted;
            sbp.ip_address = None;
            i.payment = Some(sbp);
        });
        open(&state, "REFUNDED", |i| {
            i.status = InvoiceStatus::Refunded;
            i.refund_amount = Some(Amount::from_minor(400));
            let mut bnpl = payment(PaymentMethod::Bnpl, Plan::AskBuyer, ok_at(4));
            bnpl.operation_id = Some(uuid::Uuid::from_u128(0x1234));
            i.payment = Some(bnpl);
        });
        open(&state, "EXPIRED", |i| {
            i.status = InvoiceStatus::Cancelled;
            i.changed_at = i.terms.expires_at;
            i.payment = Some(payment(
                PaymentMethod::Bnpl,
                Plan::Decline(Decline::Bnpl),
                Progress::Finished(Finish {
                    decline: Some(Decline::Expired),
                    at: i.terms.expires_at,
                }),
            ));
        });
        open(&state, "POLLED", |i| {
            i.payment = Some(payment(
                PaymentMethod::Card {
                    short_pan: "400000******0002".into(),
                },
                Plan::Decline(Decline::InsufficientFunds),
                Progress::Paced { polls: 2 },
            ));
        });
        open(&state, "AT-3DS", |i| {
            i.payment = Some(payment(
                PaymentMethod::Sbp,
                Plan::AskBuyer,
                Progress::AwaitingBuyer,
            ));
        });
        // An id handed out to a CreateInvoice that was refused: the
        // sequence stands past it.
        state.next_invoice_id();
        state
    }

    fn invoices(state: &State) -> Vec<Invoice> {
        let mut invoices = state.invoices.filter_map(|_, i| Some(Invoice::clone(i)));
        invoices.sort_unstable_by_key(|i| i.id);
        invoices
    }

    /// The section as an exported document carries it: through its text.
    fn exported(state: &State) -> Value {
        let text = serde_json::to_string(&state.snapshot_section()).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn a_restored_section_gives_the_same_invoices_the_same_order_ids_and_the_next_invoice_id() {
        // Arrange
        let from = filled();
        let section = exported(&from);
        let into = state();

        // Act
        into.prepare_section(&section).unwrap()();

        // Assert
        let restored = invoices(&into);
        assert_eq!(restored.len(), 7);
        assert_eq!(restored, invoices(&from));
        assert_eq!(into.invoice_ids.position(), from.invoice_ids.position());
        assert_eq!(exported(&into), section);
        let paid = restored[1].id;
        assert_eq!(into.invoice_of_order(ESHOP, "PAID"), Some(paid));
        assert!(!into.claim_order_id(ESHOP, "PAID", paid + 100));
        assert_eq!(into.next_invoice_id(), from.next_invoice_id());
    }

    #[test]
    fn a_section_holds_no_secret_and_no_card_number() {
        let state = filled();
        let shop = &state.fixture.shops[0];

        let text = state.snapshot_section().to_string();

        for secret in [&shop.secret_key, &shop.sign_secret_key, &shop.bearer_token] {
            assert!(!text.contains(secret.as_str()), "{secret} in {text}");
        }
        assert!(
            text.contains("\"short_pan\":\"411111******1111\""),
            "{text}"
        );
        assert!(!text.contains("4111111111111111"), "{text}");
    }

    #[test]
    fn a_section_has_the_documented_shape() {
        let state = state();
        let id = open(&state, "A-1", |i| {
            i.status = InvoiceStatus::Paid;
            i.payment = Some(payment(PaymentMethod::Sbp, Plan::AskBuyer, ok_at(2)));
        });

        let section = state.snapshot_section();

        assert_eq!(
            section,
            json!({
                "next_invoice_id": id + 1,
                "invoices": [{
                    "invoice_id": id, "eshop_id": ESHOP, "status": "paid",
                    "created_at": "2026-03-01T12:00:00Z", "changed_at": "2026-03-01T12:00:00Z",
                    "hold_until": null, "refund_amount": null,
                    "terms": {
                        "order_id": "A-1", "service_name": "Заказ", "amount": "10.00",
                        "currency": "RUB", "user_name": "Иван Петров",
                        "email": "buyer@example.com",
                        "success_url": "https://shop.example/success", "fail_url": null,
                        "back_url": "https://shop.example/back", "result_url": null,
                        "expires_at": "2026-03-02T12:00:00Z", "hold_seconds": null,
                        "methods": {"card": true, "sbp": true, "paylate": true},
                        "language": "ru", "user_fields": [], "merchant_receipt": null
                    },
                    "payment": {
                        "method": "sbp", "origin": "api",
                        "success_url": "https://shop.example/bnpl-ok",
                        "plan": "ask_buyer", "progress": "finished", "polls": 0,
                        "finished_at": "2026-03-01T12:02:00Z",
                        "started_at": "2026-03-01T12:01:00Z", "operation_id": null,
                        "rrn": "123456789012", "ip_address": "127.0.0.1"
                    }
                }]
            })
        );
    }

    #[test]
    fn a_malformed_field_is_refused_with_its_path_and_changes_nothing() {
        let from = filled();
        let section = exported(&from);
        let ids: Vec<u64> = invoices(&from).iter().map(|i| i.id).collect();
        let into = state();
        let kept = open(&into, "KEPT", |_| {});
        let (before, position) = (invoices(&into), into.invoice_ids.position());
        let cases: Vec<(&str, Value, String)> = vec![
            (
                "/invoices/1/status",
                json!("lost"),
                "invoices[1].status: \"lost\" is not \"created\", \"cancelled\", \"paid\", \"held\", \"partially_paid\" or \"refunded\"".into(),
            ),
            (
                "/invoices/1/terms/amount",
                json!("10,00"),
                "invoices[1].terms.amount: \"10,00\": an amount is digits with an optional dot and up to two decimals".into(),
            ),
            (
                "/invoices/1/eshop_id",
                json!(1),
                "invoices[1].eshop_id: 1 is not a shop of this workspace".into(),
            ),
            (
                "/invoices/1/terms/currency",
                json!("XXX"),
                "invoices[1].terms.currency: \"XXX\" is not one of the fixture's (RUB, RUR, TST, USD, EUR)".into(),
            ),
            (
                "/invoices/1/payment/short_pan",
                json!("4111111111111111"),
                "invoices[1].payment.short_pan: \"4111111111111111\" is not a masked card number (411111******1111)".into(),
            ),
            (
                "/invoices/1/refund_amount",
                json!("1.00"),
                "invoices[1].refund_amount: only a refunded invoice has one, not a \"paid\" one".into(),
            ),
            (
                "/invoices/2/terms/hold_seconds",
                json!(0),
                "invoices[2].terms.hold_seconds: 0 is not 1 to 428400 seconds (HoldTime is at most 119 hours)".into(),
            ),
            (
                "/invoices/2/hold_until",
                Value::Null,
                "invoices[2].hold_until: a held invoice needs one".into(),
            ),
            (
                "/invoices/5/payment/progress",
                json!("finished"),
                "invoices[5].payment.polls: only a paced payment counts polls, not an \"finished\" one".into(),
            ),
            (
                "/invoices/0/terms/merchant_receipt/content/positions/0/price",
                json!(1),
                "invoices[0].terms.merchant_receipt: Неверное значение параметра MerchantReceipt.content.positions: сумма позиций 502.00 не равна сумме счёта 1500.00".into(),
            ),
            (
                "/invoices/1/invoice_id",
                json!(ids[0]),
                format!("invoices[1].invoice_id: {} appears twice", ids[0]),
            ),
            (
                "/invoices/1/terms/order_id",
                json!("CREATED"),
                format!(
                    "invoices[1].terms.order_id: \"CREATED\" is invoice {}'s already, and shop 450000 refuses a repeated OrderId",
                    ids[0]
                ),
            ),
            (
                "/next_invoice_id",
                json!(ids[6]),
                format!(
                    "next_invoice_id: {0} is not past invoice {0}, whose id would be handed out again",
                    ids[6]
                ),
            ),
        ];
        for (pointer, value, expected) in cases {
            let mut document = section.clone();
            *document.pointer_mut(pointer).unwrap() = value;

            let error = into.prepare_section(&document).err().unwrap();

            assert_eq!(
                error.to_string(),
                format!("not a snapshot document: providers.intellectmoney.{expected}"),
                "{pointer}"
            );
            assert_eq!(invoices(&into), before, "{pointer} changed the invoices");
            assert_eq!(into.invoice_ids.position(), position, "{pointer}");
            assert_eq!(into.invoice_of_order(ESHOP, "KEPT"), Some(kept));
        }
    }

    #[test]
    fn fields_the_section_does_not_know_or_of_the_wrong_type_are_named_with_their_path() {
        let section = exported(&filled());
        let into = state();
        let mut unknown = section.clone();
        unknown["invoices"][1]["payment"]["cvv"] = json!("123");
        let mut wrong_date = section.clone();
        wrong_date["invoices"][3]["created_at"] = json!("yesterday");
        let cases = [
            (
                unknown,
                "invoices[1].payment.cvv: unknown field `cvv`, expected one of `method`, `short_pan`, `origin`, `success_url`, `fail_url`, `return_url`, `plan`, `planned_decline`, `progress`, `polls`, `finished_at`, `decline`, `started_at`, `operation_id`, `rrn`, `ip_address`",
            ),
            (
                wrong_date,
                "invoices[3].created_at: the 'year' component could not be parsed",
            ),
        ];
        for (document, expected) in cases {
            let error = into.prepare_section(&document).err().unwrap();

            assert!(matches!(error, SnapshotError::Malformed(_)), "{error}");
            assert_eq!(
                error.to_string(),
                format!("not a snapshot document: providers.intellectmoney.{expected}")
            );
        }
    }

    #[test]
    fn a_null_section_resets() {
        let state = filled();
        let fresh = self::state();

        state.prepare_section(&Value::Null).unwrap()();

        assert_eq!(state.invoice_count(), 0);
        assert_eq!(state.invoice_of_order(ESHOP, "PAID"), None);
        assert_eq!(state.invoice_ids.position(), fresh.invoice_ids.position());
    }

    #[test]
    fn an_invoice_whose_id_block_another_workspace_holds_is_a_conflict() {
        let directory = Arc::new(Directory::default());
        let one = state_with(Claims::new(Arc::clone(&directory), 1));
        let two = state_with(Claims::new(Arc::clone(&directory), 2));
        let id = open(&one, "A-1", |_| {});

        let error = two.prepare_section(&exported(&one)).err().unwrap();

        assert!(matches!(error, SnapshotError::Conflict(_)), "{error}");
        assert_eq!(
            error.to_string(),
            format!(
                "invoice {id} belongs to another workspace of this instance: restore this snapshot there, or into a fresh instance"
            )
        );
        assert_eq!(two.invoice_count(), 0);
    }

    /// The rows a data directory would be given since the last call, in
    /// id order.
    fn rows(state: &State) -> Vec<ObjectChange> {
        let mut rows = Vec::new();
        state.take_durable_changes(&mut rows);
        let id = |row: &ObjectChange| match row {
            ObjectChange::Saved { id, .. } | ObjectChange::Removed { id, .. } => id.clone(),
            ObjectChange::Cleared { .. } => String::new(),
        };
        rows.sort_by_key(id);
        rows
    }

    /// Loads a head and rows as start-up does: the head first.
    fn load(into: &State, head: &str, rows: &[ObjectChange]) {
        into.load_durable_head(head).unwrap();
        for row in rows {
            let ObjectChange::Saved { kind, id, body } = row else {
                panic!("not a saved row: {row:?}");
            };
            into.load_durable_object(kind, id, body, None).unwrap();
        }
    }

    #[test]
    fn rows_taken_after_a_create_a_payment_and_a_cancel_load_into_a_fresh_state_as_the_same_invoices()
     {
        // Arrange: the head as a reset wrote it, before any invoice.
        let from = state();
        from.track_durable_changes();
        let head = from.durable_head_section();
        let open_id = open(&from, "OPEN", |_| {});
        let held = open(&from, "HELD", |i| i.terms.hold = Some(Duration::hours(72)));
        let cancelled = open(&from, "CANCELLED", |_| {});
        from.update(held, |i| {
            i.payment = Some(payment(
                PaymentMethod::Card {
                    short_pan: "411111******1111".into(),
                },
                Plan::Approve,
                ok_at(2),
            ));
            (
                (),
                i.end_payment(Finish {
                    decline: None,
                    at: T0 + Duration::minutes(2),
                }),
            )
        });
        from.update(cancelled, |i| ((), i.cancel(T0).ok()));
        let rows = rows(&from);
        let into = state();

        // Act
        load(&into, &head, &rows);

        // Assert
        let kinds: Vec<(&str, String)> = rows
            .iter()
            .map(|row| match row {
                ObjectChange::Saved { kind, id, .. } => (*kind, id.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [open_id, held, cancelled].map(|id| ("invoices", id.to_string()))
        );
        let loaded = invoices(&into);
        assert_eq!(loaded, invoices(&from));
        let statuses: Vec<InvoiceStatus> = loaded.iter().map(|i| i.status).collect();
        assert_eq!(
            statuses,
            [
                InvoiceStatus::Created,
                InvoiceStatus::Held,
                InvoiceStatus::Cancelled
            ]
        );
        assert_eq!(into.invoice_ids.position(), cancelled + 1);
        assert_eq!(into.invoice_of_order(ESHOP, "HELD"), Some(held));
        assert!(!into.claim_order_id(ESHOP, "OPEN", cancelled + 100));
        assert_eq!(into.next_invoice_id(), from.next_invoice_id());
    }

    #[test]
    fn a_row_holds_the_snapshot_entry_of_its_invoice_and_the_head_the_next_invoice_id() {
        let state = filled();
        state.track_durable_changes();
        let id = open(&state, "ROW", |_| {});

        let rows = rows(&state);
        let head = state.durable_head_section();

        let [
            ObjectChange::Saved {
                kind,
                id: row_id,
                body,
            },
        ] = rows.as_slice()
        else {
            panic!("{rows:?}");
        };
        assert_eq!(
            (*kind, row_id.as_str()),
            ("invoices", id.to_string().as_str())
        );
        let entry = &exported(&state)["invoices"][7];
        assert_eq!(entry["invoice_id"], id);
        assert_eq!(&serde_json::from_str::<Value>(body).unwrap(), entry);
        assert_eq!(head, format!("{{\"next_invoice_id\":{}}}", id + 1));
    }

    #[test]
    fn an_invoice_the_clock_cancels_is_a_changed_row() {
        let state = state();
        state.track_durable_changes();
        let id = open(&state, "EXPIRES", |_| {});
        let created = rows(&state);
        state.core.clock.advance(Duration::days(2));

        state.settle_all();

        let changed = rows(&state);
        assert_eq!(created.len(), 1);
        let [ObjectChange::Saved { body, .. }] = changed.as_slice() else {
            panic!("{changed:?}");
        };
        let saved: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            (saved["invoice_id"].as_u64(), saved["status"].as_str()),
            (Some(id), Some("cancelled"))
        );
        assert_eq!(rows(&state), [], "nothing changed since");
    }

    #[test]
    fn a_cleared_store_gives_cleared_then_the_rows_after_it_and_a_removed_invoice_removed() {
        let state = state();
        open(&state, "BEFORE", |_| {});
        state.track_durable_changes();
        open(&state, "DROPPED", |_| {});

        state.reset();
        let after = open(&state, "AFTER", |_| {});
        let cleared = rows(&state);
        let body = state
            .invoices
            .read(&after, |i| to_json(&save_invoice(i)))
            .unwrap();
        state.invoices.remove(&after);
        let removed = rows(&state);

        assert_eq!(
            cleared,
            [
                ObjectChange::Cleared { kind: "invoices" },
                ObjectChange::Saved {
                    kind: "invoices",
                    id: after.to_string(),
                    body,
                }
            ]
        );
        assert_eq!(
            removed,
            [ObjectChange::Removed {
                kind: "invoices",
                id: after.to_string()
            }]
        );
    }

    #[test]
    fn a_row_that_does_not_read_back_is_refused_with_what_is_wrong_and_loads_nothing() {
        let from = state();
        from.track_durable_changes();
        let first = open(&from, "FIRST", |_| {});
        let ObjectChange::Saved { body, .. } = &rows(&from)[0] else {
            panic!("a saved row");
        };
        let entry: Value = serde_json::from_str(body).unwrap();
        let with = |pointer: &str, value: Value| {
            let mut entry = entry.clone();
            *entry.pointer_mut(pointer).unwrap() = value;
            entry.to_string()
        };
        let other = first + 1;
        let cases = [
            (
                "invoices",
                first.to_string(),
                with("/status", json!("lost")),
                "invoice.status: \"lost\" is not \"created\", \"cancelled\", \"paid\", \"held\", \"partially_paid\" or \"refunded\"".to_owned(),
            ),
            (
                "invoices",
                first.to_string(),
                with("/terms/currency", json!("XXX")),
                "invoice.terms.currency: \"XXX\" is not one of the fixture's (RUB, RUR, TST, USD, EUR)".to_owned(),
            ),
            (
                "invoices",
                first.to_string(),
                "{\"invoice_id\": 1".to_owned(),
                "EOF while parsing an object at line 1 column 16".to_owned(),
            ),
            (
                "invoices",
                other.to_string(),
                with("/invoice_id", json!(other)),
                format!("invoice.terms.order_id: \"FIRST\" is invoice {first}'s already, and shop 450000 refuses a repeated OrderId"),
            ),
            (
                "invoices",
                other.to_string(),
                body.clone(),
                format!("invoice.invoice_id: {first} is not the row's id \"{other}\""),
            ),
            ("payments", first.to_string(), body.clone(), "intellectmoney keeps no payments".to_owned()),
        ];
        let into = state();
        into.load_durable_object("invoices", &first.to_string(), body, None)
            .unwrap();
        let (before, position) = (invoices(&into), into.invoice_ids.position());
        for (kind, id, body, expected) in cases {
            let error = into.load_durable_object(kind, &id, &body, None).err();

            assert_eq!(error.as_deref(), Some(expected.as_str()), "{body}");
            assert_eq!(invoices(&into), before, "{body}");
            assert_eq!(into.invoice_ids.position(), position, "{body}");
        }
        assert_eq!(
            into.load_durable_head("{\"next_invoice_id\": 1, \"webhook_url\": null}"),
            Err(
                "unknown field `webhook_url`, expected `next_invoice_id` at line 1 column 36"
                    .to_owned()
            )
        );
    }
}
