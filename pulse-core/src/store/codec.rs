//! Moving column values between the domain model and each backend's wire form.
//!
//! A record writes its columns once, in table order, through [`ColumnWriter`]; the
//! writer decides the representation: bound parameters for SQLite or PostgreSQL, or
//! PostgreSQL's COPY text format for bulk loads. Reading goes the other way through
//! [`ColumnReader`]. This keeps one mapping per table instead of one per backend.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Row};

use super::json_rows::{FromCell, JsonCell};
use crate::error::{Error, Result};
use crate::model::Timestamp;

/// Receives one row's column values in table order.
pub trait ColumnWriter {
    fn text(&mut self, v: &str);
    fn opt_text(&mut self, v: Option<&str>);
    fn int(&mut self, v: i64);
    fn opt_int(&mut self, v: Option<i64>);
    fn opt_float(&mut self, v: Option<f64>);
    fn bool(&mut self, v: bool);
    fn ts(&mut self, v: Timestamp);
    fn opt_ts(&mut self, v: Option<Timestamp>);
    /// A list of strings: `TEXT[]` on PostgreSQL, a JSON array on SQLite.
    fn text_list(&mut self, v: &[&str]);
    fn json(&mut self, v: &serde_json::Value);
    fn bytes(&mut self, v: &[u8]);
}

/// SQLite's stored timestamp form: fixed width so that text order is time order.
pub(crate) fn sqlite_timestamp(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Bound parameters for one statement, for whichever backend runs it.
pub(crate) enum Args {
    Sqlite(SqliteArguments),
    Postgres(PgArguments),
}

impl Args {
    pub(crate) fn for_backend(backend: super::Backend) -> Self {
        match backend {
            super::Backend::Sqlite => Args::Sqlite(SqliteArguments::default()),
            super::Backend::Postgres => Args::Postgres(PgArguments::default()),
        }
    }

    fn add_sqlite<T>(&mut self, sqlite: impl FnOnce() -> T, pg: impl FnOnce(&mut PgArguments))
    where
        T: for<'t> sqlx::Encode<'t, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        // Encoding into an in-memory buffer fails only for values the type system already
        // rules out (e.g. oversized integers), so a failure here is a bug, not bad input.
        match self {
            Args::Sqlite(a) => a.add(sqlite()).expect("encode SQLite argument"),
            Args::Postgres(a) => pg(a),
        }
    }
}

macro_rules! both {
    ($self:ident, $v:expr) => {{
        let v = $v;
        match $self {
            Args::Sqlite(a) => a.add(v).expect("encode SQLite argument"),
            Args::Postgres(a) => a.add(v).expect("encode PostgreSQL argument"),
        }
    }};
}

impl ColumnWriter for Args {
    fn text(&mut self, v: &str) {
        both!(self, v.to_owned())
    }
    fn opt_text(&mut self, v: Option<&str>) {
        both!(self, v.map(str::to_owned))
    }
    fn int(&mut self, v: i64) {
        both!(self, v)
    }
    fn opt_int(&mut self, v: Option<i64>) {
        both!(self, v)
    }
    fn opt_float(&mut self, v: Option<f64>) {
        both!(self, v)
    }
    fn bool(&mut self, v: bool) {
        both!(self, v)
    }
    fn ts(&mut self, v: Timestamp) {
        self.add_sqlite(|| sqlite_timestamp(v), |a| a.add(v).expect("encode timestamp"))
    }
    fn opt_ts(&mut self, v: Option<Timestamp>) {
        self.add_sqlite(|| v.map(sqlite_timestamp), |a| a.add(v).expect("encode timestamp"))
    }
    fn text_list(&mut self, v: &[&str]) {
        self.add_sqlite(
            || serde_json::to_string(v).expect("strings serialize"),
            |a| a.add(v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("encode text[]"),
        )
    }
    fn json(&mut self, v: &serde_json::Value) {
        self.add_sqlite(|| v.to_string(), |a| a.add(sqlx::types::Json(v.clone())).expect("encode json"))
    }
    fn bytes(&mut self, v: &[u8]) {
        both!(self, v.to_vec())
    }
}

/// A PostgreSQL array literal with every element quoted: `{"a","b \"c\""}`.
pub(crate) fn array_literal(v: &[&str]) -> String {
    let mut literal = String::with_capacity(2 + v.iter().map(|s| s.len() + 3).sum::<usize>());
    literal.push('{');
    for (i, s) in v.iter().enumerate() {
        if i > 0 {
            literal.push(',');
        }
        literal.push('"');
        for c in s.chars() {
            if c == '"' || c == '\\' {
                literal.push('\\');
            }
            literal.push(c);
        }
        literal.push('"');
    }
    literal.push('}');
    literal
}

/// Rows in PostgreSQL's COPY text format, ready for `COPY … FROM STDIN`.
#[derive(Default)]
pub(crate) struct CopyText {
    pub(crate) buf: Vec<u8>,
    at_row_start: bool,
}

impl CopyText {
    pub(crate) fn new() -> Self {
        Self { buf: Vec::with_capacity(1 << 20), at_row_start: true }
    }

    pub(crate) fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.at_row_start = true;
    }

    fn sep(&mut self) {
        if !self.at_row_start {
            self.buf.push(b'\t');
        }
        self.at_row_start = false;
    }

    fn null(&mut self) {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
    }

    fn escaped(&mut self, s: &str) {
        for &b in s.as_bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                _ => self.buf.push(b),
            }
        }
    }

    fn display(&mut self, v: impl std::fmt::Display) {
        use std::io::Write;
        self.sep();
        write!(self.buf, "{v}").expect("writing to a Vec cannot fail");
    }
}

impl ColumnWriter for CopyText {
    fn text(&mut self, v: &str) {
        self.sep();
        self.escaped(v);
    }
    fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }
    fn int(&mut self, v: i64) {
        self.display(v)
    }
    fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }
    fn opt_float(&mut self, v: Option<f64>) {
        match v {
            Some(v) => self.display(v),
            None => self.null(),
        }
    }
    fn bool(&mut self, v: bool) {
        self.sep();
        self.buf.push(if v { b't' } else { b'f' });
    }
    fn ts(&mut self, v: Timestamp) {
        // ISO 8601 with `T` and `Z` is valid timestamptz input, and chrono writes it
        // without interpreting a format string.
        self.text(&v.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
    fn opt_ts(&mut self, v: Option<Timestamp>) {
        match v {
            Some(v) => self.ts(v),
            None => self.null(),
        }
    }
    fn text_list(&mut self, v: &[&str]) {
        self.text(&array_literal(v));
    }
    fn json(&mut self, v: &serde_json::Value) {
        self.text(&v.to_string())
    }
    fn bytes(&mut self, v: &[u8]) {
        use std::fmt::Write;
        let mut hex = String::with_capacity(2 + v.len() * 2);
        hex.push_str("\\x");
        for b in v {
            write!(hex, "{b:02x}").expect("writing to a String cannot fail");
        }
        self.text(&hex);
    }
}

/// A row fetched from either backend.
pub(crate) enum DbRow {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

/// What a [`ColumnReader`] reads from.
enum Source<'r> {
    Db(&'r DbRow),
    /// A row SQLite sent as JSON ([`super::json_rows`]): its values in column order.
    Cells {
        columns: &'static [&'static str],
        values: &'r [JsonCell<'r>],
    },
}

/// Reads one row's columns in order, turning bad stored values into typed errors.
pub struct ColumnReader<'r> {
    row: Source<'r>,
    next: usize,
}

macro_rules! get {
    ($self:ident, $t:ty) => {{
        let i = $self.next;
        $self.next += 1;
        let v: Result<$t> = match $self.row {
            Source::Db(DbRow::Sqlite(r)) => r.try_get(i).map_err(Error::from),
            Source::Db(DbRow::Postgres(r)) => r.try_get(i).map_err(Error::from),
            Source::Cells { values, .. } => values
                .get(i)
                .and_then(<$t as FromCell>::from_cell)
                .ok_or_else(|| Error::corrupt(&$self.column_name(i), concat!("not a ", stringify!($t)))),
        };
        v
    }};
}

impl<'r> ColumnReader<'r> {
    pub(crate) fn new(row: &'r DbRow) -> Self {
        Self { row: Source::Db(row), next: 0 }
    }

    /// Reads a row SQLite sent as JSON, whose values are those of `columns`.
    pub(crate) fn cells(columns: &'static [&'static str], values: &'r [JsonCell<'r>]) -> Self {
        Self { row: Source::Cells { columns, values }, next: 0 }
    }

    /// The next column's text on SQLite, read in place from a JSON cell.
    fn sqlite_text(&mut self) -> Result<Option<std::borrow::Cow<'r, str>>> {
        let Source::Cells { values, .. } = self.row else {
            return Ok(get!(self, Option<String>)?.map(std::borrow::Cow::Owned));
        };
        let i = self.next;
        self.next += 1;
        match values.get(i) {
            Some(JsonCell::Null) => Ok(None),
            Some(JsonCell::Text(s)) => Ok(Some(std::borrow::Cow::Borrowed(s.as_ref()))),
            _ => Err(Error::corrupt(&self.column_name(i), "not text")),
        }
    }

    fn column_name(&self, i: usize) -> String {
        use sqlx::Column;
        match self.row {
            Source::Db(DbRow::Sqlite(r)) => r.columns().get(i).map(|c| c.name().to_owned()),
            Source::Db(DbRow::Postgres(r)) => r.columns().get(i).map(|c| c.name().to_owned()),
            Source::Cells { columns, .. } => columns.get(i).map(|c| (*c).to_owned()),
        }
        .unwrap_or_else(|| i.to_string())
    }

    pub fn text(&mut self) -> Result<String> {
        get!(self, String)
    }
    pub fn opt_text(&mut self) -> Result<Option<String>> {
        get!(self, Option<String>)
    }
    pub fn int(&mut self) -> Result<i64> {
        get!(self, i64)
    }
    pub fn opt_int(&mut self) -> Result<Option<i64>> {
        get!(self, Option<i64>)
    }
    pub fn opt_float(&mut self) -> Result<Option<f64>> {
        get!(self, Option<f64>)
    }
    pub fn bool(&mut self) -> Result<bool> {
        get!(self, bool)
    }
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        get!(self, Vec<u8>)
    }

    pub fn opt_ts(&mut self) -> Result<Option<Timestamp>> {
        let i = self.next;
        if let Source::Db(DbRow::Postgres(r)) = self.row {
            self.next += 1;
            return r.try_get::<Option<DateTime<Utc>>, _>(i).map_err(Error::from);
        }
        // SQLite keeps timestamps as RFC 3339 text.
        match self.sqlite_text()? {
            None => Ok(None),
            Some(text) => DateTime::parse_from_rfc3339(&text)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|e| Error::corrupt(&self.column_name(i), e.to_string())),
        }
    }

    pub fn ts(&mut self) -> Result<Timestamp> {
        let i = self.next;
        self.opt_ts()?.ok_or_else(|| Error::corrupt(&self.column_name(i), "unexpected NULL"))
    }

    pub fn text_list(&mut self) -> Result<Vec<String>> {
        let i = self.next;
        if let Source::Db(DbRow::Postgres(r)) = self.row {
            self.next += 1;
            return r.try_get::<Vec<String>, _>(i).map_err(Error::from);
        }
        // SQLite keeps lists as JSON text.
        let text = self.sqlite_text()?.ok_or_else(|| Error::corrupt(&self.column_name(i), "unexpected NULL"))?;
        serde_json::from_str(&text).map_err(|e| Error::corrupt(&self.column_name(i), e.to_string()))
    }

    pub fn opt_json(&mut self) -> Result<Option<serde_json::Value>> {
        get!(self, Option<sqlx::types::Json<serde_json::Value>>).map(|j| j.map(|j| j.0))
    }

    pub fn json(&mut self) -> Result<serde_json::Value> {
        get!(self, sqlx::types::Json<serde_json::Value>).map(|j| j.0)
    }

    /// Reads a text column and parses it into a domain type.
    pub fn parsed<T>(&mut self, parse: impl FnOnce(&str) -> Result<T>) -> Result<T> {
        let i = self.next;
        let text = self.text()?;
        parse(&text).map_err(|e| Error::corrupt(&self.column_name(i), e.to_string()))
    }

    /// Reads a text column into an identifier type without copying it again.
    pub fn owned<T: TryFrom<String, Error = Error>>(&mut self) -> Result<T> {
        let i = self.next;
        let text = self.text()?;
        T::try_from(text).map_err(|e| Error::corrupt(&self.column_name(i), e.to_string()))
    }

    pub fn opt_owned<T: TryFrom<String, Error = Error>>(&mut self) -> Result<Option<T>> {
        let i = self.next;
        match self.opt_text()? {
            None => Ok(None),
            Some(text) => T::try_from(text).map(Some).map_err(|e| Error::corrupt(&self.column_name(i), e.to_string())),
        }
    }

    /// Reads a list column into identifiers without copying them again.
    pub fn owned_list<T: TryFrom<String, Error = Error>>(&mut self) -> Result<Vec<T>> {
        let i = self.next;
        self.text_list()?
            .into_iter()
            .map(|s| T::try_from(s).map_err(|e| Error::corrupt(&self.column_name(i), e.to_string())))
            .collect()
    }

    /// Reads a nullable text column and parses it when present.
    pub fn opt_parsed<T>(&mut self, parse: impl FnOnce(&str) -> Result<T>) -> Result<Option<T>> {
        let i = self.next;
        match self.opt_text()? {
            None => Ok(None),
            Some(text) => parse(&text).map(Some).map_err(|e| Error::corrupt(&self.column_name(i), e.to_string())),
        }
    }

    /// Reads a list column and parses every element.
    pub fn parsed_list<T>(&mut self, parse: impl Fn(&str) -> Result<T>) -> Result<Vec<T>> {
        let i = self.next;
        self.text_list()?
            .iter()
            .map(|s| parse(s).map_err(|e| Error::corrupt(&self.column_name(i), e.to_string())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn copy_text_escapes_and_nulls() {
        let mut w = CopyText::new();
        w.text("a\tb\\c\nd");
        w.opt_text(None);
        w.int(-7);
        w.bool(true);
        w.ts(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap());
        w.text_list(&["x", "q\"uote", "back\\slash"]);
        w.bytes(&[0, 255]);
        w.end_row();
        let line = String::from_utf8(w.buf).unwrap();
        assert_eq!(
            line,
            "a\\tb\\\\c\\nd\t\\N\t-7\tt\t2026-01-02T03:04:05.000000Z\t{\"x\",\"q\\\\\"uote\",\"back\\\\\\\\slash\"}\t\\\\x00ff\n"
        );
    }

    #[test]
    fn sqlite_timestamps_sort_as_text() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        assert_eq!(sqlite_timestamp(a), "2026-01-02T03:04:05.000000Z");
        assert!(sqlite_timestamp(a) < sqlite_timestamp(b));
    }
}
