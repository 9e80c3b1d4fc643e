//! Jobs: list, inspect, start, pause, resume, cancel, retry, and follow their progress.

use futures::Stream;
use pulse_core::ids::IntegrationId;
use pulse_core::model::{Job, JobId, JobKind, JobTransition};
use pulse_jobs::ProgressEvent;
use pulse_jobs::control;
use serde::{Deserialize, Serialize};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::error::{ApiError, Result};
use super::{Api, require};
use crate::auth::{Permission, Principal};

/// What to start: `{"kind": "sync", "integration": 3}` or `{"kind": "derive"}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartJob {
    /// `sync` (fetch one of the client's integrations) or `derive` (re-derive the metric facts).
    pub kind: String,
    /// The integration to sync.
    pub integration: Option<i64>,
}

impl StartJob {
    pub fn sync(integration: i64) -> Self {
        Self { kind: "sync".into(), integration: Some(integration) }
    }

    pub fn derive() -> Self {
        Self { kind: "derive".into(), integration: None }
    }
}

/// A job with its audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct JobDetail {
    pub job: Job,
    pub history: Vec<JobTransition>,
}

const MAX_LIST: u32 = 500;

impl Api {
    /// The caller's client's jobs, newest first.
    pub async fn jobs(&self, principal: &Principal, limit: Option<u32>) -> Result<Vec<Job>> {
        require(principal, Permission::Read, "list jobs")?;
        let limit = limit.unwrap_or(50);
        if limit == 0 || limit > MAX_LIST {
            return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIST}")));
        }
        Ok(self.client(principal).await?.jobs(limit).await?)
    }

    /// One job and its transitions.
    pub async fn job(&self, principal: &Principal, id: JobId) -> Result<JobDetail> {
        require(principal, Permission::Read, "read jobs")?;
        let client = self.client(principal).await?;
        let job = client.job(id).await?.ok_or(ApiError::NotFound { entity: "job" })?;
        let history = client.job_history(id).await?;
        Ok(JobDetail { job, history })
    }

    /// Queues a sync of one integration, or a derivation.
    pub async fn start_job(&self, principal: &Principal, start: &StartJob) -> Result<Job> {
        require(principal, Permission::Run, "start jobs")?;
        let client = self.client(principal).await?;
        let kind = match (start.kind.as_str(), start.integration) {
            ("sync", Some(integration)) => {
                let id = IntegrationId::new(integration);
                client.integration(id).await?.ok_or(ApiError::NotFound { entity: "integration" })?;
                JobKind::Sync { integration: id }
            }
            ("sync", None) => return Err(ApiError::invalid("integration", "a sync needs the integration to fetch")),
            ("derive", None) => JobKind::Derive,
            ("derive", Some(_)) => return Err(ApiError::invalid("integration", "a derivation takes no integration")),
            (other, _) => return Err(ApiError::invalid("kind", format!("{other:?} is not one of sync, derive"))),
        };
        let job = control::start(&client, kind, &principal.actor()).await?;
        self.announce(&job, None, "started");
        Ok(job)
    }

    /// Tells live listeners (WebSocket, gRPC streams) about a change made through the
    /// API; workers announce their own.
    fn announce(&self, job: &Job, from: Option<pulse_core::model::JobState>, reason: &str) {
        if from == Some(job.state) {
            return;
        }
        self.hub().publish(ProgressEvent::StateChanged {
            client: job.client,
            job: job.id,
            from,
            to: job.state,
            reason: reason.to_owned(),
        });
    }

    /// Pauses a job (a running one at its next page boundary).
    pub async fn pause_job(&self, principal: &Principal, id: JobId) -> Result<Job> {
        require(principal, Permission::Administer, "pause jobs")?;
        let client = self.client(principal).await?;
        let applied = control::pause(&client, id, &principal.actor()).await?;
        self.announce(applied.job(), Some(applied.from()), "paused");
        Ok(applied.into_job())
    }

    /// Queues a paused job again.
    pub async fn resume_job(&self, principal: &Principal, id: JobId) -> Result<Job> {
        require(principal, Permission::Administer, "resume jobs")?;
        let client = self.client(principal).await?;
        let applied = control::resume(&client, id, &principal.actor()).await?;
        self.announce(applied.job(), Some(applied.from()), "resumed");
        Ok(applied.into_job())
    }

    /// Cancels a job for good (a running one at its next page boundary).
    pub async fn cancel_job(&self, principal: &Principal, id: JobId) -> Result<Job> {
        require(principal, Permission::Administer, "cancel jobs")?;
        let client = self.client(principal).await?;
        let applied = control::cancel(&client, id, &principal.actor()).await?;
        self.announce(applied.job(), Some(applied.from()), "cancelled");
        Ok(applied.into_job())
    }

    /// Queues a failed job again.
    pub async fn retry_job(&self, principal: &Principal, id: JobId) -> Result<Job> {
        require(principal, Permission::Run, "retry jobs")?;
        let client = self.client(principal).await?;
        let applied = control::retry(&client, id, &principal.actor()).await?;
        self.announce(applied.job(), Some(applied.from()), "retried");
        Ok(applied.into_job())
    }

    /// Live progress of one job (`Some`) or of all the client's jobs (`None`).
    ///
    /// The hub carries every client's events; only the caller's client's pass. A job id
    /// of another client is "not found" before any event flows.
    pub async fn progress(
        &self,
        principal: &Principal,
        job: Option<JobId>,
    ) -> Result<impl Stream<Item = ProgressEvent> + Send + 'static + use<>> {
        require(principal, Permission::Read, "follow jobs")?;
        // Subscribe first so no event between the check and the subscription is lost.
        let events =
            BroadcastStream::new(self.hub().subscribe()).merge(BroadcastStream::new(self.remote_hub().subscribe()));
        if let Some(id) = job {
            self.client(principal).await?.job(id).await?.ok_or(ApiError::NotFound { entity: "job" })?;
        }
        let client = principal.client;
        let events = events.filter_map(move |event| match event {
            Ok(e) if e.client() == client && job.is_none_or(|j| e.job() == j) => Some(e),
            // A slow listener that lagged skips the missed events; the job's stored
            // progress still says where it stands.
            _ => None,
        });
        // One job's stream ends right after its run's last event, without waiting for another.
        Ok(futures::stream::unfold((Box::pin(events), false), move |(mut events, over)| async move {
            if over {
                return None;
            }
            let event = events.next().await?;
            let over = job.is_some() && event.ends_run();
            Some((event, (events, over)))
        }))
    }
}
