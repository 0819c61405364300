//! `/__sandbox/workspaces`: making, listing and dropping workspaces. Each
//! answer is what a test needs to use one: every provider's credentials and
//! the URLs to send them to.

use std::collections::BTreeMap;

use axum::Extension;
use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;

use super::dispatch::{self, Access, Unauthorized};
use crate::core::error::{ControlRefusal, CoreError};
use crate::openapi::routes;
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkspaceView {
    name: String,
    softline: SoftlineAccess,
    intellectmoney: IntellectMoneyAccess,
    imshop: ImshopAccess,
    /// Its control plane: every `/__sandbox/…` endpoint under this prefix.
    control_url: String,
    /// Takes the admin token's place under `control_url` (with
    /// `--admin-token`).
    control_key: String,
    /// The dashboard showing this workspace.
    dashboard_url: String,
    /// When it was made (RFC 3339).
    created_at: String,
    /// How many objects of each kind it holds now (`softline_payments`,
    /// `intellectmoney_invoices`, `imshop_runs`…).
    objects: BTreeMap<String, usize>,
}

/// The Softline API as this workspace's merchant calls it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SoftlineAccess {
    base_url: String,
    /// For `POST /v1/login_check`.
    username: String,
    password: String,
    /// A static token (`Authorization: Bearer …`) that never expires.
    token: String,
    /// Signs the webhooks sent to this workspace's merchant.
    webhook_secret: String,
}

/// This workspace's IntellectMoney shop.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct IntellectMoneyAccess {
    base_url: String,
    eshop_id: u32,
    /// `Authorization: Bearer …` for the merchant API.
    token: String,
    /// For `Hash`.
    secret_key: String,
    /// For the `Sign` header.
    sign_secret_key: String,
}

/// IMSHOP as it calls this workspace's merchant.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ImshopAccess {
    /// The API key runs send to the merchant.
    key: String,
    sync_url: String,
    runs_url: String,
}

/// Every workspace, `default` first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct WorkspaceList {
    workspaces: Vec<WorkspaceView>,
}

/// A workspace dropped.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Deleted {
    deleted: String,
}

/// A workspace as its creation answers it.
pub fn describe(workspace: &Workspace) -> WorkspaceView {
    let public = &workspace.state.core.public_url;
    let credentials = &workspace.credentials;
    WorkspaceView {
        name: workspace.name.clone(),
        softline: SoftlineAccess {
            base_url: public.join("/softline"),
            username: credentials.softline.username.clone(),
            password: credentials.softline.password.clone(),
            token: credentials.softline.token.clone(),
            webhook_secret: credentials.softline.webhook_secret.clone(),
        },
        intellectmoney: IntellectMoneyAccess {
            base_url: public.join("/intellectmoney"),
            eshop_id: credentials.intellectmoney.eshop_id,
            token: credentials.intellectmoney.token.clone(),
            secret_key: credentials.intellectmoney.secret_key.clone(),
            sign_secret_key: credentials.intellectmoney.sign_secret_key.clone(),
        },
        imshop: ImshopAccess {
            key: credentials.imshop.key.clone(),
            sync_url: public.scoped("/imshop/sync"),
            runs_url: public.scoped("/imshop/runs"),
        },
        control_url: workspace.control_url(),
        control_key: workspace.control_key.clone(),
        dashboard_url: public.scoped("/"),
        created_at: workspace.created_at.format(&Rfc3339).unwrap_or_default(),
        objects: workspace
            .object_counts()
            .into_iter()
            .map(|(kind, count)| (kind.to_owned(), count))
            .collect(),
    }
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
        (status = 201, description = "The workspace: its credentials for every provider and the URLs to use them with", body = WorkspaceView),
        (status = 400, description = "A bad name or body", body = ControlRefusal),
        (status = 409, description = "A workspace of that name exists", body = ControlRefusal),
        (status = 429, description = "`--max-workspaces` reached", body = ControlRefusal),
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
#[utoipa::path(get, path = "/__sandbox/workspaces", tag = "sandbox", responses((status = 200, description = "Every workspace, each as created", body = WorkspaceList)))]
async fn list_workspaces(
    Extension(workspaces): Extension<Workspaces>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    dispatch::authorize(&workspaces, &headers, Access::Admin)?;
    let listed = WorkspaceList {
        workspaces: workspaces.list().iter().map(|w| describe(w)).collect(),
    };
    Ok(Json(listed).into_response())
}

/// `GET /__sandbox/workspaces/{name}`: one workspace, as created.
#[utoipa::path(get, path = "/__sandbox/workspaces/{name}", tag = "sandbox", params(("name" = String, Path, description = "Workspace name")), responses((status = 200, description = "The workspace", body = WorkspaceView), (status = 404, description = "No such workspace", body = ControlRefusal)))]
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
#[utoipa::path(delete, path = "/__sandbox/workspaces/{name}", tag = "sandbox", params(("name" = String, Path, description = "Workspace name")), responses((status = 200, description = "The workspace and everything in it dropped", body = Deleted), (status = 404, description = "No such workspace", body = ControlRefusal), (status = 409, description = "`default` cannot be deleted", body = ControlRefusal)))]
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
    Ok(Json(Deleted { deleted: name }).into_response())
}
