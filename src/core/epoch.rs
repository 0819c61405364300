//! A reset is one step for a workspace's requests: each provider request
//! runs inside the epoch it started in, and a reset waits for those to end
//! and keeps new ones out while it forgets.
//!
//! Without it a create racing a reset could draw an id from the old
//! sequence and store it after the stores were cleared, to be overwritten
//! later by the restarted sequence's same id: an acknowledged payment lost.
//! With it, every request falls wholly before the reset (and its answer
//! was given before the reset's) or wholly after (and is kept).

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The gate between requests and resets. A tokio lock, made to be held
/// across `.await`: a request holds its share while its handler runs.
#[derive(Debug, Default)]
pub struct Epoch(RwLock<()>);

impl Epoch {
    /// A request's share, held until it has its answer.
    pub async fn enter(&self) -> RwLockReadGuard<'_, ()> {
        self.0.read().await
    }

    /// A reset's hold: no request of the workspace runs while it is held.
    pub async fn turn(&self) -> RwLockWriteGuard<'_, ()> {
        self.0.write().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_reset_waits_for_the_requests_inside_and_holds_new_ones_until_it_is_done() {
        let epoch = Arc::new(Epoch::default());
        let inside = epoch.enter().await;

        let resetting = tokio::spawn({
            let epoch = Arc::clone(&epoch);
            async move {
                let _turn = epoch.turn().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!resetting.is_finished(), "the reset waits for the request");

        drop(inside);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let late = tokio::time::timeout(Duration::from_millis(10), epoch.enter()).await;
        assert!(late.is_err(), "a new request waits for the reset");

        resetting.await.unwrap();
        let after = tokio::time::timeout(Duration::from_millis(100), epoch.enter()).await;
        assert!(after.is_ok(), "and goes on once it is done");
    }
}
