//! Typed progress events: published on an in-process broadcast channel for live
//! listeners (the CLI, later WebSockets and gRPC streams), and the latest one persisted
//! with its job so a client that connects late sees where it stands.

use pulse_core::ids::ClientId;
use pulse_core::model::{JobId, JobState, Timestamp};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Something that happened to a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    StateChanged {
        client: ClientId,
        job: JobId,
        from: Option<JobState>,
        to: JobState,
        reason: String,
    },
    /// A page landed.
    PageDone {
        client: ClientId,
        job: JobId,
        stream: String,
        /// Pages of this run so far.
        pages: u64,
        /// Items fetched by this run so far.
        items: u64,
        /// Records landed by this run so far.
        records: u64,
        /// HTTP requests of this run so far.
        requests: u64,
        /// Rate-limit waits of this run so far (each shorter than the rescheduling limit).
        rate_limit_waits: u64,
    },
    /// The upstream's rate limit holds the job until `until`: it waits in the queue
    /// rather than holding a worker.
    RateLimitWait {
        client: ClientId,
        job: JobId,
        until: Timestamp,
    },
    Error {
        client: ClientId,
        job: JobId,
        message: String,
    },
}

impl ProgressEvent {
    pub fn client(&self) -> ClientId {
        match self {
            ProgressEvent::StateChanged { client, .. }
            | ProgressEvent::PageDone { client, .. }
            | ProgressEvent::RateLimitWait { client, .. }
            | ProgressEvent::Error { client, .. } => *client,
        }
    }

    pub fn job(&self) -> JobId {
        match self {
            ProgressEvent::StateChanged { job, .. }
            | ProgressEvent::PageDone { job, .. }
            | ProgressEvent::RateLimitWait { job, .. }
            | ProgressEvent::Error { job, .. } => *job,
        }
    }

    /// The client whose data this event says changed: a page landed, or a job (a sync
    /// or a derivation) finished. Cached answers of that client are stale from here.
    pub fn landed_data(&self) -> Option<ClientId> {
        match self {
            ProgressEvent::PageDone { client, .. }
            | ProgressEvent::StateChanged { client, to: JobState::Finished, .. } => Some(*client),
            _ => None,
        }
    }

    /// Whether this event ends the job's run: it finished, failed or was cancelled. (A
    /// failed job may be retried, which starts a new run with new events.) Progress
    /// streams of one job close after it.
    pub fn ends_run(&self) -> bool {
        matches!(
            self,
            ProgressEvent::StateChanged { to: JobState::Finished | JobState::Failed | JobState::Cancelled, .. }
        )
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("progress events serialize")
    }
}

/// The broadcast channel of one process. Cheap to clone. Listeners filter by client:
/// the hub carries every client's events, so an adapter must only forward a listener's own.
#[derive(Debug, Clone)]
pub struct ProgressHub {
    sender: broadcast::Sender<ProgressEvent>,
}

impl Default for ProgressHub {
    fn default() -> Self {
        Self { sender: broadcast::channel(1024).0 }
    }
}

impl ProgressHub {
    pub fn publish(&self, event: ProgressEvent) {
        // No listener is not an error: the event is persisted anyway.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ProgressEvent> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_finished_jobs_land_data_other_events_do_not() {
        let (client, job) = (ClientId::new(3), JobId::new(7));
        let changed =
            |to| ProgressEvent::StateChanged { client, job, from: Some(JobState::Active), to, reason: String::new() };
        let page = ProgressEvent::PageDone {
            client,
            job,
            stream: "pull_requests".into(),
            pages: 1,
            items: 100,
            records: 120,
            requests: 1,
            rate_limit_waits: 0,
        };
        assert_eq!(page.landed_data(), Some(client));
        assert_eq!(changed(JobState::Finished).landed_data(), Some(client));
        for to in [JobState::Active, JobState::Paused, JobState::Failed, JobState::Cancelled, JobState::Pending] {
            assert_eq!(changed(to).landed_data(), None, "{to:?}");
        }
        assert!(changed(JobState::Failed).ends_run() && !changed(JobState::Paused).ends_run());
    }
}
