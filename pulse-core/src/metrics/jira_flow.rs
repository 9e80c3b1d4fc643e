//! Jira flow over a window (metric spec §4): issues resolved in the window, their cycle
//! and lead times, time per status, throughput by type, bug share and flow efficiency.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::calendar::Window;
use super::facts::IssueFact;
use super::scope::{Scope, ScopeInfo};
use super::stats::{hours, median, percentile};
use super::view::FactsView;
use crate::model::StatusCategory;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JiraFlowReport {
    pub scope: ScopeInfo,
    /// Issues resolved in the window.
    pub resolved: u64,
    /// First move into In Progress → resolution, over resolved issues that started.
    pub cycle_time: TimeStats,
    /// Creation → resolution.
    pub lead_time: TimeStats,
    /// Resolved issues per issue type.
    pub throughput_by_type: BTreeMap<String, u64>,
    /// Share of resolved issues of type Bug.
    pub bug_share: Option<f64>,
    /// Time in In Progress statuses ÷ cycle time, summed over the resolved issues.
    pub flow_efficiency: Option<f64>,
    /// Time per status across the resolved issues, by status name.
    pub time_in_status: BTreeMap<String, StatusStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeStats {
    pub issues: u64,
    pub median_hours: Option<f64>,
    pub p75_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusStats {
    pub category: Option<StatusCategory>,
    /// Issues that spent time in the status.
    pub issues: u64,
    pub total_hours: f64,
    pub median_hours: Option<f64>,
}

fn time_stats(seconds: impl Iterator<Item = i64>) -> TimeStats {
    let mut values: Vec<f64> = seconds.filter(|s| *s >= 0).map(hours).collect();
    TimeStats {
        issues: values.len() as u64,
        median_hours: median(&mut values),
        p75_hours: percentile(&mut values, 0.75),
        p90_hours: percentile(&mut values, 0.90),
    }
}

/// Whether the issue is in scope: by Jira project, or (for a repository or team scope)
/// through a linked PR of the scope.
fn in_scope(issue: &IssueFact, scope: &Scope, view: &FactsView) -> bool {
    if scope.narrows_people_or_repos() {
        issue.pull_requests.iter().any(|(repo, n)| view.pr(repo, *n).is_some_and(|pr| scope.has_pr(pr)))
    } else {
        scope.has_jira_project(&issue.project)
    }
}

pub(crate) fn report(view: &FactsView, scope: &Scope, info: ScopeInfo, window: Window) -> JiraFlowReport {
    let resolved: Vec<&IssueFact> = view
        .facts
        .issues
        .iter()
        .filter(|i| i.resolved_at.is_some_and(|r| window.contains(r)) && in_scope(i, scope, view))
        .collect();
    let cycle = |i: &IssueFact| Some((i.resolved_at? - i.started_at?).num_seconds());
    let mut throughput_by_type = BTreeMap::new();
    for i in &resolved {
        *throughput_by_type.entry(i.issue_type.clone()).or_insert(0) += 1;
    }
    let bugs = resolved.iter().filter(|i| i.issue_type.eq_ignore_ascii_case("bug")).count();
    let (active, cycled): (i64, i64) = resolved
        .iter()
        .filter_map(|i| Some((i.active_seconds?, cycle(i)?)))
        .filter(|(_, c)| *c > 0)
        .fold((0, 0), |(a, c), (ai, ci)| (a + ai, c + ci));

    let mut statuses: BTreeMap<String, (Option<StatusCategory>, Vec<f64>)> = BTreeMap::new();
    for i in &resolved {
        for span in &i.statuses {
            let entry = statuses.entry(span.status.clone()).or_insert((span.category, Vec::new()));
            entry.1.push(hours(span.seconds));
        }
    }
    let time_in_status = statuses
        .into_iter()
        .map(|(status, (category, mut values))| {
            let stats = StatusStats {
                category,
                issues: values.len() as u64,
                total_hours: values.iter().sum(),
                median_hours: median(&mut values),
            };
            (status, stats)
        })
        .collect();

    JiraFlowReport {
        scope: info,
        resolved: resolved.len() as u64,
        cycle_time: time_stats(resolved.iter().filter_map(|i| cycle(i))),
        lead_time: time_stats(resolved.iter().filter_map(|i| Some((i.resolved_at? - i.created_at).num_seconds()))),
        throughput_by_type,
        bug_share: (!resolved.is_empty()).then(|| bugs as f64 / resolved.len() as f64),
        flow_efficiency: (cycled > 0).then(|| active as f64 / cycled as f64),
        time_in_status,
    }
}
