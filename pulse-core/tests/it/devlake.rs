//! Apache DevLake's DORA fixtures (`tests/fixtures/devlake/`, see its PROVENANCE.md):
//! load DevLake's input tables, run Pulse's derivation, and compare with DevLake's
//! expected tables row by row on the columns DevLake's own tests compare.
//!
//! DevLake keys deployments by (CI scope, repository URL, environment); Pulse by
//! (repository, environment), where the repository is the one whose pipeline deployed.
//! Each test maps DevLake's scope and URL to one Pulse repository name, which keeps the
//! two keys one-to-one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, Utc};
use pulse_core::ci::{self, Pipeline, PipelineCommit, Task};
use pulse_core::ids::{ProjectName, RepoName, Sha};
use pulse_core::metrics::graph::CommitGraph;
use pulse_core::metrics::{DeriveInput, DiffMemo, derive};
use pulse_core::model::*;

type Row = HashMap<String, String>;

fn fixture(path: &str) -> Vec<Row> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/devlake/dora_e2e").join(path);
    let mut reader = csv::Reader::from_path(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect())
        .collect()
}

/// DevLake's timestamps: RFC 3339, or MySQL's loose `2023-4-11 4:51:47` (UTC). Empty is NULL.
fn ts(text: &str) -> Option<Timestamp> {
    if text.is_empty() {
        return None;
    }
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").map(|t| t.and_utc()));
    Some(parsed.unwrap_or_else(|e| panic!("timestamp {text:?}: {e}")))
}

fn opt(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

fn repo(owner: &str, name: &str) -> RepoName {
    RepoName::parse(&format!("{}/{}", owner.replace(':', "-"), name.replace(':', "-"))).unwrap()
}

fn sha(text: &str) -> Sha {
    Sha::parse(text).unwrap()
}

/// DevLake rounds every span up to whole minutes.
fn ceil_minutes(seconds: Option<i64>) -> Option<i64> {
    seconds.map(|s| (s + 59).div_euclid(60))
}

fn result(text: &str) -> DeploymentResult {
    DeploymentResult::parse(text).unwrap()
}

/// A DevLake `cicd_deployment_commits` row as a Pulse deployment of repository
/// `<scope>/<repo_url>`, keeping DevLake's row id as the deployment id.
fn deployment(row: &Row) -> Deployment {
    Deployment {
        repo: repo(&row["cicd_scope_id"], &row["repo_url"]),
        id: row["id"].clone(),
        sha: sha(&row["commit_sha"]),
        environment: row["environment"].clone(),
        result: result(&row["result"]),
        started_at: ts(&row["started_date"]),
        finished_at: ts(&row["finished_date"]).expect("finished deployments only"),
        source: DeploymentSource::Import,
    }
}

/// TEST 1 (`deployment_commits_generator_test.go`): which pipelines are deployments, with
/// which environment, result and times.
#[test]
fn deployment_commit_generation() {
    let project_scopes: BTreeSet<String> = fixture("deployment_generator/project_mapping.csv")
        .into_iter()
        .filter(|r| r["project_name"] == "project1" && r["table"] == "cicd_scopes")
        .map(|r| r["row_id"].clone())
        .collect();
    let pipeline_rows: Vec<Row> = fixture("deployment_generator/cicd_pipelines.csv")
        .into_iter()
        .filter(|r| project_scopes.contains(&r["cicd_scope_id"]))
        .collect();
    let scope_of: HashMap<String, String> =
        pipeline_rows.iter().map(|r| (r["id"].clone(), r["cicd_scope_id"].clone())).collect();
    let pipelines: Vec<Pipeline> = pipeline_rows
        .iter()
        .map(|r| Pipeline {
            id: r["id"].clone(),
            result: r["result"].clone(),
            kind: opt(&r["type"]).map(String::from),
            environment: opt(&r["environment"]).map(String::from),
            started_at: None,
            finished_at: ts(&r["finished_date"]),
            duration_seconds: opt(&r["duration_sec"]).map(|d| d.parse().unwrap()),
        })
        .collect();
    let tasks: Vec<Task> = fixture("deployment_generator/cicd_tasks.csv")
        .iter()
        .map(|r| Task {
            pipeline_id: r["pipeline_id"].clone(),
            result: r["result"].clone(),
            kind: opt(&r["type"]).map(String::from),
            environment: opt(&r["environment"]).map(String::from),
        })
        .collect();
    let commits: Vec<PipelineCommit> = fixture("deployment_generator/cicd_pipeline_commits.csv")
        .iter()
        .map(|r| PipelineCommit {
            pipeline_id: r["pipeline_id"].clone(),
            sha: sha(&r["commit_sha"]),
            repo_url: r["repo_url"].clone(),
        })
        .collect();

    let ours: BTreeMap<String, Vec<String>> = ci::deployment_commits(&pipelines, &tasks, &commits)
        .into_iter()
        .map(|d| {
            let row = vec![
                scope_of[&d.pipeline_id].clone(),
                d.pipeline_id.clone(),
                d.result.as_str().to_owned(),
                d.repo_url.clone(),
                d.environment.clone(),
                format!("{:?}", d.started_at),
                format!("{:?}", d.finished_at),
                d.sha.to_string(),
            ];
            (d.id, row)
        })
        .collect();
    let expected: BTreeMap<String, Vec<String>> = fixture("deployment_generator/cicd_deployment_commits.csv")
        .into_iter()
        .map(|r| {
            let row = vec![
                r["cicd_scope_id"].clone(),
                r["cicd_deployment_id"].clone(),
                r["result"].clone(),
                r["repo_url"].clone(),
                r["environment"].clone(),
                format!("{:?}", ts(&r["started_date"])),
                format!("{:?}", ts(&r["finished_date"])),
                r["commit_sha"].clone(),
            ];
            (r["id"].clone(), row)
        })
        .collect();
    assert_eq!(ours.len(), expected.len(), "row count");
    assert_eq!(ours, expected);
}

/// TEST 2 (`prev_deployment_commit_enricher_test.go`): the previous successful
/// deployment of the same repository and environment.
#[test]
fn previous_successful_deployment() {
    let rows = fixture("prev_success_deployment_commit/cicd_deployment_commits_before.csv");
    let deployments: Vec<Deployment> = rows.iter().map(deployment).collect();
    let facts = derive(&DeriveInput { deployments: &deployments, ..Default::default() }, &mut DiffMemo::default());

    let ours: BTreeMap<String, (String, String)> = facts
        .deployments
        .iter()
        .map(|d| (d.id.clone(), (d.result.as_str().to_owned(), d.previous.clone().unwrap_or_default())))
        .collect();
    let expected: BTreeMap<String, (String, String)> =
        fixture("prev_success_deployment_commit/cicd_deployment_commits_after.csv")
            .into_iter()
            .map(|r| (r["id"].clone(), (r["result"].clone(), r["prev_success_deployment_commit_id"].clone())))
            .collect();
    assert_eq!(ours.len(), expected.len(), "row count");
    assert_eq!(ours, expected);
    // The untouched columns survive derivation unchanged.
    for (row, fact) in rows.iter().map(|r| (r, facts.deployments.iter().find(|d| d.id == r["id"]).unwrap())) {
        assert_eq!(Some(fact.finished_at), ts(&row["finished_date"]));
        assert_eq!(Some(fact.started_at), ts(&row["started_date"]));
        assert_eq!(fact.environment, row["environment"]);
        assert_eq!(fact.repo, repo(&row["cicd_scope_id"], &row["repo_url"]));
    }
}

fn pr_number(id: &str) -> i64 {
    id.strip_prefix("pr").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("PR id {id:?}"))
}

/// TEST 3 (`calculate_change_lead_time_test.go`): each merged PR's timeline, its
/// deployment and its lead time, compared after rounding every span up to minutes.
#[test]
fn change_lead_time() {
    let pr_repo = repo("devlake", "repo1");
    let deployment_rows = fixture("change_lead_time/cicd_deployment_commits.csv");
    let deployments: Vec<Deployment> = deployment_rows.iter().map(deployment).collect();
    // DevLake gives the deployments' diffs (commits_diffs) instead of a commit graph:
    // they enter as memoised pairs. A pair with no old commit is a first deployment,
    // which has no changes in either system.
    let mut memo = DiffMemo::default();
    let mut by_pair: BTreeMap<(String, String), Vec<Sha>> = BTreeMap::new();
    for r in fixture("change_lead_time/commits_diffs.csv") {
        by_pair
            .entry((r["new_commit_sha"].clone(), r["old_commit_sha"].clone()))
            .or_default()
            .push(sha(&r["commit_sha"]));
    }
    for ((new, old), commits) in by_pair {
        if old.is_empty() {
            continue;
        }
        let d = deployments.iter().find(|d| d.sha.as_str() == new).expect("a deployment of the new commit");
        memo.insert(d.repo.clone(), sha(&new), sha(&old), commits);
    }
    let pull_requests: Vec<PullRequest> = fixture("change_lead_time/pull_requests.csv")
        .iter()
        .map(|r| PullRequest {
            repo: pr_repo.clone(),
            number: pr_number(&r["id"]),
            author: r["author_id"].clone(),
            created_at: ts(&r["created_date"]).unwrap(),
            merged_at: ts(&r["merged_date"]),
            closed_at: None,
            merge_commit_sha: opt(&r["merge_commit_sha"]).map(sha),
            title: None,
            base: None,
            head: None,
            additions: None,
            deletions: None,
            draft: false,
            labels: Vec::new(),
            is_revert: false,
            source: RecordSource::Import,
        })
        .collect();
    let pr_commit_rows = fixture("change_lead_time/pull_request_commits.csv");
    let commits: Vec<Commit> = pr_commit_rows
        .iter()
        .map(|r| Commit {
            repo: pr_repo.clone(),
            sha: sha(&r["commit_sha"]),
            parents: Vec::new(),
            authored_at: ts(&r["commit_authored_date"]).unwrap(),
            committed_at: None,
            author: None,
            message: None,
            source: RecordSource::Import,
        })
        .collect();
    let pull_request_commits: Vec<PullRequestCommit> = pr_commit_rows
        .iter()
        .map(|r| PullRequestCommit {
            repo: pr_repo.clone(),
            pr: pr_number(&r["pull_request_id"]),
            sha: sha(&r["commit_sha"]),
        })
        .collect();
    let reviews: Vec<Review> = fixture("change_lead_time/pull_request_comments.csv")
        .iter()
        .map(|r| Review {
            repo: pr_repo.clone(),
            pr: pr_number(&r["pull_request_id"]),
            id: r["id"].clone(),
            author: r["account_id"].clone(),
            submitted_at: ts(&r["created_date"]).unwrap(),
            state: None,
            kind: ReviewKind::Comment,
            source: RecordSource::Import,
        })
        .collect();
    let input = DeriveInput {
        commits: &commits,
        pull_requests: &pull_requests,
        pull_request_commits: &pull_request_commits,
        reviews: &reviews,
        deployments: &deployments,
        ..Default::default()
    };
    let facts = derive(&input, &mut memo);

    let show = |t: Option<Timestamp>| format!("{t:?}");
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let ours: BTreeMap<String, Vec<String>> = facts
        .pull_requests
        .iter()
        .map(|pr| {
            let coding = ceil_minutes(pr.coding);
            let open = ceil_minutes(Some((pr.merged_at - pr.created_at).num_seconds()));
            let deploy = ceil_minutes(pr.deploy);
            let cycle = coding.unwrap_or(0) + open.unwrap_or(0) + deploy.unwrap_or(0);
            let row = vec![
                pr.first_commit_sha.as_ref().map(Sha::to_string).unwrap_or_default(),
                num(coding),
                pr.first_review_id.clone().unwrap_or_default(),
                num(ceil_minutes(pr.pickup)),
                num(ceil_minutes(pr.review)),
                pr.deployment.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
                num(deploy),
                cycle.to_string(),
                show(pr.first_commit_at),
                show(pr.first_review_at),
                show(Some(pr.created_at)),
                show(Some(pr.merged_at)),
                show(pr.deployed_at),
            ];
            (format!("pr{}", pr.number), row)
        })
        .collect();
    let expected: BTreeMap<String, Vec<String>> = fixture("change_lead_time/project_pr_metrics.csv")
        .into_iter()
        .map(|r| {
            let row = [
                "first_commit_sha",
                "pr_coding_time",
                "first_review_id",
                "pr_pickup_time",
                "pr_review_time",
                "deployment_commit_id",
                "pr_deploy_time",
                "pr_cycle_time",
            ]
            .iter()
            .map(|c| r[*c].clone())
            .chain(
                [
                    "first_commit_authored_date",
                    "first_comment_date",
                    "pr_created_date",
                    "pr_merged_date",
                    "pr_deployed_date",
                ]
                .iter()
                .map(|c| show(ts(&r[*c]))),
            )
            .collect();
            (r["id"].clone(), row)
        })
        .collect();
    assert_eq!(ours.len(), expected.len(), "row count (only merged PRs get a row)");
    for (id, row) in &expected {
        assert_eq!(ours.get(id), Some(row), "{id}");
    }
    // Our lead time (seconds) is the same sum, before rounding.
    let pr1 = facts.pull_requests.iter().find(|p| p.number == 1).unwrap();
    assert_eq!(pr1.lead_time, 86_400 + 3_600 + 178_647);
}

/// TEST 4 (`connect_incident_to_deploy_test.go`): each incident of the project is linked
/// to the latest successful production deployment of the project before it.
///
/// DevLake's incidents come from the project's repositories and boards, but their scope
/// only decides project membership: they are matched against every deployment of the
/// project. In Pulse terms they are project-wide incidents (no repository), which is how
/// this test loads them.
#[test]
fn incident_to_deployment() {
    let rows =
        fixture("connect_incident_to_deployment/prev_success_deployment_commit/cicd_deployment_commits_after.csv");
    let deployments: Vec<Deployment> = rows.iter().map(deployment).collect();
    let pipeline_of: HashMap<String, String> =
        rows.iter().map(|r| (r["id"].clone(), r["cicd_deployment_id"].clone())).collect();
    let mapping = fixture("connect_incident_to_deployment/raw_tables/project_mapping.csv");
    let project_of = |table: &str, scope: &str| {
        mapping.iter().find(|m| m["table"] == table && m["row_id"] == scope).map(|m| m["project_name"].clone())
    };
    // The incident of repo3 belongs to no project (no mapping row), so DevLake skips it;
    // it stays out of the input here too.
    let projects: Vec<Project> = ["project1", "project2"]
        .iter()
        .map(|name| {
            let mut p = Project::new(ProjectName::parse(name).unwrap());
            p.repos = deployments
                .iter()
                .filter(|d| {
                    project_of("cicd_scopes", d.repo.as_str().split('/').next().unwrap()).as_deref() == Some(*name)
                })
                .map(|d| d.repo.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            p
        })
        .collect();
    let incidents: Vec<Incident> = fixture("connect_incident_to_deployment/raw_tables/incidents.csv")
        .iter()
        .filter_map(|r| {
            Some(Incident {
                id: r["id"].clone(),
                created_at: ts(&r["created_date"]).unwrap(),
                resolved_at: ts(&r["updated_date"]),
                title: None,
                repo: None,
                project: Some(ProjectName::parse(&project_of(&r["table"], &r["scope_id"])?).unwrap()),
                deployment_id: None,
                sha: None,
                pr: None,
                severity: None,
                source: RecordSource::Import,
            })
        })
        .collect();
    let facts = derive(
        &DeriveInput { deployments: &deployments, incidents: &incidents, projects: &projects, ..Default::default() },
        &mut DiffMemo::default(),
    );

    let ours: BTreeMap<String, (String, String)> = facts
        .incidents
        .iter()
        .filter(|i| i.project.as_ref().is_some_and(|p| p.as_str() == "project1"))
        .map(|i| {
            let deployment = i.deployment.as_ref().map(|d| pipeline_of[&d.id].clone()).unwrap_or_default();
            (i.id.clone(), ("project1".to_owned(), deployment))
        })
        .collect();
    let expected: BTreeMap<String, (String, String)> =
        fixture("connect_incident_to_deployment/snapshot_tables/project_incident_deployment_relationships.csv")
            .into_iter()
            .map(|r| (r["id"].clone(), (r["project_name"].clone(), r["deployment_id"].clone())))
            .collect();
    assert_eq!(ours.len(), expected.len(), "row count");
    assert_eq!(ours, expected);
    assert!(facts.incidents.iter().filter(|i| i.deployment.is_some()).all(|i| i.method == Some(LinkMethod::Inferred)));
}

use pulse_core::metrics::LinkMethod;

/// RELATED (`refdiff/e2e/deployment_commit_diff_test.go`): the commits between each
/// deployment and the previous one, from the commit graph, in DevLake's order.
///
/// DevLake's refdiff also gives a repository's first deployment all of its ancestors.
/// Pulse's graph diff reproduces those rows too (`diff` against nothing), but the
/// metric spec (§2.2) deliberately attributes no changes to a first deployment: its
/// whole history would otherwise count as shipped by it. The test shows both.
#[test]
fn refdiff_commit_diffs() {
    let project_repos: BTreeSet<String> = fixture("_related_refdiff_deployment_commit_diff/project_mapping.csv")
        .into_iter()
        .filter(|r| r["project_name"] == "project1" && r["table"] == "repos")
        .map(|r| r["row_id"].clone())
        .collect();
    let parents: Vec<(String, String)> = fixture("_related_refdiff_deployment_commit_diff/commit_parents.csv")
        .into_iter()
        .map(|r| (r["commit_sha"].clone(), r["parent_commit_sha"].clone()))
        .collect();
    let name = |scope: &str| repo("devlake", scope);
    let commits: Vec<Commit> = fixture("_related_refdiff_deployment_commit_diff/repo_commits.csv")
        .iter()
        .filter(|r| project_repos.contains(&r["repo_id"]))
        .map(|r| Commit {
            repo: name(&r["repo_id"]),
            sha: sha(&r["commit_sha"]),
            parents: parents.iter().filter(|(c, _)| *c == r["commit_sha"]).map(|(_, p)| sha(p)).collect(),
            authored_at: ts("2023-04-01T00:00:00Z").unwrap(),
            committed_at: None,
            author: None,
            message: None,
            source: RecordSource::Import,
        })
        .collect();
    let deployment_rows: Vec<Row> = fixture("_related_refdiff_deployment_commit_diff/cicd_deployment_commits.csv")
        .into_iter()
        .filter(|r| project_repos.contains(&r["cicd_scope_id"]))
        .collect();
    let deployments: Vec<Deployment> = deployment_rows
        .iter()
        .map(|r| Deployment {
            repo: name(&r["cicd_scope_id"]),
            id: r["id"].clone(),
            sha: sha(&r["commit_sha"]),
            environment: r["environment"].clone(),
            result: result(&r["result"]),
            started_at: ts(&r["started_date"]),
            finished_at: ts(&r["started_date"]).unwrap(),
            source: DeploymentSource::Import,
        })
        .collect();
    let mut memo = DiffMemo::default();
    let facts = derive(&DeriveInput { commits: &commits, deployments: &deployments, ..Default::default() }, &mut memo);

    // (new, old, commit, sorting index) rows.
    let mut ours: BTreeSet<(String, String, String, usize)> = BTreeSet::new();
    let graph = CommitGraph::new(&commits);
    for d in &facts.deployments {
        let old = d.previous.as_ref().map(|p| facts.deployments.iter().find(|x| &x.id == p).unwrap().sha.to_string());
        match old {
            Some(old) => {
                for (i, c) in d.changes.iter().enumerate() {
                    ours.insert((d.sha.to_string(), old.clone(), c.to_string(), i + 1));
                }
            }
            None => {
                assert!(d.changes.is_empty(), "spec §2.2: a first deployment has no changes");
                for (i, id) in graph.diff(graph.id(&d.sha).unwrap(), None).commits.iter().enumerate() {
                    ours.insert((d.sha.to_string(), String::new(), graph.sha(*id).to_string(), i + 1));
                }
            }
        }
    }
    let expected: BTreeSet<(String, String, String, usize)> =
        fixture("_related_refdiff_deployment_commit_diff/commits_diffs.csv")
            .into_iter()
            .map(|r| {
                (
                    r["new_commit_sha"].clone(),
                    r["old_commit_sha"].clone(),
                    r["commit_sha"].clone(),
                    r["sorting_index"].parse().unwrap(),
                )
            })
            .collect();
    assert_eq!(ours, expected);

    // The memo holds exactly DevLake's finished pairs (but the first deployment's).
    let pairs: BTreeSet<(String, String)> = memo.pairs().map(|(_, n, o, _)| (n.to_string(), o.to_string())).collect();
    let finished: BTreeSet<(String, String)> =
        fixture("_related_refdiff_deployment_commit_diff/_tool_refdiff_finished_commits_diffs.csv")
            .into_iter()
            .filter(|r| !r["old_commit_sha"].is_empty())
            .map(|r| (r["new_commit_sha"].clone(), r["old_commit_sha"].clone()))
            .collect();
    assert_eq!(pairs, finished);
}
