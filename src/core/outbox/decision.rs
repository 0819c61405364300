//! What one attempt's result means for its delivery (delivered, retry at a
//! time, give up), decided with no I/O so that each case is tested on its
//! own, and what an attempt sends.

use bytes::Bytes;
use time::{Duration, OffsetDateTime};

use super::delivery::{Attempt, Delivery, DeliveryState};
use crate::core::faults::{Action, Effect};
use crate::core::http_client::OutboundRequest;

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
pub(super) enum Decision {
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
    pub(super) fn decide(
        delivery: &Delivery,
        verdict: Result<(), String>,
        now: OffsetDateTime,
    ) -> Self {
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
    pub(super) fn state(&self) -> DeliveryState {
        match self {
            Self::Delivered => DeliveryState::Delivered,
            Self::Retry { due, .. } => DeliveryState::Pending { due: *due },
            Self::GiveUp { reason } => DeliveryState::GaveUp {
                reason: reason.clone(),
            },
        }
    }

    pub(super) fn outcome(&self, id: u64) -> DeliveryOutcome {
        match self {
            Self::Delivered => DeliveryOutcome::Delivered(id),
            Self::Retry { .. } => DeliveryOutcome::Retried(id),
            Self::GiveUp { .. } => DeliveryOutcome::GaveUp(id),
        }
    }

    /// How the journal tells it.
    pub(super) fn summary(&self) -> String {
        match self {
            Self::Delivered => "delivered".to_owned(),
            Self::Retry { wait, reason, .. } => {
                format!("failed ({reason}); next attempt in {wait} s")
            }
            Self::GiveUp { reason } => format!("failed ({reason}); no attempts left"),
        }
    }

    /// The metrics' label.
    pub(super) fn label(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry { .. } => "retried",
            Self::GiveUp { .. } => "gave_up",
        }
    }
}

impl Delivery {
    /// Keeps an attempt and what was decided of it.
    pub(super) fn record(&mut self, attempt: Attempt, decision: &Decision) {
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
pub(super) struct Sent {
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Bytes,
    pub(super) bad_signature: bool,
}

impl Sent {
    pub(super) fn prepare(delivery: &Delivery, effect: Option<Effect>) -> Self {
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

    pub(super) fn request(&self, delivery: &Delivery) -> OutboundRequest {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::outbox::Acceptance;

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
            signature_base: None,
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
