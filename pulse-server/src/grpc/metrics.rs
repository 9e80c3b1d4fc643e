//! `pulse.v1.MetricsService`: DORA with its series, the drill-down, PR flow and Jira
//! flow. The service answers with the report's JSON (cached or fresh); it is read back
//! into `pulse-core`'s report types and mapped field for field into messages.

use pulse_core::metrics::bands::{Band, Benchmark};
use pulse_core::metrics::dora::{
    ChangeFailureRate, DeploymentFrequency, DoraMetrics, DoraPoint, DoraReport, FailedDeploymentRecoveryTime,
    LeadTimeForChanges, ReworkRate, TimeToRestoreService,
};
use pulse_core::metrics::explain::{ExplainedDeployment, Explanation};
use pulse_core::metrics::facts::{
    Attribution, DeploymentFact, DeploymentRef, IncidentFact, LinkMethod, PrFact, ReworkReason,
};
use pulse_core::metrics::flow::{PrFlowReport, ReviewStats, SizeStats, SpanStats, WipStats};
use pulse_core::metrics::jira_flow::{JiraFlowReport, StatusStats, TimeStats};
use pulse_core::metrics::scope::ScopeInfo;
use pulse_core::model::{DeploymentResult, DeploymentSource, StatusCategory};
use tonic::{Request, Response, Status};

use super::messages::{optional_timestamp, timestamp};
use super::proto;
use super::proto::metrics_service_server::MetricsService;
use super::{authenticated, observe};
use crate::api::{Api, DoraQuery, ExplainQuery, MetricQuery};

pub struct Metrics {
    api: Api,
}

impl Metrics {
    pub fn new(api: Api) -> Self {
        Self { api }
    }
}

fn query(scope: Option<proto::MetricScope>) -> MetricQuery {
    // A missing scope has empty dates, which the service rejects naming `from`.
    let s = scope.unwrap_or_default();
    MetricQuery { from: s.from, to: s.to, project: s.project, repo: s.repo, team: s.team }
}

#[tonic::async_trait]
impl MetricsService for Metrics {
    async fn get_dora(
        &self,
        request: Request<proto::GetDoraRequest>,
    ) -> Result<Response<proto::GetDoraResponse>, Status> {
        observe("pulse.v1.MetricsService/GetDora", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let s = query(r.scope);
            let q = DoraQuery {
                from: s.from,
                to: s.to,
                project: s.project,
                repo: s.repo,
                team: s.team,
                benchmark: r.benchmark,
                interval: r.interval,
            };
            let answer = self.api.dora(&p, &q).await?;
            Ok(proto::GetDoraResponse { report: Some(answer.decode::<DoraReport>()?.into()), cached: answer.cached })
        })
        .await
    }

    async fn explain_dora(
        &self,
        request: Request<proto::ExplainDoraRequest>,
    ) -> Result<Response<proto::ExplainDoraResponse>, Status> {
        observe("pulse.v1.MetricsService/ExplainDora", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let s = query(r.scope);
            let q = ExplainQuery {
                from: s.from,
                to: s.to,
                project: s.project,
                repo: s.repo,
                team: s.team,
                benchmark: r.benchmark,
                metric: r.metric,
            };
            let answer = self.api.explain(&p, &q).await?;
            Ok(proto::ExplainDoraResponse {
                explanation: Some(answer.decode::<Explanation>()?.into()),
                cached: answer.cached,
            })
        })
        .await
    }

    async fn get_pull_request_flow(
        &self,
        request: Request<proto::GetPullRequestFlowRequest>,
    ) -> Result<Response<proto::GetPullRequestFlowResponse>, Status> {
        observe("pulse.v1.MetricsService/GetPullRequestFlow", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let answer = self.api.pull_request_flow(&p, &query(r.scope)).await?;
            Ok(proto::GetPullRequestFlowResponse {
                report: Some(answer.decode::<PrFlowReport>()?.into()),
                cached: answer.cached,
            })
        })
        .await
    }

    async fn get_jira_flow(
        &self,
        request: Request<proto::GetJiraFlowRequest>,
    ) -> Result<Response<proto::GetJiraFlowResponse>, Status> {
        observe("pulse.v1.MetricsService/GetJiraFlow", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let answer = self.api.jira_flow(&p, &query(r.scope)).await?;
            Ok(proto::GetJiraFlowResponse {
                report: Some(answer.decode::<JiraFlowReport>()?.into()),
                cached: answer.cached,
            })
        })
        .await
    }
}

// ----------------------------------------------------------------- enums

fn band(b: Option<Band>) -> Option<i32> {
    b.map(|b| {
        match b {
            Band::Elite => proto::Band::Elite,
            Band::High => proto::Band::High,
            Band::Medium => proto::Band::Medium,
            Band::Low => proto::Band::Low,
        }
        .into()
    })
}

fn benchmark(b: Benchmark) -> String {
    b.as_str().to_owned()
}

fn source(s: DeploymentSource) -> i32 {
    match s {
        DeploymentSource::GithubDeployment => proto::DeploymentSource::GithubDeployment,
        DeploymentSource::WorkflowRun => proto::DeploymentSource::WorkflowRun,
        DeploymentSource::Release => proto::DeploymentSource::Release,
        DeploymentSource::Import => proto::DeploymentSource::Import,
        DeploymentSource::Merge => proto::DeploymentSource::Merge,
    }
    .into()
}

fn result(r: DeploymentResult) -> i32 {
    match r {
        DeploymentResult::Success => proto::DeploymentResult::Success,
        DeploymentResult::Failure => proto::DeploymentResult::Failure,
    }
    .into()
}

fn attribution(a: Option<Attribution>) -> Option<i32> {
    a.map(|a| {
        match a {
            Attribution::Graph => proto::Attribution::Graph,
            Attribution::Time => proto::Attribution::Time,
        }
        .into()
    })
}

fn link_method(m: Option<LinkMethod>) -> Option<i32> {
    m.map(|m| {
        match m {
            LinkMethod::Explicit => proto::LinkMethod::Explicit,
            LinkMethod::Inferred => proto::LinkMethod::Inferred,
        }
        .into()
    })
}

fn status_category(c: Option<StatusCategory>) -> Option<i32> {
    c.map(|c| {
        match c {
            StatusCategory::ToDo => proto::StatusCategory::ToDo,
            StatusCategory::InProgress => proto::StatusCategory::InProgress,
            StatusCategory::Done => proto::StatusCategory::Done,
        }
        .into()
    })
}

// ----------------------------------------------------------------- DORA

impl From<ScopeInfo> for proto::ScopeInfo {
    fn from(s: ScopeInfo) -> Self {
        Self {
            client: s.client,
            project: s.project,
            repo: s.repo,
            team: s.team,
            from: timestamp(s.from),
            to: timestamp(s.to),
        }
    }
}

impl From<DoraReport> for proto::DoraReport {
    fn from(r: DoraReport) -> Self {
        Self {
            scope: Some(r.scope.into()),
            benchmark: benchmark(r.benchmark),
            deployment_sources: r.deployment_sources.into_iter().map(source).collect(),
            metrics: Some(r.metrics.into()),
            interval: r.interval.map(|i| i.as_str().to_owned()),
            series: r.series.unwrap_or_default().into_iter().map(Into::into).collect(),
        }
    }
}

impl From<DoraPoint> for proto::DoraPoint {
    fn from(p: DoraPoint) -> Self {
        Self { from: timestamp(p.from), to: timestamp(p.to), metrics: Some(p.metrics.into()) }
    }
}

impl From<DoraMetrics> for proto::DoraMetrics {
    fn from(m: DoraMetrics) -> Self {
        Self {
            deployment_frequency: Some(m.deployment_frequency.into()),
            lead_time_for_changes: Some(m.lead_time_for_changes.into()),
            change_failure_rate: Some(m.change_failure_rate.into()),
            failed_deployment_recovery_time: Some(m.failed_deployment_recovery_time.into()),
            time_to_restore_service: Some(m.time_to_restore_service.into()),
            rework_rate: Some(m.rework_rate.into()),
        }
    }
}

impl From<DeploymentFrequency> for proto::DeploymentFrequency {
    fn from(d: DeploymentFrequency) -> Self {
        Self {
            deployments: d.deployments,
            deployment_days: d.deployment_days,
            per_week: d.per_week,
            median_deployment_days_per_week: d.median_deployment_days_per_week,
            median_deployment_days_per_month: d.median_deployment_days_per_month,
            band: band(d.band),
        }
    }
}

impl From<LeadTimeForChanges> for proto::LeadTimeForChanges {
    fn from(l: LeadTimeForChanges) -> Self {
        Self {
            changes: l.changes,
            median_hours: l.median_hours,
            p75_hours: l.p75_hours,
            p90_hours: l.p90_hours,
            mean_hours: l.mean_hours,
            coding_median_hours: l.coding_median_hours,
            pickup_median_hours: l.pickup_median_hours,
            review_median_hours: l.review_median_hours,
            deploy_median_hours: l.deploy_median_hours,
            band: band(l.band),
        }
    }
}

impl From<ChangeFailureRate> for proto::ChangeFailureRate {
    fn from(c: ChangeFailureRate) -> Self {
        Self { deployments: c.deployments, failed_deployments: c.failed_deployments, rate: c.rate, band: band(c.band) }
    }
}

impl From<FailedDeploymentRecoveryTime> for proto::FailedDeploymentRecoveryTime {
    fn from(f: FailedDeploymentRecoveryTime) -> Self {
        Self {
            incidents: f.incidents,
            open_incidents: f.open_incidents,
            median_hours: f.median_hours,
            band: band(f.band),
        }
    }
}

impl From<TimeToRestoreService> for proto::TimeToRestoreService {
    fn from(t: TimeToRestoreService) -> Self {
        Self { incidents: t.incidents, median_hours: t.median_hours, band: band(t.band) }
    }
}

impl From<ReworkRate> for proto::ReworkRate {
    fn from(r: ReworkRate) -> Self {
        Self { deployments: r.deployments, rework_deployments: r.rework_deployments, rate: r.rate }
    }
}

// ----------------------------------------------------------------- drill-down

impl From<Explanation> for proto::Explanation {
    fn from(e: Explanation) -> Self {
        Self {
            scope: Some(e.scope.into()),
            benchmark: benchmark(e.benchmark),
            metric: e.metric.as_str().to_owned(),
            values: Some(e.values.into()),
            deployments: e.deployments.into_iter().map(Into::into).collect(),
            pull_requests: e.pull_requests.into_iter().map(Into::into).collect(),
            incidents: e.incidents.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<ExplainedDeployment> for proto::ExplainedDeployment {
    fn from(e: ExplainedDeployment) -> Self {
        Self { deployment: Some(e.deployment.into()), incidents: e.incidents }
    }
}

impl From<DeploymentRef> for proto::DeploymentRef {
    fn from(d: DeploymentRef) -> Self {
        Self { repo: d.repo.to_string(), id: d.id }
    }
}

impl From<ReworkReason> for proto::ReworkReason {
    fn from(r: ReworkReason) -> Self {
        use proto::rework_reason::{BugFix, Hotfix, IncidentPr, Reason, Revert};
        let reason = match r {
            ReworkReason::Revert { pr } => Reason::Revert(Revert { pr }),
            ReworkReason::Hotfix { pr } => Reason::Hotfix(Hotfix { pr }),
            ReworkReason::IncidentPr { pr, incident } => Reason::IncidentPr(IncidentPr { pr, incident }),
            ReworkReason::BugFix { pr, issue } => Reason::BugFix(BugFix { pr, issue }),
        };
        Self { reason: Some(reason) }
    }
}

impl From<DeploymentFact> for proto::DeploymentFact {
    fn from(d: DeploymentFact) -> Self {
        Self {
            repo: d.repo.to_string(),
            id: d.id,
            sha: d.sha.to_string(),
            environment: d.environment,
            result: result(d.result),
            source: source(d.source),
            started_at: timestamp(d.started_at),
            finished_at: timestamp(d.finished_at),
            production: d.production,
            previous: d.previous,
            previous_sha: d.previous_sha.map(|s| s.to_string()),
            attribution: attribution(d.attribution),
            changes: d.changes.into_iter().map(|s| s.to_string()).collect(),
            pull_requests: d
                .pull_requests
                .into_iter()
                .map(|(repo, number)| proto::PullRequestRef { repo: repo.to_string(), number })
                .collect(),
            rework: d.rework.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<PrFact> for proto::PrFact {
    fn from(p: PrFact) -> Self {
        Self {
            repo: p.repo.to_string(),
            number: p.number,
            author: p.author,
            title: p.title,
            created_at: timestamp(p.created_at),
            merged_at: timestamp(p.merged_at),
            size: p.size,
            first_commit_sha: p.first_commit_sha.map(|s| s.to_string()),
            first_commit_at: optional_timestamp(p.first_commit_at),
            first_review_id: p.first_review_id,
            first_review_at: optional_timestamp(p.first_review_at),
            coding: p.coding,
            pickup: p.pickup,
            review: p.review,
            deploy: p.deploy,
            lead_time: p.lead_time,
            deployment: p.deployment.map(Into::into),
            deployed_at: optional_timestamp(p.deployed_at),
            attribution: attribution(p.attribution),
            reviews: p.reviews,
            approved_first_time: p.approved_first_time,
        }
    }
}

impl From<IncidentFact> for proto::IncidentFact {
    fn from(i: IncidentFact) -> Self {
        Self {
            id: i.id,
            title: i.title,
            created_at: timestamp(i.created_at),
            resolved_at: optional_timestamp(i.resolved_at),
            repo: i.repo.map(|r| r.to_string()),
            project: i.project.map(|p| p.to_string()),
            deployment: i.deployment.map(Into::into),
            deployment_finished_at: optional_timestamp(i.deployment_finished_at),
            method: link_method(i.method),
            unmatched_reference: i.unmatched_reference,
        }
    }
}

// ----------------------------------------------------------------- PR flow

impl From<PrFlowReport> for proto::PrFlowReport {
    fn from(r: PrFlowReport) -> Self {
        Self {
            scope: Some(r.scope.into()),
            throughput: r.throughput,
            size: Some(r.size.into()),
            coding: Some(r.coding.into()),
            pickup: Some(r.pickup.into()),
            review: Some(r.review.into()),
            deploy: Some(r.deploy.into()),
            reviews: Some(r.reviews.into()),
            work_in_progress: Some(r.work_in_progress.into()),
        }
    }
}

impl From<SizeStats> for proto::SizeStats {
    fn from(s: SizeStats) -> Self {
        Self { median_lines: s.median_lines, p90_lines: s.p90_lines }
    }
}

impl From<SpanStats> for proto::SpanStats {
    fn from(s: SpanStats) -> Self {
        Self { prs: s.prs, median_hours: s.median_hours, p75_hours: s.p75_hours, p90_hours: s.p90_hours }
    }
}

impl From<ReviewStats> for proto::ReviewStats {
    fn from(r: ReviewStats) -> Self {
        Self {
            total: r.total,
            median_per_pr: r.median_per_pr,
            reviewed_prs: r.reviewed_prs,
            first_time_approval_share: r.first_time_approval_share,
        }
    }
}

impl From<WipStats> for proto::WipStats {
    fn from(w: WipStats) -> Self {
        Self { open: w.open, median_age_hours: w.median_age_hours, p90_age_hours: w.p90_age_hours }
    }
}

// ----------------------------------------------------------------- Jira flow

impl From<JiraFlowReport> for proto::JiraFlowReport {
    fn from(r: JiraFlowReport) -> Self {
        Self {
            scope: Some(r.scope.into()),
            resolved: r.resolved,
            cycle_time: Some(r.cycle_time.into()),
            lead_time: Some(r.lead_time.into()),
            throughput_by_type: r.throughput_by_type.into_iter().collect(),
            bug_share: r.bug_share,
            flow_efficiency: r.flow_efficiency,
            time_in_status: r.time_in_status.into_iter().map(|(status, s)| (status, s.into())).collect(),
        }
    }
}

impl From<TimeStats> for proto::TimeStats {
    fn from(t: TimeStats) -> Self {
        Self { issues: t.issues, median_hours: t.median_hours, p75_hours: t.p75_hours, p90_hours: t.p90_hours }
    }
}

impl From<StatusStats> for proto::StatusStats {
    fn from(s: StatusStats) -> Self {
        Self {
            category: status_category(s.category),
            issues: s.issues,
            total_hours: s.total_hours,
            median_hours: s.median_hours,
        }
    }
}
