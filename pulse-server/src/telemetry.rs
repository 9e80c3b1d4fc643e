//! Logging, set up in one place. `PULSE_LOG` (or `RUST_LOG`) takes an env-filter
//! directive (default: warnings, and the server's own info lines); `PULSE_LOG_FORMAT=json`
//! writes one JSON object per line, with the request id, client id and job id of the
//! spans a line was logged in.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("PULSE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .map(EnvFilter::new)
        .unwrap_or_else(|_| EnvFilter::new("warn,pulse_server=info"));
    let json = std::env::var("PULSE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).with_span_list(true).init();
    } else {
        builder.init();
    }
}
