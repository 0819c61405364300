//! The journal: a bounded record of what happened, newest last.
//!
//! Inbound requests, outbound calls (webhook attempts, IMSHOP calls to a
//! merchant) and state transitions all land here, each tagged with the ids of
//! the objects it concerns, so one query gives one payment's whole timeline.
//! The capacity comes from the settings; the oldest entries fall off first.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use time::OffsetDateTime;

use super::mask;

/// What kind of thing an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A request to paysandbox (API call, page view, form post).
    Inbound,
    /// A webhook delivery attempt to a merchant.
    Webhook,
    /// Any other call paysandbox made (IMSHOP to a merchant's webhook).
    Outbound,
    /// An object changed state.
    Transition,
    /// Something worth seeing on a timeline that is none of the above.
    Event,
}

/// Headers and body of one message, secrets masked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Message {
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// True when the body was longer than the journal keeps.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl Message {
    /// Builds a message from raw parts, masking secrets and cutting the body
    /// to `body_limit` bytes.
    pub fn capture<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        content_type: Option<&str>,
        body: &[u8],
        body_limit: usize,
    ) -> Self {
        let headers = headers
            .into_iter()
            .map(|(name, value)| {
                let value = if mask::is_secret_header(name) {
                    mask::mask_header_value(value)
                } else {
                    value.to_owned()
                };
                (name.to_owned(), value)
            })
            .collect();
        let truncated = body.len() > body_limit;
        let kept = if truncated { &body[..body_limit] } else { body };
        Self {
            headers,
            body: mask::mask_body(content_type, kept),
            truncated,
        }
    }
}

/// One journal entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub provider: &'static str,
    pub kind: EntryKind,
    /// Ids of the payments, invoices or runs this entry concerns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// One line saying what happened ("not paid → paid", "attempt 2 of 6").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Message>,
}

impl Entry {
    /// A blank entry of `kind` for `provider`; fill in what applies.
    pub fn new(provider: &'static str, kind: EntryKind) -> Self {
        Self {
            id: 0,
            at: OffsetDateTime::UNIX_EPOCH,
            provider,
            kind,
            objects: Vec::new(),
            method: None,
            url: None,
            status: None,
            duration_ms: None,
            summary: None,
            request: None,
            response: None,
        }
    }

    #[must_use]
    pub fn object(mut self, id: impl Into<String>) -> Self {
        self.objects.push(id.into());
        self
    }

    #[must_use]
    pub fn summary(mut self, text: impl Into<String>) -> Self {
        self.summary = Some(text.into());
        self
    }
}

/// Which entries a query wants.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pub provider: Option<String>,
    pub object: Option<String>,
    pub kind: Option<EntryKind>,
    pub limit: Option<usize>,
}

/// The bounded journal. Cloning shares it.
#[derive(Clone)]
pub struct Journal {
    /// A std mutex: pushes and queries are short and never await.
    entries: Arc<Mutex<VecDeque<Arc<Entry>>>>,
    next_id: Arc<AtomicU64>,
    capacity: usize,
    body_limit: usize,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Journal {
    /// A journal that keeps the newest `capacity` entries, bodies cut to
    /// `body_limit` bytes.
    pub fn new(capacity: usize, body_limit: usize) -> Self {
        Self {
            entries: Arc::new(Mutex::new(VecDeque::with_capacity(capacity.min(4096)))),
            next_id: Arc::new(AtomicU64::new(1)),
            capacity,
            body_limit,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes of a body the journal keeps.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records an entry at `at`, dropping the oldest one when full; returns its id.
    pub fn record(&self, mut entry: Entry, at: OffsetDateTime) -> u64 {
        if self.capacity == 0 {
            return 0;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        entry.id = id;
        entry.at = at;
        let entry = Arc::new(entry);
        let mut entries = self.entries.lock().unwrap();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
        id
    }

    /// The newest `limit` entries that match, oldest first (a timeline).
    pub fn query(&self, query: &Query) -> Vec<Arc<Entry>> {
        let limit = query.limit.unwrap_or(usize::MAX);
        let entries = self.entries.lock().unwrap();
        let mut found: Vec<Arc<Entry>> = entries
            .iter()
            .rev()
            .filter(|e| {
                query
                    .provider
                    .as_deref()
                    .is_none_or(|p| e.provider.eq_ignore_ascii_case(p))
                    && query
                        .object
                        .as_deref()
                        .is_none_or(|o| e.objects.iter().any(|x| x == o))
                    && query.kind.is_none_or(|k| e.kind == k)
            })
            .take(limit)
            .cloned()
            .collect();
        found.reverse();
        found
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(provider: &'static str, object: &str) -> Entry {
        Entry::new(provider, EntryKind::Event).object(object)
    }

    #[test]
    fn the_journal_keeps_only_its_capacity_dropping_the_oldest() {
        let journal = Journal::new(3, 1024);
        for i in 0..5 {
            journal.record(
                entry("softline", &i.to_string()),
                OffsetDateTime::UNIX_EPOCH,
            );
        }
        let all = journal.query(&Query::default());
        let objects: Vec<&str> = all.iter().map(|e| e.objects[0].as_str()).collect();
        assert_eq!(objects, ["2", "3", "4"]);
    }

    #[test]
    fn a_query_filters_by_provider_and_object_and_keeps_the_newest_first_n() {
        let journal = Journal::new(100, 1024);
        journal.record(entry("softline", "a"), OffsetDateTime::UNIX_EPOCH);
        journal.record(entry("intellectmoney", "a"), OffsetDateTime::UNIX_EPOCH);
        journal.record(entry("softline", "b"), OffsetDateTime::UNIX_EPOCH);
        journal.record(entry("softline", "a"), OffsetDateTime::UNIX_EPOCH);

        let found = journal.query(&Query {
            provider: Some("softline".into()),
            object: Some("a".into()),
            limit: Some(1),
            ..Query::default()
        });
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, 4);
    }

    proptest::proptest! {
        #[test]
        fn the_journal_never_holds_more_than_its_capacity_and_keeps_the_newest(
            capacity in 1usize..64,
            records in 0usize..200,
        ) {
            let journal = Journal::new(capacity, 64);
            for i in 0..records {
                journal.record(entry("softline", &i.to_string()), OffsetDateTime::UNIX_EPOCH);
            }
            let all = journal.query(&Query::default());
            proptest::prop_assert_eq!(all.len(), records.min(capacity));
            if let Some(last) = all.last() {
                proptest::prop_assert_eq!(&last.objects[0], &(records - 1).to_string());
            }
        }
    }

    #[test]
    fn captured_messages_mask_secrets_and_cut_long_bodies() {
        let message = Message::capture(
            [("authorization", "Bearer 9d97820c61424eb6ac0db414ccb7ac60")],
            Some("text/plain"),
            b"0123456789",
            4,
        );
        assert_eq!(message.headers[0].1, "Bearer ****ac60");
        assert_eq!(message.body, "0123");
        assert!(message.truncated);
    }
}
