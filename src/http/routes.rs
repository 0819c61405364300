//! The route table: where a request goes once its workspace is known and
//! it is observed. Apart from the way in ([`super::app`]) so that the
//! dispatch and the middleware, which hand a request on to it, do not
//! reach back up to the service that calls them.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use tower::Service;

use crate::openapi::LazyDocument;
use crate::web::NavItems;

/// Every route, and what pages read beside them.
pub struct RouteTable {
    routes: Router,
    /// What the OpenAPI document's route reads from a request's
    /// extensions (written on its first request).
    api: Arc<LazyDocument>,
    nav: NavItems,
}

impl RouteTable {
    pub fn new(routes: Router, api: LazyDocument, nav: NavItems) -> Self {
        Self {
            routes,
            api: Arc::new(api),
            nav,
        }
    }

    /// A handle to hand on with a request.
    pub fn routes(&self) -> Routes<'_> {
        Routes(self)
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
pub struct Routes<'a>(&'a RouteTable);

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
