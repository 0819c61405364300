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
//! "One way in, borrowed create, lock-free workspaces").

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::response::Response;
use tower::Service;

use super::routes::{RouteTable, renders_pages};
use crate::core::current::{Current, WorkspaceParts};
use crate::openapi::LazyDocument;
use crate::state::AppState;
use crate::web::NavItems;
use crate::workspaces::Workspaces;

/// Every route of paysandbox behind its dispatcher (a cheap handle: clone
/// it per connection).
#[derive(Clone)]
pub struct App(Arc<Front>);

struct Front {
    scope: Scope,
    table: RouteTable,
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
        api: LazyDocument,
        nav: NavItems,
    ) -> Self {
        Self::new(Scope::Workspaces(workspaces), routes, api, nav)
    }

    /// `routes` with every request for `state`.
    pub fn alone(state: AppState, routes: Router, api: LazyDocument, nav: NavItems) -> Self {
        let current = Current(Arc::new(state.clone()) as Arc<dyn WorkspaceParts>);
        Self::new(Scope::Alone { state, current }, routes, api, nav)
    }

    fn new(scope: Scope, routes: Router, api: LazyDocument, nav: NavItems) -> Self {
        Self(Arc::new(Front {
            scope,
            table: RouteTable::new(routes, api, nav),
        }))
    }

    async fn serve(self, mut request: Request) -> Response {
        let routes = self.0.table.routes();
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
