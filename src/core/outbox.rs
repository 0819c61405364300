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

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use bytes::Bytes;
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::faults::{Action, Effect, Faults};
use super::http_client::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use super::journal::{Entry, EntryKind, Journal, Message};
use super::metrics::Metrics;

/// What a receiver must answer for a delivery to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    /// Any 2xx status (Softline: the docs name no reply).
    AnySuccess,
    /// HTTP 200 with the body exactly `OK` (IntellectMoney's documented rule).
    ExactOk,
}

impl Acceptance {
    fn judge(self, status: u16, body: &[u8]) -> Result<(), String> {
        match self {
            Self::AnySuccess if (200..300).contains(&status) => Ok(()),
            Self::AnySuccess => Err(format!("HTTP {status} is not a 2xx answer")),
            Self::ExactOk if status == 200 && body == b"OK" => Ok(()),
            Self::ExactOk if status != 200 => Err(format!("HTTP {status}, not 200")),
            Self::ExactOk => Err(format!(
                "the body was {:?}, not exactly \"OK\"",
                String::from_utf8_lossy(&body[..body.len().min(64)])
            )),
        }
    }
}

/// A delivery as a provider hands it over.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub provider: &'static str,
    /// The provider's event name (`order.created`, `paymentStatus=5`).
    pub event: String,
    pub url: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Waits between attempts, in sandbox seconds: `[10, 60]` means three
    /// attempts at most, the second 10 s after the first fails.
    pub retry_schedule: Vec<u64>,
    pub acceptance: Acceptance,
    /// Ids of the objects this delivery concerns (for timelines).
    pub objects: Vec<String>,
    /// No attempt before this sandbox time (an event that happens later,
    /// such as an asynchronous charge completing); `None` is now.
    pub not_before: Option<OffsetDateTime>,
    /// Where the signature travels, so a deliberately wrong one can be sent
    /// on request (to test the merchant's verification).
    pub signature: Option<SignatureSlot>,
}

/// Where a delivery carries its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureSlot {
    /// A header (Softline's `signature`).
    Header(String),
    /// A field of a form body (IntellectMoney's `hash`).
    FormField(String),
}

impl SignatureSlot {
    /// The request with this slot's value replaced by a wrong one of the
    /// same shape (the last hex digit changed).
    fn tamper(&self, headers: &mut [(String, String)], body: &Bytes) -> Bytes {
        match self {
            Self::Header(name) => {
                for (n, v) in headers.iter_mut() {
                    if n.eq_ignore_ascii_case(name) {
                        *v = wrong_hex(v);
                    }
                }
                body.clone()
            }
            Self::FormField(name) => {
                let text = String::from_utf8_lossy(body);
                let tampered: Vec<String> = text
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((k, v)) if k.eq_ignore_ascii_case(name) => {
                            format!("{k}={}", wrong_hex(v))
                        }
                        _ => pair.to_owned(),
                    })
                    .collect();
                Bytes::from(tampered.join("&"))
            }
        }
    }
}

/// The same hex string with its last digit changed.
fn wrong_hex(value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    match chars.last_mut() {
        Some(last) => *last = if *last == '0' { '1' } else { '0' },
        None => chars.push('0'),
    }
    chars.into_iter().collect()
}

/// One try at delivering.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub response_body: String,
    /// Why the attempt did not count, if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Sent with a deliberately wrong signature.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bad_signature: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending {
        #[serde(with = "time::serde::rfc3339")]
        due: OffsetDateTime,
    },
    /// An attempt is under way.
    InFlight,
    /// The receiver accepted it.
    Delivered,
    /// The schedule ran out; `reason` is the last attempt's failure.
    GaveUp { reason: String },
}

/// A delivery with its history.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: u64,
    pub provider: &'static str,
    pub event: String,
    pub url: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    #[serde(serialize_with = "body_as_text")]
    pub body: Bytes,
    pub retry_schedule: Vec<u64>,
    pub acceptance: Acceptance,
    pub objects: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureSlot>,
    /// The next attempt goes out with a wrong signature.
    #[serde(skip)]
    tamper_next: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
    /// Attempts that belong to the schedule (a manual redelivery is extra).
    #[serde(skip)]
    scheduled_attempts: usize,
}

fn body_as_text<S: serde::Serializer>(body: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(body))
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver accepted the delivery.
    Delivered(u64),
    /// The attempt failed and another is scheduled.
    Retried(u64),
    /// The attempt failed and the schedule is exhausted.
    GaveUp(u64),
    /// Nothing is due now.
    QueueEmpty,
}

/// What one attempt's result means for its delivery. Decided without I/O
/// (the result and the time are given), so each case is tested on its own;
/// [`Outbox::attempt`] carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    /// The receiver accepted it.
    Delivered,
    /// It failed, and the schedule has another attempt `wait` seconds on.
    Retry {
        due: OffsetDateTime,
        wait: u64,
        reason: String,
    },
    /// It failed, and the schedule has run out.
    GiveUp { reason: String },
}

impl Decision {
    /// `verdict` is the attempt's result by the delivery's acceptance rule
    /// (or why nothing came back); `now` is when the result came back, from
    /// which the next attempt's wait runs. `delivery` is as it stood before
    /// this attempt was recorded.
    fn decide(delivery: &Delivery, verdict: Result<(), String>, now: OffsetDateTime) -> Self {
        let reason = match verdict {
            Ok(()) => return Self::Delivered,
            Err(reason) => reason,
        };
        // After the n-th scheduled attempt comes the n-th wait; an extra
        // attempt after the schedule ran out (a redelivery) finds none.
        match delivery.retry_schedule.get(delivery.scheduled_attempts) {
            Some(&wait) => Self::Retry {
                due: now + Duration::seconds(wait as i64),
                wait,
                reason,
            },
            None => Self::GiveUp { reason },
        }
    }

    /// Where the delivery stands afterwards.
    fn state(&self) -> DeliveryState {
        match self {
            Self::Delivered => DeliveryState::Delivered,
            Self::Retry { due, .. } => DeliveryState::Pending { due: *due },
            Self::GiveUp { reason } => DeliveryState::GaveUp {
                reason: reason.clone(),
            },
        }
    }

    fn outcome(&self, id: u64) -> DeliveryOutcome {
        match self {
            Self::Delivered => DeliveryOutcome::Delivered(id),
            Self::Retry { .. } => DeliveryOutcome::Retried(id),
            Self::GiveUp { .. } => DeliveryOutcome::GaveUp(id),
        }
    }

    /// How the journal tells it.
    fn summary(&self) -> String {
        match self {
            Self::Delivered => "delivered".to_owned(),
            Self::Retry { wait, reason, .. } => {
                format!("failed ({reason}); next attempt in {wait} s")
            }
            Self::GiveUp { reason } => format!("failed ({reason}); no attempts left"),
        }
    }

    /// The metrics' label.
    fn label(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry { .. } => "retried",
            Self::GiveUp { .. } => "gave_up",
        }
    }
}

impl Delivery {
    /// Keeps an attempt and what was decided of it.
    fn record(&mut self, attempt: Attempt, decision: &Decision) {
        self.attempts.push(attempt);
        // A redelivery after the schedule ran out is an extra attempt: it
        // does not count towards the schedule.
        if self.scheduled_attempts <= self.retry_schedule.len() {
            self.scheduled_attempts += 1;
        }
        self.tamper_next = false;
        self.state = decision.state();
    }
}

/// What one attempt sends: the delivery's headers and body, with a wrong
/// signature when one was asked for (by a redelivery or a fault).
struct Sent {
    headers: Vec<(String, String)>,
    body: Bytes,
    bad_signature: bool,
}

impl Sent {
    fn prepare(delivery: &Delivery, effect: Option<Effect>) -> Self {
        let bad_signature = delivery.signature.is_some()
            && (delivery.tamper_next || effect.is_some_and(|e| e.action == Action::BadSignature));
        let mut headers = delivery.headers.clone();
        let body = match (&delivery.signature, bad_signature) {
            (Some(slot), true) => slot.tamper(&mut headers, &delivery.body),
            _ => delivery.body.clone(),
        };
        Self {
            headers,
            body,
            bad_signature,
        }
    }

    fn request(&self, delivery: &Delivery) -> OutboundRequest {
        let mut request = OutboundRequest::post(
            delivery.url.clone(),
            &delivery.content_type,
            self.body.clone(),
        );
        for (name, value) in &self.headers {
            request = request.header(name.clone(), value.clone());
        }
        request
    }
}

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
    /// Attempts under way per receiver (scheme, host and port), so one
    /// receiver that hangs cannot take every worker slot.
    in_flight: HashMap<String, usize>,
}

/// The receiver a URL names: scheme, host and port.
fn receiver_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.origin().ascii_serialization())
}

impl Queue {
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
                    tamper_next: false,
                    created_at: now,
                    state: DeliveryState::Pending {
                        due: new.not_before.map_or(now, |at| at.max(now)),
                    },
                    attempts: Vec::new(),
                    scheduled_attempts: 0,
                },
            );
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
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Forgets every delivery.
    pub fn clear(&self) {
        let mut queue = self.queue.lock().unwrap();
        queue.deliveries.clear();
        queue.in_flight.clear();
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
            entry.response = Some(Message::capture(
                response
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str())),
                response.header("content-type"),
                &response.body,
                self.journal.body_limit(),
            ));
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intellectmoney_acceptance_wants_exactly_ok() {
        assert!(Acceptance::ExactOk.judge(200, b"OK").is_ok());
        assert!(Acceptance::ExactOk.judge(200, b"OK\n").is_err());
        assert!(Acceptance::ExactOk.judge(201, b"OK").is_err());
    }

    #[test]
    fn a_tampered_signature_keeps_its_shape_and_changes_its_value() {
        let mut headers = vec![("signature".to_owned(), "e970dee7".to_owned())];
        let body = SignatureSlot::Header("signature".into()).tamper(&mut headers, &Bytes::new());
        assert!(body.is_empty());
        assert_eq!(headers[0].1, "e970dee0");

        let form = Bytes::from_static(b"eshopId=1&hash=abc0&orderId=2");
        let tampered = SignatureSlot::FormField("hash".into()).tamper(&mut [], &form);
        assert_eq!(
            tampered,
            Bytes::from_static(b"eshopId=1&hash=abc1&orderId=2")
        );
    }

    #[test]
    fn softline_acceptance_takes_any_2xx() {
        assert!(Acceptance::AnySuccess.judge(204, b"").is_ok());
        assert!(Acceptance::AnySuccess.judge(302, b"").is_err());
    }

    const NOW: OffsetDateTime = time::macros::datetime!(2026-01-01 12:00 UTC);

    /// A delivery on the schedule `[10, 60]` (three attempts at most) after
    /// `scheduled_attempts` of them.
    fn delivery_after(scheduled_attempts: usize) -> Delivery {
        Delivery {
            id: 7,
            provider: "softline",
            event: "order.created".to_owned(),
            url: "http://127.0.0.1:9/hook".to_owned(),
            content_type: "application/json".to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
            retry_schedule: vec![10, 60],
            acceptance: Acceptance::AnySuccess,
            objects: Vec::new(),
            signature: None,
            tamper_next: false,
            created_at: NOW,
            state: DeliveryState::InFlight,
            attempts: Vec::new(),
            scheduled_attempts,
        }
    }

    fn failed() -> Result<(), String> {
        Err("HTTP 500 is not a 2xx answer".to_owned())
    }

    #[test]
    fn an_accepted_attempt_is_delivered_whatever_the_schedule_says() {
        for done in [0, 1, 2, 3] {
            let decision = Decision::decide(&delivery_after(done), Ok(()), NOW);

            assert_eq!(decision, Decision::Delivered, "after {done} attempts");
        }
    }

    #[test]
    fn a_failed_attempt_retries_after_the_schedules_next_wait_counted_from_now() {
        let cases = [(0, 10), (1, 60)];
        for (done, wait) in cases {
            let decision = Decision::decide(&delivery_after(done), failed(), NOW);

            assert_eq!(
                decision,
                Decision::Retry {
                    due: NOW + Duration::seconds(wait as i64),
                    wait,
                    reason: "HTTP 500 is not a 2xx answer".to_owned(),
                },
                "after {done} attempts"
            );
        }
    }

    #[test]
    fn a_failed_last_attempt_gives_up_with_its_reason() {
        let decision = Decision::decide(&delivery_after(2), failed(), NOW);

        assert_eq!(
            decision,
            Decision::GiveUp {
                reason: "HTTP 500 is not a 2xx answer".to_owned()
            }
        );
    }

    #[test]
    fn a_failed_redelivery_after_the_schedule_ran_out_gives_up_again() {
        let decision = Decision::decide(&delivery_after(3), failed(), NOW);

        assert!(matches!(decision, Decision::GiveUp { .. }), "{decision:?}");
    }

    #[test]
    fn without_a_schedule_the_first_failure_gives_up() {
        let delivery = Delivery {
            retry_schedule: Vec::new(),
            ..delivery_after(0)
        };

        let decision = Decision::decide(&delivery, Err("connection refused".to_owned()), NOW);

        assert_eq!(
            decision,
            Decision::GiveUp {
                reason: "connection refused".to_owned()
            }
        );
    }

    #[test]
    fn recording_counts_scheduled_attempts_but_not_a_redelivery_after_them() {
        let attempt = Attempt {
            at: NOW,
            status: Some(500),
            latency_ms: 1.0,
            response_body: String::new(),
            error: failed().err(),
            bad_signature: true,
        };
        let cases = [(0, 1), (2, 3), (3, 3)];
        for (done, counted) in cases {
            let mut delivery = Delivery {
                tamper_next: true,
                ..delivery_after(done)
            };
            let decision = Decision::decide(&delivery, failed(), NOW);

            delivery.record(attempt.clone(), &decision);

            assert_eq!(
                delivery.scheduled_attempts, counted,
                "after {done} attempts"
            );
            assert_eq!(delivery.attempts.len(), 1);
            assert_eq!(delivery.state, decision.state());
            assert!(!delivery.tamper_next, "a wrong signature is sent once");
        }
    }

    #[test]
    fn each_decision_reads_in_the_journal_and_the_metrics_as_it_is() {
        let reason = "HTTP 500 is not a 2xx answer".to_owned();
        let cases = [
            (
                Decision::Delivered,
                "delivered",
                "delivered",
                DeliveryOutcome::Delivered(7),
            ),
            (
                Decision::Retry {
                    due: NOW,
                    wait: 10,
                    reason: reason.clone(),
                },
                "failed (HTTP 500 is not a 2xx answer); next attempt in 10 s",
                "retried",
                DeliveryOutcome::Retried(7),
            ),
            (
                Decision::GiveUp { reason },
                "failed (HTTP 500 is not a 2xx answer); no attempts left",
                "gave_up",
                DeliveryOutcome::GaveUp(7),
            ),
        ];
        for (decision, summary, label, outcome) in cases {
            assert_eq!(decision.summary(), summary, "{decision:?}");
            assert_eq!(decision.label(), label, "{decision:?}");
            assert_eq!(decision.outcome(7), outcome, "{decision:?}");
        }
    }
}
