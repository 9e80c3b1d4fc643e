//! The first phase: when each pull request of a repository happens and how it ends,
//! decided before any record exists. Jira linking reads these plans (issues follow
//! their PRs' timelines) and the history builder turns them into commits; planning
//! first is also what lets a repository hit an exact commit budget.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::random::{Clock, DAY, HOUR, MINUTE, lognormal, pick, weighted};
use super::roster::{PR_BOTS, Roster};
use super::scale::Sizes;

/// How a merged PR landed on the default branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MergeStyle {
    /// A merge commit: parents are the previous head and the branch's last commit.
    Merge,
    /// One new commit with the branch's changes; the branch commits stay off main.
    Squash,
    /// The branch commits replayed onto main as new commits.
    Rebase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Merged {
        at: i64,
        style: MergeStyle,
    },
    Closed {
        at: i64,
    },
    /// Still open at the end of the period.
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Author {
    /// An index into [`Roster::logins`].
    Engineer(usize),
    Bot(&'static str),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Labels {
    pub(crate) hotfix: bool,
    pub(crate) bug: bool,
    pub(crate) feature: bool,
    pub(crate) dependencies: bool,
}

impl Labels {
    pub(crate) fn names(self) -> Vec<String> {
        [(self.hotfix, "hotfix"), (self.bug, "bug"), (self.feature, "feature"), (self.dependencies, "dependencies")]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| name.to_owned())
            .collect()
    }
}

/// One pull request's plan. Times are seconds into the period.
#[derive(Debug, Clone)]
pub(crate) struct PrPlan {
    pub(crate) created: i64,
    /// The first branch commit; usually before `created`, after it for PRs opened early.
    pub(crate) first_commit: i64,
    /// The first human review; `None` when nobody reviews.
    pub(crate) first_review: Option<i64>,
    pub(crate) outcome: Outcome,
    pub(crate) author: Author,
    /// Branch commits (1–6).
    pub(crate) commits: usize,
    pub(crate) labels: Labels,
    /// The earlier PR (index in the repository's plan) this one reverts.
    pub(crate) reverts: Option<usize>,
    /// Whether a later PR reverts this one (each PR is reverted at most once).
    pub(crate) reverted: bool,
    pub(crate) draft: bool,
    /// The Jira issue (index into the generated issues) whose key the title carries.
    pub(crate) issue: Option<usize>,
}

impl PrPlan {
    /// Ordinary work by an engineer: what Jira issues track.
    pub(crate) fn is_tracked_work(&self) -> bool {
        matches!(self.author, Author::Engineer(_)) && self.reverts.is_none()
    }

    pub(crate) fn merged_at(&self) -> Option<i64> {
        match self.outcome {
            Outcome::Merged { at, .. } => Some(at),
            _ => None,
        }
    }

    /// When activity on the PR stops: its merge or close, else the end of the period.
    pub(crate) fn last_moment(&self, len: i64) -> i64 {
        match self.outcome {
            Outcome::Merged { at, .. } | Outcome::Closed { at } => at,
            Outcome::Open => len - 1,
        }
    }

    /// Commits this PR puts into the repository: its branch, plus what merging adds.
    fn commit_cost(&self) -> usize {
        self.commits
            + match self.outcome {
                Outcome::Merged { style: MergeStyle::Rebase, .. } => self.commits,
                Outcome::Merged { .. } => 1,
                Outcome::Closed { .. } | Outcome::Open => 0,
            }
    }
}

/// A repository's plan, with the generator that continues into its history.
pub(crate) struct RepoPlan {
    pub(crate) prs: Vec<PrPlan>,
    /// Commits pushed straight to the default branch.
    pub(crate) direct_pushes: usize,
    pub(crate) rng: ChaCha8Rng,
}

/// Branch commits per PR: 1..=6, mostly a few.
const COMMIT_WEIGHTS: [u32; 6] = [12, 20, 22, 18, 15, 13];
/// Merge commit, squash, rebase.
const STYLE_WEIGHTS: [u32; 3] = [45, 45, 10];
const BOT_SHARE: f64 = 0.05;
const REVERT_SHARE: f64 = 0.015;
const CLOSED_SHARE: f64 = 0.07;

pub(crate) fn plan_repo(sizes: &Sizes, roster: &Roster, repo: usize, clock: &Clock, mut rng: ChaCha8Rng) -> RepoPlan {
    let len = clock.len();
    let team = roster.repos[repo].team;
    let count = rng.random_range(sizes.prs_per_repo.clone());
    // Two quiet days at the start leave room for branches that began before their PR.
    let mut created: Vec<i64> = (0..count).map(|_| clock.work_time(&mut rng, 2 * DAY, len - 30 * MINUTE)).collect();
    created.sort_unstable();

    let mut prs: Vec<PrPlan> = Vec::with_capacity(count);
    for c in created {
        let pr = if rng.random_bool(BOT_SHARE) {
            bot_pr(&mut rng, c, len)
        } else if let Some(target) = revert_target(&mut rng, &prs, c) {
            prs[target].reverted = true;
            revert_pr(&mut rng, roster, team, c, len, target)
        } else {
            human_pr(&mut rng, roster, team, c, len)
        };
        prs.push(pr);
    }

    let direct_pushes = match sizes.commits_per_repo {
        Some(budget) => fit_budget(&mut prs, budget),
        None => {
            let merged = prs.iter().filter(|p| p.merged_at().is_some()).count();
            (merged as f64 * rng.random_range(0.08..0.15)).round() as usize
        }
    };
    RepoPlan { prs, direct_pushes, rng }
}

fn engineer(rng: &mut ChaCha8Rng, roster: &Roster, team: usize) -> Author {
    // Mostly the owning team; sometimes someone from the other team helps out.
    let team = if rng.random_bool(0.88) { team } else { 1 - team };
    Author::Engineer(roster.member(rng, team))
}

fn merge_style(rng: &mut ChaCha8Rng) -> MergeStyle {
    [MergeStyle::Merge, MergeStyle::Squash, MergeStyle::Rebase][weighted(rng, &STYLE_WEIGHTS)]
}

/// The earliest a PR with `commits` branch commits can end: its commits need room.
fn ready_at(created: i64, first_commit: i64, commits: usize) -> i64 {
    created.max(first_commit) + 2 * MINUTE * commits as i64
}

fn human_pr(rng: &mut ChaCha8Rng, roster: &Roster, team: usize, created: i64, len: i64) -> PrPlan {
    let author = engineer(rng, roster, team);
    let hotfix = rng.random_bool(0.03);
    let kind = weighted(rng, &[20, 30, 50]);
    let labels = Labels {
        hotfix,
        bug: kind == 0 || (hotfix && rng.random_bool(0.5)),
        feature: kind == 1 && !hotfix,
        dependencies: false,
    };
    let commits = 1 + weighted(rng, &COMMIT_WEIGHTS);
    // Hotfixes are written, picked up and reviewed in a hurry.
    let (coding, pickup, review) =
        if hotfix { (HOUR, 15 * MINUTE, 30 * MINUTE) } else { (5 * HOUR, 90 * MINUTE, 4 * HOUR) };
    let first_commit = if created + 3 * HOUR < len && rng.random_bool(0.1) {
        // Opened early (often as a draft) and pushed to afterwards: coding time is null.
        created + rng.random_range(MINUTE..2 * HOUR)
    } else {
        (created - lognormal(rng, coding, 1.2, 5 * MINUTE, 6 * DAY)).max(MINUTE)
    };
    let pickup = lognormal(rng, pickup, 1.3, 2 * MINUTE, 2 * DAY);
    let first_review = rng.random_bool(0.92).then_some(created + pickup);
    let review = lognormal(rng, review, 1.3, 5 * MINUTE, 7 * DAY);
    let ready = ready_at(created, first_commit, commits);

    let outcome = if created > len - 10 * DAY && rng.random_bool(0.1) {
        Outcome::Open
    } else if rng.random_bool(CLOSED_SHARE) {
        let at = (created + lognormal(rng, DAY, 1.2, 10 * MINUTE, 20 * DAY)).max(ready);
        if at < len { Outcome::Closed { at } } else { Outcome::Open }
    } else {
        let at = (created + pickup + review).max(ready);
        if at < len { Outcome::Merged { at, style: merge_style(rng) } } else { Outcome::Open }
    };
    let draft = outcome == Outcome::Open && rng.random_bool(0.4);
    PrPlan {
        created,
        first_commit,
        first_review,
        outcome,
        author,
        commits,
        labels,
        reverts: None,
        reverted: false,
        draft,
        issue: None,
    }
}

fn bot_pr(rng: &mut ChaCha8Rng, created: i64, len: i64) -> PrPlan {
    let bot = *pick(rng, &PR_BOTS);
    let first_commit = (created - rng.random_range(5..120)).max(MINUTE);
    let first_review = rng.random_bool(0.8).then(|| created + lognormal(rng, 4 * HOUR, 1.2, 10 * MINUTE, 4 * DAY));
    let ready = ready_at(created, first_commit, 1);
    let outcome = if rng.random_bool(0.15) {
        // Superseded by a newer bump.
        let at = (created + lognormal(rng, 3 * DAY, 1.0, HOUR, 30 * DAY)).max(ready);
        if at < len { Outcome::Closed { at } } else { Outcome::Open }
    } else {
        let approved = first_review.unwrap_or_else(|| created + lognormal(rng, 6 * HOUR, 1.2, 10 * MINUTE, 5 * DAY));
        let at = (approved + rng.random_range(MINUTE..2 * HOUR)).max(ready);
        if at < len { Outcome::Merged { at, style: MergeStyle::Squash } } else { Outcome::Open }
    };
    PrPlan {
        created,
        first_commit,
        first_review,
        outcome,
        author: Author::Bot(bot),
        commits: 1,
        labels: Labels { dependencies: true, ..Labels::default() },
        reverts: None,
        reverted: false,
        draft: false,
        issue: None,
    }
}

/// Sometimes a PR turns out to be a revert of a recent merge: the most recently created
/// earlier human PR merged in the past week and not reverted yet.
fn revert_target(rng: &mut ChaCha8Rng, prs: &[PrPlan], created: i64) -> Option<usize> {
    if !rng.random_bool(REVERT_SHARE) {
        return None;
    }
    // PRs are planned in creation order; a week back is at most a few dozen PRs.
    prs.iter().enumerate().rev().take(200).find_map(|(i, p)| {
        let merged = p.merged_at()?;
        let recent = merged < created - 10 * MINUTE && created - merged <= 7 * DAY;
        (recent && p.is_tracked_work() && !p.reverted).then_some(i)
    })
}

fn revert_pr(rng: &mut ChaCha8Rng, roster: &Roster, team: usize, created: i64, len: i64, target: usize) -> PrPlan {
    // GitHub's revert button makes the commit and opens the PR in one go; reviewers
    // wave it through.
    let first_commit = (created - rng.random_range(MINUTE..20 * MINUTE)).max(MINUTE);
    let first_review = created + lognormal(rng, 20 * MINUTE, 1.0, 2 * MINUTE, 6 * HOUR);
    let at = (first_review + lognormal(rng, 30 * MINUTE, 1.0, 2 * MINUTE, DAY)).max(ready_at(created, first_commit, 1));
    let outcome = if at < len { Outcome::Merged { at, style: merge_style(rng) } } else { Outcome::Open };
    PrPlan {
        created,
        first_commit,
        first_review: Some(first_review),
        outcome,
        author: engineer(rng, roster, team),
        commits: 1,
        labels: Labels { hotfix: rng.random_bool(0.3), ..Labels::default() },
        reverts: Some(target),
        reverted: false,
        draft: false,
        issue: None,
    }
}

/// Trims branch commits until the PRs fit into `budget` commits (the root included) and
/// returns how many direct pushes fill the rest. Feasible sizes (see
/// [`Sizes::commit_budget_is_feasible`]) always fit: a PR with one commit costs at most 2.
fn fit_budget(prs: &mut [PrPlan], budget: usize) -> usize {
    let mut planned = 1 + prs.iter().map(PrPlan::commit_cost).sum::<usize>();
    for pr in prs.iter_mut() {
        while planned > budget && pr.commits > 1 {
            let before = pr.commit_cost();
            pr.commits -= 1;
            planned -= before - pr.commit_cost();
        }
        if planned <= budget {
            break;
        }
    }
    budget.saturating_sub(planned)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use rand::SeedableRng;

    use super::*;
    use crate::generate::Scale;

    fn plan_with(sizes: &Sizes, seed: u64) -> RepoPlan {
        let clock = Clock::new(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(), sizes.period_days);
        let roster = Roster::new(sizes);
        plan_repo(sizes, &roster, 0, &clock, ChaCha8Rng::seed_from_u64(seed))
    }

    fn total_commits(plan: &RepoPlan) -> usize {
        1 + plan.direct_pushes + plan.prs.iter().map(PrPlan::commit_cost).sum::<usize>()
    }

    #[test]
    fn budget_is_met_exactly_when_it_is_loose_or_tight() {
        let mut sizes = Scale::Small.sizes();
        sizes.prs_per_repo = 60..=60;
        for (budget, seed) in [(600, 1), (400, 2), (121, 3), (130, 4)] {
            sizes.commits_per_repo = Some(budget);
            assert!(sizes.commit_budget_is_feasible());
            let plan = plan_with(&sizes, seed);
            assert_eq!(plan.prs.len(), 60);
            assert_eq!(total_commits(&plan), budget, "budget {budget}");
            assert!(plan.prs.iter().all(|p| (1..=6).contains(&p.commits)));
        }
    }

    #[test]
    fn trimming_keeps_at_least_one_commit_and_counts_rebases_twice() {
        let pr = |commits, outcome| PrPlan {
            created: 0,
            first_commit: 0,
            first_review: None,
            outcome,
            author: Author::Engineer(0),
            commits,
            labels: Labels::default(),
            reverts: None,
            reverted: false,
            draft: false,
            issue: None,
        };
        let rebase = Outcome::Merged { at: 10, style: MergeStyle::Rebase };
        let squash = Outcome::Merged { at: 10, style: MergeStyle::Squash };
        // Costs: rebase 4+4, squash 3+1, open 2: 14, plus the root.
        let mut prs = vec![pr(4, rebase), pr(3, squash), pr(2, Outcome::Open)];
        assert_eq!(fit_budget(&mut prs, 20), 5);
        assert_eq!(prs.iter().map(|p| p.commits).collect::<Vec<_>>(), [4, 3, 2]);
        // 10 needs 5 fewer: the rebase drops to 1 commit (saves 6) and one push fills the gap.
        assert_eq!(fit_budget(&mut prs, 10), 1);
        assert_eq!(prs.iter().map(|p| p.commits).collect::<Vec<_>>(), [1, 3, 2]);
        // The minimum: every PR at one commit.
        assert_eq!(fit_budget(&mut prs, 6), 0);
        assert_eq!(prs.iter().map(|p| p.commits).collect::<Vec<_>>(), [1, 1, 1]);
    }

    #[test]
    fn timelines_are_ordered() {
        let sizes = Scale::Small.sizes();
        let plan = plan_with(&sizes, 5);
        let len = sizes.period_days * DAY;
        for p in &plan.prs {
            assert!(p.first_commit >= MINUTE && p.created < len);
            if let Outcome::Merged { at, .. } | Outcome::Closed { at } = p.outcome {
                assert!(at < len && at >= p.created.max(p.first_commit) + 2 * MINUTE * p.commits as i64);
            }
            if let (Some(review), Some(merged)) = (p.first_review, p.merged_at()) {
                assert!(review > p.created && review < merged);
            }
            if let Some(target) = p.reverts {
                let reverted = &plan.prs[target];
                assert!(reverted.merged_at().unwrap() < p.created && reverted.reverted);
            }
            assert!(!(p.draft && p.merged_at().is_some()));
        }
        let bots = plan.prs.iter().filter(|p| matches!(p.author, Author::Bot(_))).count();
        assert!(bots > 0 && bots < plan.prs.len() / 8, "{bots}");
    }
}
