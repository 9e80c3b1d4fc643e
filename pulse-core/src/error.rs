//! The crate's one error type.

use crate::import::ImportError;

/// Everything that can go wrong in `pulse-core`.
///
/// Messages never contain SQL, connection strings or credentials: storage failures are
/// summarised by [`StorageFailure`], and the driver error stays reachable only as the
/// `source()` for logs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value given at a boundary (CLI flag, API field, file) did not parse.
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },

    /// The record does not exist for this client (or belongs to another client: the two
    /// cases are indistinguishable on purpose).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },

    /// The record would collide with an existing one.
    #[error("{entity} already exists")]
    AlreadyExists { entity: &'static str },

    /// The record changed under the caller (e.g. a job is no longer in the state the
    /// caller saw); nothing was done.
    #[error("{entity} changed meanwhile: {reason}")]
    Conflict { entity: &'static str, reason: String },

    /// A credential (password, refresh token, API token) was not accepted. `reason` is
    /// for logs; a server answers every case alike so as not to help an attacker.
    #[error("not authenticated: {reason}")]
    Unauthenticated { reason: &'static str },

    /// An import was rejected; nothing was written.
    #[error(transparent)]
    Import(#[from] ImportError),

    /// The database URL names no backend Pulse supports.
    #[error("unsupported database URL scheme `{scheme}` (use sqlite://… or postgres://…)")]
    UnsupportedDatabase { scheme: String },

    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The database failed or refused the operation.
    #[error("storage error: {failure}")]
    Storage {
        failure: StorageFailure,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// What kind of storage failure happened, safe to show to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageFailure {
    /// The database could not be reached or the pool timed out; `reason` is the
    /// operating system's or the pool's word for it (no addresses or credentials).
    Unavailable { reason: String },
    /// The database rejected a statement; the SQLSTATE (or SQLite code) says why.
    Rejected { code: String },
    /// A schema migration failed.
    Migration,
    /// A stored value could not be decoded into the domain model.
    Corrupt { column: String },
    /// Anything else the driver reported.
    Other,
}

impl std::fmt::Display for StorageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unavailable { reason } => write!(f, "the database is unavailable ({reason})"),
            Self::Rejected { code } => {
                write!(f, "the database rejected the operation (code {code})")
            }
            Self::Migration => f.write_str("applying the schema migrations failed"),
            Self::Corrupt { column } => write!(f, "stored value in column `{column}` is not valid"),
            Self::Other => f.write_str("the database driver failed"),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        let failure = match &err {
            sqlx::Error::Database(db) => {
                StorageFailure::Rejected { code: db.code().map(|c| c.into_owned()).unwrap_or_else(|| "unknown".into()) }
            }
            sqlx::Error::PoolTimedOut => {
                StorageFailure::Unavailable { reason: "timed out waiting for a connection".into() }
            }
            sqlx::Error::PoolClosed => StorageFailure::Unavailable { reason: "the store was closed".into() },
            sqlx::Error::Io(e) => StorageFailure::Unavailable { reason: e.kind().to_string() },
            sqlx::Error::Tls(_) => StorageFailure::Unavailable { reason: "TLS handshake failed".into() },
            sqlx::Error::ColumnDecode { index, .. } => StorageFailure::Corrupt { column: index.clone() },
            sqlx::Error::Migrate(_) => StorageFailure::Migration,
            _ => StorageFailure::Other,
        };
        Error::Storage { failure, source: Box::new(err) }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Error::Storage { failure: StorageFailure::Migration, source: Box::new(err) }
    }
}

impl Error {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid { what, reason: reason.into() }
    }

    pub(crate) fn corrupt(column: &str, reason: impl Into<String>) -> Self {
        let reason: String = reason.into();
        Error::Storage { failure: StorageFailure::Corrupt { column: column.to_owned() }, source: reason.into() }
    }
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
