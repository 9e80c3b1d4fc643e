//! Rework deployments (§2.6, DORA 2024).

use rustc_hash::FxHashMap as HashMap;

use super::{DeriveInput, Rules};
use crate::ids::{IssueKey, RepoName};
use crate::metrics::facts::{DeploymentFact, ReworkReason};
use crate::model::{IssuePrLink, JiraIssue, PullRequest};

pub(super) fn mark(
    input: &DeriveInput<'_>,
    rules: &Rules<'_>,
    links: &[IssuePrLink],
    deployments: &mut [DeploymentFact],
) {
    let prs: HashMap<(&RepoName, i64), &PullRequest> =
        input.pull_requests.iter().map(|p| ((&p.repo, p.number), p)).collect();
    let issues: HashMap<&IssueKey, &JiraIssue> = input.jira_issues.iter().map(|i| (&i.key, i)).collect();
    let mut bugs_by_pr: HashMap<(&RepoName, i64), Vec<&IssueKey>> = HashMap::default();
    for link in links {
        if issues.get(&link.issue).is_some_and(|i| i.issue_type.eq_ignore_ascii_case("bug")) {
            bugs_by_pr.entry((&link.repo, link.pr)).or_default().push(&link.issue);
        }
    }
    // PRs that incidents name; an incident without a repository names a PR number in
    // any repository of its scope, matched against the shipping deployment's PRs.
    let mut incident_prs: HashMap<i64, Vec<(Option<&RepoName>, &str)>> = HashMap::default();
    for i in input.incidents {
        if let Some(pr) = i.pr {
            incident_prs.entry(pr).or_default().push((i.repo.as_ref(), i.id.as_str()));
        }
    }

    for d in deployments.iter_mut().filter(|d| d.is_delivery()) {
        let mut reasons = Vec::new();
        for (repo, number) in &d.pull_requests {
            let Some(pr) = prs.get(&(repo, *number)) else { continue };
            pr_reasons(
                pr,
                |label| rules.of(repo).is_hotfix(label),
                incident_prs.get(number).into_iter().flatten().copied(),
                bugs_by_pr.get(&(repo, *number)).into_iter().flatten().map(|issue| issue.to_string()),
                &mut reasons,
            );
        }
        reasons.sort();
        reasons.dedup();
        d.rework = reasons;
    }
}

/// Why one shipped PR makes its delivery rework (§2.6): it reverts, it is labelled a
/// hotfix, an incident names it (`incidents`: those naming its number, with their
/// repository when they give one), or it fixes a Bug (`bugs`: the issues linked to it).
/// Shared by the full derivation and the incremental path.
pub(crate) fn pr_reasons<'a>(
    pr: &PullRequest,
    is_hotfix: impl Fn(&str) -> bool,
    incidents: impl Iterator<Item = (Option<&'a RepoName>, &'a str)>,
    bugs: impl Iterator<Item = String>,
    reasons: &mut Vec<ReworkReason>,
) {
    let title_revert = pr.title.as_deref().is_some_and(|t| t.starts_with("Revert \""));
    if pr.is_revert || title_revert {
        reasons.push(ReworkReason::Revert { pr: pr.number });
    }
    if pr.labels.iter().any(|l| is_hotfix(l)) {
        reasons.push(ReworkReason::Hotfix { pr: pr.number });
    }
    for (incident_repo, incident) in incidents {
        if incident_repo.is_none_or(|r| r == &pr.repo) {
            reasons.push(ReworkReason::IncidentPr { pr: pr.number, incident: incident.to_owned() });
        }
    }
    for issue in bugs {
        reasons.push(ReworkReason::BugFix { pr: pr.number, issue });
    }
}
