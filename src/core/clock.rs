//! The sandbox clock: real time plus an offset that the control plane moves.
//!
//! Every expiry, pacing rule and webhook retry reads this clock, never
//! `SystemTime` directly, so `POST /__sandbox/clock/advance` can make a 24-hour
//! token expire or a 90-day-old payment disappear in one request. Tokio's
//! `time::pause()` does not move wall-clock time, which is why this exists.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};
use tokio::sync::watch;

/// Where "real" time comes from. Production uses [`SystemTime`]; unit tests
/// use [`FixedTime`] so that nothing depends on when the test runs.
pub trait TimeSource: Send + Sync + 'static {
    fn now_utc(&self) -> OffsetDateTime;
}

/// The operating system's wall clock.
#[derive(Debug, Default)]
pub struct SystemTime;

impl TimeSource for SystemTime {
    fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A time that only moves when told to.
#[derive(Debug)]
pub struct FixedTime(Mutex<OffsetDateTime>);

impl FixedTime {
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap() = at;
    }
}

impl TimeSource for FixedTime {
    fn now_utc(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// The clock every part of paysandbox reads. Cloning shares the offset.
#[derive(Clone)]
pub struct Clock {
    source: Arc<dyn TimeSource>,
    /// Milliseconds added to the source's time. Atomic because it is read on
    /// every request and written only by the control plane.
    offset_ms: Arc<AtomicI64>,
    /// Tells waiters (the webhook worker) that time jumped, so work that the
    /// jump made due runs at once instead of after a real-time sleep.
    jumps: Arc<watch::Sender<i64>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("now", &self.now())
            .field("offset_ms", &self.offset_ms.load(Ordering::Relaxed))
            .finish()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new(Arc::new(SystemTime))
    }
}

/// The farthest the sandbox clock moves from real time: 1 000 years, far
/// enough for any lifetime in a fixture and far from the end of the
/// calendar the sandbox can write.
pub const MAX_OFFSET_MS: i64 = 1_000 * 366 * 24 * 3600 * 1000;

impl Clock {
    pub fn new(source: Arc<dyn TimeSource>) -> Self {
        let (jumps, _) = watch::channel(0);
        Self {
            source,
            offset_ms: Arc::new(AtomicI64::new(0)),
            jumps: Arc::new(jumps),
        }
    }

    /// Where its real time comes from (`--retention` counts in real time,
    /// whatever the offset).
    pub fn source(&self) -> Arc<dyn TimeSource> {
        Arc::clone(&self.source)
    }

    /// A clock of its own (another workspace's) on the same real time,
    /// standing at real time.
    pub fn sharing_source(&self) -> Self {
        Self::new(Arc::clone(&self.source))
    }

    /// The sandbox's "now", in UTC.
    pub fn now(&self) -> OffsetDateTime {
        let real = self.source.now_utc();
        // The offset is bounded (see `advance`), so this always adds up;
        // real time is the answer that cannot fail.
        real.checked_add(Duration::milliseconds(
            self.offset_ms.load(Ordering::Relaxed),
        ))
        .unwrap_or(real)
    }

    /// How far the sandbox clock is ahead of real time.
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward (a negative amount moves it back).
    /// The offset stays within ±[`MAX_OFFSET_MS`]: many advances would
    /// otherwise carry "now" past the year 9999, where every date
    /// computation of every request fails.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).unwrap_or(if by.is_negative() {
            i64::MIN
        } else {
            i64::MAX
        });
        let bounded = |current: i64| {
            current
                .saturating_add(ms)
                .clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS)
        };
        let previous = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| Some(bounded(c)))
            .unwrap_or_else(|c| c);
        self.jumps.send_replace(bounded(previous));
    }

    /// Sets how far the clock is ahead of real time (a snapshot's
    /// restore), within ±[`MAX_OFFSET_MS`].
    pub fn set_offset_ms(&self, ms: i64) {
        let ms = ms.clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS);
        self.offset_ms.store(ms, Ordering::Relaxed);
        self.jumps.send_replace(ms);
    }

    /// Moves the clock so that it reads `at` now (within ±[`MAX_OFFSET_MS`]
    /// of real time).
    pub fn set_now(&self, at: OffsetDateTime) {
        let ahead = at - self.source.now_utc();
        // Rounded up: the clock never reads a moment before `at`.
        let whole = ahead.whole_milliseconds();
        let whole = if ahead > Duration::ZERO && ahead.subsec_nanoseconds() % 1_000_000 != 0 {
            whole + 1
        } else {
            whole
        };
        let ms = i64::try_from(whole).unwrap_or(if ahead.is_negative() {
            i64::MIN
        } else {
            i64::MAX
        });
        self.set_offset_ms(ms);
    }

    /// The offset in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Back to real time.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
        self.jumps.send_replace(0);
    }

    /// A receiver that changes whenever the clock jumps.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.jumps.subscribe()
    }

    /// Real time that must pass until the sandbox clock reads `at`
    /// (zero if it already has).
    pub fn real_time_until(&self, at: OffsetDateTime) -> std::time::Duration {
        let left = at - self.now();
        if left.is_positive() {
            left.try_into().unwrap_or(std::time::Duration::ZERO)
        } else {
            std::time::Duration::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_clock_set_to_a_moment_reads_that_moment_never_one_before() {
        let source = Arc::new(FixedTime::new(datetime!(2026-01-01 00:00 UTC)));
        let clock = Clock::new(source);

        for at in [
            datetime!(2026-01-01 01:00:00.0004 UTC),
            datetime!(2025-12-31 23:00:00.0004 UTC),
        ] {
            clock.set_now(at);
            let drift = clock.now() - at;
            assert!(
                drift >= Duration::ZERO && drift < Duration::milliseconds(1),
                "{drift}"
            );
        }
    }

    #[test]
    fn advancing_moves_now_and_reset_returns_to_the_source_time() {
        let source = Arc::new(FixedTime::new(datetime!(2026-01-01 00:00 UTC)));
        let clock = Clock::new(source);

        clock.advance(Duration::hours(24));
        assert_eq!(clock.now(), datetime!(2026-01-02 00:00 UTC));
        assert_eq!(clock.offset(), Duration::hours(24));

        clock.reset();
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00 UTC));
    }

    #[test]
    fn clones_share_one_offset() {
        let clock = Clock::new(Arc::new(FixedTime::new(datetime!(2026-01-01 00:00 UTC))));
        let other = clock.clone();
        other.advance(Duration::seconds(90));
        assert_eq!(clock.offset(), Duration::seconds(90));
    }

    /// Found by schemathesis: a hundred advances of a century carried
    /// "now" past the year 9999 and every request after that panicked.
    #[test]
    fn the_offset_stays_within_its_bound_however_often_the_clock_moves() {
        let clock = Clock::new(Arc::new(FixedTime::new(datetime!(2026-01-01 00:00 UTC))));

        for _ in 0..200 {
            clock.advance(Duration::days(100 * 366));
        }
        let far = clock.now();
        clock.advance(Duration::MAX);
        clock.advance(Duration::MIN);

        assert_eq!(
            far,
            datetime!(2026-01-01 00:00 UTC) + Duration::milliseconds(MAX_OFFSET_MS)
        );
        assert_eq!(clock.offset(), Duration::milliseconds(-MAX_OFFSET_MS));
        assert!(clock.now().year() > 900);
    }

    #[test]
    fn a_jump_is_announced_to_subscribers() {
        let clock = Clock::default();
        let mut rx = clock.subscribe();
        clock.advance(Duration::seconds(5));
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), 5_000);
    }
}
