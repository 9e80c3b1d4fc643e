//! The service's errors: one enum both transports map exhaustively (REST status codes in
//! `rest::error`, gRPC status codes in `grpc::status`).

use std::time::Duration;

use pulse_core::import::ImportError;

/// Everything an API operation can answer besides success.
///
/// Messages are safe to show: no SQL, no secrets, and nothing about other clients (an
/// id of another client is "not found", exactly like an id that never existed).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials, or credentials that do not check out.
    #[error("authentication required: {reason}")]
    Unauthenticated { reason: String },
    /// The caller's role may not do this.
    #[error("your role ({role}) may not {action}")]
    Forbidden { role: &'static str, action: &'static str },
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A request field did not parse or is out of range.
    #[error("invalid {what}: {reason}")]
    Invalid { what: String, reason: String },
    /// An import was rejected; nothing was written.
    #[error(transparent)]
    Import(ImportError),
    #[error("{entity} already exists")]
    AlreadyExists { entity: &'static str },
    /// The record is not in a state that allows this (e.g. resuming a finished job).
    #[error("{reason}")]
    Conflict { reason: String },
    /// The client sent more requests than its rate allows.
    #[error("too many requests; retry in {} ms", retry_after.as_millis())]
    RateLimited { retry_after: Duration },
    /// A dependency (database, Redis, an upstream API) is unavailable.
    #[error("service unavailable: {reason}")]
    Unavailable { reason: String },
    /// A bug or an unexpected failure; details are in the server log only.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// A stable machine-readable code, the same over REST and gRPC.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated { .. } => "unauthenticated",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::Invalid { .. } => "invalid_argument",
            ApiError::Import(_) => "invalid_import",
            ApiError::AlreadyExists { .. } => "already_exists",
            ApiError::Conflict { .. } => "conflict",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal => "internal",
        }
    }

    pub fn unauthenticated(reason: impl Into<String>) -> Self {
        ApiError::Unauthenticated { reason: reason.into() }
    }

    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::Invalid { what: what.into(), reason: reason.into() }
    }
}

impl From<pulse_core::Error> for ApiError {
    fn from(e: pulse_core::Error) -> Self {
        use pulse_core::Error as Core;
        match e {
            Core::Invalid { what, reason } => ApiError::Invalid { what: what.into(), reason },
            Core::NotFound { entity } => ApiError::NotFound { entity },
            Core::AlreadyExists { entity } => ApiError::AlreadyExists { entity },
            Core::Conflict { entity, reason } => ApiError::Conflict { reason: format!("{entity}: {reason}") },
            Core::Import(e) => ApiError::Import(e),
            Core::Unauthenticated { reason } => ApiError::Unauthenticated { reason: reason.into() },
            Core::Storage { failure: pulse_core::error::StorageFailure::Unavailable { .. }, .. } => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::Unavailable { reason: "the database is unavailable".into() }
            }
            Core::UnsupportedDatabase { .. } | Core::Io { .. } | Core::Storage { .. } => {
                tracing::error!(error = %e, source = ?std::error::Error::source(&e), "internal error");
                ApiError::Internal
            }
        }
    }
}

impl From<pulse_jobs::Error> for ApiError {
    fn from(e: pulse_jobs::Error) -> Self {
        match e {
            pulse_jobs::Error::Core(e) => e.into(),
            pulse_jobs::Error::IllegalTransition { .. } => ApiError::Conflict { reason: e.to_string() },
            pulse_jobs::Error::Cron { .. } => ApiError::Invalid { what: "schedule".into(), reason: e.to_string() },
            pulse_jobs::Error::Connector(e) => e.into(),
        }
    }
}

impl From<pulse_connectors::Error> for ApiError {
    fn from(e: pulse_connectors::Error) -> Self {
        if e.is_configuration() {
            ApiError::Invalid { what: "integration".into(), reason: e.to_string() }
        } else {
            tracing::warn!(error = %e, "upstream failure");
            ApiError::Unavailable { reason: e.to_string() }
        }
    }
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;
