//! The integration tests: one binary, every test against a real server on
//! `127.0.0.1:0` (see `helpers::spawn_app`).

mod helpers;

mod deploy_files;
mod sandbox_control;
mod sandbox_outbox;
mod sandbox_startup;
mod softline_auth;
mod softline_create_payment;
mod softline_form;
mod softline_orders;
mod softline_recurring;
mod softline_scenarios;
mod softline_support;
mod softline_webhooks;
