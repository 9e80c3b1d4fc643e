//! How a record type maps to its table, and the SQL every table shares.

use std::fmt::Debug;
use std::hash::Hash;

use super::codec::{ColumnReader, ColumnWriter};
use crate::error::Result;

/// A table of tenant rows: `client_id` plus `columns`, unique on `(client_id, key…)`.
#[derive(Debug)]
pub struct Table {
    pub(crate) name: &'static str,
    /// Written (and read) columns after `client_id`, in [`Row::write`] order.
    pub(crate) columns: &'static [&'static str],
    /// The natural key: a prefix of `columns` would be convenient, but any subset works.
    pub(crate) key: &'static [&'static str],
}

impl Table {
    fn column_list(&self) -> String {
        self.columns.join(", ")
    }

    fn key_filter(&self) -> String {
        let mut sql = String::from("client_id = $1");
        for (i, k) in self.key.iter().enumerate() {
            sql.push_str(&format!(" AND {k} = ${}", i + 2));
        }
        sql
    }

    fn conflict_action(&self) -> String {
        let updates: Vec<String> =
            self.columns.iter().filter(|c| !self.key.contains(c)).map(|c| format!("{c} = excluded.{c}")).collect();
        let key = self.key.join(", ");
        if updates.is_empty() {
            format!("ON CONFLICT (client_id, {key}) DO NOTHING")
        } else {
            format!("ON CONFLICT (client_id, {key}) DO UPDATE SET {}", updates.join(", "))
        }
    }

    pub(crate) fn select_by_key_sql(&self) -> String {
        format!("SELECT {} FROM {} WHERE {}", self.column_list(), self.name, self.key_filter())
    }

    pub(crate) fn select_all_sql(&self) -> String {
        format!(
            "SELECT {} FROM {} WHERE client_id = $1 ORDER BY {}",
            self.column_list(),
            self.name,
            self.key.join(", ")
        )
    }

    /// SQLite: up to `limit` rows of the client as one JSON array of arrays (the columns
    /// in order), ordered by key, after the key bound to `$2…` when `after` (keyset paging).
    pub(crate) fn sqlite_json_page_sql(&self, after: bool, limit: usize) -> String {
        let key = self.key.join(", ");
        let mut filter = String::from("client_id = $1");
        if after {
            let params: Vec<String> = (0..self.key.len()).map(|i| format!("${}", i + 2)).collect();
            filter.push_str(&format!(" AND ({key}) > ({})", params.join(", ")));
        }
        format!(
            "SELECT json_group_array(json_array({columns}) ORDER BY {key}) FROM \
             (SELECT {columns} FROM {table} WHERE {filter} ORDER BY {key} LIMIT {limit})",
            columns = self.column_list(),
            table = self.name,
        )
    }

    pub(crate) fn delete_by_key_sql(&self) -> String {
        format!("DELETE FROM {} WHERE {}", self.name, self.key_filter())
    }

    /// PostgreSQL: inserts the relation `batch` (the table's columns), either plainly
    /// or, with `upsert`, updating rows whose key exists (`ON CONFLICT … DO UPDATE`).
    pub(crate) fn pg_insert_sql(&self, batch: &str, upsert: bool) -> String {
        let values: Vec<String> = self.columns.iter().map(|c| format!("b.{c}")).collect();
        let mut sql = format!(
            "INSERT INTO {} (client_id, {}) SELECT $1, {} FROM ({batch}) AS b",
            self.name,
            self.column_list(),
            values.join(", ")
        );
        if upsert {
            sql.push(' ');
            sql.push_str(&self.conflict_action());
        }
        sql
    }

    /// PostgreSQL: whether the client has any row in the table.
    pub(crate) fn pg_any_row_sql(&self) -> String {
        format!("SELECT EXISTS (SELECT 1 FROM {} WHERE client_id = $1)", self.name)
    }

    pub(crate) fn count_sql(&self) -> String {
        format!("SELECT COUNT(*) FROM {} WHERE client_id = $1", self.name)
    }

    /// A multi-row upsert for SQLite with `rows` value tuples, `client_id` first in each.
    /// Placeholders are anonymous `?`: sqlx asks SQLite for every parameter's name, a
    /// lookup that walks the statement's list of named parameters, so thousands of `$n`
    /// made binding quadratic (it was 80 % of a bulk load).
    pub(crate) fn sqlite_upsert_sql(&self, rows: usize) -> String {
        let width = self.columns.len() + 1;
        let mut sql = format!("INSERT INTO {} (client_id, {}) VALUES ", self.name, self.column_list());
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push('?');
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(&self.conflict_action());
        sql
    }
}

pub(crate) mod sealed {
    use super::*;

    /// The storage mapping of a record type. Sealed: only this crate's model types are
    /// records, so every table's SQL is known here.
    pub trait Row: Sized + Send + Sync + 'static {
        const TABLE: &'static Table;
        /// Writes every column of `TABLE.columns`, in order.
        fn write<W: ColumnWriter>(&self, w: &mut W);
    }
}

/// A record that can be bulk-upserted for a client: the same record twice is one row,
/// and the last write wins by key.
pub trait Record: sealed::Row {
    /// What identifies a record within a client.
    type Key: Eq + Hash + Clone + Debug + Send + Sync;

    fn key(&self) -> Self::Key;

    #[doc(hidden)]
    fn write_key<W: ColumnWriter>(key: &Self::Key, w: &mut W);
}

/// A record that can also be read back, looked up by key and deleted.
pub trait Stored: Record {
    /// Every column is text, an integer or a boolean (no REAL, whose JSON form is rounded
    /// to 15 digits, and no BLOB, which JSON cannot carry), so SQLite can hand many rows
    /// over at once as one JSON array. Reading a big table that way is several times
    /// faster than row by row through sqlx, which passes each row between threads.
    #[doc(hidden)]
    const JSON_READABLE: bool = false;

    #[doc(hidden)]
    fn read(r: &mut ColumnReader<'_>) -> Result<Self>;
}
