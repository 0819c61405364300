//! The accept loop: axum's router on hyper, with the limits a shared QA
//! environment needs and `axum::serve` does not offer.
//!
//! - a cap on connections open at once (further clients wait in the
//!   listen backlog instead of exhausting memory or file descriptors);
//! - a time limit on reading a request's headers, so a client that opens a
//!   connection and sends nothing (or one byte a minute) cannot hold it
//!   (kept by a watchdog, not a timer per request: see [`head_timer`]);
//! - graceful shutdown: stop accepting, let connections finish the request
//!   in flight, then close.

use std::sync::Arc;
use std::time::Duration;

use std::convert::Infallible;

use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::Service;

mod head_timer;

use head_timer::HeadWatch;

/// Limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

/// Serves `app` (the whole of paysandbox, or a router) on `listener` until
/// `shutdown`, then waits at most `grace` for open connections to finish
/// their requests.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: Limits,
    shutdown: CancellationToken,
    grace: Duration,
) where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let builder = Arc::new(builder);
    let heads = HeadWatch::new();
    let watchdog = tokio::spawn(heads.clone().run(limits.header_read_timeout));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();

    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(cause = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let header_timeout = limits.header_read_timeout;
        // The connection's own timer for its heads (a clone of the builder's
        // settings is a few words).
        let mut builder = Builder::clone(&builder);
        builder.http1().timer(heads.clock());
        let graceful_watch = graceful.watcher();
        let app = app.clone();
        tokio::spawn(async move {
            // hyper times the headers only once bytes arrive (and its
            // protocol detection waits without a limit): a client that
            // connects and says nothing would hold a slot forever.
            let mut first = [0u8; 1];
            match tokio::time::timeout(header_timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => {
                    tracing::debug!(%peer, "closing a connection that sent nothing");
                    drop(permit);
                    return;
                }
            }
            let service = TowerToHyperService::new(app);
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            if let Err(err) = graceful_watch.watch(connection).await {
                tracing::debug!(%peer, cause = %err, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!("requests still running after the grace period; stopping anyway");
        }
    }
    watchdog.abort();
}
