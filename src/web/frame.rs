//! The dashboard's page frame: the sandbox clock, the navigation with its
//! workspace switcher, and a notice after an action. The dashboard's own pages and the providers'
//! panels (Softline's payments, IntellectMoney's invoices, IMSHOP's runs)
//! all render into it (`templates/dashboard/layout.html`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::switcher::Switcher;
use crate::core::Core;

/// One entry of the dashboard's navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavItem {
    /// What a page passes as `current` to be marked in the navigation.
    pub key: &'static str,
    pub href: &'static str,
    pub label: &'static str,
}

/// The dashboard's pages, built once at start-up from the dashboard's own
/// and the providers' panels and handed to every request as an extension
/// (the pages below the dashboard cannot name it). One shared list: every
/// request clones it, so it is one reference count and nothing else.
#[derive(Debug, Clone, Default)]
pub struct NavItems(pub Arc<[NavItem]>);

/// The dashboard's navigation as a page extracts it: the pages, and the
/// workspace switcher for this request.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    items: Arc<[NavItem]>,
    /// The workspace on screen and the others to switch to.
    pub workspace: Switcher,
}

impl<S: Send + Sync> FromRequestParts<S> for Nav {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let NavItems(items) = parts
            .extensions
            .get::<NavItems>()
            .cloned()
            .unwrap_or_default();
        let pages: Vec<&str> = items.iter().map(|item| item.href).collect();
        let workspace = Switcher::from_request(&parts.extensions, parts.uri.path(), &pages);
        Ok(Nav { items, workspace })
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

    /// The offset as a person reads it (`+200 d`, `+1 d 2 h`, `−90 s`), for
    /// the badge beside the clock; empty at real time.
    pub fn clock_badge(&self) -> String {
        offset_text(self.clock_offset)
    }

    /// The navigation entries, for the template.
    pub fn nav_items(&self) -> &[NavItem] {
        &self.nav.items
    }

    /// The workspace on screen and the others to switch to.
    /// `?workspace=NAME` for a form's action: see [`Switcher::pin`].
    pub fn pin(&self) -> String {
        self.workspace().pin()
    }

    pub fn workspace(&self) -> &Switcher {
        &self.nav.workspace
    }

    /// A control-plane URL as it reaches the workspace on screen.
    pub fn control_url(&self, url: &str) -> String {
        self.nav.workspace.control_url(url)
    }
}

/// A time as a person reads it: seconds precision (the JSON keeps the rest).
pub fn format_time(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A clock offset in the largest two units that matter: `+200 d`,
/// `+1 d 2 h`, `+3 h 5 min`, `+45 s`; empty for none.
pub fn offset_text(seconds: i64) -> String {
    if seconds == 0 {
        return String::new();
    }
    let sign = if seconds > 0 { '+' } else { '−' };
    let total = seconds.unsigned_abs();
    let units = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")];
    let parts: Vec<String> = units
        .iter()
        .scan(total, |left, &(size, name)| {
            let count = *left / size;
            *left %= size;
            Some((count, name))
        })
        .skip_while(|(count, _)| *count == 0)
        .take(2)
        .filter(|(count, _)| *count > 0)
        .map(|(count, name)| format!("{count} {name}"))
        .collect();
    format!("{sign}{}", parts.join(" "))
}

/// A URL cut after each of its separators (`/`, `.`, `-`, `:`, `?`, `&`,
/// `=`), for a template to put a `<wbr>` between the pieces: a long URL then
/// wraps where a reader expects it, not inside a word.
pub fn url_pieces(url: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in url.char_indices() {
        if matches!(c, '/' | '.' | '-' | ':' | '?' | '&' | '=') {
            pieces.push(&url[start..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < url.len() {
        pieces.push(&url[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_cut_after_each_separator_and_nothing_is_lost() {
        let url = "http://a.b-c:8080/softline?x=1";
        let pieces = url_pieces(url);
        assert_eq!(
            pieces,
            [
                "http:",
                "/",
                "/",
                "a.",
                "b-",
                "c:",
                "8080/",
                "softline?",
                "x=",
                "1"
            ]
        );
        assert_eq!(pieces.concat(), url);
    }

    #[test]
    fn a_clock_offset_reads_in_its_two_largest_units() {
        let cases = [
            (0, ""),
            (45, "+45 s"),
            (90, "+1 min 30 s"),
            (3_600, "+1 h"),
            (3_900, "+1 h 5 min"),
            (86_400 + 7_200, "+1 d 2 h"),
            (200 * 86_400, "+200 d"),
            (200 * 86_400 + 59, "+200 d"),
            (-90, "−1 min 30 s"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(offset_text(seconds), expected, "{seconds} s");
        }
    }
}
