//! IMSHOP.IO as the caller of a merchant's payments webhook, served under
//! `/imshop` (the async status sync URL and runs).

pub mod fixture;
pub mod scenarios;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use fixture::Fixture;

use crate::core::Core;
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The journal's name for this provider.
pub const NAME: &str = "imshop";

/// IMSHOP's share of the application state.
#[derive(Clone, Debug)]
pub struct State {
    pub core: Core,
    pub fixture: Arc<Fixture>,
}

impl State {
    pub fn new(core: Core, fixture: Arc<Fixture>) -> Self {
        Self { core, fixture }
    }

    /// Forgets every run.
    pub fn reset(&self) {}
}

/// Every route of this provider, documented for the OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

/// A transport-level refusal in IMSHOP's `{success: false, error}` shape.
pub fn transport_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({"success": false, "error": message});
    (status, axum::Json(body)).into_response()
}
