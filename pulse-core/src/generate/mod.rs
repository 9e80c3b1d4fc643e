//! A deterministic synthetic organisation: repositories with commit graphs, pull
//! requests and reviews, deployments, incidents and Jira issues, all consistent with
//! each other, for demos (`pulse demo`), tests of the metric engine and benchmarks
//! (`pulse generate --scale large`).
//!
//! The data is meant to exercise the metric definitions (`shared/spec/metrics.md`), so it
//! is internally consistent rather than merely plausible:
//!
//! - each repository's default branch `main` is a single first-parent line; a merged
//!   PR's branch starts from main's head at its first commit and lands by merge commit,
//!   squash or rebase, and `merge_commit_sha` is the commit that landed;
//! - production and staging deployments deploy main's head at the time, so a production
//!   deployment usually ships several PRs; about one in ten fails;
//! - incidents follow a successful production deployment; some name it (or its sha, or a
//!   PR it shipped), most only their repository, and a fifth only the project;
//! - review bots comment within minutes of a PR opening, before most humans, so
//!   excluding bots changes pickup times; `deploy-bot` is a bot only by the project's
//!   bot list;
//! - Jira issues that track PRs move to In Progress, In Review and Done with those PRs,
//!   and the PRs' titles carry the issue key;
//! - some PRs are still open, some issues unresolved and some incidents unrecovered at
//!   the end of the period.
//!
//! The same [`Scale`], seed and end give identical records: every random draw comes from
//! ChaCha8 generators seeded from the seed (one per repository and phase), nothing
//! depends on hash-map order or the clock, and the end is an input. Records are tagged
//! as imported and use whole-second timestamps, so [`Org::write_dir`] followed by
//! `pulse import` stores exactly the rows [`Org::load`] stores.
//!
//! ```no_run
//! use pulse_core::generate::{Generator, Scale};
//!
//! let org = Generator::new(Scale::Small).seed(7).generate();
//! org.write_dir(std::path::Path::new("demo-data"))?;
//! # Ok::<(), pulse_core::Error>(())
//! ```

mod delivery;
mod history;
mod jira;
mod output;
mod plan;
mod random;
mod roster;
mod scale;

use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use scale::Scale;

use crate::model::*;
use delivery::RepoSpans;
use history::RepoCtx;
use random::{Clock, ShaMint, child};
use roster::Roster;
use scale::Sizes;

/// Builds a synthetic organisation; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    scale: Scale,
    seed: u64,
    end: Timestamp,
}

impl Generator {
    /// The default seed.
    pub const DEFAULT_SEED: u64 = 42;

    /// A generator of `scale` with seed 42, ending at 2026-11-01T00:00:00Z.
    pub fn new(scale: Scale) -> Self {
        let end = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("a valid, unambiguous UTC date");
        Self { scale, seed: Self::DEFAULT_SEED, end }
    }

    /// Another seed gives another organisation of the same shape.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The data covers the period (6 months small, one year large) before `end`, cut to
    /// whole seconds: every timestamp `t` satisfies `end - period <= t < end`.
    pub fn end(mut self, end: Timestamp) -> Self {
        self.end = end;
        self
    }

    /// Generates the organisation. Large takes about two seconds in a release build and
    /// holds under a gigabyte.
    pub fn generate(&self) -> Org {
        build(&self.scale.sizes(), self.seed, self.end)
    }
}

/// A generated organisation: the records of one client's project, ready to load into a
/// store ([`Org::load`]) or to write in the import format ([`Org::write_dir`]).
///
/// Every key is unique and every reference resolves within the org. A repository's
/// commits, PRs, PR commits, reviews and deployments are contiguous, in repository order.
#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    /// The project `checkout` with every repository, both Jira projects and two teams.
    pub project: Project,
    pub repositories: Vec<Repository>,
    pub commits: Vec<Commit>,
    pub pull_requests: Vec<PullRequest>,
    pub pull_request_commits: Vec<PullRequestCommit>,
    pub reviews: Vec<Review>,
    pub deployments: Vec<Deployment>,
    pub incidents: Vec<Incident>,
    pub jira_projects: Vec<JiraProject>,
    pub jira_issues: Vec<JiraIssue>,
    /// Each issue's transitions, contiguous and in time order, with ids `import:0`, … as
    /// the importer assigns them.
    pub jira_transitions: Vec<JiraTransition>,
    pub issue_links: Vec<IssuePrLink>,
}

/// Plans every repository's PRs, links Jira issues to them, then builds each
/// repository's history and deployments, then the incidents.
fn build(sizes: &Sizes, seed: u64, end: Timestamp) -> Org {
    debug_assert!(sizes.commit_budget_is_feasible() && sizes.engineers_per_team >= 2, "{sizes:?}");
    let mut master = ChaCha8Rng::seed_from_u64(seed);
    let clock = Clock::new(end, sizes.period_days);
    let roster = Roster::new(sizes);
    let mint = ShaMint::new(master.next_u64());

    let mut plans: Vec<plan::RepoPlan> =
        (0..roster.repos.len()).map(|r| plan::plan_repo(sizes, &roster, r, &clock, child(&mut master))).collect();
    let jira = jira::generate(sizes, &roster, &clock, &mut plans, child(&mut master));
    let incident_rng = child(&mut master);

    let prs: usize = plans.iter().map(|p| p.prs.len()).sum();
    let mut org = Org {
        project: roster.project(),
        repositories: roster.repositories(),
        commits: Vec::with_capacity(sizes.commits_per_repo.map_or(prs * 5, |c| c * sizes.repos)),
        pull_requests: Vec::with_capacity(prs),
        pull_request_commits: Vec::with_capacity(prs * 4),
        reviews: Vec::with_capacity(prs * 4),
        deployments: Vec::with_capacity(sizes.deployments_per_repo.end() * sizes.repos),
        incidents: Vec::new(),
        jira_projects: roster.jira_projects(),
        jira_issues: Vec::new(),
        jira_transitions: Vec::new(),
        issue_links: Vec::new(),
    };
    let mut spans = Vec::with_capacity(plans.len());
    for (r, plan) in plans.iter_mut().enumerate() {
        let (pr_start, deploy_start) = (org.pull_requests.len(), org.deployments.len());
        let ctx = RepoCtx { clock: &clock, mint: &mint, roster: &roster, issues: &jira.issues, repo: r };
        let main = history::build(&ctx, plan, &mut org);
        let name = &roster.repos[r].name;
        delivery::deploy(sizes, &clock, name, &mut plan.rng, &main, &org.commits, &mut org.deployments);
        spans.push(RepoSpans {
            pull_requests: pr_start..org.pull_requests.len(),
            deployments: deploy_start..org.deployments.len(),
        });
    }
    // The plans are spent; free them before the last pass.
    drop(plans);
    org.incidents = delivery::incidents(sizes, &clock, &roster, &spans, &org, incident_rng);
    org.jira_issues = jira.issues;
    org.jira_transitions = jira.transitions;
    org.issue_links = jira.links;
    org
}

/// A shared small organisation for the tests of every part: generating it once keeps the
/// test run short.
#[cfg(test)]
pub(crate) mod fixture {
    use std::sync::OnceLock;

    use chrono::TimeDelta;

    use super::*;

    pub(crate) fn small() -> &'static Org {
        static ORG: OnceLock<Org> = OnceLock::new();
        ORG.get_or_init(|| Generator::new(Scale::Small).generate())
    }

    pub(crate) fn end() -> Timestamp {
        Generator::new(Scale::Small).end
    }

    pub(crate) fn start() -> Timestamp {
        end() - TimeDelta::days(Scale::Small.sizes().period_days)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use chrono::TimeDelta;

    use super::fixture::{end, small, start};
    use super::*;
    use crate::ids::{RepoName, Sha};

    #[test]
    fn same_seed_and_end_give_the_same_org() {
        let a = Generator::new(Scale::Small).seed(7).generate();
        let b = Generator::new(Scale::Small).seed(7).generate();
        assert_eq!(a.counts(), b.counts());
        assert_eq!(a.commits.first(), b.commits.first());
        assert_eq!(a.jira_transitions.last(), b.jira_transitions.last());
        assert!(a == b, "two runs with one seed differ");
    }

    #[test]
    fn another_seed_gives_another_org() {
        let a = Generator::new(Scale::Small).seed(7).generate();
        let b = Generator::new(Scale::Small).seed(8).generate();
        assert_ne!(a.commits[0].sha, b.commits[0].sha);
        assert_ne!(a.pull_requests[0].created_at, b.pull_requests[0].created_at);
        assert_ne!(a.counts(), b.counts());
        // Same shape, though.
        assert_eq!(a.project, b.project);
    }

    #[test]
    fn moving_the_end_by_whole_weeks_only_moves_the_calendar() {
        // Office hours and weekends repeat weekly, so every draw is the same.
        let week = TimeDelta::days(7);
        let a = Generator::new(Scale::Small).generate();
        let b = Generator::new(Scale::Small).end(end() + week).generate();
        assert_eq!(a.counts(), b.counts());
        assert_eq!(a.commits[100].sha, b.commits[100].sha);
        for (x, y) in a.pull_requests.iter().zip(&b.pull_requests) {
            assert_eq!(x.created_at + week, y.created_at);
            assert_eq!(x.merged_at.map(|t| t + week), y.merged_at);
        }
    }

    #[test]
    fn small_has_the_documented_shape() {
        let org = small();
        assert_eq!(org.repositories.len(), 3);
        for repo in &org.repositories {
            let prs = org.pull_requests.iter().filter(|p| p.repo == repo.name).count();
            assert!((150..=250).contains(&prs), "{}: {prs} PRs", repo.name);
            let deploys: Vec<_> = org.deployments.iter().filter(|d| d.repo == repo.name).collect();
            assert!((45..=65).contains(&deploys.len()));
            let production = deploys.iter().filter(|d| d.environment == "production").count();
            assert!(production > deploys.len() / 2 && production < deploys.len(), "{production} of {}", deploys.len());
        }
        assert!((10..=20).contains(&org.incidents.len()), "{}", org.incidents.len());
        assert_eq!(org.jira_issues.len(), 400);
        assert_eq!(org.jira_projects.len(), 2);
        let engineers: usize = org.project.teams.values().map(Vec::len).sum();
        assert_eq!(engineers, 10);
        let counts = org.counts();
        assert_eq!(counts.len(), 12);
        assert_eq!(counts["commits"], org.commits.len() as u64);
        assert_eq!(counts["jira_changelogs"], org.jira_transitions.len() as u64);
        assert_eq!(counts["projects"], 1);
    }

    /// A config with an exact commit budget and exact counts, small enough for debug
    /// builds: the per-repository budget logic is what makes the large scale exact.
    #[test]
    fn exact_sizes_are_met_exactly() {
        let sizes = Sizes {
            repos: 4,
            period_days: 90,
            prs_per_repo: 40..=40,
            commits_per_repo: Some(150),
            deployments_per_repo: 12..=12,
            staging_share: 0.25,
            incidents: 30..=30,
            jira_issues: 100,
            engineers_per_team: 3,
        };
        let org = build(&sizes, 3, end());
        let per_repo = |repo: &RepoName| org.commits.iter().filter(|c| &c.repo == repo).count();
        for repo in &org.repositories {
            assert_eq!(per_repo(&repo.name), 150, "{}", repo.name);
            let staging = org.deployments.iter().filter(|d| d.repo == repo.name && d.environment == "staging");
            assert_eq!(staging.count(), 3);
        }
        assert_eq!(org.pull_requests.len(), 160);
        assert_eq!(org.deployments.len(), 48);
        assert_eq!(org.incidents.len(), 30);
        assert_eq!(org.jira_issues.len(), 100);
        assert!(org.project.teams.values().all(|members| members.len() == 3));
    }

    /// About 8 s and 1 GB in a debug build: the price of checking the real targets.
    #[test]
    fn large_meets_the_benchmark_targets() {
        let org = Generator::new(Scale::Large).generate();
        let counts = org.counts();
        assert_eq!(counts["repositories"], 200);
        assert_eq!(counts["pull_requests"], 200_000);
        assert_eq!(counts["commits"], 1_000_000);
        assert_eq!(counts["deployments"], 20_000);
        assert_eq!(counts["incidents"], 2_000);
        assert_eq!(counts["jira_issues"], 50_000);
        let mut per_repo: HashMap<&RepoName, usize> = HashMap::new();
        for c in &org.commits {
            *per_repo.entry(&c.repo).or_default() += 1;
        }
        assert!(per_repo.values().all(|&n| n == 5_000));
    }

    fn assert_unique<K: std::hash::Hash + Eq + std::fmt::Debug>(what: &str, keys: impl IntoIterator<Item = K>) {
        let mut seen = HashSet::new();
        for key in keys {
            assert!(seen.insert(key), "duplicate {what} key");
        }
    }

    #[test]
    fn keys_are_unique() {
        let org = small();
        assert_unique("repository", org.repositories.iter().map(|r| &r.name));
        assert_unique("commit", org.commits.iter().map(|c| (&c.repo, &c.sha)));
        assert_unique("pull request", org.pull_requests.iter().map(|p| (&p.repo, p.number)));
        assert_unique("pull request commit", org.pull_request_commits.iter());
        assert_unique("review", org.reviews.iter().map(|r| (&r.repo, r.pr, &r.id)));
        assert_unique("deployment", org.deployments.iter().map(|d| (&d.repo, &d.id)));
        assert_unique("incident", org.incidents.iter().map(|i| &i.id));
        assert_unique("Jira project", org.jira_projects.iter().map(|p| &p.key));
        assert_unique("issue", org.jira_issues.iter().map(|i| &i.key));
        assert_unique("transition", org.jira_transitions.iter().map(|t| (&t.issue, &t.id)));
        assert_unique("link", org.issue_links.iter());
        // Shas are unique across repositories too, not only within one.
        assert_unique("sha", org.commits.iter().map(|c| &c.sha));
    }

    #[test]
    fn references_resolve() {
        let org = small();
        let repos: HashSet<&RepoName> = org.repositories.iter().map(|r| &r.name).collect();
        let commits: HashSet<(&RepoName, &Sha)> = org.commits.iter().map(|c| (&c.repo, &c.sha)).collect();
        let prs: HashSet<(&RepoName, i64)> = org.pull_requests.iter().map(|p| (&p.repo, p.number)).collect();
        let deployments: HashSet<(&RepoName, &str)> =
            org.deployments.iter().map(|d| (&d.repo, d.id.as_str())).collect();

        assert_eq!(org.project.repos.iter().collect::<HashSet<_>>(), repos);
        assert_eq!(org.project.repos.len(), repos.len());
        let keys: Vec<_> = org.jira_projects.iter().map(|p| &p.key).collect();
        assert_eq!(org.project.jira_projects.iter().collect::<Vec<_>>(), keys);

        for c in &org.commits {
            assert!(repos.contains(&c.repo));
            for parent in &c.parents {
                assert!(commits.contains(&(&c.repo, parent)), "{} has a dangling parent", c.sha);
            }
        }
        let roots = org.commits.iter().filter(|c| c.parents.is_empty()).count();
        assert_eq!(roots, repos.len(), "one root per repository");
        for p in &org.pull_requests {
            assert!(repos.contains(&p.repo));
            if let Some(sha) = &p.merge_commit_sha {
                assert!(commits.contains(&(&p.repo, sha)));
            }
        }
        for c in &org.pull_request_commits {
            assert!(prs.contains(&(&c.repo, c.pr)) && commits.contains(&(&c.repo, &c.sha)));
        }
        for r in &org.reviews {
            assert!(prs.contains(&(&r.repo, r.pr)));
        }
        for d in &org.deployments {
            assert!(commits.contains(&(&d.repo, &d.sha)));
        }
        for i in &org.incidents {
            match &i.repo {
                Some(repo) => {
                    assert!(repos.contains(repo) && i.project.is_none(), "{}", i.id);
                    if let Some(id) = &i.deployment_id {
                        assert!(deployments.contains(&(repo, id.as_str())));
                    }
                    if let Some(sha) = &i.sha {
                        assert!(commits.contains(&(repo, sha)));
                    }
                    if let Some(pr) = i.pr {
                        assert!(prs.contains(&(repo, pr)));
                    }
                }
                None => {
                    assert_eq!(i.project.as_ref(), Some(&org.project.name), "{}", i.id);
                    assert!(i.deployment_id.is_none() && i.sha.is_none() && i.pr.is_none());
                }
            }
        }
        let issues: HashSet<_> = org.jira_issues.iter().map(|i| &i.key).collect();
        for t in &org.jira_transitions {
            assert!(issues.contains(&t.issue));
        }
        for l in &org.issue_links {
            assert!(issues.contains(&l.issue) && prs.contains(&(&l.repo, l.pr)));
        }
        for i in &org.jira_issues {
            assert!(keys.contains(&&i.project) && i.key.project() == i.project);
        }
        let members: HashSet<&String> = org.project.teams.values().flatten().collect();
        for p in &org.pull_requests {
            assert!(members.contains(&p.author) || p.author.ends_with("[bot]"), "{}", p.author);
        }
    }

    #[test]
    fn timestamps_lie_in_the_period_in_whole_seconds() {
        let org = small();
        let (start, end) = (start(), end());
        let mut all: Vec<Timestamp> = Vec::new();
        for c in &org.commits {
            all.push(c.authored_at);
            all.extend(c.committed_at);
        }
        for p in &org.pull_requests {
            all.push(p.created_at);
            all.extend(p.merged_at);
            all.extend(p.closed_at);
        }
        all.extend(org.reviews.iter().map(|r| r.submitted_at));
        for d in &org.deployments {
            all.push(d.finished_at);
            all.extend(d.started_at);
        }
        for i in &org.incidents {
            all.push(i.created_at);
            all.extend(i.resolved_at);
        }
        for i in &org.jira_issues {
            all.push(i.created_at);
            all.extend(i.resolved_at);
        }
        all.extend(org.jira_transitions.iter().map(|t| t.at));
        for t in all {
            assert!(start <= t && t < end, "{t} outside [{start}, {end})");
            assert_eq!(t.timestamp_subsec_nanos(), 0, "{t}");
        }
    }

    #[test]
    fn every_record_is_tagged_as_imported() {
        let org = small();
        assert!(org.repositories.iter().all(|r| r.source == RecordSource::Import));
        assert!(org.commits.iter().all(|r| r.source == RecordSource::Import));
        assert!(org.pull_requests.iter().all(|r| r.source == RecordSource::Import));
        assert!(org.reviews.iter().all(|r| r.source == RecordSource::Import));
        assert!(org.deployments.iter().all(|r| r.source == DeploymentSource::Import));
        assert!(org.incidents.iter().all(|r| r.source == RecordSource::Import));
        assert!(org.jira_projects.iter().all(|r| r.source == RecordSource::Import));
        assert!(org.jira_issues.iter().all(|r| r.source == RecordSource::Import));
        assert!(org.jira_transitions.iter().all(|r| r.source == RecordSource::Import));
        assert!(org.issue_links.iter().all(|r| r.origin == LinkOrigin::Import));
    }
}
