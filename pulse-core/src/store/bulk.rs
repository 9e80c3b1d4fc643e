//! Batched, idempotent upserts.
//!
//! SQLite: multi-row `INSERT … ON CONFLICT DO UPDATE` statements, prepared once per
//! shape and reused, inside the caller's transaction.
//!
//! PostgreSQL: each batch travels as one array per column (binary, so the server parses
//! no text) into `INSERT … SELECT … FROM UNNEST(…)`: a plain insert on a first load into a
//! table where the client has no rows, `ON CONFLICT DO UPDATE` otherwise. `COPY` cannot
//! be used: PostgreSQL refuses `COPY FROM` into tables with row-level security to the
//! ordinary role the application runs as. The load benchmark compares this with a raw
//! `COPY` by a superuser ([`ClientTx::copy_new`]).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use super::arrays::ColumnArrays;
use super::codec::{ColumnWriter, CopyText};
use super::tx::{ClientTx, Inner};
use super::{Record, Table};
use crate::error::Result;

/// Rows per PostgreSQL statement (and per `copy_new` chunk).
const PG_BATCH_ROWS: usize = 20_000;
/// Rows per SQLite batch (several statements).
const SQLITE_BATCH_ROWS: usize = 5_000;
/// Bound parameters per SQLite statement (its limit is 32,766).
const SQLITE_MAX_PARAMS: usize = 32_000;
/// Value tuples per SQLite statement; more barely helps and costs prepare time.
const SQLITE_MAX_ROWS_PER_STATEMENT: usize = 256;

impl ClientTx {
    /// Inserts or updates `rows` by key. Within the call the last record of a key wins,
    /// as it would with one statement per record. Returns how many distinct records were
    /// written (after collapsing repeated keys).
    ///
    /// On PostgreSQL the first write to a table takes a transaction-level advisory lock
    /// on (client, table): shared for ordinary upserts, exclusive for a first load into an
    /// empty table (see `pg_table_mode`).
    pub async fn upsert<R: Record>(&mut self, rows: &[R]) -> Result<u64> {
        let batch = match self.inner {
            Inner::Sqlite(_) => SQLITE_BATCH_ROWS,
            Inner::Postgres(_) => PG_BATCH_ROWS,
        };
        if !rows.is_empty() {
            self.wrote(R::TABLE.name);
        }
        let mut written = 0;
        for chunk in rows.chunks(batch) {
            let unique = last_per_key(chunk);
            match self.inner {
                Inner::Sqlite(_) => self.sqlite_upsert(&unique).await?,
                Inner::Postgres(_) => self.pg_upsert(&unique).await?,
            }
            written += unique.len() as u64;
        }
        Ok(written)
    }

    async fn sqlite_upsert<R: Record>(&mut self, rows: &[&R]) -> Result<()> {
        let width = R::TABLE.columns.len() + 1;
        let per_statement = (SQLITE_MAX_PARAMS / width).clamp(1, SQLITE_MAX_ROWS_PER_STATEMENT);
        for group in rows.chunks(per_statement) {
            let sql = R::TABLE.sqlite_upsert_sql(group.len());
            let mut args = super::codec::Args::for_backend(self.backend());
            for row in group {
                args.int(self.client.get());
                row.write(&mut args);
            }
            self.execute(&sql, args).await?;
        }
        Ok(())
    }

    async fn pg_upsert<R: Record>(&mut self, rows: &[&R]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let table = R::TABLE;
        if !self.table_modes.contains_key(table.name) {
            let mode = self.pg_table_mode(table).await?;
            self.table_modes.insert(table.name, mode);
        }
        let upsert = match self.table_modes.get_mut(table.name) {
            Some(TableMode::Fresh(written)) => {
                let hashes: Vec<u64> = rows.iter().map(|r| key_hash(&r.key())).collect();
                let seen = hashes.iter().any(|h| written.contains(h));
                written.extend(hashes);
                // A key this transaction wrote before needs the upsert; false positives
                // of the hash only cost the slower statement.
                seen
            }
            _ => true,
        };
        let mut arrays = ColumnArrays::new();
        for row in rows {
            row.write(&mut arrays);
            arrays.end_row();
        }
        let sql = table.pg_insert_sql(&arrays.select_sql(table.columns), upsert);
        let mut args = self.scoped_args();
        let super::codec::Args::Postgres(pg) = &mut args else { unreachable!("checked by the caller") };
        arrays.bind(pg);
        self.execute(&sql, args).await?;
        Ok(())
    }

    /// Decides, once per transaction and table, how to write the client's rows.
    ///
    /// `INSERT … ON CONFLICT` costs a third more than a plain insert (speculative
    /// insertion), and a first load (an initial sync or import) has nothing to conflict
    /// with. Writers of one (client, table) coordinate with an advisory lock: a writer that
    /// gets it exclusively and finds the client's part of the table empty inserts plainly
    /// (tracking its own keys, the only possible conflicts), holding the lock to commit;
    /// everyone else upserts under a shared lock, so incremental writers run side by side
    /// and no plain insert can meet a key committed behind its back. Nobody waits for the
    /// exclusive lock, so the locks cannot deadlock among themselves.
    async fn pg_table_mode(&mut self, table: &Table) -> Result<TableMode> {
        let exclusive = self.pg_flag("SELECT pg_try_advisory_xact_lock(hashtextextended($2, $1))", table).await?;
        if exclusive {
            let any = self.pg_flag(&table.pg_any_row_sql(), table).await?;
            return Ok(if any { TableMode::Upsert } else { TableMode::Fresh(HashSet::new()) });
        }
        let mut args = self.scoped_args();
        args.text(table.name);
        self.execute("SELECT pg_advisory_xact_lock_shared(hashtextextended($2, $1))", args).await?;
        Ok(TableMode::Upsert)
    }

    async fn pg_flag(&mut self, sql: &str, table: &Table) -> Result<bool> {
        let mut args = self.scoped_args();
        if sql.contains("$2") {
            args.text(table.name);
        }
        let row = self.fetch_optional(sql, args).await?.expect("SELECT of one value returns a row");
        super::codec::ColumnReader::new(&row).bool()
    }
}

/// How a PostgreSQL transaction writes one table; see `pg_table_mode`.
pub(crate) enum TableMode {
    /// The client had no rows in the table: plain inserts, unless a batch repeats a key
    /// (by hash) this transaction already wrote.
    Fresh(HashSet<u64>),
    /// `INSERT … ON CONFLICT DO UPDATE`.
    Upsert,
}

fn key_hash<K: Hash>(key: &K) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// The rows of `chunk` that are the last of their key, in their original order.
fn last_per_key<R: Record>(chunk: &[R]) -> Vec<&R> {
    let mut last: HashMap<R::Key, usize> = HashMap::with_capacity(chunk.len());
    for (i, row) in chunk.iter().enumerate() {
        last.insert(row.key(), i);
    }
    if last.len() == chunk.len() {
        return chunk.iter().collect();
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| &chunk[i]).collect()
}

impl ClientTx {
    /// PostgreSQL only: appends `rows` with one plain `COPY` into the table, without
    /// staging or upsert semantics, so it fails if a key already exists. This is the
    /// physical lower bound that the load benchmark compares [`ClientTx::upsert`] with.
    pub async fn copy_new<R: Record>(&mut self, rows: &[R]) -> Result<u64> {
        let Inner::Postgres(tx) = &mut self.inner else {
            return Err(crate::Error::invalid("backend", "copy_new needs PostgreSQL"));
        };
        let table = R::TABLE;
        let sql = format!("COPY {} (client_id, {}) FROM STDIN", table.name, table.columns.join(", "));
        let mut stream = tx.copy_in_raw(&sql).await?;
        for chunk in rows.chunks(PG_BATCH_ROWS) {
            let mut copy = CopyText::new();
            for row in chunk {
                copy.int(self.client.get());
                row.write(&mut copy);
                copy.end_row();
            }
            stream.send(copy.buf).await?;
        }
        Ok(stream.finish().await?)
    }
}
