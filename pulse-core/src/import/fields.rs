//! Typed access to one JSON object's fields, with errors that name the field.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::{FieldError, ImportProblem};
use crate::error::Error;
use crate::model::Timestamp;

pub(crate) type FieldResult<T> = std::result::Result<T, FieldError>;

/// The fields of one object; `prefix` locates nested objects in messages.
pub(crate) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses an RFC 3339 timestamp into UTC.
pub(crate) fn timestamp(text: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

impl<'a> Fields<'a> {
    pub(crate) fn new(obj: &'a Map<String, Value>) -> Self {
        Self { obj, prefix: String::new() }
    }

    fn path(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn err(&self, name: &str, problem: ImportProblem) -> FieldError {
        FieldError::new(self.path(name), problem)
    }

    /// Whether the field is there and not null.
    pub(crate) fn present(&self, name: &str) -> bool {
        self.value(name).is_some()
    }

    fn value(&self, name: &str) -> Option<&'a Value> {
        self.obj.get(name).filter(|v| !v.is_null())
    }

    fn wrong(&self, name: &str, expected: &'static str, found: &Value) -> FieldError {
        self.err(name, ImportProblem::WrongType { expected, found: kind_of(found) })
    }

    pub(crate) fn opt_str(&self, name: &str) -> FieldResult<Option<&'a str>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.contains('\0') => {
                Err(self.err(name, ImportProblem::BadValue { reason: "contains a NUL character".into() }))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(name, "a string", other)),
        }
    }

    /// A required, non-empty string.
    pub(crate) fn str(&self, name: &str) -> FieldResult<&'a str> {
        match self.opt_str(name)? {
            None => Err(self.err(name, ImportProblem::MissingField)),
            Some("") => Err(self.err(name, ImportProblem::BadValue { reason: "must not be empty".into() })),
            Some(s) => Ok(s),
        }
    }

    /// A string parsed into a domain type; the domain's reason becomes the message.
    pub(crate) fn parsed<T>(&self, name: &str, parse: fn(&str) -> crate::Result<T>) -> FieldResult<T> {
        let text = self.str(name)?;
        parse(text).map_err(|e| self.bad(name, e))
    }

    pub(crate) fn opt_parsed<T>(&self, name: &str, parse: fn(&str) -> crate::Result<T>) -> FieldResult<Option<T>> {
        match self.opt_str(name)? {
            None => Ok(None),
            Some(text) => parse(text).map(Some).map_err(|e| self.bad(name, e)),
        }
    }

    fn bad(&self, name: &str, e: Error) -> FieldError {
        let reason = match e {
            Error::Invalid { what, reason } => format!("invalid {what}: {reason}"),
            other => other.to_string(),
        };
        self.err(name, ImportProblem::BadValue { reason })
    }

    pub(crate) fn opt_ts(&self, name: &str) -> FieldResult<Option<Timestamp>> {
        match self.opt_str(name)? {
            None => Ok(None),
            Some(text) => match timestamp(text) {
                Some(t) => Ok(Some(t)),
                None => Err(self.err(name, ImportProblem::BadTimestamp { value: text.chars().take(60).collect() })),
            },
        }
    }

    pub(crate) fn ts(&self, name: &str) -> FieldResult<Timestamp> {
        match self.value(name) {
            None => Err(self.err(name, ImportProblem::MissingField)),
            Some(Value::String(_)) => Ok(self.opt_ts(name)?.expect("present")),
            Some(other) => Err(self.wrong(name, "an RFC 3339 timestamp string", other)),
        }
    }

    pub(crate) fn opt_int(&self, name: &str) -> FieldResult<Option<i64>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                self.err(name, ImportProblem::WrongType { expected: "an integer", found: "a fraction" })
            }),
            Some(other) => Err(self.wrong(name, "an integer", other)),
        }
    }

    /// A required integer ≥ `min`.
    pub(crate) fn int_at_least(&self, name: &str, min: i64) -> FieldResult<i64> {
        match self.opt_int(name)? {
            None => Err(self.err(name, ImportProblem::MissingField)),
            Some(n) => self.check_min(name, n, min),
        }
    }

    pub(crate) fn opt_int_at_least(&self, name: &str, min: i64) -> FieldResult<Option<i64>> {
        self.opt_int(name)?.map(|n| self.check_min(name, n, min)).transpose()
    }

    fn check_min(&self, name: &str, n: i64, min: i64) -> FieldResult<i64> {
        if n < min {
            Err(self.err(name, ImportProblem::BadValue { reason: format!("must be at least {min}, got {n}") }))
        } else {
            Ok(n)
        }
    }

    pub(crate) fn opt_float(&self, name: &str) -> FieldResult<Option<f64>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(self.wrong(name, "a number", other)),
        }
    }

    pub(crate) fn bool_or(&self, name: &str, default: bool) -> FieldResult<bool> {
        match self.value(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.wrong(name, "true or false", other)),
        }
    }

    /// An array of strings; absent means empty.
    pub(crate) fn str_list(&self, name: &str) -> FieldResult<Vec<&'a str>> {
        match self.value(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) if !s.contains('\0') => Ok(s.as_str()),
                    Value::String(_) => Err(self.err(
                        &format!("{name}[{i}]"),
                        ImportProblem::BadValue { reason: "contains a NUL character".into() },
                    )),
                    other => Err(self.wrong(&format!("{name}[{i}]"), "a string", other)),
                })
                .collect(),
            Some(other) => Err(self.wrong(name, "an array of strings", other)),
        }
    }

    /// An array of strings, each parsed into a domain type.
    pub(crate) fn parsed_list<T>(&self, name: &str, parse: fn(&str) -> crate::Result<T>) -> FieldResult<Vec<T>> {
        self.str_list(name)?
            .into_iter()
            .enumerate()
            .map(|(i, s)| parse(s).map_err(|e| self.bad(&format!("{name}[{i}]"), e)))
            .collect()
    }

    /// An array of objects; absent means empty.
    pub(crate) fn objects(&self, name: &str) -> FieldResult<Vec<Fields<'a>>> {
        match self.value(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Object(obj) => Ok(Fields { obj, prefix: format!("{}{name}[{i}].", self.prefix) }),
                    other => Err(self.wrong(&format!("{name}[{i}]"), "an object", other)),
                })
                .collect(),
            Some(other) => Err(self.wrong(name, "an array of objects", other)),
        }
    }

    /// An object of string → array of strings (project teams).
    pub(crate) fn string_lists(&self, name: &str) -> FieldResult<Vec<(&'a str, Vec<&'a str>)>> {
        match self.value(name) {
            None => Ok(Vec::new()),
            Some(Value::Object(map)) => {
                let inner = Fields { obj: map, prefix: format!("{}{name}.", self.prefix) };
                map.keys().map(|k| Ok((k.as_str(), inner.str_list(k)?))).collect()
            }
            Some(other) => Err(self.wrong(name, "an object of arrays", other)),
        }
    }

    /// Reports a reference that does not resolve.
    pub(crate) fn dangling(&self, name: &str, target: String) -> FieldError {
        self.err(name, ImportProblem::DanglingReference { target })
    }
}
