//! `/jobs…`: list, inspect, start, pause, resume, cancel, retry.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pulse_core::model::{Job, JobId};
use serde::Deserialize;

use super::extract::{Body, Caller, Id, Params};
use crate::api::{Api, ApiError, JobDetail, StartJob};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListJobs {
    /// At most this many, newest first (1–500, default 50).
    pub limit: Option<u32>,
}

/// The client's jobs, newest first.
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(ListJobs), security(("bearer" = [])),
    responses((status = 200, description = "Jobs", body = serde_json::Value)))]
pub async fn list(
    State(api): State<Api>,
    Caller(p): Caller,
    Params(q): Params<ListJobs>,
) -> Result<Json<Vec<Job>>, ApiError> {
    Ok(Json(api.jobs(&p, q.limit).await?))
}

/// One job with its transitions.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", params(("id" = i64, Path, description = "Job id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The job and its history", body = serde_json::Value),
        (status = 404, description = "No such job in your client")))]
pub async fn get(State(api): State<Api>, Caller(p): Caller, Id(id): Id) -> Result<Json<JobDetail>, ApiError> {
    Ok(Json(api.job(&p, JobId::new(id)).await?))
}

/// Queues a sync of an integration (`{"kind": "sync", "integration": 3}`) or a
/// derivation (`{"kind": "derive"}`). Users and admins.
#[utoipa::path(post, path = "/jobs", tag = "jobs", request_body = StartJob, security(("bearer" = [])),
    responses((status = 201, description = "The queued job", body = serde_json::Value),
        (status = 403, description = "Viewers cannot start jobs"),
        (status = 404, description = "No such integration in your client")))]
pub async fn start(
    State(api): State<Api>,
    Caller(p): Caller,
    Body(start): Body<StartJob>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    Ok((StatusCode::CREATED, Json(api.start_job(&p, &start).await?)))
}

/// Pauses a job (a running one stops at its next page boundary). Admins.
#[utoipa::path(post, path = "/jobs/{id}/pause", tag = "jobs", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The job", body = serde_json::Value), (status = 409, description = "Not pausable now")))]
pub async fn pause(State(api): State<Api>, Caller(p): Caller, Id(id): Id) -> Result<Json<Job>, ApiError> {
    Ok(Json(api.pause_job(&p, JobId::new(id)).await?))
}

/// Queues a paused job again; it continues from its checkpoint. Admins.
#[utoipa::path(post, path = "/jobs/{id}/resume", tag = "jobs", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The job", body = serde_json::Value), (status = 409, description = "Not paused")))]
pub async fn resume(State(api): State<Api>, Caller(p): Caller, Id(id): Id) -> Result<Json<Job>, ApiError> {
    Ok(Json(api.resume_job(&p, JobId::new(id)).await?))
}

/// Cancels a job for good. Admins.
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The job", body = serde_json::Value), (status = 409, description = "Already over")))]
pub async fn cancel(State(api): State<Api>, Caller(p): Caller, Id(id): Id) -> Result<Json<Job>, ApiError> {
    Ok(Json(api.cancel_job(&p, JobId::new(id)).await?))
}

/// Queues a failed job again. Users and admins.
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "jobs", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The job", body = serde_json::Value), (status = 409, description = "Not failed")))]
pub async fn retry(State(api): State<Api>, Caller(p): Caller, Id(id): Id) -> Result<Json<Job>, ApiError> {
    Ok(Json(api.retry_job(&p, JobId::new(id)).await?))
}
