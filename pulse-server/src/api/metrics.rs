//! Metric queries (DORA and its time series, the drill-down behind one DORA metric, PR
//! flow, Jira flow), answered from the cache when the client's data has not changed.

use axum::body::Bytes;
use pulse_core::dates::parse_date_or_timestamp;
use pulse_core::metrics::{Benchmark, DoraMetric, Period, Query, ScopeFilter};
use pulse_core::model::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, Result};
use super::{Api, require};
use crate::auth::{Permission, Principal};

/// The scope and window shared by every metric query.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub struct MetricQuery {
    /// Start of the window, inclusive: `YYYY-MM-DD` or an RFC 3339 timestamp.
    pub from: String,
    /// End of the window, exclusive.
    pub to: String,
    /// Only this project's repositories, Jira projects and incidents.
    pub project: Option<String>,
    /// Only this repository (`owner/name`).
    pub repo: Option<String>,
    /// Only this team's work (a team of the project).
    pub team: Option<String>,
}

/// A DORA query: the scope, the benchmark bands, and optionally a time series.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub struct DoraQuery {
    pub from: String,
    pub to: String,
    pub project: Option<String>,
    pub repo: Option<String>,
    pub team: Option<String>,
    /// `dora-2023` (default) or `dora-2021`.
    pub benchmark: Option<String>,
    /// `week` or `month`: adds a time series.
    pub interval: Option<String>,
}

/// The records behind one DORA metric.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    pub from: String,
    pub to: String,
    pub project: Option<String>,
    pub repo: Option<String>,
    pub team: Option<String>,
    pub benchmark: Option<String>,
    /// `deployment_frequency`, `lead_time_for_changes`, `change_failure_rate`,
    /// `failed_deployment_recovery_time`, `time_to_restore_service` or `rework_rate`.
    pub metric: String,
}

/// Which report a query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetricsKind {
    Dora,
    Explain,
    PullRequests,
    Jira,
}

impl MetricsKind {
    fn as_str(self) -> &'static str {
        match self {
            MetricsKind::Dora => "dora",
            MetricsKind::Explain => "explain",
            MetricsKind::PullRequests => "prs",
            MetricsKind::Jira => "jira",
        }
    }
}

/// A report as JSON, and whether it came from the cache.
#[derive(Debug, Clone)]
pub struct CachedReport {
    pub json: Bytes,
    pub cached: bool,
}

impl CachedReport {
    /// The report as a typed value (the gRPC adapter maps it into messages).
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.json).map_err(|e| {
            tracing::error!(error = %e, "a cached report does not decode");
            ApiError::Internal
        })
    }
}

/// A query's parsed scope, in canonical form (it is also the cache key).
struct Scope {
    from: Timestamp,
    to: Timestamp,
    project: Option<String>,
    repo: Option<String>,
    team: Option<String>,
}

impl Scope {
    fn parse(
        from: &str,
        to: &str,
        project: &Option<String>,
        repo: &Option<String>,
        team: &Option<String>,
    ) -> Result<Self> {
        let field = |name: &'static str, text: &str| {
            parse_date_or_timestamp(text).map_err(|_| {
                ApiError::invalid(name, format!("{text:?} is neither YYYY-MM-DD nor an RFC 3339 timestamp"))
            })
        };
        let (from, to) = (field("from", from)?, field("to", to)?);
        let clean = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Self { from, to, project: clean(project), repo: clean(repo), team: clean(team) })
    }

    fn apply<'a, K>(&self, q: Query<'a, K>) -> Query<'a, K> {
        let filter = ScopeFilter { project: self.project.clone(), repo: self.repo.clone(), team: self.team.clone() };
        q.filter(filter).between(self.from, self.to)
    }

    fn key(&self) -> String {
        // `\u{1f}` cannot occur in a parsed name, so distinct scopes give distinct keys.
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.from.timestamp(),
            self.to.timestamp(),
            self.project.as_deref().unwrap_or(""),
            self.repo.as_deref().unwrap_or(""),
            self.team.as_deref().unwrap_or("")
        )
    }
}

fn benchmark(text: &Option<String>) -> Result<Benchmark> {
    Ok(match text.as_deref() {
        None | Some("") => Benchmark::default(),
        Some(b) => Benchmark::parse(b)?,
    })
}

fn to_json<T: Serialize>(report: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(report).expect("reports serialize"))
}

impl Api {
    /// Looks `detail` up in the cache under the caller's client and data version, or
    /// computes it with `compute` and caches it.
    async fn cached<F, Fut>(
        &self,
        principal: &Principal,
        kind: MetricsKind,
        detail: String,
        compute: F,
    ) -> Result<CachedReport>
    where
        F: FnOnce(pulse_core::ClientStore) -> Fut,
        Fut: std::future::Future<Output = Result<Bytes>>,
    {
        require(principal, Permission::Read, "read metrics")?;
        let client = self.client(principal).await?;
        let version = self.inner.versions.current(&client).await?;
        let key = self.inner.cache.name(&format!("metrics:{}:{version}:{}:{detail}", principal.client, kind.as_str()));
        if let Some(json) = self.inner.cache.get(&key).await {
            metrics::counter!("pulse_metric_cache_total", "result" => "hit").increment(1);
            return Ok(CachedReport { json, cached: true });
        }
        metrics::counter!("pulse_metric_cache_total", "result" => "miss").increment(1);
        let json = compute(client).await?;
        self.inner.cache.put(&key, json.clone()).await;
        Ok(CachedReport { json, cached: false })
    }

    /// The DORA metrics over a window, with a time series when `interval` is set.
    pub async fn dora(&self, principal: &Principal, q: &DoraQuery) -> Result<CachedReport> {
        let scope = Scope::parse(&q.from, &q.to, &q.project, &q.repo, &q.team)?;
        let benchmark = benchmark(&q.benchmark)?;
        let interval = match q.interval.as_deref() {
            None | Some("") => None,
            Some(i) => Some(Period::parse(i)?),
        };
        let detail =
            format!("{}\u{1f}{}\u{1f}{}", scope.key(), benchmark.as_str(), interval.map_or("", Period::as_str));
        self.cached(principal, MetricsKind::Dora, detail, |client| async move {
            let mut query = scope.apply(client.metrics().dora()).benchmark(benchmark);
            if let Some(i) = interval {
                query = query.interval(i);
            }
            Ok(to_json(&query.execute().await?))
        })
        .await
    }

    /// The deployments, changes or incidents behind one DORA metric.
    pub async fn explain(&self, principal: &Principal, q: &ExplainQuery) -> Result<CachedReport> {
        let scope = Scope::parse(&q.from, &q.to, &q.project, &q.repo, &q.team)?;
        let benchmark = benchmark(&q.benchmark)?;
        let metric = DoraMetric::parse(&q.metric)?;
        let detail = format!("{}\u{1f}{}\u{1f}{}", scope.key(), benchmark.as_str(), metric.as_str());
        self.cached(principal, MetricsKind::Explain, detail, |client| async move {
            let query = scope.apply(client.metrics().explain(metric)).benchmark(benchmark);
            Ok(to_json(&query.execute().await?))
        })
        .await
    }

    /// Where pull requests spend their time.
    pub async fn pull_request_flow(&self, principal: &Principal, q: &MetricQuery) -> Result<CachedReport> {
        let scope = Scope::parse(&q.from, &q.to, &q.project, &q.repo, &q.team)?;
        self.cached(principal, MetricsKind::PullRequests, scope.key(), |client| async move {
            Ok(to_json(&scope.apply(client.metrics().pull_requests()).execute().await?))
        })
        .await
    }

    /// How work flows through Jira.
    pub async fn jira_flow(&self, principal: &Principal, q: &MetricQuery) -> Result<CachedReport> {
        let scope = Scope::parse(&q.from, &q.to, &q.project, &q.repo, &q.team)?;
        self.cached(principal, MetricsKind::Jira, scope.key(), |client| async move {
            Ok(to_json(&scope.apply(client.metrics().jira()).execute().await?))
        })
        .await
    }
}
