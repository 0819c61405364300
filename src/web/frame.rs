//! The dashboard's page frame: the sandbox clock, the navigation and a
//! notice after an action. The dashboard's own pages and the providers'
//! panels (Softline's payments, IntellectMoney's invoices, IMSHOP's runs)
//! all render into it (`templates/dashboard/layout.html`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::core::Core;

/// One entry of the dashboard's navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavItem {
    /// What a page passes as `current` to be marked in the navigation.
    pub key: &'static str,
    pub href: &'static str,
    pub label: &'static str,
}

/// The dashboard's navigation, built once at start-up from the dashboard's
/// pages and the providers' panels, and handed to every page as a request
/// extension (the pages below the dashboard cannot name it).
#[derive(Debug, Clone, Default)]
pub struct Nav(pub Arc<[NavItem]>);

impl<S: Send + Sync> FromRequestParts<S> for Nav {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts.extensions.get::<Nav>().cloned().unwrap_or_default())
    }
}

/// What every dashboard page shows in its frame.
pub struct Frame {
    pub clock_now: String,
    pub clock_offset: i64,
    pub version: &'static str,
    pub seed: u64,
    pub nav: Nav,
    /// The nav entry to mark as current.
    pub current: &'static str,
    /// A one-line message after an action (`?done=...`).
    pub notice: Option<String>,
}

impl Frame {
    pub fn new(core: &Core, nav: Nav, current: &'static str) -> Self {
        Self {
            clock_now: format_time(core.clock.now()),
            clock_offset: core.clock.offset().whole_seconds(),
            version: env!("CARGO_PKG_VERSION"),
            seed: core.ids.seed(),
            nav,
            current,
            notice: None,
        }
    }

    /// The notice to show, cut to one line's worth.
    #[must_use]
    pub fn notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(200).collect());
        self
    }

    /// The navigation entries, for the template.
    pub fn nav_items(&self) -> &[NavItem] {
        &self.nav.0
    }
}

/// A time as a person reads it: seconds precision (the JSON keeps the rest).
pub fn format_time(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}
