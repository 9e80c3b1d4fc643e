//! Pull requests: their timeline (§2.4) and the deployment that shipped them (§2.3).

use rustc_hash::FxHashMap as HashMap;

use super::{CommitIndex, DeriveInput, Rules};
use crate::ids::{RepoName, Sha};
use crate::metrics::facts::{DeploymentFact, PrFact};
use crate::model::*;

fn span(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<i64> {
    let seconds = (to? - from?).num_seconds();
    (seconds >= 0).then_some(seconds)
}

pub(super) fn derive(
    input: &DeriveInput<'_>,
    rules: &Rules<'_>,
    commits: &CommitIndex<'_>,
    deployments: &mut [DeploymentFact],
) -> Vec<PrFact> {
    let mut pr_commits: HashMap<(&RepoName, i64), Vec<&Sha>> = HashMap::default();
    for pc in input.pull_request_commits {
        pr_commits.entry((&pc.repo, pc.pr)).or_default().push(&pc.sha);
    }
    let mut reviews: HashMap<(&RepoName, i64), Vec<&Review>> = HashMap::default();
    for r in input.reviews {
        reviews.entry((&r.repo, r.pr)).or_default().push(r);
    }
    // Where each commit was shipped: only deliveries (successful production) have changes.
    let mut shipped_in: HashMap<&Sha, Vec<usize>> = HashMap::default();
    for (i, d) in deployments.iter().enumerate() {
        for sha in &d.changes {
            shipped_in.entry(sha).or_default().push(i);
        }
    }

    let mut facts = Vec::new();
    let mut shipped: Vec<(usize, (RepoName, i64))> = Vec::new();
    for pr in input.pull_requests {
        let Some(merged_at) = pr.merged_at else { continue };
        let repo_rules = rules.of(&pr.repo);

        let first_commit = pr_commits
            .get(&(&pr.repo, pr.number))
            .into_iter()
            .flatten()
            .filter_map(|sha| commits.get(&(&pr.repo, *sha)))
            .min_by(|a, b| (a.authored_at, &a.sha).cmp(&(b.authored_at, &b.sha)));
        let human_activity: Vec<&Review> = reviews
            .get(&(&pr.repo, pr.number))
            .into_iter()
            .flatten()
            .copied()
            .filter(|r| r.author != pr.author && !repo_rules.is_bot(&r.author))
            .collect();
        let first_review = human_activity.iter().min_by(|a, b| (a.submitted_at, &a.id).cmp(&(b.submitted_at, &b.id)));
        let formal: Vec<&&Review> = human_activity.iter().filter(|r| r.kind == ReviewKind::Review).collect();
        let approved = formal.iter().any(|r| r.state == Some(ReviewState::Approved));
        let changes_requested = formal.iter().any(|r| r.state == Some(ReviewState::ChangesRequested));

        // The earliest successful production deployment whose changes hold the merge
        // commit (ties: finish, then id).
        let deployment = pr.merge_commit_sha.as_ref().and_then(|sha| {
            shipped_in.get(sha)?.iter().copied().min_by(|&a, &b| {
                let (a, b) = (&deployments[a], &deployments[b]);
                (a.started_at, a.finished_at, &a.repo, &a.id).cmp(&(b.started_at, b.finished_at, &b.repo, &b.id))
            })
        });
        if let Some(sha) = &pr.merge_commit_sha {
            for &i in shipped_in.get(sha).into_iter().flatten() {
                shipped.push((i, (pr.repo.clone(), pr.number)));
            }
        }
        let deployed_at = deployment.map(|i| deployments[i].finished_at);

        let first_commit_at = first_commit.map(|c| c.authored_at);
        let first_review_at = first_review.map(|r| r.submitted_at);
        let coding = span(first_commit_at, Some(pr.created_at));
        let deploy = span(Some(merged_at), deployed_at);
        let open = span(Some(pr.created_at), Some(merged_at)).unwrap_or(0);
        facts.push(PrFact {
            repo: pr.repo.clone(),
            number: pr.number,
            author: pr.author.clone(),
            title: pr.title.clone(),
            created_at: pr.created_at,
            merged_at,
            size: match (pr.additions, pr.deletions) {
                (None, None) => None,
                (a, d) => Some(a.unwrap_or(0) + d.unwrap_or(0)),
            },
            first_commit_sha: first_commit.map(|c| c.sha.clone()),
            first_commit_at,
            first_review_id: first_review.map(|r| r.id.clone()),
            first_review_at,
            coding,
            pickup: span(Some(pr.created_at), first_review_at),
            review: span(first_review_at, Some(merged_at)),
            deploy,
            lead_time: coding.unwrap_or(0) + open + deploy.unwrap_or(0),
            deployment: deployment.map(|i| deployments[i].key()),
            deployed_at,
            attribution: deployment.and_then(|i| deployments[i].attribution),
            reviews: formal.len() as u32,
            approved_first_time: approved && !changes_requested,
        });
    }
    drop(shipped_in);
    for (i, pr) in shipped {
        deployments[i].pull_requests.push(pr);
    }
    for d in deployments.iter_mut() {
        d.pull_requests.sort();
        d.pull_requests.dedup();
    }
    facts
}
