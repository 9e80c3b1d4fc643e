//! Small hand-made records for storage tests.

use chrono::{TimeZone, Utc};
use pulse_core::ids::{IssueKey, JiraProjectKey, RepoName, Sha};
use pulse_core::model::*;

pub fn t(day: u32, hour: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

pub fn repo_name(name: &str) -> RepoName {
    RepoName::parse(name).unwrap()
}

pub fn sha(s: &str) -> Sha {
    Sha::parse(s).unwrap()
}

pub fn repository(name: &str) -> Repository {
    Repository { name: repo_name(name), default_branch: "main".into(), source: RecordSource::Github }
}

pub fn commit(repo: &str, id: &str, parents: &[&str], day: u32) -> Commit {
    Commit {
        repo: repo_name(repo),
        sha: sha(id),
        parents: parents.iter().map(|p| sha(p)).collect(),
        authored_at: t(day, 9),
        committed_at: Some(t(day, 10)),
        author: Some("ada".into()),
        message: Some(format!("commit {id}\n\nwith\ttabs and \\ backslashes")),
        source: RecordSource::Github,
    }
}

pub fn pull_request(repo: &str, number: i64, merge: Option<&str>) -> PullRequest {
    PullRequest {
        repo: repo_name(repo),
        number,
        author: "ada".into(),
        created_at: t(2, 9),
        merged_at: merge.map(|_| t(3, 12)),
        closed_at: merge.map(|_| t(3, 12)),
        merge_commit_sha: merge.map(sha),
        title: Some(format!("CHK-{number}: change \"{number}\"")),
        base: Some("main".into()),
        head: Some(format!("feature/{number}")),
        additions: Some(10),
        deletions: Some(2),
        draft: false,
        labels: vec!["hotfix".into(), "with,comma".into(), "with\"quote".into()],
        is_revert: false,
        source: RecordSource::Github,
    }
}

pub fn review(repo: &str, pr: i64, id: &str, author: &str) -> Review {
    Review {
        repo: repo_name(repo),
        pr,
        id: id.into(),
        author: author.into(),
        submitted_at: t(2, 15),
        state: Some(ReviewState::Approved),
        kind: ReviewKind::Review,
        source: RecordSource::Github,
    }
}

pub fn deployment(repo: &str, id: &str, sha_: &str, day: u32) -> Deployment {
    Deployment {
        repo: repo_name(repo),
        id: id.into(),
        sha: sha(sha_),
        environment: "production".into(),
        result: DeploymentResult::Success,
        started_at: None,
        finished_at: t(day, 18),
        source: DeploymentSource::GithubDeployment,
    }
}

pub fn incident(id: &str, repo: Option<&str>) -> Incident {
    Incident {
        id: id.into(),
        created_at: t(5, 1),
        resolved_at: Some(t(5, 4)),
        title: Some("checkout down".into()),
        repo: repo.map(repo_name),
        project: None,
        deployment_id: Some("d1".into()),
        sha: None,
        pr: Some(1),
        severity: Some("sev1".into()),
        source: RecordSource::Import,
    }
}

pub fn jira_issue(key: &str) -> JiraIssue {
    let key = IssueKey::parse(key).unwrap();
    JiraIssue {
        project: key.project(),
        key,
        issue_type: "Story".into(),
        status: "Done".into(),
        status_category: Some(StatusCategory::Done),
        created_at: t(1, 9),
        resolved_at: Some(t(6, 9)),
        story_points: Some(2.5),
        source: RecordSource::Jira,
    }
}

pub fn transition(key: &str, id: &str, to: &str) -> JiraTransition {
    JiraTransition {
        issue: IssueKey::parse(key).unwrap(),
        id: id.into(),
        at: t(3, 9),
        from_status: Some("To Do".into()),
        to_status: to.into(),
        from_category: Some(StatusCategory::ToDo),
        to_category: Some(StatusCategory::InProgress),
        source: RecordSource::Jira,
    }
}

pub fn jira_project(key: &str) -> JiraProject {
    JiraProject { key: JiraProjectKey::parse(key).unwrap(), name: Some("Checkout".into()), source: RecordSource::Jira }
}
