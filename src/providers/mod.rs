//! The payment systems paysandbox plays. Softline Payments and
//! IntellectMoney are services that merchants call; IMSHOP.IO is the caller
//! of a merchant's webhook. The rest of paysandbox sees each only through
//! [`crate::provider::Provider`], which each implements in its `mod.rs`.
//!
//! # The shape of a provider
//!
//! A developer who knows one provider knows where everything is in the
//! others; the files are named after what they hold:
//!
//! | file              | what it holds |
//! |-------------------|---------------|
//! | `mod.rs`          | its `State`, its router, and `impl Provider` (name, mount, routes, scenarios, links, panels) |
//! | `routes.rs`       | the API handlers: extract → validate → model → store and announce → answer |
//! | `wire.rs`         | the wire types, spelled as the real API spells them |
//! | `types.rs`        | the newtypes of typed input (parse, don't validate), with their unit tests |
//! | `validate.rs`     | wire values → typed input, refusing with the provider's own codes |
//! | `model.rs`        | the pure state machine: it decides everything (what is allowed, where a step leads) from typed values and `now`, with no I/O |
//! | `error.rs`        | errors in the provider's own envelope |
//! | `pages…`          | the hosted pages: they render what the model decided |
//! | `panel.rs`        | its panel on the dashboard |
//! | `webhooks.rs`, `notifications.rs` | what it sends to the merchant, through the core outbox (each in the provider's own word) |
//! | `control.rs`      | its extras of the control plane, under `/__sandbox/{name}` |
//! | `scenarios.rs`    | the outcomes a scenario can force |
//! | `fixture.rs`      | its fixture file |
//!
//! A provider has a file of its own where it has something the others do
//! not: Softline's `auth.rs` (tokens of `login_check`) and `storage.rs`
//! (how a payment's text is packed in memory, apart from the model);
//! IntellectMoney's `request.rs` (its bodies in JSON, form or XML, names in
//! any letter case) and `signature.rs` (the `Hash` and `Sign` templates).
//!
//! IMSHOP.IO has the routes, wire types, errors, scenarios and fixture of
//! the others, but no payment state machine: paysandbox calls the merchant
//! there, so its model is the run engine (see [`imshop`]).
//!
//! # Time
//!
//! Objects change by themselves as the sandbox clock runs (an unpaid
//! payment is deleted, an invoice expires, a hold ends). Every provider
//! handles this one way: the model has a pure `settle(now)` that applies
//! what time did and says what changed; the provider's store settles an
//! object each time it is read or changed, and announces the changes
//! (journal, webhook) then. A clock advance settles every object
//! ([`crate::provider::Provider::settle_all`]), so the notifications a
//! merchant waits for are sent without it asking.

pub mod imshop;
pub mod intellectmoney;
pub mod softline;
