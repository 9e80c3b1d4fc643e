//! Jira issues' flow facts: when work started, how long each status held, and the PRs
//! linked to each issue.

use rustc_hash::FxHashMap as HashMap;

use crate::ids::{IssueKey, RepoName};
use crate::metrics::facts::{IssueFact, StatusSpan};
use crate::model::{IssuePrLink, JiraIssue, JiraTransition, StatusCategory};

pub(super) fn derive(issues: &[JiraIssue], transitions: &[JiraTransition], links: &[IssuePrLink]) -> Vec<IssueFact> {
    let mut by_issue: HashMap<&IssueKey, Vec<&JiraTransition>> = HashMap::default();
    for t in transitions {
        by_issue.entry(&t.issue).or_default().push(t);
    }
    let mut prs: HashMap<&IssueKey, Vec<(RepoName, i64)>> = HashMap::default();
    for l in links {
        prs.entry(&l.issue).or_default().push((l.repo.clone(), l.pr));
    }
    issues
        .iter()
        .map(|issue| {
            let mut history = by_issue.remove(&issue.key).unwrap_or_default();
            history.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
            let started_at = history.iter().find(|t| t.to_category == Some(StatusCategory::InProgress)).map(|t| t.at);
            let (statuses, active_seconds) = match issue.resolved_at {
                Some(resolved) => {
                    let spans = spans(issue, &history, resolved);
                    let active = started_at.map(|start| active_between(issue, &history, start, resolved));
                    (spans, active)
                }
                None => (Vec::new(), None),
            };
            let mut linked = prs.remove(&issue.key).unwrap_or_default();
            linked.sort();
            linked.dedup();
            IssueFact {
                key: issue.key.clone(),
                project: issue.project.clone(),
                issue_type: issue.issue_type.clone(),
                created_at: issue.created_at,
                resolved_at: issue.resolved_at,
                started_at,
                statuses,
                active_seconds,
                pull_requests: linked,
            }
        })
        .collect()
}

/// (status, category, from) segments of an issue's life, in order: the status before the
/// first transition (its `from`, else the current status) from creation, then each
/// transition's target from its time.
fn segments<'a>(
    issue: &'a JiraIssue,
    history: &[&'a JiraTransition],
) -> Vec<(&'a str, Option<StatusCategory>, crate::model::Timestamp)> {
    let mut out = Vec::with_capacity(history.len() + 1);
    let (first_status, first_category) = match history.first() {
        Some(t) => (t.from_status.as_deref().unwrap_or(&issue.status), t.from_category),
        None => (issue.status.as_str(), issue.status_category),
    };
    out.push((first_status, first_category, issue.created_at));
    for t in history {
        out.push((t.to_status.as_str(), t.to_category, t.at));
    }
    out
}

/// Time per status between creation and resolution, merging repeated visits.
fn spans(issue: &JiraIssue, history: &[&JiraTransition], resolved: crate::model::Timestamp) -> Vec<StatusSpan> {
    let segments = segments(issue, history);
    let mut totals: Vec<StatusSpan> = Vec::new();
    for (i, (status, category, from)) in segments.iter().enumerate() {
        let to = segments.get(i + 1).map_or(resolved, |next| next.2).min(resolved);
        let seconds = (to - *from).num_seconds();
        if seconds <= 0 {
            continue;
        }
        match totals.iter_mut().find(|s| s.status == *status) {
            Some(span) => span.seconds += seconds,
            None => totals.push(StatusSpan { status: (*status).to_owned(), category: *category, seconds }),
        }
    }
    totals
}

/// Seconds spent in In Progress statuses within `[start, end)`.
fn active_between(
    issue: &JiraIssue,
    history: &[&JiraTransition],
    start: crate::model::Timestamp,
    end: crate::model::Timestamp,
) -> i64 {
    let segments = segments(issue, history);
    segments
        .iter()
        .enumerate()
        .filter(|(_, (_, category, _))| *category == Some(StatusCategory::InProgress))
        .map(|(i, (_, _, from))| {
            let to = segments.get(i + 1).map_or(end, |next| next.2).min(end);
            ((to - (*from).max(start)).num_seconds()).max(0)
        })
        .sum()
}
