//! Deployments of each repository's default branch, and the incidents that follow some
//! production deployments.

use std::ops::Range;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::Org;
use super::history::MainLine;
use super::random::{Clock, DAY, HOUR, MINUTE, lognormal, pick, weighted};
use super::roster::Roster;
use super::scale::Sizes;
use crate::ids::RepoName;
use crate::model::{Commit, Deployment, DeploymentResult, DeploymentSource, Incident, PullRequest, RecordSource};

pub(crate) const PRODUCTION: &str = "production";
pub(crate) const STAGING: &str = "staging";

const SYMPTOMS: [&str; 6] = [
    "Elevated 5xx rate",
    "Latency above SLO",
    "Payment callbacks failing",
    "Queue backlog growing",
    "Error spike after deploy",
    "Database connections exhausted",
];
const PROJECT_SYMPTOMS: [&str; 3] =
    ["Checkout degraded for some customers", "Partial storefront outage", "Card payments declined in the EU"];

/// Appends one repository's deployments, in time order with ids `deploy-1`, `deploy-2`, …
/// Each deploys main's head when it started, so production ships several merged PRs at
/// a time and every sha is on main.
pub(crate) fn deploy(
    sizes: &Sizes,
    clock: &Clock,
    repo: &RepoName,
    rng: &mut ChaCha8Rng,
    main: &MainLine,
    commits: &[Commit],
    out: &mut Vec<Deployment>,
) {
    let len = clock.len();
    let count = rng.random_range(sizes.deployments_per_repo.clone());
    let staging = (count as f64 * sizes.staging_share).round() as usize;
    // The first day stays quiet so there is history to deploy.
    let mut runs: Vec<(i64, &'static str)> = (0..count)
        .map(|n| (clock.work_time(rng, DAY, len - MINUTE), if n < staging { STAGING } else { PRODUCTION }))
        .collect();
    runs.sort_by_key(|&(finished, _)| finished);
    for (n, (finished, environment)) in runs.into_iter().enumerate() {
        let started = finished - rng.random_range(3 * MINUTE..15 * MINUTE);
        let failure_share = if environment == PRODUCTION { 0.1 } else { 0.15 };
        let result = if rng.random_bool(failure_share) { DeploymentResult::Failure } else { DeploymentResult::Success };
        out.push(Deployment {
            repo: repo.clone(),
            id: format!("deploy-{}", n + 1),
            sha: commits[main.head_at(started)].sha.clone(),
            environment: environment.to_owned(),
            result,
            started_at: Some(clock.at(started)),
            finished_at: clock.at(finished),
            source: DeploymentSource::Import,
        });
    }
}

/// Where each repository's records sit in the org's vectors.
pub(crate) struct RepoSpans {
    pub(crate) pull_requests: Range<usize>,
    pub(crate) deployments: Range<usize>,
}

/// Incidents, ids `INC-1`, … in creation order. Each starts a little after a successful
/// production deployment; a fifth name no repository (they belong to the project), the
/// rest name the deployment's repository and some also an explicit cause: the
/// deployment, its sha, or a PR it shipped.
pub(crate) fn incidents(
    sizes: &Sizes,
    clock: &Clock,
    roster: &Roster,
    spans: &[RepoSpans],
    org: &Org,
    mut rng: ChaCha8Rng,
) -> Vec<Incident> {
    let len = clock.len();
    let (deployments, pull_requests) = (&org.deployments, &org.pull_requests);
    // Successful production deployments that leave time for an incident, per repository.
    let shipped: Vec<Vec<usize>> = spans
        .iter()
        .map(|span| {
            span.deployments
                .clone()
                .filter(|&d| {
                    let dep = &deployments[d];
                    dep.environment == PRODUCTION
                        && dep.result == DeploymentResult::Success
                        && clock.offset(dep.finished_at) < len - HOUR
                })
                .collect()
        })
        .collect();
    let repos: Vec<usize> = (0..spans.len()).filter(|&r| !shipped[r].is_empty()).collect();
    if repos.is_empty() {
        return Vec::new();
    }

    let count = rng.random_range(sizes.incidents.clone());
    let mut incidents: Vec<(i64, Incident)> = Vec::with_capacity(count);
    for _ in 0..count {
        let r = *pick(&mut rng, &repos);
        let k = rng.random_range(0..shipped[r].len());
        let cause = &deployments[shipped[r][k]];
        let created = (clock.offset(cause.finished_at) + lognormal(&mut rng, 3 * HOUR, 1.2, 5 * MINUTE, 3 * DAY))
            .min(len - MINUTE);
        let resolved_at = if rng.random_bool(0.08) {
            None
        } else {
            let resolved = created + lognormal(&mut rng, 150 * MINUTE, 1.1, 10 * MINUTE, 5 * DAY);
            (resolved < len).then(|| clock.at(resolved))
        };
        let severity = ["sev1", "sev2", "sev3"][weighted(&mut rng, &[10, 30, 60])];
        let mut incident = Incident {
            // Numbered once all are sorted.
            id: String::new(),
            created_at: clock.at(created),
            resolved_at,
            title: None,
            repo: None,
            project: None,
            deployment_id: None,
            sha: None,
            pr: None,
            severity: Some(severity.to_owned()),
            source: RecordSource::Import,
        };
        if rng.random_bool(0.2) {
            incident.title = Some((*pick(&mut rng, &PROJECT_SYMPTOMS)).to_owned());
            incident.project = Some(org.project.name.clone());
        } else {
            let repo = &roster.repos[r];
            incident.title = Some(format!("{} in {}", pick(&mut rng, &SYMPTOMS), repo.short()));
            incident.repo = Some(repo.name.clone());
            match weighted(&mut rng, &[15, 10, 10, 65]) {
                0 => incident.deployment_id = Some(cause.id.clone()),
                1 => incident.sha = Some(cause.sha.clone()),
                2 => {
                    let previous = k.checked_sub(1).map(|p| &deployments[shipped[r][p]]);
                    incident.pr = shipped_pr(&mut rng, previous, cause, &pull_requests[spans[r].pull_requests.clone()]);
                }
                _ => {}
            }
        }
        incidents.push((created, incident));
    }
    // Stable, so equal times keep draw order.
    incidents.sort_by_key(|&(created, _)| created);
    incidents
        .into_iter()
        .enumerate()
        .map(|(n, (_, mut incident))| {
            incident.id = format!("INC-{}", n + 1);
            incident
        })
        .collect()
}

/// A PR that `cause` shipped: merged after the previous successful production deployment
/// started and no later than `cause` started (deployments deploy main's head at their
/// start). None for the first deployment, whose changes are empty by definition.
fn shipped_pr(
    rng: &mut ChaCha8Rng,
    previous: Option<&Deployment>,
    cause: &Deployment,
    pull_requests: &[PullRequest],
) -> Option<i64> {
    let after = previous?.started_at?;
    let until = cause.started_at?;
    let candidates: Vec<i64> = pull_requests
        .iter()
        .filter(|pr| pr.merged_at.is_some_and(|m| m > after && m <= until))
        .map(|pr| pr.number)
        .collect();
    (!candidates.is_empty()).then(|| *pick(rng, &candidates))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::TimeDelta;

    use super::super::fixture::{end, small};
    use super::super::history::tests::history;
    use super::super::{Org, Scale, build};
    use super::*;
    use crate::ids::Sha;

    fn successful_production(d: &Deployment) -> bool {
        d.environment == PRODUCTION && d.result == DeploymentResult::Success
    }

    #[test]
    fn deployments_ship_main_as_it_was_when_they_started() {
        let org = small();
        for repo in &org.repositories {
            let h = history(org, &repo.name);
            let deployments: Vec<&Deployment> = org.deployments.iter().filter(|d| d.repo == repo.name).collect();
            for (n, d) in deployments.iter().enumerate() {
                assert_eq!(d.id, format!("deploy-{}", n + 1));
                let started = d.started_at.unwrap();
                let took = d.finished_at - started;
                assert!(took >= TimeDelta::minutes(3) && took < TimeDelta::minutes(15), "{took}");
                let head = h.main.iter().rev().find(|c| c.committed_at <= Some(started)).unwrap();
                assert_eq!(d.sha, head.sha, "{} {}", repo.name, d.id);
            }
            assert!(deployments.windows(2).all(|w| w[0].finished_at <= w[1].finished_at));
        }
    }

    #[test]
    fn production_ships_several_prs_at_a_time_and_sometimes_fails() {
        let org = small();
        let production: Vec<&Deployment> = org.deployments.iter().filter(|d| d.environment == PRODUCTION).collect();
        let failed = production.iter().filter(|d| d.result == DeploymentResult::Failure).count();
        assert!(failed * 100 > 3 * production.len() && failed * 100 < 20 * production.len(), "{failed}");
        let merged = org.pull_requests.iter().filter(|p| p.merged_at.is_some()).count();
        let shipped = production.len() - failed;
        assert!(merged > 3 * shipped, "{merged} merges for {shipped} deployments");
    }

    /// Where each commit sits on main, for reachability: on a first-parent line, A is
    /// reachable from B exactly when A's position is not after B's.
    fn positions(org: &Org, repo: &RepoName) -> HashMap<Sha, usize> {
        history(org, repo).main.iter().enumerate().map(|(i, c)| (c.sha.clone(), i)).collect()
    }

    fn check_incidents(org: &Org) {
        let by_id: HashMap<(&RepoName, &str), &Deployment> =
            org.deployments.iter().map(|d| ((&d.repo, d.id.as_str()), d)).collect();
        let mut previous = None;
        for (n, incident) in org.incidents.iter().enumerate() {
            assert_eq!(incident.id, format!("INC-{}", n + 1));
            assert!(previous <= Some(incident.created_at));
            previous = Some(incident.created_at);
            assert!(incident.resolved_at.is_none_or(|r| r > incident.created_at));
            assert!(["sev1", "sev2", "sev3"].contains(&incident.severity.as_deref().unwrap()));
            let Some(repo) = &incident.repo else { continue };
            let shipped: Vec<&Deployment> = org
                .deployments
                .iter()
                .filter(|d| &d.repo == repo && successful_production(d) && d.finished_at < incident.created_at)
                .collect();
            assert!(!shipped.is_empty(), "{} follows no deployment", incident.id);
            if let Some(id) = &incident.deployment_id {
                let d = by_id[&(repo, id.as_str())];
                assert!(successful_production(d) && d.finished_at < incident.created_at);
            }
            if let Some(sha) = &incident.sha {
                assert!(shipped.iter().any(|d| &d.sha == sha));
            }
            if let Some(number) = incident.pr {
                // The PR's deployment (the first that ships it) came before the incident.
                let pr = org.pull_requests.iter().find(|p| &p.repo == repo && p.number == number).unwrap();
                let at = positions(org, repo);
                let landed = at[pr.merge_commit_sha.as_ref().unwrap()];
                assert!(shipped.iter().any(|d| at[&d.sha] >= landed), "{}", incident.id);
            }
        }
    }

    #[test]
    fn incidents_follow_production_deployments() {
        check_incidents(small());
    }

    #[test]
    fn incidents_mix_explicit_inferred_and_project_wide() {
        let mut sizes = Scale::Small.sizes();
        sizes.incidents = 300..=300;
        let org = build(&sizes, 11, end());
        check_incidents(&org);
        let count = |f: &dyn Fn(&Incident) -> bool| org.incidents.iter().filter(|i| f(i)).count();
        let project_wide = count(&|i| i.repo.is_none());
        assert!((40..90).contains(&project_wide), "{project_wide}");
        assert!(count(&|i| i.deployment_id.is_some()) > 10);
        assert!(count(&|i| i.sha.is_some()) > 5);
        assert!(count(&|i| i.pr.is_some()) > 5);
        assert!(count(&|i| i.repo.is_some() && i.deployment_id.is_none() && i.sha.is_none() && i.pr.is_none()) > 100);
        assert!(count(&|i| i.resolved_at.is_none()) > 0);
        // Incidents draw from their own stream: asking for more changes nothing else.
        let fewer = build(&Scale::Small.sizes(), 11, end());
        assert_eq!(fewer.deployments, org.deployments);
        assert_eq!(fewer.commits, org.commits);
        assert_ne!(fewer.incidents.len(), org.incidents.len());
    }
}
