//! Seeded generation of identifiers and generated values.
//!
//! With `--seed N` every id, token and uuid repeats run to run, so a CI job
//! can assert on them. Numbered ids (Softline `order_id`, IntellectMoney
//! `InvoiceId`) are sequences that start at a seeded point: unique without a
//! look-up, cheap under load, and they look like the real ones. Each
//! workspace draws from its own generator; a sequence claims its numbers in
//! the shared [`Directory`](super::directory::Directory), a block at a time,
//! so no two workspaces hand out the same id and a hosted page finds the
//! workspace of its object.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::directory::{BLOCK, Claims};

/// The generator every provider draws from. Cloning shares the state.
#[derive(Clone)]
pub struct Ids {
    seed: u64,
    /// A std mutex: each draw is a few nanoseconds and never awaits.
    rng: Arc<Mutex<StdRng>>,
    claims: Claims,
}

impl std::fmt::Debug for Ids {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ids").field("seed", &self.seed).finish()
    }
}

impl Ids {
    /// A generator alone in its directory (unit tests, the CLI).
    pub fn new(seed: u64) -> Self {
        Self::claiming(seed, Claims::standalone())
    }

    /// A generator whose sequences claim their numbers with `claims`.
    pub fn claiming(seed: u64, claims: Claims) -> Self {
        Self {
            seed,
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
            claims,
        }
    }

    /// The workspace's hand on the directory.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The seed this run uses (printed at start-up so a run can be repeated).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Starts the sequence of draws again from the seed (used by reset, so
    /// a reset sandbox hands out the same ids as a fresh one).
    pub fn reset(&self) {
        *self.rng.lock().unwrap() = StdRng::seed_from_u64(self.seed);
    }

    /// A point the generator can be put back to (a snapshot): it is
    /// reseeded from a value it draws, and that value is the point. What it
    /// draws after this is what it draws after [`Ids::resume`] of it.
    pub fn checkpoint(&self) -> u64 {
        let mut rng = self.rng.lock().unwrap();
        let point: u64 = rng.random();
        *rng = StdRng::seed_from_u64(point);
        point
    }

    /// Puts the generator back to a [`Ids::checkpoint`].
    pub fn resume(&self, point: u64) {
        *self.rng.lock().unwrap() = StdRng::seed_from_u64(point);
    }

    /// A number in `range`.
    pub fn number(&self, range: std::ops::Range<u64>) -> u64 {
        self.rng.lock().unwrap().random_range(range)
    }

    /// A probability draw: true with probability `p` (clamped to 0..=1).
    pub fn chance(&self, p: f64) -> bool {
        self.rng.lock().unwrap().random_bool(p.clamp(0.0, 1.0))
    }

    /// `len` lowercase hex characters.
    pub fn hex(&self, len: usize) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut rng = self.rng.lock().unwrap();
        (0..len)
            .map(|_| HEX[rng.random_range(0..16usize)] as char)
            .collect()
    }

    /// A version-4 UUID drawn from the seeded generator.
    pub fn uuid(&self) -> uuid::Uuid {
        let bytes: [u8; 16] = self.rng.lock().unwrap().random();
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// A sequence of unique numbers starting at a point of `start` drawn
    /// from the seed and `name` alone, so it does not depend on what else was
    /// drawn before (start-up order, resets).
    pub fn sequence(&self, name: &'static str, start: std::ops::Range<u64>) -> Sequence {
        let sequence = Sequence {
            name,
            seed: self.seed,
            start,
            next: Arc::new(AtomicU64::new(0)),
            held: Arc::new(AtomicU64::new(NO_BLOCK)),
            claims: self.claims.clone(),
        };
        sequence.reset();
        sequence
    }
}

/// No block held yet.
const NO_BLOCK: u64 = u64::MAX;

/// Unique, increasing numbers (order ids, invoice ids), unique across
/// workspaces too.
#[derive(Clone, Debug)]
pub struct Sequence {
    /// Also the kind its blocks are claimed under.
    name: &'static str,
    seed: u64,
    start: std::ops::Range<u64>,
    next: Arc<AtomicU64>,
    /// The block this workspace is known to hold; drawing inside it costs
    /// one atomic add.
    held: Arc<AtomicU64>,
    claims: Claims,
}

impl Sequence {
    pub fn next(&self) -> u64 {
        loop {
            let number = self.next.fetch_add(1, Ordering::Relaxed);
            let block = number / BLOCK;
            if self.held.load(Ordering::Relaxed) == block || self.claims.number(self.name, block) {
                self.held.store(block, Ordering::Relaxed);
                return number;
            }
            // Another workspace's block: go on after it.
            self.next.fetch_max((block + 1) * BLOCK, Ordering::Relaxed);
        }
    }

    /// The sequence's name, which its numbers are claimed under.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The number it hands out next (a snapshot keeps it).
    pub fn position(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }

    /// Hands out `next` next: a snapshot's restore. Its block is claimed
    /// again when drawn from (another workspace's is skipped, as ever).
    pub fn restore(&self, next: u64) {
        self.next.store(next, Ordering::Relaxed);
        self.held.store(NO_BLOCK, Ordering::Relaxed);
    }

    /// Whether another workspace holds the block `number` is in.
    pub fn held_elsewhere(&self, number: u64) -> Option<super::directory::Owner> {
        self.claims
            .directory()
            .drawn_owner(self.name, number)
            .filter(|&owner| owner != self.claims.owner())
    }

    /// Claims the block of `number` (a restored object's id) for this
    /// workspace; false when another holds it.
    pub fn claim(&self, number: u64) -> bool {
        self.claims.number(self.name, number / BLOCK)
    }

    /// Back to the first number (what a fresh start gives).
    pub fn reset(&self) {
        let name_hash = self.name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let first = StdRng::seed_from_u64(self.seed ^ name_hash).random_range(self.start.clone());
        self.next.store(first, Ordering::Relaxed);
        self.held.store(NO_BLOCK, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let a = Ids::new(42);
        let b = Ids::new(42);
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.hex(32), b.hex(32));
        assert_eq!(a.number(0..1_000_000), b.number(0..1_000_000));
    }

    #[test]
    fn different_seeds_give_different_values() {
        assert_ne!(Ids::new(1).hex(32), Ids::new(2).hex(32));
    }

    #[test]
    fn reset_repeats_the_draws_of_a_fresh_generator() {
        let ids = Ids::new(7);
        let first = ids.hex(16);
        ids.reset();
        assert_eq!(ids.hex(16), first);
    }

    #[test]
    fn a_sequence_is_unique_and_starts_in_its_range() {
        let ids = Ids::new(3);
        let seq = ids.sequence("invoice", 3_000_000_000..3_900_000_000);
        let a = seq.next();
        let b = seq.next();
        assert!((3_000_000_000..3_900_000_000).contains(&a));
        assert_eq!(b, a + 1);
    }

    #[test]
    fn a_sequence_depends_on_seed_and_name_only_and_reset_restarts_it() {
        let ids = Ids::new(3);
        ids.hex(10); // other draws do not move a sequence
        let seq = ids.sequence("order", 1..1_000_000_000);
        let again = Ids::new(3).sequence("order", 1..1_000_000_000);
        let other = Ids::new(3).sequence("invoice", 1..1_000_000_000);
        let first = seq.next();
        seq.next();
        seq.reset();

        assert_eq!(seq.next(), first);
        assert_eq!(again.next(), first);
        assert_ne!(other.next(), first);
    }

    #[test]
    fn two_workspaces_drawing_from_the_same_point_never_share_a_number() {
        let directory = Arc::new(crate::core::directory::Directory::default());
        let one = Ids::claiming(3, Claims::new(Arc::clone(&directory), 1))
            .sequence("order", 1_000_000..1_000_001);
        let two = Ids::claiming(3, Claims::new(Arc::clone(&directory), 2))
            .sequence("order", 1_000_000..1_000_001);

        let mut drawn: Vec<u64> = (0..2_500).flat_map(|_| [one.next(), two.next()]).collect();
        let first_of_two = two.next();
        drawn.sort_unstable();
        drawn.dedup();

        assert_eq!(drawn.len(), 5_000);
        assert_eq!(directory.drawn_owner("order", 1_000_000), Some(1));
        assert_eq!(directory.drawn_owner("order", first_of_two), Some(2));
    }

    #[test]
    fn after_resuming_a_checkpoint_the_same_values_are_drawn() {
        let ids = Ids::new(5);
        ids.hex(3);
        let point = ids.checkpoint();
        let after = (ids.hex(16), ids.uuid());
        ids.hex(40);
        ids.resume(point);
        assert_eq!((ids.hex(16), ids.uuid()), after);
    }

    #[test]
    fn a_restored_sequence_hands_out_from_its_position() {
        let seq = Ids::new(3).sequence("order", 1..1_000_000_000);
        seq.next();
        let position = seq.position();
        let next = seq.next();
        seq.next();
        seq.restore(position);
        assert_eq!(seq.next(), next);
    }

    #[test]
    fn uuids_are_version_4() {
        assert_eq!(Ids::new(9).uuid().get_version_num(), 4);
    }
}
