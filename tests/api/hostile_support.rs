//! Hostile bodies and the raw sender the `hostile_*` tests share: every
//! request is bounded in time (a hang fails the test) and every answer is
//! checked for what must never happen (a 5xx, axum's plain-text rejection).

use std::time::Duration;

use serde_json::Value;

use crate::helpers::TestApp;

/// A whole answer, read with a time limit.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request, as raw as a hostile client makes it.
pub struct Raw<'a> {
    pub method: reqwest::Method,
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub headers: Vec<(&'a str, String)>,
    pub body: Vec<u8>,
}

impl<'a> Raw<'a> {
    pub fn post(path: &'a str, content_type: Option<&'a str>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: reqwest::Method::POST,
            path,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A request without a body.
    pub fn bare(method: reqwest::Method, path: &'a str) -> Self {
        Self {
            method,
            path,
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sends and reads the answer within 10 seconds, and asserts the
    /// answer is neither a 5xx nor a plain-text rejection.
    pub async fn send(self, app: &TestApp) -> Answer {
        let mut builder = app
            .client
            .request(self.method.clone(), app.url(self.path))
            .body(self.body);
        if let Some(ct) = self.content_type {
            builder = builder.header("content-type", ct);
        }
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        let label = format!("{} {}", self.method, self.path);
        let answer = tokio::time::timeout(Duration::from_secs(10), async {
            let response = builder.send().await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let content_type = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = response.bytes().await.unwrap().to_vec();
            Answer {
                status,
                content_type,
                headers,
                body,
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{label}: no answer within 10 s"));
        assert!(
            answer.status < 500,
            "{label}: {} {}",
            answer.status,
            answer.text()
        );
        assert!(
            !answer.content_type.starts_with("text/plain"),
            "{label}: plain-text answer {:?}",
            answer.text()
        );
        answer
    }
}

/// The classes of hostile body every endpoint is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// `{"x":"\xff\xfe"}`: bytes that are not UTF-8.
    InvalidUtf8,
    /// A JSON object cut off in the middle.
    TruncatedJson,
    /// 10 000 nested arrays inside an object.
    DeepJson,
    /// A number of 400 decimal digits as the only member's value.
    HugeNumber,
    /// A 600 000-character string (within the 1 MiB limit).
    HugeString,
    /// Nothing at all.
    Empty,
    /// A form body whose every key is repeated.
    RepeatedFormKeys,
    /// The billion-laughs XML bomb.
    BillionLaughs,
    /// XML with an external entity (XXE).
    ExternalEntity,
}

pub const ALL: [Hostile; 9] = [
    Hostile::InvalidUtf8,
    Hostile::TruncatedJson,
    Hostile::DeepJson,
    Hostile::HugeNumber,
    Hostile::HugeString,
    Hostile::Empty,
    Hostile::RepeatedFormKeys,
    Hostile::BillionLaughs,
    Hostile::ExternalEntity,
];

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Request><EshopId>&lol9;</EshopId></Request>"#;

const EXTERNAL_ENTITY: &str = r#"<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Request><EshopId>&x;</EshopId></Request>"#;

impl Hostile {
    /// The body and the `Content-Type` it is sent with.
    pub fn body(self) -> (&'static str, Vec<u8>) {
        const JSON: &str = "application/json";
        match self {
            Self::InvalidUtf8 => (JSON, b"{\"x\":\"\xff\xfe\"}".to_vec()),
            Self::TruncatedJson => (JSON, br#"{"currency":"RUB","amount":"#.to_vec()),
            Self::DeepJson => (
                JSON,
                format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            ),
            Self::HugeNumber => (JSON, format!("{{\"x\":{}}}", "9".repeat(400)).into_bytes()),
            Self::HugeString => (
                JSON,
                format!("{{\"x\":\"{}\"}}", "я".repeat(300_000)).into_bytes(),
            ),
            Self::Empty => (JSON, Vec::new()),
            Self::RepeatedFormKeys => (
                "application/x-www-form-urlencoded",
                b"x=1&x=2&x=3&EshopId=1&EshopId=2".to_vec(),
            ),
            Self::BillionLaughs => ("application/xml", BILLION_LAUGHS.as_bytes().to_vec()),
            Self::ExternalEntity => ("application/xml", EXTERNAL_ENTITY.as_bytes().to_vec()),
        }
    }
}

/// `{"errors":[{"error":code,"message":message}]}` with `status`.
pub fn assert_softline(answer: &Answer, status: u16, code: u32, message: &str, case: &str) {
    assert_eq!(answer.status, status, "{case}: {}", answer.text());
    assert!(
        answer.content_type.starts_with("application/json"),
        "{case}"
    );
    assert_eq!(
        answer.json(),
        serde_json::json!({"errors": [{"error": code, "message": message}]}),
        "{case}"
    );
}
