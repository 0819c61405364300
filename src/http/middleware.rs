//! Middleware that every request passes through.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tower::{Layer, Service};

use super::routes::Routes;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::core::Core;
use crate::core::error::CoreError;
use crate::core::faults::Action;
use crate::core::journal::{Entry, EntryKind, Message};
use crate::core::journal::{JournalObjects, JournalSummary};
use crate::core::metrics::{Metrics, Route, method_label};
use crate::core::signature::{BASE_HEADER, SignatureHelp};
use crate::provider::{Provider, Providers};

/// What every request goes through before routing: its path put in
/// canonical form, then (for a provider's path) `record_exchange`, then
/// security headers on HTML answers.
pub async fn observe(
    core: &Core,
    providers: &Providers,
    mut request: Request,
    next: Routes<'_>,
) -> Response {
    canonicalize_path(providers, &mut request);
    // The request line at DEBUG (`RUST_LOG=paysandbox::http=debug`); off by
    // default, and then nothing is copied for it (tower-http's trace layer,
    // here before, wrapped every answer's body to time it).
    let logged = tracing::enabled!(tracing::Level::DEBUG).then(|| {
        (
            request.method().clone(),
            request.uri().clone(),
            Instant::now(),
        )
    });
    let hosted = providers.of_path(request.uri().path());
    let mut response = match hosted {
        Some(provider) => record_exchange(core, providers, provider, request, next).await,
        None => {
            // Cheap clones (shared bytes), kept for a routing error's message.
            let (uri, method) = (request.uri().clone(), request.method().clone());
            // Bodies read here by the control plane and the dashboard get
            // the providers' time limit (a provider's body is read, bounded,
            // in `record_exchange`; a timer on every body is not free).
            let request = request.map(|body| {
                Body::new(tower_http::timeout::TimeoutBody::new(
                    core.body_read_timeout,
                    body,
                ))
            });
            let changes_state = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
            let mut response = next.run(request).await;
            // A control-plane or dashboard change is kept before it is
            // answered, with every head (clock, sequences, targets).
            if changes_state && let Err(error) = crate::state::persist(core, providers, true).await
            {
                tracing::error!(cause = %error, "a control-plane change could not be kept");
                response = CoreError::Unavailable(error.to_string()).into_response();
            }
            envelope_routing_error(&response, None, &uri, &method).unwrap_or(response)
        }
    };
    crate::http::security::add_headers(&mut response, hosted.is_some());
    if let Some((method, uri, started)) = logged {
        tracing::debug!(
            %method,
            %uri,
            status = response.status().as_u16(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "answered"
        );
    }
    response
}

/// Paths in any letter case reach their route (IntellectMoney's are
/// case-insensitive): this runs before routing, which a layer on a route
/// could not.
fn canonicalize_path(providers: &Providers, request: &mut Request) {
    let Some(path) = providers.canonical_path(request.uri().path()) else {
        return;
    };
    let mut parts = request.uri().clone().into_parts();
    let query = parts
        .path_and_query
        .as_ref()
        .and_then(|pq| pq.query())
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    if let Ok(pq) = format!("{path}{query}").parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
}

/// Records every exchange with a provider (or the demo merchant) in the
/// journal: method, path, status, duration, headers and bodies with secrets
/// masked, and the objects the handler said it touched.
///
/// The request body is read here, bounded by `max_body_bytes`, so an
/// oversized body is refused with 413 in the provider's own envelope before
/// any handler runs.
async fn record_exchange(
    core: &Core,
    providers: &Providers,
    provider: &dyn Provider,
    request: Request,
    next: Routes<'_>,
) -> Response {
    let name = provider.name();
    let started = Instant::now();
    let at = core.clock.now();
    // Taken now, so the exchange precedes on a timeline what it caused.
    let journal_id = core.journal.reserve();
    let fault = core
        .faults
        .inbound(name, request.method().as_str(), request.uri().path());
    let (parts, body) = request.into_parts();
    let bytes = match read_body(provider, body, core.max_body_bytes, core.body_read_timeout).await {
        Ok(bytes) => bytes,
        Err(refusal) => return *refusal,
    };
    let limit = core.journal.body_limit();
    let request_message = Message::from_http(&parts.headers, &bytes, limit);
    let method = parts.method.as_str().to_owned();
    let url = uri_text(&parts.uri);
    if let Some(delay) = fault.and_then(|f| f.delay) {
        tokio::time::sleep(delay).await;
    }
    // A mistyped scenario id would otherwise be ignored in silence and the
    // test would pass or fail for the wrong reason.
    let unknown_scenario = crate::core::scenarios::header_of(&parts.headers)
        .map(str::trim)
        .filter(|id| core.scenarios.find(id).is_none())
        .map(str::to_owned);
    // A request's share of the epoch, held until what it did is kept.
    let mut inside = None;
    let response = match fault.map(|f| f.action) {
        _ if unknown_scenario.is_some() => provider.transport_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "Unknown X-Sandbox-Scenario {:?}: see GET /__sandbox/scenarios/catalogue.",
                unknown_scenario.unwrap_or_default()
            ),
        ),
        Some(Action::Drop) => {
            let mut entry =
                Entry::new(name, EntryKind::Inbound).summary("connection dropped (fault injected)");
            entry.method = Some(method);
            entry.url = Some(url);
            entry.duration_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
            entry.request = Some(request_message);
            core.journal.record_reserved(entry, journal_id, at);
            return dropped_connection();
        }
        Some(Action::Status(status)) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        // Outbound-only actions never reach here (validated when added).
        Some(Action::Pass | Action::BadSignature) | None => {
            let (uri, method) = (parts.uri.clone(), parts.method.clone());
            if provider.waits_for_reset() {
                inside = Some(core.epoch.enter().await);
            }
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            // Enveloped here so the journal shows what the client got.
            envelope_routing_error(&response, Some(provider), &uri, &method).unwrap_or(response)
        }
    };

    let (mut parts, body) = response.into_parts();
    // Our own responses are small and complete; a failure here is a bug.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(cause = %err, "could not buffer a response for the journal");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut entry = Entry::new(name, EntryKind::Inbound);
    if let Some(fault) = fault {
        entry.summary = Some(format!("fault {} injected", fault.handle));
    }
    entry.method = Some(method);
    entry.url = Some(url);
    entry.status = Some(parts.status.as_u16());
    entry.duration_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    // Taken, not copied: what the handler said is for the journal alone.
    entry.objects = parts
        .extensions
        .remove::<JournalObjects>()
        .map(|o| o.0)
        .unwrap_or_default();
    if let Some(summary) = parts.extensions.remove::<JournalSummary>() {
        entry.summary = Some(summary.0);
    }
    entry.request = Some(request_message);
    entry.signature = parts.extensions.remove::<SignatureHelp>();
    entry.response = Some(match &entry.signature {
        // The client gets the base as it sent the fields; the journal's
        // copy of the header is the masked one, like the rest of the entry.
        Some(help) => {
            let mut headers = parts.headers.clone();
            if let Ok(value) = HeaderValue::from_str(&help.header_value()) {
                headers.insert(BASE_HEADER, value);
            }
            Message::from_response(&headers, &bytes, limit)
        }
        None => Message::from_response(&parts.headers, &bytes, limit),
    });
    core.journal.record_reserved(entry, journal_id, at);
    // Kept before it is answered (its journal entry too), and inside the
    // epoch: a reset comes wholly after what this request did, on disk too.
    if let Err(error) = crate::state::persist(core, providers, false).await {
        tracing::error!(cause = %error, "a provider request's changes could not be kept");
        return provider.transport_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("The sandbox could not keep this change: {error}"),
        );
    }
    drop(inside);
    Response::from_parts(parts, Body::from(bytes))
}

/// A response whose body fails before its first byte: hyper then closes the
/// connection without completing the answer, which is what a client sees
/// when a server or proxy drops it.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped (fault injected by paysandbox)",
        ))
    });
    let mut response = Response::new(Body::from_stream(failing));
    response.extensions_mut().insert(Dropped);
    response
}

/// A request's URI as the journal shows it: its path and query as sent
/// (one exact copy; `to_string` grows its string as it formats).
fn uri_text(uri: &axum::http::Uri) -> String {
    match (uri.scheme(), uri.path_and_query()) {
        (None, Some(path_and_query)) => path_and_query.as_str().to_owned(),
        _ => uri.to_string(),
    }
}

/// Marks a response whose connection is dropped, for the metrics.
#[derive(Debug, Clone, Copy)]
struct Dropped;

/// Counts every answered request by provider, route, method and status. A
/// layer on each route, where `MatchedPath` names the route; written out
/// rather than with `from_fn`, which boxes the rest of the route and its
/// future again for every request.
#[derive(Clone)]
pub struct CountRequestsLayer(Arc<Counting>);

struct Counting {
    /// Shared by every workspace (`core::Commons`).
    metrics: Metrics,
    /// The same table in every workspace.
    providers: Providers,
}

impl CountRequestsLayer {
    pub fn new(metrics: Metrics, providers: Providers) -> Self {
        Self(Arc::new(Counting { metrics, providers }))
    }
}

impl<S> Layer<S> for CountRequestsLayer {
    type Service = CountRequests<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CountRequests {
            inner,
            counting: Arc::clone(&self.0),
        }
    }
}

/// See [`CountRequestsLayer`].
#[derive(Clone)]
pub struct CountRequests<S> {
    inner: S,
    counting: Arc<Counting>,
}

impl<S> Service<Request> for CountRequests<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let provider = self
            .counting
            .providers
            .of_path(request.uri().path())
            .map_or("sandbox", |p| p.name());
        let route = Route::new(request.extensions().get::<axum::extract::MatchedPath>());
        let method = method_label(request.method());
        Counted {
            answer: self.inner.call(request),
            started: Instant::now(),
            labels: Some((provider, route, method)),
            counting: Arc::clone(&self.counting),
        }
    }
}

pin_project_lite::pin_project! {
    /// A route's answer, counted when it is ready.
    pub struct Counted<F> {
        #[pin]
        answer: F,
        started: Instant,
        labels: Option<(&'static str, Route, &'static str)>,
        counting: Arc<Counting>,
    }
}

impl<F, E> std::future::Future for Counted<F>
where
    F: std::future::Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = std::task::ready!(this.answer.poll(cx));
        if let (Ok(response), Some((provider, route, method))) = (&answer, this.labels.take()) {
            // A dropped connection has no status; it is counted as status 0.
            let status = if response.extensions().get::<Dropped>().is_some() {
                0
            } else {
                response.status().as_u16()
            };
            this.counting.metrics.observe_request(
                provider,
                route,
                method,
                status,
                this.started.elapsed().as_secs_f64(),
            );
        }
        Poll::Ready(answer)
    }
}

/// Whether `T` is anywhere in the error's chain of causes (body errors come
/// wrapped several times on their way through the layers).
/// A provider request's body, at most `max_bytes` and sent within
/// `timeout`; one too large, too slow or unreadable is refused in the
/// provider's own envelope (boxed: the happy path should not carry a whole
/// response's room).
pub async fn read_body(
    provider: &dyn Provider,
    body: Body,
    max_bytes: usize,
    timeout: std::time::Duration,
) -> Result<bytes::Bytes, Box<Response>> {
    let refusal = |status, message: &str| Box::new(provider.transport_error(status, message));
    let too_slow = "The request body was not sent in time.";
    let mut reading = std::pin::pin!(axum::body::to_bytes(body, max_bytes));
    // A small body usually came with the headers: read without a timer
    // first, and arm one (a registration in the timer wheel, on the hot
    // path otherwise) only for a body still on its way.
    let read = match futures_util::poll!(reading.as_mut()) {
        std::task::Poll::Ready(read) => Ok(read),
        std::task::Poll::Pending => tokio::time::timeout(timeout, reading).await,
    };
    match read {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(err)) if caused_by::<tower_http::timeout::TimeoutError>(&err) => {
            Err(refusal(StatusCode::REQUEST_TIMEOUT, too_slow))
        }
        Ok(Err(err)) if caused_by::<http_body_util::LengthLimitError>(&err) => Err(refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("Request body larger than {max_bytes} bytes."),
        )),
        Ok(Err(_)) => Err(refusal(
            StatusCode::BAD_REQUEST,
            "The request body could not be read.",
        )),
        Err(_) => Err(refusal(StatusCode::REQUEST_TIMEOUT, too_slow)),
    }
}

fn caused_by<T: std::error::Error + 'static>(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<T>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// The router's own 404 and 405 (no route, or a route without that
/// method: an empty body) in the envelope of the provider the path belongs
/// to, or the control plane's, so a client never gets a bare status it
/// cannot parse. `Allow` is kept. `None` for any other answer.
fn envelope_routing_error(
    response: &Response,
    provider: Option<&dyn Provider>,
    uri: &axum::http::Uri,
    method: &axum::http::Method,
) -> Option<Response> {
    let status = response.status();
    let bare = matches!(
        status,
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
    ) && !response.headers().contains_key(header::CONTENT_TYPE);
    if !bare {
        return None;
    }
    let path = uri.path();
    let message = if status == StatusCode::NOT_FOUND {
        format!("No such endpoint: {path}.")
    } else {
        format!("Method {method} is not allowed on {path}.")
    };
    let mut enveloped = match provider {
        Some(provider) => provider.transport_error(status, &message),
        None => {
            let code = if status == StatusCode::NOT_FOUND {
                crate::core::error::CoreError::NotFound(message)
            } else {
                crate::core::error::CoreError::MethodNotAllowed(message)
            };
            code.into_response()
        }
    };
    if let Some(allow) = response.headers().get(header::ALLOW) {
        enveloped.headers_mut().insert(header::ALLOW, allow.clone());
    }
    Some(enveloped)
}
