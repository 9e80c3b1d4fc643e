//! A rate limiter keyed by upstream host, plus the hosts' own "blocked until" times.
//!
//! Two clients of the same host (two integrations on one GitHub Enterprise server)
//! share one limiter, so together they stay under its pace. When a host says its quota
//! is spent (`x-ratelimit-remaining: 0`), every request to it waits for the reset instead
//! of collecting 403s.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Per-host pacing and quota blocks. Share one `Arc<HostLimiter>` between clients.
#[derive(Debug)]
pub struct HostLimiter {
    pace: DefaultKeyedRateLimiter<String>,
    blocked: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl HostLimiter {
    /// At most `per_second` requests per second to each host (bursts of as many).
    pub fn new(per_second: u32) -> Self {
        let n = NonZeroU32::new(per_second.max(1)).expect("at least one");
        Self { pace: RateLimiter::keyed(Quota::per_second(n)), blocked: Mutex::new(HashMap::new()) }
    }

    /// Waits for the host's pace; returns how long that took.
    pub(crate) async fn pace(&self, host: &str) -> Duration {
        let started = std::time::Instant::now();
        self.pace.until_key_ready(&host.to_owned()).await;
        started.elapsed()
    }

    /// Records that the host accepts nothing before `until`.
    pub(crate) fn block(&self, host: &str, until: DateTime<Utc>) {
        let mut blocked = self.blocked.lock().expect("limiter lock");
        let entry = blocked.entry(host.to_owned()).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }

    /// Until when the host is blocked, if it is.
    pub(crate) fn blocked_until(&self, host: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut blocked = self.blocked.lock().expect("limiter lock");
        match blocked.get(host) {
            Some(until) if *until > now => Some(*until),
            Some(_) => {
                blocked.remove(host);
                None
            }
            None => None,
        }
    }
}
