//! `/import`: the push API. The same files as `pulse import`, all or nothing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};

use super::extract::Caller;
use crate::api::{Api, ApiError, ImportResult};

/// Imports several files at once: a `multipart/form-data` body with one part per file,
/// each named by its kind (`deployments`) or file name (`deployments.jsonl`). Everything
/// is written in one transaction, or nothing is.
#[utoipa::path(post, path = "/import", tag = "import", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "One part per import file"),
    responses((status = 200, description = "What was written", body = ImportResult),
        (status = 422, description = "A line was rejected; nothing was written (the body names file, line and field)"),
        (status = 403, description = "Viewers cannot import; project.json needs an admin")))]
pub async fn many(
    State(api): State<Api>,
    Caller(p): Caller,
    mut multipart: Multipart,
) -> Result<Json<ImportResult>, ApiError> {
    let mut files = Vec::new();
    loop {
        let field = multipart.next_field().await.map_err(|e| ApiError::invalid("multipart body", e.body_text()))?;
        let Some(field) = field else { break };
        let name = field
            .name()
            .or(field.file_name())
            .ok_or_else(|| ApiError::invalid("multipart body", "a part has no name"))?
            .to_owned();
        let content = field.bytes().await.map_err(|e| ApiError::invalid("multipart body", e.body_text()))?;
        files.push((name, content));
    }
    Ok(Json(api.import(&p, files).await?))
}

/// Imports one file: the body is its content (JSON Lines, or one JSON object for
/// `project`).
#[utoipa::path(post, path = "/import/{kind}", tag = "import", security(("bearer" = [])),
    params(("kind" = String, Path, description = "project, repositories, commits, pull_requests, reviews, deployments, incidents or issues")),
    request_body(content_type = "application/x-ndjson", description = "The file's content"),
    responses((status = 200, description = "What was written", body = ImportResult),
        (status = 422, description = "A line was rejected; nothing was written")))]
pub async fn one(
    State(api): State<Api>,
    Caller(p): Caller,
    Path(kind): Path<String>,
    body: Bytes,
) -> Result<Json<ImportResult>, ApiError> {
    Ok(Json(api.import(&p, vec![(kind, body)]).await?))
}
