//! The handler for Pulse's own job kinds: syncing an integration page by page, and
//! re-deriving a client's metric facts.

use async_trait::async_trait;
use pulse_connectors::integration::{ConnectOptions, connector};
use pulse_connectors::{SecretKey, land_page};
use pulse_core::model::{JobKind, SyncCursor};

use crate::error::{Error, Result};
use crate::handler::{JobContext, JobHandler, Outcome};
use crate::progress::ProgressEvent;

/// Runs `sync` and `derive` jobs.
pub struct Runner {
    key: Option<SecretKey>,
    options: ConnectOptions,
}

impl Runner {
    /// `key` opens integration credentials; without it sync jobs fail with the
    /// connectors' missing-key error (derive jobs need none).
    pub fn new(key: Option<SecretKey>, options: ConnectOptions) -> Self {
        Self { key, options }
    }
}

#[async_trait]
impl JobHandler for Runner {
    async fn run(&self, ctx: &JobContext) -> Result<Outcome> {
        match ctx.job.kind {
            JobKind::Derive => {
                ctx.client.refresh_facts().await?;
                Ok(Outcome::Finished)
            }
            JobKind::Sync { integration } => {
                let key = self.key.as_ref().ok_or(Error::Connector(pulse_connectors::Error::MissingSecretKey))?;
                let stored = ctx
                    .client
                    .integration(integration)
                    .await?
                    .ok_or(Error::Core(pulse_core::Error::NotFound { entity: "integration" }))?;
                let connector = connector(&ctx.client, &stored, key, &self.options).await?;
                let usage = connector.usage();
                let start = usage.snapshot();
                let (mut pages, mut items, mut records) = (0u64, 0u64, 0u64);
                for stream in connector.streams() {
                    let mut cursor =
                        ctx.client.get::<SyncCursor>(&(integration, stream.clone())).await?.map(|c| c.cursor);
                    loop {
                        // A page boundary: the only place a job stops early.
                        if let Some(stop) = ctx.stop() {
                            return Ok(stop.outcome());
                        }
                        let page = connector.next_page(&stream, cursor.as_ref()).await?;
                        pages += 1;
                        items += page.items as u64;
                        records += page.records.len() as u64;
                        let event = ProgressEvent::PageDone {
                            client: ctx.job.client,
                            job: ctx.job.id,
                            stream: stream.clone(),
                            pages,
                            items,
                            records,
                            requests: usage.snapshot().since(&start).requests,
                            rate_limit_waits: usage.snapshot().since(&start).rate_limit_waits,
                        };
                        // The page, its cursor and the job's progress land together.
                        let mut tx = ctx.client.begin().await?;
                        land_page(&mut tx, &page).await?;
                        tx.record_job_progress(ctx.job.id, &event.to_json()).await?;
                        tx.commit().await?;
                        ctx.publish(event);
                        if page.done {
                            break;
                        }
                        cursor = Some(page.cursor);
                    }
                }
                // New data makes the metric facts stale: bring them along.
                ctx.client.refresh_facts_if_stale().await?;
                Ok(Outcome::Finished)
            }
        }
    }
}
