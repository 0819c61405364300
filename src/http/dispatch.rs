//! Every request's first stop: which workspace it is for, and whether it
//! may reach that workspace's control plane or dashboard.
//!
//! - `/__sandbox/workspaces/{name}/…`: that workspace's control plane
//!   (served as `/__sandbox/…` by its router); the bare `/__sandbox/…` is
//!   `default`'s.
//! - A provider's path: whatever the provider says names the workspace (a
//!   token, a shop, an object; see [`Addressee`]), looked up in the
//!   directory. Nothing found is `default` (or the browser's chosen
//!   workspace), which answers as the real API answers what it cannot place.
//! - The dashboard: `?workspace=NAME` (its `dashboard_url`), remembered in a
//!   cookie for the pages it links to.
//!
//! Then the one router serves the request with that workspace's state (see
//! `core::current`): its journal, faults and scenarios apply, and nothing
//! of another workspace is in reach.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;
use std::sync::Arc;
use subtle::ConstantTimeEq;

use super::middleware::{observe, read_body};
use super::routes::Routes;
use crate::core::current::{Current, WorkspaceParts};
use crate::provider::{Addressee, Provider};
use crate::web::CurrentWorkspace;
use crate::workspaces::{Workspace, WorkspaceError, Workspaces};

/// The cookie that keeps a browser's chosen workspace.
pub const COOKIE: &str = "paysandbox_workspace";

/// What a request asks to reach, for `--admin-token`.
pub enum Access<'a> {
    /// The instance: any workspace's control plane, the workspace list.
    Admin,
    /// One workspace's control prefix: its control key also opens it.
    Workspace(&'a Workspace),
    /// The dashboard, from a browser: Basic authentication prompts there.
    Dashboard,
}

/// A request without the secret `--admin-token` asks for: the control
/// plane's 401, with the challenge a client (or a browser) answers.
#[derive(Debug)]
pub struct Unauthorized {
    challenge: &'static str,
    message: &'static str,
}

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": "unauthorized", "message": self.message}});
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, self.challenge)],
            axum::Json(body),
        )
            .into_response()
    }
}

/// Whether the request may reach `access` (always, without an admin
/// token).
pub fn authorize(
    workspaces: &Workspaces,
    headers: &HeaderMap,
    access: Access<'_>,
) -> Result<(), Unauthorized> {
    let Some(admin) = &workspaces.settings().admin_token else {
        return Ok(());
    };
    let given = presented_secret(headers);
    let matches = |secret: &str| {
        given
            .as_deref()
            .is_some_and(|g| bool::from(g.as_bytes().ct_eq(secret.as_bytes())))
    };
    let allowed =
        matches(&admin.0) || matches!(access, Access::Workspace(w) if matches(&w.control_key));
    if allowed {
        return Ok(());
    }
    let challenge = match access {
        Access::Dashboard => "Basic realm=\"paysandbox\"",
        _ => "Bearer realm=\"paysandbox\"",
    };
    let message = match access {
        Access::Workspace(_) => {
            "this needs Authorization: Bearer with the admin token or the workspace's control key"
        }
        _ => "this needs Authorization: Bearer with the admin token",
    };
    Err(Unauthorized { challenge, message })
}

/// A Bearer token, or a Basic password (a browser's prompt).
fn presented_secret(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        return text
            .split_once(':')
            .map(|(_, password)| password.to_owned());
    }
    None
}

/// The workspace the browser chose earlier, from its cookie.
fn chosen_in_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then_some(value)
        })
}

/// Puts its workspace on `request` (see [`Current`]) and serves it.
pub async fn dispatch(workspaces: &Workspaces, request: Request, routes: Routes<'_>) -> Response {
    let Routed {
        workspace,
        mut request,
        remember,
        renders_pages,
    } = match route(workspaces, request).await {
        Ok(routed) => routed,
        Err(refusal) => return *refusal,
    };
    workspace.touch();
    if renders_pages {
        routes.for_pages(&mut request);
        let extensions = request.extensions_mut();
        extensions.insert(CurrentWorkspace {
            name: Arc::clone(&workspace.label),
            all: workspaces.names(),
        });
        extensions.insert(workspaces.clone());
    }
    request
        .extensions_mut()
        .insert(Current(Arc::clone(&workspace) as Arc<dyn WorkspaceParts>));
    let state = &workspace.state;
    let mut response = observe(&state.core, &state.providers, request, routes).await;
    if remember {
        let cookie = format!(
            "{COOKIE}={}; Path=/; SameSite=Lax; HttpOnly",
            workspace.name
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A request and the workspace it is for.
struct Routed {
    workspace: Arc<Workspace>,
    request: Request,
    /// Set the cookie: the request chose its workspace by `?workspace=`.
    remember: bool,
    /// Whether it may render a page, which needs more than the state (the
    /// switcher, the overview's list). An API call renders none, and every
    /// extension is an allocation on the hot path.
    renders_pages: bool,
}

impl Routed {
    fn to(workspace: Arc<Workspace>, request: Request) -> Self {
        Self {
            workspace,
            request,
            remember: false,
            renders_pages: true,
        }
    }
}

/// A request refused before it reaches a workspace (boxed: the happy path
/// should not carry a whole response's room).
type Refused = Box<Response>;

fn refused(response: impl IntoResponse) -> Refused {
    Box::new(response.into_response())
}

async fn route(workspaces: &Workspaces, request: Request) -> Result<Routed, Refused> {
    let path = request.uri().path();
    let default = Arc::clone(workspaces.default_workspace());
    // The workspaces themselves (`/__sandbox/workspaces[/{name}]`): their
    // handlers say who may see which.
    let registry = path
        .strip_prefix("/__sandbox/workspaces")
        .is_some_and(|rest| rest.is_empty() || !rest[1..].contains('/'));
    if registry {
        return Ok(Routed::to(default, request));
    }
    if let Some(rest) = path.strip_prefix("/__sandbox/workspaces/") {
        let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let workspace = workspaces
            .named(name)
            .ok_or_else(|| WorkspaceError::NotFound(name.to_owned()).into_response())?;
        authorize(workspaces, request.headers(), Access::Workspace(&workspace)).map_err(refused)?;
        let path = format!("/__sandbox/{tail}");
        let request = with_path(request, &path);
        return Ok(Routed::to(workspace, request));
    }
    if path == "/__sandbox" || path.starts_with("/__sandbox/") {
        if path != "/__sandbox/openapi.json" {
            authorize(workspaces, request.headers(), Access::Admin).map_err(refused)?;
        }
        return Ok(Routed::to(default, request));
    }
    let providers = &default.state.providers;
    let canonical = providers.canonical_path(path);
    if let Some(provider) = providers.of_path(canonical.as_deref().unwrap_or(path)) {
        return for_provider(workspaces, provider, request).await;
    }
    if matches!(path, "/healthz" | "/metrics") || path.starts_with("/assets/") {
        return Ok(Routed::to(default, request));
    }
    authorize(workspaces, request.headers(), Access::Dashboard).map_err(refused)?;
    let asked = request.uri().query().and_then(|query| {
        crate::core::params::parse_form(query)
            .ok()?
            .non_empty("workspace")
            .map(str::to_owned)
    });
    if let Some(name) = asked {
        let workspace = workspaces
            .named(&name)
            .ok_or_else(|| refused(WorkspaceError::NotFound(name)))?;
        return Ok(Routed {
            remember: true,
            ..Routed::to(workspace, request)
        });
    }
    let chosen = chosen_in_cookie(request.headers()).and_then(|name| workspaces.named(name));
    Ok(Routed::to(chosen.unwrap_or(default), request))
}

/// A provider's request: the workspace its credential, shop or object
/// names, read from the body when only the body says.
async fn for_provider(
    workspaces: &Workspaces,
    provider: &dyn Provider,
    request: Request,
) -> Result<Routed, Refused> {
    let (parts, body) = request.into_parts();
    let mut addressee = provider.addressee(&parts);
    let body = if addressee == Addressee::InBody {
        // Under the limits, and with the refusals, of the journal's reading.
        let core = &workspaces.default_workspace().state.core;
        let bytes = read_body(provider, body, core.max_body_bytes, core.body_read_timeout).await?;
        addressee = provider.addressee_in_body(&parts, &bytes);
        Body::from(bytes)
    } else {
        body
    };
    let request = Request::from_parts(parts, body);
    let workspace = match &addressee {
        Addressee::Named(name) => workspaces.named(name).ok_or_else(|| {
            provider.transport_error(
                StatusCode::NOT_FOUND,
                &format!("No workspace named {name:?}."),
            )
        })?,
        Addressee::Nobody | Addressee::InBody => chosen_in_cookie(request.headers())
            .and_then(|name| workspaces.named(name))
            .unwrap_or_else(|| Arc::clone(workspaces.default_workspace())),
        named => workspaces
            .resolve(named)
            .unwrap_or_else(|| Arc::clone(workspaces.default_workspace())),
    };
    Ok(Routed {
        renders_pages: matches!(*request.method(), Method::GET | Method::HEAD),
        ..Routed::to(workspace, request)
    })
}

/// `request` at `path`, with its query kept.
fn with_path(mut request: Request, path: &str) -> Request {
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    if let Ok(uri) = format!("{path}{query}").parse::<Uri>() {
        *request.uri_mut() = uri;
    }
    request
}
