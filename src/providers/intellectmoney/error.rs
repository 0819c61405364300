//! IntellectMoney's refusals and how they are written.
//!
//! Every answer is HTTP 200: the official PHP SDK drops the body of any
//! other status, so an error must travel inside the envelope. Two tiers, as
//! in the real envelope:
//! - a request that cannot be processed at all (unreadable body, unknown
//!   method) has a non-zero `OperationState.Code` and `Result: null`;
//! - a request the method refuses has `OperationState.Code` 0 and a non-zero
//!   `Result.State.Code` with `ErrorSourceParam` naming the parameter.
//!
//! The real numeric table is not published; these codes are paysandbox's
//! own (see the table of `docs/intellectmoney.md`, marked inferred).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::receipt::ReceiptError;
use super::request::{BodyError, Format};
use super::wire::{Envelope, OperationState, ResultBody, State, StateOnly};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntellectMoneyError {
    /// `OperationState.Code` 1, `Result` null.
    #[error("Неверный формат запроса: {}", unreadable(.0))]
    Unreadable(#[from] BodyError),
    /// `OperationState.Code` 1, `Result` null (transport: body too large).
    #[error("{0}")]
    Transport(String),
    /// `OperationState.Code` 2, `Result` null.
    #[error("Метод {0} не найден")]
    UnknownMethod(String),
    /// `Result.State.Code` 2.
    #[error("Не передан обязательный параметр {0}")]
    Missing(&'static str),
    /// `Result.State.Code` 3.
    #[error("Неверное значение параметра {param}: {reason}")]
    Invalid { param: &'static str, reason: String },
    /// `Result.State.Code` 4; the parameter is `Hash` or `Sign`.
    #[error("Неверная подпись запроса ({0})")]
    BadSignature(&'static str),
    /// `Result.State.Code` 5; `ErrorSourceParam` `Authorization`.
    #[error("Ошибка авторизации: {0}")]
    Unauthorized(&'static str),
    /// `Result.State.Code` 6; `ErrorSourceParam` `EshopId`.
    #[error("Магазин {0} не найден")]
    UnknownShop(String),
    /// `Result.State.Code` 7; `ErrorSourceParam` `InvoiceId`.
    #[error("Счёт {0} не найден")]
    UnknownInvoice(String),
    /// `Result.State.Code` 8; `ErrorSourceParam` `OrderId`.
    #[error("Номер покупки {0} уже использован в этом магазине")]
    DuplicateOrderId(String),
    /// `Result.State.Code` 9; `ErrorSourceParam` `InvoiceId`.
    #[error("Операция недоступна: {0}")]
    NotAllowed(&'static str),
    /// `Result.State.Code` 10; `ErrorSourceParam` `InvoiceId`.
    #[error("Срок оплаты счёта истёк")]
    Expired,
    /// A defect in `MerchantReceipt`: `Result.State.Code` 2 (a member is
    /// missing) or 3 (a value is wrong), as for any parameter, because
    /// IntellectMoney publishes no codes of its own for a receipt;
    /// `ErrorSourceParam` is the member's path
    /// (`MerchantReceipt.content.positions[1].price`).
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
}

pub type Result<T, E = IntellectMoneyError> = std::result::Result<T, E>;

/// Why a body could not be read, in IntellectMoney's words.
fn unreadable(error: &BodyError) -> String {
    match error {
        BodyError::NotUtf8 => "тело запроса не в кодировке UTF-8".to_owned(),
        BodyError::Json(reason) => format!("неверный JSON: {reason}"),
        BodyError::Xml(reason) => format!("неверный XML: {reason}"),
        BodyError::XmlDoctype => {
            "XML с объявлением DOCTYPE или сущностей не принимается".to_owned()
        }
        BodyError::Form => "неверные данные формы".to_owned(),
    }
}

impl IntellectMoneyError {
    pub fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            param,
            reason: reason.into(),
        }
    }

    /// `Result.State.Code`, or `None` for a request not processed at all.
    pub fn state_code(&self) -> Option<u32> {
        Some(match self {
            Self::Unreadable(_) | Self::Transport(_) | Self::UnknownMethod(_) => return None,
            Self::Missing(_) => 2,
            Self::Invalid { .. } => 3,
            Self::BadSignature(_) => 4,
            Self::Unauthorized(_) => 5,
            Self::UnknownShop(_) => 6,
            Self::UnknownInvoice(_) => 7,
            Self::DuplicateOrderId(_) => 8,
            Self::NotAllowed(_) => 9,
            Self::Expired => 10,
            Self::Receipt(ReceiptError::Missing(_)) => 2,
            Self::Receipt(ReceiptError::Invalid { .. }) => 3,
        })
    }

    /// `ErrorSourceParam`: the parameter at fault.
    pub fn source_param(&self) -> Option<&str> {
        match self {
            Self::Unreadable(_) | Self::Transport(_) | Self::UnknownMethod(_) => None,
            Self::Missing(p) | Self::BadSignature(p) => Some(p),
            Self::Invalid { param, .. } => Some(param),
            Self::Unauthorized(_) => Some("Authorization"),
            Self::UnknownShop(_) => Some("EshopId"),
            Self::UnknownInvoice(_) | Self::NotAllowed(_) | Self::Expired => Some("InvoiceId"),
            Self::DuplicateOrderId(_) => Some("OrderId"),
            Self::Receipt(e) => Some(e.field()),
        }
    }

    /// The JSON answer of this refusal, for the OpenAPI document's
    /// examples: written by the code that writes the answers, so they agree.
    pub fn example(&self, eshop_id: Option<u32>) -> serde_json::Value {
        serde_json::to_value(self.envelope(eshop_id)).unwrap_or_default()
    }

    /// The XML answer of this refusal, for the OpenAPI document's examples.
    pub fn example_xml(&self, eshop_id: Option<u32>) -> String {
        self.envelope(eshop_id).to_xml()
    }

    /// The envelope of this refusal.
    pub fn envelope(&self, eshop_id: Option<u32>) -> Envelope {
        match self.state_code() {
            None => Envelope {
                operation_state: OperationState {
                    code: if matches!(self, Self::UnknownMethod(_)) {
                        2
                    } else {
                        1
                    },
                    desc: self.to_string(),
                },
                operation_id: None,
                eshop_id,
                result: None,
            },
            Some(code) => Envelope {
                operation_state: OperationState::ok(),
                operation_id: None,
                eshop_id,
                result: Some(ResultBody::StateOnly(StateOnly {
                    state: State {
                        code,
                        desc: self.to_string(),
                        error_source_param: self.source_param().map(str::to_owned),
                    },
                })),
            },
        }
    }
}

/// An answer in the format the client asked for.
#[derive(Debug)]
pub struct Reply {
    pub format: Format,
    pub envelope: Envelope,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let (content_type, body) = match self.format {
            Format::Json => ("application/json; charset=utf-8", self.envelope.to_json()),
            Format::Xml => ("application/xml; charset=utf-8", self.envelope.to_xml()),
        };
        (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
    }
}

/// Without a known format or shop (transport refusals): JSON, 200.
impl IntoResponse for IntellectMoneyError {
    fn into_response(self) -> Response {
        Reply {
            format: Format::Json,
            envelope: self.envelope(None),
        }
        .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_its_parameter_with_a_processed_operation_state() {
        let envelope = IntellectMoneyError::BadSignature("Hash").envelope(Some(450000));
        assert_eq!(
            envelope.to_json(),
            r#"{"OperationState":{"Code":0,"Desc":"Успешно обработана"},"EshopId":450000,"Result":{"State":{"Code":4,"Desc":"Неверная подпись запроса (Hash)","ErrorSourceParam":"Hash"}}}"#
        );
    }

    #[test]
    fn a_receipt_refusal_names_the_member_by_its_path_with_the_parameter_codes() {
        let invalid = IntellectMoneyError::from(ReceiptError::Invalid {
            field: "MerchantReceipt.content.positions[1].price".into(),
            reason: "цена — неотрицательное число".into(),
        });
        let missing =
            IntellectMoneyError::from(ReceiptError::Missing("MerchantReceipt.content.type".into()));

        assert_eq!(
            invalid.envelope(Some(450000)).to_json(),
            r#"{"OperationState":{"Code":0,"Desc":"Успешно обработана"},"EshopId":450000,"Result":{"State":{"Code":3,"Desc":"Неверное значение параметра MerchantReceipt.content.positions[1].price: цена — неотрицательное число","ErrorSourceParam":"MerchantReceipt.content.positions[1].price"}}}"#
        );
        assert_eq!(missing.state_code(), Some(2));
        assert_eq!(missing.source_param(), Some("MerchantReceipt.content.type"));
    }

    #[test]
    fn an_unreadable_request_has_a_non_zero_operation_state_and_null_result() {
        let envelope = IntellectMoneyError::Unreadable(BodyError::XmlDoctype).envelope(None);
        assert_eq!(
            envelope.to_json(),
            r#"{"OperationState":{"Code":1,"Desc":"Неверный формат запроса: XML с объявлением DOCTYPE или сущностей не принимается"},"Result":null}"#
        );
    }

    #[test]
    fn every_refusal_has_a_distinct_code_and_a_parameter() {
        let refusals = [
            IntellectMoneyError::Missing("OrderId"),
            IntellectMoneyError::invalid("Email", "x"),
            IntellectMoneyError::BadSignature("Sign"),
            IntellectMoneyError::Unauthorized("x"),
            IntellectMoneyError::UnknownShop("1".into()),
            IntellectMoneyError::UnknownInvoice("1".into()),
            IntellectMoneyError::DuplicateOrderId("A".into()),
            IntellectMoneyError::NotAllowed("x"),
            IntellectMoneyError::Expired,
        ];
        let codes: Vec<u32> = refusals.iter().filter_map(|e| e.state_code()).collect();
        assert_eq!(codes, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert!(refusals.iter().all(|e| e.source_param().is_some()));
    }
}
