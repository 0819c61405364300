//! The header-read limit without a timer per request.
//!
//! hyper enforces `header_read_timeout` with its `Timer`: it asks for a
//! sleep each time it starts reading a request's head, polls it while the
//! head is incomplete and drops it when the head is in. On a keep-alive
//! connection that is every request, and with tokio's timer every one of
//! them registered an entry in the runtime's timer wheel (under its lock)
//! and removed it again: about 3% of a create-payment's processor time in
//! profiles, for a limit that almost never fires.
//!
//! Here a sleep registers nothing. While hyper waits for a head, the
//! connection's [`HeadClock`] holds the deadline and the waker of the task
//! reading it (two atomic stores); one watchdog per listener looks at every
//! connection's clock a few times per limit and wakes the connections
//! whose deadline has passed, and hyper, polling its sleep again, finds it
//! over and closes the connection. A head that is late is therefore cut
//! off between the limit and a quarter of it later (at most a second
//! later).
//!
//! hyper's HTTP/1 server asks its timer for this one sleep and nothing
//! else, so a connection's clock holds one deadline at a time. HTTP/2
//! keeps tokio's timer.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;
use hyper::rt::{Sleep, Timer};

/// The connections of one listener, for their watchdog.
#[derive(Clone)]
pub struct HeadWatch {
    inner: Arc<Watched>,
}

struct Watched {
    /// Deadlines are kept as nanoseconds since this instant (0: none).
    origin: Instant,
    clocks: Mutex<Vec<Weak<Clock>>>,
}

/// One connection's timer, as hyper's HTTP/1 builder takes it.
#[derive(Clone)]
pub struct HeadClock {
    clock: Arc<Clock>,
    origin: Instant,
}

struct Clock {
    /// When the head being read is late, in nanoseconds since the watch's
    /// origin; 0 while no head is awaited.
    deadline: AtomicU64,
    /// The task reading the head.
    reader: AtomicWaker,
}

impl HeadWatch {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Watched {
                origin: Instant::now(),
                clocks: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The timer for a new connection.
    pub fn clock(&self) -> HeadClock {
        let clock = Arc::new(Clock {
            deadline: AtomicU64::new(0),
            reader: AtomicWaker::new(),
        });
        self.inner
            .clocks
            .lock()
            .unwrap()
            .push(Arc::downgrade(&clock));
        HeadClock {
            clock,
            origin: self.inner.origin,
        }
    }

    /// How often the watchdog looks for a limit of `limit`.
    pub fn period(limit: Duration) -> Duration {
        (limit / 4).clamp(Duration::from_millis(5), Duration::from_secs(1))
    }

    /// Wakes every connection whose head is late, and forgets connections
    /// that are gone. Runs every [`HeadWatch::period`].
    pub fn wake_the_late(&self) {
        let now = nanos_since(self.inner.origin, Instant::now());
        self.inner.clocks.lock().unwrap().retain(|weak| {
            let Some(clock) = weak.upgrade() else {
                return false;
            };
            let deadline = clock.deadline.load(Ordering::Acquire);
            if deadline != 0 && deadline <= now {
                clock.reader.wake();
            }
            true
        });
    }

    /// Calls [`HeadWatch::wake_the_late`] every period until dropped.
    pub async fn run(self, limit: Duration) {
        let mut ticks = tokio::time::interval(Self::period(limit));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.wake_the_late();
        }
    }
}

impl Default for HeadWatch {
    fn default() -> Self {
        Self::new()
    }
}

fn nanos_since(origin: Instant, at: Instant) -> u64 {
    // At least 1: 0 means "no deadline".
    u64::try_from(at.saturating_duration_since(origin).as_nanos())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl Timer for HeadClock {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(HeadSleep {
            deadline,
            at: nanos_since(self.origin, deadline),
            clock: Arc::clone(&self.clock),
        })
    }
}

/// hyper's wait for a head: over at its deadline, woken by the watchdog.
struct HeadSleep {
    deadline: Instant,
    at: u64,
    clock: Arc<Clock>,
}

impl Future for HeadSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        self.clock.reader.register(cx.waker());
        self.clock.deadline.store(self.at, Ordering::Release);
        Poll::Pending
    }
}

impl Sleep for HeadSleep {}

impl Drop for HeadSleep {
    fn drop(&mut self) {
        // The head is in (or the connection is gone): nothing to watch.
        self.clock.deadline.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Counting(AtomicUsize);

    impl Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(sleep: &mut Pin<Box<dyn Sleep>>, waker: &Arc<Counting>) -> Poll<()> {
        let waker = std::task::Waker::from(Arc::clone(waker));
        sleep.as_mut().poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn a_late_head_wakes_its_reader_and_its_sleep_is_then_over() {
        let watch = HeadWatch::new();
        let timer = watch.clock();
        let woken = Arc::new(Counting(AtomicUsize::new(0)));
        let mut sleep = timer.sleep(Duration::from_millis(20));

        assert!(poll(&mut sleep, &woken).is_pending());
        watch.wake_the_late();
        assert_eq!(woken.0.load(Ordering::SeqCst), 0, "not late yet");

        std::thread::sleep(Duration::from_millis(25));
        watch.wake_the_late();
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert!(poll(&mut sleep, &woken).is_ready());
    }

    #[test]
    fn a_head_that_arrived_is_not_watched_any_more() {
        let watch = HeadWatch::new();
        let timer = watch.clock();
        let woken = Arc::new(Counting(AtomicUsize::new(0)));
        let mut sleep = timer.sleep(Duration::from_millis(10));
        assert!(poll(&mut sleep, &woken).is_pending());
        drop(sleep);

        std::thread::sleep(Duration::from_millis(15));
        watch.wake_the_late();

        assert_eq!(woken.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_closed_connection_leaves_the_watch() {
        let watch = HeadWatch::new();
        let timer = watch.clock();
        assert_eq!(watch.inner.clocks.lock().unwrap().len(), 1);

        drop(timer);
        watch.wake_the_late();

        assert!(watch.inner.clocks.lock().unwrap().is_empty());
    }
}
