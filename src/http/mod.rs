//! axum glue shared by everyone: the journal-recording middleware, the
//! control plane under `/__sandbox/`, and the dashboard at `/`.

pub mod admin;
pub mod dashboard;
pub mod middleware;
pub mod security;
