//! `/__sandbox/snapshots`: take, list, export, import, restore and delete a
//! workspace's snapshots (the document is described in `core::snapshot`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;

use crate::core::current::State;
use crate::core::error::{AdminPath, AdminQuery, ControlRefusal, CoreError};
use crate::core::snapshot::{self, Document, SnapshotError};
use crate::openapi::routes;
use crate::state::AppState;

/// The largest document an import takes: far more than the request limit
/// of the APIs, since a snapshot of a busy workspace is large.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;

/// The snapshot routes, documented for the OpenAPI document.
pub fn router() -> OpenApiRouter {
    let import = OpenApiRouter::new()
        .routes(routes!(get_snapshot, import_snapshot, delete_snapshot))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES));
    OpenApiRouter::new()
        .routes(routes!(list_snapshots, take_snapshot))
        .routes(routes!(restore_snapshot))
        .merge(import)
}

/// What `POST /__sandbox/snapshots` takes (the body is optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TakeRequest {
    /// 1 to 64 letters, digits, `.`, `_` or `-`; generated when absent.
    name: Option<String>,
}

/// `GET /__sandbox/snapshots`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SnapshotList {
    snapshots: Vec<Summary>,
}

/// A snapshot as listed: what it is and what it holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Summary {
    name: String,
    /// The workspace it was taken in.
    workspace: String,
    /// Sandbox time when it was taken.
    taken_at: String,
    /// How many of each kind of object it holds, by provider
    /// (`{"softline": {"payments": 3, "tokens": 1}}`).
    objects: BTreeMap<String, BTreeMap<String, usize>>,
    /// The document (add `?download=true` to save it as a file).
    url: String,
    /// `POST` here to restore it.
    restore_url: String,
}

/// A snapshot document as the OpenAPI document describes it: its top
/// fields, each section an object of its own (`docs/snapshots.md`
/// describes them; a client keeps the document whole and `PUT`s it back).
#[derive(utoipa::ToSchema)]
#[schema(as = SnapshotDocument)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
struct DocumentView {
    /// The format: 1.
    paysandbox_snapshot: u32,
    /// The name it was taken under.
    name: String,
    /// The workspace it was taken in.
    workspace: String,
    /// The sandbox time it was taken at (RFC 3339).
    taken_at: String,
    /// The clock, the generator, scenarios and faults.
    #[schema(value_type = Object)]
    core: serde_json::Value,
    /// Each provider's section, by its name.
    #[schema(value_type = Option<BTreeMap<String, Object>>)]
    providers: Option<BTreeMap<String, serde_json::Value>>,
}

fn summary(state: &AppState, document: &Document) -> Summary {
    let objects = document.object_counts();
    let url = control_url(state, &format!("/snapshots/{}", document.name));
    Summary {
        name: document.name.clone(),
        workspace: document.workspace.clone(),
        taken_at: document
            .taken_at
            .format(&Rfc3339)
            .unwrap_or_else(|_| "invalid".to_owned()),
        objects,
        restore_url: format!("{url}/restore"),
        url,
    }
}

/// `path` under the workspace's control prefix.
fn control_url(state: &AppState, path: &str) -> String {
    let public = &state.core.public_url;
    match public.workspace() {
        crate::core::directory::DEFAULT_WORKSPACE => public.join(&format!("/__sandbox{path}")),
        name => public.join(&format!("/__sandbox/workspaces/{name}{path}")),
    }
}

fn bad_body(rejection: BytesRejection) -> CoreError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        CoreError::TooLarge(rejection.body_text())
    } else {
        CoreError::BadRequest(rejection.body_text())
    }
}

/// `GET /__sandbox/snapshots`: the workspace's snapshots.
#[utoipa::path(get, path = "/snapshots", tag = "sandbox", responses((status = 200, description = "The workspace's snapshots, by name", body = SnapshotList)))]
async fn list_snapshots(State(state): State<AppState>) -> impl IntoResponse {
    let snapshots: Vec<Summary> = state
        .core
        .snapshots
        .list()
        .iter()
        .map(|d| summary(&state, d))
        .collect();
    Json(SnapshotList { snapshots })
}

/// `POST /__sandbox/snapshots`: the workspace as it is now, kept under a
/// name.
#[utoipa::path(post, path = "/snapshots", tag = "sandbox", request_body = TakeRequest, responses((status = 201, description = "Taken", body = Summary), (status = 400, description = "Not a valid name or body", body = ControlRefusal, example = json!(CoreError::from(SnapshotError::BadName("-x".into())).example())), (status = 409, description = "A snapshot of that name exists", body = ControlRefusal, example = json!(CoreError::from(SnapshotError::Exists("before".into())).example()))))]
async fn take_snapshot(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, CoreError> {
    let body = body.map_err(bad_body)?;
    let request: TakeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TakeRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| CoreError::BadRequest(e.to_string()))?
    };
    let document = take(&state, request.name).await?;
    Ok((StatusCode::CREATED, Json(summary(&state, &document))).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `true`: answer as a file to save (`NAME.json`).
    #[serde(default)]
    download: bool,
}

fn find(state: &AppState, name: &str) -> Result<Arc<Document>, CoreError> {
    state
        .core
        .snapshots
        .get(name)
        .ok_or_else(|| SnapshotError::NotFound(name.to_owned()).into())
}

/// Takes a snapshot of the workspace and keeps it under `name`, or under
/// the first free `snapshot-N` when there is none; the API and the
/// dashboard's form both take them here.
pub async fn take(state: &AppState, name: Option<String>) -> Result<Arc<Document>, SnapshotError> {
    let shelf = &state.core.snapshots;
    let name = name.unwrap_or_else(|| shelf.free_name());
    snapshot::check_name(&name)?;
    if shelf.get(&name).is_some() {
        return Err(SnapshotError::Exists(name));
    }
    let document = shelf.add(state.take_snapshot(&name).await)?;
    tracing::info!(snapshot = %name, "snapshot taken");
    Ok(document)
}

/// Keeps the document in `text` under `name`, after checking all of it
/// against this workspace; the document kept, and whether it replaced one.
pub fn import(
    state: &AppState,
    name: &str,
    text: &[u8],
) -> Result<(Arc<Document>, bool), SnapshotError> {
    snapshot::check_name(name)?;
    let mut document = snapshot::parse(text)?;
    document.name = name.to_owned();
    // Every section read and checked now, so a restore cannot fail on it.
    drop(state.prepare_restore(&document)?);
    let shelf = &state.core.snapshots;
    let replaced = shelf.put(document);
    let document = shelf
        .get(name)
        .ok_or_else(|| SnapshotError::NotFound(name.to_owned()))?;
    tracing::info!(snapshot = %name, replaced, "snapshot imported");
    Ok((document, replaced))
}

/// Makes the workspace what the snapshot `name` holds.
pub async fn restore(state: &AppState, name: &str) -> Result<Arc<Document>, SnapshotError> {
    let document = state
        .core
        .snapshots
        .get(name)
        .ok_or_else(|| SnapshotError::NotFound(name.to_owned()))?;
    state.restore(&document).await?;
    tracing::info!(snapshot = %name, "snapshot restored");
    Ok(document)
}

/// `GET /__sandbox/snapshots/{snapshot}`: the snapshot as one self-contained
/// document, fit to commit next to a test and `PUT` back anywhere.
#[utoipa::path(get, path = "/snapshots/{snapshot}", tag = "sandbox", params(("snapshot" = String, Path, description = "The snapshot's name"), ExportQuery), responses((status = 200, description = "The document, `\"paysandbox_snapshot\": 1` at its top", body = DocumentView), (status = 404, description = "No such snapshot", body = ControlRefusal, example = json!(CoreError::from(SnapshotError::NotFound("before".into())).example())), (status = 400, description = "`download` is not `true` or `false`", body = ControlRefusal)))]
async fn get_snapshot(
    State(state): State<AppState>,
    AdminPath(name): AdminPath<String>,
    AdminQuery(query): AdminQuery<ExportQuery>,
) -> Result<Response, CoreError> {
    let document = find(&state, &name)?;
    let text = serde_json::to_vec_pretty(&*document)
        .map_err(|e| CoreError::BadRequest(format!("the snapshot does not serialise: {e}")))?;
    let mut response = ([(header::CONTENT_TYPE, "application/json")], text).into_response();
    if query.download {
        let disposition = format!("attachment; filename=\"{name}.json\"");
        if let Ok(value) = header::HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// `PUT /__sandbox/snapshots/{snapshot}`: keeps a document (exported here or
/// elsewhere) under `name`, after checking all of it against this
/// workspace; a document wrong anywhere is refused and changes nothing.
#[utoipa::path(put, path = "/snapshots/{snapshot}", tag = "sandbox", params(("snapshot" = String, Path, description = "The name to keep it under")), request_body(content = DocumentView, description = "A snapshot document", content_type = "application/json"), responses((status = 201, description = "Imported", body = Summary), (status = 200, description = "Replaced the snapshot of that name", body = Summary), (status = 400, description = "Not a snapshot document, or a newer format; the message names the field", body = ControlRefusal, example = json!(CoreError::from(SnapshotError::Newer(2)).example())), (status = 409, description = "Its ids or tokens belong to another workspace", body = ControlRefusal)))]
async fn import_snapshot(
    State(state): State<AppState>,
    AdminPath(name): AdminPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, CoreError> {
    snapshot::check_name(&name)?;
    let body = body.map_err(bad_body)?;
    let (document, replaced) = import(&state, &name, &body)?;
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(summary(&state, &document))).into_response())
}

/// `POST /__sandbox/snapshots/{snapshot}/restore`: the workspace becomes what
/// it was when the snapshot was taken, in one step for concurrent requests.
#[utoipa::path(post, path = "/snapshots/{snapshot}/restore", tag = "sandbox", params(("snapshot" = String, Path, description = "The snapshot's name")), responses((status = 200, description = "Restored", body = Summary), (status = 404, description = "No such snapshot", body = ControlRefusal, example = json!(CoreError::from(SnapshotError::NotFound("before".into())).example())), (status = 409, description = "Its ids or tokens belong to another workspace", body = ControlRefusal)))]
async fn restore_snapshot(
    State(state): State<AppState>,
    AdminPath(name): AdminPath<String>,
) -> Result<Response, CoreError> {
    let document = restore(&state, &name).await?;
    Ok(Json(summary(&state, &document)).into_response())
}

/// `DELETE /__sandbox/snapshots/{snapshot}`.
#[utoipa::path(delete, path = "/snapshots/{snapshot}", tag = "sandbox", params(("snapshot" = String, Path, description = "The snapshot's name")), responses((status = 204, description = "Deleted"), (status = 404, description = "No such snapshot", body = ControlRefusal, example = json!(CoreError::from(SnapshotError::NotFound("before".into())).example()))))]
async fn delete_snapshot(
    State(state): State<AppState>,
    AdminPath(name): AdminPath<String>,
) -> Result<StatusCode, CoreError> {
    if state.core.snapshots.remove(&name) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(SnapshotError::NotFound(name).into())
    }
}
