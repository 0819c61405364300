//! Calling the merchant's payments webhook: one POST with the run's key and
//! timeout, timed, kept as an [`Exchange`] for the judges and written to
//! the journal under the run, the order and the payment. The web view's
//! navigations are journaled the same way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Engine;
use crate::core::http_client::{OutboundError, OutboundRequest, OutboundResponse};
use crate::core::journal::{Entry, EntryKind, Message};
use crate::providers::imshop::NAME;
use crate::providers::imshop::checks::Exchange;
use crate::providers::imshop::options::RunOptions;

/// What the journal files a call under.
#[derive(Debug, Clone)]
pub struct Filing {
    pub run_id: String,
    /// The run id, the order id and the payment id when known: what the
    /// journal can be searched by.
    pub objects: Vec<String>,
    /// `card/create`, `run/unknown_capture`, `card/web_view`.
    pub what: String,
}

impl Engine {
    /// POSTs `body` to the run's webhook, as IMSHOP.IO does (JSON, the API
    /// key as a bearer token), and journals the exchange. A call that got
    /// no answer is an exchange too: the judges report it.
    pub(super) async fn call_webhook<B: Serialize>(
        &self,
        options: &RunOptions,
        body: &B,
        filing: &Filing,
    ) -> Arc<Exchange> {
        match &options.webhook {
            Some(url) => self.call_merchant(options, url, body, filing).await,
            // Not reached: a run without the payments webhook stops after
            // the checkout. An exchange without an answer, should it be.
            None => Arc::new(Exchange {
                method: "POST".to_owned(),
                url: String::new(),
                request: crate::core::journal::Message::default(),
                status: None,
                response: None,
                error: None,
                elapsed_ms: 0.0,
            }),
        }
    }

    /// POSTs `body` to one of the merchant's webhooks (`url`): the payments
    /// webhook or a checkout one. The key goes where the run says: the
    /// `Authorization` header, a top-level `key` field, or both.
    pub(super) async fn call_merchant<B: Serialize>(
        &self,
        options: &RunOptions,
        url: &reqwest::Url,
        body: &B,
        filing: &Filing,
    ) -> Arc<Exchange> {
        let placement = options.key_placement;
        let json = match serde_json::to_value(body) {
            Ok(serde_json::Value::Object(mut fields)) if placement.body() => {
                fields.insert("key".to_owned(), options.key.clone().into());
                serde_json::to_vec(&fields).unwrap_or_default()
            }
            _ => serde_json::to_vec(body).unwrap_or_default(),
        };
        let mut request = OutboundRequest::post(url.to_string(), "application/json", json);
        if placement.bearer() {
            request = request.header("authorization", format!("Bearer {}", options.key));
        }
        let request = request
            .header("accept", "application/json")
            .timeout(options.timeout);
        let started = Instant::now();
        let result = self.client.send(request.clone()).await;
        let elapsed = started.elapsed();
        let limit = self.core.journal.body_limit();
        let exchange = Arc::new(exchange_of(&request, &result, elapsed, limit));
        self.journal(&request, &result, Some(elapsed), filing);
        exchange
    }

    /// Writes one outbound call to the journal. `elapsed` is left out when
    /// nothing timed it (a web-view navigation that failed).
    pub(super) fn journal(
        &self,
        request: &OutboundRequest,
        result: &Result<OutboundResponse, OutboundError>,
        elapsed: Option<Duration>,
        filing: &Filing,
    ) {
        let limit = self.core.journal.body_limit();
        let mut entry = Entry::new(NAME, EntryKind::Outbound);
        entry.objects = filing.objects.clone();
        entry.method = Some(request.method.to_string());
        entry.url = Some(request.url.clone());
        entry.duration_ms = elapsed.map(|e| e.as_secs_f64() * 1000.0);
        entry.request = Some(request_message(request, limit));
        let run_id = &filing.run_id;
        let what = &filing.what;
        match result {
            Ok(response) => {
                entry.status = Some(response.status);
                entry.response = Some(response.journal_message(limit));
                entry.summary = Some(format!("run {run_id}: {what}"));
            }
            Err(err) => entry.summary = Some(format!("run {run_id}: {what}: {err}")),
        }
        self.core.record(entry);
    }
}

fn request_message(request: &OutboundRequest, limit: usize) -> Message {
    let content_type = request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    Message::capture(
        request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
        content_type,
        &request.body,
        limit,
    )
}

fn exchange_of(
    request: &OutboundRequest,
    result: &Result<OutboundResponse, OutboundError>,
    elapsed: Duration,
    limit: usize,
) -> Exchange {
    let (status, response, error) = match result {
        Ok(response) => (
            Some(response.status),
            Some(response.journal_message(limit)),
            None,
        ),
        Err(err) => (None, None, Some(err.clone())),
    };
    Exchange {
        method: request.method.to_string(),
        url: request.url.clone(),
        request: request_message(request, limit),
        status,
        response,
        error,
        elapsed_ms: elapsed.as_secs_f64() * 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::json;
    use wiremock::matchers::{body_json, header, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::Settings;
    use crate::core::cards::CardsFixture;
    use crate::core::clock::{Clock, SystemTime};
    use crate::core::fixtures::FixtureFile;
    use crate::core::journal::Query;
    use crate::core::{Core, PublicUrl};
    use crate::providers::imshop::Fixture;
    use crate::providers::imshop::options::RunRequest;
    use crate::providers::imshop::sync::SyncBoard;

    fn engine() -> Engine {
        let core = Core::new(
            &Settings::default(),
            Clock::new(Arc::new(SystemTime)),
            crate::core::ids::Ids::new(1),
            &crate::core::Commons::new(&Settings::default()),
            PublicUrl::new("http://127.0.0.1:1"),
            Arc::new(CardsFixture::builtin()),
        );
        Engine::new(core, Arc::new(Fixture::builtin()), SyncBoard::new(16))
    }

    fn options(webhook: &str, timeout_ms: u64) -> RunOptions {
        let request = RunRequest {
            webhook: webhook.to_owned(),
            timeout_ms: Some(timeout_ms),
            ..RunRequest::default()
        };
        RunOptions::parse(request, &Fixture::builtin()).unwrap()
    }

    fn filing() -> Filing {
        Filing {
            run_id: "run-1".to_owned(),
            objects: vec!["run-1".to_owned(), "10000001".to_owned()],
            what: "card/create".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_command_is_posted_as_json_with_the_key_and_journaled_under_the_run() {
        // Arrange
        let merchant = MockServer::start().await;
        Mock::given(method("POST"))
            .and(header("authorization", "Bearer sandbox-imshop-key"))
            .and(body_json(json!({"command": "capture"})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": false})))
            .expect(1)
            .mount(&merchant)
            .await;
        let engine = engine();

        // Act
        let body = json!({"command": "capture"});
        let exchange = engine
            .call_webhook(&options(&merchant.uri(), 2_000), &body, &filing())
            .await;

        // Assert
        assert_eq!(exchange.status, Some(200));
        assert_eq!(
            exchange.response.as_ref().unwrap().raw_body(),
            br#"{"success":false}"#
        );
        let query = Query {
            object: Some("10000001".to_owned()),
            ..Query::default()
        };
        let entries = engine.core.journal.query(&query);
        let [entry] = entries.as_slice() else {
            panic!("expected one journal entry, got {}", entries.len());
        };
        assert_eq!(entry.objects, ["run-1", "10000001"]);
        assert_eq!(entry.status, Some(200));
        assert_eq!(entry.summary.as_deref(), Some("run run-1: card/create"));
    }

    #[tokio::test]
    async fn a_merchant_slower_than_the_timeout_gives_an_exchange_without_an_answer() {
        // Arrange
        let merchant = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
            .mount(&merchant)
            .await;
        let engine = engine();

        // Act
        let exchange = engine
            .call_webhook(&options(&merchant.uri(), 50), &json!({}), &filing())
            .await;

        // Assert
        assert_eq!(exchange.status, None);
        assert!(exchange.response.is_none());
        assert_eq!(exchange.error, Some(OutboundError::Timeout(50)));
        let entries = engine.core.journal.query(&Query::default());
        assert_eq!(
            entries[0].summary.as_deref(),
            Some("run run-1: card/create: no answer within 50 ms")
        );
    }
}
