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
//!
//! A request whose member names are known reads its top level straight into
//! a struct of its own ([`json_members!`], [`parse_members`]):
//! each known member lands in its field as it is met (no list of members to
//! build and search), and the names it does not know are kept for the
//! report. The values stay `Value`s, so a member of the wrong type is a
//! problem to report, not a parse that stops.

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
        sorted_once(
            self.0
                .iter()
                .map(|(key, _)| key.as_ref())
                .filter(|key| keep(key)),
        )
    }

    /// Every member once (a repeated name with its last value), by name.
    pub fn members(&self) -> Vec<(&str, &Value<'a>)> {
        self.keys()
            .into_iter()
            .filter_map(|key| Some((key, self.get(key)?)))
            .collect()
    }
}

/// Where a request's rules find a member by name: an [`Object`], or a
/// struct of known members (see [`parse_members`]).
pub trait Lookup<'a> {
    /// The member named `name` (the last one, when it was sent twice).
    fn member(&self, name: &str) -> Option<&Value<'a>>;

    /// The member names not in `known`, each once, in alphabetical order.
    fn unknown_names(&self, known: &[&str]) -> Vec<&str>;
}

impl<'a> Lookup<'a> for Object<'a> {
    fn member(&self, name: &str) -> Option<&Value<'a>> {
        self.get(name)
    }

    fn unknown_names(&self, known: &[&str]) -> Vec<&str> {
        self.keys_where(|k| !known.contains(&k))
    }
}

/// A JSON object read into a struct of the members a request knows.
/// Written by [`json_members!`].
pub trait Members<'de>: Default {
    /// Reads the value of the member `name` into its field when it is one
    /// of ours; `false` leaves the value unread.
    fn read<A: MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> Result<bool, A::Error>;

    /// Keeps a name that is not one of ours.
    fn unknown(&mut self, name: Cow<'de, str>);
}

/// A body that is one JSON object, read into `T`; `None` for anything else
/// (not JSON, or not an object), as [`Value::parse`] would refuse it.
pub fn parse_members<'a, T: Members<'a>>(body: &'a [u8]) -> Option<T> {
    serde_json::from_slice::<Shaped<T>>(body)
        .ok()
        .map(|shaped| shaped.0)
}

/// The names of `unknown` not in `known`, each once, in alphabetical order.
pub fn sorted_names<'s>(unknown: &'s [Cow<'_, str>], known: &[&str]) -> Vec<&'s str> {
    sorted_once(
        unknown
            .iter()
            .map(AsRef::as_ref)
            .filter(|name| !known.contains(name)),
    )
}

/// `names`, each once, in alphabetical order (no allocation for none).
fn sorted_once<'s>(names: impl Iterator<Item = &'s str>) -> Vec<&'s str> {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// A struct of a request's known members, each an `Option<Value<'a>>`, with
/// [`Members`] and [`Lookup`] for it. The field names are the JSON names.
macro_rules! json_members {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$field_meta:meta])* $field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        $vis struct $name<'a> {
            $($(#[$field_meta])* pub $field: Option<$crate::core::json::Value<'a>>,)*
            /// The names sent that are not members, as sent.
            pub unknown: Vec<std::borrow::Cow<'a, str>>,
        }

        impl<'de> $crate::core::json::Members<'de> for $name<'de> {
            fn read<A: serde::de::MapAccess<'de>>(
                &mut self,
                name: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                let field = match name {
                    $(stringify!($field) => &mut self.$field,)*
                    _ => return Ok(false),
                };
                *field = Some(map.next_value()?);
                Ok(true)
            }

            fn unknown(&mut self, name: std::borrow::Cow<'de, str>) {
                self.unknown.push(name);
            }
        }

        impl<'a> $crate::core::json::Lookup<'a> for $name<'a> {
            fn member(&self, name: &str) -> Option<&$crate::core::json::Value<'a>> {
                match name {
                    $(stringify!($field) => self.$field.as_ref(),)*
                    _ => None,
                }
            }

            fn unknown_names(&self, known: &[&str]) -> Vec<&str> {
                $crate::core::json::sorted_names(&self.unknown, known)
            }
        }

        impl $name<'_> {
            /// The member names, as the JSON spells them.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

pub(crate) use json_members;

/// `T` as the one JSON object of a body (see [`parse_members`]).
struct Shaped<T>(T);

impl<'de, T: Members<'de>> Deserialize<'de> for Shaped<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ShapedVisitor(std::marker::PhantomData))
    }
}

struct ShapedVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Members<'de>> Visitor<'de> for ShapedVisitor<T> {
    type Value = Shaped<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = T::default();
        while let Some(key) = map.next_key::<Value<'de>>()? {
            let Value::String(key) = key else {
                return Err(de::Error::custom("an object key is not a string"));
            };
            if !members.read(&key, &mut map)? {
                // Read as any other value is, so what is not valid JSON
                // (bad UTF-8 in a string, say) is refused wherever it is.
                map.next_value::<Value<'de>>()?;
                members.unknown(key);
            }
        }
        Ok(Shaped(members))
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

    json_members! {
        struct Pair { first, second }
    }

    #[test]
    fn known_members_land_in_their_fields_and_the_others_are_kept_by_name() {
        let body =
            br#"{"second": "b", "zeta": 1, "first": 1, "alpha": [], "first": null, "zeta": 2}"#;

        let pair: Pair<'_> = parse_members(body).unwrap();

        assert_eq!(pair.first, Some(Value::Null));
        assert!(matches!(
            pair.second,
            Some(Value::String(Cow::Borrowed("b")))
        ));
        assert_eq!(pair.unknown_names(Pair::NAMES), ["alpha", "zeta"]);
        assert_eq!(pair.unknown_names(&["alpha"]), ["zeta"]);
        assert_eq!(pair.member("second").and_then(Value::as_str), Some("b"));
        assert_eq!(pair.member("zeta"), None);
    }

    #[test]
    fn a_body_refused_as_a_tree_is_refused_as_members_too() {
        let bodies: [&[u8]; 6] = [
            b"{",
            b"[1]",
            b"\"text\"",
            b"{} {}",
            b"{\"zeta\": \"\xff\"}",
            &[b'['; 200],
        ];
        for body in bodies {
            assert!(parse_members::<Pair<'_>>(body).is_none(), "{body:?}");
            assert!(
                !matches!(Value::parse(body), Some(Value::Object(_))),
                "{body:?}"
            );
        }
    }

    /// A body of members named from a few names, with values some of which
    /// are not JSON, so both outcomes come up.
    fn bodies() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy as _;
        let name = proptest::sample::select(vec!["first", "second", "zeta", "a\\u0062"]);
        let value = proptest::sample::select(vec![
            "1",
            "null",
            "\"x\"",
            "[]",
            "{}",
            "{\"first\": 2}",
            "tru",
            "\"\\q\"",
            "-",
            "[1,]",
        ]);
        proptest::collection::vec((name, value), 0..5).prop_map(|members| {
            let members: Vec<String> = members
                .iter()
                .map(|(name, value)| format!("\"{name}\": {value}"))
                .collect();
            format!("{{{}}}", members.join(", "))
        })
    }

    proptest::proptest! {
        #[test]
        fn the_members_reader_takes_exactly_the_objects_the_tree_takes(body in bodies()) {
            let as_tree = matches!(Value::parse(body.as_bytes()), Some(Value::Object(_)));
            let as_members = parse_members::<Pair<'_>>(body.as_bytes()).is_some();
            proptest::prop_assert_eq!(as_tree, as_members, "{}", body);
        }
    }

    #[test]
    fn what_is_not_one_json_document_is_none() {
        assert_eq!(Value::parse(b"{"), None);
        assert_eq!(Value::parse(b"\xff"), None);
        assert_eq!(Value::parse(b"{} {}"), None);
        assert_eq!(Value::parse(&[b'['; 200]), None);
    }
}
