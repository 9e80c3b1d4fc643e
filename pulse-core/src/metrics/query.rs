//! The query API: `client.metrics().dora().project("checkout").between(from, to)
//! .benchmark(Benchmark::Dora2023).execute().await`.
//!
//! Every query reads the client's current facts ([`ClientStore::snapshot`]), checks its
//! scope against the client's projects, and returns a typed report that serializes to
//! the JSON of metric spec §5.

use super::bands::Benchmark;
use super::calendar::{Period, Window};
use super::dora::{self, DoraReport};
use super::explain::{self, DoraMetric, Explanation};
use super::flow::{self, PrFlowReport};
use super::jira_flow::{self, JiraFlowReport};
use super::scope::{Scope, ScopeFilter};
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::store::ClientStore;

/// Entry point of the metric queries of one client.
#[derive(Debug, Clone, Copy)]
pub struct Metrics<'a> {
    client: &'a ClientStore,
}

impl ClientStore {
    pub fn metrics(&self) -> Metrics<'_> {
        Metrics { client: self }
    }
}

impl<'a> Metrics<'a> {
    /// The DORA metrics (spec §3).
    pub fn dora(self) -> Query<'a, Dora> {
        self.query(Dora { benchmark: Benchmark::default(), interval: None })
    }

    /// Pull-request flow (spec §4).
    pub fn pull_requests(self) -> Query<'a, PrFlow> {
        self.query(PrFlow)
    }

    /// Jira flow (spec §4).
    pub fn jira(self) -> Query<'a, JiraFlow> {
        self.query(JiraFlow)
    }

    /// The records behind one DORA metric.
    pub fn explain(self, metric: DoraMetric) -> Query<'a, Explain> {
        self.query(Explain { metric, benchmark: Benchmark::default() })
    }

    fn query<K>(self, kind: K) -> Query<'a, K> {
        Query { client: self.client, filter: ScopeFilter::default(), window: None, kind }
    }
}

/// A metric query being built; finish with `execute`.
#[derive(Debug, Clone)]
pub struct Query<'a, K> {
    client: &'a ClientStore,
    filter: ScopeFilter,
    window: Option<(Timestamp, Timestamp)>,
    kind: K,
}

/// Options of a DORA query.
#[derive(Debug, Clone)]
pub struct Dora {
    benchmark: Benchmark,
    interval: Option<Period>,
}

#[derive(Debug, Clone)]
pub struct PrFlow;

#[derive(Debug, Clone)]
pub struct JiraFlow;

#[derive(Debug, Clone)]
pub struct Explain {
    metric: DoraMetric,
    benchmark: Benchmark,
}

impl<K> Query<'_, K> {
    /// Only this project's repositories (and Jira projects, and incidents).
    pub fn project(mut self, name: impl Into<String>) -> Self {
        self.filter.project = Some(name.into());
        self
    }

    /// Only this repository (`owner/name`).
    pub fn repo(mut self, name: impl Into<String>) -> Self {
        self.filter.repo = Some(name.into());
        self
    }

    /// Only this team's work: PRs by its members and the deployments shipping them.
    pub fn team(mut self, name: impl Into<String>) -> Self {
        self.filter.team = Some(name.into());
        self
    }

    /// The window `[from, to)`. Required.
    /// Project, repository and team at once (what a frontend parsed from its caller).
    pub fn filter(mut self, filter: ScopeFilter) -> Self {
        self.filter = filter;
        self
    }

    pub fn between(mut self, from: Timestamp, to: Timestamp) -> Self {
        self.window = Some((from, to));
        self
    }

    async fn prepare(&self) -> Result<(std::sync::Arc<super::engine::Snapshot>, Scope, Window)> {
        let (from, to) =
            self.window.ok_or_else(|| Error::invalid("window", "a window is required: between(from, to)"))?;
        let window = Window::new(from, to)?;
        let snapshot = self.client.snapshot().await?;
        let scope = Scope::resolve(&self.filter, &snapshot.projects)?;
        Ok((snapshot, scope, window))
    }

    fn client_slug(&self) -> &str {
        self.client.client().slug.as_str()
    }
}

impl Query<'_, Dora> {
    pub fn benchmark(mut self, benchmark: Benchmark) -> Self {
        self.kind.benchmark = benchmark;
        self
    }

    /// Adds a time series by ISO week or calendar month.
    pub fn interval(mut self, interval: Period) -> Self {
        self.kind.interval = Some(interval);
        self
    }

    pub async fn execute(self) -> Result<DoraReport> {
        let (snapshot, scope, window) = self.prepare().await?;
        let info = scope.info(self.client_slug(), &self.filter, window);
        Ok(dora::report(&snapshot.view, &scope, info, window, self.kind.benchmark, self.kind.interval))
    }
}

impl Query<'_, PrFlow> {
    pub async fn execute(self) -> Result<PrFlowReport> {
        let (snapshot, scope, window) = self.prepare().await?;
        let info = scope.info(self.client_slug(), &self.filter, window);
        Ok(flow::report(&snapshot.view, &scope, info, window))
    }
}

impl Query<'_, JiraFlow> {
    pub async fn execute(self) -> Result<JiraFlowReport> {
        let (snapshot, scope, window) = self.prepare().await?;
        let info = scope.info(self.client_slug(), &self.filter, window);
        Ok(jira_flow::report(&snapshot.view, &scope, info, window))
    }
}

impl Query<'_, Explain> {
    pub fn benchmark(mut self, benchmark: Benchmark) -> Self {
        self.kind.benchmark = benchmark;
        self
    }

    pub async fn execute(self) -> Result<Explanation> {
        let (snapshot, scope, window) = self.prepare().await?;
        let info = scope.info(self.client_slug(), &self.filter, window);
        Ok(explain::explain(&snapshot.view, &scope, info, window, self.kind.benchmark, self.kind.metric))
    }
}
