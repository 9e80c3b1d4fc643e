//! Running a connector's streams page by page, landing each page as it comes.

use std::collections::BTreeMap;

use pulse_core::ClientStore;
use pulse_core::model::SyncCursor;

use crate::connector::Connector;
use crate::error::Result;
use crate::http::UsageSnapshot;
use crate::landing::{land_page, land_records};
use crate::records::Records;

/// What a running sync reports after every landed page. Serialized with an `event` tag
/// (`stream_started`, `page_landed`, `stream_finished`), as the Python bindings pass it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    StreamStarted { stream: String },
    PageLanded { stream: String, items: usize, records: usize, usage: UsageSnapshot },
    StreamFinished { stream: String },
}

type ProgressFn<'a> = Box<dyn Fn(&ProgressEvent) + Send + std::marker::Sync + 'a>;

/// A sync being set up; finish with [`Sync::execute`].
pub struct Sync<'a> {
    client: &'a ClientStore,
    connector: &'a dyn Connector,
    streams: Option<Vec<String>>,
    max_pages: Option<u64>,
    progress: Option<ProgressFn<'a>>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SyncSummary {
    pub pages: u64,
    /// Items the upstream returned.
    pub items: u64,
    /// Records landed, by entity.
    pub records: BTreeMap<&'static str, u64>,
    /// HTTP usage of this sync.
    pub usage: UsageSnapshot,
    /// False when the sync stopped early (`max_pages`); it resumes from the cursors.
    pub complete: bool,
}

impl<'a> Sync<'a> {
    pub fn new(client: &'a ClientStore, connector: &'a dyn Connector) -> Self {
        Self { client, connector, streams: None, max_pages: None, progress: None }
    }

    /// Runs only this stream (call again for more); by default every stream runs.
    pub fn stream(mut self, stream: impl Into<String>) -> Self {
        self.streams.get_or_insert_with(Vec::new).push(stream.into());
        self
    }

    /// Stops after this many pages (a job's time slice); the next sync resumes.
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = Some(pages);
        self
    }

    /// Called after every landed page.
    pub fn on_progress(mut self, f: impl Fn(&ProgressEvent) + Send + std::marker::Sync + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    fn report(&self, event: ProgressEvent) {
        if let Some(f) = &self.progress {
            f(&event);
        }
    }

    /// Runs the streams in order, each to the end of its pass, resuming from the stored
    /// cursors. Every page lands in its own transaction with its stream's cursor.
    pub async fn execute(self) -> Result<SyncSummary> {
        let connector = self.connector;
        let usage = connector.usage();
        let start = usage.snapshot();
        let streams = self.streams.clone().unwrap_or_else(|| connector.streams());
        let mut summary = SyncSummary { complete: true, ..Default::default() };
        'streams: for stream in &streams {
            self.report(ProgressEvent::StreamStarted { stream: stream.clone() });
            let key = (connector.integration(), stream.clone());
            let mut cursor = self.client.get::<SyncCursor>(&key).await?.map(|c| c.cursor);
            loop {
                if self.max_pages.is_some_and(|max| summary.pages >= max) {
                    summary.complete = false;
                    break 'streams;
                }
                let page = connector.next_page(stream, cursor.as_ref()).await?;
                let mut tx = self.client.begin().await?;
                land_page(&mut tx, &page).await?;
                tx.commit().await?;
                summary.pages += 1;
                summary.items += page.items as u64;
                for (entity, n) in page.records.counts() {
                    *summary.records.entry(entity).or_default() += n as u64;
                }
                self.report(ProgressEvent::PageLanded {
                    stream: stream.clone(),
                    items: page.items,
                    records: page.records.len(),
                    usage: usage.snapshot().since(&start),
                });
                if page.done {
                    break;
                }
                cursor = Some(page.cursor);
            }
            self.report(ProgressEvent::StreamFinished { stream: stream.clone() });
        }
        summary.usage = usage.snapshot().since(&start);
        Ok(summary)
    }
}

/// Rebuilds a connector's records from its raw landing table, without fetching. Runs
/// after an extraction fix or a model change; idempotent.
pub async fn reextract(client: &ClientStore, connector: &dyn Connector) -> Result<BTreeMap<&'static str, u64>> {
    const BATCH: u32 = 500;
    let source = connector.source();
    let mut counts = BTreeMap::new();
    for (stream, scope) in connector.raw_streams() {
        let mut after: Option<String> = None;
        loop {
            let mut tx = client.begin().await?;
            let raw = tx.raw_payloads(source.as_str(), &stream, &scope, after.as_deref(), BATCH).await?;
            let Some(last) = raw.last() else {
                tx.rollback().await?;
                break;
            };
            after = Some(last.key.clone());
            let mut records = Records::default();
            for payload in &raw {
                records.extend(connector.extract(payload)?);
            }
            land_records(&mut tx, &records).await?;
            tx.commit().await?;
            for (entity, n) in records.counts() {
                *counts.entry(entity).or_default() += n as u64;
            }
            if raw.len() < BATCH as usize {
                break;
            }
        }
    }
    Ok(counts)
}
