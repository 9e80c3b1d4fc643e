//! A batch of rows turned into one array per column, for PostgreSQL's
//! `INSERT … SELECT … FROM UNNEST($2::text[], $3::int8[], …)`.
//!
//! Arrays travel in PostgreSQL's binary format, so the server decodes integers and
//! timestamps without parsing text, and no staging table is needed.

use sqlx::Arguments;
use sqlx::postgres::PgArguments;

use super::codec::ColumnWriter;
use crate::model::Timestamp;

enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<bool>),
    Ts(Vec<Option<Timestamp>>),
    /// Array literals (`{"a","b"}`), cast to `text[]` per row: PostgreSQL arrays must be
    /// rectangular, so a list column cannot be a `text[][]`.
    List(Vec<String>),
    /// JSON text, cast to `jsonb` per row.
    Json(Vec<String>),
    Bytes(Vec<Vec<u8>>),
}

impl Column {
    /// The parameter's array type and how the unnested value is selected.
    fn sql(&self, param: usize, name: &str) -> (String, String) {
        let (array, select) = match self {
            Column::Text(_) => ("text[]", name.to_owned()),
            Column::Int(_) => ("int8[]", name.to_owned()),
            Column::Float(_) => ("float8[]", name.to_owned()),
            Column::Bool(_) => ("bool[]", name.to_owned()),
            Column::Ts(_) => ("timestamptz[]", name.to_owned()),
            Column::List(_) => ("text[]", format!("{name}::text[]")),
            Column::Json(_) => ("text[]", format!("{name}::jsonb")),
            Column::Bytes(_) => ("bytea[]", name.to_owned()),
        };
        (format!("${param}::{array}"), select)
    }

    fn bind(self, args: &mut PgArguments) {
        // Encoding into an in-memory buffer only fails for values the types rule out.
        let done = match self {
            Column::Text(v) => args.add(v),
            Column::Int(v) => args.add(v),
            Column::Float(v) => args.add(v),
            Column::Bool(v) => args.add(v),
            Column::Ts(v) => args.add(v),
            Column::List(v) | Column::Json(v) => args.add(v),
            Column::Bytes(v) => args.add(v),
        };
        done.expect("encode array argument");
    }
}

/// Collects rows column by column. The first row fixes each column's kind.
pub(crate) struct ColumnArrays {
    columns: Vec<Column>,
    next: usize,
    rows: usize,
}

impl ColumnArrays {
    pub(crate) fn new() -> Self {
        Self { columns: Vec::new(), next: 0, rows: 0 }
    }

    pub(crate) fn end_row(&mut self) {
        self.next = 0;
        self.rows += 1;
    }

    fn column(&mut self, make: fn() -> Column) -> &mut Column {
        if self.rows == 0 {
            self.columns.push(make());
        }
        let i = self.next;
        self.next += 1;
        &mut self.columns[i]
    }

    /// `SELECT u.c0 AS name0, … FROM UNNEST($2::…, …) AS u(c0, …)`: the batch as a
    /// relation with the table's column names. `$1` is left for the client id.
    pub(crate) fn select_sql(&self, names: &[&str]) -> String {
        let mut params = Vec::with_capacity(self.columns.len());
        let mut selects = Vec::with_capacity(self.columns.len());
        let mut aliases = Vec::with_capacity(self.columns.len());
        for (i, (column, name)) in self.columns.iter().zip(names).enumerate() {
            let (param, select) = column.sql(i + 2, &format!("u.c{i}"));
            params.push(param);
            selects.push(format!("{select} AS {name}"));
            aliases.push(format!("c{i}"));
        }
        format!("SELECT {} FROM UNNEST({}) AS u({})", selects.join(", "), params.join(", "), aliases.join(", "))
    }

    /// Binds every column after the client id.
    pub(crate) fn bind(self, args: &mut PgArguments) {
        for column in self.columns {
            column.bind(args);
        }
    }
}

macro_rules! push {
    ($self:ident, $variant:ident, $value:expr) => {
        match $self.column(|| Column::$variant(Vec::new())) {
            Column::$variant(v) => v.push($value),
            _ => unreachable!("a record writes the same kinds in the same order for every row"),
        }
    };
}

impl ColumnWriter for ColumnArrays {
    fn text(&mut self, v: &str) {
        push!(self, Text, Some(v.to_owned()))
    }
    fn opt_text(&mut self, v: Option<&str>) {
        push!(self, Text, v.map(str::to_owned))
    }
    fn int(&mut self, v: i64) {
        push!(self, Int, Some(v))
    }
    fn opt_int(&mut self, v: Option<i64>) {
        push!(self, Int, v)
    }
    fn opt_float(&mut self, v: Option<f64>) {
        push!(self, Float, v)
    }
    fn bool(&mut self, v: bool) {
        push!(self, Bool, v)
    }
    fn ts(&mut self, v: Timestamp) {
        push!(self, Ts, Some(v))
    }
    fn opt_ts(&mut self, v: Option<Timestamp>) {
        push!(self, Ts, v)
    }
    fn text_list(&mut self, v: &[&str]) {
        push!(self, List, super::codec::array_literal(v))
    }
    fn json(&mut self, v: &serde_json::Value) {
        push!(self, Json, v.to_string())
    }
    fn bytes(&mut self, v: &[u8]) {
        push!(self, Bytes, v.to_vec())
    }
}
