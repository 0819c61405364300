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
    //! A JSON reader for one top-level object. serde_json would give numbers
    //! back as floats (`10.00` → `10.0`), which breaks signatures, so the
    //! object is scanned here and each member's value kept as text: strings
    //! decoded, numbers and literals as written, nested objects and arrays
    //! as their raw JSON text (a `MerchantReceipt` sent as an object).

    use super::BodyError;

    /// Nested objects and arrays deeper than this are refused (no input may
    /// exhaust the stack).
    const MAX_DEPTH: usize = 64;

    struct Scanner<'a> {
        text: &'a str,
        pos: usize,
    }

    fn err(message: &str, pos: usize) -> BodyError {
        BodyError::Json(format!("{message} (позиция {pos})"))
    }

    pub fn parse_object(text: &str) -> Result<Vec<(String, String)>, BodyError> {
        let mut s = Scanner { text, pos: 0 };
        s.skip_ws();
        s.expect(b'{')?;
        let mut pairs = Vec::new();
        s.skip_ws();
        if s.peek() == Some(b'}') {
            s.pos += 1;
        } else {
            loop {
                s.skip_ws();
                let name = s.string()?;
                s.skip_ws();
                s.expect(b':')?;
                s.skip_ws();
                let value = s.value()?;
                if let Some(value) = value {
                    pairs.push((name, value));
                }
                s.skip_ws();
                match s.next() {
                    Some(b',') => continue,
                    Some(b'}') => break,
                    _ => return Err(err("ожидалась «,» или «}»", s.pos)),
                }
            }
        }
        s.skip_ws();
        if s.pos != s.text.len() {
            return Err(err("лишние символы после объекта", s.pos));
        }
        Ok(pairs)
    }

    impl Scanner<'_> {
        fn peek(&self) -> Option<u8> {
            self.text.as_bytes().get(self.pos).copied()
        }

        fn next(&mut self) -> Option<u8> {
            let b = self.peek()?;
            self.pos += 1;
            Some(b)
        }

        fn expect(&mut self, byte: u8) -> Result<(), BodyError> {
            if self.next() == Some(byte) {
                Ok(())
            } else {
                Err(err(&format!("ожидался «{}»", byte as char), self.pos))
            }
        }

        fn skip_ws(&mut self) {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                self.pos += 1;
            }
        }

        /// A member's value as text; `None` for `null` (an absent field).
        fn value(&mut self) -> Result<Option<String>, BodyError> {
            match self.peek() {
                Some(b'"') => self.string().map(Some),
                Some(b'{' | b'[') => {
                    let start = self.pos;
                    self.skip_value(0)?;
                    Ok(Some(self.text[start..self.pos].to_owned()))
                }
                Some(b'n') => self.literal("null").map(|()| None),
                Some(b't') => self.literal("true").map(|()| Some("true".to_owned())),
                Some(b'f') => self.literal("false").map(|()| Some("false".to_owned())),
                Some(b'-' | b'0'..=b'9') => self.number().map(|n| Some(n.to_owned())),
                _ => Err(err("ожидалось значение", self.pos)),
            }
        }

        fn literal(&mut self, word: &str) -> Result<(), BodyError> {
            if self.text[self.pos..].starts_with(word) {
                self.pos += word.len();
                Ok(())
            } else {
                Err(err("неизвестное слово", self.pos))
            }
        }

        /// A number by the JSON grammar, returned as written.
        fn number(&mut self) -> Result<&str, BodyError> {
            let start = self.pos;
            if self.peek() == Some(b'-') {
                self.pos += 1;
            }
            match self.next() {
                Some(b'0') => {}
                Some(b'1'..=b'9') => self.digits(),
                _ => return Err(err("неверное число", self.pos)),
            }
            if self.peek() == Some(b'.') {
                self.pos += 1;
                if !matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(err("неверное число", self.pos));
                }
                self.digits();
            }
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.pos += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if !matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(err("неверное число", self.pos));
                }
                self.digits();
            }
            Ok(&self.text[start..self.pos])
        }

        fn digits(&mut self) {
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }

        /// A string with its escapes decoded (`\/`, `\uXXXX` with surrogate
        /// pairs, the rest of the JSON escapes).
        fn string(&mut self) -> Result<String, BodyError> {
            self.expect(b'"')?;
            let mut out = String::new();
            loop {
                let rest = &self.text[self.pos..];
                let Some(stop) = rest.find(['"', '\\']) else {
                    return Err(err("незакрытая строка", self.text.len()));
                };
                let chunk = &rest[..stop];
                if chunk.chars().any(|c| (c as u32) < 0x20) {
                    return Err(err("управляющий символ в строке", self.pos));
                }
                out.push_str(chunk);
                self.pos += stop;
                if self.next() == Some(b'"') {
                    return Ok(out);
                }
                let escaped = match self.next() {
                    Some(b'"') => '"',
                    Some(b'\\') => '\\',
                    Some(b'/') => '/',
                    Some(b'b') => '\u{8}',
                    Some(b'f') => '\u{c}',
                    Some(b'n') => '\n',
                    Some(b'r') => '\r',
                    Some(b't') => '\t',
                    Some(b'u') => self.unicode_escape()?,
                    _ => return Err(err("неверная escape-последовательность", self.pos)),
                };
                out.push(escaped);
            }
        }

        fn hex4(&mut self) -> Result<u32, BodyError> {
            let digits = self
                .text
                .get(self.pos..self.pos + 4)
                .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| err("неверная последовательность \\u", self.pos))?;
            self.pos += 4;
            u32::from_str_radix(digits, 16)
                .map_err(|_| err("неверная последовательность \\u", self.pos))
        }

        fn unicode_escape(&mut self) -> Result<char, BodyError> {
            let first = self.hex4()?;
            let code = if (0xD800..0xDC00).contains(&first) {
                if !self.text[self.pos..].starts_with("\\u") {
                    return Err(err("одиночный суррогат в \\u", self.pos));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..0xE000).contains(&second) {
                    return Err(err("одиночный суррогат в \\u", self.pos));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            } else {
                first
            };
            char::from_u32(code).ok_or_else(|| err("одиночный суррогат в \\u", self.pos))
        }

        /// Checks and skips any value (used for nested objects and arrays).
        fn skip_value(&mut self, depth: usize) -> Result<(), BodyError> {
            if depth > MAX_DEPTH {
                return Err(err("слишком глубокая вложенность", self.pos));
            }
            match self.peek() {
                Some(b'{') => self.skip_container(b'}', depth, true),
                Some(b'[') => self.skip_container(b']', depth, false),
                _ => self.value().map(drop),
            }
        }

        fn skip_container(
            &mut self,
            close: u8,
            depth: usize,
            keyed: bool,
        ) -> Result<(), BodyError> {
            self.pos += 1;
            self.skip_ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(());
            }
            loop {
                self.skip_ws();
                if keyed {
                    self.string()?;
                    self.skip_ws();
                    self.expect(b':')?;
                    self.skip_ws();
                }
                self.skip_value(depth + 1)?;
                self.skip_ws();
                match self.next() {
                    Some(b',') => continue,
                    Some(b) if b == close => return Ok(()),
                    _ => return Err(err("ожидалась «,» или конец списка", self.pos)),
                }
            }
        }
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
    fn deeply_nested_json_is_refused_without_exhausting_the_stack() {
        let body = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(parse(body.as_bytes()), Err(BodyError::Json(_))));
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
