//! Counting every call, so jobs can report what a sync cost.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Live counters of one HTTP client, shared by everything that uses it.
#[derive(Debug, Default)]
pub struct ApiUsage {
    requests: AtomicU64,
    bytes: AtomicU64,
    retries: AtomicU64,
    not_modified: AtomicU64,
    rate_limit_waits: AtomicU64,
    waited_ms: AtomicU64,
    /// The last `x-ratelimit-remaining` seen, -1 before any.
    remaining: AtomicI64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UsageSnapshot {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Response body bytes received.
    pub bytes: u64,
    /// Requests repeated after a 5xx, a timeout or a network error.
    pub retries: u64,
    /// Conditional requests answered `304 Not Modified` (free of quota on GitHub).
    pub not_modified: u64,
    /// Times we waited for a rate limit (primary, secondary, 429, or the local limiter).
    pub rate_limit_waits: u64,
    /// Total time spent in those waits, in milliseconds.
    pub waited_ms: u64,
    /// The quota left at the last response that said so.
    pub remaining: Option<u64>,
}

impl UsageSnapshot {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &UsageSnapshot) -> UsageSnapshot {
        UsageSnapshot {
            requests: self.requests - earlier.requests,
            bytes: self.bytes - earlier.bytes,
            retries: self.retries - earlier.retries,
            not_modified: self.not_modified - earlier.not_modified,
            rate_limit_waits: self.rate_limit_waits - earlier.rate_limit_waits,
            waited_ms: self.waited_ms - earlier.waited_ms,
            remaining: self.remaining,
        }
    }
}

impl ApiUsage {
    pub fn new() -> Self {
        Self { remaining: AtomicI64::new(-1), ..Default::default() }
    }

    pub(crate) fn request(&self, bytes: usize) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn not_modified(&self) {
        self.not_modified.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn waited(&self, d: Duration) {
        self.rate_limit_waits.fetch_add(1, Ordering::Relaxed);
        self.waited_ms.fetch_add(d.as_millis() as u64, Ordering::Relaxed);
    }

    pub(crate) fn remaining(&self, n: u64) {
        self.remaining.store(n.min(i64::MAX as u64) as i64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> UsageSnapshot {
        let remaining = self.remaining.load(Ordering::Relaxed);
        UsageSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            not_modified: self.not_modified.load(Ordering::Relaxed),
            rate_limit_waits: self.rate_limit_waits.load(Ordering::Relaxed),
            waited_ms: self.waited_ms.load(Ordering::Relaxed),
            remaining: u64::try_from(remaining).ok(),
        }
    }
}
