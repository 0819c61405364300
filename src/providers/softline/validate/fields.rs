//! Reading one JSON object parameter by parameter, so that every bad one
//! is recorded (as a 6010 under its dotted name) instead of stopping at the
//! first.

use crate::core::json::{Lookup, Object, Value};

use crate::core::money::Amount;
use crate::providers::softline::error::Problem;
use crate::providers::softline::types::MAX_TEXT;

/// What one parameter turned out to be.
pub(super) enum Parsed<T> {
    Absent,
    /// A problem was recorded.
    Invalid,
    Value(T),
}

impl<T> Parsed<T> {
    pub(super) fn value(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// Reads the parameters of one JSON object, recording a 6010 for each bad
/// one under its dotted name.
pub(super) struct Fields<'a, 'p> {
    map: &'a dyn Lookup<'a>,
    prefix: &'static str,
    pub(super) problems: &'p mut Vec<Problem>,
}

impl<'a, 'p> Fields<'a, 'p> {
    pub(super) fn new(
        map: &'a dyn Lookup<'a>,
        prefix: &'static str,
        problems: &'p mut Vec<Problem>,
    ) -> Self {
        Self {
            map,
            prefix,
            problems,
        }
    }

    pub(super) fn invalid(&mut self, name: &str) {
        self.problems
            .push(Problem::field(format!("{}{name}", self.prefix)));
    }

    /// A present value, or `Absent`; `null` is refused.
    pub(super) fn raw(&mut self, name: &str) -> Parsed<&'a Value<'a>> {
        match self.map.member(name) {
            None => Parsed::Absent,
            Some(Value::Null) => {
                self.invalid(name);
                Parsed::Invalid
            }
            Some(value) => Parsed::Value(value),
        }
    }

    /// A string of at most 255 characters; the empty string counts as absent.
    pub(super) fn text(&mut self, name: &str) -> Parsed<&'a str> {
        match self.raw(name) {
            Parsed::Value(Value::String(s)) if s.is_empty() => Parsed::Absent,
            Parsed::Value(Value::String(s)) if s.chars().count() <= MAX_TEXT => {
                Parsed::Value(s.as_ref())
            }
            Parsed::Value(_) => {
                self.invalid(name);
                Parsed::Invalid
            }
            Parsed::Absent => Parsed::Absent,
            Parsed::Invalid => Parsed::Invalid,
        }
    }

    pub(super) fn required_text(&mut self, name: &str) -> Option<&'a str> {
        match self.text(name) {
            Parsed::Value(s) => Some(s),
            Parsed::Absent => {
                self.invalid(name);
                None
            }
            Parsed::Invalid => None,
        }
    }

    /// A required text that must also pass `parse`.
    pub(super) fn required<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let text = self.required_text(name)?;
        let parsed = parse(text);
        if parsed.is_none() {
            self.invalid(name);
        }
        parsed
    }

    pub(super) fn digits(&mut self, name: &str) -> Parsed<&'a str> {
        match self.text(name) {
            Parsed::Value(s) if !s.bytes().all(|b| b.is_ascii_digit()) => {
                self.invalid(name);
                Parsed::Invalid
            }
            other => other,
        }
    }

    pub(super) fn boolean(&mut self, name: &str) -> Parsed<bool> {
        match self.raw(name) {
            Parsed::Value(Value::Bool(b)) => Parsed::Value(*b),
            Parsed::Value(_) => {
                self.invalid(name);
                Parsed::Invalid
            }
            Parsed::Absent => Parsed::Absent,
            Parsed::Invalid => Parsed::Invalid,
        }
    }

    /// An amount: a JSON string or number, digits with at most two decimals.
    pub(super) fn amount(&mut self, name: &str) -> Option<Amount> {
        let parsed = match self.raw(name) {
            Parsed::Value(Value::String(s)) => Amount::parse_decimal(s).ok(),
            Parsed::Value(Value::Number(n)) => Amount::parse_decimal(&n.to_string()).ok(),
            Parsed::Value(_) | Parsed::Absent => None,
            Parsed::Invalid => return None,
        };
        if parsed.is_none() {
            self.invalid(name);
        }
        parsed
    }

    pub(super) fn object(&mut self, name: &str) -> Parsed<&'a Object<'a>> {
        match self.raw(name) {
            Parsed::Value(Value::Object(m)) => Parsed::Value(m),
            Parsed::Value(_) => {
                self.invalid(name);
                Parsed::Invalid
            }
            Parsed::Absent => Parsed::Absent,
            Parsed::Invalid => Parsed::Invalid,
        }
    }

    /// A 6010 for every parameter name not in `known`, alphabetically.
    pub(super) fn refuse_unknown(&mut self, known: &[&str]) {
        for name in self.map.unknown_names(known) {
            self.invalid(name);
        }
    }
}

/// An optional text that must pass `parse` when given.
pub(super) fn parse_optional<T>(
    f: &mut Fields<'_, '_>,
    name: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    let text = f.text(name).value()?;
    let parsed = parse(text);
    if parsed.is_none() {
        f.invalid(name);
    }
    parsed
}
