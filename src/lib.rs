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
//! - [`cli`], [`config`], [`telemetry`]: the command line, settings, logging.
//! - [`startup`]: builds the router and the [`startup::Application`]; tests
//!   use both. [`serve`]: the accept loop with connection and header limits.
//! - [`state`]: the one [`state::AppState`], projected into sub-states.
//! - [`core`]: clock, ids, stores, journal, webhook outbox, HTTP client,
//!   signatures, test cards, money. Knows no provider's wire format.
//! - [`http`]: middleware (journal recording), the control plane under
//!   `/__sandbox/`, the dashboard at `/`.
//! - [`providers`]: `softline`, `intellectmoney`, `imshop`, each with the
//!   same inner shape.
//! - [`demo`]: the reference merchant, an IMSHOP webhook built on the
//!   Softline sandbox.
//! - [`fixtures`]: the compiled-in fixture files and their overrides.

pub mod cli;
pub mod config;
pub mod core;
pub mod demo;
pub mod fixtures;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod provider;
pub mod providers;
pub mod serve;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;

pub use config::Settings;
pub use startup::{Application, router};
