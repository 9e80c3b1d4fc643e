//! `pulse serve`: the REST and gRPC APIs on one port, with in-process job workers.

use std::net::SocketAddr;

use clap::Args;
use pulse_server::auth::JwtKeys;
use pulse_server::config::ServerConfig;
use pulse_server::server::Server;

use crate::cli::Global;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen (REST, gRPC, WebSocket, /metrics).
    #[arg(long, default_value = "0.0.0.0:8000")]
    pub addr: SocketAddr,
    /// Job workers run in this process (0: jobs run in `pulse worker` processes only).
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Redis for a metric cache shared by all instances and progress fan-out across them.
    #[arg(long, env = "PULSE_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Names this installation in Redis (default: derived from the database URL, so
    /// instances over one database share entries and other installations do not).
    #[arg(long, env = "PULSE_REDIS_NAMESPACE")]
    pub redis_namespace: Option<String>,
    /// Browser origins allowed to call the API (comma-separated).
    #[arg(long = "cors-origin", env = "PULSE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Requests per second per client (bursts of twice as many); 0 for no limit.
    #[arg(long, env = "PULSE_RATE_LIMIT", default_value_t = 200)]
    pub rate_limit: u32,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 900)]
    pub access_ttl: u64,
}

/// The signing secret from `PULSE_JWT_SECRET` (never a flag: flags show in `ps`).
fn jwt_keys() -> Result<JwtKeys> {
    match std::env::var("PULSE_JWT_SECRET") {
        Ok(secret) => {
            JwtKeys::from_secret(secret.as_bytes()).map_err(|e| Error::Usage(format!("PULSE_JWT_SECRET: {e}")))
        }
        Err(_) => {
            eprintln!(
                "warning: PULSE_JWT_SECRET is not set; using a random secret, so sessions end when the server stops"
            );
            Ok(JwtKeys::random())
        }
    }
}

/// The configuration shared by `serve` and `demo`.
pub fn config(addr: SocketAddr, keys: JwtKeys) -> ServerConfig {
    let mut config = ServerConfig::new(addr, keys);
    config.operator_token = std::env::var("PULSE_OPERATOR_TOKEN").ok().filter(|t| t.len() >= 16);
    config.secret_key = pulse_connectors::SecretKey::from_env().ok();
    config
}

pub async fn run(global: &Global, args: ServeArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    let mut config = config(args.addr, jwt_keys()?);
    config.workers = args.workers;
    config.redis_url = args.redis_url;
    config.redis_namespace = args.redis_namespace.unwrap_or_else(|| installation_name(&global.db));
    config.cors_origins = args.cors_origins;
    config.rate_limit_per_client = args.rate_limit;
    config.access_ttl = std::time::Duration::from_secs(args.access_ttl);
    if config.workers > 0 && config.secret_key.is_none() {
        eprintln!("warning: PULSE_SECRET_KEY is not set; in-process workers cannot unseal integration credentials");
    }
    let server = Server::bind(store.clone(), config).await.map_err(|e| Error::Usage(e.to_string()))?;
    eprintln!("pulse: serving REST, gRPC and WebSocket on http://{}", server.local_addr());
    server.run(super::shutdown_signal()).await.map_err(|e| Error::Usage(format!("the server failed: {e}")))?;
    store.close().await;
    Ok(())
}

/// A stable name for the database behind `url`, without its credentials: FNV-1a of
/// `scheme://host/path`, in hex. Instances of different builds must agree on it, so no
/// std hasher (their algorithm may change between Rust releases).
pub fn installation_name(url: &str) -> String {
    let without_credentials = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}{}", &url[..scheme + 3], &url[at + 1..]),
        _ => url.to_owned(),
    };
    let without_query = without_credentials.split('?').next().unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in without_query.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::installation_name;

    #[test]
    fn the_installation_name_ignores_credentials_and_options() {
        let a = installation_name("postgres://pulse:secret@db:5432/pulse?sslmode=require");
        assert_eq!(a, installation_name("postgres://other@db:5432/pulse"));
        assert_ne!(a, installation_name("postgres://pulse@db:5432/pulse2"));
        assert_eq!(a.len(), 16);
        assert!(!a.contains("secret"));
    }
}
