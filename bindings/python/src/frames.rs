//! Reports as tables: a DORA time series (one row per period) and the records behind a
//! metric (one row per deployment, pull request or incident). Columns are flat: counts
//! `int64`, hours `float64`, timestamps `timestamp[us, tz=UTC]`, labels `string` (null
//! where the JSON has null), lists of identifiers `list<string>`.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
use pulse_core::metrics::dora::{DoraMetrics, DoraPoint};
use pulse_core::metrics::explain::ExplainedDeployment;
use pulse_core::metrics::stats::hours;
use pulse_core::metrics::{DoraMetric, Explanation, IncidentFact, PrFact, ReworkReason};
use pulse_core::model::Timestamp;
use serde::Serialize;

use crate::table::{Columns, Table};

/// The name an enum has in the JSON (`elite`, `SUCCESS`, `github_deployment`, …).
fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => e.to_string(),
    }
}

fn strings<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

fn ints(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<Int64Array>())
}

fn floats(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<Float64Array>())
}

fn bools(values: impl IntoIterator<Item = Option<bool>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<BooleanArray>())
}

fn times(values: impl IntoIterator<Item = Option<Timestamp>>) -> ArrayRef {
    let micros: TimestampMicrosecondArray = values.into_iter().map(|t| t.map(|t| t.timestamp_micros())).collect();
    Arc::new(micros.with_timezone("UTC"))
}

fn string_lists(values: impl IntoIterator<Item = Vec<String>>) -> ArrayRef {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for list in values {
        for item in list {
            builder.values().append_value(item);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}

fn count(n: u64) -> Option<i64> {
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The DORA time series, one row per period. Every period's metrics are those of the
/// report's `series` entry for it.
pub fn dora_series(points: &[DoraPoint]) -> Table {
    let mut c = Columns::default();
    let m: Vec<&DoraMetrics> = points.iter().map(|p| &p.metrics).collect();
    c.push("from", times(points.iter().map(|p| Some(p.from))));
    c.push("to", times(points.iter().map(|p| Some(p.to))));

    let f = || m.iter().map(|m| &m.deployment_frequency);
    c.push("deployments", ints(f().map(|x| count(x.deployments))));
    c.push("deployment_days", ints(f().map(|x| count(x.deployment_days))));
    c.push("deployments_per_week", floats(f().map(|x| x.per_week)));
    c.push("median_deployment_days_per_week", floats(f().map(|x| x.median_deployment_days_per_week)));
    c.push("median_deployment_days_per_month", floats(f().map(|x| x.median_deployment_days_per_month)));
    c.push("deployment_frequency_band", strings(f().map(|x| x.band.as_ref().map(label))));

    let l = || m.iter().map(|m| &m.lead_time_for_changes);
    c.push("lead_time_changes", ints(l().map(|x| count(x.changes))));
    c.push("lead_time_median_hours", floats(l().map(|x| x.median_hours)));
    c.push("lead_time_p75_hours", floats(l().map(|x| x.p75_hours)));
    c.push("lead_time_p90_hours", floats(l().map(|x| x.p90_hours)));
    c.push("lead_time_mean_hours", floats(l().map(|x| x.mean_hours)));
    c.push("coding_median_hours", floats(l().map(|x| x.coding_median_hours)));
    c.push("pickup_median_hours", floats(l().map(|x| x.pickup_median_hours)));
    c.push("review_median_hours", floats(l().map(|x| x.review_median_hours)));
    c.push("deploy_median_hours", floats(l().map(|x| x.deploy_median_hours)));
    c.push("lead_time_band", strings(l().map(|x| x.band.as_ref().map(label))));

    let r = || m.iter().map(|m| &m.change_failure_rate);
    c.push("failed_deployments", ints(r().map(|x| count(x.failed_deployments))));
    c.push("change_failure_rate", floats(r().map(|x| x.rate)));
    c.push("change_failure_rate_band", strings(r().map(|x| x.band.as_ref().map(label))));

    let v = || m.iter().map(|m| &m.failed_deployment_recovery_time);
    c.push("recovery_incidents", ints(v().map(|x| count(x.incidents))));
    c.push("recovery_open_incidents", ints(v().map(|x| count(x.open_incidents))));
    c.push("recovery_median_hours", floats(v().map(|x| x.median_hours)));
    c.push("recovery_band", strings(v().map(|x| x.band.as_ref().map(label))));

    let t = || m.iter().map(|m| &m.time_to_restore_service);
    c.push("restore_incidents", ints(t().map(|x| count(x.incidents))));
    c.push("restore_median_hours", floats(t().map(|x| x.median_hours)));
    c.push("restore_band", strings(t().map(|x| x.band.as_ref().map(label))));

    let w = || m.iter().map(|m| &m.rework_rate);
    c.push("rework_deployments", ints(w().map(|x| count(x.rework_deployments))));
    c.push("rework_rate", floats(w().map(|x| x.rate)));
    c.finish()
}

/// The records an explanation lists: deployments (deployment frequency, change failure
/// rate, rework rate), pull requests (lead time) or incidents (the recovery times).
pub fn explanation(e: &Explanation) -> Table {
    match e.metric {
        DoraMetric::DeploymentFrequency | DoraMetric::ChangeFailureRate | DoraMetric::ReworkRate => {
            deployments(&e.deployments)
        }
        DoraMetric::LeadTimeForChanges => pull_requests(&e.pull_requests),
        DoraMetric::FailedDeploymentRecoveryTime | DoraMetric::TimeToRestoreService => incidents(&e.incidents),
    }
}

fn reason(r: &ReworkReason) -> String {
    match r {
        ReworkReason::Revert { pr } => format!("revert (PR {pr})"),
        ReworkReason::Hotfix { pr } => format!("hotfix (PR {pr})"),
        ReworkReason::IncidentPr { pr, incident } => format!("incident_pr (PR {pr}, incident {incident})"),
        ReworkReason::BugFix { pr, issue } => format!("bug_fix (PR {pr}, issue {issue})"),
    }
}

fn deployments(rows: &[ExplainedDeployment]) -> Table {
    let mut c = Columns::default();
    let d = || rows.iter().map(|r| &r.deployment);
    c.push("repo", strings(d().map(|x| Some(x.repo.as_str()))));
    c.push("id", strings(d().map(|x| Some(x.id.as_str()))));
    c.push("sha", strings(d().map(|x| Some(x.sha.as_str()))));
    c.push("environment", strings(d().map(|x| Some(x.environment.as_str()))));
    c.push("result", strings(d().map(|x| Some(label(&x.result)))));
    c.push("source", strings(d().map(|x| Some(label(&x.source)))));
    c.push("started_at", times(d().map(|x| Some(x.started_at))));
    c.push("finished_at", times(d().map(|x| Some(x.finished_at))));
    c.push("production", bools(d().map(|x| Some(x.production))));
    c.push("previous", strings(d().map(|x| x.previous.as_deref())));
    c.push("previous_sha", strings(d().map(|x| x.previous_sha.as_ref().map(|s| s.as_str()))));
    c.push("attribution", strings(d().map(|x| x.attribution.as_ref().map(label))));
    c.push("changes", string_lists(d().map(|x| x.changes.iter().map(|s| s.to_string()).collect())));
    c.push(
        "pull_requests",
        string_lists(d().map(|x| x.pull_requests.iter().map(|(repo, n)| format!("{repo}#{n}")).collect())),
    );
    c.push("rework_reasons", string_lists(d().map(|x| x.rework.iter().map(reason).collect())));
    c.push("incidents", string_lists(rows.iter().map(|r| r.incidents.clone())));
    c.finish()
}

fn pull_requests(rows: &[PrFact]) -> Table {
    let mut c = Columns::default();
    let p = || rows.iter();
    let span = |s: Option<i64>| s.map(hours);
    c.push("repo", strings(p().map(|x| Some(x.repo.as_str()))));
    c.push("number", ints(p().map(|x| Some(x.number))));
    c.push("author", strings(p().map(|x| Some(x.author.as_str()))));
    c.push("title", strings(p().map(|x| x.title.as_deref())));
    c.push("created_at", times(p().map(|x| Some(x.created_at))));
    c.push("merged_at", times(p().map(|x| Some(x.merged_at))));
    c.push("size", ints(p().map(|x| x.size)));
    c.push("first_commit_sha", strings(p().map(|x| x.first_commit_sha.as_ref().map(|s| s.as_str()))));
    c.push("first_commit_at", times(p().map(|x| x.first_commit_at)));
    c.push("first_review_id", strings(p().map(|x| x.first_review_id.as_deref())));
    c.push("first_review_at", times(p().map(|x| x.first_review_at)));
    c.push("coding_hours", floats(p().map(|x| span(x.coding))));
    c.push("pickup_hours", floats(p().map(|x| span(x.pickup))));
    c.push("review_hours", floats(p().map(|x| span(x.review))));
    c.push("deploy_hours", floats(p().map(|x| span(x.deploy))));
    c.push("lead_time_hours", floats(p().map(|x| Some(hours(x.lead_time)))));
    c.push("deployment_repo", strings(p().map(|x| x.deployment.as_ref().map(|d| d.repo.as_str()))));
    c.push("deployment_id", strings(p().map(|x| x.deployment.as_ref().map(|d| d.id.as_str()))));
    c.push("deployed_at", times(p().map(|x| x.deployed_at)));
    c.push("attribution", strings(p().map(|x| x.attribution.as_ref().map(label))));
    c.push("reviews", ints(p().map(|x| Some(i64::from(x.reviews)))));
    c.push("approved_first_time", bools(p().map(|x| Some(x.approved_first_time))));
    c.finish()
}

fn incidents(rows: &[IncidentFact]) -> Table {
    let mut c = Columns::default();
    let i = || rows.iter();
    c.push("id", strings(i().map(|x| Some(x.id.as_str()))));
    c.push("title", strings(i().map(|x| x.title.as_deref())));
    c.push("created_at", times(i().map(|x| Some(x.created_at))));
    c.push("resolved_at", times(i().map(|x| x.resolved_at)));
    c.push("repo", strings(i().map(|x| x.repo.as_ref().map(|r| r.as_str()))));
    c.push("project", strings(i().map(|x| x.project.as_ref().map(|p| p.as_str()))));
    c.push("deployment_repo", strings(i().map(|x| x.deployment.as_ref().map(|d| d.repo.as_str()))));
    c.push("deployment_id", strings(i().map(|x| x.deployment.as_ref().map(|d| d.id.as_str()))));
    c.push("deployment_finished_at", times(i().map(|x| x.deployment_finished_at)));
    c.push("method", strings(i().map(|x| x.method.as_ref().map(label))));
    c.push("unmatched_reference", strings(i().map(|x| x.unmatched_reference.as_deref())));
    c.finish()
}
