//! The one outbound HTTP client: webhook deliveries, IMSHOP calls to a
//! merchant, the reference merchant's calls to the Softline sandbox.
//!
//! Built once from the settings with a timeout, never follows redirects (a
//! webhook receiver that redirects has not received the webhook, and the
//! IMSHOP web view must see each redirect itself), and reads at most a bounded
//! number of response bytes so a hostile receiver cannot exhaust memory.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::journal::Message;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// Why an outbound call produced no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// No answer within the timeout.
    #[error("no answer within {0} ms")]
    Timeout(u128),
    /// Nothing listens at the address: said apart from other connection
    /// failures because it is the common one (a service not started, a
    /// wrong port), and reqwest's chain of causes buries it.
    #[error("connection refused")]
    Refused,
    /// The connection could not be made or was broken.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The request could not be built (bad URL, bad header).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Anything else the transport reported.
    #[error("{0}")]
    Transport(String),
}

/// One outbound request.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Overrides the client's default timeout for this call.
    pub timeout: Option<Duration>,
}

impl OutboundRequest {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: reqwest::Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: Bytes::new(),
            timeout: None,
        }
    }

    pub fn post(url: impl Into<String>, content_type: &str, body: impl Into<Bytes>) -> Self {
        Self {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
            timeout: None,
        }
    }

    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// True when the body was longer than the client reads.
    pub truncated: bool,
    pub elapsed: Duration,
}

impl OutboundResponse {
    /// The answer as the journal keeps it (at most `limit` bytes of body),
    /// marked as cut when the client already read less than all of it.
    pub fn journal_message(&self, limit: usize) -> Message {
        let mut message = Message::capture(
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            self.header("content-type"),
            &self.body,
            limit,
        );
        message.truncated |= self.truncated;
        message
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The shared client. Cloning is cheap (reqwest pools connections inside).
///
/// reqwest's client is built on the first call, not with the sandbox or a
/// workspace: building it reads the system's certificate store (about 150
/// files here), which was most of the start-up time and of a workspace's
/// creation, for a client most sandboxes never use.
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Arc<OnceLock<reqwest::Client>>,
    timeout: Duration,
    max_body: usize,
}

impl HttpClient {
    /// A client whose calls give up after `timeout` and read at most
    /// `max_body` bytes of an answer.
    pub fn new(timeout: Duration, max_body: usize) -> Self {
        Self {
            inner: Arc::default(),
            timeout,
            max_body,
        }
    }

    fn client(&self) -> &reqwest::Client {
        self.inner.get_or_init(|| {
            install_crypto_provider();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("paysandbox/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("the HTTP client's fixed configuration is valid")
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request` and reads the answer.
    #[tracing::instrument(skip(self, request), fields(method = %request.method, url = %request.url))]
    pub async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let timeout = request.timeout.unwrap_or(self.timeout);
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| OutboundError::Invalid(e.to_string()))?;
            let value =
                HeaderValue::from_str(value).map_err(|e| OutboundError::Invalid(e.to_string()))?;
            headers.append(name, value);
        }
        let url = reqwest::Url::parse(&request.url)
            .map_err(|e| OutboundError::Invalid(format!("{}: {e}", request.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::Invalid(format!(
                "{}: only http and https URLs can be called",
                request.url
            )));
        }
        let started = Instant::now();
        let call = async {
            let mut response = self
                .client()
                .request(request.method.clone(), url)
                .headers(headers)
                .body(request.body.clone())
                .send()
                .await
                .map_err(classify)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = response.chunk().await.map_err(classify)? {
                let room = self.max_body.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, OutboundError>((status, headers, body, truncated))
        };
        let (status, headers, body, truncated) = tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| OutboundError::Timeout(timeout.as_millis()))??;
        Ok(OutboundResponse {
            status,
            headers,
            body: Bytes::from(body),
            truncated,
            elapsed: started.elapsed(),
        })
    }
}

fn classify(err: reqwest::Error) -> OutboundError {
    if err.is_timeout() {
        OutboundError::Timeout(0)
    } else if err.is_connect() && refused(&err) {
        OutboundError::Refused
    } else if err.is_connect() {
        OutboundError::Connect(error_chain(&err))
    } else if err.is_builder() {
        OutboundError::Invalid(error_chain(&err))
    } else {
        OutboundError::Transport(error_chain(&err))
    }
}

/// Whether an I/O error somewhere in `err`'s causes is a refused connection.
fn refused(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// "error: cause: cause" — reqwest's top-level message alone hides the reason.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// rustls needs one process-wide crypto provider; we use `ring` because it
/// builds without cmake. Installing twice is harmless (the second call fails
/// and is ignored).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_port_nothing_listens_on_is_a_refused_connection_not_a_timeout() {
        // Arrange: a port that was free a moment ago.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let client = HttpClient::new(Duration::from_secs(5), 1024);

        // Act
        let result = client
            .send(OutboundRequest::get(format!("http://{closed}/")))
            .await;

        // Assert
        let err = result.unwrap_err();
        assert_eq!(err, OutboundError::Refused);
        assert_eq!(err.to_string(), "connection refused");
    }
}
