//! IntellectMoney merchant API (`https://api.intellectmoney.ru/`), served
//! under `/intellectmoney`.

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
pub const NAME: &str = "intellectmoney";

/// IntellectMoney's share of the application state.
#[derive(Clone, Debug)]
pub struct State {
    pub core: Core,
    pub fixture: Arc<Fixture>,
}

impl State {
    pub fn new(core: Core, fixture: Arc<Fixture>) -> Self {
        Self { core, fixture }
    }

    /// Forgets every invoice and payment.
    pub fn reset(&self) {}
}

/// Every route of this provider, documented for the OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

/// A transport-level refusal in IntellectMoney's envelope. The official SDK
/// drops the body of any status but 200, so the status stays 200.
pub fn transport_error(_status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "OperationState": {"Code": 1, "Desc": message},
        "Result": null,
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// The registered spelling of an IntellectMoney path given in any letter
/// case (`/intellectmoney/merchant/createinvoice` →
/// `/intellectmoney/merchant/createInvoice`); `None` for other paths.
pub fn canonical_path(_path: &str) -> Option<String> {
    None
}
