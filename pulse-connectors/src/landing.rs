//! Landing one page: raw payloads, normalized records and the stream's new cursor, in
//! the caller's transaction.

use pulse_core::ClientTx;
use pulse_core::model::SyncCursor;

use crate::connector::Page;
use crate::error::Result;
use crate::records::Records;

/// Writes `page` into `tx`: its raw payloads, its records and its stream's cursor. The
/// caller commits (the jobs crate adds its own checkpoint to the same transaction);
/// dropping `tx` instead writes nothing of the page.
pub async fn land_page(tx: &mut ClientTx, page: &Page) -> Result<()> {
    tx.upsert(&page.raw).await?;
    land_records(tx, &page.records).await?;
    let cursor = SyncCursor {
        integration_id: page.integration,
        stream: page.stream.clone(),
        cursor: page.cursor.clone(),
        updated_at: chrono::Utc::now(),
    };
    tx.upsert(std::slice::from_ref(&cursor)).await?;
    Ok(())
}

/// Upserts every kind of record (idempotent: landing the same records twice changes
/// nothing).
pub async fn land_records(tx: &mut ClientTx, r: &Records) -> Result<()> {
    macro_rules! up {
        ($($field:ident),*) => {
            $(if !r.$field.is_empty() {
                tx.upsert(&r.$field).await?;
            })*
        };
    }
    up!(
        repositories,
        commits,
        pull_requests,
        pull_request_commits,
        reviews,
        deployments,
        incidents,
        jira_projects,
        jira_issues,
        jira_transitions,
        issue_pr_links
    );
    Ok(())
}
