//! The cursor every GitHub stream keeps (stored as JSON in `sync_cursors`).

use pulse_core::model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::connector::Cursor;

/// Where a stream stands. Between syncs only `hwm` (and the conditional-request tag, and
/// the open pull requests) matter; during a pass, `pass` says where to continue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct StreamCursor {
    /// High-water mark: the newest update time landed by a finished pass. The next pass
    /// fetches what changed since (inclusive, so a boundary item is fetched again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hwm: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<Pass>,
    /// `(url, etag)` of the last first page, for a conditional request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<(String, String)>,
    /// Pull requests last seen open: re-checked until closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open: Vec<i64>,
    /// Open pull requests this pass did not see, still to re-check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recheck: Vec<i64>,
}

/// A pass in progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pass {
    /// The GraphQL `endCursor` or the REST `next` link to continue from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The newest update time seen so far in this pass: the next `hwm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<Timestamp>,
    /// Open pull requests from before the pass that it has not seen yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unseen_open: Vec<i64>,
}

impl StreamCursor {
    pub(crate) fn load(cursor: Option<&Cursor>) -> Self {
        // A cursor of an older shape restarts the stream rather than failing the sync.
        cursor.and_then(|c| serde_json::from_value(c.clone()).ok()).unwrap_or_default()
    }

    pub(crate) fn save(&self) -> Cursor {
        serde_json::to_value(self).expect("cursor serializes")
    }

    pub(crate) fn raise_top(pass: &mut Pass, t: Timestamp) {
        if pass.top.is_none_or(|top| t > top) {
            pass.top = Some(t);
        }
    }

    /// Ends the pass: its newest update becomes the high-water mark.
    pub(crate) fn finish_pass(&mut self) {
        if let Some(pass) = self.pass.take()
            && let Some(top) = pass.top
            && self.hwm.is_none_or(|h| top > h)
        {
            self.hwm = Some(top);
        }
    }
}
