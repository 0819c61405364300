//! Building and running the application: one function builds the whole
//! router (tests use it too), and `Application` binds, serves and stops.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::{Extension, Json, Router, middleware};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Settings;
use crate::core::clock::{Clock, SystemTime};
use crate::core::fixtures::FixtureError;
use crate::core::{Core, PublicUrl};
use crate::demo;
use crate::fixtures::Fixtures;
use crate::http::{admin, dashboard, middleware as mw};
use crate::providers::{imshop, intellectmoney, softline};
use crate::state::AppState;

/// Why paysandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("--public-url {0:?} is not an absolute http(s) URL")]
    PublicUrl(String),
}

/// The OpenAPI document's fixed parts; the paths come from the routers.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "paysandbox",
        description = "A local sandbox of Softline Payments, IntellectMoney and IMSHOP.IO."
    ),
    tags(
        (name = "softline", description = "Softline Payments API and hosted form"),
        (name = "intellectmoney", description = "IntellectMoney merchant API and hosted pages"),
        (name = "imshop", description = "IMSHOP.IO: sync URL and conformance runs"),
        (name = "demo", description = "The reference merchant"),
        (name = "sandbox", description = "The control plane"),
    )
)]
struct ApiDoc;

/// Every documented route with the OpenAPI document they make up.
fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .nest("/softline", softline::router())
        .nest("/intellectmoney", intellectmoney::router())
        .nest("/imshop", imshop::router())
        .nest("/demo/merchant", demo::router())
        .nest("/__sandbox", admin::router())
        .nest(
            "/__sandbox/intellectmoney",
            intellectmoney::control_router(),
        )
        .nest("/__sandbox/softline", softline::control_router())
        .routes(routes!(openapi_json))
        .routes(routes!(admin::metrics))
        .split_for_parts()
}

/// The OpenAPI 3.1 document of every route (served at
/// `/__sandbox/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().1
}

/// Every route of paysandbox on one router.
///
/// The per-request work that does not depend on the route (path
/// canonicalisation, faults, the journal, security headers, tracing) wraps
/// the router once instead of each route: axum clones a route's whole layer
/// stack for every request it serves, and that cloning showed in profiles.
pub fn router(state: AppState) -> Router {
    let (routes, api) = documented_routes();
    let core = state.core.clone();
    let nav = crate::web::Nav(
        [
            dashboard::OVERVIEW,
            softline::panel::NAV,
            intellectmoney::panel::NAV,
            imshop::RUNS_NAV,
        ]
        .into_iter()
        .chain(dashboard::NAV)
        .collect(),
    );
    let panels = softline::panel::routes()
        .with_state(state.softline.clone())
        .merge(intellectmoney::panel::routes().with_state(state.intellectmoney.clone()));
    let routed = routes
        .merge(dashboard::router())
        .merge(panels)
        // The control plane's and dashboard's extractors get the providers'
        // body limit too (axum's default is 2 MB).
        .layer(axum::extract::DefaultBodyLimit::max(
            state.core.max_body_bytes,
        ))
        .layer(Extension(Arc::new(api)))
        .layer(Extension(nav))
        // Per route: the metrics label is the matched route.
        .layer(middleware::from_fn_with_state(
            core.clone(),
            mw::count_request,
        ))
        .with_state(state);
    let service = tower::ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn_with_state(core.clone(), mw::observe))
        // Bodies the journal middleware does not read (control plane,
        // dashboard) get the same time limit.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            core.body_read_timeout,
        ))
        .service(routed);
    Router::new().fallback_service(service)
}

/// `app` as seen from a provider's own listener: every path is taken as
/// relative to `mount`, so `/v1/payment` there is `/softline/v1/payment`
/// here, with the same journal, scenarios and faults. A path already under
/// `mount` is served as it is: the hosted pages link to their own mount
/// (`/intellectmoney/pay/…`), and the real APIs have no such paths.
fn mounted_at(mount: &'static str, app: Router) -> Router {
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

/// Binds `addr` (port 0 takes a free port) and says where it is.
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    let address = listener
        .local_addr()
        .map_err(|source| StartupError::Bind { addr, source })?;
    Ok((listener, address))
}

/// `GET /healthz`.
#[utoipa::path(get, path = "/healthz", tag = "sandbox", responses((status = 200, description = "`{\"status\":\"ok\"}`")))]
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /__sandbox/openapi.json`: this document.
#[utoipa::path(get, path = "/__sandbox/openapi.json", tag = "sandbox", responses((status = 200, description = "OpenAPI 3.1 of every route")))]
async fn openapi_json(
    Extension(api): Extension<Arc<utoipa::openapi::OpenApi>>,
) -> Json<Arc<utoipa::openapi::OpenApi>> {
    Json(api)
}

/// Builds the application state for a server reachable at `public_url`.
pub fn build_state(
    settings: &Settings,
    fixtures: &Fixtures,
    clock: Clock,
    public_url: PublicUrl,
) -> AppState {
    let seed = settings.seed.unwrap_or_else(rand::random);
    let core = Core::new(
        settings,
        clock,
        seed,
        public_url,
        Arc::clone(&fixtures.cards),
        crate::providers::catalogue(),
    );
    AppState {
        softline: softline::State::new(core.clone(), Arc::clone(&fixtures.softline)),
        intellectmoney: intellectmoney::State::new(
            core.clone(),
            Arc::clone(&fixtures.intellectmoney),
        ),
        imshop: imshop::State::new(core.clone(), Arc::clone(&fixtures.imshop)),
        demo: demo::State::new(core.clone(), Arc::clone(&fixtures.imshop)),
        core,
    }
}

/// A listener of its own for one provider, serving it at its root.
struct ProviderListener {
    /// The mount point its requests are served under (`/softline`).
    mount: &'static str,
    listener: TcpListener,
    address: SocketAddr,
}

/// A bound, ready-to-serve paysandbox.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    provider_listeners: Vec<ProviderListener>,
    state: AppState,
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
        let (listener, address) = bind(settings.listen).await?;
        let mut provider_listeners = Vec::new();
        for (mount, addr) in [
            ("/softline", settings.softline_listen),
            ("/intellectmoney", settings.intellectmoney_listen),
        ] {
            if let Some(addr) = addr {
                let (listener, address) = bind(addr).await?;
                tracing::info!(
                    "{} also served at the root of http://{address}",
                    &mount[1..]
                );
                provider_listeners.push(ProviderListener {
                    mount,
                    listener,
                    address,
                });
            }
        }
        let public_url = match &settings.public_url {
            Some(url) => {
                let parsed =
                    reqwest::Url::parse(url).map_err(|_| StartupError::PublicUrl(url.clone()))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(StartupError::PublicUrl(url.clone()));
                }
                PublicUrl::new(url)
            }
            None => PublicUrl::new(&format!("http://{address}")),
        };
        let state = build_state(&settings, fixtures, clock, public_url);
        tracing::info!(
            seed = state.core.ids.seed(),
            public_url = state.core.public_url.as_str(),
            "paysandbox ready (repeat this run's ids with --seed {})",
            state.core.ids.seed()
        );
        Ok(Self {
            listener,
            address,
            provider_listeners,
            state,
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
            .map(|l| (l.mount, l.address))
            .collect()
    }

    /// The state, for tests that drive the clock or the outbox directly.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests
    /// finish (for at most the configured grace) and gives pending webhooks
    /// one more attempt.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let outbox = self.state.core.outbox.clone();
        let worker = self.settings.deliver_webhooks.then(|| {
            tokio::spawn(
                outbox
                    .clone()
                    .run_worker(self.settings.webhook_concurrency, shutdown.child_token()),
            )
        });
        let app = router(self.state);
        let limits = crate::serve::Limits {
            max_connections: self.settings.max_connections,
            header_read_timeout: Duration::from_millis(self.settings.header_read_timeout_ms),
        };
        let grace = Duration::from_millis(self.settings.shutdown_grace_ms);
        let mut servers = tokio::task::JoinSet::new();
        for provider in self.provider_listeners {
            servers.spawn(crate::serve::serve(
                provider.listener,
                mounted_at(provider.mount, app.clone()),
                limits,
                shutdown.clone(),
                grace,
            ));
        }
        crate::serve::serve(self.listener, app, limits, shutdown, grace).await;
        while servers.join_next().await.is_some() {}
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        if self.settings.deliver_webhooks {
            outbox.flush(Duration::from_secs(5)).await;
        }
        Ok(())
    }
}
