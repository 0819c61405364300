//! The integration tests: one binary. Most run against a real server on
//! `127.0.0.1:0` (see `helpers::spawn_app`); `error_envelopes` drives the
//! router in process (`helpers::in_process`).

mod browser;
mod browser_accessibility;
mod browser_merchant;
mod helpers;

mod browser_dashboard;
mod browser_imshop;
mod browser_intellectmoney;
mod browser_softline;
mod concurrency;
mod dashboard_pages;
mod dashboard_workspaces;
mod demo_merchant;
mod demo_runs;
mod deploy_files;
mod error_envelopes;
mod hostile_imshop;
mod hostile_intellectmoney;
mod hostile_pages;
mod hostile_softline;
mod hostile_support;
mod imshop_cli;
mod imshop_engine;
mod imshop_runs;
mod imshop_support;
mod imshop_sync;
mod imshop_webview;
mod intellectmoney_invoices;
mod intellectmoney_notifications;
mod intellectmoney_pages;
mod intellectmoney_pages_english;
mod intellectmoney_payments;
mod intellectmoney_receipt;
mod intellectmoney_scenarios;
mod intellectmoney_support;
mod provider_listeners;
mod receivers;
mod sandbox_control;
mod sandbox_faults;
mod sandbox_journal_masking;
mod sandbox_limits;
mod sandbox_outbox;
mod sandbox_signature_help;
mod sandbox_startup;
mod softline_auth;
mod softline_create_payment;
mod softline_form;
mod softline_orders;
mod softline_recurring;
mod softline_scenarios;
mod softline_support;
mod softline_webhooks;
mod workspace_access;
mod workspaces;
