//! The control plane under `/__sandbox/`: reset, the sandbox clock, the
//! journal and the webhook outbox. Provider-specific controls (Softline's
//! webhook URL, IntellectMoney's invoice actions) live in the providers.

use crate::core::current::State;
use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;

use crate::core::Core;
use crate::core::error::{AdminJson, AdminPath, AdminQuery, ControlRefusal, CoreError};
use crate::core::faults::{Fault, FaultError, FaultSpec, FaultView};
use crate::core::journal::{Entry, EntryKind, Query};
use crate::core::outbox::{Delivery, DeliveryView, OutboxError};
use crate::core::scenarios::{Arm, ArmError, Armed, ArmedView, Scenario};
use crate::openapi::routes;
use crate::state::AppState;
use crate::workspaces::Workspaces;

/// The control plane's routes, documented for the OpenAPI document.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(reset))
        .routes(routes!(get_clock))
        .routes(routes!(advance_clock))
        .routes(routes!(get_journal))
        .routes(routes!(list_webhooks))
        .routes(routes!(get_webhook))
        .routes(routes!(redeliver_webhook))
        .routes(routes!(scenario_catalogue))
        .routes(routes!(list_scenarios, arm_scenario, disarm_all))
        .routes(routes!(disarm_one))
        .routes(routes!(list_faults, add_fault, clear_faults))
        .routes(routes!(remove_fault))
        .merge(super::snapshots::router())
        // Last, so it wraps every route above.
        .layer(axum::middleware::from_fn(refuse_cross_site))
}

/// `POST /__sandbox/reset`: forget everything, clock back to real time.
#[utoipa::path(post, path = "/reset", tag = "sandbox", responses((status = 200, description = "Everything forgotten, clock at real time", body = ResetDone)))]
async fn reset(State(state): State<AppState>) -> Json<ResetDone> {
    state.reset().await;
    tracing::info!("sandbox reset");
    Json(ResetDone { reset: true })
}

/// The answer of a reset.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ResetDone {
    /// Always `true`.
    reset: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
#[utoipa::path(get, path = "/clock", tag = "sandbox", responses((status = 200, description = "The sandbox clock", body = ClockResponse)))]
async fn get_clock(State(core): State<Core>) -> Json<ClockResponse> {
    clock_response(&core)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AdvanceRequest {
    seconds: i64,
}

/// The most the clock moves in one call (about 100 years): beyond that
/// timestamps stop being representable.
const MAX_ADVANCE_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// `POST /__sandbox/clock/advance {"seconds": N}`: moves the sandbox clock;
/// what time did to payments and invoices is applied, and the webhooks
/// that become due are sent at once.
#[utoipa::path(post, path = "/clock/advance", tag = "sandbox", request_body = AdvanceRequest, responses((status = 200, description = "The clock after the move", body = ClockResponse), (status = 400, description = "Not a number of seconds, or too far", body = ControlRefusal, example = json!(CoreError::BadRequest(clock_step(i64::MAX).unwrap_err()).example()))))]
async fn advance_clock(
    State(state): State<AppState>,
    AdminJson(body): AdminJson<AdvanceRequest>,
) -> Result<Json<ClockResponse>, CoreError> {
    let step = clock_step(body.seconds).map_err(CoreError::BadRequest)?;
    state.advance_clock(step);
    Ok(clock_response(&state.core))
}

/// `seconds` as a move of the sandbox clock, or why it is refused (too
/// far); the control plane and `Sandbox::advance_clock` refuse alike.
pub(crate) fn clock_step(seconds: i64) -> Result<time::Duration, String> {
    // `unsigned_abs`: the absolute value of i64::MIN overflows.
    if seconds.unsigned_abs() > MAX_ADVANCE_SECONDS.unsigned_abs() {
        return Err(format!("seconds must be within ±{MAX_ADVANCE_SECONDS}"));
    }
    Ok(time::Duration::seconds(seconds))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct JournalParams {
    provider: Option<String>,
    object: Option<String>,
    #[param(value_type = Option<String>)]
    kind: Option<EntryKind>,
    limit: Option<usize>,
    /// `true`: answer as a file download (`Content-Disposition: attachment`).
    download: Option<bool>,
}

/// `GET /__sandbox/journal?provider=&object=&kind=&limit=`: the newest
/// matching entries, oldest first.
#[utoipa::path(get, path = "/journal", tag = "sandbox", params(JournalParams), responses((status = 200, description = "Journal entries, oldest first", body = JournalPage), (status = 400, description = "A parameter that is not what it should be (`limit` a number, `kind` a known kind)", body = ControlRefusal)))]
async fn get_journal(
    State(core): State<Core>,
    AdminQuery(params): AdminQuery<JournalParams>,
) -> impl IntoResponse {
    let filename = format!(
        "attachment; filename=\"paysandbox-journal{}.json\"",
        params
            .object
            .as_deref()
            .filter(|o| !o.is_empty())
            .map(|o| format!(
                "-{}",
                o.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
            ))
            .unwrap_or_default()
    );
    let entries = core.journal.query(&Query {
        provider: params.provider.filter(|p| !p.is_empty()),
        object: params.object.filter(|o| !o.is_empty()),
        kind: params.kind,
        limit: params.limit,
    });
    let body = Json(JournalPage {
        capacity: core.journal.capacity(),
        entries,
    });
    if params.download == Some(true) {
        ([(axum::http::header::CONTENT_DISPOSITION, filename)], body).into_response()
    } else {
        body.into_response()
    }
}

/// The journal's newest matching entries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct JournalPage {
    /// Entries kept at most (`--journal-capacity`); the oldest go first.
    capacity: usize,
    #[schema(value_type = Vec<Entry>)]
    entries: Vec<std::sync::Arc<Entry>>,
}

/// `GET /__sandbox/webhooks`: every delivery with its attempts.
#[utoipa::path(get, operation_id = "sandbox_list_webhook_deliveries", path = "/webhooks", tag = "sandbox", responses((status = 200, description = "Every delivery with its attempts", body = DeliveryList)))]
async fn list_webhooks(State(core): State<Core>) -> Json<DeliveryList> {
    Json(DeliveryList {
        deliveries: core.outbox.list(),
    })
}

/// Every webhook delivery kept, with its attempts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DeliveryList {
    #[schema(value_type = Vec<DeliveryView>)]
    deliveries: Vec<Delivery>,
}

/// `GET /__sandbox/webhooks/{id}`.
#[utoipa::path(get, operation_id = "sandbox_get_webhook_delivery", path = "/webhooks/{id}", tag = "sandbox", params(("id" = u64, Path, description = "Delivery id")), responses((status = 200, description = "One delivery", body = DeliveryView), (status = 404, description = "No such delivery", body = ControlRefusal, example = json!(CoreError::NotFound(OutboxError::NotFound(1).to_string()).example())), (status = 400, description = "The id is not a number", body = ControlRefusal)))]
async fn get_webhook(
    State(core): State<Core>,
    AdminPath(id): AdminPath<u64>,
) -> Result<impl IntoResponse, CoreError> {
    core.outbox
        .get(id)
        .map(Json)
        .ok_or_else(|| CoreError::NotFound(OutboxError::NotFound(id).to_string()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RedeliverParams {
    /// `true`: send this attempt with a deliberately wrong signature, to
    /// test the merchant's verification.
    bad_signature: Option<bool>,
}

/// `POST /__sandbox/webhooks/{id}/redeliver[?bad_signature=true]`: one more
/// attempt now.
#[utoipa::path(post, path = "/webhooks/{id}/redeliver", tag = "sandbox", params(("id" = u64, Path, description = "Delivery id"), RedeliverParams), responses((status = 202, description = "Attempt queued", body = Redelivery), (status = 404, description = "No such delivery", body = ControlRefusal, example = json!(CoreError::NotFound(OutboxError::NotFound(1).to_string()).example())), (status = 409, description = "A wrong signature was asked for a delivery that carries none", body = ControlRefusal, example = json!(CoreError::Conflict(OutboxError::Unsigned(1).to_string()).example())), (status = 400, description = "The id is not a number", body = ControlRefusal)))]
async fn redeliver_webhook(
    State(core): State<Core>,
    AdminPath(id): AdminPath<u64>,
    AdminQuery(params): AdminQuery<RedeliverParams>,
) -> Result<impl IntoResponse, CoreError> {
    let bad_signature = params.bad_signature.unwrap_or(false);
    core.outbox
        .redeliver(id, bad_signature)
        .map_err(|e| match e {
            OutboxError::NotFound(_) => CoreError::NotFound(e.to_string()),
            OutboxError::Unsigned(_) => CoreError::Conflict(e.to_string()),
        })?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Redelivery {
            redelivery: id,
            bad_signature,
        }),
    ))
}

/// A redelivery queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Redelivery {
    /// The delivery's id.
    redelivery: u64,
    /// Whether this attempt goes with a wrong signature.
    bad_signature: bool,
}

/// `GET /__sandbox/scenarios/catalogue`: every outcome that can be forced.
#[utoipa::path(get, path = "/scenarios/catalogue", tag = "sandbox", responses((status = 200, description = "Every outcome that can be forced", body = Catalogue)))]
async fn scenario_catalogue(State(core): State<Core>) -> Json<Catalogue> {
    Json(Catalogue {
        scenarios: core.scenarios.catalogue().to_vec(),
    })
}

/// The scenario catalogue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Catalogue {
    scenarios: Vec<Scenario>,
}

/// `GET /__sandbox/scenarios`: what is armed, oldest first.
#[utoipa::path(get, path = "/scenarios", tag = "sandbox", responses((status = 200, description = "Armed scenarios, oldest first", body = ArmedList)))]
async fn list_scenarios(State(core): State<Core>) -> Json<ArmedList> {
    Json(ArmedList {
        armed: core.scenarios.armed(),
    })
}

/// The armed scenarios.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ArmedList {
    #[schema(value_type = Vec<ArmedView>)]
    armed: Vec<Armed>,
}

/// `POST /__sandbox/scenarios {"id", "times"?, "match"?}`: the next `times`
/// matching requests get that outcome.
#[utoipa::path(post, path = "/scenarios", tag = "sandbox", request_body = Arm, responses((status = 201, description = "Armed", body = ArmedView), (status = 400, description = "Unknown id or zero times", body = ControlRefusal, example = json!(CoreError::BadRequest(ArmError::ZeroTimes.to_string()).example()))))]
async fn arm_scenario(
    State(core): State<Core>,
    AdminJson(arm): AdminJson<Arm>,
) -> Result<impl IntoResponse, CoreError> {
    let armed = core
        .scenarios
        .arm(arm)
        .map_err(|e| CoreError::BadRequest(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(armed)))
}

/// `DELETE /__sandbox/scenarios`: disarm everything.
#[utoipa::path(delete, path = "/scenarios", tag = "sandbox", responses((status = 204, description = "Everything disarmed")))]
async fn disarm_all(State(core): State<Core>) -> impl IntoResponse {
    core.scenarios.clear();
    StatusCode::NO_CONTENT
}

/// `DELETE /__sandbox/scenarios/{handle}`: disarm one.
#[utoipa::path(delete, path = "/scenarios/{handle}", tag = "sandbox", params(("handle" = u64, Path, description = "Handle from arming")), responses((status = 204, description = "Disarmed"), (status = 404, description = "Nothing armed under that handle", body = ControlRefusal, example = json!(CoreError::NotFound(no_armed_scenario(1)).example())), (status = 400, description = "The id is not a number", body = ControlRefusal)))]
async fn disarm_one(
    State(core): State<Core>,
    AdminPath(handle): AdminPath<u64>,
) -> Result<StatusCode, CoreError> {
    if core.scenarios.disarm(handle) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(CoreError::NotFound(no_armed_scenario(handle)))
    }
}

fn no_armed_scenario(handle: u64) -> String {
    format!("no armed scenario {handle}")
}

/// `GET /__sandbox/faults`: the active transport faults.
#[utoipa::path(get, path = "/faults", tag = "sandbox", responses((status = 200, description = "Active faults, each its spec with `handle`, `remaining`? and `applied`", body = FaultList)))]
async fn list_faults(State(core): State<Core>) -> Json<FaultList> {
    Json(FaultList {
        faults: core.faults.list(),
    })
}

/// The active faults.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct FaultList {
    #[schema(value_type = Vec<FaultView>)]
    faults: Vec<Fault>,
}

/// `POST /__sandbox/faults`: delay, a bare status, or a dropped connection,
/// for requests to a provider (or for its webhook deliveries).
#[utoipa::path(post, path = "/faults", tag = "sandbox", request_body = FaultSpec, responses((status = 201, description = "Fault active: its spec with `handle`, `remaining`? and `applied`", body = FaultView), (status = 400, description = "Not a valid fault", body = ControlRefusal, example = json!(CoreError::BadRequest(FaultError::Nothing.to_string()).example()))))]
async fn add_fault(
    State(core): State<Core>,
    AdminJson(spec): AdminJson<FaultSpec>,
) -> Result<impl IntoResponse, CoreError> {
    let fault = core
        .faults
        .add(spec)
        .map_err(|e| CoreError::BadRequest(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(fault)))
}

/// `DELETE /__sandbox/faults`: remove every fault.
#[utoipa::path(delete, path = "/faults", tag = "sandbox", responses((status = 204, description = "No faults left")))]
async fn clear_faults(State(core): State<Core>) -> StatusCode {
    core.faults.clear();
    StatusCode::NO_CONTENT
}

/// `DELETE /__sandbox/faults/{handle}`: remove one fault.
#[utoipa::path(delete, path = "/faults/{handle}", tag = "sandbox", params(("handle" = u64, Path, description = "Handle from adding")), responses((status = 204, description = "Removed"), (status = 404, description = "No such fault", body = ControlRefusal, example = json!(CoreError::NotFound(no_fault(1)).example())), (status = 400, description = "The id is not a number", body = ControlRefusal)))]
async fn remove_fault(
    State(core): State<Core>,
    AdminPath(handle): AdminPath<u64>,
) -> Result<StatusCode, CoreError> {
    if core.faults.remove(handle) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(CoreError::NotFound(no_fault(handle)))
    }
}

fn no_fault(handle: u64) -> String {
    format!("no fault {handle}")
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "sandbox", responses((status = 200, description = "OpenMetrics text exposition", body = String, content_type = "application/openmetrics-text")))]
pub async fn metrics(
    State(state): State<AppState>,
    workspaces: Option<axum::Extension<Workspaces>>,
) -> impl IntoResponse {
    // The instance's totals: every workspace's gauges added up.
    let states: Vec<AppState> = match &workspaces {
        Some(axum::Extension(workspaces)) => {
            workspaces.list().iter().map(|w| w.state.clone()).collect()
        }
        None => vec![state.clone()],
    };
    let mut gauges: Vec<(&'static str, usize)> = vec![("workspaces", states.len())];
    for state in &states {
        let core = &state.core;
        let of_one = [
            ("journal_entries", core.journal.len()),
            ("journal_capacity", core.journal.capacity()),
            ("outbox_deliveries", core.outbox.list_len()),
            ("outbox_pending", core.outbox.pending_count()),
            ("outbox_capacity", core.outbox.capacity()),
            ("scenarios_armed", core.scenarios.armed().len()),
            ("faults_active", core.faults.list().len()),
        ];
        for (name, value) in of_one.into_iter().chain(state.stored_objects()) {
            match gauges.iter_mut().find(|(n, _)| *n == name) {
                Some((_, total)) => *total += value,
                None => gauges.push((name, value)),
            }
        }
    }
    let text = state.core.metrics.render(&gauges);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}

/// Refuses state-changing requests that a browser says come from another
/// site: a page elsewhere must not reset or arm anything in the sandbox a
/// developer has open. curl, CI scripts and SDKs send no `Origin`, so they
/// are unaffected.
pub async fn refuse_cross_site(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let changes_state = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if changes_state && crate::web::origin::same_origin(request.headers()).is_err() {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": {"code": "cross_site", "message": "cross-site requests to the control plane are refused"}})),
        )
            .into_response();
    }
    next.run(request).await
}
