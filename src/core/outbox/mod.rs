//! The webhook outbox: every notification paysandbox sends to a merchant.
//!
//! Providers enqueue a [`NewDelivery`]; the outbox sends it, records every
//! attempt (time, status, latency, the answer's body), and retries on the
//! provider's schedule until the receiver accepts it or the schedule runs out.
//! Retries are due by the *sandbox* clock, so advancing the clock makes them
//! happen at once.
//!
//! The work is a step function, [`Outbox::try_deliver_next`]: the background
//! worker only calls it (concurrently, so one slow receiver never holds up
//! the others), and tests call it directly until the queue is empty. What an
//! attempt's result means (delivered, retry at a time, give up) is decided
//! apart from sending and recording, with no I/O, so each case has its own
//! unit test.

mod decision;
mod delivery;

pub use decision::DeliveryOutcome;
use decision::{Decision, Sent};
pub use delivery::{
    Acceptance, Attempt, Delivery, DeliveryState, DeliveryView, NewDelivery, SignatureSlot,
};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use bytes::Bytes;
use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::core::clock::Clock;
use crate::core::durable::{ObjectChange, durable_id};
use crate::core::faults::{Action, Effect, Faults};
use crate::core::http_client::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use crate::core::journal::{Entry, EntryKind, Journal, Message};
use crate::core::metrics::Metrics;

/// Error of the control operations.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutboxError {
    #[error("no webhook delivery {0}")]
    NotFound(u64),
    #[error("webhook delivery {0} carries no signature")]
    Unsigned(u64),
}

#[derive(Default)]
struct Queue {
    deliveries: BTreeMap<u64, Delivery>,
    next_id: u64,
    /// Durable state: deliveries changed since last taken (`Some` once
    /// tracked), and whether all were dropped first.
    changed: Option<(bool, BTreeSet<u64>)>,
    /// Attempts under way per receiver (scheme, host and port), so one
    /// receiver that hangs cannot take every worker slot.
    in_flight: HashMap<String, usize>,
}

/// The kind of a delivery's row in a data directory.
const DELIVERIES: &str = "deliveries";

/// The receiver a URL names: scheme, host and port.
fn receiver_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.origin().ascii_serialization())
}

impl Queue {
    fn note(&mut self, id: u64) {
        if let Some((_, ids)) = &mut self.changed {
            ids.insert(id);
        }
    }

    fn start_attempt(&mut self, url: &str) {
        *self.in_flight.entry(receiver_of(url)).or_default() += 1;
    }

    fn end_attempt(&mut self, url: &str) {
        let receiver = receiver_of(url);
        if let Some(count) = self.in_flight.get_mut(&receiver) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.in_flight.remove(&receiver);
            }
        }
    }
}

/// The outbox. Cloning shares it.
#[derive(Clone)]
pub struct Outbox {
    /// A std mutex: claiming and recording are short; sending happens with
    /// the lock released.
    queue: Arc<Mutex<Queue>>,
    client: HttpClient,
    clock: Clock,
    journal: Journal,
    wake: Arc<Notify>,
    /// Most deliveries kept; the oldest finished ones are forgotten first.
    capacity: usize,
    /// Outbound faults ("fail the next N deliveries").
    faults: Option<Faults>,
    metrics: Option<Metrics>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    pub fn new(client: HttpClient, clock: Clock, journal: Journal, capacity: usize) -> Self {
        Self {
            queue: Arc::default(),
            client,
            clock,
            journal,
            wake: Arc::new(Notify::new()),
            capacity: capacity.max(1),
            faults: None,
            metrics: None,
        }
    }

    /// Consults `faults` before every attempt.
    #[must_use]
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Counts attempts in `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Sends one attempt, unless an outbound fault stands in for the
    /// receiver's answer.
    async fn send(
        &self,
        effect: Option<Effect>,
        request: OutboundRequest,
    ) -> Result<OutboundResponse, OutboundError> {
        if let Some(delay) = effect.and_then(|e| e.delay) {
            tokio::time::sleep(delay).await;
        }
        match effect.map(|e| e.action) {
            Some(Action::Status(status)) => Ok(OutboundResponse {
                status,
                headers: vec![("x-paysandbox-fault".to_owned(), "injected".to_owned())],
                body: Bytes::new(),
                truncated: false,
                elapsed: std::time::Duration::ZERO,
            }),
            Some(Action::Drop) => Err(OutboundError::Connect(
                "connection dropped (fault injected by paysandbox)".to_owned(),
            )),
            Some(Action::Pass | Action::BadSignature) | None => self.client.send(request).await,
        }
    }

    /// Queues a delivery for an attempt now (or at `not_before`); returns its id.
    pub fn enqueue(&self, new: NewDelivery) -> u64 {
        let now = self.clock.now();
        let id = {
            let mut queue = self.queue.lock().unwrap();
            queue.next_id += 1;
            let id = queue.next_id;
            queue.deliveries.insert(
                id,
                Delivery {
                    id,
                    provider: new.provider,
                    event: new.event,
                    url: new.url,
                    content_type: new.content_type,
                    headers: new.headers,
                    body: new.body,
                    retry_schedule: new.retry_schedule,
                    acceptance: new.acceptance,
                    objects: new.objects,
                    signature: new.signature,
                    signature_base: new.signature_base,
                    tamper_next: false,
                    created_at: now,
                    state: DeliveryState::Pending {
                        due: new.not_before.map_or(now, |at| at.max(now)),
                    },
                    attempts: Vec::new(),
                    scheduled_attempts: 0,
                },
            );
            queue.note(id);
            evict_finished(&mut queue, self.capacity);
            id
        };
        self.wake.notify_one();
        id
    }

    /// Every delivery, oldest first.
    pub fn list(&self) -> Vec<Delivery> {
        self.queue
            .lock()
            .unwrap()
            .deliveries
            .values()
            .cloned()
            .collect()
    }

    /// Deliveries held, in any state.
    pub fn list_len(&self) -> usize {
        self.queue.lock().unwrap().deliveries.len()
    }

    /// Most deliveries kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn get(&self, id: u64) -> Option<Delivery> {
        self.queue.lock().unwrap().deliveries.get(&id).cloned()
    }

    /// Deliveries not yet delivered nor given up.
    pub fn pending_count(&self) -> usize {
        self.queue
            .lock()
            .unwrap()
            .deliveries
            .values()
            .filter(|d| {
                matches!(
                    d.state,
                    DeliveryState::Pending { .. } | DeliveryState::InFlight
                )
            })
            .count()
    }

    /// Sends a delivery again now, whatever its state (one extra attempt
    /// outside its schedule); with `bad_signature`, that attempt carries a
    /// deliberately wrong signature.
    pub fn redeliver(&self, id: u64, bad_signature: bool) -> Result<(), OutboxError> {
        let now = self.clock.now();
        {
            let mut queue = self.queue.lock().unwrap();
            let delivery = queue
                .deliveries
                .get_mut(&id)
                .ok_or(OutboxError::NotFound(id))?;
            if bad_signature && delivery.signature.is_none() {
                return Err(OutboxError::Unsigned(id));
            }
            if delivery.state != DeliveryState::InFlight {
                delivery.state = DeliveryState::Pending { due: now };
                delivery.tamper_next = bad_signature;
            }
            queue.note(id);
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Forgets every delivery.
    pub fn clear(&self) {
        let mut queue = self.queue.lock().unwrap();
        queue.deliveries.clear();
        queue.in_flight.clear();
        if let Some(changed) = &mut queue.changed {
            *changed = (true, BTreeSet::new());
        }
    }

    /// Durable state: from now on, note which deliveries change.
    pub fn track_changes(&self) {
        self.queue
            .lock()
            .unwrap()
            .changed
            .get_or_insert_with(Default::default);
    }

    /// The deliveries changed since the last call, as rows (kind
    /// `deliveries`).
    pub fn take_changes(&self, out: &mut Vec<ObjectChange>) {
        let mut queue = self.queue.lock().unwrap();
        let Some((cleared, ids)) = queue.changed.as_mut().map(std::mem::take) else {
            return;
        };
        let rows = ids.into_iter().map(|id| {
            let body = queue.deliveries.get(&id).map(delivery::saved_json);
            (durable_id(id), body)
        });
        ObjectChange::push_rows(out, DELIVERIES, cleared, rows);
    }

    /// Loads a delivery a data directory kept: one under way when the
    /// process stopped is due again now. `provider` gives a provider's
    /// name as the outbox keeps it.
    pub fn load(
        &self,
        body: &str,
        provider: impl Fn(&str) -> Option<&'static str>,
    ) -> Result<(), String> {
        let mut delivery = delivery::from_saved_json(body, provider)?;
        if delivery.state == DeliveryState::InFlight {
            delivery.state = DeliveryState::Pending {
                due: self.clock.now(),
            };
        }
        let mut queue = self.queue.lock().unwrap();
        queue.next_id = queue.next_id.max(delivery.id);
        queue.deliveries.insert(delivery.id, delivery);
        Ok(())
    }

    /// Wakes the worker (for example after the clock moved).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Claims the earliest due delivery whose receiver has fewer than
    /// `per_receiver` attempts under way, marking it in flight.
    fn claim_due(&self, per_receiver: usize) -> Option<Delivery> {
        let now = self.clock.now();
        let mut queue = self.queue.lock().unwrap();
        let busy = |q: &Queue, url: &str| {
            q.in_flight.get(&receiver_of(url)).copied().unwrap_or(0) >= per_receiver
        };
        let id = queue
            .deliveries
            .values()
            .filter_map(|d| match d.state {
                DeliveryState::Pending { due } if due <= now && !busy(&queue, &d.url) => {
                    Some((due, d.id))
                }
                _ => None,
            })
            .min()?
            .1;
        let delivery = queue.deliveries.get_mut(&id)?;
        delivery.state = DeliveryState::InFlight;
        let delivery = delivery.clone();
        queue.start_attempt(&delivery.url);
        Some(delivery)
    }

    /// When the next pending delivery falls due, by the sandbox clock.
    fn next_due(&self) -> Option<OffsetDateTime> {
        self.queue
            .lock()
            .unwrap()
            .deliveries
            .values()
            .filter_map(|d| match d.state {
                DeliveryState::Pending { due } => Some(due),
                _ => None,
            })
            .min()
    }

    /// Delivers the earliest due delivery, if any: one attempt, recorded.
    pub async fn try_deliver_next(&self) -> DeliveryOutcome {
        match self.claim_due(usize::MAX) {
            Some(delivery) => self.attempt(delivery).await,
            None => DeliveryOutcome::QueueEmpty,
        }
    }

    /// Makes one attempt at a claimed delivery and carries out what was
    /// decided of it: sending, recording, journaling, metrics. What the
    /// result means is [`Decision::decide`]'s, which does no I/O.
    async fn attempt(&self, delivery: Delivery) -> DeliveryOutcome {
        let effect = self
            .faults
            .as_ref()
            .and_then(|f| f.outbound(delivery.provider));
        let sent = Sent::prepare(&delivery, effect);
        let at = self.clock.now();
        let started = std::time::Instant::now();
        let result = self.send(effect, sent.request(&delivery)).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;

        let (status, response_body, verdict) = match &result {
            Ok(response) => (
                Some(response.status),
                response.text(),
                delivery.acceptance.judge(response.status, &response.body),
            ),
            Err(err) => (None, String::new(), Err(err.to_string())),
        };
        let attempt = Attempt {
            at,
            status,
            latency_ms,
            response_body: response_body
                .chars()
                .take(self.journal.body_limit())
                .collect(),
            error: verdict.clone().err(),
            bad_signature: sent.bad_signature,
        };
        let Some((decision, number)) = self.record(&delivery, attempt, verdict) else {
            // Reset while the attempt was under way: nothing to record.
            return DeliveryOutcome::QueueEmpty;
        };
        let outcome = decision.outcome(delivery.id);

        let tampered = if sent.bad_signature {
            " (sent with a deliberately wrong signature)"
        } else {
            ""
        };
        let summary = format!(
            "{} attempt {number}{tampered}: {}",
            delivery.event,
            decision.summary()
        );
        let entry = self.journal_entry(&delivery, &sent, &result, summary, latency_ms);
        self.journal.record(entry, at);
        if let Some(metrics) = &self.metrics {
            metrics.observe_webhook(delivery.provider, decision.label());
        }
        match &outcome {
            DeliveryOutcome::GaveUp(id) => {
                tracing::warn!(delivery = id, url = %delivery.url, "webhook delivery gave up")
            }
            other => tracing::debug!(delivery = delivery.id, outcome = ?other, "webhook attempt"),
        }
        outcome
    }

    /// Records an attempt on the stored delivery with what was decided of
    /// it, and the attempt's number; `None` when the delivery was forgotten
    /// (a reset) while the attempt was under way.
    fn record(
        &self,
        delivery: &Delivery,
        attempt: Attempt,
        verdict: Result<(), String>,
    ) -> Option<(Decision, usize)> {
        let mut queue = self.queue.lock().unwrap();
        if !queue.deliveries.contains_key(&delivery.id) {
            return None;
        }
        queue.end_attempt(&delivery.url);
        queue.note(delivery.id);
        let stored = queue.deliveries.get_mut(&delivery.id)?;
        let decision = Decision::decide(stored, verdict, self.clock.now());
        stored.record(attempt, &decision);
        Some((decision, stored.attempts.len()))
    }

    /// The journal's entry for one attempt: what was sent, what came back.
    fn journal_entry(
        &self,
        delivery: &Delivery,
        sent: &Sent,
        result: &Result<OutboundResponse, OutboundError>,
        summary: String,
        latency_ms: f64,
    ) -> Entry {
        let mut entry = Entry::new(delivery.provider, EntryKind::Webhook).summary(summary);
        entry.objects = delivery.objects.clone();
        entry.method = Some("POST".to_owned());
        entry.url = Some(delivery.url.clone());
        entry.status = result.as_ref().ok().map(|r| r.status);
        entry.duration_ms = Some(latency_ms);
        entry.request = Some(Message::capture(
            sent.headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .chain([("content-type", delivery.content_type.as_str())]),
            Some(&delivery.content_type),
            &sent.body,
            self.journal.body_limit(),
        ));
        if let Ok(response) = result {
            entry.response = Some(response.journal_message(self.journal.body_limit()));
        }
        entry
    }

    /// Runs deliveries until `shutdown` fires: each due delivery in its own
    /// task (at most `concurrency` at once, and at most a quarter of them
    /// to one receiver, so receivers that hang cannot hold up the others),
    /// sleeping until the next one is due by the sandbox clock, or until
    /// something is enqueued or the clock jumps.
    pub async fn run_worker(self, concurrency: usize, shutdown: CancellationToken) {
        let concurrency = concurrency.max(1);
        let per_receiver = (concurrency / 4).max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut jumps = self.clock.subscribe();
        loop {
            while let Ok(permit) = Arc::clone(&permits).try_acquire_owned() {
                let Some(delivery) = self.claim_due(per_receiver) else {
                    drop(permit);
                    break;
                };
                let outbox = self.clone();
                tokio::spawn(async move {
                    outbox.attempt(delivery).await;
                    drop(permit);
                    // A finished attempt may have scheduled the next one.
                    outbox.wake.notify_one();
                });
            }
            let sleep = self
                .next_due()
                .map(|due| self.clock.real_time_until(due))
                .unwrap_or(StdDuration::from_secs(3600))
                // Re-check at least once a second: cheap, and robust against
                // a missed wake-up.
                .min(StdDuration::from_secs(1));
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified() => {}
                _ = jumps.changed() => {}
                () = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// At shutdown: one last attempt at every delivery still waiting, all at
    /// once and bounded by `timeout`. Returns how many remain undelivered;
    /// each is reported in the log.
    pub async fn flush(&self, timeout: StdDuration) -> usize {
        let waiting: Vec<Delivery> = {
            let mut queue = self.queue.lock().unwrap();
            queue
                .deliveries
                .values_mut()
                .filter(|d| matches!(d.state, DeliveryState::Pending { .. }))
                .map(|d| {
                    d.state = DeliveryState::InFlight;
                    d.clone()
                })
                .collect::<Vec<_>>()
        };
        {
            let mut queue = self.queue.lock().unwrap();
            for d in &waiting {
                queue.start_attempt(&d.url);
            }
        }
        if waiting.is_empty() {
            return 0;
        }
        tracing::info!(
            count = waiting.len(),
            "attempting pending webhooks once more before exit"
        );
        let ids: Vec<u64> = waiting.iter().map(|d| d.id).collect();
        let attempts = futures_util::future::join_all(waiting.into_iter().map(|d| self.attempt(d)));
        // Attempts cut short by the timeout simply stay undelivered.
        let _ = tokio::time::timeout(timeout, attempts).await;
        let undelivered: Vec<Delivery> = ids
            .iter()
            .filter_map(|id| self.get(*id))
            .filter(|d| d.state != DeliveryState::Delivered)
            .collect();
        for d in &undelivered {
            tracing::warn!(delivery = d.id, url = %d.url, event = %d.event, "webhook not delivered before exit");
        }
        undelivered.len()
    }
}

/// Keeps the outbox within `capacity` by forgetting the oldest finished
/// deliveries; pending ones are never dropped (they were acknowledged).
fn evict_finished(queue: &mut Queue, capacity: usize) {
    if queue.deliveries.len() <= capacity {
        return;
    }
    let excess = queue.deliveries.len() - capacity;
    let finished: Vec<u64> = queue
        .deliveries
        .values()
        .filter(|d| {
            matches!(
                d.state,
                DeliveryState::Delivered | DeliveryState::GaveUp { .. }
            )
        })
        .take(excess)
        .map(|d| d.id)
        .collect();
    for id in finished {
        queue.deliveries.remove(&id);
        queue.note(id);
    }
}
