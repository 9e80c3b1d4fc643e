//! `pulse.v1.JobsService`: list, inspect, start, pause, resume, cancel and retry jobs,
//! and watch their progress as a server stream (the events the WebSocket carries).

use std::pin::Pin;

use futures::{Stream, StreamExt};
use pulse_core::model::{Job, JobId, JobKind, JobState, JobTransition};
use pulse_jobs::ProgressEvent;
use tonic::{Request, Response, Status};

use super::messages::{optional_timestamp, timestamp};
use super::proto;
use super::proto::jobs_service_server::JobsService;
use super::{authenticated, observe};
use crate::api::{Api, ApiError, StartJob};

pub struct Jobs {
    api: Api,
}

impl Jobs {
    pub fn new(api: Api) -> Self {
        Self { api }
    }
}

fn state(s: JobState) -> i32 {
    match s {
        JobState::Pending => proto::JobState::Pending,
        JobState::Active => proto::JobState::Active,
        JobState::Finished => proto::JobState::Finished,
        JobState::Paused => proto::JobState::Paused,
        JobState::Failed => proto::JobState::Failed,
        JobState::Cancelled => proto::JobState::Cancelled,
    }
    .into()
}

impl From<Job> for proto::Job {
    fn from(j: Job) -> Self {
        Self {
            id: j.id.get(),
            kind: Some(match j.kind {
                JobKind::Sync { integration } => {
                    proto::job::Kind::Sync(proto::SyncJob { integration: integration.get() })
                }
                JobKind::Derive => proto::job::Kind::Derive(proto::DeriveJob {}),
            }),
            schedule: j.schedule.map(|s| s.get()),
            state: state(j.state),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_after: timestamp(j.run_after),
            lease_owner: j.lease_owner,
            lease_expires_at: optional_timestamp(j.lease_expires_at),
            pause_requested: j.pause_requested,
            cancel_requested: j.cancel_requested,
            progress_json: j.progress.map(|p| p.to_string()),
            error: j.error,
            created_at: timestamp(j.created_at),
            started_at: optional_timestamp(j.started_at),
            finished_at: optional_timestamp(j.finished_at),
            updated_at: timestamp(j.updated_at),
        }
    }
}

impl From<JobTransition> for proto::JobTransition {
    fn from(t: JobTransition) -> Self {
        Self {
            job: t.job.get(),
            from: t.from.map(state),
            to: state(t.to),
            actor: t.actor,
            reason: t.reason,
            at: timestamp(t.at),
        }
    }
}

impl From<ProgressEvent> for proto::ProgressEvent {
    fn from(e: ProgressEvent) -> Self {
        use proto::progress_event::Event;
        let job_id = e.job().get();
        let event = match e {
            ProgressEvent::StateChanged { from, to, reason, .. } => {
                Event::StateChanged(proto::StateChanged { from: from.map(state), to: state(to), reason })
            }
            ProgressEvent::PageDone { stream, pages, items, records, requests, rate_limit_waits, .. } => {
                Event::PageDone(proto::PageDone { stream, pages, items, records, requests, rate_limit_waits })
            }
            ProgressEvent::RateLimitWait { until, .. } => {
                Event::RateLimitWait(proto::RateLimitWait { until: timestamp(until) })
            }
            ProgressEvent::Error { message, .. } => Event::Error(proto::JobError { message }),
        };
        Self { job_id, event: Some(event) }
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<proto::ProgressEvent, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl JobsService for Jobs {
    type WatchProgressStream = EventStream;

    async fn list_jobs(
        &self,
        request: Request<proto::ListJobsRequest>,
    ) -> Result<Response<proto::ListJobsResponse>, Status> {
        observe("pulse.v1.JobsService/ListJobs", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let jobs = self.api.jobs(&p, r.limit).await?;
            Ok(proto::ListJobsResponse { jobs: jobs.into_iter().map(Into::into).collect() })
        })
        .await
    }

    async fn get_job(&self, request: Request<proto::GetJobRequest>) -> Result<Response<proto::GetJobResponse>, Status> {
        observe("pulse.v1.JobsService/GetJob", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let detail = self.api.job(&p, JobId::new(r.id)).await?;
            Ok(proto::GetJobResponse {
                job: Some(detail.job.into()),
                history: detail.history.into_iter().map(Into::into).collect(),
            })
        })
        .await
    }

    async fn start_job(
        &self,
        request: Request<proto::StartJobRequest>,
    ) -> Result<Response<proto::StartJobResponse>, Status> {
        observe("pulse.v1.JobsService/StartJob", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let start = match r.kind {
                Some(proto::start_job_request::Kind::Sync(s)) => StartJob::sync(s.integration),
                Some(proto::start_job_request::Kind::Derive(_)) => StartJob::derive(),
                None => return Err(ApiError::invalid("kind", "a sync or a derive job is required")),
            };
            Ok(proto::StartJobResponse { job: Some(self.api.start_job(&p, &start).await?.into()) })
        })
        .await
    }

    async fn pause_job(
        &self,
        request: Request<proto::PauseJobRequest>,
    ) -> Result<Response<proto::PauseJobResponse>, Status> {
        observe("pulse.v1.JobsService/PauseJob", async {
            let (p, r) = authenticated(&self.api, request).await?;
            Ok(proto::PauseJobResponse { job: Some(self.api.pause_job(&p, JobId::new(r.id)).await?.into()) })
        })
        .await
    }

    async fn resume_job(
        &self,
        request: Request<proto::ResumeJobRequest>,
    ) -> Result<Response<proto::ResumeJobResponse>, Status> {
        observe("pulse.v1.JobsService/ResumeJob", async {
            let (p, r) = authenticated(&self.api, request).await?;
            Ok(proto::ResumeJobResponse { job: Some(self.api.resume_job(&p, JobId::new(r.id)).await?.into()) })
        })
        .await
    }

    async fn cancel_job(
        &self,
        request: Request<proto::CancelJobRequest>,
    ) -> Result<Response<proto::CancelJobResponse>, Status> {
        observe("pulse.v1.JobsService/CancelJob", async {
            let (p, r) = authenticated(&self.api, request).await?;
            Ok(proto::CancelJobResponse { job: Some(self.api.cancel_job(&p, JobId::new(r.id)).await?.into()) })
        })
        .await
    }

    async fn retry_job(
        &self,
        request: Request<proto::RetryJobRequest>,
    ) -> Result<Response<proto::RetryJobResponse>, Status> {
        observe("pulse.v1.JobsService/RetryJob", async {
            let (p, r) = authenticated(&self.api, request).await?;
            Ok(proto::RetryJobResponse { job: Some(self.api.retry_job(&p, JobId::new(r.id)).await?.into()) })
        })
        .await
    }

    async fn watch_progress(
        &self,
        request: Request<proto::WatchProgressRequest>,
    ) -> Result<Response<Self::WatchProgressStream>, Status> {
        observe("pulse.v1.JobsService/WatchProgress", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let events = self.api.progress(&p, r.job_id.map(JobId::new)).await?;
            Ok(Box::pin(events.map(|event| Ok(proto::ProgressEvent::from(event)))) as EventStream)
        })
        .await
    }
}
