//! Handlers for tests: paged work that checkpoints like a sync does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use pulse_core::model::JobId;
use pulse_jobs::{JobContext, JobHandler, Outcome, ProgressEvent, Result};

/// Works through `pages` pages of `page_time` each. Each page records its number as the
/// job's progress in its own transaction (the checkpoint), and a resumed run continues
/// after the last recorded page. Every page processed is logged, by job.
#[derive(Clone)]
pub struct Paged {
    pub pages: u64,
    pub page_time: Duration,
    pub done: Arc<Mutex<Vec<(JobId, u64)>>>,
}

impl Paged {
    pub fn new(pages: u64, page_time: Duration) -> Self {
        Self { pages, page_time, done: Arc::default() }
    }

    pub fn pages_of(&self, job: JobId) -> Vec<u64> {
        self.done.lock().unwrap().iter().filter(|(j, _)| *j == job).map(|(_, p)| *p).collect()
    }
}

#[async_trait]
impl JobHandler for Paged {
    async fn run(&self, ctx: &JobContext) -> Result<Outcome> {
        let current = ctx.client.job(ctx.job.id).await?.expect("the job exists");
        let mut next = current.progress.as_ref().and_then(|p| p["pages"].as_u64()).unwrap_or(0) + 1;
        while next <= self.pages {
            if let Some(stop) = ctx.stop() {
                return Ok(stop.outcome());
            }
            tokio::time::sleep(self.page_time).await;
            let event = ProgressEvent::PageDone {
                client: ctx.job.client,
                job: ctx.job.id,
                stream: "test".into(),
                pages: next,
                items: next,
                records: next,
                requests: 0,
                rate_limit_waits: 0,
            };
            let mut tx = ctx.client.begin().await?;
            tx.record_job_progress(ctx.job.id, &event.to_json()).await?;
            tx.commit().await?;
            self.done.lock().unwrap().push((ctx.job.id, next));
            ctx.publish(event);
            next += 1;
        }
        Ok(Outcome::Finished)
    }
}

/// Always fails.
pub struct Failing;

#[async_trait]
impl JobHandler for Failing {
    async fn run(&self, _ctx: &JobContext) -> Result<Outcome> {
        Err(pulse_jobs::Error::Core(pulse_core::Error::Invalid {
            what: "test",
            reason: "this handler always fails".into(),
        }))
    }
}
