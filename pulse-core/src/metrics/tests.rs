//! Hand-computed tests of the aggregates over a small organisation built here; every
//! expected number is worked out in the comments.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};

use super::bands::{Band, Benchmark};
use super::calendar::{Period, Window};
use super::derive::{DeriveInput, DiffMemo, derive};
use super::dora::{self, DoraMetrics};
use super::facts::{Attribution, LinkMethod, ReworkReason};
use super::scope::{Scope, ScopeFilter, ScopeInfo};
use super::view::FactsView;
use super::{flow, jira_flow};
use crate::ids::{IssueKey, ProjectName, RepoName, Sha};
use crate::model::*;

/// 2026-03-02 is a Monday.
fn at(day: u32, hour: u32, minute: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0).unwrap()
}

fn repo(name: &str) -> RepoName {
    RepoName::parse(name).unwrap()
}

fn sha(s: &str) -> Sha {
    Sha::parse(s).unwrap()
}

#[derive(Default)]
struct Org {
    repositories: Vec<Repository>,
    commits: Vec<Commit>,
    pull_requests: Vec<PullRequest>,
    pull_request_commits: Vec<PullRequestCommit>,
    reviews: Vec<Review>,
    deployments: Vec<Deployment>,
    incidents: Vec<Incident>,
    projects: Vec<Project>,
    jira_issues: Vec<JiraIssue>,
    jira_transitions: Vec<JiraTransition>,
    issue_links: Vec<IssuePrLink>,
}

impl Org {
    fn commit(&mut self, r: &str, s: &str, parents: &[&str], authored: Timestamp) {
        self.commits.push(Commit {
            repo: repo(r),
            sha: sha(s),
            parents: parents.iter().map(|p| sha(p)).collect(),
            authored_at: authored,
            committed_at: Some(authored),
            author: None,
            message: None,
            source: RecordSource::Github,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn pr(
        &mut self,
        r: &str,
        number: i64,
        author: &str,
        created: Timestamp,
        merged: Option<Timestamp>,
        merge: Option<&str>,
        commits: &[&str],
    ) {
        self.pull_requests.push(PullRequest {
            repo: repo(r),
            number,
            author: author.into(),
            created_at: created,
            merged_at: merged,
            closed_at: merged,
            merge_commit_sha: merge.map(sha),
            title: Some(format!("change {number}")),
            base: Some("main".into()),
            head: Some(format!("feature-{number}")),
            additions: Some(number * 10),
            deletions: Some(number),
            draft: false,
            labels: Vec::new(),
            is_revert: false,
            source: RecordSource::Github,
        });
        for c in commits {
            self.pull_request_commits.push(PullRequestCommit { repo: repo(r), pr: number, sha: sha(c) });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn review(
        &mut self,
        r: &str,
        pr: i64,
        id: &str,
        author: &str,
        at: Timestamp,
        state: ReviewState,
        kind: ReviewKind,
    ) {
        self.reviews.push(Review {
            repo: repo(r),
            pr,
            id: id.into(),
            author: author.into(),
            submitted_at: at,
            state: Some(state),
            kind,
            source: RecordSource::Github,
        });
    }

    fn deploy(&mut self, r: &str, id: &str, s: &str, env: &str, result: DeploymentResult, finished: Timestamp) {
        self.deployments.push(Deployment {
            repo: repo(r),
            id: id.into(),
            sha: sha(s),
            environment: env.into(),
            result,
            started_at: Some(finished - Duration::minutes(10)),
            finished_at: finished,
            source: DeploymentSource::GithubDeployment,
        });
    }

    fn incident(
        &mut self,
        id: &str,
        r: Option<&str>,
        created: Timestamp,
        resolved: Option<Timestamp>,
    ) -> &mut Incident {
        self.incidents.push(Incident {
            id: id.into(),
            created_at: created,
            resolved_at: resolved,
            title: None,
            repo: r.map(repo),
            project: None,
            deployment_id: None,
            sha: None,
            pr: None,
            severity: None,
            source: RecordSource::Import,
        });
        self.incidents.last_mut().unwrap()
    }

    fn view(&self) -> FactsView {
        let input = DeriveInput {
            repositories: &self.repositories,
            commits: &self.commits,
            pull_requests: &self.pull_requests,
            pull_request_commits: &self.pull_request_commits,
            reviews: &self.reviews,
            deployments: &self.deployments,
            incidents: &self.incidents,
            projects: &self.projects,
            jira_issues: &self.jira_issues,
            jira_transitions: &self.jira_transitions,
            issue_links: &self.issue_links,
        };
        FactsView::new(derive(&input, &mut DiffMemo::default()))
    }
}

/// The organisation most tests use.
///
/// acme/api, production deploys of main:
///   c0 (root) ← m1 (merge of PR 1: c0 + f1) ← s2 (squash of PR 2; its branch commit f2
///   stays off main) ← m5 ... (PR 5 merged, its merge commit is not in the fetched graph)
/// - d0 deploys c0 on Feb 25: the first deployment, no changes.
/// - d1 deploys s2 on Mar 3 12:00: ships PR 1 and PR 2 (a merge and a squash).
/// - d2 fails on Mar 4 (s2): never linked, never counted.
/// - s1 deploys s2 to staging: not production.
/// - d4 deploys `gone` (not in the graph) on Mar 10 12:00: PRs merged since d1 by time.
fn organisation() -> Org {
    let mut org = Org::default();
    let api = "acme/api";
    org.repositories.push(Repository { name: repo(api), default_branch: "main".into(), source: RecordSource::Github });
    org.commit(api, "c0", &[], at(1, 0, 0) - Duration::days(10));
    org.commit(api, "f1", &["c0"], at(1, 8, 0));
    org.commit(api, "m1", &["c0", "f1"], at(1, 14, 0));
    org.commit(api, "f2", &["m1"], at(2, 9, 0));
    org.commit(api, "s2", &["m1"], at(2, 11, 0));

    // PR 1 (alice): first commit 08:00, opened 10:00, bot comments 10:05 and 10:10, bob
    // approves 12:00, merged 14:00 → coding 2 h, pickup 2 h, review 2 h.
    org.pr(api, 1, "alice", at(1, 10, 0), Some(at(1, 14, 0)), Some("m1"), &["f1"]);
    org.review(api, 1, "r1", "ci[bot]", at(1, 10, 5), ReviewState::Commented, ReviewKind::Comment);
    org.review(api, 1, "r2", "deploy-bot", at(1, 10, 10), ReviewState::Commented, ReviewKind::Comment);
    org.review(api, 1, "r3", "alice", at(1, 11, 0), ReviewState::Commented, ReviewKind::Comment);
    org.review(api, 1, "r4", "bob", at(1, 12, 0), ReviewState::Approved, ReviewKind::Review);
    // PR 2 (bob), squash-merged: first commit 09:00, opened 10:00, carol asks for changes
    // 10:30 then approves, merged 11:00 → coding 1 h, pickup 0.5 h, review 0.5 h.
    org.pr(api, 2, "bob", at(2, 10, 0), Some(at(2, 11, 0)), Some("s2"), &["f2"]);
    org.review(api, 2, "r5", "carol", at(2, 10, 30), ReviewState::ChangesRequested, ReviewKind::Review);
    org.review(api, 2, "r6", "carol", at(2, 10, 45), ReviewState::Approved, ReviewKind::Review);
    org.pull_requests[1].labels = vec!["Hotfix".into()];
    // PR 5 (alice): merged Mar 8 12:00; its merge commit never reached the graph.
    org.pr(api, 5, "alice", at(8, 10, 0), Some(at(8, 12, 0)), Some("m5"), &[]);
    // PR 6 (carol): still open.
    org.pr(api, 6, "carol", at(9, 0, 0), None, None, &[]);

    org.deploy(api, "d0", "c0", "production", DeploymentResult::Success, at(1, 0, 0) - Duration::days(4));
    org.deploy(api, "d1", "s2", "production", DeploymentResult::Success, at(3, 12, 0));
    org.deploy(api, "d2", "s2", "production", DeploymentResult::Failure, at(4, 12, 0));
    org.deploy(api, "s1", "s2", "staging", DeploymentResult::Success, at(3, 9, 0));
    org.deploy(api, "d4", "gone", "production", DeploymentResult::Success, at(10, 12, 0));

    // i1: after d1, resolved in 1 h (2 h after d1 finished). i2: after d1, still open.
    org.incident("i1", Some(api), at(3, 13, 0), Some(at(3, 14, 0)));
    org.incident("i2", Some(api), at(3, 18, 0), None);
    // i3 names d4 explicitly; i4 names the failed deployment's commit only by sha of d2
    // — but d1 (a delivery) also deployed s2, so it links to d1 explicitly.
    org.incident("i3", Some(api), at(12, 0, 0), Some(at(12, 6, 0))).deployment_id = Some("d4".into());
    org.incident("i4", Some(api), at(13, 0, 0), Some(at(13, 1, 0))).deployment_id = Some("d2".into());

    let mut project = Project::new(ProjectName::parse("checkout").unwrap());
    project.repos = vec![repo(api)];
    project.rules.bots = vec!["deploy-bot".into()];
    project.teams = BTreeMap::from([("payments".into(), vec!["Alice".into()])]);
    org.projects.push(project);
    org
}

fn window(from_day: u32, to_day: u32) -> Window {
    Window::new(at(from_day, 0, 0), at(to_day, 0, 0)).unwrap()
}

fn metrics(view: &FactsView, filter: &ScopeFilter, w: Window, benchmark: Benchmark) -> DoraMetrics {
    let scope = Scope::resolve(filter, &[]).unwrap_or_default();
    dora::metrics(&dora::basis(view, &scope, w), w, benchmark)
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn row_level_facts_of_the_organisation() {
    let view = organisation().view();
    let d = |id: &str| view.facts.deployments.iter().find(|d| d.id == id).unwrap();
    assert!(d("d0").changes.is_empty() && d("d0").attribution.is_none(), "first deployment");
    assert_eq!(d("d1").previous.as_deref(), Some("d0"));
    assert_eq!(d("d1").changes, ["s2", "m1", "f1"].map(sha), "the squash's branch commit f2 is not shipped");
    assert_eq!(d("d1").pull_requests, vec![(repo("acme/api"), 1), (repo("acme/api"), 2)]);
    assert_eq!(d("d2").previous, None, "failed deployments have no previous");
    assert!(!d("s1").production);
    assert_eq!(d("d4").attribution, Some(Attribution::Time), "`gone` is not in the graph");
    assert_eq!(d("d4").changes, vec![sha("m5")]);
    assert_eq!(d("d1").rework, vec![ReworkReason::Hotfix { pr: 2 }], "labels match case-insensitively");

    let pr = |n: i64| view.pr(&repo("acme/api"), n).unwrap();
    let h = |hours: f64| Some((hours * 3600.0) as i64);
    assert_eq!((pr(1).coding, pr(1).pickup, pr(1).review), (h(2.0), h(2.0), h(2.0)));
    assert_eq!(pr(1).first_review_id.as_deref(), Some("r4"), "bots and the author do not count");
    assert_eq!(pr(1).deploy, h(46.0), "merged Mar 1 14:00, d1 finished Mar 3 12:00");
    assert_eq!(pr(1).lead_time, h(52.0).unwrap());
    assert!(pr(1).approved_first_time);
    assert_eq!((pr(2).coding, pr(2).pickup, pr(2).review, pr(2).deploy), (h(1.0), h(0.5), h(0.5), h(25.0)));
    assert_eq!(pr(2).lead_time, h(27.0).unwrap());
    assert!(!pr(2).approved_first_time, "changes were requested first");
    assert_eq!(pr(5).deployment.as_ref().map(|d| d.id.as_str()), Some("d4"));
    assert_eq!(pr(5).attribution, Some(Attribution::Time));

    let inc = |id: &str| view.facts.incidents.iter().find(|i| i.id == id).unwrap();
    assert_eq!(
        (inc("i1").deployment.as_ref().unwrap().id.as_str(), inc("i1").method),
        ("d1", Some(LinkMethod::Inferred))
    );
    assert_eq!(
        (inc("i3").deployment.as_ref().unwrap().id.as_str(), inc("i3").method),
        ("d4", Some(LinkMethod::Explicit))
    );
    // d2 failed, so an explicit reference to it matches nothing and never falls back.
    assert_eq!(inc("i4").deployment, None);
    assert_eq!(inc("i4").unmatched_reference.as_deref(), Some("deployment d2"));
}

#[test]
fn dora_over_two_weeks() {
    let view = organisation().view();
    // Window Mon Mar 2 – Mon Mar 16: two weeks, deliveries d1 (Mar 3) and d4 (Mar 10).
    let m = metrics(&view, &ScopeFilter::default(), window(2, 16), Benchmark::Dora2023);

    let df = &m.deployment_frequency;
    assert_eq!((df.deployments, df.deployment_days), (2, 2));
    assert!(close(df.per_week, 1.0), "2 deployments / (14 days / 7)");
    assert!(close(df.median_deployment_days_per_week, 1.0), "weeks [1, 1]");
    assert!(close(df.median_deployment_days_per_month, 2.0), "March: 2 days");
    assert_eq!(df.band, Some(Band::High), "median deploy days per week ≥ 1");

    // Lead times: PR 1 52 h, PR 2 27 h (d1), PR 5: merged Mar 8 12:00, d4 Mar 10 12:00
    // → deploy 48 h, coding none, open 2 h → 50 h. Sorted 27, 50, 52.
    let lt = &m.lead_time_for_changes;
    assert_eq!(lt.changes, 3);
    assert!(close(lt.median_hours, 50.0));
    assert!(close(lt.p75_hours, 51.0), "50 + (52 − 50) × 0.5");
    assert!(close(lt.p90_hours, 51.6), "50 + (52 − 50) × 0.8");
    assert!(close(lt.mean_hours, 43.0));
    assert!(close(lt.coding_median_hours, 1.5), "PR 5 has no commits: only 2 h and 1 h");
    assert!(close(lt.deploy_median_hours, 46.0), "25, 46, 48");
    assert_eq!(lt.band, Some(Band::High));

    // d1 has incidents i1 and i2, d4 has i3: both deliveries failed.
    let cfr = &m.change_failure_rate;
    assert_eq!((cfr.deployments, cfr.failed_deployments), (2, 2));
    assert!(close(cfr.rate, 1.0));
    assert_eq!(cfr.band, Some(Band::Low));

    // Recovery from the deployment: i1 2 h, i3 (d4 Mar 10 12:00 → Mar 12 06:00) 42 h;
    // i2 is open.
    let fdrt = &m.failed_deployment_recovery_time;
    assert_eq!((fdrt.incidents, fdrt.open_incidents), (3, 1));
    assert!(close(fdrt.median_hours, 22.0));
    assert_eq!(fdrt.band, Some(Band::High));

    // Restore (2021 definition): i1 1 h, i3 6 h, i4 1 h; i2 is open.
    let ttrs = &m.time_to_restore_service;
    assert_eq!(ttrs.incidents, 3);
    assert!(close(ttrs.median_hours, 1.0));
    assert_eq!(ttrs.band, Some(Band::High), "exactly 1 h is not below 1 h");

    assert_eq!((m.rework_rate.deployments, m.rework_rate.rework_deployments), (2, 1));
    assert!(close(m.rework_rate.rate, 0.5));
}

#[test]
fn weeks_without_deployments_count_as_zero() {
    let view = organisation().view();
    // Mon Mar 2 – Mon Mar 23: three weeks with 1, 1 and 0 deployment days.
    let m = metrics(&view, &ScopeFilter::default(), window(2, 23), Benchmark::Dora2023);
    assert!(close(m.deployment_frequency.median_deployment_days_per_week, 1.0));
    // Mon Mar 2 – Mon Mar 30: four weeks 1, 1, 0, 0 → median 0.5; March has 2 days.
    let m = metrics(&view, &ScopeFilter::default(), window(2, 30), Benchmark::Dora2023);
    assert!(close(m.deployment_frequency.median_deployment_days_per_week, 0.5));
    assert_eq!(m.deployment_frequency.band, Some(Band::Medium), "monthly, not weekly");
}

#[test]
fn an_empty_window_is_null_not_zero() {
    let view = organisation().view();
    let m = metrics(&view, &ScopeFilter::default(), window(20, 27), Benchmark::Dora2023);
    assert_eq!(m.deployment_frequency.deployments, 0);
    assert_eq!(m.deployment_frequency.band, None);
    assert!(close(m.deployment_frequency.per_week, 0.0));
    assert_eq!(m.lead_time_for_changes.median_hours, None);
    assert_eq!(m.lead_time_for_changes.band, None);
    assert_eq!(m.change_failure_rate.rate, None);
    assert_eq!(m.change_failure_rate.band, None);
    assert_eq!(m.failed_deployment_recovery_time.median_hours, None);
    assert_eq!(m.time_to_restore_service.median_hours, None);
    assert_eq!(m.rework_rate.rate, None);
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["lead_time_for_changes"]["median_hours"], serde_json::Value::Null);
    assert_eq!(json["change_failure_rate"]["band"], serde_json::Value::Null);
}

#[test]
fn exactly_five_percent_failures_is_elite() {
    // Twenty daily deliveries, one incident: 1 / 20 = 5 %.
    let mut org = Org::default();
    org.commit("acme/web", "w0", &[], at(1, 0, 0));
    for day in 1..=20u32 {
        let s = format!("w{day}");
        let parent = format!("w{}", day - 1);
        org.commit("acme/web", &s, &[parent.as_str()], at(day, 1, 0));
        org.deploy("acme/web", &format!("web-{day}"), &s, "production", DeploymentResult::Success, at(day, 12, 0));
    }
    org.incident("web-down", Some("acme/web"), at(5, 13, 0), Some(at(5, 14, 0)));
    let view = org.view();
    let m = metrics(&view, &ScopeFilter::default(), window(1, 21), Benchmark::Dora2023);
    assert_eq!((m.change_failure_rate.deployments, m.change_failure_rate.failed_deployments), (20, 1));
    assert!(close(m.change_failure_rate.rate, 0.05));
    assert_eq!(m.change_failure_rate.band, Some(Band::Elite));
    assert_eq!(m.deployment_frequency.band, Some(Band::Elite), "7, 7, 6 days a week (clipped)");
    assert_eq!(Benchmark::Dora2021, Benchmark::parse("dora-2021").unwrap());
    let m21 = metrics(&view, &ScopeFilter::default(), window(1, 21), Benchmark::Dora2021);
    assert_eq!(m21.change_failure_rate.band, Some(Band::Elite));
}

#[test]
fn exactly_24_hours_of_lead_time_is_high() {
    let mut org = Org::default();
    org.commit("acme/x", "a", &[], at(1, 0, 0));
    org.commit("acme/x", "b", &["a"], at(2, 0, 0));
    org.pr("acme/x", 1, "alice", at(2, 0, 0), Some(at(2, 12, 0)), Some("b"), &["b"]);
    org.deploy("acme/x", "x0", "a", "production", DeploymentResult::Success, at(1, 12, 0));
    org.deploy("acme/x", "x1", "b", "production", DeploymentResult::Success, at(3, 0, 0));
    let view = org.view();
    // coding 0 h (first commit at creation), open 12 h, deploy 12 h → exactly 24 h.
    let m = metrics(&view, &ScopeFilter::default(), window(2, 9), Benchmark::Dora2023);
    assert!(close(m.lead_time_for_changes.median_hours, 24.0));
    assert_eq!(m.lead_time_for_changes.band, Some(Band::High));
    let m21 = metrics(&view, &ScopeFilter::default(), window(2, 9), Benchmark::Dora2021);
    assert_eq!(m21.lead_time_for_changes.band, Some(Band::High), "2021: < 7 d");
}

#[test]
fn the_merge_fallback() {
    let mut org = Org::default();
    let lib = "acme/lib";
    org.repositories.push(Repository { name: repo(lib), default_branch: "main".into(), source: RecordSource::Github });
    org.commit(lib, "l0", &[], at(1, 0, 0));
    org.commit(lib, "l1", &["l0"], at(2, 0, 0));
    org.commit(lib, "l2", &["l1"], at(3, 0, 0));
    org.pr(lib, 1, "alice", at(2, 0, 0), Some(at(2, 6, 0)), Some("l1"), &["l1"]);
    org.pr(lib, 2, "alice", at(3, 0, 0), Some(at(3, 6, 0)), Some("l2"), &["l2"]);
    // Merged into another branch: not a fallback deployment.
    org.pr(lib, 3, "alice", at(3, 0, 0), Some(at(3, 7, 0)), Some("x3"), &[]);
    org.pull_requests[2].base = Some("release".into());
    let view = org.view();
    let ids: Vec<&str> = view.facts.deployments.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["merge:1", "merge:2"]);
    assert!(view.facts.deployments.iter().all(|d| d.source == DeploymentSource::Merge && d.production));
    let pr2 = view.pr(&repo(lib), 2).unwrap();
    assert_eq!(pr2.deployment.as_ref().map(|d| d.id.as_str()), Some("merge:2"));
    assert_eq!(pr2.deploy, Some(0), "deployed when merged");

    let scope = Scope::default();
    let w = window(1, 8);
    let basis = dora::basis(&view, &scope, w);
    assert_eq!(dora::sources(&basis), vec![DeploymentSource::Merge]);
    let m = dora::metrics(&basis, w, Benchmark::Dora2023);
    assert_eq!(m.deployment_frequency.deployments, 2);
    assert_eq!(m.lead_time_for_changes.changes, 1, "the first merge deployment ships nothing");

    // A repository with any deployment record gets no fallback.
    org.deploy(lib, "real", "l0", "staging", DeploymentResult::Success, at(1, 12, 0));
    assert!(org.view().facts.deployments.iter().all(|d| d.source != DeploymentSource::Merge));
}

#[test]
fn team_and_repository_scopes() {
    let org = organisation();
    let view = org.view();
    let team = ScopeFilter { team: Some("payments".into()), ..Default::default() };
    let scope = Scope::resolve(&team, &org.projects).unwrap();
    let w = window(2, 16);
    let m = dora::metrics(&dora::basis(&view, &scope, w), w, Benchmark::Dora2023);
    // alice's PRs 1 and 5, shipped by d1 and d4 (membership is case-insensitive).
    assert_eq!(m.lead_time_for_changes.changes, 2);
    assert_eq!(m.deployment_frequency.deployments, 2);

    let other = ScopeFilter { repo: Some("acme/other".into()), ..Default::default() };
    let scope = Scope::resolve(&other, &org.projects).unwrap();
    let m = dora::metrics(&dora::basis(&view, &scope, w), w, Benchmark::Dora2023);
    assert_eq!(m.deployment_frequency.deployments, 0);

    let missing = ScopeFilter { project: Some("nope".into()), ..Default::default() };
    assert!(matches!(Scope::resolve(&missing, &org.projects), Err(crate::Error::NotFound { entity: "project" })));
    let no_team = ScopeFilter { team: Some("ghosts".into()), ..Default::default() };
    assert!(matches!(Scope::resolve(&no_team, &org.projects), Err(crate::Error::NotFound { entity: "team" })));
}

#[test]
fn series_by_week_partitions_the_window() {
    let view = organisation().view();
    let info =
        ScopeInfo { client: "acme".into(), project: None, repo: None, team: None, from: at(2, 0, 0), to: at(16, 0, 0) };
    let report = dora::report(&view, &Scope::default(), info, window(2, 16), Benchmark::Dora2023, Some(Period::Week));
    let series = report.series.as_ref().unwrap();
    assert_eq!(series.len(), 2);
    let per_week: Vec<u64> = series.iter().map(|p| p.metrics.deployment_frequency.deployments).collect();
    assert_eq!(per_week, [1, 1]);
    assert_eq!(report.deployment_sources, vec![DeploymentSource::GithubDeployment]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["scope"]["from"], "2026-03-02T00:00:00Z");
    assert_eq!(json["benchmark"], "dora-2023");
    assert_eq!(json["deployment_sources"], serde_json::json!(["github_deployment"]));
    assert_eq!(json["deployment_frequency"]["band"], "high");
    assert!(json.get("series").is_some() && json["interval"] == "week");
}

#[test]
fn pull_request_flow() {
    let view = organisation().view();
    let info =
        ScopeInfo { client: "acme".into(), project: None, repo: None, team: None, from: at(1, 0, 0), to: at(9, 12, 0) };
    let w = Window::new(at(1, 0, 0), at(9, 12, 0)).unwrap();
    let report = flow::report(&view, &Scope::default(), info, w);
    assert_eq!(report.throughput, 3, "PRs 1, 2 and 5");
    // Sizes: 11, 22, 55 lines.
    assert!(close(report.size.median_lines, 22.0));
    assert!(close(report.size.p90_lines, 48.4), "22 + (55 − 22) × 0.8");
    assert_eq!(report.coding.prs, 2);
    assert!(close(report.pickup.median_hours, 1.25));
    // Reviews: PR 1 one (bob), PR 2 two (carol twice), PR 5 none.
    assert_eq!((report.reviews.total, report.reviews.reviewed_prs), (3, 2));
    assert!(close(report.reviews.first_time_approval_share, 0.5));
    // Open at Mar 9 12:00: PR 6, opened Mar 9 00:00.
    assert_eq!(report.work_in_progress.open, 1);
    assert!(close(report.work_in_progress.median_age_hours, 12.0));
}

#[test]
fn jira_flow() {
    let mut org = organisation();
    let key = |k: &str| IssueKey::parse(k).unwrap();
    let issue = |k: &str, kind: &str, created: Timestamp, resolved: Option<Timestamp>| JiraIssue {
        key: key(k),
        project: key(k).project(),
        issue_type: kind.into(),
        status: "Done".into(),
        status_category: Some(StatusCategory::Done),
        created_at: created,
        resolved_at: resolved,
        story_points: None,
        source: RecordSource::Jira,
    };
    let step = |k: &str, id: &str, at: Timestamp, from: &str, to: &str, fc: StatusCategory, tc: StatusCategory| {
        JiraTransition {
            issue: key(k),
            id: id.into(),
            at,
            from_status: Some(from.into()),
            to_status: to.into(),
            from_category: Some(fc),
            to_category: Some(tc),
            source: RecordSource::Jira,
        }
    };
    use StatusCategory::*;
    // CHK-1: created Mar 2 00:00, To Do 10 h, In Progress 4 h, Blocked (To Do) 2 h,
    // In Progress 4 h, Done at Mar 2 20:00. Cycle 10 h, active 8 h, lead 20 h.
    org.jira_issues.push(issue("CHK-1", "Story", at(2, 0, 0), Some(at(2, 20, 0))));
    org.jira_transitions.extend([
        step("CHK-1", "1", at(2, 10, 0), "To Do", "In Progress", ToDo, InProgress),
        step("CHK-1", "2", at(2, 14, 0), "In Progress", "Blocked", InProgress, ToDo),
        step("CHK-1", "3", at(2, 16, 0), "Blocked", "In Progress", ToDo, InProgress),
        step("CHK-1", "4", at(2, 20, 0), "In Progress", "Done", InProgress, Done),
    ]);
    // CHK-2: a bug, created Mar 3, straight to Done 30 h later without In Progress.
    org.jira_issues.push(issue("CHK-2", "Bug", at(3, 0, 0), Some(at(4, 6, 0))));
    org.jira_transitions.push(step("CHK-2", "5", at(4, 6, 0), "To Do", "Done", ToDo, Done));
    // CHK-3: still open.
    org.jira_issues.push(issue("CHK-3", "Story", at(3, 0, 0), None));
    org.projects[0].jira_projects = vec![crate::ids::JiraProjectKey::parse("CHK").unwrap()];

    let view = org.view();
    let info =
        ScopeInfo { client: "acme".into(), project: None, repo: None, team: None, from: at(1, 0, 0), to: at(9, 0, 0) };
    let scope =
        Scope::resolve(&ScopeFilter { project: Some("checkout".into()), ..Default::default() }, &org.projects).unwrap();
    let report = jira_flow::report(&view, &scope, info, window(1, 9));
    assert_eq!(report.resolved, 2);
    assert_eq!(report.cycle_time.issues, 1);
    assert!(close(report.cycle_time.median_hours, 10.0));
    assert!(close(report.lead_time.median_hours, 25.0), "20 h and 30 h");
    assert!(close(report.flow_efficiency, 0.8));
    assert!(close(report.bug_share, 0.5));
    assert_eq!(report.throughput_by_type, BTreeMap::from([("Bug".to_string(), 1), ("Story".to_string(), 1)]));
    let todo = &report.time_in_status["To Do"];
    assert_eq!(todo.issues, 2);
    assert!(close(Some(todo.total_hours), 40.0), "10 h + 30 h");
    assert!(close(Some(report.time_in_status["Blocked"].total_hours), 2.0));
    assert!(close(Some(report.time_in_status["In Progress"].total_hours), 8.0));
}

/// The server caches reports as JSON and its gRPC adapter reads them back into typed
/// values, so every report must survive the trip unchanged (flattened metrics, omitted
/// empty lists and absent options included).
#[test]
fn reports_read_back_what_they_write() {
    fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(report: &T) {
        let json = serde_json::to_vec(report).unwrap();
        let back: T = serde_json::from_slice(&json).unwrap();
        assert_eq!(&back, report, "{}", String::from_utf8_lossy(&json));
    }
    let mut org = organisation();
    let key = |k: &str| IssueKey::parse(k).unwrap();
    org.jira_issues.push(JiraIssue {
        key: key("CHK-1"),
        project: key("CHK-1").project(),
        issue_type: "Bug".into(),
        status: "Done".into(),
        status_category: Some(StatusCategory::Done),
        created_at: at(2, 0, 0),
        resolved_at: Some(at(2, 20, 0)),
        story_points: None,
        source: RecordSource::Jira,
    });
    org.jira_transitions.push(JiraTransition {
        issue: key("CHK-1"),
        id: "1".into(),
        at: at(2, 10, 0),
        from_status: Some("To Do".into()),
        to_status: "In Progress".into(),
        from_category: Some(StatusCategory::ToDo),
        to_category: Some(StatusCategory::InProgress),
        source: RecordSource::Jira,
    });
    let view = org.view();
    let info = |project: Option<&str>| ScopeInfo {
        client: "acme".into(),
        project: project.map(Into::into),
        repo: None,
        team: None,
        from: at(1, 0, 0),
        to: at(16, 0, 0),
    };
    let w = window(1, 16);
    let scope = Scope::default();
    for (benchmark, interval) in [(Benchmark::Dora2023, Some(Period::Week)), (Benchmark::Dora2021, None)] {
        let report = dora::report(&view, &scope, info(None), w, benchmark, interval);
        assert_eq!(report.series.is_some(), interval.is_some());
        round_trip(&report);
    }
    for metric in super::explain::DoraMetric::ALL {
        round_trip(&super::explain::explain(&view, &scope, info(None), w, Benchmark::Dora2023, metric));
    }
    let deployments = super::explain::explain(
        &view,
        &scope,
        info(None),
        w,
        Benchmark::Dora2023,
        super::explain::DoraMetric::DeploymentFrequency,
    );
    assert!(deployments.deployments.iter().any(|d| !d.deployment.rework.is_empty()), "rework reasons are covered");
    let prs = flow::report(&view, &scope, info(None), w);
    assert!(prs.throughput > 0);
    round_trip(&prs);
    let jira = jira_flow::report(&view, &scope, info(Some("checkout")), w);
    assert_eq!(jira.resolved, 1);
    round_trip(&jira);
    // An empty window: every optional number is absent.
    let empty = Window::new(at(20, 0, 0), at(21, 0, 0)).unwrap();
    round_trip(&dora::report(&view, &scope, info(None), empty, Benchmark::Dora2023, None));
}
