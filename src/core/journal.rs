//! The journal: a bounded record of what happened, newest last.
//!
//! Inbound requests, outbound calls (webhook attempts, IMSHOP calls to a
//! merchant) and state transitions all land here, each tagged with the ids of
//! the objects it concerns, so one query gives one payment's whole timeline.
//! The capacity comes from the settings; the oldest entries fall off first.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::durable::{Change, to_json, to_json_with_room};
use super::mask;
use super::packed::PackedText;
use super::signature::SignatureHelp;

/// What kind of thing an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
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

/// The ids of the objects a response concerns. A handler files its answer
/// with them (`JournalObjects::one(id).file(answer)`, a response
/// extension) and the journal middleware files the exchange under those
/// ids, which is how a payment's timeline finds the API calls and page
/// views that touched it.
#[derive(Debug, Clone, Default)]
pub struct JournalObjects(pub Vec<String>);

/// A one-line summary for the journal entry of a response
/// ("payment created: 112.50 RUB"), so a timeline reads well without a
/// second entry.
#[derive(Debug, Clone)]
pub struct JournalSummary(pub String);

impl JournalObjects {
    /// Every id of `ids`.
    pub fn many<T: ToString>(ids: impl IntoIterator<Item = T>) -> Self {
        Self(ids.into_iter().map(|id| id.to_string()).collect())
    }

    /// `response`, filed on these objects' timelines.
    pub fn file(self, response: impl axum::response::IntoResponse) -> axum::response::Response {
        use axum::response::IntoResponse;
        (axum::Extension(self), response).into_response()
    }

    pub fn one(id: impl ToString) -> Self {
        Self(vec![id.to_string()])
    }
}

/// Headers and body of one message. Kept as they came and masked whenever
/// they are read or serialized, so recording costs the hot path no parsing
/// (masking a JSON body means parsing it): what leaves the journal is
/// always masked.
#[derive(Debug, Clone, Default)]
pub struct Message {
    headers: Headers,
    body: Bytes,
    /// True when the body was longer than the journal keeps.
    pub truncated: bool,
    /// True when the headers and body came masked already (see
    /// [`Message::premasked`]): they are shown as they are.
    masked: bool,
}

#[derive(Debug, Clone)]
enum Headers {
    /// An inbound request's or our response's headers: names and values
    /// alternating, packed in one allocation (a header map clone was
    /// several, and every request records two).
    Packed(PackedText),
    /// Headers of an outbound call.
    Pairs(Vec<(String, String)>),
}

impl Default for Headers {
    fn default() -> Self {
        Self::Pairs(Vec::new())
    }
}

/// The first `limit` bytes of a body, and whether it was longer. Always a
/// copy of exactly that size: a request body from hyper is a slice of its
/// read buffer, and keeping the slice would keep the whole buffer alive.
fn kept(body: &[u8], limit: usize) -> (Bytes, bool) {
    let truncated = body.len() > limit;
    let kept = if truncated { &body[..limit] } else { body };
    (Bytes::copy_from_slice(kept), truncated)
}

impl Message {
    /// A message from raw parts (outbound calls), the body cut to
    /// `body_limit` bytes.
    pub fn capture<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        content_type: Option<&str>,
        body: &[u8],
        body_limit: usize,
    ) -> Self {
        let mut pairs: Vec<(String, String)> = headers
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        if let Some(ct) = content_type
            && !pairs
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            pairs.push(("content-type".to_owned(), ct.to_owned()));
        }
        let (body, truncated) = kept(body, body_limit);
        Self {
            headers: Headers::Pairs(pairs),
            body,
            truncated,
            masked: false,
        }
    }

    /// A message whose headers and body are already masked, as
    /// [`Message::headers`] and [`Message::body`] gave them: what a
    /// snapshot keeps of a finished IMSHOP run's evidence. Shown as it
    /// is, since masking twice is not masking once (`Bearer ****-key`
    /// would become `Bearer ****`); its raw body is the masked text.
    pub fn premasked(headers: Vec<(String, String)>, body: String, truncated: bool) -> Self {
        Self {
            headers: Headers::Pairs(headers),
            body: Bytes::from(body),
            truncated,
            masked: true,
        }
    }

    /// A message from an HTTP message's parts (the journal middleware's hot
    /// path: the headers packed, the body copied up to the limit, nothing
    /// parsed).
    ///
    /// The body is copied: a request's body is a slice of hyper's read
    /// buffer, and an entry holding it would keep that whole buffer (and
    /// the requests after it in there) alive until the entry is evicted.
    pub fn from_http(headers: &axum::http::HeaderMap, body: &[u8], body_limit: usize) -> Self {
        let (body, truncated) = kept(body, body_limit);
        Self::with_body(headers, body, truncated)
    }

    /// A response's message: its body is an allocation of its own (our
    /// handlers write whole bodies), kept by reference instead of copied
    /// when it is kept whole.
    pub fn from_response(headers: &axum::http::HeaderMap, body: &Bytes, body_limit: usize) -> Self {
        if body.len() > body_limit {
            return Self::from_http(headers, body, body_limit);
        }
        Self::with_body(headers, body.clone(), false)
    }

    fn with_body(headers: &axum::http::HeaderMap, body: Bytes, truncated: bool) -> Self {
        let texts = || {
            headers.iter().flat_map(|(n, v)| {
                // Header values are ASCII in practice; anything else is
                // kept as an empty value rather than costing a conversion.
                [Some(n.as_str()), Some(v.to_str().unwrap_or(""))]
            })
        };
        let size = PackedText::measure(texts());
        Self {
            headers: Headers::Packed(PackedText::pack_sized(size, texts())),
            body,
            truncated,
            masked: false,
        }
    }

    /// The `content-type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        match &self.headers {
            Headers::Packed(packed) => {
                let mut slots = packed.iter();
                while let (Some(name), Some(value)) = (slots.next(), slots.next()) {
                    if name.is_some_and(|n| n.eq_ignore_ascii_case("content-type")) {
                        return value;
                    }
                }
                None
            }
            Headers::Pairs(pairs) => pairs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.as_str()),
        }
    }

    /// The headers, secret ones masked, and card numbers in any other
    /// (a redirect's query, a signature base) too.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mask = |name: &str, value: &str| {
            if mask::is_secret_header(name) {
                mask::mask_header_value(value)
            } else {
                mask::mask_text(value)
            }
        };
        match &self.headers {
            Headers::Packed(packed) => {
                let mut pairs = Vec::new();
                let mut slots = packed.iter();
                while let (Some(name), Some(value)) = (slots.next(), slots.next()) {
                    let (name, value) = (name.unwrap_or(""), value.unwrap_or(""));
                    pairs.push((name.to_owned(), mask(name, value)));
                }
                pairs
            }
            Headers::Pairs(pairs) if self.masked => pairs.clone(),
            Headers::Pairs(pairs) => pairs.iter().map(|(n, v)| (n.clone(), mask(n, v))).collect(),
        }
    }

    /// The body as it was (up to the journal's limit), secrets and all: for
    /// code that must read what was really sent, never for display.
    pub fn raw_body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text, secrets masked (by a scan that fails closed when
    /// the body was cut at the limit and so cannot be read whole).
    pub fn body(&self) -> Cow<'_, str> {
        if self.masked {
            return String::from_utf8_lossy(&self.body);
        }
        let kept = if self.truncated {
            mask::Kept::Cut
        } else {
            mask::Kept::Whole
        };
        mask::mask_body(&self.body, kept)
    }
}

impl Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Message", 3)?;
        out.serialize_field("headers", &self.headers())?;
        out.serialize_field("body", &self.body())?;
        if self.truncated {
            out.serialize_field("truncated", &true)?;
        } else {
            out.skip_field("truncated")?;
        }
        out.end()
    }
}

/// One journal entry. An entry whose request had a signature refused also
/// carries `signature_base` and `signature_fields`, the expected base and
/// each field in it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: u64,
    /// RFC 3339, sandbox time.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `softline`, `intellectmoney`, `imshop`, `demo` or `sandbox`.
    #[schema(value_type = String)]
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
    #[schema(value_type = Option<MessageView>)]
    pub request: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<MessageView>)]
    pub response: Option<Message>,
    /// A refused signature's expected base and fields (`signature_base`,
    /// `signature_fields`), card data masked.
    #[serde(flatten)]
    #[schema(ignore)]
    pub signature: Option<SignatureHelp>,
}

/// A request or response as the journal shows it, secrets masked (the
/// shape [`Message`]'s serialisation writes).
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never built")]
pub struct MessageView {
    /// `[name, value]` pairs in the order sent.
    headers: Vec<Vec<String>>,
    /// The body as text, cut at `--journal-body-limit`.
    body: String,
    /// Present (`true`) when the body was cut.
    truncated: Option<bool>,
}

impl Entry {
    /// About how long its journal line is: the bodies (escaped, a little
    /// longer), the headers, and the rest.
    fn line_room(&self) -> usize {
        let message = |m: &Option<Message>| m.as_ref().map_or(0, |m| m.body.len() * 9 / 8 + 512);
        message(&self.request) + message(&self.response) + 512
    }

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
            signature: None,
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
    /// Durable state: entries added since last taken, once tracked
    /// (untracked, recording an entry takes no second lock).
    changes: Arc<OnceLock<Mutex<JournalChanges>>>,
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
            entries: Arc::new(Mutex::new(VecDeque::new())),
            changes: Arc::default(),
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
    pub fn record(&self, entry: Entry, at: OffsetDateTime) -> u64 {
        let id = self.reserve();
        self.record_reserved(entry, id, at);
        id
    }

    /// An id for an entry that will be recorded later: an exchange takes
    /// its id when the request arrives and is recorded when the answer is
    /// complete, so it comes before the transitions its handler recorded
    /// meanwhile (a timeline reads cause, then effect).
    pub fn reserve(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Records an entry under an id from [`Journal::reserve`], in id order,
    /// dropping the oldest one when full.
    pub fn record_reserved(&self, mut entry: Entry, id: u64, at: OffsetDateTime) {
        if self.capacity == 0 {
            return;
        }
        entry.id = id;
        entry.at = at;
        // Serialised here, by the request's own thread and under no lock
        // (an entry never changes once recorded): under the queue's lock
        // with the other changes, two requests waited for each other.
        let line = self
            .changes
            .get()
            .map(|_| to_json_with_room(&entry, entry.line_room()));
        let entry = Arc::new(entry);
        let dropped = {
            let mut entries = self.entries.lock().unwrap();
            let dropped = if entries.len() >= self.capacity {
                entries.pop_front()
            } else {
                None
            };
            // Usually the newest, or a few entries from the back: the
            // search runs from there.
            let at = entries.iter().rposition(|e| e.id < id).map_or(0, |i| i + 1);
            if let (Some(changes), Some(line)) = (self.changes.get(), line) {
                changes.lock().unwrap().added.push(line);
            }
            entries.insert(at, entry);
            dropped
        };
        // Freeing the oldest entry (its headers and bodies) happens after
        // the lock is released: under load it was most of the time spent
        // holding it.
        drop(dropped);
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
        let mut entries = self.entries.lock().unwrap();
        entries.clear();
        if let Some(changes) = self.changes.get() {
            *changes.lock().unwrap() = JournalChanges {
                cleared: true,
                ..JournalChanges::default()
            };
        }
    }

    /// Durable state: from now on, note entries added (the files bound
    /// themselves, see `durable::journal_files`).
    pub fn track_changes(&self) {
        self.changes.get_or_init(Mutex::default);
    }

    /// Durable state: every entry is written again with the next changes,
    /// after a clear (entries read from rows of an older data directory
    /// move to the files).
    pub fn write_all_again(&self) {
        let Some(changes) = self.changes.get() else {
            return;
        };
        let entries = self.entries.lock().unwrap();
        *changes.lock().unwrap() = JournalChanges {
            cleared: true,
            added: entries.iter().map(|e| to_json(&**e)).collect(),
        };
    }

    /// What changed since the last call, for `workspace`'s journal files.
    pub fn take_changes(&self, workspace: &str, out: &mut Vec<Change>) {
        let Some(changes) = self.changes.get() else {
            return;
        };
        let changes = std::mem::take(&mut *changes.lock().unwrap());
        if changes.cleared {
            out.push(Change::JournalCleared {
                workspace: workspace.to_owned(),
            });
        }
        if !changes.added.is_empty() {
            out.push(Change::JournalEntries {
                workspace: workspace.to_owned(),
                lines: changes.added,
            });
        }
    }

    /// Loads an entry a data directory kept, shown as it was kept;
    /// `provider` gives a provider's name as entries hold it.
    pub fn load(
        &self,
        body: &str,
        provider: impl Fn(&str) -> Option<&'static str>,
    ) -> Result<(), String> {
        let saved: SavedEntry = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let name =
            provider(&saved.provider).ok_or_else(|| format!("no provider {:?}", saved.provider))?;
        let message = |m: SavedMessage| Message::premasked(m.headers, m.body, m.truncated);
        let entry = Entry {
            id: saved.id,
            at: saved.at,
            provider: name,
            kind: saved.kind,
            objects: saved.objects,
            method: saved.method,
            url: saved.url,
            status: saved.status,
            duration_ms: saved.duration_ms,
            summary: saved.summary,
            request: saved.request.map(message),
            response: saved.response.map(message),
            signature: saved.signature_base.map(|base| SignatureHelp {
                base,
                fields: saved.signature_fields,
            }),
        };
        self.next_id.fetch_max(entry.id + 1, Ordering::Relaxed);
        // Kept with the ids and times it had (no change noted: it is kept
        // already).
        let mut entries = self.entries.lock().unwrap();
        let at = entries
            .iter()
            .rposition(|e| e.id < entry.id)
            .map_or(0, |i| i + 1);
        entries.insert(at, Arc::new(entry));
        while entries.len() > self.capacity {
            entries.pop_front();
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct JournalChanges {
    cleared: bool,
    /// Each entry as `/__sandbox/journal` shows it, masked.
    added: Vec<String>,
}

/// An entry as `/__sandbox/journal` shows it (and a data directory keeps
/// it).
#[derive(Deserialize)]
struct SavedEntry {
    id: u64,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    provider: String,
    kind: EntryKind,
    #[serde(default)]
    objects: Vec<String>,
    method: Option<String>,
    url: Option<String>,
    status: Option<u16>,
    duration_ms: Option<f64>,
    summary: Option<String>,
    request: Option<SavedMessage>,
    response: Option<SavedMessage>,
    signature_base: Option<String>,
    #[serde(default)]
    signature_fields: Vec<crate::core::signature::SignedField>,
}

#[derive(Deserialize)]
struct SavedMessage {
    headers: Vec<(String, String)>,
    body: String,
    #[serde(default)]
    truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(provider: &'static str, object: &str) -> Entry {
        Entry::new(provider, EntryKind::Event).object(object)
    }

    #[test]
    fn an_entry_recorded_under_a_reserved_id_comes_before_the_entries_recorded_meanwhile() {
        // Arrange
        let journal = Journal::new(10, 1024);
        let request = journal.reserve();

        // Act: the handler records a transition, then the exchange ends.
        journal.record(
            entry("softline", "a").summary("effect"),
            OffsetDateTime::UNIX_EPOCH,
        );
        journal.record_reserved(
            entry("softline", "a").summary("request"),
            request,
            OffsetDateTime::UNIX_EPOCH,
        );

        // Assert
        let timeline: Vec<_> = journal
            .query(&Query::default())
            .iter()
            .map(|e| (e.id, e.summary.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            timeline,
            [
                (request, "request".to_owned()),
                (request + 1, "effect".to_owned())
            ]
        );
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
    fn a_card_number_in_any_header_is_masked() {
        let message = Message::capture(
            [(
                "x-sandbox-signature-base",
                "450000::3000001::4111111111111111::IVAN PETROV::<SecretKey>",
            )],
            None,
            b"",
            64,
        );

        let headers = message.headers();

        assert_eq!(
            headers[0].1,
            "450000::3000001::411111******1111::IVAN PETROV::<SecretKey>"
        );
    }

    #[test]
    fn a_premasked_message_is_shown_as_it_came_not_masked_again() {
        let shown = Message::capture(
            [("authorization", "Bearer sandbox-imshop-key")],
            Some("application/json"),
            br#"{"token":"sandbox-imshop-token-1"}"#,
            4096,
        );

        let kept = Message::premasked(shown.headers(), shown.body().into_owned(), false);

        assert_eq!(
            kept.headers(),
            [
                ("authorization".to_owned(), "Bearer ****-key".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned()),
            ]
        );
        assert_eq!(kept.body(), shown.body());
        assert_eq!(kept.body(), r#"{"token":"****en-1"}"#);
    }

    #[test]
    fn a_json_body_cut_at_the_limit_keeps_no_card_number_in_clear() {
        let message = Message::capture(
            [],
            Some("application/json"),
            br#"{"pan":"4111111111111111","cvv":"123","cardHolder":"IVAN PETROV"}"#,
            38,
        );

        let body = message.body();

        assert!(message.truncated);
        assert_eq!(body, r#"{"pan":"411111******1111","cvv":"***","#);
    }

    #[test]
    fn captured_messages_mask_secrets_and_cut_long_bodies() {
        let message = Message::capture(
            [("authorization", "Bearer 9d97820c61424eb6ac0db414ccb7ac60")],
            Some("text/plain"),
            b"0123456789",
            4,
        );
        assert_eq!(message.headers()[0].1, "Bearer ****ac60");
        assert_eq!(message.body(), "0123");
        assert!(message.truncated);
    }
}

#[cfg(test)]
mod durable_tests {
    use super::*;

    #[test]
    fn a_tracked_journal_gives_a_line_per_entry_that_reads_back_as_shown() {
        let journal = Journal::new(10, 1024);
        journal.track_changes();
        let entry = Entry::new("softline", EntryKind::Inbound)
            .object("5000000")
            .summary("payment created");
        journal.record(entry, OffsetDateTime::UNIX_EPOCH);

        let mut changes = Vec::new();
        journal.take_changes("default", &mut changes);

        let [Change::JournalEntries { workspace, lines }] = changes.as_slice() else {
            panic!("{changes:?}");
        };
        assert_eq!(workspace, "default");
        let again = Journal::new(10, 1024);
        for line in lines {
            again
                .load(line, |name| (name == "softline").then_some("softline"))
                .unwrap();
        }
        let shown = |j: &Journal| serde_json::to_string(&j.query(&Query::default())).unwrap();
        assert_eq!(shown(&again), shown(&journal));
    }

    #[test]
    fn a_cleared_journal_says_so_before_the_entries_after_it() {
        let journal = Journal::new(10, 1024);
        journal.track_changes();
        journal.record(
            Entry::new("softline", EntryKind::Inbound),
            OffsetDateTime::UNIX_EPOCH,
        );
        journal.clear();
        journal.record(
            Entry::new("softline", EntryKind::Inbound),
            OffsetDateTime::UNIX_EPOCH,
        );

        let mut changes = Vec::new();
        journal.take_changes("ci", &mut changes);

        assert!(matches!(
            changes.as_slice(),
            [Change::JournalCleared { workspace }, Change::JournalEntries { lines, .. }]
                if workspace == "ci" && lines.len() == 1
        ));
    }
}
