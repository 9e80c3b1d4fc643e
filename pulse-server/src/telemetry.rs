//! Logging, set up in one place. `PULSE_LOG` (or `RUST_LOG`) takes an env-filter
//! directive; the default shows warnings.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("PULSE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .map(EnvFilter::new)
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
