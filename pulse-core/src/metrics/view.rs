//! Facts with the indexes every aggregate needs, built once per derivation.

use rustc_hash::FxHashMap as HashMap;

use super::facts::*;
use crate::ids::RepoName;

/// A client's facts, indexed. Shared read-only between queries.
#[derive(Debug, Default)]
pub struct FactsView {
    pub facts: Facts,
    deployments: HashMap<DeploymentRef, usize>,
    prs: HashMap<(RepoName, i64), usize>,
    /// Successful production deployments, by finish time.
    deliveries: Vec<usize>,
    /// PRs by the deployment they were deployed by.
    prs_by_deployment: HashMap<usize, Vec<usize>>,
    /// Incidents by the deployment they are linked to.
    incidents_by_deployment: HashMap<usize, Vec<usize>>,
    /// Merged PRs by merge time.
    merged: Vec<usize>,
}

impl FactsView {
    pub fn new(facts: Facts) -> Self {
        let deployments: HashMap<DeploymentRef, usize> =
            facts.deployments.iter().enumerate().map(|(i, d)| (d.key(), i)).collect();
        let prs: HashMap<(RepoName, i64), usize> =
            facts.pull_requests.iter().enumerate().map(|(i, p)| ((p.repo.clone(), p.number), i)).collect();
        let mut deliveries: Vec<usize> =
            (0..facts.deployments.len()).filter(|&i| facts.deployments[i].is_delivery()).collect();
        deliveries.sort_by_key(|&i| facts.deployments[i].finished_at);
        let mut prs_by_deployment: HashMap<usize, Vec<usize>> = HashMap::default();
        for (i, pr) in facts.pull_requests.iter().enumerate() {
            if let Some(d) = pr.deployment.as_ref().and_then(|d| deployments.get(d)) {
                prs_by_deployment.entry(*d).or_default().push(i);
            }
        }
        let mut incidents_by_deployment: HashMap<usize, Vec<usize>> = HashMap::default();
        for (i, incident) in facts.incidents.iter().enumerate() {
            if let Some(d) = incident.deployment.as_ref().and_then(|d| deployments.get(d)) {
                incidents_by_deployment.entry(*d).or_default().push(i);
            }
        }
        let mut merged: Vec<usize> = (0..facts.pull_requests.len()).collect();
        merged.sort_by_key(|&i| facts.pull_requests[i].merged_at);
        Self { facts, deployments, prs, deliveries, prs_by_deployment, incidents_by_deployment, merged }
    }

    pub fn deployment(&self, key: &DeploymentRef) -> Option<&DeploymentFact> {
        self.deployments.get(key).map(|&i| &self.facts.deployments[i])
    }

    pub fn pr(&self, repo: &RepoName, number: i64) -> Option<&PrFact> {
        self.prs.get(&(repo.clone(), number)).map(|&i| &self.facts.pull_requests[i])
    }

    /// Deliveries (successful production deployments) finished in `[from, to)`, by finish.
    pub fn deliveries_between(
        &self,
        from: crate::model::Timestamp,
        to: crate::model::Timestamp,
    ) -> impl Iterator<Item = (usize, &DeploymentFact)> {
        let d = &self.facts.deployments;
        let start = self.deliveries.partition_point(|&i| d[i].finished_at < from);
        let end = self.deliveries.partition_point(|&i| d[i].finished_at < to);
        self.deliveries[start..end].iter().map(move |&i| (i, &d[i]))
    }

    /// PRs merged in `[from, to)`.
    pub fn merged_between(
        &self,
        from: crate::model::Timestamp,
        to: crate::model::Timestamp,
    ) -> impl Iterator<Item = &PrFact> {
        let p = &self.facts.pull_requests;
        let start = self.merged.partition_point(|&i| p[i].merged_at < from);
        let end = self.merged.partition_point(|&i| p[i].merged_at < to);
        self.merged[start..end].iter().map(move |&i| &p[i])
    }

    /// PRs deployed by deployment number `i`.
    pub fn prs_of(&self, i: usize) -> impl Iterator<Item = &PrFact> {
        self.prs_by_deployment.get(&i).into_iter().flatten().map(|&p| &self.facts.pull_requests[p])
    }

    /// Incidents linked to deployment number `i`.
    pub fn incidents_of(&self, i: usize) -> impl Iterator<Item = &IncidentFact> {
        self.incidents_by_deployment.get(&i).into_iter().flatten().map(|&n| &self.facts.incidents[n])
    }
}
