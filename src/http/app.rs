//! paysandbox as one tower service: every request's way in.
//!
//! A request goes, in turn: to its workspace ([`super::dispatch`]), through
//! the work every request shares ([`super::middleware::observe`]: the
//! canonical path, the journal, security headers), then to the route table.
//! These are plain async functions, each calling the next, not `from_fn`
//! layers around a router: each such layer cloned the rest of the stack,
//! boxed it as a `Next` and boxed its own future, for every request, and
//! the router they wrapped cloned its fallback stack again (together about
//! 5% of a create-payment's processor time in profiles; `BENCHMARKS.md`,
//! "Fourth pass").

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use tower::Service;

use crate::core::current::{Current, WorkspaceParts};
use crate::state::AppState;
use crate::web::NavItems;
use crate::workspaces::Workspaces;

/// Every route of paysandbox behind its dispatcher (a cheap handle: clone
/// it per connection).
#[derive(Clone)]
pub struct App(Arc<Front>);

struct Front {
    scope: Scope,
    routes: Router,
    /// What the dashboard's pages and the OpenAPI document read from a
    /// request's extensions.
    api: Arc<utoipa::openapi::OpenApi>,
    nav: NavItems,
}

/// Whom requests are for.
enum Scope {
    /// The workspace each request names (see `dispatch`).
    Workspaces(Workspaces),
    /// One sandbox, whatever the request (tests of one workspace).
    Alone { state: AppState, current: Current },
}

impl App {
    /// `routes` for the workspace each request names.
    pub fn for_workspaces(
        workspaces: Workspaces,
        routes: Router,
        api: utoipa::openapi::OpenApi,
        nav: NavItems,
    ) -> Self {
        Self::new(Scope::Workspaces(workspaces), routes, api, nav)
    }

    /// `routes` with every request for `state`.
    pub fn alone(
        state: AppState,
        routes: Router,
        api: utoipa::openapi::OpenApi,
        nav: NavItems,
    ) -> Self {
        let current = Current(Arc::new(state.clone()) as Arc<dyn WorkspaceParts>);
        Self::new(Scope::Alone { state, current }, routes, api, nav)
    }

    fn new(scope: Scope, routes: Router, api: utoipa::openapi::OpenApi, nav: NavItems) -> Self {
        Self(Arc::new(Front {
            scope,
            routes,
            api: Arc::new(api),
            nav,
        }))
    }

    async fn serve(self, mut request: Request) -> Response {
        let routes = Routes(&self.0);
        match &self.0.scope {
            Scope::Workspaces(workspaces) => {
                super::dispatch::dispatch(workspaces, request, routes).await
            }
            Scope::Alone { state, current } => {
                request.extensions_mut().insert(current.clone());
                if renders_pages(&state.providers, &request) {
                    routes.for_pages(&mut request);
                }
                super::middleware::observe(&state.core, &state.providers, request, routes).await
            }
        }
    }
}

/// Whether a request may render a dashboard page or the OpenAPI document,
/// which need more on the request than its workspace. A provider's API
/// call renders none, and every extension is an allocation on its path.
pub fn renders_pages(providers: &crate::provider::Providers, request: &Request) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD)
        || providers.of_path(request.uri().path()).is_none()
}

/// The route table, where a request goes once it is observed.
#[derive(Clone, Copy)]
pub struct Routes<'a>(&'a Front);

impl Routes<'_> {
    /// Puts on `request` what pages read: the navigation and the OpenAPI
    /// document.
    pub fn for_pages(self, request: &mut Request) {
        let extensions = request.extensions_mut();
        extensions.insert(self.0.nav.clone());
        extensions.insert(Arc::clone(&self.0.api));
    }

    /// The route's answer (the router's own 404 or 405 when none matches).
    pub async fn run(self, request: Request) -> Response {
        let mut router = self.0.routes.clone();
        match router.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

impl<B> Service<axum::http::Request<B>> for App
where
    B: HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let app = self.clone();
        Box::pin(async move { Ok(app.serve(request.map(Body::new)).await) })
    }
}
