//! A request body's JSON as a tree that borrows its strings from the body.
//!
//! Validation that reports every bad field reads the body field by field
//! instead of through a derived `Deserialize` (which stops at the first).
//! `serde_json::Value` would do, but it copies every key and string into an
//! allocation of its own and sorts the keys into a tree, and on the
//! create-payment path that parse was the largest single cost in profiles.
//! Here a string without escapes is a slice of the body and an object is
//! a short list in the order sent.
//!
//! The meaning is `serde_json::Value`'s: numbers are `serde_json::Number`,
//! a repeated key keeps its last value, nesting is limited as serde_json
//! limits it.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// One JSON value of a body that lives for `'a`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Object<'a>),
}

impl<'a> Value<'a> {
    /// A body that is one JSON document, or `None`.
    pub fn parse(body: &'a [u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Number(n) => n.as_u64(),
            _ => None,
        }
    }
}

/// A JSON object: its members in the order sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Value<'a>)>);

impl<'a> Object<'a> {
    /// The member named `name` (the last one, when it was sent twice).
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Every member name once, in alphabetical order.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys = Vec::with_capacity(self.0.len());
        keys.extend(self.0.iter().map(|(key, _)| key.as_ref()));
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The member names `keep` keeps, each once, in alphabetical order
    /// (without an allocation when it keeps none).
    pub fn keys_where(&self, mut keep: impl FnMut(&str) -> bool) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .0
            .iter()
            .map(|(key, _)| key.as_ref())
            .filter(|key| keep(key))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Every member once (a repeated name with its last value), by name.
    pub fn members(&self) -> Vec<(&str, &Value<'a>)> {
        self.keys()
            .into_iter()
            .filter_map(|key| Some((key, self.get(key)?)))
            .collect()
    }
}

/// A `serde_json::Value` as a tree of its own (tests build bodies with
/// `json!`).
#[cfg(test)]
impl From<&serde_json::Value> for Value<'static> {
    fn from(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(*b),
            serde_json::Value::Number(n) => Self::Number(n.clone()),
            serde_json::Value::String(s) => Self::String(Cow::Owned(s.clone())),
            serde_json::Value::Array(items) => Self::Array(items.iter().map(Self::from).collect()),
            serde_json::Value::Object(map) => Self::Object(Object(
                map.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Self::from(v)))
                    .collect(),
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Owned(value)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // serde_json gives no size hint: room for a typical request's
        // object, so it is not grown (and copied) three times on the way.
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16).min(64));
        while let Some(key) = map.next_key::<Value<'de>>()? {
            let Value::String(key) = key else {
                return Err(de::Error::custom("an object key is not a string"));
            };
            members.push((key, map.next_value()?));
        }
        Ok(Value::Object(Object(members)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_are_borrowed_from_the_body() {
        let body = br#"{"plain": "text", "escaped": "a\"b"}"#;

        let Some(Value::Object(object)) = Value::parse(body) else {
            panic!("an object");
        };

        assert!(matches!(
            object.get("plain"),
            Some(Value::String(Cow::Borrowed("text")))
        ));
        assert_eq!(object.get("escaped").and_then(Value::as_str), Some("a\"b"));
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_and_is_listed_once() {
        let body = br#"{"b": 1, "a": 2, "b": 3}"#;

        let Some(Value::Object(object)) = Value::parse(body) else {
            panic!("an object");
        };

        assert_eq!(object.get("b").and_then(Value::as_u64), Some(3));
        assert_eq!(object.keys(), ["a", "b"]);
    }

    #[test]
    fn values_mean_what_serde_json_makes_of_them() {
        let body = br#"[null, true, 112.5, -3, 18446744073709551615, "x", {"k": []}]"#;

        let ours = Value::parse(body).unwrap();
        let theirs: serde_json::Value = serde_json::from_slice(body).unwrap();

        let Value::Array(items) = ours else {
            panic!("an array");
        };
        assert_eq!(items[0], Value::Null);
        assert_eq!(items[1], Value::Bool(true));
        assert_eq!(
            items[2],
            Value::Number(theirs[2].as_number().unwrap().clone())
        );
        assert_eq!(items[3], Value::Number((-3).into()));
        assert_eq!(items[4].as_u64(), Some(u64::MAX));
        assert_eq!(items[5].as_str(), Some("x"));
        assert!(matches!(&items[6], Value::Object(o) if o.get("k") == Some(&Value::Array(vec![]))));
    }

    #[test]
    fn what_is_not_one_json_document_is_none() {
        assert_eq!(Value::parse(b"{"), None);
        assert_eq!(Value::parse(b"\xff"), None);
        assert_eq!(Value::parse(b"{} {}"), None);
        assert_eq!(Value::parse(&[b'['; 200]), None);
    }
}
