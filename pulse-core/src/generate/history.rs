//! The second phase, per repository: pull requests, their branch commits, the default
//! branch's history and the review activity, built from the plans.
//!
//! The default branch ("main") grows in time order: each merge event lands the PR the
//! way its merge style says, direct pushes land in between. A branch starts from main's
//! head at the PR's first commit, so every branch commit has a real parent and main
//! stays a single first-parent line that deployments can pick heads from.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::Org;
use super::plan::{Author, MergeStyle, Outcome, PrPlan, RepoPlan};
use super::random::{Clock, DAY, HOUR, MINUTE, ShaMint, lognormal, pick, weighted};
use super::roster::{DEPLOY_BOT, OWNER, Roster};
use crate::ids::{RepoName, Sha};
use crate::model::{Commit, JiraIssue, PullRequest, PullRequestCommit, RecordSource, Review, ReviewKind, ReviewState};

const FIX_VERBS: [&str; 1] = ["Fix"];
const FEATURE_VERBS: [&str; 3] = ["Add", "Support", "Introduce"];
const OTHER_VERBS: [&str; 7] = ["Refactor", "Improve", "Update", "Clean up", "Speed up", "Document", "Simplify"];
const OBJECTS: [&str; 24] = [
    "retry logic for payment webhooks",
    "cart totals rounding",
    "session expiry handling",
    "currency conversion cache",
    "order confirmation emails",
    "address validation",
    "refund workflow",
    "fraud score thresholds",
    "inventory reservation",
    "checkout button state",
    "tax calculation for EU",
    "gift card redemption",
    "idempotency keys on charges",
    "payment method selection",
    "receipt PDF rendering",
    "shipping rate lookup",
    "coupon stacking rules",
    "ledger reconciliation job",
    "metrics for the payment gateway",
    "rate limits on the public API",
    "feature flags for the new flow",
    "database connection pooling",
    "deploy pipeline caching",
    "error messages on declined cards",
];
const COMMIT_MESSAGES: [&str; 12] = [
    "wip",
    "address review comments",
    "add tests",
    "fix lint",
    "handle the empty case",
    "rename for clarity",
    "update snapshots",
    "extract helper",
    "fix flaky test",
    "tidy up",
    "first pass",
    "bump timeout in test",
];
const DIRECT_MESSAGES: [&str; 6] = [
    "docs: update README",
    "ci: pin runner image",
    "fix typo in config",
    "chore: update CODEOWNERS",
    "hotfix: revert config change",
    "chore: regenerate lockfile",
];
const DEPENDENCIES: [&str; 10] =
    ["serde", "tokio", "react", "axios", "lodash", "eslint", "webpack", "jest", "chrono", "regex"];
/// Review bots, how often each comments, and how soon after the PR opens: within
/// minutes, so usually before any human (which is why bot exclusion matters).
const REVIEW_BOTS: [(&str, f64, i64, i64); 3] = [
    ("codecov[bot]", 0.4, MINUTE, 15 * MINUTE),
    ("github-actions[bot]", 0.25, 30, 10 * MINUTE),
    (DEPLOY_BOT, 0.1, 5 * MINUTE, 25 * MINUTE),
];

/// The heads of the default branch over time: `(when, index into Org::commits)`, in
/// time order, starting with the root commit.
pub(crate) struct MainLine {
    heads: Vec<(i64, usize)>,
}

impl MainLine {
    /// The head at `t`: the last commit that landed at or before `t` (the root if none).
    pub(crate) fn head_at(&self, t: i64) -> usize {
        let i = self.heads.partition_point(|&(at, _)| at <= t);
        self.heads[i.saturating_sub(1)].1
    }

    fn head(&self) -> usize {
        self.heads.last().map_or(0, |&(_, c)| c)
    }
}

/// What a repository's history is built against.
pub(crate) struct RepoCtx<'a> {
    pub(crate) clock: &'a Clock,
    pub(crate) mint: &'a ShaMint,
    pub(crate) roster: &'a Roster,
    pub(crate) issues: &'a [JiraIssue],
    pub(crate) repo: usize,
}

enum Event {
    Merge(usize, MergeStyle),
    Push,
}

struct Builder<'a, 'o> {
    ctx: &'a RepoCtx<'a>,
    name: &'a RepoName,
    team: usize,
    rng: &'o mut ChaCha8Rng,
    org: &'o mut Org,
    /// The next commit's serial for the sha mint: the repository in the high 32 bits,
    /// the commit's number in the low ones, so no two commits of the org share one.
    serial: u64,
    /// Where this repository's PRs start in `org.pull_requests`.
    pr_base: usize,
    main: MainLine,
}

/// Appends the repository's PRs, commits, PR commits and reviews to `org` and returns
/// its default branch's heads for deployments.
pub(crate) fn build(ctx: &RepoCtx<'_>, plan: &mut RepoPlan, org: &mut Org) -> MainLine {
    let RepoPlan { prs, direct_pushes, rng } = plan;
    let repo = &ctx.roster.repos[ctx.repo];
    let pr_base = org.pull_requests.len();
    let mut builder = Builder {
        ctx,
        name: &repo.name,
        team: repo.team,
        rng,
        org,
        serial: (ctx.repo as u64) << 32,
        pr_base,
        main: MainLine { heads: Vec::new() },
    };
    builder.pull_requests(prs);
    builder.history(prs, *direct_pushes);
    builder.reviews(prs);
    builder.main
}

impl Builder<'_, '_> {
    fn login(&self, author: Author) -> &str {
        match author {
            Author::Engineer(i) => &self.ctx.roster.logins[i],
            Author::Bot(bot) => bot,
        }
    }

    fn sha(&self, commit: usize) -> Sha {
        self.org.commits[commit].sha.clone()
    }

    fn commit(&mut self, parents: Vec<Sha>, authored: i64, committed: i64, author: &str, message: String) -> usize {
        let sha = self.ctx.mint.mint(self.rng, self.serial);
        self.serial += 1;
        let clock = self.ctx.clock;
        self.org.commits.push(Commit {
            repo: self.name.clone(),
            sha,
            parents,
            authored_at: clock.at(authored),
            committed_at: Some(clock.at(committed)),
            author: Some(author.to_owned()),
            message: Some(message),
            source: RecordSource::Import,
        });
        self.org.commits.len() - 1
    }

    fn pull_requests(&mut self, prs: &[PrPlan]) {
        let clock = self.ctx.clock;
        for (i, p) in prs.iter().enumerate() {
            let number = i as i64 + 1;
            let author = self.login(p.author).to_owned();
            let (body, head, additions, deletions) = match (p.reverts, p.author) {
                (Some(target), _) => {
                    let reverted = &self.org.pull_requests[self.pr_base + target];
                    (
                        format!("Revert \"{}\"", reverted.title.as_deref().unwrap_or_default()),
                        format!("revert-{}-{}", reverted.number, reverted.head.as_deref().unwrap_or_default()),
                        reverted.deletions.unwrap_or(0),
                        reverted.additions.unwrap_or(0),
                    )
                }
                (None, Author::Bot(bot)) => {
                    let dependency = *pick(self.rng, &DEPENDENCIES);
                    let (minor, patch) = (self.rng.random_range(0..40), self.rng.random_range(0..20));
                    let to = format!("1.{minor}.{}", patch + 1);
                    let prefix = bot.trim_end_matches("[bot]");
                    let lines = self.rng.random_range(1..20);
                    (
                        format!("Bump {dependency} from 1.{minor}.{patch} to {to}"),
                        format!("{prefix}/{dependency}-{to}"),
                        lines,
                        lines,
                    )
                }
                (None, Author::Engineer(_)) => {
                    let verbs: &[&str] = if p.labels.bug {
                        &FIX_VERBS
                    } else if p.labels.feature {
                        &FEATURE_VERBS
                    } else {
                        &OTHER_VERBS
                    };
                    let object = *pick(self.rng, &OBJECTS);
                    let slug = object.split(' ').take(3).collect::<Vec<_>>().join("-").to_lowercase();
                    let median = if p.labels.hotfix { 12 } else { 40 };
                    let additions = lognormal(self.rng, median, 1.3, 1, 5_000);
                    let deletions = (additions as f64 * self.rng.random_range(0.05..0.9)).round() as i64;
                    (
                        format!("{} {object}", pick(self.rng, verbs)),
                        format!("{author}/{slug}-{number}"),
                        additions,
                        deletions,
                    )
                }
            };
            let title = match p.issue {
                Some(issue) => format!("{}: {body}", self.ctx.issues[issue].key),
                None => body,
            };
            let (merged_at, closed_at) = match p.outcome {
                Outcome::Merged { at, .. } => (Some(clock.at(at)), Some(clock.at(at))),
                Outcome::Closed { at } => (None, Some(clock.at(at))),
                Outcome::Open => (None, None),
            };
            self.org.pull_requests.push(PullRequest {
                repo: self.name.clone(),
                number,
                author,
                created_at: clock.at(p.created),
                merged_at,
                closed_at,
                // Set when the merge lands on main.
                merge_commit_sha: None,
                title: Some(title),
                base: Some("main".to_owned()),
                head: Some(head),
                additions: Some(additions),
                deletions: Some(deletions),
                draft: p.draft,
                labels: p.labels.names(),
                is_revert: p.reverts.is_some(),
                source: RecordSource::Import,
            });
        }
    }

    fn history(&mut self, prs: &[PrPlan], direct_pushes: usize) {
        let len = self.ctx.clock.len();
        let mut events: Vec<(i64, Event)> = prs
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p.outcome {
                Outcome::Merged { at, style } => Some((at, Event::Merge(i, style))),
                _ => None,
            })
            .collect();
        for _ in 0..direct_pushes {
            events.push((self.ctx.clock.work_time(self.rng, HOUR, len - MINUTE), Event::Push));
        }
        // Stable: events at the same second keep merges (in PR order) before pushes.
        events.sort_by_key(|&(at, _)| at);

        let founder = self.ctx.roster.logins[self.ctx.roster.members(self.team).start].clone();
        let root = self.commit(Vec::new(), 0, 0, &founder, "Initial commit".to_owned());
        self.main.heads.push((0, root));

        let mut releases = 0;
        for (at, event) in events {
            let head = self.main.head();
            let landed = match event {
                Event::Push => {
                    let (author, message) = if self.rng.random_bool(0.2) {
                        releases += 1;
                        (DEPLOY_BOT.to_owned(), format!("chore(release): v1.{releases}.0"))
                    } else {
                        let author = self.ctx.roster.member(self.rng, self.team);
                        (self.ctx.roster.logins[author].clone(), (*pick(self.rng, &DIRECT_MESSAGES)).to_owned())
                    };
                    let authored = (at - self.rng.random_range(0..10 * MINUTE)).max(0);
                    self.commit(vec![self.sha(head)], authored, at, &author, message)
                }
                Event::Merge(i, style) => self.land(&prs[i], i, style, head, at),
            };
            self.main.heads.push((at, landed));
        }

        // Branches of PRs that never merged still exist, off main.
        for (i, p) in prs.iter().enumerate() {
            if p.merged_at().is_none() {
                let until = match p.outcome {
                    Outcome::Closed { at } => at,
                    _ => (p.created.max(p.first_commit) + 3 * DAY).min(len - 1),
                };
                self.branch(p, i, until);
            }
        }
    }

    /// Creates PR `i`'s branch and lands it on main at `at`; returns the new head.
    fn land(&mut self, p: &PrPlan, i: usize, style: MergeStyle, head: usize, at: i64) -> usize {
        let branch = self.branch(p, i, at);
        let last = *branch.last().expect("a PR has at least one commit");
        let author = self.login(p.author).to_owned();
        let pr = &self.org.pull_requests[self.pr_base + i];
        let landed = match style {
            MergeStyle::Merge => {
                let message = format!(
                    "Merge pull request #{} from {OWNER}/{}",
                    pr.number,
                    pr.head.as_deref().unwrap_or_default()
                );
                self.commit(vec![self.sha(head), self.sha(last)], at, at, &author, message)
            }
            MergeStyle::Squash => {
                let message = format!("{} (#{})", pr.title.as_deref().unwrap_or_default(), pr.number);
                self.commit(vec![self.sha(head)], at, at, &author, message)
            }
            MergeStyle::Rebase => {
                let mut parent = head;
                for c in branch {
                    let original = &self.org.commits[c];
                    let authored = self.ctx.clock.offset(original.authored_at);
                    let (author, message) =
                        (original.author.clone().unwrap_or_default(), original.message.clone().unwrap_or_default());
                    parent = self.commit(vec![self.sha(parent)], authored, at, &author, message);
                }
                parent
            }
        };
        let sha = self.sha(landed);
        self.org.pull_requests[self.pr_base + i].merge_commit_sha = Some(sha);
        landed
    }

    /// PR `i`'s branch commits, all before `until`: the first at the planned first
    /// commit on top of main's head at that moment, the rest spread after it. Records
    /// them as the PR's commits and returns them oldest first.
    fn branch(&mut self, p: &PrPlan, i: usize, until: i64) -> Vec<usize> {
        let base = self.main.head_at(p.first_commit);
        let latest = (until - MINUTE).max(p.first_commit);
        let mut times = Vec::with_capacity(p.commits);
        times.push(p.first_commit);
        for _ in 1..p.commits {
            times.push(self.rng.random_range(p.first_commit..=latest));
        }
        times.sort_unstable();

        let author = self.login(p.author).to_owned();
        let number = i as i64 + 1;
        let mut parent = base;
        let mut commits = Vec::with_capacity(p.commits);
        for (k, &authored) in times.iter().enumerate() {
            // Amended or rebased locally: committed a while after it was written.
            let committed = if self.rng.random_bool(0.15) {
                (authored + self.rng.random_range(MINUTE..3 * HOUR)).min(latest).max(authored)
            } else {
                authored
            };
            let message = match p.reverts {
                // The revert button's commit carries the PR's title.
                Some(_) if k == 0 => self.org.pull_requests[self.pr_base + i].title.clone().unwrap_or_default(),
                _ => (*pick(self.rng, &COMMIT_MESSAGES)).to_owned(),
            };
            parent = self.commit(vec![self.sha(parent)], authored, committed, &author, message);
            self.org.pull_request_commits.push(PullRequestCommit {
                repo: self.name.clone(),
                pr: number,
                sha: self.sha(parent),
            });
            commits.push(parent);
        }
        commits
    }

    fn reviews(&mut self, prs: &[PrPlan]) {
        let clock = self.ctx.clock;
        let roster = self.ctx.roster;
        let mut next_id: u64 = 1;
        for (i, p) in prs.iter().enumerate() {
            let until = p.last_moment(clock.len());
            let author = match p.author {
                Author::Engineer(e) => Some(e),
                Author::Bot(_) => None,
            };
            let mut activity: Vec<(i64, &str, Option<ReviewState>, ReviewKind)> = Vec::new();
            for (bot, share, soonest, latest) in REVIEW_BOTS {
                if self.rng.random_bool(share) {
                    activity.push((p.created + self.rng.random_range(soonest..latest), bot, None, ReviewKind::Comment));
                }
            }
            // The author answering questions: not a review of their own PR.
            if let Some(e) = author
                && self.rng.random_bool(0.2)
            {
                let at = p.created + self.rng.random_range(MINUTE..4 * HOUR);
                activity.push((at, roster.logins[e].as_str(), None, ReviewKind::Comment));
            }
            if let Some(first) = p.first_review.filter(|&first| first <= until) {
                let count = 1 + weighted(self.rng, &[45, 30, 15, 10]);
                let mut times = vec![first];
                times.extend((1..count).map(|_| self.rng.random_range(first..=until)));
                times.sort_unstable();
                for (n, &at) in times.iter().enumerate() {
                    let state = if n + 1 == count {
                        match p.outcome {
                            Outcome::Merged { .. } => ReviewState::Approved,
                            _ if self.rng.random_bool(0.5) => ReviewState::ChangesRequested,
                            _ => ReviewState::Commented,
                        }
                    } else if n == 0 && self.rng.random_bool(0.4) {
                        ReviewState::ChangesRequested
                    } else {
                        ReviewState::Commented
                    };
                    let reviewer = roster.teammate(self.rng, self.team, author);
                    activity.push((at, roster.logins[reviewer].as_str(), Some(state), ReviewKind::Review));
                }
                for _ in 0..weighted(self.rng, &[50, 30, 15, 5]) {
                    let at = self.rng.random_range(first..=until);
                    let commenter = roster.teammate(self.rng, self.team, author);
                    activity.push((at, roster.logins[commenter].as_str(), None, ReviewKind::Comment));
                }
            }
            activity.retain(|&(at, ..)| at <= until);
            // Ids grow with time, as upstream ids do.
            activity.sort_by_key(|&(at, ..)| at);
            for (at, login, state, kind) in activity {
                self.org.reviews.push(Review {
                    repo: self.name.clone(),
                    pr: i as i64 + 1,
                    id: next_id.to_string(),
                    author: login.to_owned(),
                    submitted_at: clock.at(at),
                    state,
                    kind,
                    source: RecordSource::Import,
                });
                next_id += 1;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::{HashMap, HashSet};

    use super::super::fixture::{end, small};
    use crate::generate::Org;
    use crate::ids::{RepoName, Sha};
    use crate::model::*;

    /// One repository's commits by sha and its default branch, oldest first.
    pub(crate) struct RepoHistory<'a> {
        pub(crate) commits: HashMap<&'a Sha, &'a Commit>,
        pub(crate) main: Vec<&'a Commit>,
    }

    /// Rebuilds main from the records alone: the commits no PR lists as its own must
    /// form one chain of first parents from the root, or this panics.
    pub(crate) fn history<'a>(org: &'a Org, repo: &RepoName) -> RepoHistory<'a> {
        let commits: HashMap<&Sha, &Commit> =
            org.commits.iter().filter(|c| &c.repo == repo).map(|c| (&c.sha, c)).collect();
        let branches: HashSet<&Sha> =
            org.pull_request_commits.iter().filter(|c| &c.repo == repo).map(|c| &c.sha).collect();
        let on_main: Vec<&Commit> =
            org.commits.iter().filter(|c| &c.repo == repo && !branches.contains(&c.sha)).collect();
        let mut child: HashMap<&Sha, &Commit> = HashMap::new();
        for c in &on_main {
            if let Some(parent) = c.parents.first() {
                assert!(child.insert(parent, c).is_none(), "main forks at {parent}");
            }
        }
        let roots: Vec<&&Commit> = on_main.iter().filter(|c| c.parents.is_empty()).collect();
        assert_eq!(roots.len(), 1, "{repo}");
        let mut main = vec![*roots[0]];
        while let Some(next) = main.last().and_then(|c| child.get(&c.sha)) {
            main.push(next);
        }
        assert_eq!(main.len(), on_main.len(), "{repo}: main is not one first-parent line");
        RepoHistory { commits, main }
    }

    fn pr_commits<'a>(org: &'a Org, pr: &PullRequest) -> Vec<&'a Sha> {
        org.pull_request_commits.iter().filter(|c| c.repo == pr.repo && c.pr == pr.number).map(|c| &c.sha).collect()
    }

    #[test]
    fn main_is_one_first_parent_line_in_time_order() {
        let org = small();
        for repo in &org.repositories {
            let h = history(org, &repo.name);
            assert!(h.main.len() > 100);
            for pair in h.main.windows(2) {
                assert!(pair[0].committed_at <= pair[1].committed_at, "{} after {}", pair[0].sha, pair[1].sha);
            }
            // Some of main was pushed directly, not merged.
            let pushes = h
                .main
                .iter()
                .filter(|c| c.message.as_deref().is_some_and(|m| m.starts_with("chore") || m.starts_with("docs")));
            assert!(pushes.count() > 0);
        }
    }

    #[test]
    fn merged_prs_land_on_main_in_their_style() {
        let org = small();
        let mut styles = [0usize; 3];
        for repo in &org.repositories {
            let h = history(org, &repo.name);
            let main: HashSet<&Sha> = h.main.iter().map(|c| &c.sha).collect();
            for pr in org.pull_requests.iter().filter(|p| p.repo == repo.name) {
                let Some(merged_at) = pr.merged_at else {
                    assert!(pr.merge_commit_sha.is_none());
                    continue;
                };
                let sha = pr.merge_commit_sha.as_ref().expect("merged PRs name their commit");
                assert!(main.contains(sha), "#{} landed off main", pr.number);
                let landed = h.commits[sha];
                assert_eq!(landed.committed_at, Some(merged_at));
                let branch = pr_commits(org, pr);
                let last = branch.iter().map(|s| h.commits[s]).max_by_key(|c| c.authored_at).unwrap();
                match landed.parents.len() {
                    2 => {
                        styles[0] += 1;
                        assert!(
                            branch.contains(&&landed.parents[1]),
                            "#{}: second parent is not the branch",
                            pr.number
                        );
                    }
                    1 if landed.message.as_deref().is_some_and(|m| m.ends_with(&format!("(#{})", pr.number))) => {
                        styles[1] += 1;
                    }
                    1 => {
                        // Rebased: a copy of the branch's last commit, committed at the merge.
                        styles[2] += 1;
                        assert_eq!((landed.authored_at, &landed.message), (last.authored_at, &last.message));
                    }
                    n => panic!("#{} landed with {n} parents", pr.number),
                }
            }
        }
        let total: usize = styles.iter().sum();
        assert!(styles[0] * 100 > 30 * total && styles[0] * 100 < 60 * total, "{styles:?}");
        assert!(styles[1] * 100 > 30 * total && styles[1] * 100 < 65 * total, "{styles:?}");
        assert!(styles[2] * 100 > 4 * total && styles[2] * 100 < 20 * total, "{styles:?}");
    }

    #[test]
    fn branches_start_from_main_at_their_first_commit() {
        let org = small();
        let mut early = 0;
        for repo in &org.repositories {
            let h = history(org, &repo.name);
            let main: HashSet<&Sha> = h.main.iter().map(|c| &c.sha).collect();
            for pr in org.pull_requests.iter().filter(|p| p.repo == repo.name) {
                let branch = pr_commits(org, pr);
                assert!((1..=6).contains(&branch.len()), "#{}", pr.number);
                let mut bases = Vec::new();
                for sha in &branch {
                    let c = h.commits[sha];
                    assert_eq!(c.parents.len(), 1);
                    assert_eq!(c.author.as_deref(), Some(pr.author.as_str()));
                    assert!(c.committed_at <= pr.closed_at.or(Some(end())));
                    if !branch.contains(&&c.parents[0]) {
                        bases.push((c, h.commits[&c.parents[0]]));
                    }
                }
                assert_eq!(bases.len(), 1, "#{}: a branch has one base", pr.number);
                let (first, base) = bases[0];
                assert!(main.contains(&base.sha));
                assert!(base.committed_at <= Some(first.authored_at));
                let first_at = branch.iter().map(|s| h.commits[s].authored_at).min().unwrap();
                assert_eq!(first_at, first.authored_at);
                if first_at > pr.created_at {
                    early += 1;
                }
            }
        }
        assert!(early > 10 && early < org.pull_requests.len() / 5, "{early}");
    }

    #[test]
    fn commits_are_authored_no_later_than_committed() {
        let org = small();
        for c in &org.commits {
            assert!(Some(c.authored_at) <= c.committed_at, "{}", c.sha);
        }
        assert!(org.commits.iter().any(|c| Some(c.authored_at) < c.committed_at));
    }

    #[test]
    fn pull_requests_look_like_real_ones() {
        let org = small();
        let prs = &org.pull_requests;
        let share = |f: &dyn Fn(&PullRequest) -> bool| prs.iter().filter(|p| f(p)).count() * 1000 / prs.len();
        for p in prs {
            assert!(p.closed_at.is_none_or(|c| c > p.created_at));
            if p.merged_at.is_some() {
                assert_eq!(p.closed_at, p.merged_at);
                assert!(!p.draft);
            }
            assert_eq!(p.base.as_deref(), Some("main"));
            assert!(p.additions.unwrap() >= 0 && p.deletions.unwrap() >= 0);
        }
        assert!(prs.iter().any(|p| p.closed_at.is_none()), "none open at the end");
        let closed = share(&|p| p.closed_at.is_some() && p.merged_at.is_none());
        assert!((30..120).contains(&closed), "{closed}‰ closed unmerged");
        let bots = share(&|p| p.author.ends_with("[bot]"));
        assert!((20..100).contains(&bots), "{bots}‰ by bots");
        let hotfixes = share(&|p| p.labels.iter().any(|l| l == "hotfix"));
        assert!((10..60).contains(&hotfixes), "{hotfixes}‰ hotfixes");
        assert!(prs.iter().any(|p| p.labels.iter().any(|l| l == "bug")));

        let reverts: Vec<&PullRequest> = prs.iter().filter(|p| p.is_revert).collect();
        assert!(!reverts.is_empty());
        for revert in reverts {
            let title = revert.title.as_deref().unwrap();
            let reverted = title.strip_prefix("Revert \"").and_then(|t| t.strip_suffix('"')).expect(title);
            let original = prs.iter().find(|p| p.repo == revert.repo && p.title.as_deref() == Some(reverted)).unwrap();
            assert!(original.merged_at.unwrap() < revert.created_at);
        }
    }

    #[test]
    fn reviews_come_from_others_and_bots_often_come_first() {
        let org = small();
        let prs: HashMap<(&RepoName, i64), &PullRequest> =
            org.pull_requests.iter().map(|p| ((&p.repo, p.number), p)).collect();
        let mut per_pr: HashMap<(&RepoName, i64), Vec<&Review>> = HashMap::new();
        for r in &org.reviews {
            let pr = prs[&(&r.repo, r.pr)];
            assert!(r.submitted_at > pr.created_at && Some(r.submitted_at) <= pr.closed_at.or(Some(end())));
            assert_eq!(r.kind == ReviewKind::Review, r.state.is_some());
            if r.kind == ReviewKind::Review {
                assert_ne!(r.author, pr.author, "#{} reviewed by its author", pr.number);
            }
            per_pr.entry((&r.repo, r.pr)).or_default().push(r);
        }
        let is_bot = |login: &str| login.ends_with("[bot]") || login == "deploy-bot";
        let mut bot_first = 0;
        for (key, reviews) in &per_pr {
            let pr = prs[key];
            let humans: Vec<&&Review> =
                reviews.iter().filter(|r| !is_bot(&r.author) && r.author != pr.author).collect();
            if let Some(first_human) = humans.iter().map(|r| r.submitted_at).min()
                && reviews.iter().any(|r| is_bot(&r.author) && r.submitted_at < first_human)
            {
                bot_first += 1;
            }
            if pr.merged_at.is_some()
                && let Some(last) = reviews
                    .iter()
                    .filter(|r| r.kind == ReviewKind::Review)
                    .max_by_key(|r| (r.submitted_at, r.id.parse::<u64>().unwrap()))
            {
                assert_eq!(last.state, Some(ReviewState::Approved), "#{}", pr.number);
            }
        }
        assert!(bot_first > org.pull_requests.len() / 5, "{bot_first}");
        assert!(org.reviews.iter().any(|r| r.author == "deploy-bot"));
        assert!(org.reviews.iter().any(|r| r.kind == ReviewKind::Comment && prs[&(&r.repo, r.pr)].author == r.author));
        assert!(org.reviews.iter().any(|r| r.state == Some(ReviewState::ChangesRequested)));
    }
}
