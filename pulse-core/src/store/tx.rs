//! A client-scoped transaction and the statement plumbing under it.

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, Postgres, Sqlite};

use super::codec::{Args, ColumnReader, ColumnWriter, DbRow};
use super::json_rows::JsonCell;
use super::{Backend, Pool, Record, Store, Stored};
use crate::error::{Error, Result};
use crate::ids::ClientId;

pub(crate) enum Mode {
    Read,
    Write,
}

/// A database transaction on either backend, with no tenant attached. Only the
/// client-independent parts of the schema (the clients table) use it directly.
pub(crate) enum Inner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Inner {
    pub(crate) async fn begin_global(store: &Store) -> Result<Self> {
        Ok(match store.pool() {
            Pool::Sqlite(p) => Inner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => Inner::Postgres(p.begin().await?),
        })
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Inner::Sqlite(tx) => tx.commit().await?,
            Inner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    // The SQL passed to these helpers is assembled from this crate's static table
    // definitions only; every value travels as a bound parameter.

    pub(crate) async fn execute(&mut self, sql: &str, args: Args) -> Result<u64> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(match (self, args) {
            (Inner::Sqlite(tx), Args::Sqlite(a)) => sqlx::query_with(sql, a).execute(&mut **tx).await?.rows_affected(),
            (Inner::Postgres(tx), Args::Postgres(a)) => {
                sqlx::query_with(sql, a).execute(&mut **tx).await?.rows_affected()
            }
            _ => unreachable!("arguments are always built for the transaction's backend"),
        })
    }

    pub(crate) async fn fetch_all(&mut self, sql: &str, args: Args) -> Result<Vec<DbRow>> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(match (self, args) {
            (Inner::Sqlite(tx), Args::Sqlite(a)) => {
                sqlx::query_with(sql, a).fetch_all(&mut **tx).await?.into_iter().map(DbRow::Sqlite).collect()
            }
            (Inner::Postgres(tx), Args::Postgres(a)) => {
                sqlx::query_with(sql, a).fetch_all(&mut **tx).await?.into_iter().map(DbRow::Postgres).collect()
            }
            _ => unreachable!("arguments are always built for the transaction's backend"),
        })
    }

    pub(crate) async fn fetch_optional(&mut self, sql: &str, args: Args) -> Result<Option<DbRow>> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(match (self, args) {
            (Inner::Sqlite(tx), Args::Sqlite(a)) => {
                sqlx::query_with(sql, a).fetch_optional(&mut **tx).await?.map(DbRow::Sqlite)
            }
            (Inner::Postgres(tx), Args::Postgres(a)) => {
                sqlx::query_with(sql, a).fetch_optional(&mut **tx).await?.map(DbRow::Postgres)
            }
            _ => unreachable!("arguments are always built for the transaction's backend"),
        })
    }
}

/// A transaction bound to one client. Dropping it without [`ClientTx::commit`] rolls
/// everything back.
pub struct ClientTx {
    pub(crate) client: ClientId,
    pub(crate) inner: Inner,
    /// How this transaction writes each table it has written (PostgreSQL).
    pub(crate) table_modes: HashMap<&'static str, super::bulk::TableMode>,
    /// Whether it changed data the metrics read (commit then bumps the data version).
    pub(crate) metrics_dirty: bool,
}

impl std::fmt::Debug for ClientTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTx").field("client", &self.client).field("backend", &self.backend()).finish()
    }
}

impl ClientTx {
    pub(crate) async fn begin(store: &Store, client: ClientId, mode: Mode) -> Result<Self> {
        let inner = match store.pool() {
            Pool::Sqlite(p) => Inner::Sqlite(match mode {
                // Take the write lock up front: a deferred transaction that later upgrades
                // can fail with SQLITE_BUSY instead of waiting for the busy timeout.
                Mode::Write => p.begin_with("BEGIN IMMEDIATE").await?,
                Mode::Read => p.begin().await?,
            }),
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                // Transaction-local: the pooled connection forgets it at commit/rollback.
                sqlx::query("SELECT set_config('pulse.client_id', $1, true)")
                    .bind(client.get().to_string())
                    .execute(&mut *tx)
                    .await?;
                Inner::Postgres(tx)
            }
        };
        Ok(Self { client, inner, table_modes: HashMap::new(), metrics_dirty: false })
    }

    pub fn client_id(&self) -> ClientId {
        self.client
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend()
    }

    pub async fn commit(mut self) -> Result<()> {
        if self.metrics_dirty {
            self.bump_data_version().await?;
        }
        self.inner.commit().await
    }

    /// Notes a write to `table`, so the facts go stale if the metrics read it.
    pub(crate) fn wrote(&mut self, table: &str) {
        self.metrics_dirty |= super::facts::METRIC_SOURCES.contains(&table);
    }

    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            Inner::Sqlite(tx) => tx.rollback().await?,
            Inner::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    /// Arguments for a tenant statement: `$1` is always this transaction's client.
    pub(crate) fn scoped_args(&self) -> Args {
        let mut args = Args::for_backend(self.backend());
        args.int(self.client.get());
        args
    }

    pub(crate) async fn execute(&mut self, sql: &str, args: Args) -> Result<u64> {
        self.inner.execute(sql, args).await
    }

    pub(crate) async fn fetch_all(&mut self, sql: &str, args: Args) -> Result<Vec<DbRow>> {
        self.inner.fetch_all(sql, args).await
    }

    pub(crate) async fn fetch_optional(&mut self, sql: &str, args: Args) -> Result<Option<DbRow>> {
        self.inner.fetch_optional(sql, args).await
    }

    /// Streams the rows of `sql` through `f`, one at a time: a large read never holds
    /// every raw row and every record at once.
    pub(crate) async fn fetch_each(
        &mut self,
        sql: &str,
        args: Args,
        mut f: impl FnMut(&DbRow) -> Result<()>,
    ) -> Result<()> {
        use futures::TryStreamExt;
        let sql = AssertSqlSafe(sql.to_owned());
        match (&mut self.inner, args) {
            (Inner::Sqlite(tx), Args::Sqlite(a)) => {
                let mut rows = sqlx::query_with(sql, a).fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    f(&DbRow::Sqlite(row))?;
                }
            }
            (Inner::Postgres(tx), Args::Postgres(a)) => {
                let mut rows = sqlx::query_with(sql, a).fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    f(&DbRow::Postgres(row))?;
                }
            }
            _ => unreachable!("arguments are always built for the transaction's backend"),
        }
        Ok(())
    }

    /// Rows of `sql` (which selects [`columns`] of `R`) as records.
    pub(crate) async fn read_rows<R: Stored>(&mut self, sql: &str, args: Args) -> Result<Vec<R>> {
        let rows = self.fetch_all(sql, args).await?;
        rows.iter().map(|row| R::read(&mut ColumnReader::new(row))).collect()
    }

    /// The record with this key, if this client has it.
    pub async fn get<R: Stored>(&mut self, key: &R::Key) -> Result<Option<R>> {
        let mut args = self.scoped_args();
        R::write_key(key, &mut args);
        let row = self.fetch_optional(&R::TABLE.select_by_key_sql(), args).await?;
        row.map(|row| R::read(&mut ColumnReader::new(&row))).transpose()
    }

    /// Deletes the record with this key; `false` when this client has none.
    pub async fn delete<R: Stored>(&mut self, key: &R::Key) -> Result<bool> {
        self.wrote(R::TABLE.name);
        let mut args = self.scoped_args();
        R::write_key(key, &mut args);
        Ok(self.execute(&R::TABLE.delete_by_key_sql(), args).await? > 0)
    }

    /// Every record of this type, ordered by key.
    pub async fn list<R: Stored>(&mut self) -> Result<Vec<R>> {
        if R::JSON_READABLE && self.backend() == Backend::Sqlite {
            return self.list_sqlite_json().await;
        }
        let args = self.scoped_args();
        let mut records = Vec::new();
        self.fetch_each(&R::TABLE.select_all_sql(), args, |row| {
            records.push(R::read(&mut ColumnReader::new(row))?);
            Ok(())
        })
        .await?;
        Ok(records)
    }

    /// [`list`](Self::list) on SQLite for [`Stored::JSON_READABLE`] records: pages of rows
    /// as JSON arrays, each page after the last key of the one before.
    async fn list_sqlite_json<R: Stored>(&mut self) -> Result<Vec<R>> {
        const PAGE: usize = 50_000;
        let table = R::TABLE;
        let key_at: Vec<usize> = table
            .key
            .iter()
            .map(|k| table.columns.iter().position(|c| c == k).expect("key columns are columns"))
            .collect();
        let mut records = Vec::new();
        let mut after: Option<Vec<JsonCell<'static>>> = None;
        loop {
            let mut args = self.scoped_args();
            for value in after.iter().flatten() {
                match value {
                    JsonCell::Text(s) => args.text(s),
                    JsonCell::Int(v) => args.int(*v),
                    _ => return Err(Error::corrupt(table.name, "a key column holds neither text nor an integer")),
                }
            }
            let sql = table.sqlite_json_page_sql(after.is_some(), PAGE);
            let row = self.fetch_optional(&sql, args).await?.expect("an aggregate returns a row");
            let text = ColumnReader::new(&row).text()?;
            drop(row);
            // Decoding is most of the work: off the async threads, so that tables read
            // side by side decode on every core.
            let key_at = key_at.clone();
            let (page, last_key) = tokio::task::spawn_blocking(move || decode_json_page::<R>(&text, &key_at))
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
            let full = page.len() == PAGE;
            records.extend(page);
            if !full {
                return Ok(records);
            }
            after = last_key;
        }
    }

    /// How many records of this type the client has.
    pub async fn count<R: Record>(&mut self) -> Result<u64> {
        let args = self.scoped_args();
        let row = self.fetch_optional(&R::TABLE.count_sql(), args).await?.expect("COUNT returns a row");
        let n = ColumnReader::new(&row).int()?;
        Ok(n as u64)
    }
}

/// One page of [`ClientTx::list_sqlite_json`]: its records, and the key of the last one
/// (the values at `key_at`).
fn decode_json_page<R: Stored>(text: &str, key_at: &[usize]) -> Result<(Vec<R>, Option<Vec<JsonCell<'static>>>)> {
    let table = R::TABLE;
    let rows: Vec<Vec<JsonCell<'_>>> =
        serde_json::from_str(text).map_err(|e| Error::corrupt(table.name, e.to_string()))?;
    let last_key = rows.last().map(|last| {
        key_at
            .iter()
            .map(|&i| match last.get(i) {
                Some(JsonCell::Text(s)) => JsonCell::Text(s.clone().into_owned().into()),
                Some(JsonCell::Int(v)) => JsonCell::Int(*v),
                _ => JsonCell::Null,
            })
            .collect()
    });
    let mut records = Vec::with_capacity(rows.len());
    for values in &rows {
        records.push(R::read(&mut ColumnReader::cells(table.columns, values))?);
    }
    Ok((records, last_key))
}
