//! Errors of the control plane (`/__sandbox/`), answered as
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// 400: the body or query is not what the endpoint takes.
    #[error("{0}")]
    BadRequest(String),
    /// 404: no such object.
    #[error("{0}")]
    NotFound(String),
    /// 409: the object is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// 405: the path exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 413: the body is larger than `max_body_bytes`.
    #[error("{0}")]
    TooLarge(String),
    /// 503: the change could not be kept (`--data-dir`).
    #[error("{0}")]
    Unavailable(String),
}

impl CoreError {
    fn code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    }
}

impl CoreError {
    /// The body as JSON, for the OpenAPI document's examples: written by
    /// the code that writes the answers, so they agree.
    pub fn example(&self) -> serde_json::Value {
        self.body()
    }

    fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code().1, "message": self.to_string()}})
    }
}

impl IntoResponse for CoreError {
    fn into_response(self) -> Response {
        (self.code().0, Json(self.body())).into_response()
    }
}

impl From<JsonRejection> for CoreError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge(rejection.body_text())
        } else {
            Self::BadRequest(rejection.body_text())
        }
    }
}

impl From<QueryRejection> for CoreError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// `Json` whose rejections are answered in the control plane's format.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(CoreError))]
pub struct AdminJson<T>(pub T);

/// `Query` whose rejections are answered in the control plane's format.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(CoreError))]
pub struct AdminQuery<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for CoreError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// `Path` whose rejections are answered in the control plane's format.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(CoreError))]
pub struct AdminPath<T>(pub T);

/// The control plane's refusal: `{"error": {"code", "message"}}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"error": {"code": "not_found", "message": "no workspace named \"ci-7\""}}))]
pub struct ControlRefusal {
    pub error: RefusalDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RefusalDetail {
    /// `bad_request`, `conflict`, `not_found`, `workspace_limit`,
    /// `unauthorized`…
    pub code: String,
    pub message: String,
}
