//! Who holds what, across every workspace of one paysandbox.
//!
//! A request carries no workspace name: a Softline call carries a token, a
//! hosted page an order id, an IntellectMoney call its `EshopId`. Each is
//! *claimed* here by the workspace that issued or drew it, so the request
//! finds its workspace by one look-up, and no two workspaces ever hand out
//! the same token, id or shop. The providers name what they claim (`kind`,
//! such as `softline.token`); the directory knows no provider.
//!
//! Numbers drawn from a [`Sequence`](super::ids::Sequence) are claimed a
//! block at a time ([`BLOCK`] numbers), so drawing an id costs a claim once
//! per thousand ids, and a workspace's ids stay consecutive.

use std::hash::Hash;
use std::sync::Arc;

use papaya::{Equivalent, HashMap};

/// A workspace, as the directory knows it: a number never reused while the
/// process lives.
pub type Owner = u32;

/// The owner of the `default` workspace.
pub const DEFAULT_OWNER: Owner = 0;

/// The name of the workspace every request that names none reaches.
pub const DEFAULT_WORKSPACE: &str = "default";

/// How many consecutive numbers of a sequence one claim covers.
pub const BLOCK: u64 = 1_000;

/// What a workspace holds, by kind and key.
///
/// Every provider request looks here first to find its workspace, so
/// reading takes no lock: papaya's maps are read without blocking while a
/// workspace is created, a token issued or a workspace dropped (the
/// sharded `Store` this replaced took a shard's mutex per look-up).
#[derive(Debug, Default)]
pub struct Directory {
    /// `(kind, number)`: shops by `EshopId`, sequence blocks.
    numbers: HashMap<(&'static str, u64), Owner>,
    /// Tokens, logins, run ids.
    texts: HashMap<TextKey, Owner>,
}

/// A text claim's key, owned.
#[derive(Debug, Hash, PartialEq, Eq)]
struct TextKey {
    kind: &'static str,
    text: Box<str>,
}

/// A text claim's key, borrowed from a request: found without copying the
/// token into a key first. Hashes as [`TextKey`] does (field by field, a
/// `Box<str>` as its `str`).
#[derive(Hash)]
struct TextRef<'a> {
    kind: &'a str,
    text: &'a str,
}

impl Equivalent<TextKey> for TextRef<'_> {
    fn equivalent(&self, key: &TextKey) -> bool {
        self.kind == key.kind && self.text == &*key.text
    }
}

impl Directory {
    /// Who holds `number` of `kind`.
    pub fn number_owner(&self, kind: &'static str, number: u64) -> Option<Owner> {
        self.numbers.pin().get(&(kind, number)).copied()
    }

    /// Who drew `number` from the sequence named `kind`.
    pub fn drawn_owner(&self, kind: &'static str, number: u64) -> Option<Owner> {
        self.number_owner(kind, number / BLOCK)
    }

    /// Who holds `text` of `kind`.
    pub fn text_owner(&self, kind: &'static str, text: &str) -> Option<Owner> {
        self.texts.pin().get(&TextRef { kind, text }).copied()
    }

    /// Gives up everything `owner` holds (its workspace is gone).
    pub fn release(&self, owner: Owner) {
        self.numbers.pin().retain(|_, held| *held != owner);
        self.texts.pin().retain(|_, held| *held != owner);
    }

    fn claim_number(&self, kind: &'static str, number: u64, owner: Owner) -> bool {
        claim(&self.numbers, (kind, number), owner)
    }

    fn claim_text(&self, kind: &'static str, text: &str, owner: Owner) -> bool {
        let key = TextKey {
            kind,
            text: text.into(),
        };
        claim(&self.texts, key, owner)
    }
}

/// Whether `owner` holds `key` now: claimed by it here, or before.
fn claim<K: Hash + Eq>(map: &HashMap<K, Owner>, key: K, owner: Owner) -> bool {
    match map.pin().try_insert(key, owner) {
        Ok(_) => true,
        Err(occupied) => *occupied.current == owner,
    }
}

/// One workspace's hand on the directory. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Claims {
    directory: Arc<Directory>,
    owner: Owner,
}

impl Claims {
    pub fn new(directory: Arc<Directory>, owner: Owner) -> Self {
        Self { directory, owner }
    }

    /// A directory of its own, for a sandbox that is alone (unit tests, the
    /// CLI).
    pub fn standalone() -> Self {
        Self::new(Arc::default(), DEFAULT_OWNER)
    }

    pub fn owner(&self) -> Owner {
        self.owner
    }

    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    /// Claims `number` of `kind`; false when another workspace holds it.
    pub fn number(&self, kind: &'static str, number: u64) -> bool {
        self.directory.claim_number(kind, number, self.owner)
    }

    /// Gives `text` of `kind` up, if this workspace holds it (a token
    /// forgotten by `--retention`).
    pub fn release_text(&self, kind: &'static str, text: &str) {
        let key = TextRef { kind, text };
        // Err: another workspace holds it, and keeps it.
        let _ = self
            .directory
            .texts
            .pin()
            .remove_if(&key, |_, held| *held == self.owner);
    }

    /// Claims `text` of `kind`; false when another workspace holds it.
    pub fn text(&self, kind: &'static str, text: &str) -> bool {
        self.directory.claim_text(kind, text, self.owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_the_first_claimant_s_and_repeating_it_is_harmless() {
        let directory = Arc::new(Directory::default());
        let one = Claims::new(Arc::clone(&directory), 1);
        let two = Claims::new(Arc::clone(&directory), 2);

        assert!(one.text("softline.token", "abc"));
        assert!(one.text("softline.token", "abc"));
        assert!(!two.text("softline.token", "abc"));
        assert!(two.text("imshop.key", "abc"), "kinds do not collide");
        assert!(one.number("intellectmoney.eshop", 450_001));
        assert!(!two.number("intellectmoney.eshop", 450_001));

        assert_eq!(directory.text_owner("softline.token", "abc"), Some(1));
        assert_eq!(directory.text_owner("imshop.key", "abc"), Some(2));
        assert_eq!(
            directory.number_owner("intellectmoney.eshop", 450_001),
            Some(1)
        );
        assert_eq!(directory.text_owner("softline.token", "zzz"), None);
    }

    #[test]
    fn a_released_owner_holds_nothing_and_others_keep_theirs() {
        let directory = Arc::new(Directory::default());
        let one = Claims::new(Arc::clone(&directory), 1);
        let two = Claims::new(Arc::clone(&directory), 2);
        one.text("softline.token", "a");
        two.text("softline.token", "b");
        one.number("softline.order", 7);

        directory.release(1);

        assert_eq!(directory.text_owner("softline.token", "a"), None);
        assert_eq!(directory.number_owner("softline.order", 7), None);
        assert_eq!(directory.text_owner("softline.token", "b"), Some(2));
        assert!(two.text("softline.token", "a"), "a released claim is free");
    }
}
