//! One parser for every body IntellectMoney accepts: JSON, form-urlencoded
//! and XML, into a [`Params`] map whose names match in any letter case and
//! whose values are text.
//!
//! Values are text because signatures are computed over text: a JSON number
//! keeps the digits it was written with (`10.00` stays `10.00`, not `10.0`),
//! and `\uXXXX` escapes and escaped slashes (the official PHP SDK writes both)
//! are decoded first, as PHP hashes the decoded values.
//!
//! The format is told by the body's first character, not by `Content-Type`:
//! IntellectMoney's own sample code posts a form body labelled
//! `application/json`.

use std::borrow::Cow;

/// Request parameters, names matched in any letter case; the first of two
/// spellings of one name wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// Parameters from literal pairs (tests, examples).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// The value of `name`, if the request has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, or empty text when absent (a signature slot).
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// The value of `name` when present and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every parameter, as sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Why a body could not be read as parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("тело запроса не в кодировке UTF-8")]
    NotUtf8,
    #[error("неверный JSON: {0}")]
    Json(String),
    #[error("неверный XML: {0}")]
    Xml(String),
    #[error("XML с объявлением DOCTYPE или сущностей не принимается")]
    XmlDoctype,
    #[error("неверные данные формы")]
    Form,
}

/// Parses a request body of any accepted format. An empty body has no
/// parameters (the method then names what is missing).
pub fn parse(body: &[u8]) -> Result<Params, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match text.trim_start().chars().next() {
        None => Ok(Params::default()),
        Some('{') => json::parse_object(text).map(Params::new),
        Some('<') => xml::parse(text).map(Params::new),
        Some(_) => parse_form(text),
    }
}

/// `a=1&b=2`, as sent by forms and most third-party clients.
pub fn parse_form(text: &str) -> Result<Params, BodyError> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(text.trim())
        .map(Params::new)
        .map_err(|_| BodyError::Form)
}

mod json {
    //! One top-level JSON object, each member's value kept as text: strings
    //! decoded, numbers and literals exactly as written (serde_json's
    //! numbers would turn `10.00` into `10.0` and break signatures), nested
    //! objects and arrays as their raw JSON text (a `MerchantReceipt` sent
    //! as an object). serde_json does the parsing, with its raw values and
    //! its recursion limit (no input exhausts the stack).

    use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};
    use serde_json::value::RawValue;

    use super::BodyError;

    /// The members in the order they were written, `null` ones dropped (an
    /// absent field).
    struct Members(Vec<(String, String)>);

    impl<'de> Deserialize<'de> for Members {
        fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
            de.deserialize_map(MembersVisitor)
        }
    }

    struct MembersVisitor;

    impl<'de> Visitor<'de> for MembersVisitor {
        type Value = Members;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
            let mut members = Vec::new();
            while let Some((name, raw)) = map.next_entry::<String, &'de RawValue>()? {
                if let Some(text) = text_of(raw).map_err(A::Error::custom)? {
                    members.push((name, text));
                }
            }
            Ok(Members(members))
        }
    }

    fn text_of(raw: &RawValue) -> Result<Option<String>, serde_json::Error> {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => serde_json::from_str::<String>(text).map(Some),
            Some(b'n') => Ok(None),
            _ => Ok(Some(text.to_owned())),
        }
    }

    pub fn parse_object(text: &str) -> Result<Vec<(String, String)>, BodyError> {
        serde_json::from_str::<Members>(text)
            .map(|members| members.0)
            .map_err(|e| BodyError::Json(e.to_string()))
    }
}

mod xml {
    //! `<Request><EshopId>450000</EshopId>…</Request>`: the children of the
    //! root element are the parameters. Documents with a DOCTYPE are refused
    //! outright, so no entity can be declared (nor expanded).

    use super::BodyError;
    use quick_xml::Reader;
    use quick_xml::events::Event;

    pub fn parse(text: &str) -> Result<Vec<(String, String)>, BodyError> {
        let mut reader = Reader::from_str(text);
        let mut pairs = Vec::new();
        let mut depth = 0usize;
        let mut seen_root = false;
        // The parameter being read: its name and text so far.
        let mut current: Option<(String, String)> = None;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| BodyError::Xml(e.to_string()))?;
            match event {
                Event::DocType(_) => return Err(BodyError::XmlDoctype),
                Event::Start(start) => {
                    depth += 1;
                    match depth {
                        1 if seen_root => {
                            return Err(BodyError::Xml("больше одного корневого элемента".into()));
                        }
                        1 => seen_root = true,
                        2 => current = Some((name_of(start.name().as_ref())?, String::new())),
                        _ => {}
                    }
                }
                Event::Empty(start) => match depth {
                    0 if seen_root => {
                        return Err(BodyError::Xml("больше одного корневого элемента".into()));
                    }
                    0 => seen_root = true,
                    1 => pairs.push((name_of(start.name().as_ref())?, String::new())),
                    _ => {}
                },
                Event::End(_) => {
                    if depth == 2 {
                        if let Some((name, value)) = current.take() {
                            pairs.push((name, value.trim().to_owned()));
                        }
                    }
                    depth = depth.saturating_sub(1);
                }
                Event::Text(text) if depth == 2 => {
                    if let Some((_, value)) = current.as_mut() {
                        value.push_str(&text.xml10_content());
                    }
                }
                Event::CData(data) if depth == 2 => {
                    if let Some((_, value)) = current.as_mut() {
                        value.push_str(&data);
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => predefined(&reference).ok_or_else(|| {
                            BodyError::Xml(format!("неизвестная сущность &{};", &*reference))
                        })?,
                        Err(e) => return Err(BodyError::Xml(e.to_string())),
                    };
                    if depth == 2 {
                        if let Some((_, value)) = current.as_mut() {
                            value.push(resolved);
                        }
                    }
                }
                Event::Text(text) if depth == 0 && !text.trim().is_empty() => {
                    return Err(BodyError::Xml("текст вне корневого элемента".into()));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !seen_root {
            return Err(BodyError::Xml("нет корневого элемента".into()));
        }
        if depth != 0 {
            return Err(BodyError::Xml("документ оборван".into()));
        }
        Ok(pairs)
    }

    fn name_of(raw: &str) -> Result<String, BodyError> {
        Ok(raw.to_owned())
    }

    /// The five entities every XML document knows without a declaration.
    fn predefined(name: &str) -> Option<char> {
        Some(match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "apos" => '\'',
            "quot" => '"',
            _ => return None,
        })
    }
}

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

    fn pairs(params: &Params) -> Vec<(&str, &str)> {
        params.iter().collect()
    }

    #[test]
    fn json_keeps_numbers_as_written_and_decodes_strings() {
        let body = br#"{"eshopId":450000,"recipientAmount":10.00,"successUrl":"https:\/\/shop.example\/ok","serviceName":"\u0417\u0430\u043a\u0430\u0437 \ud83d\ude00","holdMode":1,"flag":true,"gone":null}"#;

        let params = parse(body).unwrap();

        assert_eq!(params.get("EshopId"), Some("450000"));
        assert_eq!(params.get("RECIPIENTAMOUNT"), Some("10.00"));
        assert_eq!(params.get("successurl"), Some("https://shop.example/ok"));
        assert_eq!(params.get("serviceName"), Some("Заказ 😀"));
        assert_eq!(params.get("holdMode"), Some("1"));
        assert_eq!(params.get("flag"), Some("true"));
        assert_eq!(params.get("gone"), None);
    }

    #[test]
    fn json_nested_values_are_kept_as_raw_text() {
        let body = br#"{"merchantReceipt": {"inn":"7700000000","content":{"positions":[{"price":1.5}]}}, "a":[1,2]}"#;

        let params = parse(body).unwrap();

        assert_eq!(
            params.get("merchantReceipt"),
            Some(r#"{"inn":"7700000000","content":{"positions":[{"price":1.5}]}}"#)
        );
        assert_eq!(params.get("a"), Some("[1,2]"));
    }

    #[test]
    fn malformed_json_is_refused() {
        let cases: &[&[u8]] = &[
            b"{",
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"{\"a\":01}",
            b"{\"a\":\"x\"} trailing",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":\"\\q\"}",
            b"{\"a\":\"line\nbreak\"}",
            b"{\"a\":tru}",
        ];
        for body in cases {
            assert!(
                matches!(parse(body), Err(BodyError::Json(_))),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn deeply_nested_json_is_kept_as_raw_text_without_exhausting_the_stack() {
        let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let body = format!("{{\"a\":{nested}}}");
        assert_eq!(
            parse(body.as_bytes()).unwrap().get("a"),
            Some(nested.as_str())
        );
        let unbalanced = format!("{{\"a\":{}}}", "[".repeat(10_000));
        assert!(matches!(
            parse(unbalanced.as_bytes()),
            Err(BodyError::Json(_))
        ));
    }

    #[test]
    fn forms_are_decoded_and_names_match_in_any_case() {
        let params =
            parse(b"EshopId=450000&SuccessUrl=https%3A%2F%2Fshop.ru&ServiceName=a+b").unwrap();

        assert_eq!(
            pairs(&params),
            [
                ("EshopId", "450000"),
                ("SuccessUrl", "https://shop.ru"),
                ("ServiceName", "a b")
            ]
        );
        assert_eq!(params.get("eshopid"), Some("450000"));
    }

    #[test]
    fn xml_children_of_the_root_are_the_parameters() {
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<Request>
  <EshopId>450000</EshopId>
  <ServiceName>Tom &amp; Jerry &#1040;</ServiceName>
  <FailUrl/>
  <Note><![CDATA[<b>raw</b>]]></Note>
</Request>"#;

        let params = parse(body).unwrap();

        assert_eq!(params.get("eshopid"), Some("450000"));
        assert_eq!(params.get("ServiceName"), Some("Tom & Jerry А"));
        assert_eq!(params.get("FailUrl"), Some(""));
        assert_eq!(params.get("Note"), Some("<b>raw</b>"));
    }

    #[test]
    fn xml_with_a_doctype_or_unknown_entity_is_refused() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><Request><A>&lol;</A></Request>"#;
        assert_eq!(parse(bomb), Err(BodyError::XmlDoctype));
        assert!(matches!(
            parse(b"<Request><A>&lol;</A></Request>"),
            Err(BodyError::Xml(_))
        ));
        assert!(matches!(
            parse(b"<Request><A>1</A>"),
            Err(BodyError::Xml(_))
        ));
        assert!(matches!(parse(b"<A/><B/>"), Err(BodyError::Xml(_))));
    }

    #[test]
    fn an_empty_body_has_no_parameters_and_invalid_utf8_is_refused() {
        assert_eq!(parse(b"  "), Ok(Params::default()));
        assert_eq!(parse(b"\xff\xfe"), Err(BodyError::NotUtf8));
    }

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
