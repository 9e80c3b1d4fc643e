//! Several server instances behind one Redis: each forwards its own progress events to
//! the others and hears their announcements that a client's data changed. A separate
//! `pulse worker` given the same Redis publishes its events and announcements too, so the
//! servers stream its progress and stop serving answers its syncs made stale.
//!
//! Channel `<namespace>:progress` carries `{origin, event}` envelopes; an instance drops
//! its own. Channel `<namespace>:data-changed` carries client ids (see `MetricCache`).
//! The namespace names the installation, so instances of another installation sharing
//! the Redis never receive these events. Redis
//! pub/sub is at-most-once: a listener that was disconnected misses events, which is
//! acceptable for live progress (the job's stored progress says where it stands).

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use pulse_core::ids::ClientId;
use pulse_jobs::ProgressEvent;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use crate::api::{Api, MetricCache};

#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: String,
    event: ProgressEvent,
}

/// Runs both directions until `stopped` completes; does nothing without Redis.
pub async fn run(api: Api, stopped: impl Future<Output = ()>) {
    let Some(client) = api.cache().redis_client().cloned() else { return stopped.await };
    let mut stopped = std::pin::pin!(stopped);
    tokio::select! {
        _ = &mut stopped => {}
        _ = forward_local_events(api.clone()) => {}
        _ = listen(api, client) => {}
    }
}

async fn forward_local_events(api: Api) {
    publish_events(api.cache(), api.hub().subscribe(), api.instance(), Announce::No).await
}

/// Whether [`publish_events`] also announces data changes (a server announces its own
/// through [`Api::data_changed`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    No,
    /// When a job lands a page or finishes, its client's data changed.
    OnPagesAndFinish,
}

/// Publishes every event of `events` on the installation's progress channel as coming
/// from `origin`, until the hub closes.
pub async fn publish_events(
    cache: &MetricCache,
    mut events: tokio::sync::broadcast::Receiver<ProgressEvent>,
    origin: &str,
    announce: Announce,
) {
    let Some(mut redis) = cache.redis().cloned() else { return };
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "progress fan-out lagged");
                continue;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let changed = event.landed_data();
        let envelope = Envelope { origin: origin.to_owned(), event };
        let payload = serde_json::to_string(&envelope).expect("events serialize");
        if let Err(e) = redis.publish::<_, _, ()>(cache.name("progress"), payload).await {
            tracing::warn!(error = %e, "Redis PUBLISH of a progress event failed");
        }
        if let (Announce::OnPagesAndFinish, Some(client)) = (announce, changed) {
            cache.announce_change(client).await;
        }
    }
}

/// Subscribes, and re-subscribes after a lost connection.
async fn listen(api: Api, client: redis::Client) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match subscribe_once(&api, &client).await {
            Ok(()) => backoff = Duration::from_millis(200),
            Err(e) => tracing::warn!(error = %e, "Redis subscription lost; reconnecting"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

async fn subscribe_once(api: &Api, client: &redis::Client) -> redis::RedisResult<()> {
    let mut pubsub = client.get_async_pubsub().await?;
    let (progress, changes) = (api.cache().name("progress"), api.cache().changes_channel());
    pubsub.subscribe(&[progress.as_str(), changes.as_str()]).await?;
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        let Ok(payload) = message.get_payload::<String>() else { continue };
        if message.get_channel_name() == changes {
            if let Ok(id) = payload.parse::<i64>() {
                api.forget_data_version(ClientId::new(id));
            }
        } else if let Ok(envelope) = serde_json::from_str::<Envelope>(&payload)
            && envelope.origin != api.instance()
        {
            api.remote_hub().publish(envelope.event);
        }
    }
    Ok(())
}
