use serde::Serialize;

use super::Timestamp;

/// A payload exactly as an upstream API returned it, kept so data can be re-extracted
/// (after a fix or a model change) without fetching it again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawPayload {
    /// The upstream system, e.g. `github` or `jira`.
    pub source: String,
    /// The kind of data, e.g. `pull_requests`.
    pub stream: String,
    /// What was fetched, e.g. a repository or a Jira project.
    pub scope: String,
    /// Identifies the payload within (source, stream, scope): an item id or a page cursor.
    pub key: String,
    pub fetched_at: Timestamp,
    /// The response body, verbatim.
    pub body: String,
}
