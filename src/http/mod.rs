//! axum glue shared by everyone: the way in ([`app::App`]), the dispatch to
//! workspaces, the
//! journal-recording middleware, the control plane under `/__sandbox/`
//! (and the workspaces under `/__sandbox/workspaces`), and the dashboard
//! at `/`.

pub mod admin;
pub mod app;
pub mod dashboard;
pub mod dispatch;
pub mod middleware;
pub mod routes;
pub mod security;
pub mod snapshots;
pub mod workspaces;
