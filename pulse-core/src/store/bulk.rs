//! Batched, idempotent upserts.
//!
//! SQLite: multi-row `INSERT … ON CONFLICT DO UPDATE` statements, prepared once per
//! shape and reused, inside the caller's transaction. PostgreSQL: each batch is streamed
//! with `COPY` into a constraint-free temporary staging table, then merged with one
//! `INSERT … SELECT … ON CONFLICT DO UPDATE`; COPY is the fastest way into PostgreSQL,
//! and the merge keeps upsert semantics that a plain COPY lacks.

use std::collections::HashMap;

use super::Record;
use super::codec::{ColumnWriter, CopyText};
use super::tx::{ClientTx, Inner};
use crate::error::Result;

/// Rows per PostgreSQL COPY batch.
const PG_BATCH_ROWS: usize = 20_000;
/// Rows per SQLite batch (several statements).
const SQLITE_BATCH_ROWS: usize = 5_000;
/// Bound parameters per SQLite statement (its limit is 32,766).
const SQLITE_MAX_PARAMS: usize = 32_000;
/// Value tuples per SQLite statement; more barely helps and costs prepare time.
const SQLITE_MAX_ROWS_PER_STATEMENT: usize = 256;

impl ClientTx {
    /// Inserts or updates `rows` by key. Within the call the last record of a key wins,
    /// as it would with one statement per record. Returns the rows inserted or changed.
    pub async fn upsert<R: Record>(&mut self, rows: &[R]) -> Result<u64> {
        let batch = match self.inner {
            Inner::Sqlite(_) => SQLITE_BATCH_ROWS,
            Inner::Postgres(_) => PG_BATCH_ROWS,
        };
        let mut written = 0;
        for chunk in rows.chunks(batch) {
            let unique = last_per_key(chunk);
            written += match self.inner {
                Inner::Sqlite(_) => self.sqlite_upsert(&unique).await?,
                Inner::Postgres(_) => self.pg_upsert(&unique).await?,
            };
        }
        Ok(written)
    }

    async fn sqlite_upsert<R: Record>(&mut self, rows: &[&R]) -> Result<u64> {
        let width = R::TABLE.columns.len() + 1;
        let per_statement = (SQLITE_MAX_PARAMS / width).clamp(1, SQLITE_MAX_ROWS_PER_STATEMENT);
        let mut written = 0;
        for group in rows.chunks(per_statement) {
            let sql = R::TABLE.sqlite_upsert_sql(group.len());
            let mut args = super::codec::Args::for_backend(self.backend());
            for row in group {
                args.int(self.client.get());
                row.write(&mut args);
            }
            written += self.execute(&sql, args).await?;
        }
        Ok(written)
    }

    async fn pg_upsert<R: Record>(&mut self, rows: &[&R]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let table = R::TABLE;
        if !self.staged.contains(table.name) {
            let args = super::codec::Args::for_backend(self.backend());
            self.execute(&table.pg_create_stage_sql(), args).await?;
            self.staged.insert(table.name);
        }

        let mut copy = CopyText::new();
        for row in rows {
            row.write(&mut copy);
            copy.end_row();
        }
        let Inner::Postgres(tx) = &mut self.inner else { unreachable!("checked by the caller") };
        let mut stream = tx.copy_in_raw(&table.pg_copy_stage_sql()).await?;
        stream.send(copy.buf).await?;
        stream.finish().await?;

        let args = self.scoped_args();
        let written = self.execute(&table.pg_merge_stage_sql(), args).await?;
        let args = super::codec::Args::for_backend(self.backend());
        self.execute(&table.pg_clear_stage_sql(), args).await?;
        Ok(written)
    }
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
