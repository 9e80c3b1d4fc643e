//! The transport-neutral service: every operation the REST and gRPC APIs offer, once.
//!
//! Each method takes the caller's [`Principal`] first. The client an operation works
//! on is always `principal.client`: no request field can name another client, so a
//! handler cannot be tricked into crossing tenants, and ids of other clients simply do
//! not exist from the caller's point of view (`pulse-core` scopes every query).

mod admin;
pub(crate) mod cache;
mod error;
mod import;
mod jobs;
mod metrics;
mod session;
pub(crate) mod versions;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use pulse_core::ids::ClientId;
use pulse_core::{ClientStore, Store};
use pulse_jobs::ProgressHub;

pub use admin::{
    ClientInfo, CreatedApiToken, CreatedClient, IntegrationInfo, InvitedUser, NewApiTokenRequest, NewClientRequest,
    NewIntegrationRequest, NewUserRequest, WhoAmI,
};
pub use cache::MetricCache;
pub use error::{ApiError, Result};
pub use import::{ImportResult, MAX_IMPORT_BYTES};
pub use jobs::{JobDetail, StartJob};
pub use metrics::{CachedReport, DoraQuery, ExplainQuery, MetricQuery};
pub use session::{LoginRequest, Session};

use crate::auth::{JwtKeys, Permission, Principal};
use crate::config::ServerConfig;

/// What [`Api::readiness`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub database: bool,
    /// `None` when no Redis is configured.
    pub redis: Option<bool>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.database && self.redis != Some(false)
    }
}

/// The service. Cheap to clone; every clone shares the store, caches and hub.
#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: ServerConfig,
    hub: ProgressHub,
    /// Events of other server instances, from the Redis fan-out; kept apart from `hub`
    /// so that only this instance's own events are forwarded (no echo loops).
    remote: ProgressHub,
    /// Names this instance in the fan-out.
    instance: String,
    cache: MetricCache,
    versions: versions::DataVersions,
    limiter: Option<ClientLimiter>,
    /// Client handles by id: a handle is only opened after its client was proven to
    /// exist, and opening one costs a query.
    clients: RwLock<HashMap<ClientId, ClientStore>>,
}

impl Api {
    pub fn new(store: Store, config: ServerConfig, hub: ProgressHub, cache: MetricCache) -> Self {
        Self {
            inner: Arc::new(Inner {
                limiter: rate_limiter(config.rate_limit_per_client),
                versions: versions::DataVersions::new(config.data_version_freshness),
                store,
                config,
                hub,
                remote: ProgressHub::default(),
                instance: instance_id(),
                cache,
                clients: RwLock::default(),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn hub(&self) -> &ProgressHub {
        &self.inner.hub
    }

    /// Where the Redis fan-out delivers other instances' events.
    pub fn remote_hub(&self) -> &ProgressHub {
        &self.inner.remote
    }

    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    pub fn cache(&self) -> &MetricCache {
        &self.inner.cache
    }

    fn keys(&self) -> &JwtKeys {
        &self.inner.config.jwt
    }

    /// The handle of the caller's client. A token of a deleted client is refused.
    async fn client(&self, principal: &Principal) -> Result<ClientStore> {
        self.client_by_id(principal.client).await
    }

    /// A client's handle, from the cache of handles when it is there.
    pub(crate) async fn client_by_id(&self, id: ClientId) -> Result<ClientStore> {
        if let Some(c) = self.inner.clients.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return Ok(c.clone());
        }
        let client = match self.inner.store.client_by_id(id).await {
            Err(pulse_core::Error::NotFound { .. }) => return Err(ApiError::unauthenticated("unknown client")),
            other => other?,
        };
        self.inner.clients.write().unwrap_or_else(|e| e.into_inner()).insert(id, client.clone());
        Ok(client)
    }

    /// Replaces the cached handle of a client (its branding changed).
    fn remember_client(&self, client: ClientStore) {
        self.inner.clients.write().unwrap_or_else(|e| e.into_inner()).insert(client.id(), client);
    }

    /// Something changed this client's data (an import, a finished sync): cached answers
    /// of the old data version stop being served here at once, and other instances hear
    /// of it through Redis.
    pub async fn data_changed(&self, client: ClientId) {
        self.inner.versions.forget(client);
        self.inner.cache.announce_change(client).await;
    }

    /// Whether this instance can serve: the database answers, and Redis when one is
    /// configured (`/readyz` and the gRPC health service report it).
    pub async fn readiness(&self) -> Readiness {
        Readiness { database: self.inner.store.ping().await.is_ok(), redis: self.inner.cache.redis_ready().await }
    }

    /// Another instance announced a change (see [`MetricCache::announce_change`]).
    pub fn forget_data_version(&self, client: ClientId) {
        self.inner.versions.forget(client);
    }

    /// Authenticates a bearer credential (an access token or an API token) and admits
    /// the request under its client's rate limit.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        let principal = if bearer.starts_with("pulse_") {
            self.authenticate_api_token(bearer).await?
        } else {
            self.keys().verify_access(bearer).map_err(|e| ApiError::unauthenticated(e.to_string()))?
        };
        self.admit(&principal)?;
        Ok(principal)
    }

    /// One request of `principal`'s client against its rate; refused when over it.
    fn admit(&self, principal: &Principal) -> Result<()> {
        let Some(limiter) = &self.inner.limiter else { return Ok(()) };
        limiter.check_key(&principal.client).map_err(|not_until| {
            ::metrics::counter!("pulse_rate_limited_total", "client" => principal.client.to_string()).increment(1);
            ApiError::RateLimited {
                retry_after: not_until
                    .wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())),
            }
        })
    }
}

/// Host, process and a random part: unique among instances sharing a Redis.
fn instance_id() -> String {
    use rand::TryRng;
    let mut bytes = [0u8; 6];
    let _ = rand::rngs::SysRng.try_fill_bytes(&mut bytes);
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    let random: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{host}-{}-{random}", std::process::id())
}

type ClientLimiter = governor::DefaultKeyedRateLimiter<ClientId>;

fn rate_limiter(per_second: u32) -> Option<ClientLimiter> {
    let rate = std::num::NonZeroU32::new(per_second)?;
    let burst = rate.saturating_mul(std::num::NonZeroU32::new(2).expect("2 > 0"));
    Some(governor::RateLimiter::keyed(governor::Quota::per_second(rate).allow_burst(burst)))
}

/// Refuses `principal` unless its role grants `permission`.
fn require(principal: &Principal, permission: Permission, action: &'static str) -> Result<()> {
    if principal.may(permission) { Ok(()) } else { Err(ApiError::Forbidden { role: principal.role.as_str(), action }) }
}
