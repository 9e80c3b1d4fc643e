//! What users and admins do to jobs. Each action checks the state machine, then applies
//! a compare-and-set change: if the job moved meanwhile, the action fails with a
//! conflict instead of overwriting what happened.

use pulse_core::ClientStore;
use pulse_core::model::{Job, JobId, JobKind, JobState, NewJob};
use pulse_core::store::JobChanges;

use crate::error::{Error, Result};
use crate::machine::Transition;

/// What an action did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The job changed state, from `from`.
    Moved { job: Job, from: JobState },
    /// The job is running: it was asked to stop at its next page boundary.
    Requested(Job),
}

impl Applied {
    pub fn job(&self) -> &Job {
        match self {
            Applied::Moved { job, .. } | Applied::Requested(job) => job,
        }
    }

    pub fn into_job(self) -> Job {
        match self {
            Applied::Moved { job, .. } | Applied::Requested(job) => job,
        }
    }

    /// The state the job was in when the action applied (a running job stays running).
    pub fn from(&self) -> JobState {
        match self {
            Applied::Moved { from, .. } => *from,
            Applied::Requested(job) => job.state,
        }
    }
}

async fn load(client: &ClientStore, id: JobId) -> Result<Job> {
    client.job(id).await?.ok_or(Error::Core(pulse_core::Error::NotFound { entity: "job" }))
}

async fn apply(
    client: &ClientStore,
    job: &Job,
    transition: Transition,
    changes: JobChanges,
    actor: &str,
    reason: &str,
) -> Result<Applied> {
    let to = transition.from(job.state)?;
    let moved = client.transition_job(job.id, job.state, to, &changes, actor, reason).await?;
    Ok(Applied::Moved { job: moved, from: job.state })
}

/// Queues a job of `kind`.
pub async fn start(client: &ClientStore, kind: JobKind, actor: &str) -> Result<Job> {
    Ok(client.enqueue_job(&NewJob::new(kind), actor).await?)
}

/// Pauses a job: at once when it waits, at the next page boundary when it runs.
pub async fn pause(client: &ClientStore, id: JobId, actor: &str) -> Result<Applied> {
    let job = load(client, id).await?;
    if job.state == JobState::Active {
        return Ok(Applied::Requested(client.request_job_stop(id, false).await?));
    }
    apply(client, &job, Transition::Pause, JobChanges::default(), actor, "paused").await
}

/// Puts a paused job back in the queue; it resumes from its checkpoint.
pub async fn resume(client: &ClientStore, id: JobId, actor: &str) -> Result<Applied> {
    let job = load(client, id).await?;
    apply(client, &job, Transition::Resume, JobChanges::default(), actor, "resumed").await
}

/// Cancels a job for good: at once unless it runs, else at its next page boundary.
pub async fn cancel(client: &ClientStore, id: JobId, actor: &str) -> Result<Applied> {
    let job = load(client, id).await?;
    if job.state == JobState::Active {
        return Ok(Applied::Requested(client.request_job_stop(id, true).await?));
    }
    apply(client, &job, Transition::Cancel, JobChanges::default(), actor, "cancelled").await
}

/// Queues a failed job again, with its attempts counted afresh.
pub async fn retry(client: &ClientStore, id: JobId, actor: &str) -> Result<Applied> {
    let job = load(client, id).await?;
    let changes = JobChanges { reset_attempts: true, run_after: Some(chrono::Utc::now()), ..Default::default() };
    apply(client, &job, Transition::Retry, changes, actor, "retried by hand").await
}
