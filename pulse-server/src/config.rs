//! What a server is started with. The CLI (`pulse serve`) and tests build it.

use std::net::SocketAddr;
use std::time::Duration;

use crate::auth::JwtKeys;

/// Everything a server needs besides its store.
#[derive(Clone)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free one (tests).
    pub addr: SocketAddr,
    /// Signs and checks access tokens.
    pub jwt: JwtKeys,
    /// How long an access token is valid.
    pub access_ttl: Duration,
    /// How long a refresh token is valid (each refresh issues a new one).
    pub refresh_ttl: Duration,
    /// How long an invitation to set a password is valid.
    pub invite_ttl: Duration,
    /// `redis://…`: shared metric cache and progress fan-out across server instances.
    pub redis_url: Option<String>,
    /// Names this installation in Redis keys and channels (instances of one installation
    /// share it; installations sharing a Redis must differ). The CLI derives it from the
    /// database URL.
    pub redis_namespace: String,
    /// How long a client's data version is trusted before it is read again (changes
    /// landed through any instance are announced at once; this bounds the others).
    pub data_version_freshness: Duration,
    /// How often the `pulse_dora_*` gauges of `/metrics` are recomputed; `None` never.
    pub dora_gauge_interval: Option<Duration>,
    /// How often readiness (database, Redis) is checked for the gRPC health service.
    pub health_interval: Duration,
    /// Origins allowed by CORS; empty allows none (same-origin only).
    pub cors_origins: Vec<String>,
    /// Requests per second per client (burst of twice as many); 0 disables the limit.
    pub rate_limit_per_client: u32,
    /// Job workers run inside the server process.
    pub workers: usize,
    /// The operator's token for the cross-client endpoint (creating clients); `None`
    /// disables that endpoint.
    pub operator_token: Option<String>,
    /// How long graceful shutdown waits for running requests.
    pub shutdown_grace: Duration,
    /// Seals integration credentials (`PULSE_SECRET_KEY`); without it integrations cannot
    /// be added over the API and in-process workers cannot sync.
    pub secret_key: Option<pulse_connectors::SecretKey>,
}

impl ServerConfig {
    /// A configuration for `addr` with the given signing secret and defaults for the rest.
    pub fn new(addr: SocketAddr, jwt: JwtKeys) -> Self {
        Self {
            addr,
            jwt,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            invite_ttl: Duration::from_secs(7 * 24 * 3600),
            data_version_freshness: crate::api::versions::FRESHNESS,
            dora_gauge_interval: Some(Duration::from_secs(60)),
            health_interval: Duration::from_secs(5),
            redis_url: None,
            redis_namespace: "default".into(),
            cors_origins: Vec::new(),
            rate_limit_per_client: 0,
            workers: 0,
            operator_token: None,
            shutdown_grace: Duration::from_secs(20),
            secret_key: None,
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out of logs.
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("redis", &self.redis_url.is_some())
            .field("cors_origins", &self.cors_origins)
            .field("rate_limit_per_client", &self.rate_limit_per_client)
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}
