//! Sync state: the connectors' cursors, and the raw landing scan that re-extraction reads.

use super::codec::{ColumnReader, ColumnWriter};
use super::table::{Record, Stored, Table, sealed::Row};
use super::tx::ClientTx;
use crate::error::Result;
use crate::ids::IntegrationId;
use crate::model::{RawPayload, SyncCursor};

impl Row for SyncCursor {
    const TABLE: &'static Table = &Table {
        name: "sync_cursors",
        columns: &["integration_id", "stream", "cursor", "updated_at"],
        key: &["integration_id", "stream"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.int(self.integration_id.get());
        w.text(&self.stream);
        w.json(&self.cursor);
        w.ts(self.updated_at);
    }
}

impl Record for SyncCursor {
    type Key = (IntegrationId, String);
    fn key(&self) -> Self::Key {
        (self.integration_id, self.stream.clone())
    }
    fn write_key<W: ColumnWriter>((integration, stream): &Self::Key, w: &mut W) {
        w.int(integration.get());
        w.text(stream);
    }
}

impl Stored for SyncCursor {
    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            integration_id: IntegrationId::new(r.int()?),
            stream: r.text()?,
            cursor: r.json()?,
            updated_at: r.ts()?,
        })
    }
}

impl ClientTx {
    /// Up to `limit` raw payloads of one `(source, stream, scope)` with keys after
    /// `after`, in key order. Re-extraction pages through the landing table with it
    /// instead of loading every payload of the client at once.
    pub async fn raw_payloads(
        &mut self,
        source: &str,
        stream: &str,
        scope: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RawPayload>> {
        let mut args = self.scoped_args();
        args.text(source);
        args.text(stream);
        args.text(scope);
        args.text(after.unwrap_or(""));
        args.int(i64::from(limit));
        let table = RawPayload::TABLE;
        let sql = format!(
            "SELECT {} FROM {} WHERE client_id = $1 AND source = $2 AND stream = $3 AND scope = $4 AND key > $5 \
             ORDER BY key LIMIT $6",
            table.columns.join(", "),
            table.name
        );
        let rows = self.fetch_all(&sql, args).await?;
        rows.iter().map(|row| RawPayload::read(&mut ColumnReader::new(row))).collect()
    }
}
