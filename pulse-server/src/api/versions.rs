//! Each client's data version, remembered for a moment.
//!
//! Cached metric answers are keyed by the data version, so a new version (a sync or
//! import landed) misses the cache by construction. Reading the version costs a
//! database round trip; remembering it for [`FRESHNESS`] keeps that off the hot path.
//! Changes landed through this server (imports, in-process jobs) forget the memo at
//! once, and other instances hear of them through the Redis fan-out; a change landed
//! by a separate process (a CLI import) is seen within [`FRESHNESS`] (configurable).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pulse_core::ClientStore;
use pulse_core::ids::ClientId;

use super::error::Result;

/// The default of `ServerConfig::data_version_freshness`.
pub const FRESHNESS: Duration = Duration::from_secs(1);

pub(crate) struct DataVersions {
    memo: Mutex<HashMap<ClientId, (i64, Instant)>>,
    freshness: Duration,
}

impl DataVersions {
    pub(crate) fn new(freshness: Duration) -> Self {
        Self { memo: Mutex::default(), freshness }
    }

    pub(crate) async fn current(&self, client: &ClientStore) -> Result<i64> {
        if let Some(&(version, at)) = self.memo.lock().unwrap_or_else(|e| e.into_inner()).get(&client.id())
            && at.elapsed() < self.freshness
        {
            return Ok(version);
        }
        let mut tx = client.begin_read().await?;
        let version = tx.facts_state().await?.data_version;
        tx.commit().await?;
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).insert(client.id(), (version, Instant::now()));
        Ok(version)
    }

    pub(crate) fn forget(&self, client: ClientId) {
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).remove(&client);
    }
}
