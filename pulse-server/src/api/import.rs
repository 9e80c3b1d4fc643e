//! The push API: the import format of `pulse import`, one file kind per part, written
//! all or nothing.

use std::collections::BTreeMap;

use axum::body::Bytes;
use pulse_core::import::ImportFile;
use serde::Serialize;

use super::error::{ApiError, Result};
use super::{Api, require};
use crate::auth::{Permission, Principal};

/// Request bodies larger than this are refused before parsing.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// What an import wrote.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Records written per entity.
    pub counts: BTreeMap<String, u64>,
    /// The data version the metric facts were derived from afterwards.
    pub data_version: Option<i64>,
}

impl Api {
    /// Imports files given as (kind, content): `kind` is the file name without its
    /// extension (`deployments`, `pull_requests`, …) or the file name itself.
    pub async fn import(&self, principal: &Principal, files: Vec<(String, Bytes)>) -> Result<ImportResult> {
        require(principal, Permission::Run, "import data")?;
        if files.is_empty() {
            return Err(ApiError::invalid("import", "no files were sent"));
        }
        let mut parsed = Vec::with_capacity(files.len());
        for (name, content) in files {
            let kind = name.split('.').next().unwrap_or_default();
            let file = ImportFile::from_kind(kind)?;
            if parsed.iter().any(|(f, _)| *f == file) {
                return Err(ApiError::invalid("import", format!("{} was sent twice", file.file_name())));
            }
            parsed.push((file, content));
        }
        // Project rules decide what counts as production; only admins change them.
        if parsed.iter().any(|(f, _)| *f == ImportFile::Project) {
            require(principal, Permission::Administer, "change project rules (project.json)")?;
        }
        let client = self.client(principal).await?;
        let mut import = client.import();
        for (file, content) in parsed {
            import = import.lines(file, std::io::Cursor::new(content));
        }
        let summary = import.execute().await?;
        self.data_changed(principal.client).await;
        Ok(ImportResult {
            counts: summary.counts.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            data_version: summary.facts.map(|f| f.version),
        })
    }
}
