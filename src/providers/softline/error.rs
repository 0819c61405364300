//! Softline's error envelope, `{"errors":[{"error":N,"message":"..."}]}`,
//! with the exact texts of the documentation.
//!
//! A [`Problem`] is one entry of the envelope; [`SoftlineError`] is a whole
//! answer and picks the HTTP status. Codes and messages live here and
//! nowhere else, so a forced scenario and a natural failure cannot differ.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One entry of a 400 answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Problem {
    /// 110: the body is not a JSON object.
    InvalidJson,
    /// 111: `Content-Type` is not `application/json`.
    ContentType,
    /// 6000: a well-formed currency that the merchant has not enabled.
    CurrencyNotEnabled,
    /// 6010: a missing, unknown, mistyped, `null`, over-long or malformed
    /// parameter; the name is dotted for nested ones (`customer.email`).
    InvalidField(String),
    /// 6020: a locale outside the merchant's list.
    LocaleNotFound,
    /// 6030: a zero amount without `recurring_indicator: true`.
    ZeroAmount,
    /// 6060: `customer.email` is not `name@domain.zone`.
    Email,
    /// 6080: unknown method, or one that does not take the currency or needs
    /// a company.
    MethodNotAvailable,
    /// 6090: the amount is outside the method's range.
    AmountNotAvailable,
    /// 6100: `recurring_indicator: true` with a method without auto-payments.
    RecurringNotSupported,
}

impl Problem {
    pub fn field(name: impl Into<String>) -> Self {
        Self::InvalidField(name.into())
    }

    pub fn code(&self) -> u32 {
        match self {
            Self::InvalidJson => 110,
            Self::ContentType => 111,
            Self::CurrencyNotEnabled => 6000,
            Self::InvalidField(_) => 6010,
            Self::LocaleNotFound => 6020,
            Self::ZeroAmount => 6030,
            Self::Email => 6060,
            Self::MethodNotAvailable => 6080,
            Self::AmountNotAvailable => 6090,
            Self::RecurringNotSupported => 6100,
        }
    }

    /// The message, byte for byte as the documentation prints it.
    pub fn message(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::InvalidJson => "JSON is not valid.",
            Self::ContentType => "Invalid data format (Content-type).",
            Self::CurrencyNotEnabled => {
                "Unable to generate payment. Please contact technical support."
            }
            Self::InvalidField(name) => {
                return Cow::Owned(format!("Invalid field value: {name}."));
            }
            Self::LocaleNotFound => "Locale not found.",
            // The documentation's text starts with a Cyrillic capital Es
            // (U+0421), not a Latin C; clients comparing bytes expect it.
            Self::ZeroAmount => {
                "\u{0421}reation of zero-amount payments is not available. Enable recurring_indicator = true or set the amount strictly greater than zero."
            }
            Self::Email => {
                "Email field is filled out incorrectly. Expected format: [name]@[domain].[zone]"
            }
            Self::MethodNotAvailable => {
                "This payment method is not available. Change payment method (payment_method)."
            }
            Self::AmountNotAvailable => {
                "This payment method is not available for this payment amount. Change payment method (payment_method)."
            }
            Self::RecurringNotSupported => {
                "This payment method does not support recurring payments. Change payment method (payment_method)."
            }
        })
    }
}

/// Why a token was refused (the 401 table shared by every token API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// 1007 `Your token is invalid.`
    Invalid,
    /// 1008 `Missing token.`
    Missing,
    /// 1009 `Your token is expired.`
    Expired,
}

impl AuthFailure {
    pub fn code(self) -> u32 {
        match self {
            Self::Invalid => 1007,
            Self::Missing => 1008,
            Self::Expired => 1009,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "Your token is invalid.",
            Self::Missing => "Missing token.",
            Self::Expired => "Your token is expired.",
        }
    }
}

/// A whole error answer of the Softline API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoftlineError {
    /// 400 with one entry per problem, in the order given.
    #[error("bad request: {0:?}")]
    BadRequest(Vec<Problem>),
    /// 401 with 1007, 1008 or 1009.
    #[error("unauthorized: {}", .0.message())]
    Unauthorized(AuthFailure),
    /// 401 `{"error":401,"message":"Invalid credentials."}`: `login_check`
    /// with an unknown user or a wrong password (code inferred).
    #[error("invalid credentials")]
    BadCredentials,
    /// 404 `{"error":404,"message":"Order not found."}` (inferred).
    #[error("order not found")]
    OrderNotFound,
    /// 404 `{"error":404,"message":"Invalid request URL."}`: no such endpoint.
    #[error("unknown path")]
    UnknownPath,
    /// 405 `{"error":405,"message":"Method not allowed."}`.
    #[error("method not allowed")]
    MethodNotAllowed,
}

pub type Result<T, E = SoftlineError> = std::result::Result<T, E>;

impl From<Problem> for SoftlineError {
    fn from(problem: Problem) -> Self {
        Self::BadRequest(vec![problem])
    }
}

/// The envelope on the wire.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub errors: Vec<ErrorItem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    pub error: u32,
    pub message: Cow<'static, str>,
}

impl ErrorItem {
    fn new(error: u32, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            error,
            message: message.into(),
        }
    }
}

impl SoftlineError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::OrderNotFound | Self::UnknownPath => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    /// The body as JSON, for the OpenAPI document's examples: written
    /// from the same codes and messages as the answers, so they agree.
    pub fn example(&self) -> serde_json::Value {
        serde_json::to_value(self.body()).unwrap_or_default()
    }

    pub fn body(&self) -> ErrorBody {
        let errors = match self {
            Self::BadRequest(problems) => problems
                .iter()
                .map(|p| ErrorItem::new(p.code(), p.message()))
                .collect(),
            Self::Unauthorized(failure) => vec![ErrorItem::new(failure.code(), failure.message())],
            Self::BadCredentials => vec![ErrorItem::new(401, "Invalid credentials.")],
            Self::OrderNotFound => vec![ErrorItem::new(404, "Order not found.")],
            Self::UnknownPath => vec![ErrorItem::new(404, "Invalid request URL.")],
            Self::MethodNotAllowed => vec![ErrorItem::new(405, "Method not allowed.")],
        };
        ErrorBody { errors }
    }
}

impl IntoResponse for SoftlineError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.body())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zero_amount_message_keeps_the_cyrillic_first_letter() {
        let message = Problem::ZeroAmount.message();
        assert!(message.starts_with('\u{0421}'));
        assert_eq!(&message.as_bytes()[..2], [0xD0, 0xA1]);
    }

    #[test]
    fn a_field_problem_names_the_field_with_a_final_full_stop() {
        assert_eq!(
            Problem::field("customer.email").message(),
            "Invalid field value: customer.email."
        );
    }

    #[test]
    fn each_answer_has_its_status_and_envelope() {
        let error = SoftlineError::BadRequest(vec![Problem::InvalidJson, Problem::LocaleNotFound]);
        let body = serde_json::to_value(error.body()).unwrap();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            serde_json::json!({"errors": [
                {"error": 110, "message": "JSON is not valid."},
                {"error": 6020, "message": "Locale not found."}
            ]})
        );
        assert_eq!(
            SoftlineError::Unauthorized(AuthFailure::Expired).status(),
            StatusCode::UNAUTHORIZED
        );
    }
}
