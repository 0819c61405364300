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
}

impl CoreError {
    fn code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        }
    }
}

impl IntoResponse for CoreError {
    fn into_response(self) -> Response {
        let (status, code) = self.code();
        let body = Json(json!({"error": {"code": code, "message": self.to_string()}}));
        (status, body).into_response()
    }
}

impl From<JsonRejection> for CoreError {
    fn from(rejection: JsonRejection) -> Self {
        Self::BadRequest(rejection.body_text())
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
