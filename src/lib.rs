//! paysandbox: a local sandbox of three payment systems in one binary.
//!
//! - **Softline Payments** and **IntellectMoney**: paysandbox is the payment
//!   service. Merchants call its APIs, buyers pay on its hosted pages, and it
//!   sends signed webhooks.
//! - **IMSHOP.IO**: paysandbox is the platform. It calls a merchant's
//!   payments webhook through every flow and reports what does not conform.
//!
//! # Layout
//!
//! From the ground up; each layer imports only from the layers below it.
//!
//! - [`config`], [`telemetry`], [`serve`]: settings, logging, the accept
//!   loop with connection and header limits. [`openapi`]: `routes!`, which
//!   every route is declared with, and the OpenAPI document written from
//!   the same declarations on its first request.
//! - [`core`]: clock, ids, stores, journal (and its masking), the body reader
//!   (JSON, form, XML), webhook outbox, HTTP client,
//!   scenarios, faults, signatures, test cards, money. Knows no provider.
//! - [`web`]: what pages share (the dashboard's frame and navigation,
//!   redirects, cross-site refusal, the two languages).
//! - [`provider`]: the provider interface and the table of providers.
//! - [`providers`]: `softline`, `intellectmoney`, `imshop`, each with the
//!   same inner shape (described there); [`demo`]: the reference merchant,
//!   an IMSHOP webhook built on the Softline sandbox.
//! - [`fixtures`]: the fixture files, compiled in and overridable.
//! - [`state`]: the one [`state::AppState`], the providers built on the
//!   core and listed in one table: one workspace's sandbox.
//! - [`workspaces`]: every workspace, each an `AppState` with its own
//!   router and webhook worker, and the directory requests find them by.
//! - [`http`]: what iterates the table: the middleware (journal, faults),
//!   the control plane under `/__sandbox/`, the dashboard at `/`; and the
//!   dispatch that sends each request to its workspace.
//! - [`startup`]: builds the router and the [`startup::Application`];
//!   tests use both. [`cli`]: the command line, `paysandbox imshop run`
//!   among it. [`sandbox`]: the [`Sandbox`] a Rust test starts in its own
//!   process.
//!
//! # In a Rust test
//!
//! [`Sandbox::start`] starts the whole sandbox on a free port of
//! 127.0.0.1, as `wiremock::MockServer::start()` starts a mock; the code
//! under test gets its URLs, the test drives the control plane through
//! typed helpers, and dropping the handle stops it:
//!
//! ```
//! use paysandbox::Sandbox;
//! use paysandbox::core::journal::Query;
//! use paysandbox::core::scenarios::Arm;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::builder().seed(7).start().await?;
//! let softline = sandbox.softline_url(); // http://127.0.0.1:PORT/softline
//!
//! // The next create-payment for order A-1 answers 6090.
//! sandbox
//!     .arm_scenario(Arm::new("softline.create_payment.6090").matching("payment_id", "A-1"))
//!     .await?;
//! // … the code under test calls `{softline}/v1/payment` …
//! sandbox.advance_clock(24 * 3600).await?; // tokens issued before now expired
//! let entries = sandbox.journal_json(&Query::default());
//! # assert!(softline.ends_with("/softline"));
//! # assert!(entries.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! `examples/embedded.rs` does it end to end.

pub mod cli;
pub mod config;
pub mod core;
pub mod demo;
pub mod fixtures;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod openapi;
pub mod provider;
pub mod providers;
pub mod sandbox;
pub mod serve;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod workspaces;

pub use config::Settings;
pub use sandbox::Sandbox;
pub use startup::{Application, router};
