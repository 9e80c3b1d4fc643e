//! `/metrics/…`: DORA (with its time series), the drill-down, PR flow and Jira flow.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::extract::{Caller, Params};
use crate::api::{Api, ApiError, CachedReport, DoraQuery, ExplainQuery, MetricQuery};

/// A cached report is already JSON: it is sent as is, with `x-pulse-cache: hit|miss`.
fn report(report: CachedReport) -> Response {
    let cache = HeaderValue::from_static(if report.cached { "hit" } else { "miss" });
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::HeaderName::from_static("x-pulse-cache"), cache),
        ],
        report.json,
    )
        .into_response()
}

/// The DORA metrics over a window (metric spec §3, JSON of §5).
#[utoipa::path(get, path = "/metrics/dora", tag = "metrics", params(DoraQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The DORA report (spec §5), with `series` when an interval was asked for", body = serde_json::Value),
        (status = 400, description = "A parameter did not parse"), (status = 401, description = "No valid token")))]
pub async fn dora(
    State(api): State<Api>,
    Caller(p): Caller,
    Params(q): Params<DoraQuery>,
) -> Result<Response, ApiError> {
    Ok(report(api.dora(&p, &q).await?))
}

/// The deployments, changes or incidents behind one DORA metric.
#[utoipa::path(get, path = "/metrics/dora/explain", tag = "metrics", params(ExplainQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The records behind the metric", body = serde_json::Value),
        (status = 400, description = "A parameter did not parse")))]
pub async fn explain(
    State(api): State<Api>,
    Caller(p): Caller,
    Params(q): Params<ExplainQuery>,
) -> Result<Response, ApiError> {
    Ok(report(api.explain(&p, &q).await?))
}

/// Where pull requests spend their time (spec §4).
#[utoipa::path(get, path = "/metrics/pull-requests", tag = "metrics", params(MetricQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The PR flow report", body = serde_json::Value)))]
pub async fn pull_requests(
    State(api): State<Api>,
    Caller(p): Caller,
    Params(q): Params<MetricQuery>,
) -> Result<Response, ApiError> {
    Ok(report(api.pull_request_flow(&p, &q).await?))
}

/// How work flows through Jira (spec §4).
#[utoipa::path(get, path = "/metrics/jira", tag = "metrics", params(MetricQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The Jira flow report", body = serde_json::Value)))]
pub async fn jira(
    State(api): State<Api>,
    Caller(p): Caller,
    Params(q): Params<MetricQuery>,
) -> Result<Response, ApiError> {
    Ok(report(api.jira_flow(&p, &q).await?))
}
