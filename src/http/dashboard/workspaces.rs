//! The overview's "Workspaces" section: every sandbox this instance holds,
//! with what is in it, where to switch to it and where its control plane
//! is.

use crate::fixtures::Credentials;
use crate::web::format_time;
use crate::workspaces::{Workspace, Workspaces};

/// One workspace as the overview lists it.
pub struct WorkspaceRow {
    pub name: String,
    pub payments: usize,
    pub invoices: usize,
    pub runs: usize,
    pub created: String,
    /// The dashboard showing it (and remembering it in the cookie).
    pub switch: String,
    /// Its control plane, as `GET /__sandbox/workspaces` gives it.
    pub control_url: String,
    /// Whether it is the one on screen.
    pub current: bool,
}

impl WorkspaceRow {
    fn new(workspace: &Workspace, current: &str) -> Self {
        let counts = workspace.object_counts();
        let count = |kind: &str| {
            counts
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or(0, |(_, n)| *n)
        };
        let name = &workspace.name;
        Self {
            payments: count("softline_payments"),
            invoices: count("intellectmoney_invoices"),
            runs: count("imshop_runs"),
            created: format_time(workspace.created_at),
            switch: format!("/?workspace={name}"),
            control_url: workspace.control_url(),
            current: name == current,
            name: name.clone(),
        }
    }
}

/// Every workspace, `default` first, for a page showing `current`; none
/// without the registry (a workspace's router alone, in tests).
pub fn rows(workspaces: Option<&Workspaces>, current: &str) -> Vec<WorkspaceRow> {
    workspaces.map_or_else(Vec::new, |workspaces| {
        workspaces
            .list()
            .iter()
            .map(|w| WorkspaceRow::new(w, current))
            .collect()
    })
}

/// The credentials of the workspace on screen, for the providers' cards.
pub fn credentials(workspaces: Option<&Workspaces>, current: &str) -> Option<Credentials> {
    Some(workspaces?.named(current)?.credentials.clone())
}
