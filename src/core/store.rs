//! In-memory stores for the providers' objects.
//!
//! A `Store` is a fixed set of shards, each a `HashMap` behind a std mutex.
//! Sharding keeps one resize or one long write from stalling every other
//! request (a single map under one lock halved throughput in our measurements),
//! and the std mutex is the right tool because no lock is ever held across an
//! `.await`: every method locks, does its work and returns.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 32;

/// A concurrent map from ids to records.
pub struct Store<K, V> {
    shards: Arc<[Mutex<HashMap<K, V>>]>,
    hasher: RandomState,
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
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl<K, V> std::fmt::Debug for Store<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, V> Store<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    fn shard(&self, key: &K) -> &Mutex<HashMap<K, V>> {
        let index = (self.hasher.hash_one(key) as usize) % self.shards.len();
        &self.shards[index]
    }

    /// Inserts or replaces.
    pub fn insert(&self, key: K, value: V) {
        self.shard(&key).lock().unwrap().insert(key, value);
    }

    /// Inserts only if the key is free; gives the value back otherwise.
    pub fn insert_new(&self, key: K, value: V) -> Result<(), V> {
        let mut shard = self.shard(&key).lock().unwrap();
        match shard.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => Err(value),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(value);
                Ok(())
            }
        }
    }

    /// Reads a record through `f` without cloning all of it.
    pub fn read<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.shard(key).lock().unwrap().get(key).map(f)
    }

    /// Changes a record in place; `None` when there is no such key.
    pub fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        self.shard(key).lock().unwrap().get_mut(key).map(f)
    }

    pub fn remove(&self, key: &K) -> Option<V> {
        self.shard(key).lock().unwrap().remove(key)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.shard(key).lock().unwrap().contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap().len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        for shard in self.shards.iter() {
            // Replacing rather than clearing gives the memory back.
            *shard.lock().unwrap() = HashMap::new();
        }
    }

    /// Collects `f(record)` for every record that `f` maps to `Some`, one
    /// shard at a time (a snapshot per shard, never a global lock).
    pub fn filter_map<R>(&self, mut f: impl FnMut(&K, &V) -> Option<R>) -> Vec<R> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap();
            out.extend(shard.iter().filter_map(|(k, v)| f(k, v)));
        }
        out
    }

    /// Keeps only the records `keep` says yes to, one shard at a time.
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        for shard in self.shards.iter() {
            shard.lock().unwrap().retain(|k, v| keep(k, v));
        }
    }

    /// Applies `f` to every record, one shard at a time.
    pub fn for_each_mut(&self, mut f: impl FnMut(&K, &mut V)) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap();
            for (k, v) in shard.iter_mut() {
                f(k, v);
            }
        }
    }
}

impl<K: Hash + Eq, V: Clone> Store<K, V> {
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
}
