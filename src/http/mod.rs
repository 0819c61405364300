//! axum glue shared by everyone: the journal-recording middleware, the
//! control plane under `/__sandbox/`, and the dashboard at `/`.

pub mod admin;
pub mod dashboard;
pub mod middleware;
pub mod security;

/// The ids of the objects a response concerns. A handler returns it as a
/// response extension (`Extension(JournalObjects(vec![id]))`) and the
/// journal middleware files the exchange under those ids, which is how a
/// payment's timeline finds the API calls and page views that touched it.
#[derive(Debug, Clone, Default)]
pub struct JournalObjects(pub Vec<String>);

/// A one-line summary for the journal entry of a response
/// ("payment created: 112.50 RUB"), so a timeline reads well without a
/// second entry.
#[derive(Debug, Clone)]
pub struct JournalSummary(pub String);

impl JournalObjects {
    pub fn one(id: impl ToString) -> Self {
        Self(vec![id.to_string()])
    }
}
