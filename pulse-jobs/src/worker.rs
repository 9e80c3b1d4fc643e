//! Workers: claim a job with a lease, keep the lease with a heartbeat, run the job,
//! record how it ended. Any number of workers, in any number of processes, share one
//! PostgreSQL queue; on SQLite one process claims at a time.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration as StdDuration;

use chrono::Duration;
use pulse_core::Store;
use pulse_core::model::{Job, JobState};
use pulse_core::store::{Claim, JobChanges};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::{Error, Result};
use crate::handler::{JobContext, JobHandler, Outcome, Signals};
use crate::machine::Transition;
use crate::progress::{ProgressEvent, ProgressHub};
use crate::scheduler;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names the worker in leases and the audit log.
    pub id: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// How long a claim holds without a heartbeat; heartbeats come three times per lease.
    pub lease: Duration,
    /// How often an idle worker looks for work (PostgreSQL also wakes it on new jobs).
    pub poll: StdDuration,
    /// First retry delay; doubled per attempt, with jitter, up to an hour.
    pub retry_base: Duration,
    /// Whether this worker also turns due schedules into jobs.
    pub schedules: bool,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            id: format!("{}-{}", hostname(), std::process::id()),
            concurrency: 2,
            lease: Duration::seconds(30),
            poll: StdDuration::from_secs(1),
            retry_base: Duration::seconds(30),
            schedules: true,
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "worker".into())
}

/// A worker of one store.
pub struct Worker {
    store: Store,
    options: WorkerOptions,
    handler: Arc<dyn JobHandler>,
    hub: ProgressHub,
}

impl Worker {
    pub fn new(store: Store, options: WorkerOptions, handler: Arc<dyn JobHandler>, hub: ProgressHub) -> Self {
        Self { store, options, handler, hub }
    }

    /// Runs until `shutdown` completes; then running jobs stop at their next page
    /// boundary and go back to the queue.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
        let worker = Arc::new(self);
        let permits = Arc::new(Semaphore::new(worker.options.concurrency.max(1)));
        let mut running: JoinSet<()> = JoinSet::new();
        let mut signals: Vec<Arc<Signals>> = Vec::new();
        let mut wakeups = worker.store.job_queue().wakeups().await?;
        tokio::pin!(shutdown);
        loop {
            if worker.options.schedules
                && let Err(e) = scheduler::enqueue_due(&worker.store, chrono::Utc::now()).await
            {
                tracing::warn!(error = %e, "queuing scheduled jobs failed");
            }
            while let Ok(permit) = permits.clone().try_acquire_owned() {
                let Some(claim) = worker.store.job_queue().claim(&worker.options.id, worker.options.lease).await?
                else {
                    break;
                };
                let job_signals = Arc::new(Signals::default());
                signals.retain(|s| Arc::strong_count(s) > 1);
                signals.push(job_signals.clone());
                let w = worker.clone();
                // Every log line of the run carries the job and its client (JSON logs).
                let span = tracing::info_span!("job", job_id = %claim.job.id, client_id = %claim.job.client);
                running.spawn(tracing::Instrument::instrument(
                    async move {
                        w.execute(claim, job_signals).await;
                        drop(permit);
                    },
                    span,
                ));
            }
            while running.try_join_next().is_some() {}
            tokio::select! {
                _ = &mut shutdown => break,
                _ = wakeups.wait(worker.options.poll) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
        for s in &signals {
            s.shutdown.store(true, Ordering::SeqCst);
        }
        while running.join_next().await.is_some() {}
        worker.store.job_queue().release(&worker.options.id).await?;
        Ok(())
    }

    fn publish_state(&self, job: &Job, from: JobState, to: JobState, reason: &str) {
        self.hub.publish(ProgressEvent::StateChanged {
            client: job.client,
            job: job.id,
            from: Some(from),
            to,
            reason: reason.to_owned(),
        });
    }

    /// Runs one claimed job to its end, with a heartbeat alongside.
    async fn execute(&self, claim: Claim, signals: Arc<Signals>) {
        let job = claim.job;
        let reason = match &claim.took_over_from {
            Some(dead) => format!("claimed by {} after {dead}'s lease expired", self.options.id),
            None => format!("claimed by {}", self.options.id),
        };
        self.publish_state(&job, JobState::Pending, JobState::Active, &reason);
        let client = match self.store.client_by_id(job.client).await {
            Ok(c) => c,
            Err(e) => return self.end(&job, Err(e.into())).await,
        };
        let ctx = JobContext { client, job: job.clone(), signals: signals.clone(), hub: self.hub.clone() };
        let heartbeat = self.heartbeat(job.clone(), signals.clone());
        let outcome = tokio::select! {
            outcome = self.handler.run(&ctx) => outcome,
            _ = heartbeat => Ok(Outcome::LeaseLost),
        };
        self.end(&job, outcome).await;
    }

    /// Extends the lease every third of it and raises the job's flags; returns when the
    /// lease is lost.
    async fn heartbeat(&self, job: Job, signals: Arc<Signals>) {
        let every = (self.options.lease / 3).to_std().unwrap_or(StdDuration::from_secs(1));
        loop {
            tokio::time::sleep(every).await;
            match self.store.job_queue().heartbeat(job.id, &self.options.id, self.options.lease).await {
                Ok(Some(flags)) => {
                    signals.pause.store(flags.pause_requested, Ordering::SeqCst);
                    signals.cancel.store(flags.cancel_requested, Ordering::SeqCst);
                }
                Ok(None) => {
                    signals.lease_lost.store(true, Ordering::SeqCst);
                    // Let the handler reach its page boundary; it will not write after it.
                    std::future::pending::<()>().await;
                }
                Err(e) => tracing::warn!(job = %job.id, error = %e, "heartbeat failed; retrying"),
            }
        }
    }

    /// Records how a run ended. Errors retry with backoff until `max_attempts`.
    async fn end(&self, job: &Job, outcome: Result<Outcome>) {
        let queue = self.store.job_queue();
        let worker = &self.options.id;
        let (transition, changes, reason) = match outcome {
            Ok(Outcome::LeaseLost) => {
                tracing::warn!(job = %job.id, "lost the lease; another worker has the job");
                return;
            }
            Ok(Outcome::Finished) => {
                (Transition::Finish, JobChanges { error: Some(None), ..Default::default() }, "finished".to_owned())
            }
            Ok(Outcome::Paused) => (Transition::Pause, JobChanges::default(), "paused at a page boundary".to_owned()),
            Ok(Outcome::Cancelled) => {
                (Transition::Cancel, JobChanges::default(), "cancelled at a page boundary".to_owned())
            }
            Ok(Outcome::Released) => (Transition::Release, JobChanges::default(), "the worker is stopping".to_owned()),
            Err(Error::Connector(pulse_connectors::Error::RateLimited { until, .. })) => {
                self.hub.publish(ProgressEvent::RateLimitWait { client: job.client, job: job.id, until });
                let changes = JobChanges { run_after: Some(until), ..Default::default() };
                (Transition::Release, changes, format!("rate limited until {until}"))
            }
            Err(e) => {
                let message = e.to_string();
                self.hub.publish(ProgressEvent::Error { client: job.client, job: job.id, message: message.clone() });
                let changes = JobChanges { error: Some(Some(message.clone())), ..Default::default() };
                (Transition::Fail, changes, message)
            }
        };
        let to = transition.target();
        match queue.finish(job, worker, to, &changes, &reason).await {
            Ok(true) => self.publish_state(job, JobState::Active, to, &reason),
            Ok(false) => return tracing::warn!(job = %job.id, "the job changed hands before it could be recorded"),
            Err(e) => return tracing::error!(job = %job.id, error = %e, "recording the job's end failed"),
        }
        if to == JobState::Failed && job.attempts < job.max_attempts {
            self.schedule_retry(job).await;
        }
    }

    async fn schedule_retry(&self, job: &Job) {
        let exponent = job.attempts.saturating_sub(1).min(16);
        let delay = (self.options.retry_base * 2i32.pow(exponent)).min(Duration::hours(1));
        // ±20 % so that jobs failing together do not retry together.
        let jitter = 0.8 + rand::random::<f64>() * 0.4;
        let delay = Duration::milliseconds((delay.num_milliseconds() as f64 * jitter) as i64);
        let changes = JobChanges { run_after: Some(chrono::Utc::now() + delay), ..Default::default() };
        let reason = format!("retry {} of {} in {}s", job.attempts + 1, job.max_attempts, delay.num_seconds());
        let result = match self.store.client_by_id(job.client).await {
            Ok(client) => {
                client.transition_job(job.id, JobState::Failed, JobState::Pending, &changes, "scheduler", &reason).await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(_) => self.publish_state(job, JobState::Failed, JobState::Pending, &reason),
            Err(e) => tracing::error!(job = %job.id, error = %e, "scheduling the retry failed"),
        }
    }
}
