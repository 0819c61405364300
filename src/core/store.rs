//! In-memory stores for the providers' objects.
//!
//! A `Store` is a fixed set of shards, each a `HashMap` behind a std mutex.
//! Sharding keeps one resize or one long write from stalling every other
//! request (a single map under one lock halved throughput in our measurements),
//! and the std mutex is the right tool because no lock is ever held across an
//! `.await`: every method locks, does its work and returns.
//!
//! With durable state (`--data-dir`) a store also notes which keys changed
//! ([`Store::track_changes`]), under the lock of the change itself, so the
//! keys a request changed are known when it is about to answer (see
//! `crate::durable`). Untracked, that costs one branch.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 32;

/// A concurrent map from ids to records.
pub struct Store<K, V> {
    shards: Arc<[Mutex<Shard<K, V>>]>,
    hasher: RandomState,
}

struct Shard<K, V> {
    map: HashMap<K, V>,
    /// `Some` once changes are tracked.
    changes: Option<Changes<K>>,
}

/// What changed in a store since the changes were last taken.
#[derive(Debug)]
pub struct Changes<K> {
    /// Everything was dropped first (a reset, a restore).
    pub cleared: bool,
    /// Keys inserted, changed or removed (after the clear, if any).
    pub keys: HashSet<K>,
}

impl<K: Hash + Eq> PartialEq for Changes<K> {
    fn eq(&self, other: &Self) -> bool {
        self.cleared == other.cleared && self.keys == other.keys
    }
}

impl<K> Default for Changes<K> {
    fn default() -> Self {
        Self {
            cleared: false,
            keys: HashSet::new(),
        }
    }
}

impl<K: Hash + Eq, V> Shard<K, V> {
    fn changed(&mut self, key: &K)
    where
        K: Clone,
    {
        if let Some(changes) = &mut self.changes {
            changes.keys.insert(key.clone());
        }
    }
}

impl<K, V> Clone for Store<K, V> {
    fn clone(&self) -> Self {
        Self {
            shards: Arc::clone(&self.shards),
            hasher: self.hasher.clone(),
        }
    }
}

impl<K, V> Default for Store<K, V> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        map: HashMap::new(),
                        changes: None,
                    })
                })
                .collect(),
            hasher: RandomState::new(),
        }
    }
}

impl<K, V> std::fmt::Debug for Store<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, V> Store<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    fn shard(&self, key: &K) -> &Mutex<Shard<K, V>> {
        let index = (self.hasher.hash_one(key) as usize) % self.shards.len();
        &self.shards[index]
    }

    /// Inserts or replaces.
    pub fn insert(&self, key: K, value: V) {
        let mut shard = self.shard(&key).lock().unwrap();
        shard.changed(&key);
        shard.map.insert(key, value);
    }

    /// Inserts only if the key is free; gives the value back otherwise.
    pub fn insert_new(&self, key: K, value: V) -> Result<(), V> {
        let mut shard = self.shard(&key).lock().unwrap();
        if shard.map.contains_key(&key) {
            return Err(value);
        }
        shard.changed(&key);
        shard.map.insert(key, value);
        Ok(())
    }

    /// Reads a record through `f` without cloning all of it.
    pub fn read<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.shard(key).lock().unwrap().map.get(key).map(f)
    }

    /// Changes a record in place; `None` when there is no such key.
    pub fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let mut shard = self.shard(key).lock().unwrap();
        let result = shard.map.get_mut(key).map(f);
        if result.is_some() {
            shard.changed(key);
        }
        result
    }

    pub fn remove(&self, key: &K) -> Option<V> {
        let mut shard = self.shard(key).lock().unwrap();
        let removed = shard.map.remove(key);
        if removed.is_some() {
            shard.changed(key);
        }
        removed
    }

    pub fn contains(&self, key: &K) -> bool {
        self.shard(key).lock().unwrap().map.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap().map.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap();
            // Replacing rather than clearing gives the memory back.
            shard.map = HashMap::new();
            if let Some(changes) = &mut shard.changes {
                *changes = Changes {
                    cleared: true,
                    keys: HashSet::new(),
                };
            }
        }
    }

    /// Collects `f(record)` for every record that `f` maps to `Some`, one
    /// shard at a time (a snapshot per shard, never a global lock).
    pub fn filter_map<R>(&self, mut f: impl FnMut(&K, &V) -> Option<R>) -> Vec<R> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap();
            out.extend(shard.map.iter().filter_map(|(k, v)| f(k, v)));
        }
        out
    }

    /// Keeps only the records `keep` says yes to, one shard at a time.
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap();
            let Shard { map, changes } = &mut *shard;
            map.retain(|k, v| {
                let kept = keep(k, v);
                if !kept && let Some(changes) = changes {
                    changes.keys.insert(k.clone());
                }
                kept
            });
        }
    }

    /// Applies `f` to every record, one shard at a time; `f` says whether
    /// it changed the record.
    pub fn for_each_mut(&self, mut f: impl FnMut(&K, &mut V) -> bool) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap();
            let Shard { map, changes } = &mut *shard;
            for (k, v) in map.iter_mut() {
                if f(k, v)
                    && let Some(changes) = changes
                {
                    changes.keys.insert(k.clone());
                }
            }
        }
    }

    /// From now on, notes every key that changes (durable state).
    pub fn track_changes(&self) {
        for shard in self.shards.iter() {
            shard
                .lock()
                .unwrap()
                .changes
                .get_or_insert_with(Changes::default);
        }
    }

    /// What changed since the last call (nothing when untracked).
    pub fn take_changes(&self) -> Changes<K> {
        let mut all = Changes::default();
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap();
            if let Some(changes) = &mut shard.changes {
                let taken = std::mem::take(changes);
                all.cleared |= taken.cleared;
                all.keys.extend(taken.keys);
            }
        }
        all
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Store<K, V> {
    /// A copy of one record.
    pub fn get(&self, key: &K) -> Option<V> {
        self.read(key, V::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_new_refuses_a_taken_key() {
        let store = Store::new();
        assert!(store.insert_new(1, "a").is_ok());
        assert_eq!(store.insert_new(1, "b"), Err("b"));
        assert_eq!(store.get(&1), Some("a"));
    }

    #[test]
    fn update_changes_in_place_and_reports_missing_keys() {
        let store = Store::new();
        store.insert(1, 10);
        assert_eq!(store.update(&1, |v| *v += 1), Some(()));
        assert_eq!(store.get(&1), Some(11));
        assert_eq!(store.update(&2, |v| *v += 1), None);
    }

    #[test]
    fn len_counts_every_shard_and_clear_empties_them() {
        let store = Store::new();
        for i in 0..1000 {
            store.insert(i, i);
        }
        assert_eq!(store.len(), 1000);
        let mut evens = store.filter_map(|k, _| (k % 2 == 0).then_some(*k));
        evens.sort_unstable();
        assert_eq!(evens.len(), 500);
        store.clear();
        assert!(store.is_empty());
    }

    #[test]
    fn a_tracked_store_notes_each_changed_key_once_and_a_clear() {
        let store = Store::new();
        store.insert(1, 1);
        store.track_changes();
        store.insert(2, 2);
        store.update(&2, |v| *v += 1);
        store.update(&9, |v| *v += 1);
        store.remove(&1);
        store.for_each_mut(|k, _| *k == 2);

        let changes = store.take_changes();

        assert_eq!(
            changes,
            Changes {
                cleared: false,
                keys: [1, 2].into()
            }
        );
        assert_eq!(store.take_changes(), Changes::default());
        store.clear();
        store.insert(3, 3);
        assert_eq!(
            store.take_changes(),
            Changes {
                cleared: true,
                keys: [3].into()
            }
        );
    }

    #[test]
    fn an_untracked_store_has_no_changes() {
        let store = Store::new();
        store.insert(1, 1);
        assert_eq!(store.take_changes(), Changes::default());
    }
}
