//! The crate's one error type.

use chrono::{DateTime, Utc};

/// Everything that can go wrong while fetching, extracting or landing data.
///
/// Messages name the endpoint (method and path, never the query string or a header) and
/// what the upstream said; tokens and credentials never appear in them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The upstream answered with an error status that retrying does not fix (or the
    /// retries ran out). `message` is the upstream's own explanation when it gave one.
    #[error("{endpoint}: HTTP {status}: {message}")]
    Status { endpoint: String, status: u16, message: String },

    /// A rate limit would keep us waiting longer than the configured maximum; the job
    /// should be retried after `until`.
    #[error("{host}: rate limited until {until} ({kind})")]
    RateLimited { host: String, until: DateTime<Utc>, kind: &'static str },

    /// The request did not complete within the timeout, on every attempt.
    #[error("{endpoint}: timed out after {attempts} attempt(s)")]
    Timeout { endpoint: String, attempts: u32 },

    /// The connection failed (refused, reset, body cut short), on every attempt.
    #[error("{endpoint}: network error after {attempts} attempt(s): {reason}")]
    Network { endpoint: String, attempts: u32, reason: String },

    /// The body was not what the endpoint documents (not JSON, truncated, wrong shape).
    #[error("{endpoint}: malformed response: {reason}")]
    Malformed { endpoint: String, reason: String },

    /// A GraphQL query came back with errors.
    #[error("{endpoint}: GraphQL error: {message}")]
    GraphQl { endpoint: String, message: String },

    /// A stored raw payload could not be extracted.
    #[error("raw payload {stream}/{key}: {reason}")]
    Extract { stream: String, key: String, reason: String },

    /// No key to seal or unseal credentials with.
    #[error(
        "no secret key: set PULSE_SECRET_KEY to 64 hex digits (e.g. `openssl rand -hex 32`) \
         or PULSE_SECRET_KEY_FILE to a file holding them"
    )]
    MissingSecretKey,

    /// The secret key is present but unusable.
    #[error("invalid secret key ({origin}): {reason}")]
    InvalidSecretKey { origin: String, reason: &'static str },

    /// Sealed credentials could not be opened: another key, another client, or damage.
    #[error("the credentials of integration `{integration}` cannot be decrypted with this secret key")]
    Unseal { integration: String },

    /// An integration's configuration is unusable.
    #[error("integration `{integration}`: {reason}")]
    Config { integration: String, reason: String },

    /// A base URL that is not an absolute http(s) URL.
    #[error("{url:?} is not an http(s) URL")]
    InvalidUrl { url: String },

    /// A pagination link to another host: credentials never leave their host.
    #[error("refusing to follow a link to another host ({host})")]
    ForeignLink { host: String },

    /// The HTTP client could not be set up (TLS).
    #[error("cannot set up the HTTP client: {reason}")]
    Client { reason: String },

    /// A stream name the connector does not know.
    #[error("unknown stream `{stream}`")]
    UnknownStream { stream: String },

    /// Storage failed; nothing of the page was written.
    #[error(transparent)]
    Store(#[from] pulse_core::Error),
}

impl Error {
    pub(crate) fn malformed(endpoint: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::Malformed { endpoint: endpoint.into(), reason: reason.to_string() }
    }

    pub(crate) fn extract(stream: &str, key: &str, reason: impl std::fmt::Display) -> Self {
        Error::Extract { stream: stream.to_owned(), key: key.to_owned(), reason: reason.to_string() }
    }

    /// Whether the user must fix something (the secret key, an integration's settings)
    /// before retrying makes sense.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Error::MissingSecretKey
                | Error::InvalidSecretKey { .. }
                | Error::Unseal { .. }
                | Error::Config { .. }
                | Error::InvalidUrl { .. }
        )
    }

    /// Whether a later retry of the whole job may succeed (rate limits, outages).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Network { .. } => true,
            Error::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
