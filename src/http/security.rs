//! Security headers on every HTML page.
//!
//! Hosted payment pages are opened in app web views and sometimes framed by
//! a merchant's checkout, so they may be framed; the dashboard has buttons
//! that reset and arm things, so it may not (clickjacking). Neither loads
//! anything from elsewhere. `form-action` is left open on purpose: the card
//! form's answer is a redirect to the merchant's URL, and browsers apply
//! `form-action` to redirects that follow a form post.

use axum::http::{HeaderValue, header};
use axum::response::Response;

const HOSTED_PAGE_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors *";
const DASHBOARD_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the content security policy (and friends) to an answer: `hosted`
/// for a provider's pages, otherwise the dashboard's stricter policy.
pub fn add_headers(response: &mut Response, hosted: bool) {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if is_html {
        let policy = if hosted {
            HOSTED_PAGE_POLICY
        } else {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            DASHBOARD_POLICY
        };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(policy),
        );
    }
}
