//! Jira issues that follow the work: about half of them track one or two PRs and move
//! through their statuses as those PRs are opened and merged; the rest are backlog
//! work with a flow of their own. Runs between planning and history so that linked
//! PRs' titles (built later) can carry their issue's key.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::plan::{Outcome, PrPlan, RepoPlan};
use super::random::{Clock, DAY, HOUR, MINUTE, lognormal, pick, weighted};
use super::roster::Roster;
use super::scale::Sizes;
use crate::ids::IssueKey;
use crate::model::{IssuePrLink, JiraIssue, JiraTransition, LinkOrigin, RecordSource, StatusCategory};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    ToDo,
    InProgress,
    InReview,
    Done,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::ToDo => "To Do",
            Status::InProgress => "In Progress",
            Status::InReview => "In Review",
            Status::Done => "Done",
        }
    }

    fn category(self) -> StatusCategory {
        match self {
            Status::ToDo => StatusCategory::ToDo,
            Status::InProgress | Status::InReview => StatusCategory::InProgress,
            Status::Done => StatusCategory::Done,
        }
    }
}

/// An issue's status changes, kept strictly increasing in time and inside the period:
/// a change that would fall at or after the end (and all after it) does not happen,
/// which leaves the issue open at the end.
struct Flow {
    created: i64,
    len: i64,
    steps: Vec<(i64, Status)>,
    stopped: bool,
}

impl Flow {
    fn new(created: i64, len: i64) -> Self {
        Self { created, len, steps: Vec::with_capacity(6), stopped: false }
    }

    fn last(&self) -> i64 {
        self.steps.last().map_or(self.created, |&(t, _)| t)
    }

    fn go(&mut self, at: i64, to: Status) {
        let at = at.max(self.last() + MINUTE);
        if self.stopped || at >= self.len {
            self.stopped = true;
            return;
        }
        self.steps.push((at, to));
    }

    fn is_done(&self) -> bool {
        matches!(self.steps.last(), Some((_, Status::Done)))
    }

    /// A few finished issues are reopened and finished again: resolution is the final Done.
    fn maybe_reopen(&mut self, rng: &mut ChaCha8Rng) {
        if self.is_done() && rng.random_bool(0.04) {
            let reopened = self.last() + lognormal(rng, DAY, 1.0, HOUR, 10 * DAY);
            self.go(reopened, Status::InProgress);
            let done = self.last() + lognormal(rng, DAY, 1.0, HOUR, 10 * DAY);
            self.go(done, Status::Done);
        }
    }
}

/// An issue before it has a key: keys are handed out in creation order afterwards.
struct Draft {
    flow: Flow,
    /// Index into the roster's teams, whose Jira project the issue is in.
    team: usize,
    issue_type: &'static str,
    story_points: Option<f64>,
    /// (repository index, PR index) of the tracked PRs.
    prs: Vec<(usize, usize)>,
}

pub(crate) struct JiraData {
    pub(crate) issues: Vec<JiraIssue>,
    pub(crate) transitions: Vec<JiraTransition>,
    pub(crate) links: Vec<IssuePrLink>,
}

/// Builds `sizes.jira_issues` issues, links about half of them to PRs, and records each
/// linked PR's issue in its plan.
pub(crate) fn generate(
    sizes: &Sizes,
    roster: &Roster,
    clock: &Clock,
    plans: &mut [RepoPlan],
    mut rng: ChaCha8Rng,
) -> JiraData {
    let len = clock.len();
    let mut drafts = linked_drafts(&mut rng, sizes.jira_issues / 2, roster, plans, len);
    while drafts.len() < sizes.jira_issues {
        drafts.push(backlog_draft(&mut rng, clock));
    }
    // Jira numbers issues in creation order, per project. The sort is stable, so equal
    // times keep draft order and the result stays deterministic.
    drafts.sort_by_key(|d| d.flow.created);

    let mut next_number = [1u64; 2];
    let mut data = JiraData {
        issues: Vec::with_capacity(drafts.len()),
        transitions: Vec::with_capacity(drafts.len() * 4),
        links: Vec::with_capacity(drafts.len()),
    };
    for draft in drafts {
        let project = &roster.jira_keys[draft.team];
        let key = IssueKey::parse(&format!("{project}-{}", next_number[draft.team]))
            .expect("a project key, a dash and a number make an issue key");
        next_number[draft.team] += 1;

        let mut from = Status::ToDo;
        for (i, &(at, to)) in draft.flow.steps.iter().enumerate() {
            data.transitions.push(JiraTransition {
                issue: key.clone(),
                // What the importer assigns (the transition's position), so rows round-trip.
                id: format!("import:{i}"),
                at: clock.at(at),
                from_status: Some(from.name().to_owned()),
                to_status: to.name().to_owned(),
                from_category: Some(from.category()),
                to_category: Some(to.category()),
                source: RecordSource::Import,
            });
            from = to;
        }
        for &(repo, pr) in &draft.prs {
            plans[repo].prs[pr].issue = Some(data.issues.len());
            data.links.push(IssuePrLink {
                issue: key.clone(),
                repo: roster.repos[repo].name.clone(),
                pr: pr as i64 + 1,
                origin: LinkOrigin::Import,
            });
        }
        let resolved_at = draft.flow.is_done().then(|| clock.at(draft.flow.last()));
        data.issues.push(JiraIssue {
            key,
            project: project.clone(),
            issue_type: draft.issue_type.to_owned(),
            status: from.name().to_owned(),
            status_category: Some(from.category()),
            created_at: clock.at(draft.flow.created),
            resolved_at,
            story_points: draft.story_points,
            source: RecordSource::Import,
        });
    }
    data
}

/// Walks the PRs of every repository and starts an issue at about the rate that yields
/// `target` issues; a third of the issues also take the repository's next tracked PR
/// (a follow-up). Never more than `target`.
fn linked_drafts(rng: &mut ChaCha8Rng, target: usize, roster: &Roster, plans: &[RepoPlan], len: i64) -> Vec<Draft> {
    let eligible: usize = plans.iter().map(|p| p.prs.iter().filter(|pr| pr.is_tracked_work()).count()).sum();
    if eligible == 0 || target == 0 {
        return Vec::new();
    }
    // A walk that starts issues at `rate` and lets a third take a follow-up PR starts
    // about rate·E / (1 + rate/3) issues over E eligible PRs; solving for `target` (and
    // aiming a little low) spreads the links over every repository instead of running
    // out of issues before the last ones.
    let (target_f, eligible_f) = (target as f64, eligible as f64);
    let rate = (0.97 * target_f / (eligible_f - target_f / 3.0).max(1.0)).clamp(0.0, 1.0);
    let mut drafts = Vec::with_capacity(target);
    for (r, plan) in plans.iter().enumerate() {
        let mut taken = vec![false; plan.prs.len()];
        for i in 0..plan.prs.len() {
            if drafts.len() == target {
                return drafts;
            }
            if taken[i] || !plan.prs[i].is_tracked_work() || !rng.random_bool(rate) {
                continue;
            }
            taken[i] = true;
            let mut prs = vec![(r, i)];
            if rng.random_bool(1.0 / 3.0) {
                let next = (i + 1..plan.prs.len()).find(|&j| !taken[j] && plan.prs[j].is_tracked_work());
                if let Some(j) = next {
                    taken[j] = true;
                    prs.push((r, j));
                }
            }
            let tracked: Vec<&PrPlan> = prs.iter().map(|&(_, i)| &plan.prs[i]).collect();
            drafts.push(linked_draft(rng, &tracked, roster.repos[r].team, prs, len));
        }
    }
    drafts
}

/// An issue whose flow follows its PRs: in progress with the first commit, in review
/// when the first PR opens, done a little after the last one merges.
fn linked_draft(rng: &mut ChaCha8Rng, prs: &[&PrPlan], team: usize, links: Vec<(usize, usize)>, len: i64) -> Draft {
    let started = prs.iter().map(|p| p.first_commit).min().unwrap_or(0);
    let opened = prs.iter().map(|p| p.created).min().unwrap_or(started);
    let created = (started - lognormal(rng, 3 * DAY, 1.0, HOUR, 30 * DAY)).max(0);
    let mut flow = Flow::new(created, len);
    flow.go(started - rng.random_range(0..2 * HOUR), Status::InProgress);
    flow.go(opened, Status::InReview);
    if rng.random_bool(0.15) {
        // Review sent it back for more work.
        let back = flow.last() + lognormal(rng, 4 * HOUR, 1.0, 10 * MINUTE, 3 * DAY);
        flow.go(back, Status::InProgress);
        let again = flow.last() + lognormal(rng, 6 * HOUR, 1.0, 10 * MINUTE, 3 * DAY);
        flow.go(again, Status::InReview);
    }
    let all_finished = prs.iter().all(|p| p.outcome != Outcome::Open);
    let last_merge = prs.iter().filter_map(|p| p.merged_at()).max();
    match last_merge {
        Some(merged) if all_finished => {
            flow.go(merged + lognormal(rng, 2 * HOUR, 1.0, MINUTE, 3 * DAY), Status::Done);
            flow.maybe_reopen(rng);
        }
        None if all_finished => {
            // Every PR was closed unmerged: the work goes back to the backlog.
            let closed = prs.iter().map(|p| p.last_moment(len)).max().unwrap_or(opened);
            flow.go(closed + lognormal(rng, HOUR, 1.0, MINUTE, DAY), Status::ToDo);
        }
        _ => {}
    }
    let is_bug = prs.iter().any(|p| p.labels.bug);
    let is_feature = prs.iter().any(|p| p.labels.feature);
    let issue_type = if is_bug {
        "Bug"
    } else if is_feature || rng.random_bool(0.5) {
        "Story"
    } else {
        "Task"
    };
    Draft { flow, team, issue_type, story_points: story_points(rng, issue_type), prs: links }
}

/// An issue no PR tracks: created any time, started some days later (or never, or
/// closed as won't-do), reviewed and done.
fn backlog_draft(rng: &mut ChaCha8Rng, clock: &Clock) -> Draft {
    let len = clock.len();
    let created = clock.work_time(rng, 0, len - HOUR);
    let issue_type = ["Story", "Task", "Bug", "Incident"][weighted(rng, &[40, 30, 25, 5])];
    let mut flow = Flow::new(created, len);
    if issue_type == "Incident" {
        let start = created + lognormal(rng, 15 * MINUTE, 1.0, MINUTE, 6 * HOUR);
        flow.go(start, Status::InProgress);
        let done = flow.last() + lognormal(rng, 3 * HOUR, 1.2, 10 * MINUTE, 5 * DAY);
        flow.go(done, Status::Done);
    } else if rng.random_bool(0.05) {
        // Closed as won't-do without ever being started.
        flow.go(created + lognormal(rng, 5 * DAY, 1.0, HOUR, 60 * DAY), Status::Done);
    } else if rng.random_bool(0.1) {
        // Still in the backlog.
    } else {
        flow.go(created + lognormal(rng, 2 * DAY, 1.2, 10 * MINUTE, 60 * DAY), Status::InProgress);
        let review = flow.last() + lognormal(rng, 36 * HOUR, 1.0, 30 * MINUTE, 20 * DAY);
        flow.go(review, Status::InReview);
        if rng.random_bool(0.1) {
            let back = flow.last() + lognormal(rng, 4 * HOUR, 1.0, 10 * MINUTE, 3 * DAY);
            flow.go(back, Status::InProgress);
            let again = flow.last() + lognormal(rng, 8 * HOUR, 1.0, 10 * MINUTE, 5 * DAY);
            flow.go(again, Status::InReview);
        }
        let done = flow.last() + lognormal(rng, 8 * HOUR, 1.0, 10 * MINUTE, 10 * DAY);
        flow.go(done, Status::Done);
        flow.maybe_reopen(rng);
    }
    let team = rng.random_range(0..2);
    Draft { flow, team, issue_type, story_points: story_points(rng, issue_type), prs: Vec::new() }
}

fn story_points(rng: &mut ChaCha8Rng, issue_type: &str) -> Option<f64> {
    match issue_type {
        "Story" | "Task" if rng.random_bool(0.6) => Some(*pick(rng, &[1.0, 2.0, 3.0, 5.0, 8.0])),
        "Bug" if rng.random_bool(0.3) => Some(*pick(rng, &[1.0, 2.0, 3.0])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::super::fixture::small;
    use super::*;
    use crate::ids::RepoName;
    use crate::model::{PullRequest, Timestamp};

    fn category_of(status: &str) -> StatusCategory {
        match status {
            "To Do" => StatusCategory::ToDo,
            "In Progress" | "In Review" => StatusCategory::InProgress,
            "Done" => StatusCategory::Done,
            other => panic!("unexpected status {other}"),
        }
    }

    #[test]
    fn transitions_tell_each_issue_story_in_order() {
        let org = small();
        let mut rest = &org.jira_transitions[..];
        let (mut reopened, mut sent_back) = (0, 0);
        for issue in &org.jira_issues {
            // Contiguous, in issue order: that is how `write_dir` finds them cheaply too.
            let n = rest.iter().take_while(|t| t.issue == issue.key).count();
            let (transitions, tail) = rest.split_at(n);
            rest = tail;
            let mut status = "To Do";
            let mut at = issue.created_at;
            for (i, t) in transitions.iter().enumerate() {
                assert_eq!(t.id, format!("import:{i}"));
                assert!(t.at > at, "{}: transitions out of order", issue.key);
                assert_eq!(t.from_status.as_deref(), Some(status));
                assert_eq!(t.from_category, Some(category_of(status)));
                assert_eq!(t.to_category, Some(category_of(&t.to_status)));
                if status == "Done" && t.to_status == "In Progress" {
                    reopened += 1;
                }
                if status == "In Review" && t.to_status == "In Progress" {
                    sent_back += 1;
                }
                status = &t.to_status;
                at = t.at;
            }
            assert_eq!(issue.status, status, "{}", issue.key);
            assert_eq!(issue.status_category, Some(category_of(status)));
            let resolved = (status == "Done").then_some(at);
            assert_eq!(issue.resolved_at, resolved, "{}", issue.key);
        }
        assert!(rest.is_empty(), "transitions of no issue, or out of issue order");
        assert!(reopened > 0 && sent_back > 0, "{reopened} reopened, {sent_back} sent back");
        let open = org.jira_issues.iter().filter(|i| i.resolved_at.is_none()).count();
        assert!(open > 10 && open < 100, "{open} open");
    }

    #[test]
    fn keys_are_numbered_in_creation_order_per_project() {
        let org = small();
        let mut last: HashMap<&str, (u64, Timestamp)> = HashMap::new();
        for issue in &org.jira_issues {
            let (project, number) = issue.key.as_str().rsplit_once('-').unwrap();
            assert_eq!(project, issue.project.as_str());
            let number: u64 = number.parse().unwrap();
            let (previous, created) = last.get(project).copied().unwrap_or((0, issue.created_at));
            assert_eq!(number, previous + 1);
            assert!(created <= issue.created_at);
            last.insert(project, (number, issue.created_at));
        }
        assert_eq!(last.len(), 2);
    }

    #[test]
    fn about_half_track_prs_whose_titles_carry_the_key() {
        let org = small();
        let prs: HashMap<(&RepoName, i64), &PullRequest> =
            org.pull_requests.iter().map(|p| ((&p.repo, p.number), p)).collect();
        let mut links: HashMap<&IssueKey, Vec<&PullRequest>> = HashMap::new();
        for l in &org.issue_links {
            links.entry(&l.issue).or_default().push(prs[&(&l.repo, l.pr)]);
        }
        let linked = links.len() * 100 / org.jira_issues.len();
        assert!((35..=50).contains(&linked), "{linked}% linked");
        let mut project_of_repo: HashMap<&RepoName, HashSet<&str>> = HashMap::new();
        for issue in &org.jira_issues {
            let Some(tracked) = links.get(&issue.key) else { continue };
            assert!((1..=2).contains(&tracked.len()));
            for pr in tracked {
                assert!(pr.title.as_deref().unwrap().starts_with(&format!("{}: ", issue.key)), "{}", issue.key);
                assert!(!pr.author.ends_with("[bot]") && !pr.is_revert);
                project_of_repo.entry(&pr.repo).or_default().insert(issue.project.as_str());
            }
            if issue.issue_type == "Bug" {
                assert!(tracked.iter().any(|p| p.labels.iter().any(|l| l == "bug")));
            }
            // In review once a PR is open, done only after every PR is finished.
            let opened = tracked.iter().map(|p| p.created_at).min().unwrap();
            let transitions = org.jira_transitions.iter().filter(|t| t.issue == issue.key);
            let review = transitions.clone().find(|t| t.to_status == "In Review");
            assert!(review.is_none_or(|t| t.at >= opened));
            if issue.status == "Done" {
                let merged = tracked.iter().filter_map(|p| p.merged_at).max().expect("done issues shipped something");
                assert!(tracked.iter().all(|p| p.closed_at.is_some()));
                assert!(transitions.clone().any(|t| t.to_status == "Done" && t.at > merged));
            }
        }
        // A repository's PRs are tracked in its team's Jira project only.
        assert!(project_of_repo.values().all(|projects| projects.len() == 1), "{project_of_repo:?}");
        // Every PR title that starts with a key is linked to that issue.
        let keyed = org
            .pull_requests
            .iter()
            .filter(|p| p.title.as_deref().is_some_and(|t| t.starts_with("CHK-") || t.starts_with("PAY-")));
        assert_eq!(keyed.count(), org.issue_links.len());
    }

    #[test]
    fn issue_types_and_points_are_varied() {
        let org = small();
        let count = |t: &str| org.jira_issues.iter().filter(|i| i.issue_type == t).count();
        for t in ["Story", "Task", "Bug"] {
            assert!(count(t) > 40, "{t}: {}", count(t));
        }
        assert!((1..30).contains(&count("Incident")), "{}", count("Incident"));
        let points: Vec<f64> = org.jira_issues.iter().filter_map(|i| i.story_points).collect();
        assert!(points.len() > 100 && points.len() < 300);
        assert!(points.iter().all(|p| [1.0, 2.0, 3.0, 5.0, 8.0].contains(p)));
    }
}
