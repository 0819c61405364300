//! The three payment systems. Softline and IntellectMoney are servers that
//! merchants call; IMSHOP is the caller of a merchant's webhook. Each module
//! has the same inner shape: `routes` (handlers), `dto` (wire types),
//! `validate` (wire → typed values), `model` (a pure state machine), `error`
//! (the provider's own envelope), `pages` (hosted HTML), `webhooks`.

pub mod imshop;
pub mod intellectmoney;
pub mod softline;

use axum::http::StatusCode;

use crate::core::scenarios::Scenario;
use axum::response::Response;

/// The journal's name for the part of paysandbox a path belongs to, for the
/// paths whose exchanges are journaled (providers and the demo merchant).
pub fn provider_of(path: &str) -> Option<&'static str> {
    let first = path.trim_start_matches('/').split('/').next()?;
    match first {
        "softline" => Some(softline::NAME),
        "intellectmoney" => Some(intellectmoney::NAME),
        "imshop" => Some(imshop::NAME),
        "demo" => Some(crate::demo::NAME),
        _ => None,
    }
}

/// A transport-level refusal (body too large, unreadable body) in the
/// envelope of the provider the request was for.
pub fn transport_error(provider: &str, status: StatusCode, message: &str) -> Response {
    match provider {
        softline::NAME => softline::transport_error(status, message),
        intellectmoney::NAME => intellectmoney::transport_error(status, message),
        _ => imshop::transport_error(status, message),
    }
}

/// Every outcome that can be forced, from every provider.
pub fn catalogue() -> Vec<Scenario> {
    [
        softline::scenarios::CATALOGUE,
        intellectmoney::scenarios::CATALOGUE,
        imshop::scenarios::CATALOGUE,
    ]
    .concat()
}

/// The canonical form of a request path when a provider accepts other
/// spellings of it (IntellectMoney's paths are case-insensitive); `None`
/// leaves the path as it is.
pub fn canonical_path(path: &str) -> Option<String> {
    intellectmoney::canonical_path(path)
}
