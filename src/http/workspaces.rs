//! `/__sandbox/workspaces`: making, listing and dropping workspaces. Each
//! answer is what a test needs to use one: every provider's credentials and
//! the URLs to send them to.

use axum::Extension;
use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dispatch::{self, Access, Unauthorized};
use crate::core::error::CoreError;
use crate::workspaces::{Workspace, WorkspaceError, Workspaces};

/// The routes, documented for the OpenAPI document.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_workspace, list_workspaces))
        .routes(routes!(get_workspace, delete_workspace))
        .layer(axum::middleware::from_fn(super::admin::refuse_cross_site))
}

/// Why a workspace request was refused.
#[derive(Debug)]
enum Refusal {
    Unauthorized(Unauthorized),
    Workspace(WorkspaceError),
    Body(CoreError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized(refusal) => refusal.into_response(),
            Self::Workspace(error) => error.into_response(),
            Self::Body(error) => error.into_response(),
        }
    }
}

impl From<Unauthorized> for Refusal {
    fn from(refusal: Unauthorized) -> Self {
        Self::Unauthorized(refusal)
    }
}

impl From<WorkspaceError> for Refusal {
    fn from(error: WorkspaceError) -> Self {
        Self::Workspace(error)
    }
}

impl IntoResponse for WorkspaceError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::BadName(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Exists(_) => (StatusCode::CONFLICT, "conflict"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::DefaultStays => (StatusCode::CONFLICT, "conflict"),
            Self::Limit(_) => (StatusCode::TOO_MANY_REQUESTS, "workspace_limit"),
        };
        let body = json!({"error": {"code": code, "message": self.to_string()}});
        (status, Json(body)).into_response()
    }
}

/// A workspace as its creation answers it: credentials, URLs, and what it
/// holds now.
pub fn describe(workspace: &Workspace) -> Value {
    let public = &workspace.state.core.public_url;
    let name = &workspace.name;
    let credentials = &workspace.credentials;
    let objects: serde_json::Map<String, Value> = workspace
        .object_counts()
        .into_iter()
        .map(|(kind, count)| (kind.to_owned(), json!(count)))
        .collect();
    json!({
        "name": name,
        "softline": {
            "base_url": public.join("/softline"),
            "username": credentials.softline.username,
            "password": credentials.softline.password,
            "token": credentials.softline.token,
            "webhook_secret": credentials.softline.webhook_secret,
        },
        "intellectmoney": {
            "base_url": public.join("/intellectmoney"),
            "eshop_id": credentials.intellectmoney.eshop_id,
            "token": credentials.intellectmoney.token,
            "secret_key": credentials.intellectmoney.secret_key,
            "sign_secret_key": credentials.intellectmoney.sign_secret_key,
        },
        "imshop": {
            "key": credentials.imshop.key,
            "sync_url": public.scoped("/imshop/sync"),
            "runs_url": public.scoped("/imshop/runs"),
        },
        "control_url": workspace.control_url(),
        "control_key": workspace.control_key,
        "dashboard_url": public.scoped("/"),
        "created_at": workspace.created_at.format(&Rfc3339).unwrap_or_default(),
        "objects": objects,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    /// `[a-z0-9][a-z0-9-]{0,62}`; generated (`ws-` and 8 hex digits) when
    /// absent.
    name: Option<String>,
}

/// `POST /__sandbox/workspaces {"name"?}`: a new workspace with fresh
/// credentials for every provider.
#[utoipa::path(
    post, path = "/__sandbox/workspaces", tag = "sandbox",
    request_body = CreateRequest,
    responses(
        (status = 201, description = "The workspace: `name`, `softline`, `intellectmoney`, `imshop` credentials and URLs, `control_url`, `control_key`, `dashboard_url`"),
        (status = 400, description = "A bad name or body"),
        (status = 409, description = "A workspace of that name exists"),
        (status = 429, description = "`--max-workspaces` reached"),
    )
)]
async fn create_workspace(
    Extension(workspaces): Extension<Workspaces>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    dispatch::authorize(&workspaces, &headers, Access::Admin)?;
    let request: CreateRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CreateRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            Refusal::Body(CoreError::BadRequest(format!(
                "the body is not {{\"name\": \"…\"}}: {e}"
            )))
        })?
    };
    let workspace = workspaces.create(request.name.as_deref())?;
    Ok((StatusCode::CREATED, Json(describe(&workspace))).into_response())
}

/// `GET /__sandbox/workspaces`: every workspace, `default` first.
#[utoipa::path(get, path = "/__sandbox/workspaces", tag = "sandbox", responses((status = 200, description = "`{\"workspaces\": [...]}`, each as created")))]
async fn list_workspaces(
    Extension(workspaces): Extension<Workspaces>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    dispatch::authorize(&workspaces, &headers, Access::Admin)?;
    let listed: Vec<Value> = workspaces.list().iter().map(|w| describe(w)).collect();
    Ok(Json(json!({"workspaces": listed})).into_response())
}

/// `GET /__sandbox/workspaces/{name}`: one workspace, as created.
#[utoipa::path(get, path = "/__sandbox/workspaces/{name}", tag = "sandbox", params(("name" = String, Path, description = "Workspace name")), responses((status = 200, description = "The workspace"), (status = 404, description = "No such workspace")))]
async fn get_workspace(
    Extension(workspaces): Extension<Workspaces>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let workspace = workspaces
        .named(&name)
        .ok_or_else(|| WorkspaceError::NotFound(name.clone()))?;
    dispatch::authorize(&workspaces, &headers, Access::Workspace(&workspace))?;
    Ok(Json(describe(&workspace)).into_response())
}

/// `DELETE /__sandbox/workspaces/{name}`: the workspace and everything in
/// it dropped; `default` stays.
#[utoipa::path(delete, path = "/__sandbox/workspaces/{name}", tag = "sandbox", params(("name" = String, Path, description = "Workspace name")), responses((status = 200, description = "`{\"deleted\": NAME}`"), (status = 404, description = "No such workspace"), (status = 409, description = "`default` cannot be deleted")))]
async fn delete_workspace(
    Extension(workspaces): Extension<Workspaces>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    if let Some(workspace) = workspaces.named(&name) {
        dispatch::authorize(&workspaces, &headers, Access::Workspace(&workspace))?;
    } else {
        dispatch::authorize(&workspaces, &headers, Access::Admin)?;
    }
    workspaces.delete(&name)?;
    Ok(Json(json!({"deleted": name})).into_response())
}
