//! Incident → deployment links (§2.5): an explicit reference wins; otherwise the latest
//! successful production deployment before the incident, within its repository when it
//! names one, else within its project.

use std::collections::{HashMap, HashSet};

use super::DeriveInput;
use crate::ids::{ProjectName, RepoName};
use crate::metrics::facts::{DeploymentFact, IncidentFact, LinkMethod, PrFact};
use crate::model::Incident;

pub(super) fn derive(input: &DeriveInput<'_>, deployments: &[DeploymentFact], prs: &[PrFact]) -> Vec<IncidentFact> {
    // Deliveries only: nothing else can be linked. Sorted by finish for the inference.
    let mut deliveries: Vec<&DeploymentFact> = deployments.iter().filter(|d| d.is_delivery()).collect();
    deliveries.sort_by(|a, b| {
        (a.finished_at, a.started_at, &a.repo, &a.id).cmp(&(b.finished_at, b.started_at, &b.repo, &b.id))
    });
    let project_repos: HashMap<&ProjectName, HashSet<&RepoName>> =
        input.projects.iter().map(|p| (&p.name, p.repos.iter().collect())).collect();

    input
        .incidents
        .iter()
        .map(|incident| {
            // Which deployments may be linked: the named repository's, else the project's,
            // else (an incident of the client as a whole) any.
            let in_scope = |d: &DeploymentFact| match (&incident.repo, &incident.project) {
                (Some(repo), _) => &d.repo == repo,
                (None, Some(project)) => project_repos.get(project).is_some_and(|repos| repos.contains(&d.repo)),
                (None, None) => true,
            };
            let (deployment, method, unmatched) = match explicit(incident) {
                Some(reference) => match resolve(&reference, &deliveries, prs, deployments, &in_scope) {
                    Some(d) => (Some(d), Some(LinkMethod::Explicit), None),
                    None => (None, None, Some(reference.describe())),
                },
                None => {
                    let latest = deliveries
                        .iter()
                        .rev()
                        .skip_while(|d| d.finished_at >= incident.created_at)
                        .find(|d| in_scope(d))
                        .copied();
                    (latest, latest.map(|_| LinkMethod::Inferred), None)
                }
            };
            IncidentFact {
                id: incident.id.clone(),
                title: incident.title.clone(),
                created_at: incident.created_at,
                resolved_at: incident.resolved_at,
                repo: incident.repo.clone(),
                project: incident.project.clone(),
                deployment: deployment.map(DeploymentFact::key),
                deployment_finished_at: deployment.map(|d| d.finished_at),
                method,
                unmatched_reference: unmatched,
            }
        })
        .collect()
}

enum Reference<'a> {
    Deployment(&'a str),
    Sha(&'a str),
    Pr(i64),
}

impl Reference<'_> {
    fn describe(&self) -> String {
        match self {
            Reference::Deployment(id) => format!("deployment {id}"),
            Reference::Sha(sha) => format!("commit {sha}"),
            Reference::Pr(n) => format!("pull request #{n}"),
        }
    }
}

/// The incident's explicit link, by precedence: deployment id, then sha, then PR.
fn explicit(incident: &Incident) -> Option<Reference<'_>> {
    if let Some(id) = &incident.deployment_id {
        return Some(Reference::Deployment(id));
    }
    if let Some(sha) = &incident.sha {
        return Some(Reference::Sha(sha.as_str()));
    }
    incident.pr.map(Reference::Pr)
}

fn resolve<'d>(
    reference: &Reference<'_>,
    deliveries: &[&'d DeploymentFact],
    prs: &[PrFact],
    deployments: &'d [DeploymentFact],
    in_scope: &dyn Fn(&DeploymentFact) -> bool,
) -> Option<&'d DeploymentFact> {
    match reference {
        // An id may repeat across repositories (one pipeline deploying several): the
        // latest such delivery in scope.
        Reference::Deployment(id) => deliveries.iter().rev().find(|d| d.id == *id && in_scope(d)).copied(),
        // The earliest delivery of that commit.
        Reference::Sha(sha) => deliveries.iter().find(|d| d.sha.as_str() == *sha && in_scope(d)).copied(),
        // That PR's deployment; the PR is looked up in the incident's scope.
        Reference::Pr(number) => prs
            .iter()
            .filter(|pr| pr.number == *number)
            .filter_map(|pr| pr.deployment.as_ref())
            .filter_map(|key| deployments.iter().find(|d| d.repo == key.repo && d.id == key.id))
            .find(|d| in_scope(d)),
    }
}
