//! Errors of paysandbox's IMSHOP side (`/imshop/sync`, `/imshop/runs`),
//! answered in IMSHOP's own shape: `{"success": false, "error": "..."}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ImshopError {
    /// 400: the body or path is not what the endpoint takes.
    #[error("{0}")]
    BadRequest(String),
    /// 404: no such run.
    #[error("{0}")]
    NotFound(String),
    /// 409: the run is not waiting for what was sent.
    #[error("{0}")]
    Conflict(String),
    /// 503: every run slot holds a run in progress.
    #[error("{0}")]
    Busy(String),
}

impl ImshopError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The body as JSON, also for the OpenAPI document's examples, so they
    /// agree with the answers.
    pub fn example(&self) -> serde_json::Value {
        refusal(&self.to_string())
    }
}

/// `{"success": false, "error"}`: IMSHOP's refusal, whatever the status.
pub fn refusal(error: &str) -> serde_json::Value {
    json!({"success": false, "error": error})
}

/// IMSHOP's answer as the OpenAPI document describes it: `success`, and
/// `error` when it is `false`.
#[derive(utoipa::ToSchema)]
#[schema(as = ImshopAnswer)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct AnswerView {
    success: bool,
    /// Why, when `success` is `false`.
    error: Option<String>,
}

impl IntoResponse for ImshopError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.example())).into_response()
    }
}

impl From<JsonRejection> for ImshopError {
    fn from(rejection: JsonRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ImshopError {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// `Path` whose rejections are answered in IMSHOP's shape.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ImshopError))]
pub struct ImshopPath<T>(pub T);
