//! How the HTTP layer waits. Injectable so tests can check a 60-second `Retry-After`
//! was honoured without spending the minute.

use std::time::Duration;

#[async_trait::async_trait]
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    async fn sleep(&self, duration: Duration);
}

/// Really waits (tokio's timer).
#[derive(Debug, Default)]
pub struct TokioSleeper;

#[async_trait::async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
