//! The `Connector` trait: a source as streams of pages with resumable cursors.
//!
//! A sync is Collect → Extract → Convert, one page at a time: the connector fetches a
//! page (Collect), keeps every item verbatim as a [`RawPayload`], and turns each payload
//! into model records with [`Connector::extract`] (Extract + Convert). The page, its
//! records and the stream's next cursor land in one transaction ([`crate::land_page`]),
//! so a job can checkpoint after every page and a crash neither loses nor repeats one.
//! Because records are derived from raw payloads only, [`crate::reextract`] can rebuild
//! them from the landing table without fetching anything.

use std::sync::Arc;

use async_trait::async_trait;
use pulse_core::ids::IntegrationId;
use pulse_core::model::{RawPayload, RecordSource};

use crate::error::Result;
use crate::http::ApiUsage;
use crate::records::Records;

/// A stream's cursor: connector-specific JSON, stored as [`pulse_core::model::SyncCursor`].
pub type Cursor = serde_json::Value;

/// One fetched page of one stream, ready to land.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub integration: IntegrationId,
    pub stream: String,
    /// Every item fetched, verbatim, keyed for re-extraction.
    pub raw: Vec<RawPayload>,
    /// What the raw payloads extract to.
    pub records: Records,
    /// Where the stream stands after this page.
    pub cursor: Cursor,
    /// Whether this page finishes the stream's pass (the cursor then holds only what the
    /// next incremental sync starts from).
    pub done: bool,
    /// Items the upstream returned (before any are skipped as out of scope).
    pub items: usize,
}

/// A source of data: GitHub, Jira, or anything later.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The integration whose credentials and cursors this connector uses.
    fn integration(&self) -> IntegrationId;

    fn source(&self) -> RecordSource;

    /// Every stream, in the order a sync runs them.
    fn streams(&self) -> Vec<String>;

    /// Fetches the page after `cursor` (`None`: the stream was never synced). A cursor
    /// whose last page ended a pass starts the next, incremental, pass.
    async fn next_page(&self, stream: &str, cursor: Option<&Cursor>) -> Result<Page>;

    /// The records one landed raw payload stands for. Pure: the same payload always
    /// gives the same records, whether just fetched or read back from storage.
    fn extract(&self, raw: &RawPayload) -> Result<Records>;

    /// The `(stream, scope)` pairs of the raw landing table that belong to this
    /// connector, in the order re-extraction must read them.
    fn raw_streams(&self) -> Vec<(String, String)>;

    /// Live counters of this connector's HTTP calls.
    fn usage(&self) -> Arc<ApiUsage>;
}

/// Builds a page from raw payloads by extracting each one.
pub(crate) fn page_from_raw(
    connector: &dyn Connector,
    stream: &str,
    raw: Vec<RawPayload>,
    cursor: Cursor,
    done: bool,
    items: usize,
) -> Result<Page> {
    let mut records = Records::default();
    for payload in &raw {
        records.extend(connector.extract(payload)?);
    }
    Ok(Page { integration: connector.integration(), stream: stream.to_owned(), raw, records, cursor, done, items })
}
