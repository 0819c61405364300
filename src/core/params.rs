//! One reader for every body the sandbox reads parameters from: JSON,
//! form-urlencoded and XML, into [`Params`] whose names match in any letter
//! case and whose values are text.
//!
//! Two callers share it on purpose. IntellectMoney reads its requests with
//! [`parse`]; the journal masks card data with [`read`] at
//! [`Reach::Everything`] (see `core::mask`). The format is decided here, once,
//! so the masker can never read a body as a different format than the
//! provider did (a form body labelled `application/json` used to be shown in
//! clear because the masker believed the label).
//!
//! Values are text because signatures are computed over text: a JSON number
//! keeps the digits it was written with (`10.00` stays `10.00`, not `10.0`),
//! and `\uXXXX` escapes and escaped slashes (the official PHP SDK writes both)
//! are decoded first, as PHP hashes the decoded values.
//!
//! The format is told by the body's first character, not by `Content-Type`:
//! IntellectMoney's own sample code posts a form body labelled
//! `application/json`.

use std::ops::Range;

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

/// Why a body could not be read as parameters. A provider words it in its
/// own envelope (IntellectMoney's in `providers::intellectmoney::error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is not UTF-8")]
    NotUtf8,
    /// With the JSON parser's reason.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// With the XML parser's reason.
    #[error("invalid XML: {0}")]
    Xml(String),
    /// Refused before anything is expanded or fetched.
    #[error("XML with a DOCTYPE or entity declaration")]
    XmlDoctype,
    #[error("invalid form data")]
    Form,
}

/// A body's format, told by its first character (after a byte order mark
/// and blanks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Empty,
    Json,
    Xml,
    /// Anything else: a form is the one format without a first character
    /// of its own.
    Form,
}

/// How far a [`read`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The parameters only (top-level JSON members, form pairs, children
    /// of the XML root): what a provider needs, and no more work on the
    /// request path.
    Parameters,
    /// Every named value at any depth as well: nested JSON members, deeper
    /// XML elements and XML attributes. What the masker must see.
    Everything,
}

/// One named value as read from a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name as written; an XML namespace prefix dropped.
    pub name: String,
    /// The value as text, decoded (escapes, percent-encoding, entities,
    /// CDATA).
    pub value: String,
    /// Where the value is written in the text given to [`read`] (byte
    /// offsets; JSON quotes and XML markup inside an element included), so
    /// it can be replaced there.
    pub span: Range<usize>,
    /// A parameter (see [`Reach::Parameters`]), not a nested value.
    pub parameter: bool,
}

/// Parses a request body of any accepted format. An empty body has no
/// parameters (the method then names what is missing).
pub fn parse(body: &[u8]) -> Result<Params, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let mut pairs = Vec::new();
    read(text, Reach::Parameters, &mut |field| {
        pairs.push((field.name, field.value));
    })?;
    Ok(Params::new(pairs))
}

/// `a=1&b=2`, as sent by forms and most third-party clients.
pub fn parse_form(text: &str) -> Result<Params, BodyError> {
    let mut pairs = Vec::new();
    form::read(text, 0, &mut |field| pairs.push((field.name, field.value)))?;
    Ok(Params::new(pairs))
}

/// The format of `text`, as [`read`] decides it.
pub fn sniff(text: &str) -> BodyFormat {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match text.trim_start().chars().next() {
        None => BodyFormat::Empty,
        Some('{') => BodyFormat::Json,
        Some('<') => BodyFormat::Xml,
        Some(_) => BodyFormat::Form,
    }
}

/// Reads `text` in the format [`sniff`] tells, handing `visit` each named
/// value within `reach`, parameters in the order they were written.
pub fn read(
    text: &str,
    reach: Reach,
    visit: &mut dyn FnMut(Field),
) -> Result<BodyFormat, BodyError> {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[bom..];
    let format = sniff(text);
    match format {
        BodyFormat::Empty => {}
        BodyFormat::Json => json::object(body, bom, reach, 0, visit)?,
        BodyFormat::Xml => xml::read(body, bom, reach, visit)?,
        BodyFormat::Form => form::read(body, bom, visit)?,
    }
    Ok(format)
}

/// Where `part`, a slice of `whole`, starts in it.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

mod form {
    use super::{BodyError, Field};

    /// The pairs of `text`, split on `&` and decoded as browsers encode
    /// them (serde_urlencoded, one pair at a time so each value's place in
    /// the text is known).
    pub fn read(text: &str, base: usize, visit: &mut dyn FnMut(Field)) -> Result<(), BodyError> {
        let lead = text.len() - text.trim_start().len();
        let mut at = base + lead;
        for piece in text.trim().split('&') {
            let piece_at = at;
            at += piece.len() + 1;
            let Some((name, value)) = serde_urlencoded::from_str::<Vec<(String, String)>>(piece)
                .map_err(|_| BodyError::Form)?
                .pop()
            else {
                continue;
            };
            let value_at = piece.find('=').map_or(piece.len(), |i| i + 1);
            visit(Field {
                name,
                value,
                span: piece_at + value_at..piece_at + piece.len(),
                parameter: true,
            });
        }
        Ok(())
    }
}

mod json {
    //! One top-level JSON object, each member's value kept as text: strings
    //! decoded, numbers and literals exactly as written (serde_json's
    //! numbers would turn `10.00` into `10.0` and break signatures), nested
    //! objects and arrays as their raw JSON text (a `MerchantReceipt` sent
    //! as an object). serde_json does the parsing, with its raw values and
    //! its recursion limit (no input exhausts the stack).

    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde_json::value::RawValue;

    use super::{BodyError, Field, Reach, offset_in};

    /// Nesting the masker follows at most; deeper documents are refused
    /// (the masker then scans them as text), so none costs quadratic work.
    const MAX_DEPTH: usize = 32;

    /// The members in the order they were written, values raw.
    struct Members<'a>(Vec<(String, &'a RawValue)>);

    impl<'de> Deserialize<'de> for Members<'de> {
        fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
            de.deserialize_map(MembersVisitor)
        }
    }

    struct MembersVisitor;

    impl<'de> Visitor<'de> for MembersVisitor {
        type Value = Members<'de>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
            let mut members = Vec::new();
            while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
                members.push(member);
            }
            Ok(Members(members))
        }
    }

    /// A member's value as text; `None` for `null` (an absent field).
    fn text_of(raw: &RawValue) -> Result<Option<String>, serde_json::Error> {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => serde_json::from_str::<String>(text).map(Some),
            Some(b'n') => Ok(None),
            _ => Ok(Some(text.to_owned())),
        }
    }

    fn error(e: impl std::fmt::Display) -> BodyError {
        BodyError::Json(e.to_string())
    }

    /// The members of the object `text` (at `base` in the body, `depth`
    /// objects deep).
    pub fn object(
        text: &str,
        base: usize,
        reach: Reach,
        depth: usize,
        visit: &mut dyn FnMut(Field),
    ) -> Result<(), BodyError> {
        let members = serde_json::from_str::<Members<'_>>(text).map_err(error)?;
        for (name, raw) in members.0 {
            let at =
                base + offset_in(text, raw.get()).ok_or_else(|| error("value out of place"))?;
            if reach == Reach::Everything {
                nested(raw.get(), at, depth + 1, visit)?;
            }
            if let Some(value) = text_of(raw).map_err(error)? {
                visit(Field {
                    name,
                    value,
                    span: at..at + raw.get().len(),
                    parameter: depth == 0,
                });
            }
        }
        Ok(())
    }

    /// The members of objects inside a value, at any depth.
    fn nested(
        raw: &str,
        base: usize,
        depth: usize,
        visit: &mut dyn FnMut(Field),
    ) -> Result<(), BodyError> {
        if depth > MAX_DEPTH {
            return Err(error("nested too deep"));
        }
        match raw.as_bytes().first() {
            Some(b'{') => object(raw, base, Reach::Everything, depth, visit),
            Some(b'[') => {
                let items = serde_json::from_str::<Vec<&RawValue>>(raw).map_err(error)?;
                for item in items {
                    let at =
                        offset_in(raw, item.get()).ok_or_else(|| error("value out of place"))?;
                    nested(item.get(), base + at, depth + 1, visit)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

mod xml {
    //! `<Request><EshopId>450000</EshopId>…</Request>`: the children of the
    //! root element are the parameters, named without a namespace prefix
    //! (`<im:EshopId>` is `EshopId`). Documents with a DOCTYPE are refused
    //! outright, so no entity can be declared (nor expanded).

    use quick_xml::Reader;
    use quick_xml::events::{BytesStart, Event};

    use super::{BodyError, Field, Reach, offset_in};

    /// An element being read, when its value is wanted.
    struct Open {
        name: String,
        value: String,
        /// Where its content starts.
        start: usize,
    }

    fn error(e: impl std::fmt::Display) -> BodyError {
        BodyError::Xml(e.to_string())
    }

    pub fn read(
        text: &str,
        base: usize,
        reach: Reach,
        visit: &mut dyn FnMut(Field),
    ) -> Result<(), BodyError> {
        let mut reader = Reader::from_str(text);
        let wanted = |depth: usize| depth == 2 || reach == Reach::Everything;
        // One slot per open element; `None` for those whose value nobody
        // wants (a provider reads the root's children only).
        let mut open: Vec<Option<Open>> = Vec::new();
        let mut seen_root = false;
        loop {
            let before = usize::try_from(reader.buffer_position()).map_err(error)?;
            let event = reader.read_event().map_err(error)?;
            let after = usize::try_from(reader.buffer_position()).map_err(error)?;
            match event {
                Event::DocType(_) => return Err(BodyError::XmlDoctype),
                Event::Start(start) => {
                    let depth = open.len() + 1;
                    if depth == 1 {
                        root(&mut seen_root)?;
                    }
                    if reach == Reach::Everything {
                        attributes(text, base, &start, visit)?;
                    }
                    open.push(wanted(depth).then(|| Open {
                        name: name_of(&start),
                        value: String::new(),
                        start: after,
                    }));
                }
                Event::Empty(start) => {
                    let depth = open.len() + 1;
                    if depth == 1 {
                        root(&mut seen_root)?;
                    }
                    if reach == Reach::Everything {
                        attributes(text, base, &start, visit)?;
                    }
                    if depth > 1 && wanted(depth) {
                        visit(Field {
                            name: name_of(&start),
                            value: String::new(),
                            span: base + after..base + after,
                            parameter: depth == 2,
                        });
                    }
                }
                Event::End(_) => {
                    let depth = open.len();
                    if let Some(Some(element)) = open.pop() {
                        visit(Field {
                            name: element.name,
                            value: element.value.trim().to_owned(),
                            span: base + element.start..base + before,
                            parameter: depth == 2,
                        });
                    }
                }
                Event::Text(text) if !open.is_empty() => {
                    if let Some(Some(element)) = open.last_mut() {
                        element.value.push_str(&text.xml10_content());
                    }
                }
                Event::CData(data) => {
                    if let Some(Some(element)) = open.last_mut() {
                        element.value.push_str(&data);
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => predefined(&reference).ok_or_else(|| {
                            BodyError::Xml(format!("неизвестная сущность &{};", &*reference))
                        })?,
                        Err(e) => return Err(error(e)),
                    };
                    if let Some(Some(element)) = open.last_mut() {
                        element.value.push(resolved);
                    }
                }
                Event::Text(text) if !text.trim().is_empty() => {
                    return Err(BodyError::Xml("текст вне корневого элемента".into()));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !seen_root {
            return Err(BodyError::Xml("нет корневого элемента".into()));
        }
        if !open.is_empty() {
            return Err(BodyError::Xml("документ оборван".into()));
        }
        Ok(())
    }

    fn root(seen_root: &mut bool) -> Result<(), BodyError> {
        if std::mem::replace(seen_root, true) {
            return Err(BodyError::Xml("больше одного корневого элемента".into()));
        }
        Ok(())
    }

    fn name_of(start: &BytesStart<'_>) -> String {
        start.name().local_name().as_ref().to_owned()
    }

    /// The element's attributes as named values (never parameters).
    fn attributes(
        text: &str,
        base: usize,
        start: &BytesStart<'_>,
        visit: &mut dyn FnMut(Field),
    ) -> Result<(), BodyError> {
        for attribute in start.attributes() {
            let attribute = attribute.map_err(error)?;
            let raw: &str = &attribute.value;
            let at = offset_in(text, raw).ok_or_else(|| error("attribute out of place"))?;
            visit(Field {
                name: attribute.key.local_name().as_ref().to_owned(),
                value: attribute
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(error)?
                    .into_owned(),
                span: base + at..base + at + raw.len(),
                parameter: false,
            });
        }
        Ok(())
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

    fn fields(text: &str, reach: Reach) -> Vec<(String, String, &str, bool)> {
        let mut found = Vec::new();
        read(text, reach, &mut |f| found.push(f)).unwrap();
        found
            .into_iter()
            .map(|f| (f.name, f.value, &text[f.span], f.parameter))
            .collect()
    }

    #[test]
    fn xml_names_lose_their_namespace_prefix() {
        let body = br#"<im:Request xmlns:im="urn:im"><im:EshopId>450000</im:EshopId></im:Request>"#;

        let params = parse(body).unwrap();

        assert_eq!(pairs(&params), [("EshopId", "450000")]);
    }

    #[test]
    fn nested_values_and_attributes_are_read_only_when_everything_is_asked_for() {
        let xml = r#"<R a="1"><P t="x"><![CDATA[42]]></P><Q><D>7</D></Q></R>"#;
        let json = r#"{"p": 42, "q": {"d": "7", "l": [{"e": 8}]}}"#;

        let (xml_params, xml_all) = (
            fields(xml, Reach::Parameters),
            fields(xml, Reach::Everything),
        );
        let (json_params, json_all) = (
            fields(json, Reach::Parameters),
            fields(json, Reach::Everything),
        );

        let field = |n: &str, v: &str, at, p| (n.to_owned(), v.to_owned(), at, p);
        assert_eq!(
            xml_params,
            [
                field("P", "42", "<![CDATA[42]]>", true),
                field("Q", "", "<D>7</D>", true)
            ]
        );
        assert_eq!(
            xml_all,
            [
                field("a", "1", "1", false),
                field("t", "x", "x", false),
                field("P", "42", "<![CDATA[42]]>", true),
                field("D", "7", "7", false),
                field("Q", "", "<D>7</D>", true),
                field(
                    "R",
                    "",
                    r#"<P t="x"><![CDATA[42]]></P><Q><D>7</D></Q>"#,
                    false,
                ),
            ]
        );
        assert_eq!(
            json_params,
            [
                field("p", "42", "42", true),
                field(
                    "q",
                    r#"{"d": "7", "l": [{"e": 8}]}"#,
                    r#"{"d": "7", "l": [{"e": 8}]}"#,
                    true
                ),
            ]
        );
        assert_eq!(json_all.len(), 5, "{json_all:?}");
        assert!(json_all.contains(&field("d", "7", "\"7\"", false)));
        assert!(json_all.contains(&field("e", "8", "8", false)));
    }

    #[test]
    fn form_values_are_found_where_they_are_written() {
        let text = " a=1&&b=x+y&c ";

        let found = fields(text, Reach::Everything);

        let field = |n: &str, v: &str, at| (n.to_owned(), v.to_owned(), at, true);
        assert_eq!(
            found,
            [
                field("a", "1", "1"),
                field("b", "x y", "x+y"),
                field("c", "", "")
            ]
        );
    }
}
