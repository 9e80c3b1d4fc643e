//! Tenant-scoped storage on SQLite (embedded default) or PostgreSQL (production).
//!
//! The API makes cross-tenant access unrepresentable: [`Store::open`] gives a [`Store`],
//! [`Store::client`] a [`ClientStore`] bound to one client, and every method of that
//! handle (and of the [`ClientTx`] it opens) puts that client's id into its SQL. There is
//! no method that takes a client id next to a query. On PostgreSQL each transaction also
//! sets `pulse.client_id`, and row-level security policies refuse any row of another
//! client even to a query that forgot its filter.

mod admin;
mod arrays;
mod auth;
mod bulk;
mod codec;
mod cursors;
mod facts;
mod jobs;
mod json_rows;
mod records;
mod table;
mod tx;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use codec::{ColumnReader, ColumnWriter};
pub use facts::FactsState;
pub use jobs::{Claim, JobChanges, JobFlags, JobQueue, JobWakeups};
pub use table::{Record, Stored, Table};
pub use tx::ClientTx;

use crate::error::{Error, Result};
use crate::ids::{ClientId, ClientSlug};
use crate::model::{Branding, Client};

/// The column list a [`Stored`] record is read from, for hand-written filters.
pub(crate) fn columns<R: Record>() -> String {
    R::TABLE.columns.join(", ")
}

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names.
    pub fn of_url(url: &str) -> Result<Self> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or(url);
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            other => Err(Error::UnsupportedDatabase { scheme: other.chars().take(20).collect() }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open database with Pulse's schema. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Arc<Pool>,
    /// Every client's current facts, shared by all handles of this store.
    facts: Arc<crate::metrics::engine::FactsCache>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects to `url` (`sqlite://path`, `postgres://…`) and applies pending migrations.
    /// A SQLite file is created when missing.
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (for `pulse migrate` and tests of migrations).
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = match Backend::of_url(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|_| Error::invalid("database URL", "not a valid sqlite:// URL"))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30));
                Pool::Sqlite(SqlitePoolOptions::new().max_connections(4).connect_with(options).await?)
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|_| Error::invalid("database URL", "not a valid postgres:// URL"))?;
                // One direct connection first: a pool only reports "timed out" after its
                // acquire timeout, while this says at once why the server is unreachable.
                sqlx::PgConnection::connect_with(&options).await?.close().await?;
                Pool::Postgres(
                    PgPoolOptions::new()
                        .max_connections(16)
                        .acquire_timeout(Duration::from_secs(30))
                        .connect_with(options)
                        .await?,
                )
            }
        };
        Ok(Self { pool: Arc::new(pool), facts: Arc::default() })
    }

    /// Applies the pending schema migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match &*self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => {
                POSTGRES_MIGRATIONS.run(p).await?;
                warn_if_rls_is_bypassed(p).await?;
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match &*self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Closes every connection; pending work finishes first.
    pub async fn close(&self) {
        match &*self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Creates a client. Fails with [`Error::AlreadyExists`] when the slug is taken.
    pub async fn create_client(&self, slug: &ClientSlug, branding: &Branding) -> Result<ClientStore> {
        let client = admin::insert_client(self, slug, branding).await?;
        Ok(ClientStore { store: self.clone(), client })
    }

    /// The handle of an existing client.
    pub async fn client(&self, slug: &ClientSlug) -> Result<ClientStore> {
        let client = admin::find_client(self, admin::ClientLookup::Slug(slug)).await?;
        Ok(ClientStore { store: self.clone(), client })
    }

    /// The handle of an existing client, by id (e.g. from a verified token).
    pub async fn client_by_id(&self, id: ClientId) -> Result<ClientStore> {
        let client = admin::find_client(self, admin::ClientLookup::Id(id)).await?;
        Ok(ClientStore { store: self.clone(), client })
    }

    /// The handle of a client, created with default branding when missing (embedded mode).
    pub async fn client_or_create(&self, slug: &ClientSlug) -> Result<ClientStore> {
        match self.client(slug).await {
            Err(Error::NotFound { .. }) => match self.create_client(slug, &Branding::named(slug.as_str())).await {
                // Another process created it in between: use theirs.
                Err(Error::AlreadyExists { .. }) => self.client(slug).await,
                other => other,
            },
            other => other,
        }
    }

    /// Every client, by slug.
    pub async fn clients(&self) -> Result<Vec<Client>> {
        admin::list_clients(self).await
    }

    /// Whether the database answers (one trivial statement; for readiness checks).
    pub async fn ping(&self) -> Result<()> {
        match self.pool() {
            Pool::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(drop)?,
            Pool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(drop)?,
        }
        Ok(())
    }
}

async fn warn_if_rls_is_bypassed(pool: &PgPool) -> Result<()> {
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(pool)
            .await?;
    if superuser || bypass {
        tracing::warn!(
            "connected as a role that bypasses row-level security; tenant isolation then rests on \
             the application filter alone. Connect as an ordinary role in production."
        );
    }
    Ok(())
}

/// Everything one client may read and write. Obtained from [`Store::client`]; every
/// method is scoped to that client.
#[derive(Debug, Clone)]
pub struct ClientStore {
    store: Store,
    client: Client,
}

impl ClientStore {
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn id(&self) -> ClientId {
        self.client.id
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Opens a write transaction: everything done through it lands together on
    /// [`ClientTx::commit`] or not at all.
    pub async fn begin(&self) -> Result<ClientTx> {
        ClientTx::begin(&self.store, self.client.id, tx::Mode::Write).await
    }

    /// Opens a read transaction (a consistent snapshot of the client's data).
    pub async fn begin_read(&self) -> Result<ClientTx> {
        ClientTx::begin(&self.store, self.client.id, tx::Mode::Read).await
    }

    pub(crate) fn facts_cache(&self) -> &crate::metrics::engine::FactsCache {
        &self.store.facts
    }

    /// Inserts or updates `rows` by key in one transaction. Returns how many rows were
    /// written after collapsing duplicate keys (the last one wins).
    pub async fn upsert<R: Record>(&self, rows: &[R]) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = tx.upsert(rows).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The record with this key, if this client has it.
    pub async fn get<R: Stored>(&self, key: &R::Key) -> Result<Option<R>> {
        let mut tx = self.begin_read().await?;
        let row = tx.get::<R>(key).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Deletes the record with this key; `false` when this client has none.
    pub async fn delete<R: Stored>(&self, key: &R::Key) -> Result<bool> {
        let mut tx = self.begin().await?;
        let deleted = tx.delete::<R>(key).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// Every record of this type, ordered by key.
    pub async fn list<R: Stored>(&self) -> Result<Vec<R>> {
        let mut tx = self.begin_read().await?;
        let rows = tx.list::<R>().await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// How many records of this type the client has.
    pub async fn count<R: Record>(&self) -> Result<u64> {
        let mut tx = self.begin_read().await?;
        let n = tx.count::<R>().await?;
        tx.commit().await?;
        Ok(n)
    }
}
