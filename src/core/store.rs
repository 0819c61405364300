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
//!
//! With `--retention` a store also notes when each record was last touched
//! (inserted, changed or read one at a time; scans such as a search or a
//! snapshot do not count), so [`Store::forget_untouched`] can drop what
//! nobody has used for that long. The time is real time, not the sandbox
//! clock: a test moving its workspace's clock a month ahead must not make
//! every neighbour's payments a month old.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use super::clock::TimeSource;

const SHARDS: usize = 32;

/// A concurrent map from ids to records.
pub struct Store<K, V> {
    shards: Arc<[Mutex<Shard<K, V>>]>,
    /// Set when a tracked change is noted: with durable state every request
    /// takes every store's changes, and most stores have none, which this
    /// tells without locking their 32 shards.
    dirty: Arc<AtomicBool>,
    hasher: RandomState,
}

struct Shard<K, V> {
    map: HashMap<K, Slot<V>>,
    /// `Some` once changes are tracked.
    changes: Option<Changes<K>>,
    /// `Some` once touches are noted: where their time comes from.
    touches: Option<Arc<dyn TimeSource>>,
}

/// A record and when it was last touched, in whole seconds since the Unix
/// epoch (0 while touches are not noted). Four bytes, not an
/// `OffsetDateTime`'s sixteen: it is on every record.
struct Slot<V> {
    value: V,
    touched: u32,
}

/// `at` as a [`Slot`]'s touch time.
fn touch_time(at: OffsetDateTime) -> u32 {
    u32::try_from(at.unix_timestamp().max(0)).unwrap_or(u32::MAX)
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
    fn changed(&mut self, key: &K, dirty: &AtomicBool)
    where
        K: Clone,
    {
        if let Some(changes) = &mut self.changes {
            changes.keys.insert(key.clone());
            dirty.store(true, Ordering::Release);
        }
    }

    /// The touch time of now (0 while touches are not noted).
    fn now(&self) -> u32 {
        self.touches.as_ref().map_or(0, |s| touch_time(s.now_utc()))
    }

    fn slot(&self, value: V) -> Slot<V> {
        Slot {
            value,
            touched: self.now(),
        }
    }
}

impl<K, V> Clone for Store<K, V> {
    fn clone(&self) -> Self {
        Self {
            shards: Arc::clone(&self.shards),
            dirty: Arc::clone(&self.dirty),
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
                        touches: None,
                    })
                })
                .collect(),
            dirty: Arc::default(),
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
        shard.changed(&key, &self.dirty);
        let slot = shard.slot(value);
        shard.map.insert(key, slot);
    }

    /// Inserts a record last touched `at` (one read back from a data
    /// directory), not now.
    pub fn insert_touched(&self, key: K, value: V, at: OffsetDateTime) {
        let mut shard = self.shard(&key).lock().unwrap();
        shard.changed(&key, &self.dirty);
        let touched = if shard.touches.is_some() {
            touch_time(at)
        } else {
            0
        };
        shard.map.insert(key, Slot { value, touched });
    }

    /// Inserts only if the key is free; gives the value back otherwise.
    pub fn insert_new(&self, key: K, value: V) -> Result<(), V> {
        let mut shard = self.shard(&key).lock().unwrap();
        if shard.map.contains_key(&key) {
            return Err(value);
        }
        shard.changed(&key, &self.dirty);
        let slot = shard.slot(value);
        shard.map.insert(key, slot);
        Ok(())
    }

    /// Reads a record through `f` without cloning all of it.
    pub fn read<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        let mut shard = self.shard(key).lock().unwrap();
        let now = shard.now();
        shard.map.get_mut(key).map(|slot| {
            slot.touched = now;
            f(&slot.value)
        })
    }

    /// Changes a record in place; `None` when there is no such key.
    pub fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let mut shard = self.shard(key).lock().unwrap();
        let now = shard.now();
        let result = shard.map.get_mut(key).map(|slot| {
            slot.touched = now;
            f(&mut slot.value)
        });
        if result.is_some() {
            shard.changed(key, &self.dirty);
        }
        result
    }

    pub fn remove(&self, key: &K) -> Option<V> {
        let mut shard = self.shard(key).lock().unwrap();
        let removed = shard.map.remove(key);
        if removed.is_some() {
            shard.changed(key, &self.dirty);
        }
        removed.map(|slot| slot.value)
    }

    /// Removes a record when `holds` says yes to it.
    pub fn remove_if(&self, key: &K, holds: impl FnOnce(&V) -> bool) -> Option<V> {
        let mut shard = self.shard(key).lock().unwrap();
        if !shard.map.get(key).is_some_and(|slot| holds(&slot.value)) {
            return None;
        }
        shard.changed(key, &self.dirty);
        shard.map.remove(key).map(|slot| slot.value)
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
                self.dirty.store(true, Ordering::Release);
            }
        }
    }

    /// Collects `f(record)` for every record that `f` maps to `Some`, one
    /// shard at a time (a snapshot per shard, never a global lock).
    pub fn filter_map<R>(&self, mut f: impl FnMut(&K, &V) -> Option<R>) -> Vec<R> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap();
            out.extend(shard.map.iter().filter_map(|(k, slot)| f(k, &slot.value)));
        }
        out
    }

    /// Keeps only the records `keep` says yes to, one shard at a time.
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap();
            let Shard { map, changes, .. } = &mut *shard;
            map.retain(|k, slot| {
                let kept = keep(k, &slot.value);
                if !kept && let Some(changes) = changes {
                    changes.keys.insert(k.clone());
                    self.dirty.store(true, Ordering::Release);
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
            let Shard { map, changes, .. } = &mut *shard;
            for (k, slot) in map.iter_mut() {
                if f(k, &mut slot.value)
                    && let Some(changes) = changes
                {
                    changes.keys.insert(k.clone());
                    self.dirty.store(true, Ordering::Release);
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

    /// From now on, notes when each record is touched, by `source`'s
    /// time (`--retention`). Records already there count as touched now.
    pub fn track_touches(&self, source: Arc<dyn TimeSource>) {
        let now = touch_time(source.now_utc());
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap();
            for slot in shard.map.values_mut() {
                slot.touched = now;
            }
            shard.touches = Some(Arc::clone(&source));
        }
    }

    /// Forgets every record last touched before `before`, one shard at a
    /// time, handing each to `forgotten` after its shard's lock is let go
    /// (so `forgotten` may use other stores); how many. Nothing while
    /// touches are not noted.
    pub fn forget_untouched(
        &self,
        before: OffsetDateTime,
        mut forgotten: impl FnMut(K, V),
    ) -> usize {
        let before = touch_time(before);
        let mut count = 0;
        for shard in self.shards.iter() {
            let gone: Vec<(K, Slot<V>)> = {
                let mut shard = shard.lock().unwrap();
                if shard.touches.is_none() {
                    return 0;
                }
                let Shard { map, changes, .. } = &mut *shard;
                let gone: Vec<(K, Slot<V>)> =
                    map.extract_if(|_, slot| slot.touched < before).collect();
                if let Some(changes) = changes {
                    changes.keys.extend(gone.iter().map(|(k, _)| k.clone()));
                    self.dirty.store(true, Ordering::Release);
                }
                gone
            };
            count += gone.len();
            for (key, slot) in gone {
                forgotten(key, slot.value);
            }
        }
        count
    }

    /// What changed since the last call (nothing when untracked).
    pub fn take_changes(&self) -> Changes<K> {
        let mut all = Changes::default();
        // A change noted after this finds the flag set again; the request
        // that made it takes it (or a later one does).
        if !self.dirty.swap(false, Ordering::Acquire) {
            return all;
        }
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
    fn a_store_noting_touches_forgets_only_what_was_not_touched_since() {
        let time = Arc::new(crate::core::clock::FixedTime::new(
            time::macros::datetime!(2026-01-15 12:00 UTC),
        ));
        let store = Store::new();
        store.track_touches(Arc::clone(&time) as Arc<dyn TimeSource>);
        store.track_changes();
        for key in 1..=4 {
            store.insert(key, key * 10);
        }
        time.set(time::macros::datetime!(2026-01-15 13:00 UTC));
        store.read(&2, |_| ());
        store.update(&3, |v| *v += 1);
        store.insert(5, 50);
        store.take_changes();
        let mut forgotten = Vec::new();

        let count = store.forget_untouched(
            time::macros::datetime!(2026-01-15 12:30 UTC),
            |key, value| forgotten.push((key, value)),
        );

        forgotten.sort_unstable();
        assert_eq!(count, 2);
        assert_eq!(forgotten, [(1, 10), (4, 40)]);
        let mut kept = store.filter_map(|k, _| Some(*k));
        kept.sort_unstable();
        assert_eq!(kept, [2, 3, 5]);
        assert_eq!(store.take_changes().keys, [1, 4].into(), "each is a change");
    }

    #[test]
    fn a_record_read_back_keeps_the_touch_time_it_was_stored_with() {
        let time = Arc::new(crate::core::clock::FixedTime::new(
            time::macros::datetime!(2026-01-15 12:00 UTC),
        ));
        let store = Store::new();
        store.track_touches(Arc::clone(&time) as Arc<dyn TimeSource>);

        store.insert_touched(1, "old", time::macros::datetime!(2026-01-10 12:00 UTC));
        store.insert(2, "new");

        assert_eq!(
            store.forget_untouched(time::macros::datetime!(2026-01-14 12:00 UTC), |_, _| {}),
            1
        );
        assert_eq!(store.get(&2), Some("new"));
    }

    #[test]
    fn a_store_not_noting_touches_forgets_nothing() {
        let store = Store::new();
        store.insert(1, 1);

        let count = store.forget_untouched(time::macros::datetime!(2100-01-01 0:00 UTC), |_, _| {});

        assert_eq!(count, 0);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn remove_if_removes_only_what_the_test_accepts() {
        let store = Store::new();
        store.insert("order", 7);

        assert_eq!(store.remove_if(&"order", |held| *held == 8), None);
        assert_eq!(store.remove_if(&"order", |held| *held == 7), Some(7));
        assert!(store.is_empty());
    }

    #[test]
    fn an_untracked_store_has_no_changes() {
        let store = Store::new();
        store.insert(1, 1);
        assert_eq!(store.take_changes(), Changes::default());
    }
}
