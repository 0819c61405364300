//! Building and running the application: one function builds the whole
//! router (tests use it too), and `Application` binds, serves and stops.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::{Extension, Json, Router};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Settings;
use crate::core::PublicUrl;
use crate::core::clock::{Clock, SystemTime};
use crate::core::fixtures::FixtureError;
use crate::fixtures::Fixtures;
use crate::http::app::App;
use crate::http::workspaces as http_workspaces;
use crate::http::{admin, dashboard, middleware as mw};
use crate::openapi::{self, LazyDocument, routes};
use crate::provider::Providers;
use crate::state::AppState;
use crate::workspaces::Workspaces;

/// Why paysandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// Another process (often another paysandbox) holds the address: the
    /// message says how to take a free port instead.
    #[error(
        "cannot listen on {addr}: the address is already in use (another paysandbox?); \
         for a free port use {flag} {free} or set {env}={free}"
    )]
    AddressInUse {
        addr: SocketAddr,
        /// The option that gave the address (`--listen`).
        flag: String,
        /// Its environment variable (`PAYSANDBOX_LISTEN`).
        env: String,
        /// The same IP with port 0.
        free: SocketAddr,
    },
    #[error("cannot listen on {addr} ({flag}): {source}")]
    Bind {
        addr: SocketAddr,
        flag: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--public-url {0:?} is not an absolute http(s) URL")]
    PublicUrl(String),
    #[error("--state {}: {message}", path.display())]
    State { path: PathBuf, message: String },
    #[error("--data-dir: {0}")]
    DataDir(#[from] crate::core::durable::DurableError),
}

/// The OpenAPI document's fixed parts; the paths come from the routers and
/// the providers add their tags.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "paysandbox",
        description = "A local sandbox of Softline Payments, IntellectMoney and IMSHOP.IO."
    ),
    tags((name = "sandbox", description = "The control plane"))
)]
struct ApiDoc;

/// Every documented route and the paths of the OpenAPI document they make
/// up: each provider at its mount with its extras under `/__sandbox/{name}`,
/// the control plane (with the workspaces' own routes when `workspaces`),
/// health and metrics. Outside [`openapi::with_operations`] the paths'
/// operations are empty: start-up takes the router, and [`document`]
/// declares the routes again for the document when it is first asked for.
fn documented_routes(
    providers: &Providers,
    workspaces: bool,
) -> (Router, utoipa::openapi::OpenApi) {
    let mut routes = OpenApiRouter::new().routes(routes!(healthz));
    for provider in providers.iter() {
        routes = routes.nest(provider.mount(), provider.routes());
    }
    routes = routes.nest("/__sandbox", admin::router());
    for provider in providers.iter() {
        routes = routes.nest(
            &format!("/__sandbox/{}", provider.name()),
            provider.control_routes(),
        );
    }
    if workspaces {
        routes = routes.merge(http_workspaces::router());
    }
    routes
        .routes(routes!(openapi_json))
        .routes(routes!(admin::metrics))
        .split_for_parts()
}

/// The OpenAPI document: [`documented_routes`]'s paths with every
/// operation in, the providers' tags, ids named by tag and the control
/// plane repeated under each workspace's prefix.
fn document(providers: &Providers, workspaces: bool) -> utoipa::openapi::OpenApi {
    let mut api = ApiDoc::openapi();
    api.merge(openapi::with_operations(|| {
        documented_routes(providers, workspaces).1
    }));
    let tags = api.tags.get_or_insert_with(Vec::new);
    let provider_tags = providers.iter().map(|p| {
        let mut tag = utoipa::openapi::tag::Tag::new(p.name());
        tag.description = Some(p.description().to_owned());
        tag
    });
    tags.splice(0..0, provider_tags);
    name_by_tag(&mut api);
    if workspaces {
        in_every_workspace(&mut api);
    }
    api
}

/// Every operation's id begins with its tag (`softline_create_payment`,
/// `intellectmoney_create_invoice`, `sandbox_arm_scenario`): a generated
/// client's method names then say which API they call, and handlers of the
/// same name in two providers never give two operations one id. An id set
/// on the handler that already begins so is kept.
fn name_by_tag(api: &mut utoipa::openapi::OpenApi) {
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let Some(tag) = operation.tags.as_ref().and_then(|tags| tags.first()) else {
                continue;
            };
            let prefix = format!("{tag}_");
            if let Some(id) = &mut operation.operation_id
                && !id.starts_with(&prefix)
            {
                id.insert_str(0, &prefix);
            }
        }
    }
}

/// Adds each control-plane path again under `/__sandbox/workspaces/{name}`.
fn in_every_workspace(api: &mut utoipa::openapi::OpenApi) {
    let scoped: Vec<(String, utoipa::openapi::PathItem)> = api
        .paths
        .paths
        .iter()
        .filter_map(|(path, item)| {
            let rest = path.strip_prefix("/__sandbox/")?;
            if rest == "openapi.json" || rest.starts_with("workspaces") {
                return None;
            }
            Some((
                format!("/__sandbox/workspaces/{{name}}/{rest}"),
                in_workspace(item.clone()),
            ))
        })
        .collect();
    api.paths.paths.extend(scoped);
}

/// A control-plane path item as it is under a workspace's prefix: each
/// operation takes the workspace's `name` and has an id of its own.
fn in_workspace(mut item: utoipa::openapi::PathItem) -> utoipa::openapi::PathItem {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    let operations = [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ];
    for operation in operations.into_iter().flatten() {
        let name = ParameterBuilder::new()
            .name("name")
            .parameter_in(ParameterIn::Path)
            .required(utoipa::openapi::Required::True)
            .description(Some("Workspace name"))
            .schema(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String),
            ))
            .build();
        operation
            .parameters
            .get_or_insert_with(Vec::new)
            .insert(0, name.into());
        if let Some(id) = &mut operation.operation_id {
            id.push_str("_in_workspace");
        }
        operation
            .responses
            .responses
            .entry("404".to_owned())
            .or_insert_with(|| {
                utoipa::openapi::ResponseBuilder::new()
                    .description("No such workspace")
                    .into()
            });
    }
    item
}

/// Every route for one sandbox alone (tests that need no workspaces): each
/// request is for `state`.
pub fn router(state: AppState) -> Router {
    let (routes, api, nav) = shared_router(&state, false);
    Router::new().fallback_service(App::alone(state, routes, api, nav))
}

/// The whole of paysandbox: one router for every workspace, each request
/// sent with its workspace (see `http::dispatch`), and the workspaces
/// themselves under `/__sandbox/workspaces`.
pub fn app(workspaces: Workspaces) -> App {
    let state = workspaces.default_workspace().state.clone();
    let (routes, api, nav) = shared_router(&state, true);
    App::for_workspaces(workspaces, routes, api, nav)
}

/// Every route on one router, with the OpenAPI document and the
/// dashboard's navigation, for the workspace [`App`] puts on each request
/// (`Current`); `state` gives the providers (any workspace's table lists
/// the same).
///
/// The per-request work that does not depend on the route (path
/// canonicalisation, faults, the journal, security headers) is [`App`]'s,
/// done once before routing; a layer here is on each route, and axum clones
/// a route's whole layer stack for every request it serves, so only cheap
/// ones are.
fn shared_router(
    state: &AppState,
    workspaces: bool,
) -> (Router, LazyDocument, crate::web::NavItems) {
    let (routes, _) = documented_routes(&state.providers, workspaces);
    let providers = state.providers.clone();
    let api = LazyDocument::new(move || document(&providers, workspaces));
    let nav = crate::web::NavItems(
        std::iter::once(dashboard::OVERVIEW)
            .chain(state.providers.iter().flat_map(|p| p.nav()))
            .chain(dashboard::NAV)
            .collect(),
    );
    let panels = state
        .providers
        .iter()
        .fold(Router::new(), |panels, p| panels.merge(p.panels()));
    let routed = routes
        .merge(dashboard::router())
        .merge(panels)
        // The control plane's and dashboard's extractors get the providers'
        // body limit too (axum's default is 2 MB); a copy of a number.
        .layer(axum::extract::DefaultBodyLimit::max(
            state.core.max_body_bytes,
        ))
        // Per route: the metrics label is the matched route.
        .layer(mw::CountRequestsLayer::new(
            state.core.metrics.clone(),
            state.providers.clone(),
        ))
        // Turns every handler into a finished route once: a router used as
        // a service without it turns the matched handler into a route (a
        // clone of its whole layer stack) on every request.
        .with_state(());
    (routed, api, nav)
}

/// `app` as seen from a provider's own listener: every path is taken as
/// relative to `mount`, so `/v1/payment` there is `/softline/v1/payment`
/// here, with the same journal, scenarios and faults. A path already under
/// `mount` is served as it is: the hosted pages link to their own mount
/// (`/intellectmoney/pay/…`), and the real APIs have no such paths.
fn mounted_at(mount: &'static str, app: App) -> Router {
    let prefixed = tower::ServiceBuilder::new()
        .map_request(move |mut request: axum::extract::Request| {
            let uri = request.uri();
            let path = uri.path();
            let under_mount = path
                .get(..mount.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(mount))
                && matches!(path.as_bytes().get(mount.len()), None | Some(b'/'));
            if !under_mount {
                let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
                if let Ok(prefixed) = format!("{mount}{path_and_query}").parse() {
                    *request.uri_mut() = prefixed;
                }
            }
            request
        })
        .service(app);
    Router::new().fallback_service(prefixed)
}

/// Restores `default` from the snapshot document in `path` (`--state`) and
/// keeps the document as its snapshot. Anything wrong stops start-up: a
/// sandbox that silently started empty would fail tests for the wrong
/// reason.
async fn start_from(state: &AppState, path: &Path) -> Result<(), StartupError> {
    let failed = |message: String| StartupError::State {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
    let document = crate::core::snapshot::parse(&text).map_err(|e| failed(e.to_string()))?;
    state
        .restore(&document)
        .await
        .map_err(|e| failed(e.to_string()))?;
    tracing::info!(path = %path.display(), snapshot = %document.name, "default restored from --state");
    state.core.snapshots.put(document);
    Ok(())
}

/// Binds `addr` (port 0 takes a free port) and says where it is. `option`
/// names the listener as the command line does (`listen`,
/// `softline-listen`), for the error.
async fn bind(addr: SocketAddr, option: &str) -> Result<(TcpListener, SocketAddr), StartupError> {
    let failed = |source: std::io::Error| {
        let flag = format!("--{option}");
        if source.kind() == std::io::ErrorKind::AddrInUse {
            StartupError::AddressInUse {
                addr,
                flag,
                env: format!("PAYSANDBOX_{}", option.replace('-', "_").to_uppercase()),
                free: SocketAddr::new(addr.ip(), 0),
            }
        } else {
            StartupError::Bind { addr, flag, source }
        }
    };
    let listener = TcpListener::bind(addr).await.map_err(failed)?;
    let address = listener.local_addr().map_err(failed)?;
    Ok((listener, address))
}

/// `url` as the base of every URL handed out, if it is an absolute
/// http(s) URL with a host.
pub(crate) fn parse_public_url(url: &str) -> Result<PublicUrl, StartupError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| StartupError::PublicUrl(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(StartupError::PublicUrl(url.to_owned()));
    }
    Ok(PublicUrl::new(url))
}

/// `GET /healthz`.
#[utoipa::path(get, path = "/healthz", tag = "sandbox", responses((status = 200, description = "Up and serving", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The answer of `/healthz`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Health {
    /// Always `ok`.
    #[schema(value_type = String)]
    status: &'static str,
}

/// `GET /__sandbox/openapi.json`: this document.
#[utoipa::path(get, path = "/__sandbox/openapi.json", tag = "sandbox", responses((status = 200, description = "OpenAPI 3.1 of every route", body = Object, content_type = "application/json")))]
async fn openapi_json(
    Extension(api): Extension<Arc<LazyDocument>>,
) -> Json<Arc<utoipa::openapi::OpenApi>> {
    Json(api.get())
}

/// A listener of its own for one provider, serving it at its root.
struct ProviderListener {
    /// The provider's name (`softline`); its requests are served under its
    /// mount.
    name: &'static str,
    listener: TcpListener,
    address: SocketAddr,
}

/// A bound, ready-to-serve paysandbox.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    provider_listeners: Vec<ProviderListener>,
    workspaces: Workspaces,
    settings: Settings,
}

impl Application {
    /// Loads the fixtures, binds the listener (port 0 takes a free one) and
    /// builds the state with the real public URL.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let fixtures = Fixtures::load(settings.fixtures.as_deref())?;
        Self::build_with(settings, &fixtures, Clock::new(Arc::new(SystemTime))).await
    }

    /// Like [`Application::build`] with given fixtures and clock (tests).
    pub async fn build_with(
        settings: Settings,
        fixtures: &Fixtures,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        // Checked before binding: a refused URL leaves no port taken.
        let public_url = settings
            .public_url
            .as_deref()
            .map(parse_public_url)
            .transpose()?;
        let (listener, address) = bind(settings.listen, "listen").await?;
        let mut provider_listeners = Vec::new();
        for (name, addr) in settings.provider_listeners() {
            let (listener, address) = bind(addr, &format!("{name}-listen")).await?;
            tracing::info!("{name} also served at the root of http://{address}");
            provider_listeners.push(ProviderListener {
                name,
                listener,
                address,
            });
        }
        let public_url = public_url.unwrap_or_else(|| PublicUrl::new(&format!("http://{address}")));
        let workspaces = Workspaces::new(&settings, fixtures, clock, public_url);
        let mut fresh = true;
        if let Some(dir) = &settings.data_dir {
            let data_dir = crate::core::durable::DataDir::open(dir)?
                .with_journal_capacity(settings.journal_capacity);
            fresh = data_dir.was_new();
            let path = data_dir.path().display().to_string();
            let objects = workspaces.keep_in(data_dir)?;
            tracing::info!(path = %path, objects, workspaces = workspaces.list().len(), "state kept in the data directory");
        }
        if let Some(path) = &settings.initial_state {
            if fresh {
                start_from(&workspaces.default_workspace().state, path).await?;
                workspaces.keep_all().await?;
            } else {
                tracing::info!(state = %path.display(), "--state ignored: the data directory holds state already");
            }
        }
        let core = &workspaces.default_workspace().state.core;
        tracing::info!(
            seed = core.ids.seed(),
            public_url = core.public_url.as_str(),
            "paysandbox ready (repeat this run's ids with --seed {})",
            core.ids.seed()
        );
        Ok(Self {
            listener,
            address,
            provider_listeners,
            workspaces,
            settings,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// `http://HOST:PORT` as bound.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Where `--softline-listen` / `--intellectmoney-listen` were bound, by
    /// mount point (`/softline`, `/intellectmoney`).
    pub fn provider_addresses(&self) -> Vec<(&'static str, SocketAddr)> {
        self.provider_listeners
            .iter()
            .filter_map(|l| {
                let providers = &self.workspaces.default_workspace().state.providers;
                Some((providers.named(l.name)?.mount(), l.address))
            })
            .collect()
    }

    /// `default`'s state, for tests that drive the clock or the outbox
    /// directly.
    pub fn state(&self) -> AppState {
        self.workspaces.default_workspace().state.clone()
    }

    /// Every workspace.
    pub fn workspaces(&self) -> Workspaces {
        self.workspaces.clone()
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests
    /// finish (for at most the configured grace) and gives pending webhooks
    /// one more attempt.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let workspaces = self.workspaces.clone();
        if self.settings.deliver_webhooks {
            workspaces.start_workers(self.settings.webhook_concurrency);
        }
        if let Some(ttl) = self.settings.workspace_idle_ttl {
            workspaces.start_janitor(ttl.into());
        }
        if let Some(retention) = self.settings.retention {
            workspaces.start_forgetting(retention.into());
        }
        workspaces.start_keeper(Duration::from_millis(200));
        let providers = workspaces.default_workspace().state.providers.clone();
        let app = app(self.workspaces);
        let limits = crate::serve::Limits {
            max_connections: self.settings.max_connections,
            header_read_timeout: Duration::from_millis(self.settings.header_read_timeout_ms),
        };
        let grace = Duration::from_millis(self.settings.shutdown_grace_ms);
        let mut servers = tokio::task::JoinSet::new();
        for listener in self.provider_listeners {
            let Some(provider) = providers.named(listener.name) else {
                continue;
            };
            servers.spawn(crate::serve::serve(
                listener.listener,
                mounted_at(provider.mount(), app.clone()),
                limits,
                shutdown.clone(),
                grace,
            ));
        }
        crate::serve::serve(self.listener, app, limits, shutdown, grace).await;
        while servers.join_next().await.is_some() {}
        workspaces.stop();
        if self.settings.deliver_webhooks {
            let flushes = workspaces
                .list()
                .into_iter()
                .map(|w| async move { w.state.core.outbox.flush(Duration::from_secs(5)).await });
            futures_util::future::join_all(flushes).await;
        }
        if let Err(error) = workspaces.keep_all().await {
            tracing::error!(cause = %error, "the last changes could not be kept");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn providers() -> Providers {
        let clock = Clock::new(Arc::new(SystemTime));
        let url = PublicUrl::new("http://127.0.0.1:8080");
        AppState::new(&Settings::default(), &Fixtures::builtin(), clock, url).providers
    }

    /// Each path with the methods it has an operation for.
    fn routed(api: &utoipa::openapi::OpenApi) -> Vec<(String, [bool; 5])> {
        api.paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                    .map(Option::is_some);
                (path.clone(), methods)
            })
            .collect()
    }

    #[test]
    fn start_up_routes_every_documented_path_and_method_without_writing_the_document() {
        let providers = providers();

        let (_, light) = documented_routes(&providers, true);
        let (_, full) = openapi::with_operations(|| documented_routes(&providers, true));

        assert_eq!(routed(&light), routed(&full));
        assert!(routed(&full).len() > 50, "every provider's routes are in");
        let softline = &full.paths.paths["/softline/v1/payment"];
        assert!(softline.post.as_ref().unwrap().request_body.is_some());
        let light_post = light.paths.paths["/softline/v1/payment"].post.clone();
        assert!(light_post.unwrap().request_body.is_none(), "nothing built");
    }
}
