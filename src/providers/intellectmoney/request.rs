//! IntellectMoney's side of reading a request: the answer format from
//! `Accept` and header access. The bodies themselves (JSON, form and XML,
//! names in any letter case) are read by [`crate::core::params`], the one
//! reader the journal's masking also uses, so what the journal hides is
//! what this provider read.

use std::borrow::Cow;

pub use crate::core::params::{BodyError, Params, parse, parse_form};

/// The body format an answer is written in, from the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Xml,
}

impl Format {
    /// XML when `Accept` names an XML type before any JSON type.
    pub fn from_accept(accept: Option<&str>) -> Self {
        let Some(accept) = accept.map(str::to_ascii_lowercase) else {
            return Self::Json;
        };
        match (accept.find("xml"), accept.find("json")) {
            (Some(x), Some(j)) if x < j => Self::Xml,
            (Some(_), None) => Self::Xml,
            _ => Self::Json,
        }
    }
}

/// The request's header `name` as text.
pub fn header<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<Cow<'a, str>> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_chooses_xml_only_when_xml_comes_first() {
        assert_eq!(Format::from_accept(None), Format::Json);
        assert_eq!(Format::from_accept(Some("application/xml")), Format::Xml);
        assert_eq!(
            Format::from_accept(Some("text/xml, application/json")),
            Format::Xml
        );
        assert_eq!(
            Format::from_accept(Some("application/json, application/xml")),
            Format::Json
        );
        assert_eq!(Format::from_accept(Some("*/*")), Format::Json);
    }
}
