//! Prometheus metrics (`GET /metrics`, text exposition format).
//!
//! Requests by provider, route, method and status; request latency; webhook
//! attempts by provider and outcome. Gauges of stored objects and of the
//! bounded queues are read at scrape time by the caller (`render`).

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    provider: &'static str,
    route: Route,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    provider: &'static str,
    route: Route,
}

/// A route label that costs no allocation per request: axum's matched path
/// is already a shared string, and cloning it only bumps a count.
#[derive(Clone, Debug)]
pub struct Route(Option<axum::extract::MatchedPath>);

impl Route {
    pub fn new(matched: Option<&axum::extract::MatchedPath>) -> Self {
        Self(matched.cloned())
    }

    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", |m| m.as_str())
    }
}

impl std::hash::Hash for Route {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Route {}

impl prometheus_client::encoding::EncodeLabelValue for Route {
    fn encode(
        &self,
        encoder: &mut prometheus_client::encoding::LabelValueEncoder<'_>,
    ) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        encoder.write_str(self.as_str())
    }
}

/// The method as a static label (anything unusual is `other`).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    provider: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

/// The metrics of one server. Cloning shares them.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    webhook_attempts: Family<WebhookLabels, Counter>,
    gauges: Family<KindLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("paysandbox");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by provider, route, method and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.1 ms to ~3 s: a sandbox answers in well under a millisecond
            // unless a fault adds latency.
            Histogram::new([
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 3.0,
            ])
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by provider and route",
            durations.clone(),
        );
        let webhook_attempts = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts, by provider and outcome",
            webhook_attempts.clone(),
        );
        let gauges = Family::<KindLabels, Gauge>::default();
        registry.register(
            "stored",
            "Objects and queue entries held, by kind (capacities as *_capacity)",
            gauges.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            durations,
            webhook_attempts,
            gauges,
        }
    }

    /// Counts one answered request.
    pub fn observe_request(
        &self,
        provider: &'static str,
        route: Route,
        method: &'static str,
        status: u16,
        seconds: f64,
    ) {
        self.durations
            .get_or_create(&RouteLabels {
                provider,
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                provider,
                route,
                method,
                status,
            })
            .inc();
    }

    /// Counts one webhook attempt (`delivered`, `retried`, `gave_up`).
    pub fn observe_webhook(&self, provider: &'static str, outcome: &'static str) {
        self.webhook_attempts
            .get_or_create(&WebhookLabels { provider, outcome })
            .inc();
    }

    /// The text exposition, after setting the gauges to `gauges`.
    pub fn render(&self, gauges: &[(&str, usize)]) -> String {
        for (kind, value) in gauges {
            self.gauges
                .get_or_create(&KindLabels {
                    kind: (*kind).to_owned(),
                })
                .set(i64::try_from(*value).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            tracing::error!("metrics could not be encoded");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges_appear_in_the_exposition() {
        let metrics = Metrics::new();
        metrics.observe_request("softline", Route::new(None), "POST", 200, 0.001);
        metrics.observe_webhook("softline", "delivered");

        let text = metrics.render(&[("journal_entries", 3)]);

        assert!(text.contains(r#"paysandbox_http_requests_total{provider="softline",route="unmatched",method="POST",status="200"} 1"#), "{text}");
        assert!(
            text.contains(
                r#"paysandbox_webhook_attempts_total{provider="softline",outcome="delivered"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"paysandbox_stored{kind="journal_entries"} 3"#),
            "{text}"
        );
        assert!(
            text.contains("paysandbox_http_request_duration_seconds_bucket"),
            "{text}"
        );
    }
}
