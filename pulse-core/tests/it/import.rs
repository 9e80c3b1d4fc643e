//! The import format end to end: good directories land completely, bad ones are
//! rejected with file, line and field, and leave the database exactly as it was.

use std::path::Path;

use pulse_core::ids::{IssueKey, ProjectName};
use pulse_core::import::{ImportError, ImportProblem};
use pulse_core::model::*;
use pulse_core::{ClientStore, Error};

use crate::sample::*;
use crate::support::{TestDb, on_both_backends};

on_both_backends!(
    a_directory_lands_completely_and_idempotently,
    bad_files_are_rejected_and_write_nothing,
    references_resolve_against_earlier_imports,
    a_generated_organisation_round_trips,
);

const PROJECT: &str = r#"{"name": "checkout", "repos": ["acme/api"], "jira_projects": ["CHK"],
  "production_pattern": "^prod$", "bots": ["deploy-bot"], "teams": {"payments": ["ada", "grace"]},
  "some_future_field": true}"#;

const REPOSITORIES: &str = r#"{"name": "acme/api"}
{"name": "acme/web", "default_branch": "trunk", "unknown": 1}
"#;

const COMMITS: &str = r#"{"repo": "acme/api", "sha": "a1", "parents": [], "authored_at": "2026-03-01T09:00:00Z"}
{"repo": "acme/api", "sha": "a2", "parents": ["a1"], "authored_at": "2026-03-02T09:00:00+02:00", "committed_at": "2026-03-02T08:00:00Z", "author": "ada", "message": "feat: thing"}

{"repo": "acme/web", "sha": "b1", "parents": [], "authored_at": "2026-03-01T10:00:00Z"}
"#;

const PULL_REQUESTS: &str = r#"{"repo": "acme/api", "number": 1, "author": "ada", "created_at": "2026-03-01T12:00:00Z", "merged_at": "2026-03-02T12:00:00Z", "merge_commit_sha": "a2", "title": "CHK-1: thing", "labels": ["hotfix"], "commits": ["a1", "a2"], "additions": 5, "deletions": 1}
{"repo": "acme/web", "number": 7, "author": "grace", "created_at": "2026-03-03T12:00:00Z", "draft": true}
"#;

const REVIEWS: &str = r#"{"repo": "acme/api", "pr": 1, "id": 501, "author": "grace", "submitted_at": "2026-03-01T13:00:00Z", "state": "APPROVED"}
{"repo": "acme/api", "pr": 1, "id": "c-1", "author": "codecov[bot]", "submitted_at": "2026-03-01T12:05:00Z", "kind": "comment"}
"#;

const DEPLOYMENTS: &str = r#"{"repo": "acme/api", "id": "d1", "sha": "a2", "environment": "prod", "result": "SUCCESS", "finished_at": "2026-03-03T12:00:00Z", "started_at": "2026-03-03T11:50:00Z"}
{"repo": "acme/api", "id": 2, "sha": "a2", "environment": "staging", "result": "FAILURE", "finished_at": "2026-03-03T13:00:00Z"}
"#;

const INCIDENTS: &str = r#"{"id": "INC-1", "created_at": "2026-03-04T00:00:00Z", "resolved_at": "2026-03-04T03:00:00Z", "repo": "acme/api", "deployment_id": "d1"}
{"id": "INC-2", "created_at": "2026-03-05T00:00:00Z", "title": "whole checkout down", "severity": "sev1"}
"#;

const ISSUES: &str = r#"{"key": "CHK-1", "project": "CHK", "type": "Story", "status": "Done", "status_category": "Done", "created_at": "2026-02-27T09:00:00Z", "resolved_at": "2026-03-03T09:00:00Z", "story_points": 3, "transitions": [{"at": "2026-02-28T09:00:00Z", "from": "To Do", "to": "In Progress", "from_category": "To Do", "to_category": "In Progress"}, {"at": "2026-03-03T09:00:00Z", "from": "In Progress", "to": "Done", "to_category": "done"}], "pr_links": [{"repo": "acme/api", "number": 1}]}
{"key": "CHK-2", "project": "CHK", "type": "Bug", "status": "To Do", "created_at": "2026-03-01T09:00:00Z"}
"#;

const FILES: [(&str, &str); 8] = [
    ("project.json", PROJECT),
    ("repositories.jsonl", REPOSITORIES),
    ("commits.jsonl", COMMITS),
    ("pull_requests.jsonl", PULL_REQUESTS),
    ("reviews.jsonl", REVIEWS),
    ("deployments.jsonl", DEPLOYMENTS),
    ("incidents.jsonl", INCIDENTS),
    ("issues.jsonl", ISSUES),
];

fn write_dir(files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    dir
}

fn good_files() -> Vec<(&'static str, Vec<u8>)> {
    FILES.iter().map(|(n, c)| (*n, c.as_bytes().to_vec())).collect()
}

async fn import(client: &ClientStore, dir: &Path) -> Result<pulse_core::import::ImportSummary, Error> {
    client.import().dir(dir)?.execute().await
}

/// Row counts of every imported table, to prove a failed import changed nothing.
async fn snapshot(client: &ClientStore) -> Vec<(String, u64, String)> {
    vec![
        (
            "repositories".into(),
            client.count::<Repository>().await.unwrap(),
            format!("{:?}", client.list::<Repository>().await.unwrap()),
        ),
        (
            "commits".into(),
            client.count::<Commit>().await.unwrap(),
            format!("{:?}", client.list::<Commit>().await.unwrap()),
        ),
        (
            "prs".into(),
            client.count::<PullRequest>().await.unwrap(),
            format!("{:?}", client.list::<PullRequest>().await.unwrap()),
        ),
        ("pr commits".into(), client.count::<PullRequestCommit>().await.unwrap(), String::new()),
        (
            "reviews".into(),
            client.count::<Review>().await.unwrap(),
            format!("{:?}", client.list::<Review>().await.unwrap()),
        ),
        (
            "deployments".into(),
            client.count::<Deployment>().await.unwrap(),
            format!("{:?}", client.list::<Deployment>().await.unwrap()),
        ),
        (
            "incidents".into(),
            client.count::<Incident>().await.unwrap(),
            format!("{:?}", client.list::<Incident>().await.unwrap()),
        ),
        (
            "issues".into(),
            client.count::<JiraIssue>().await.unwrap(),
            format!("{:?}", client.list::<JiraIssue>().await.unwrap()),
        ),
        ("changelogs".into(), client.count::<JiraTransition>().await.unwrap(), String::new()),
        ("links".into(), client.count::<IssuePrLink>().await.unwrap(), String::new()),
        ("jira projects".into(), client.count::<JiraProject>().await.unwrap(), String::new()),
        (
            "projects".into(),
            client.projects().await.unwrap().len() as u64,
            format!("{:?}", client.projects().await.unwrap()),
        ),
    ]
}

async fn a_directory_lands_completely_and_idempotently(db: TestDb) {
    let acme = db.client("acme").await;
    let dir = write_dir(&good_files());
    let mut summary = import(&acme, dir.path()).await.unwrap();
    let expected = [
        ("commits", 3),
        ("deployments", 2),
        ("incidents", 2),
        ("jira_changelogs", 2),
        ("jira_issue_pr_links", 1),
        ("jira_issues", 2),
        ("jira_projects", 1),
        ("projects", 1),
        ("pull_request_commits", 2),
        ("pull_requests", 2),
        ("repositories", 2),
        ("reviews", 2),
    ];
    assert_eq!(summary.counts.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(), expected);

    let a2 = acme.get::<Commit>(&(repo_name("acme/api"), sha("a2"))).await.unwrap().unwrap();
    assert_eq!(a2.authored_at, t(2, 7), "offsets are converted to UTC");
    assert_eq!(a2.parents, vec![sha("a1")]);
    assert_eq!(a2.source, RecordSource::Import);
    let web = acme.get::<Repository>(&repo_name("acme/web")).await.unwrap().unwrap();
    assert_eq!(web.default_branch, "trunk");
    let pr = acme.get::<PullRequest>(&(repo_name("acme/web"), 7)).await.unwrap().unwrap();
    assert!(pr.draft && pr.merged_at.is_none() && pr.labels.is_empty());
    let reviews = acme.list::<Review>().await.unwrap();
    assert_eq!(
        reviews.iter().map(|r| (r.id.as_str(), r.kind)).collect::<Vec<_>>(),
        [("501", ReviewKind::Review), ("c-1", ReviewKind::Comment)]
    );
    let deployments = acme.list::<Deployment>().await.unwrap();
    assert_eq!(deployments[1].id, "d1");
    assert_eq!(deployments[0].result, DeploymentResult::Failure);
    assert_eq!(deployments[1].source, DeploymentSource::Import);
    let issue = acme.get::<JiraIssue>(&IssueKey::parse("CHK-1").unwrap()).await.unwrap().unwrap();
    assert_eq!(issue.story_points, Some(3.0));
    let transitions = acme.list::<JiraTransition>().await.unwrap();
    assert_eq!(transitions[1].to_category, Some(StatusCategory::Done));

    // project.json claims everything in the directory.
    let project = acme.project(&ProjectName::parse("checkout").unwrap()).await.unwrap().unwrap();
    assert_eq!(project.repos, vec![repo_name("acme/api"), repo_name("acme/web")]);
    assert_eq!(project.rules.production_pattern.as_str(), "^prod$");
    assert_eq!(project.rules.incident_types, vec!["Incident".to_string()], "defaults fill the gaps");
    let incidents = acme.list::<Incident>().await.unwrap();
    assert_eq!(incidents[0].project, None, "an incident with a repo belongs to it");
    assert_eq!(incidents[1].project.as_ref().map(|p| p.as_str()), Some("checkout"));

    let before = snapshot(&acme).await;
    let mut again = import(&acme, dir.path()).await.unwrap();
    assert_eq!(again.counts.remove("jira_projects"), Some(0), "missing Jira projects only are created");
    summary.counts.remove("jira_projects");
    assert_eq!(again.counts, summary.counts);
    assert_eq!(snapshot(&acme).await, before, "importing the same files twice changes nothing");
}

/// Replaces line `line` (1-based) of `file` in the good set.
fn with_line(file: &str, line: usize, content: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    good_files()
        .into_iter()
        .map(|(name, text)| {
            if name != file {
                return (name, text);
            }
            let mut lines: Vec<Vec<u8>> = text.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            lines[line - 1] = content.to_vec();
            (name, lines.join(&b'\n'))
        })
        .collect()
}

fn expect_error(result: Result<pulse_core::import::ImportSummary, Error>) -> ImportError {
    match result {
        Err(Error::Import(e)) => e,
        other => panic!("expected an import error, got {other:?}"),
    }
}

async fn bad_files_are_rejected_and_write_nothing(db: TestDb) {
    let acme = db.client("acme").await;
    // A first, good import: a failed one must not disturb it either.
    let mut first = good_files();
    first.retain(|(n, _)| *n == "repositories.jsonl" || *n == "commits.jsonl");
    import(&acme, write_dir(&first).path()).await.unwrap();
    let before = snapshot(&acme).await;

    struct Case {
        name: &'static str,
        files: Vec<(&'static str, Vec<u8>)>,
        file: &'static str,
        line: Option<u64>,
        field: Option<&'static str>,
        problem: fn(&ImportProblem) -> bool,
        message: &'static str,
    }
    let cases = [
        Case {
            name: "missing field",
            files: with_line("commits.jsonl", 2, br#"{"repo": "acme/api", "sha": "a2", "parents": ["a1"]}"#),
            file: "commits.jsonl",
            line: Some(2),
            field: Some("authored_at"),
            problem: |p| matches!(p, ImportProblem::MissingField),
            message: "commits.jsonl:2: field `authored_at`: required field is missing",
        },
        Case {
            name: "bad timestamp",
            files: with_line(
                "deployments.jsonl",
                1,
                br#"{"repo": "acme/api", "id": "d1", "sha": "a2", "environment": "prod", "result": "SUCCESS", "finished_at": "2026-13-03 12:00"}"#,
            ),
            file: "deployments.jsonl",
            line: Some(1),
            field: Some("finished_at"),
            problem: |p| matches!(p, ImportProblem::BadTimestamp { value } if value == "2026-13-03 12:00"),
            message: "deployments.jsonl:1: field `finished_at`: not an RFC 3339 timestamp: \"2026-13-03 12:00\"",
        },
        Case {
            name: "dangling PR reference",
            files: with_line(
                "reviews.jsonl",
                2,
                br#"{"repo": "acme/api", "pr": 99, "id": 1, "author": "grace", "submitted_at": "2026-03-01T13:00:00Z"}"#,
            ),
            file: "reviews.jsonl",
            line: Some(2),
            field: Some("pr"),
            problem: |p| matches!(p, ImportProblem::DanglingReference { target } if target == "pull request acme/api#99"),
            message: "reviews.jsonl:2: field `pr`: refers to pull request acme/api#99, which is neither in this import nor in the database",
        },
        Case {
            name: "dangling repository",
            files: with_line(
                "commits.jsonl",
                4,
                br#"{"repo": "acme/nope", "sha": "b1", "parents": [], "authored_at": "2026-03-01T10:00:00Z"}"#,
            ),
            file: "commits.jsonl",
            line: Some(4),
            field: Some("repo"),
            problem: |p| matches!(p, ImportProblem::DanglingReference { .. }),
            message: "commits.jsonl:4: field `repo`: refers to repository acme/nope, which is neither in this import nor in the database",
        },
        Case {
            name: "invalid UTF-8",
            files: with_line(
                "pull_requests.jsonl",
                2,
                b"{\"repo\": \"acme/web\", \"number\": 7, \"author\": \"gr\xffce\", \"created_at\": \"2026-03-03T12:00:00Z\"}",
            ),
            file: "pull_requests.jsonl",
            line: Some(2),
            field: None,
            problem: |p| matches!(p, ImportProblem::InvalidUtf8 { byte: 47 }),
            message: "pull_requests.jsonl:2: not valid UTF-8 (bad byte at offset 47)",
        },
        Case {
            name: "truncated line",
            // The file ends in the middle of its last line, as a cut-off upload would.
            files: good_files()
                .into_iter()
                .map(|(n, c)| if n == "issues.jsonl" { (n, c[..c.len() - 40].to_vec()) } else { (n, c) })
                .collect(),
            file: "issues.jsonl",
            line: Some(2),
            field: None,
            problem: |p| matches!(p, ImportProblem::InvalidJson { .. }),
            message: "issues.jsonl:2: not valid JSON: EOF while parsing an object (column 67)",
        },
        Case {
            name: "nested field",
            files: with_line(
                "issues.jsonl",
                2,
                br#"{"key": "CHK-2", "project": "CHK", "type": "Bug", "status": "To Do", "created_at": "2026-03-01T09:00:00Z", "transitions": [{"at": "2026-03-02T09:00:00Z", "to": "Doing"}, {"at": "yesterday", "to": "Done"}]}"#,
            ),
            file: "issues.jsonl",
            line: Some(2),
            field: Some("transitions[1].at"),
            problem: |p| matches!(p, ImportProblem::BadTimestamp { .. }),
            message: "issues.jsonl:2: field `transitions[1].at`: not an RFC 3339 timestamp: \"yesterday\"",
        },
        Case {
            name: "wrong type",
            files: with_line(
                "pull_requests.jsonl",
                2,
                br#"{"repo": "acme/web", "number": "seven", "author": "grace", "created_at": "2026-03-03T12:00:00Z"}"#,
            ),
            file: "pull_requests.jsonl",
            line: Some(2),
            field: Some("number"),
            problem: |p| matches!(p, ImportProblem::WrongType { .. }),
            message: "pull_requests.jsonl:2: field `number`: expected an integer, found a string",
        },
        Case {
            name: "bad enum value",
            files: with_line(
                "deployments.jsonl",
                2,
                br#"{"repo": "acme/api", "id": 2, "sha": "a2", "environment": "staging", "result": "CANCELLED", "finished_at": "2026-03-03T13:00:00Z"}"#,
            ),
            file: "deployments.jsonl",
            line: Some(2),
            field: Some("result"),
            problem: |p| matches!(p, ImportProblem::BadValue { .. }),
            message: "deployments.jsonl:2: field `result`: invalid deployment result: \"CANCELLED\" is not one of SUCCESS, FAILURE",
        },
        Case {
            name: "project.json not an object",
            files: good_files().into_iter().map(|(n, c)| if n == "project.json" { (n, b"[1, 2]".to_vec()) } else { (n, c) }).collect(),
            file: "project.json",
            line: None,
            field: None,
            problem: |p| matches!(p, ImportProblem::NotAnObject),
            message: "project.json: not a JSON object",
        },
    ];

    for case in cases {
        let dir = write_dir(&case.files);
        let err = expect_error(import(&acme, dir.path()).await);
        assert_eq!(err.file, case.file, "{}", case.name);
        assert_eq!(err.line, case.line, "{}", case.name);
        assert_eq!(err.field.as_deref(), case.field, "{}", case.name);
        assert!((case.problem)(&err.problem), "{}: {:?}", case.name, err.problem);
        assert_eq!(err.to_string(), case.message, "{}", case.name);
        assert_eq!(snapshot(&acme).await, before, "{}: the database changed", case.name);
    }

    let empty = tempfile::tempdir().unwrap();
    let err = expect_error(import(&acme, empty.path()).await);
    assert_eq!(err.problem, ImportProblem::NoImportFiles);
    let err = expect_error(import(&acme, &empty.path().join("missing")).await);
    assert!(matches!(err.problem, ImportProblem::Unreadable { .. }), "{err}");
}

async fn references_resolve_against_earlier_imports(db: TestDb) {
    let acme = db.client("acme").await;
    let step = |names: &[&str]| {
        let mut files = good_files();
        files.retain(|(n, _)| names.contains(n));
        write_dir(&files)
    };
    import(&acme, step(&["repositories.jsonl"]).path()).await.unwrap();
    import(&acme, step(&["commits.jsonl", "pull_requests.jsonl"]).path()).await.unwrap();
    import(&acme, step(&["reviews.jsonl", "issues.jsonl", "deployments.jsonl"]).path()).await.unwrap();
    assert_eq!(acme.count::<Review>().await.unwrap(), 2);
    assert_eq!(acme.count::<IssuePrLink>().await.unwrap(), 1);
    assert!(acme.projects().await.unwrap().is_empty(), "no project.json, no project");

    // Another client's repositories do not count.
    let beta = db.client("beta").await;
    let err = expect_error(import(&beta, step(&["commits.jsonl"]).path()).await);
    assert!(matches!(err.problem, ImportProblem::DanglingReference { .. }), "{err}");
    assert_eq!(beta.count::<Commit>().await.unwrap(), 0);
}

async fn rows<R: pulse_core::store::Stored>(client: &ClientStore) -> Vec<R> {
    client.list::<R>().await.unwrap()
}

/// generate → write files → import stores exactly the rows `Org::load` stores, and the
/// import reports the generator's counts per entity.
async fn a_generated_organisation_round_trips(db: TestDb) {
    let org = pulse_core::generate::Generator::new(pulse_core::generate::Scale::Small).generate();
    let dir = tempfile::tempdir().unwrap();
    org.write_dir(dir.path()).unwrap();
    let imported = db.client("imported").await;
    let loaded = db.client("loaded").await;

    let summary = import(&imported, dir.path()).await.unwrap();
    assert_eq!(summary.counts, org.counts());
    org.load(&loaded).await.unwrap();
    org.load(&loaded).await.unwrap();

    macro_rules! same {
        ($ty:ty, $field:ident) => {{
            let a = rows::<$ty>(&imported).await;
            let b = rows::<$ty>(&loaded).await;
            assert_eq!(a.len(), org.$field.len(), stringify!($ty));
            assert!(a == b, "{} rows differ between import and load", stringify!($ty));
        }};
    }
    same!(Repository, repositories);
    same!(Commit, commits);
    same!(PullRequest, pull_requests);
    same!(PullRequestCommit, pull_request_commits);
    same!(Review, reviews);
    same!(Deployment, deployments);
    same!(Incident, incidents);
    same!(JiraProject, jira_projects);
    same!(JiraIssue, jira_issues);
    same!(JiraTransition, jira_transitions);
    same!(IssuePrLink, issue_links);

    // And the rows are the generated records themselves.
    let mut commits = org.commits.clone();
    commits.sort_by(|a, b| (&a.repo, &a.sha).cmp(&(&b.repo, &b.sha)));
    assert!(rows::<Commit>(&loaded).await == commits);
    let mut incidents = org.incidents.clone();
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    assert!(rows::<Incident>(&imported).await == incidents);
    assert_eq!(imported.project(&org.project.name).await.unwrap().unwrap(), org.project);
    assert_eq!(loaded.project(&org.project.name).await.unwrap().unwrap(), org.project);
}
