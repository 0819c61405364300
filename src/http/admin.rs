//! The control plane under `/__sandbox/`: reset, the sandbox clock, the
//! journal and the webhook outbox. Provider-specific controls (Softline's
//! webhook URL, IntellectMoney's invoice actions) live in the providers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::core::Core;
use crate::core::error::{AdminJson, AdminPath, AdminQuery, CoreError};
use crate::core::journal::{EntryKind, Query};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reset", post(reset))
        .route("/clock", get(get_clock))
        .route("/clock/advance", post(advance_clock))
        .route("/journal", get(get_journal))
        .route("/webhooks", get(list_webhooks))
        .route("/webhooks/{id}", get(get_webhook))
        .route("/webhooks/{id}/redeliver", post(redeliver_webhook))
}

/// `POST /__sandbox/reset`: forget everything, clock back to real time.
async fn reset(State(state): State<AppState>) -> impl IntoResponse {
    state.reset();
    tracing::info!("sandbox reset");
    Json(json!({"reset": true}))
}

#[derive(Debug, Serialize)]
struct ClockResponse {
    now: String,
    offset_seconds: i64,
}

fn clock_response(core: &Core) -> Json<ClockResponse> {
    Json(ClockResponse {
        now: core
            .clock
            .now()
            .format(&Rfc3339)
            .unwrap_or_else(|_| "invalid".to_owned()),
        offset_seconds: core.clock.offset().whole_seconds(),
    })
}

/// `GET /__sandbox/clock`.
async fn get_clock(State(core): State<Core>) -> Json<ClockResponse> {
    clock_response(&core)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceRequest {
    seconds: i64,
}

/// The most the clock moves in one call (about 100 years): beyond that
/// timestamps stop being representable.
const MAX_ADVANCE_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// `POST /__sandbox/clock/advance {"seconds": N}`: moves the sandbox clock;
/// webhook retries that become due are sent at once.
async fn advance_clock(
    State(core): State<Core>,
    AdminJson(body): AdminJson<AdvanceRequest>,
) -> Result<Json<ClockResponse>, CoreError> {
    if body.seconds.abs() > MAX_ADVANCE_SECONDS {
        return Err(CoreError::BadRequest(format!(
            "seconds must be within ±{MAX_ADVANCE_SECONDS}"
        )));
    }
    core.clock.advance(time::Duration::seconds(body.seconds));
    core.outbox.wake();
    Ok(clock_response(&core))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalParams {
    provider: Option<String>,
    object: Option<String>,
    kind: Option<EntryKind>,
    limit: Option<usize>,
}

/// `GET /__sandbox/journal?provider=&object=&kind=&limit=`: the newest
/// matching entries, oldest first.
async fn get_journal(
    State(core): State<Core>,
    AdminQuery(params): AdminQuery<JournalParams>,
) -> impl IntoResponse {
    let entries = core.journal.query(&Query {
        provider: params.provider,
        object: params.object,
        kind: params.kind,
        limit: params.limit,
    });
    Json(json!({
        "capacity": core.journal.capacity(),
        "entries": entries,
    }))
}

/// `GET /__sandbox/webhooks`: every delivery with its attempts.
async fn list_webhooks(State(core): State<Core>) -> impl IntoResponse {
    Json(json!({"deliveries": core.outbox.list()}))
}

/// `GET /__sandbox/webhooks/{id}`.
async fn get_webhook(
    State(core): State<Core>,
    AdminPath(id): AdminPath<u64>,
) -> Result<impl IntoResponse, CoreError> {
    core.outbox
        .get(id)
        .map(Json)
        .ok_or_else(|| CoreError::NotFound(format!("no webhook delivery {id}")))
}

/// `POST /__sandbox/webhooks/{id}/redeliver`: one more attempt now.
async fn redeliver_webhook(
    State(core): State<Core>,
    AdminPath(id): AdminPath<u64>,
) -> Result<impl IntoResponse, CoreError> {
    core.outbox
        .redeliver(id)
        .map_err(|e| CoreError::NotFound(e.to_string()))?;
    Ok((StatusCode::ACCEPTED, Json(json!({"redelivery": id}))))
}
