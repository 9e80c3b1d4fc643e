//! Incident → deployment links (§2.5): an explicit reference wins; otherwise the latest
//! successful production deployment before the incident, within its repository when it
//! names one, else within its project.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

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
    let by_key: HashMap<(&RepoName, &str), &DeploymentFact> =
        deployments.iter().map(|d| ((&d.repo, d.id.as_str()), d)).collect();
    let mut prs_by_number: HashMap<i64, Vec<&PrFact>> = HashMap::default();
    for pr in prs {
        prs_by_number.entry(pr.number).or_default().push(pr);
    }
    let index = Index { deliveries: &deliveries, prs_by_number: &prs_by_number, by_key: &by_key };

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
                Some(reference) => match resolve(&reference, &index, &in_scope) {
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

/// Whether `reference` (an incident's unmatched reference, as [`Reference::describe`]
/// wrote it) names delivery `d`: its id, its commit or a pull request it ships.
pub(crate) fn names_delivery(reference: &str, d: &DeploymentFact) -> bool {
    reference == Reference::Deployment(&d.id).describe()
        || reference == Reference::Sha(d.sha.as_str()).describe()
        || d.pull_requests.iter().any(|(_, n)| reference == Reference::Pr(*n).describe())
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

/// What explicit references are resolved against.
struct Index<'a, 'd> {
    /// Deliveries by finish.
    deliveries: &'a [&'d DeploymentFact],
    prs_by_number: &'a HashMap<i64, Vec<&'a PrFact>>,
    by_key: &'a HashMap<(&'d RepoName, &'d str), &'d DeploymentFact>,
}

fn resolve<'d>(
    reference: &Reference<'_>,
    index: &Index<'_, 'd>,
    in_scope: &dyn Fn(&DeploymentFact) -> bool,
) -> Option<&'d DeploymentFact> {
    match reference {
        // An id may repeat across repositories (one pipeline deploying several): the
        // latest such delivery in scope.
        Reference::Deployment(id) => index.deliveries.iter().rev().find(|d| d.id == *id && in_scope(d)).copied(),
        // The earliest delivery of that commit.
        Reference::Sha(sha) => index.deliveries.iter().find(|d| d.sha.as_str() == *sha && in_scope(d)).copied(),
        // That PR's deployment; the PR is looked up in the incident's scope.
        Reference::Pr(number) => index
            .prs_by_number
            .get(number)
            .into_iter()
            .flatten()
            .filter_map(|pr| pr.deployment.as_ref())
            .filter_map(|key| index.by_key.get(&(&key.repo, key.id.as_str())).copied())
            .find(|d| in_scope(d)),
    }
}
