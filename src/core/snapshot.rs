//! Snapshots: a workspace's whole state as one JSON document, taken and
//! restored in one step.
//!
//! The document (format [`FORMAT`], documented in `docs/snapshots.md`):
//!
//! ```json
//! {"paysandbox_snapshot": 1, "name": "held-invoice", "workspace": "default",
//!  "taken_at": "2026-12-05T15:00:00Z",
//!  "core": {"clock_offset_ms": 0, "generator": "…", "scenarios": {…}, "faults": {…}},
//!  "providers": {"softline": {…}, "intellectmoney": {…}, "imshop": {…}, "demo": {…}}}
//! ```
//!
//! Each provider writes and reads its own section (see
//! [`Provider::snapshot`](crate::provider::Provider::snapshot)); the core
//! writes the clock, the generator, scenarios and faults. A restore first
//! reads the whole document into typed values, checking everything, and
//! only then changes anything: a document that is wrong anywhere changes
//! nothing.
//!
//! Not in a snapshot: the journal and the outbox (deliveries already sent
//! stay sent), and the workspace's own credentials. A document restores into
//! the workspace it was taken in, on this instance or a fresh one: its ids
//! and tokens must not belong to another workspace of the instance, and its
//! invoices name their workspace's shop.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::durable::{ObjectChange, to_json};
use super::error::CoreError;
use super::faults::FaultsSnapshot;
use super::scenarios::ScenariosSnapshot;

/// The format this version writes, and the newest it reads.
pub const FORMAT: u32 = 1;

/// The kind of a snapshot's row in a data directory.
const SNAPSHOTS: &str = "snapshots";

/// The field at the top of every snapshot document.
pub const MARKER: &str = "paysandbox_snapshot";

/// A snapshot document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The format ([`FORMAT`]).
    pub paysandbox_snapshot: u32,
    /// The name it was taken under.
    pub name: String,
    /// The workspace it was taken in.
    pub workspace: String,
    /// The sandbox time it was taken at.
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: OffsetDateTime,
    pub core: CoreSection,
    /// Each provider's section, by its name; a provider without one starts
    /// empty.
    #[serde(default)]
    pub providers: BTreeMap<String, serde_json::Value>,
}

impl Document {
    /// How many of each kind of object it holds, by provider
    /// (`{"softline": {"payments": 3, "tokens": 1}}`): the length of each
    /// list in a provider's section.
    pub fn object_counts(&self) -> BTreeMap<String, BTreeMap<String, usize>> {
        self.providers
            .iter()
            .filter_map(|(provider, section)| {
                let counts = section
                    .as_object()?
                    .iter()
                    .filter_map(|(kind, value)| Some((kind.clone(), value.as_array()?.len())))
                    .collect();
                Some((provider.clone(), counts))
            })
            .collect()
    }
}

/// What the core keeps of a workspace.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreSection {
    /// How far the sandbox clock was ahead of real time when it was taken
    /// (for people: a restore puts the clock back to `taken_at`).
    pub clock_offset_ms: i64,
    /// Where the seeded generator stood (tokens, hashes, uuids): after a
    /// restore the same values are drawn again. A decimal string, since
    /// JSON numbers past 2^53 lose digits in many readers.
    pub generator: String,
    #[serde(default)]
    pub scenarios: ScenariosSnapshot,
    #[serde(default)]
    pub faults: FaultsSnapshot,
}

/// Why a snapshot could not be taken, stored or restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("no snapshot named {0:?} in this workspace")]
    NotFound(String),
    #[error("a snapshot named {0:?} exists already (PUT …/snapshots/{0} replaces it)")]
    Exists(String),
    #[error(
        "snapshot names are 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or a digit: {0:?}"
    )]
    BadName(String),
    #[error("not a snapshot document: {0}")]
    Malformed(String),
    #[error(
        "written by a newer paysandbox (\"paysandbox_snapshot\": {0}); this one reads format {FORMAT}"
    )]
    Newer(u64),
    /// An id or token in the document that another workspace of this
    /// instance holds: restoring it here would make it ambiguous.
    #[error("{0}")]
    Conflict(String),
}

impl From<SnapshotError> for CoreError {
    fn from(error: SnapshotError) -> Self {
        let message = error.to_string();
        match error {
            SnapshotError::NotFound(_) => Self::NotFound(message),
            SnapshotError::Exists(_) | SnapshotError::Conflict(_) => Self::Conflict(message),
            SnapshotError::BadName(_) | SnapshotError::Malformed(_) | SnapshotError::Newer(_) => {
                Self::BadRequest(message)
            }
        }
    }
}

/// What makes a part of the workspace what a checked section says. Built
/// by reading the section; run only once every section has been read.
pub type Install<'a> = Box<dyn FnOnce() + Send + 'a>;

/// Reads `section` as `T`, naming where it is wrong (`providers.softline.`
/// `payments[3].status: unknown variant …`).
pub fn read_section<T: DeserializeOwned>(
    prefix: &str,
    section: &serde_json::Value,
) -> Result<T, SnapshotError> {
    serde_path_to_error::deserialize(section).map_err(|error| {
        let path = error.path().to_string();
        let at = if path == "." {
            prefix.to_owned()
        } else {
            format!("{prefix}.{path}")
        };
        SnapshotError::Malformed(format!("{at}: {}", error.inner()))
    })
}

/// Reads a document from its JSON text: its format first (a newer one is
/// refused as such, not as malformed), then every field.
pub fn parse(text: &[u8]) -> Result<Document, SnapshotError> {
    let value: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| SnapshotError::Malformed(e.to_string()))?;
    let format = value
        .get(MARKER)
        .ok_or_else(|| SnapshotError::Malformed(format!("no \"{MARKER}\" field at its top")))?;
    match format.as_u64() {
        Some(n) if n > u64::from(FORMAT) => return Err(SnapshotError::Newer(n)),
        Some(n) if n == u64::from(FORMAT) => {}
        _ => {
            return Err(SnapshotError::Malformed(format!(
                "\"{MARKER}\" must be the whole number {FORMAT}, not {format}"
            )));
        }
    }
    read_section("", &value).map_err(|e| match e {
        // The top level's path reads better without the leading dot.
        SnapshotError::Malformed(m) => {
            SnapshotError::Malformed(m.trim_start_matches('.').to_owned())
        }
        other => other,
    })
}

/// Whether `name` can name a snapshot (it is a path segment and a file
/// name).
pub fn check_name(name: &str) -> Result<(), SnapshotError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(SnapshotError::BadName(name.to_owned()))
    }
}

/// A workspace's snapshots, by name. Cloning shares them.
#[derive(Debug, Clone, Default)]
pub struct Shelf {
    /// A std mutex: held to insert, find or list, never across `.await`.
    snapshots: Arc<Mutex<BTreeMap<String, Arc<Document>>>>,
    /// Durable state: names taken, replaced or deleted since last taken
    /// (`Some` once tracked).
    changes: Arc<Mutex<Option<BTreeSet<String>>>>,
}

impl Shelf {
    pub fn get(&self, name: &str) -> Option<Arc<Document>> {
        self.snapshots.lock().unwrap().get(name).cloned()
    }

    /// Every snapshot, by name.
    pub fn list(&self) -> Vec<Arc<Document>> {
        self.snapshots.lock().unwrap().values().cloned().collect()
    }

    /// The name a snapshot taken without one gets: `snapshot-N`, the first
    /// N not on the shelf.
    pub fn free_name(&self) -> String {
        let snapshots = self.snapshots.lock().unwrap();
        (1..)
            .map(|n| format!("snapshot-{n}"))
            .find(|name| !snapshots.contains_key(name))
            .unwrap_or_default()
    }

    /// Keeps `document` under its name unless one is there already.
    pub fn add(&self, document: Document) -> Result<Arc<Document>, SnapshotError> {
        let mut snapshots = self.snapshots.lock().unwrap();
        if snapshots.contains_key(&document.name) {
            return Err(SnapshotError::Exists(document.name));
        }
        let document = Arc::new(document);
        snapshots.insert(document.name.clone(), Arc::clone(&document));
        self.note(&document.name);
        Ok(document)
    }

    fn note(&self, name: &str) {
        if let Some(names) = self.changes.lock().unwrap().as_mut() {
            names.insert(name.to_owned());
        }
    }

    /// Durable state: from now on, note which snapshots change.
    pub fn track_changes(&self) {
        self.changes
            .lock()
            .unwrap()
            .get_or_insert_with(BTreeSet::new);
    }

    /// The snapshots taken, replaced or deleted since the last call, as
    /// rows (kind `snapshots`, the document as exported).
    pub fn take_changes(&self, out: &mut Vec<ObjectChange>) {
        let Some(names) = self.changes.lock().unwrap().as_mut().map(std::mem::take) else {
            return;
        };
        let rows = names.into_iter().map(|name| {
            let body = self.get(&name).map(|document| to_json(&*document));
            (name, body)
        });
        ObjectChange::push_rows(out, SNAPSHOTS, false, rows);
    }

    /// Loads a snapshot a data directory kept.
    pub fn load(&self, body: &str) -> Result<(), String> {
        let document = parse(body.as_bytes()).map_err(|e| e.to_string())?;
        self.snapshots
            .lock()
            .unwrap()
            .insert(document.name.clone(), Arc::new(document));
        Ok(())
    }

    /// Keeps `document` under its name; true when it replaced one.
    pub fn put(&self, document: Document) -> bool {
        let name = document.name.clone();
        let replaced = self
            .snapshots
            .lock()
            .unwrap()
            .insert(name.clone(), Arc::new(document))
            .is_some();
        self.note(&name);
        replaced
    }

    /// Forgets one; false when there was none.
    pub fn remove(&self, name: &str) -> bool {
        let removed = self.snapshots.lock().unwrap().remove(name).is_some();
        self.note(name);
        removed
    }

    pub fn len(&self) -> usize {
        self.snapshots.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> serde_json::Value {
        json!({
            "paysandbox_snapshot": 1, "name": "s", "workspace": "default",
            "taken_at": "2026-12-05T15:00:00Z",
            "core": {"clock_offset_ms": 0, "generator": "1"},
            "providers": {}
        })
    }

    #[test]
    fn a_document_of_this_format_is_read() {
        let text = serde_json::to_vec(&document()).unwrap();
        let document = parse(&text).unwrap();
        assert_eq!(document.name, "s");
    }

    #[test]
    fn a_newer_format_is_refused_as_newer() {
        let mut value = document();
        value["paysandbox_snapshot"] = json!(2);
        let error = parse(&serde_json::to_vec(&value).unwrap()).unwrap_err();
        assert!(matches!(error, SnapshotError::Newer(2)), "{error}");
    }

    #[test]
    fn a_wrong_field_is_named_with_its_path() {
        let mut value = document();
        value["core"]["clock_offset_ms"] = json!("soon");
        let error = parse(&serde_json::to_vec(&value).unwrap()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("not a snapshot document: core.clock_offset_ms: "),
            "{error}"
        );
    }

    #[test]
    fn a_document_without_the_marker_is_malformed() {
        let error = parse(br#"{"name": "s"}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "not a snapshot document: no \"paysandbox_snapshot\" field at its top"
        );
    }

    #[test]
    fn names_are_path_segments() {
        assert!(check_name("held-invoice_2.v1").is_ok());
        for bad in ["", "-x", "a/b", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
