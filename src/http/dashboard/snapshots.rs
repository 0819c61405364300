//! The "Snapshots" page's rows: each snapshot of the workspace on screen,
//! what it holds in words, and where its document downloads from.

use std::collections::BTreeMap;

use crate::core::snapshot::Document;
use crate::web::{Switcher, format_time};

/// One snapshot as the page lists it.
pub struct SnapshotRow {
    pub name: String,
    pub taken_at: String,
    /// What it holds, as a person reads it (`softline: 2 payments, 1 token`).
    pub holds: String,
    /// Its document as a file, under the control prefix of the workspace
    /// on screen.
    pub download: String,
}

impl SnapshotRow {
    pub fn new(document: &Document, workspace: &Switcher) -> Self {
        Self {
            name: document.name.clone(),
            taken_at: format_time(document.taken_at),
            holds: holds(&document.object_counts()),
            download: workspace.control_url(&format!(
                "/__sandbox/snapshots/{}?download=true",
                document.name
            )),
        }
    }
}

/// Object counts by provider and kind in words: `softline: 2 payments,
/// 1 token; intellectmoney: 1 invoice`, the kinds with none left out, and
/// `nothing` when every kind has none.
pub fn holds(counts: &BTreeMap<String, BTreeMap<String, usize>>) -> String {
    let providers: Vec<String> = counts
        .iter()
        .filter_map(|(provider, kinds)| {
            let kinds: Vec<String> = kinds
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(kind, n)| {
                    let kind = kind.replace('_', " ");
                    // The section names its lists in the plural.
                    let kind = match kind.strip_suffix('s') {
                        Some(one) if *n == 1 => one.to_owned(),
                        _ => kind,
                    };
                    format!("{n} {kind}")
                })
                .collect();
            (!kinds.is_empty()).then(|| format!("{provider}: {}", kinds.join(", ")))
        })
        .collect();
    if providers.is_empty() {
        "nothing".to_owned()
    } else {
        providers.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(entries: &[(&str, &[(&str, usize)])]) -> BTreeMap<String, BTreeMap<String, usize>> {
        entries
            .iter()
            .map(|(provider, kinds)| {
                let kinds = kinds.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect();
                ((*provider).to_owned(), kinds)
            })
            .collect()
    }

    #[test]
    fn counts_read_as_words_in_the_singular_for_one_and_without_the_kinds_with_none() {
        let cases = [
            (
                counts(&[("softline", &[("payments", 2), ("tokens", 1)])]),
                "softline: 2 payments, 1 token",
            ),
            (
                counts(&[
                    ("intellectmoney", &[("invoices", 1), ("webhook_targets", 0)]),
                    ("softline", &[("payments", 0), ("tokens", 3)]),
                ]),
                "intellectmoney: 1 invoice; softline: 3 tokens",
            ),
            (
                counts(&[("softline", &[("payments", 0), ("tokens", 0)])]),
                "nothing",
            ),
            (counts(&[]), "nothing"),
        ];
        for (counts, expected) in cases {
            assert_eq!(holds(&counts), expected, "{counts:?}");
        }
    }
}
