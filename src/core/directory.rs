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

use std::sync::Arc;

use super::store::Store;

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
#[derive(Debug, Default)]
pub struct Directory {
    /// `(kind, number)`: shops by `EshopId`, sequence blocks.
    numbers: Store<(&'static str, u64), Owner>,
    /// `kind` and text joined by a NUL: tokens, logins, run ids.
    texts: Store<String, Owner>,
}

fn text_key(kind: &str, text: &str) -> String {
    let mut key = String::with_capacity(kind.len() + 1 + text.len());
    key.push_str(kind);
    key.push('\0');
    key.push_str(text);
    key
}

impl Directory {
    /// Who holds `number` of `kind`.
    pub fn number_owner(&self, kind: &'static str, number: u64) -> Option<Owner> {
        self.numbers.get(&(kind, number))
    }

    /// Who drew `number` from the sequence named `kind`.
    pub fn drawn_owner(&self, kind: &'static str, number: u64) -> Option<Owner> {
        self.number_owner(kind, number / BLOCK)
    }

    /// Who holds `text` of `kind`.
    pub fn text_owner(&self, kind: &'static str, text: &str) -> Option<Owner> {
        self.texts.get(&text_key(kind, text))
    }

    /// Gives up everything `owner` holds (its workspace is gone).
    pub fn release(&self, owner: Owner) {
        self.numbers.retain(|_, held| *held != owner);
        self.texts.retain(|_, held| *held != owner);
    }

    fn claim_number(&self, kind: &'static str, number: u64, owner: Owner) -> bool {
        match self.numbers.insert_new((kind, number), owner) {
            Ok(()) => true,
            Err(_) => self.numbers.get(&(kind, number)) == Some(owner),
        }
    }

    fn claim_text(&self, kind: &'static str, text: &str, owner: Owner) -> bool {
        let key = text_key(kind, text);
        match self.texts.insert_new(key.clone(), owner) {
            Ok(()) => true,
            Err(_) => self.texts.get(&key) == Some(owner),
        }
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
        self.directory
            .texts
            .remove_if(&text_key(kind, text), |held| *held == self.owner);
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
