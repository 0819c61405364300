//! Wire types of the answers: the envelope
//! `{OperationState, OperationId?, EshopId, Result{…, State}}` and what each
//! method puts in `Result`. Field order is the real API's.
//!
//! The same types are written as JSON (serde_json) and, for
//! `Accept: application/xml`, as XML (quick-xml) under a `<Response>` root.

use serde::Serialize;

/// `OperationState.Desc` of a processed request.
pub const OPERATION_OK: &str = "Успешно обработана";
/// `Result.State.Desc` of a successful method.
pub const STATE_OK: &str = "Успешно обработан";

/// The envelope of every API answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Envelope {
    pub operation_state: OperationState,
    /// BnplPayment only (a GUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Left out when the request named no known shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eshop_id: Option<u32>,
    /// Always present; `null` only when the request could not be processed
    /// at all (`OperationState.Code` not 0).
    pub result: Option<ResultBody>,
}

/// Whether the request was processed (it says nothing of the method's own
/// outcome, which is `Result.State`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = IntellectMoneyOperationState)]
pub struct OperationState {
    pub code: u32,
    pub desc: String,
}

impl OperationState {
    pub fn ok() -> Self {
        Self {
            code: 0,
            desc: OPERATION_OK.to_owned(),
        }
    }
}

/// The method's outcome; a refusal names the parameter at fault.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = IntellectMoneyState)]
pub struct State {
    pub code: u32,
    pub desc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_source_param: Option<String>,
}

impl State {
    pub fn ok() -> Self {
        Self {
            code: 0,
            desc: STATE_OK.to_owned(),
            error_source_param: None,
        }
    }
}

/// What `Result` holds, by method.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ResultBody {
    Invoice(CreatedInvoice),
    PaymentState(PaymentState),
    /// BankCardPayment, BnplPayment, SbpPayment, and every refusal.
    StateOnly(StateOnly),
}

/// `Result` of CreateInvoice. `PaymentWays` and `InvoiceIdSplits` are
/// optional in the real answer and left out (see `docs/intellectmoney.md`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatedInvoice {
    pub invoice_id: u64,
    pub state: State,
}

/// `Result` of GetBankCardPaymentState.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentState {
    pub payment_step: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rc_code_id: Option<u32>,
    #[serde(rename = "Form3DS", skip_serializing_if = "Option::is_none")]
    pub form3ds: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rrn: Option<String>,
    pub state: State,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateOnly {
    pub state: State,
}

/// The JSON text of `Form3DS` after SbpPayment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SbpForm {
    pub sbp_qr_code_url: String,
    pub sbp_qr_code_image: String,
}

// The envelope as the OpenAPI document describes it, one per kind of
// `Result`. The answers are written from `Envelope`, whose untagged
// `ResultBody` would make an ambiguous `oneOf` (a created invoice is also a
// valid `StateOnly`); these say instead what a client can rely on.

/// The answer of CreateInvoice (as XML: the same elements under
/// `<Response>`).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = IntellectMoneyInvoiceEnvelope)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct InvoiceEnvelope {
    operation_state: OperationState,
    /// Left out when the request named no known shop.
    eshop_id: Option<u32>,
    /// `null` when the request could not be processed at all
    /// (`OperationState.Code` not 0).
    #[schema(required = true)]
    result: Option<InvoiceResult>,
}

/// `Result` of CreateInvoice: `InvoiceId` on success, only `State` on a
/// refusal.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = IntellectMoneyInvoiceResult)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct InvoiceResult {
    invoice_id: Option<u64>,
    state: State,
}

/// The answer of GetBankCardPaymentState (as XML: the same elements under
/// `<Response>`).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = IntellectMoneyPaymentStateEnvelope)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct PaymentStateEnvelope {
    operation_state: OperationState,
    eshop_id: Option<u32>,
    #[schema(required = true)]
    result: Option<PaymentStateResult>,
}

/// `Result` of GetBankCardPaymentState; only `State` on a refusal.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = IntellectMoneyPaymentStateResult)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct PaymentStateResult {
    /// `Created`, `InProcess`, `SendTo3DS`, `Ok` or `Error`.
    payment_step: Option<String>,
    /// At `Ok` and `Error`: the bank's words.
    message: Option<String>,
    /// At `Ok` and `Error`: the bank's response code.
    rc_code_id: Option<u32>,
    /// At `SendTo3DS`: an HTML form to the 3-D Secure or PayLate page, or
    /// for SBP the JSON text `{SbpQrCodeUrl, SbpQrCodeImage}`.
    #[serde(rename = "Form3DS")]
    form3ds: Option<String>,
    /// At `Ok` and `Error`: the retrieval reference number.
    rrn: Option<String>,
    state: State,
}

/// The answer of BankCardPayment, BnplPayment, SbpPayment and of a method
/// paysandbox does not know (as XML: the same elements under `<Response>`).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = IntellectMoneyEnvelope)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct StateEnvelope {
    operation_state: OperationState,
    /// BnplPayment only (a GUID).
    operation_id: Option<String>,
    eshop_id: Option<u32>,
    #[schema(required = true)]
    result: Option<StateResult>,
}

/// `Result` holding only `State`.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = IntellectMoneyStateResult)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct StateResult {
    state: State,
}

impl Envelope {
    /// The answer as JSON text.
    pub fn to_json(&self) -> String {
        // Serializing plain structs of strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The answer as an XML document with a `<Response>` root.
    pub fn to_xml(&self) -> String {
        let body = quick_xml::se::to_string_with_root("Response", self).unwrap_or_default();
        // The serializer escapes markup but not characters XML 1.0 forbids
        // outright (a method name from the path with `%01` in it): those
        // become U+FFFD, so the answer is always well-formed.
        let body: String = body
            .chars()
            .map(|c| {
                if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> Envelope {
        Envelope {
            operation_state: OperationState::ok(),
            operation_id: None,
            eshop_id: Some(450000),
            result: Some(ResultBody::Invoice(CreatedInvoice {
                invoice_id: 3000000001,
                state: State::ok(),
            })),
        }
    }

    #[test]
    fn the_json_envelope_has_the_real_field_names_and_order() {
        assert_eq!(
            created().to_json(),
            r#"{"OperationState":{"Code":0,"Desc":"Успешно обработана"},"EshopId":450000,"Result":{"InvoiceId":3000000001,"State":{"Code":0,"Desc":"Успешно обработан"}}}"#
        );
    }

    #[test]
    fn the_xml_envelope_carries_the_same_elements() {
        assert_eq!(
            created().to_xml(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><OperationState><Code>0</Code><Desc>Успешно обработана</Desc></OperationState><EshopId>450000</EshopId><Result><InvoiceId>3000000001</InvoiceId><State><Code>0</Code><Desc>Успешно обработан</Desc></State></Result></Response>"
        );
    }

    #[test]
    fn an_unprocessed_request_has_a_null_result() {
        let envelope = Envelope {
            operation_state: OperationState {
                code: 1,
                desc: "x".into(),
            },
            operation_id: None,
            eshop_id: None,
            result: None,
        };
        assert_eq!(
            envelope.to_json(),
            r#"{"OperationState":{"Code":1,"Desc":"x"},"Result":null}"#
        );
        assert_eq!(
            envelope.to_xml(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><OperationState><Code>1</Code><Desc>x</Desc></OperationState><Result/></Response>"
        );
    }
}
