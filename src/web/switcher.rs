//! The workspace a dashboard page shows, and the others a person can switch
//! to, read from what the dispatcher puts on every request it serves
//! ([`CurrentWorkspace`], with the registry's [`WorkspaceNames`]). A page served by
//! a workspace's router alone (the in-process tests) has neither: it shows
//! `default` and offers no switch.
//!
//! The dashboard's own forms post to `/actions/...`, which the browser's
//! workspace cookie already routes; what a page shows of the control plane
//! (`/__sandbox/...`) goes through [`Switcher::control_url`], so that an
//! export or a JSON link reaches the workspace on screen, not `default`.

use std::sync::Arc;

use axum::http::Extensions;

use crate::core::directory::DEFAULT_WORKSPACE as DEFAULT;

/// Every workspace's name, `default` first: the registry of workspaces as
/// pages see it (it is built above them).
pub trait WorkspaceNames: Send + Sync + 'static {
    fn names(&self) -> Vec<String>;
}

/// The workspace a request is served by, which the dispatcher puts on
/// every request it sends to a workspace.
#[derive(Clone)]
pub struct CurrentWorkspace {
    pub name: Arc<str>,
    pub all: Arc<dyn WorkspaceNames>,
}

impl std::fmt::Debug for CurrentWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CurrentWorkspace").field(&self.name).finish()
    }
}

/// The workspace switcher of the dashboard's frame.
#[derive(Debug, Clone)]
pub struct Switcher {
    current: Arc<str>,
    /// Every workspace's name, `default` first; empty outside the
    /// dispatcher, which hides the switcher.
    names: Vec<String>,
    /// Where the switch form goes: the page itself when it is one of the
    /// navigation's pages, else the overview (an object of one workspace is
    /// nowhere in another).
    target: String,
}

impl Default for Switcher {
    fn default() -> Self {
        Self {
            current: Arc::from(DEFAULT),
            names: Vec::new(),
            target: "/".to_owned(),
        }
    }
}

impl Switcher {
    /// The switcher for a request at `path` whose navigation links to
    /// `pages`.
    pub fn from_request(extensions: &Extensions, path: &str, pages: &[&str]) -> Self {
        let Some(CurrentWorkspace { name: current, all }) =
            extensions.get::<CurrentWorkspace>().cloned()
        else {
            return Self::default();
        };
        let names = all.names();
        let target = if pages.contains(&path) { path } else { "/" };
        Self {
            current,
            names,
            target: target.to_owned(),
        }
    }

    /// The name of the workspace the page shows.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// Every workspace's name, for the switcher's options.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether there is a switcher to show (only under the dispatcher).
    pub fn shown(&self) -> bool {
        !self.names.is_empty()
    }

    /// Where the switch form submits.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The query that pins a form to the workspace it was shown in
    /// (`?workspace=NAME`; empty for `default` or without workspaces), so a
    /// second tab switching the cookie cannot redirect it elsewhere.
    pub fn pin(&self) -> String {
        if self.shown() && &*self.current != DEFAULT {
            format!("?workspace={}", self.current)
        } else {
            String::new()
        }
    }

    /// `url` as it reaches the current workspace: see [`control_url`].
    pub fn control_url(&self, url: &str) -> String {
        control_url(&self.current, url)
    }
}

/// A control-plane `url` (`/__sandbox/...`) moved under `workspace`'s
/// prefix (`/__sandbox/workspaces/{workspace}/...`) unless `workspace` is
/// `default`, whose control plane is the bare prefix. Anything else (a
/// hosted page, a dashboard path, the instance's own `openapi.json` and
/// `workspaces`) is returned as it is.
pub fn control_url(workspace: &str, url: &str) -> String {
    let rest = match url.strip_prefix("/__sandbox") {
        Some(rest) if rest.is_empty() || rest.starts_with(['/', '?']) => rest,
        _ => return url.to_owned(),
    };
    let instance_wide = rest == "/openapi.json"
        || rest == "/workspaces"
        || rest.starts_with("/workspaces/")
        || rest.starts_with("/workspaces?");
    if workspace == DEFAULT || instance_wide {
        return url.to_owned();
    }
    format!("/__sandbox/workspaces/{workspace}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_plane_url_moves_under_the_workspace_prefix_and_nothing_else_does() {
        let cases = [
            (
                "qa",
                "/__sandbox/journal?object=7&download=true",
                "/__sandbox/workspaces/qa/journal?object=7&download=true",
            ),
            (
                "qa",
                "/__sandbox/intellectmoney/invoices/42",
                "/__sandbox/workspaces/qa/intellectmoney/invoices/42",
            ),
            ("qa", "/__sandbox", "/__sandbox/workspaces/qa"),
            (
                "default",
                "/__sandbox/journal?object=7",
                "/__sandbox/journal?object=7",
            ),
            ("qa", "/intellectmoney/pay/42", "/intellectmoney/pay/42"),
            ("qa", "/__sandboxed/x", "/__sandboxed/x"),
            ("qa", "/__sandbox/openapi.json", "/__sandbox/openapi.json"),
            (
                "qa",
                "/__sandbox/workspaces/ci/journal",
                "/__sandbox/workspaces/ci/journal",
            ),
        ];
        for (workspace, url, expected) in cases {
            assert_eq!(control_url(workspace, url), expected, "{workspace} {url}");
        }
    }

    #[test]
    fn without_the_dispatcher_a_page_shows_default_and_no_switcher() {
        let switcher = Switcher::from_request(&Extensions::new(), "/journal", &["/journal"]);

        assert_eq!(switcher.current(), "default");
        assert!(!switcher.shown());
        assert_eq!(switcher.target(), "/");
    }
}
