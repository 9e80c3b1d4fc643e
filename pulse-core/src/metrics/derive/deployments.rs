//! Deployments: the `merge` fallback, previous successful deployments (§2.1) and each
//! production deployment's changes (§2.2).

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{DeriveInput, DiffMemo, Rules};
use crate::ids::{RepoName, Sha};
use crate::metrics::facts::{Attribution, DeploymentFact};
use crate::metrics::graph::{CommitGraph, CommitSet};
use crate::model::*;

pub(super) fn derive(input: &DeriveInput<'_>, rules: &Rules<'_>, memo: &mut DiffMemo) -> Vec<DeploymentFact> {
    let mut history = History::new(input);
    let mut facts: Vec<DeploymentFact> = input
        .deployments
        .iter()
        .map(|d| DeploymentFact {
            repo: d.repo.clone(),
            id: d.id.clone(),
            sha: d.sha.clone(),
            environment: d.environment.clone(),
            result: d.result,
            source: d.source,
            started_at: d.started_at.unwrap_or(d.finished_at),
            finished_at: d.finished_at,
            production: rules.of(&d.repo).is_production(&d.environment),
            previous: None,
            previous_sha: None,
            attribution: None,
            changes: Vec::new(),
            pull_requests: Vec::new(),
            rework: Vec::new(),
        })
        .collect();
    link_sequences(&mut facts, &mut history, memo);
    // The fallback needs to know what the real deployments shipped: a repository whose
    // merges another repository's pipeline deploys is deployed, not a fallback case.
    let mut fallback = merge_fallback(input, &facts);
    link_sequences(&mut fallback, &mut history, memo);
    facts.append(&mut fallback);
    facts
}

/// The commit graphs and merged PRs of each repository, built when first needed.
struct History<'a> {
    commits_by_repo: HashMap<&'a RepoName, Vec<&'a Commit>>,
    merged_by_repo: HashMap<&'a RepoName, Vec<&'a PullRequest>>,
    graphs: HashMap<RepoName, CommitGraph>,
}

impl<'a> History<'a> {
    fn new(input: &DeriveInput<'a>) -> Self {
        let mut commits_by_repo: HashMap<&RepoName, Vec<&Commit>> = HashMap::default();
        for c in input.commits {
            commits_by_repo.entry(&c.repo).or_default().push(c);
        }
        let mut merged_by_repo: HashMap<&RepoName, Vec<&PullRequest>> = HashMap::default();
        for pr in input.pull_requests.iter().filter(|pr| pr.merged_at.is_some() && pr.merge_commit_sha.is_some()) {
            merged_by_repo.entry(&pr.repo).or_default().push(pr);
        }
        Self { commits_by_repo, merged_by_repo, graphs: HashMap::default() }
    }

    fn graph(&mut self, repo: &RepoName) -> &CommitGraph {
        let commits = &self.commits_by_repo;
        self.graphs
            .entry(repo.clone())
            .or_insert_with(|| CommitGraph::new(commits.get(repo).into_iter().flatten().copied()))
    }
}

/// Sets `previous`, `attribution` and `changes` of every deployment: sorts them by
/// (repo, environment, finish) and walks each sequence in time order.
fn link_sequences(facts: &mut [DeploymentFact], history: &mut History<'_>, memo: &mut DiffMemo) {
    facts.sort_by(|a, b| {
        (&a.repo, &a.environment, a.finished_at, a.started_at, &a.id).cmp(&(
            &b.repo,
            &b.environment,
            b.finished_at,
            b.started_at,
            &b.id,
        ))
    });
    let mut start = 0;
    while start < facts.len() {
        let mut end = start + 1;
        while end < facts.len()
            && facts[end].repo == facts[start].repo
            && facts[end].environment == facts[start].environment
        {
            end += 1;
        }
        let mut walk = SequenceWalk::default();
        let mut previous: Option<usize> = None;
        for i in start..end {
            if facts[i].result != DeploymentResult::Success {
                continue;
            }
            // Previous = the latest success finished strictly before this one.
            let prev = previous.filter(|&p| facts[p].finished_at < facts[i].finished_at).or_else(|| {
                (start..i).rev().find(|&p| {
                    facts[p].result == DeploymentResult::Success && facts[p].finished_at < facts[i].finished_at
                })
            });
            if let Some(p) = prev {
                facts[i].previous = Some(facts[p].id.clone());
                facts[i].previous_sha = Some(facts[p].sha.clone());
                if facts[i].production {
                    let (attribution, changes) = changes(&facts[p], &facts[i], &mut walk, history, memo);
                    facts[i].attribution = Some(attribution);
                    facts[i].changes = changes;
                }
            }
            previous = Some(i);
        }
        start = end;
    }
}

/// Spec §2.2: what `new` shipped after `old`, from the memo, the graph, or by time.
fn changes(
    old: &DeploymentFact,
    new: &DeploymentFact,
    walk: &mut SequenceWalk,
    history: &mut History<'_>,
    memo: &mut DiffMemo,
) -> (Attribution, Vec<Sha>) {
    if let Some(commits) = memo.get(&new.repo, &new.sha, &old.sha) {
        walk.forget();
        return (Attribution::Graph, commits.clone());
    }
    match walk.diff(history.graph(&new.repo), &old.sha, &new.sha) {
        Some(commits) => {
            memo.record(&new.repo, &new.sha, &old.sha, commits.clone());
            (Attribution::Graph, commits)
        }
        None => {
            (Attribution::Time, merged_between(history.merged_by_repo.get(&new.repo), old.finished_at, new.finished_at))
        }
    }
}

/// What the commits reachable from the last deployment of a sequence are, so the next
/// diff in the sequence costs only its own commits.
#[derive(Default)]
struct SequenceWalk {
    reach: Option<(u32, CommitSet)>,
}

impl SequenceWalk {
    fn forget(&mut self) {
        self.reach = None;
    }

    /// The graph diff new − old, or `None` when either sha is not in the graph (the
    /// history is incomplete).
    fn diff(&mut self, graph: &CommitGraph, old: &Sha, new: &Sha) -> Option<Vec<Sha>> {
        let (Some(old_id), Some(new_id)) = (graph.id(old), graph.id(new)) else {
            self.forget();
            return None;
        };
        let old_reach = match self.reach.take() {
            Some((tip, reach)) if tip == old_id => reach,
            _ => graph.reachable(old_id),
        };
        let diff = graph.diff(new_id, Some((old_id, &old_reach)));
        let commits = diff.commits.iter().map(|&id| graph.sha(id).clone()).collect();
        if diff.old_is_ancestor {
            self.reach = Some((new_id, graph.reach_after(&old_reach, &diff)));
        }
        Some(commits)
    }
}

/// Merge commits of PRs merged in `(from, to]`, newest first: the fallback attribution.
fn merged_between(prs: Option<&Vec<&PullRequest>>, from: Timestamp, to: Timestamp) -> Vec<Sha> {
    let mut hits: Vec<(&Timestamp, &Sha)> = prs
        .into_iter()
        .flatten()
        .filter_map(|pr| Some((pr.merged_at.as_ref()?, pr.merge_commit_sha.as_ref()?)))
        .filter(|(merged, _)| **merged > from && **merged <= to)
        .collect();
    hits.sort_by(|a, b| b.cmp(a));
    hits.into_iter().map(|(_, sha)| sha.clone()).collect()
}

/// Spec §1: a repository without any deployment record treats each PR merged into its
/// default branch as a successful production deployment of the merge commit. A
/// repository whose merge commits some deployment shipped (another repository's pipeline
/// deploys it) has deployments, so it is not a fallback case.
fn merge_fallback(input: &DeriveInput<'_>, deployed: &[DeploymentFact]) -> Vec<DeploymentFact> {
    let shipped: HashSet<&Sha> = deployed.iter().flat_map(|d| &d.changes).collect();
    let mut has_deployments: HashSet<&RepoName> = deployed.iter().map(|d| &d.repo).collect();
    for pr in input.pull_requests {
        if pr.merge_commit_sha.as_ref().is_some_and(|sha| shipped.contains(sha)) {
            has_deployments.insert(&pr.repo);
        }
    }
    let default_branch: BTreeMap<&RepoName, &str> =
        input.repositories.iter().map(|r| (&r.name, r.default_branch.as_str())).collect();
    input
        .pull_requests
        .iter()
        .filter(|pr| !has_deployments.contains(&pr.repo))
        .filter_map(|pr| {
            let merged_at = pr.merged_at?;
            let sha = pr.merge_commit_sha.clone()?;
            let default = default_branch.get(&pr.repo).copied().unwrap_or("main");
            if pr.base.as_deref().is_some_and(|base| base != default) {
                return None;
            }
            Some(DeploymentFact {
                repo: pr.repo.clone(),
                id: format!("merge:{}", pr.number),
                sha,
                environment: "production".to_owned(),
                result: DeploymentResult::Success,
                source: DeploymentSource::Merge,
                started_at: merged_at,
                finished_at: merged_at,
                production: true,
                previous: None,
                previous_sha: None,
                attribution: None,
                changes: Vec::new(),
                pull_requests: Vec::new(),
                rework: Vec::new(),
            })
        })
        .collect()
}
