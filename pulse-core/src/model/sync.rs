use serde::Serialize;

use super::Timestamp;
use crate::ids::IntegrationId;

/// Where one stream of an integration's sync stands: the connector's resumable cursor.
///
/// The connectors land it in the same transaction as the page it follows, so a sync that
/// stops anywhere resumes after the last landed page, neither losing nor repeating one.
/// The cursor's shape belongs to the connector (a page token, a high-water mark, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncCursor {
    pub integration_id: IntegrationId,
    /// The stream's name, e.g. `github:pull_requests:owner/name`.
    pub stream: String,
    pub cursor: serde_json::Value,
    pub updated_at: Timestamp,
}
