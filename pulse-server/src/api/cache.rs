//! Cached metric answers: in this process, and in Redis when one is configured so that
//! every server instance shares them.
//!
//! Keys hold the client, its data version and the canonical query, so a key can never
//! serve another client, and an answer computed before a sync or import landed is never
//! served after it (the version moved on). Entries expire after [`TTL`] anyway.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Bytes;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::error::{ApiError, Result};

/// How long an answer stays cached.
pub const TTL: Duration = Duration::from_secs(3600);
/// In-process entries kept at most; when full the map is cleared (answers are cheap to
/// recompute and a simple bound beats an unbounded map).
const LOCAL_CAPACITY: usize = 4096;

/// The metric cache. Cheap to clone.
#[derive(Clone, Default)]
pub struct MetricCache {
    local: std::sync::Arc<Mutex<HashMap<String, Bytes>>>,
    redis: Option<ConnectionManager>,
    /// For subscriptions, which need a connection of their own.
    client: Option<redis::Client>,
    /// Prefix of every key and channel: the installation (database) the entries belong
    /// to, so that two installations sharing a Redis never see each other's entries.
    namespace: String,
}

impl MetricCache {
    /// A cache in this process only.
    pub fn local() -> Self {
        Self { namespace: "pulse:v1".into(), ..Self::default() }
    }

    /// A cache shared through Redis at `url` (and kept in this process too), its keys and
    /// channels under `namespace`.
    pub async fn with_redis(url: &str, namespace: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(|_| ApiError::invalid("Redis URL", "not a redis:// URL"))?;
        let manager = ConnectionManager::new(client.clone()).await.map_err(|e| {
            tracing::error!(error = %e, "Redis unreachable");
            ApiError::Unavailable { reason: "Redis is unreachable".into() }
        })?;
        Ok(Self {
            local: Default::default(),
            redis: Some(manager),
            client: Some(client),
            namespace: format!("pulse:v1:{namespace}"),
        })
    }

    pub fn redis(&self) -> Option<&ConnectionManager> {
        self.redis.as_ref()
    }

    /// A key or channel name in this installation's namespace.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.namespace)
    }

    /// Where instances announce that a client's data changed.
    pub(crate) fn changes_channel(&self) -> String {
        self.name("data-changed")
    }

    pub(crate) fn redis_client(&self) -> Option<&redis::Client> {
        self.client.as_ref()
    }

    pub async fn get(&self, key: &str) -> Option<Bytes> {
        if let Some(hit) = self.local.lock().unwrap_or_else(|e| e.into_inner()).get(key) {
            return Some(hit.clone());
        }
        let mut redis = self.redis.clone()?;
        // A Redis failure degrades to a miss: the answer is computed, not refused.
        match redis.get::<_, Option<Vec<u8>>>(key).await {
            Ok(Some(bytes)) => {
                let bytes = Bytes::from(bytes);
                self.put_local(key, bytes.clone());
                Some(bytes)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "Redis GET failed");
                None
            }
        }
    }

    pub async fn put(&self, key: &str, value: Bytes) {
        self.put_local(key, value.clone());
        if let Some(mut redis) = self.redis.clone()
            && let Err(e) = redis.set_ex::<_, _, ()>(key, value.as_ref(), TTL.as_secs()).await
        {
            tracing::warn!(error = %e, "Redis SET failed");
        }
    }

    fn put_local(&self, key: &str, value: Bytes) {
        let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        if local.len() >= LOCAL_CAPACITY {
            local.clear();
        }
        local.insert(key.to_owned(), value);
    }

    /// Tells other instances that `client`'s data changed, so they stop trusting their
    /// remembered data version (nothing to do without Redis: there are no others).
    pub async fn announce_change(&self, client: pulse_core::ids::ClientId) {
        if let Some(mut redis) = self.redis.clone()
            && let Err(e) = redis.publish::<_, _, ()>(self.changes_channel(), client.get()).await
        {
            tracing::warn!(error = %e, "Redis PUBLISH failed");
        }
    }

    /// Whether Redis answers (for `/readyz`); `None` when none is configured.
    pub async fn redis_ready(&self) -> Option<bool> {
        let mut redis = self.redis.clone()?;
        Some(redis::cmd("PING").query_async::<String>(&mut redis).await.is_ok())
    }
}
