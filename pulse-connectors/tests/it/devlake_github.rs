//! The GitHub connector on DevLake's real recorded API items (panjf2000/ants, REST; and
//! facebook/OpenBIC deployments, GraphQL), compared field by field with DevLake's own
//! extraction (its snapshot tables). DevLake's raw tables also hold a row or two of
//! another connection (`ConnectionId` 2): another integration's data, which must never
//! be read for this one.

use std::collections::HashMap;

use pulse_connectors::github::{GithubSettings, PullRequestApi, stream};
use pulse_connectors::{Connector, Sync, reextract};
use pulse_core::ids::{RepoName, Sha};
use pulse_core::model::*;
use serde_json::Value;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const RAW: &str = "devlake/github/raw";
const SNAP: &str = "devlake/github/snapshot";

fn ants() -> RepoName {
    RepoName::parse("panjf2000/ants").unwrap()
}

/// DevLake's GitHub PR id → PR number (its snapshots refer to PRs by id).
fn pr_numbers() -> HashMap<String, i64> {
    csv(&format!("{SNAP}/_tool_github_pull_requests.csv"))
        .into_iter()
        .map(|r| (r["github_id"].clone(), r["number"].parse().unwrap()))
        .collect()
}

/// Serves DevLake's connection-1 items as the REST pages they came from, per-PR lists
/// by PR number, and answers GraphQL with 404 like a server without it.
async fn ants_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(r#"{"message":"Not Found"}"#, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let pulls = devlake_pages(&format!("{RAW}/_raw_github_api_pull_requests.csv"), 1);
    assert_eq!(pulls.len(), 1);
    Mock::given(method("GET"))
        .and(path("/repos/panjf2000/ants/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(json_array(&pulls[0].1), "application/json"))
        .mount(&server)
        .await;
    for (file, what) in
        [("_raw_github_api_pull_request_reviews", "reviews"), ("_raw_github_api_pull_request_commits", "commits")]
    {
        for (_, rows) in devlake_pages(&format!("{RAW}/{file}.csv"), 1) {
            let number = rows[0].input["Number"].as_i64().unwrap();
            Mock::given(method("GET"))
                .and(path(format!("/repos/panjf2000/ants/pulls/{number}/{what}")))
                .respond_with(ResponseTemplate::new(200).set_body_raw(json_array(&rows), "application/json"))
                .with_priority(1)
                .mount(&server)
                .await;
        }
    }
    // Diff comments were fetched repository-wide; serve them per pull request.
    let mut comments: HashMap<i64, Vec<RawRow>> = HashMap::new();
    for row in devlake_raw(&format!("{RAW}/_raw_github_api_pull_request_review_comments.csv")) {
        if row.connection != 1 {
            continue;
        }
        let item: Value = serde_json::from_str(&row.data).unwrap();
        let number = item["pull_request_url"].as_str().unwrap().rsplit('/').next().unwrap().parse().unwrap();
        comments.entry(number).or_default().push(row);
    }
    for (number, rows) in &comments {
        Mock::given(method("GET"))
            .and(path(format!("/repos/panjf2000/ants/pulls/{number}/comments")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(json_array(rows), "application/json"))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path_regex(r"^/repos/panjf2000/ants/pulls/\d+/(reviews|commits|comments)$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

async fn rest_extraction_matches_devlake_field_by_field(db: TestDb) {
    let server = ants_server().await;
    let client = db.client("acme").await;
    let (_, connector, _) = github(&client, &server.uri(), GithubSettings::new(ants())).await;
    let summary = Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    assert_eq!(summary.items, 49);
    // 1 GraphQL attempt (404: fall back), 1 list page, 3 calls per PR.
    assert_eq!(summary.usage.requests, 1 + 1 + 3 * 49);

    let expected = csv(&format!("{SNAP}/_tool_github_pull_requests.csv"));
    assert_eq!(expected.len(), 49);
    assert_eq!(client.count::<PullRequest>().await.unwrap(), 49);
    for row in &expected {
        let number: i64 = row["number"].parse().unwrap();
        let pr = client.get::<PullRequest>(&(ants(), number)).await.unwrap().unwrap();
        let ctx = format!("PR #{number}");
        assert_eq!(pr.title.as_deref(), Some(row["title"].as_str()), "{ctx}");
        assert_eq!(pr.author, row["author_name"], "{ctx}");
        assert_eq!(Some(pr.created_at), devlake_time(&row["github_created_at"]), "{ctx}");
        assert_eq!(pr.closed_at, devlake_time(&row["closed_at"]), "{ctx}");
        assert_eq!(pr.merged_at, devlake_time(&row["merged_at"]), "{ctx}");
        // DevLake keeps GitHub's test-merge sha of unmerged PRs; Pulse only a merged one.
        let sha = if pr.merged_at.is_some() { Some(row["merge_commit_sha"].as_str()) } else { None };
        assert_eq!(pr.merge_commit_sha.as_ref().map(|s| s.as_str()), sha, "{ctx}");
        assert_eq!(pr.head.as_deref(), Some(row["head_ref"].as_str()), "{ctx}");
        assert_eq!(pr.base.as_deref(), Some(row["base_ref"].as_str()), "{ctx}");
        assert_eq!(pr.draft, row["is_draft"] == "1", "{ctx}");
        // The list endpoint has no line counts (DevLake writes 0).
        assert_eq!(pr.additions.unwrap_or(0).to_string(), row["additions"], "{ctx}");
        assert_eq!(pr.deletions.unwrap_or(0).to_string(), row["deletions"], "{ctx}");
    }

    let numbers = pr_numbers();
    let reviews = csv(&format!("{SNAP}/_tool_github_pull_request_reviews.csv"));
    assert_eq!(
        client.list::<Review>().await.unwrap().iter().filter(|r| r.kind == ReviewKind::Review).count(),
        reviews.len()
    );
    for row in &reviews {
        let pr = numbers[&row["pull_request_id"]];
        let review = client.get::<Review>(&(ants(), pr, row["github_id"].clone())).await.unwrap().unwrap();
        assert_eq!(review.author, row["author_username"]);
        assert_eq!(Some(review.submitted_at), devlake_time(&row["github_submit_at"]));
        assert_eq!(review.state.map(|s| s.as_str()).unwrap_or("DISMISSED"), row["state"]);
    }

    let commits = csv(&format!("{SNAP}/_tool_github_pull_request_commits.csv"));
    assert_eq!(client.count::<PullRequestCommit>().await.unwrap() as usize, commits.len());
    for row in &commits {
        let pr = numbers[&row["pull_request_id"]];
        let sha = Sha::parse(&row["commit_sha"]).unwrap();
        let link = PullRequestCommit { repo: ants(), pr, sha: sha.clone() };
        assert!(client.get::<PullRequestCommit>(&link).await.unwrap().is_some(), "{link:?}");
        let commit = client.get::<Commit>(&(ants(), sha)).await.unwrap().unwrap();
        assert_eq!(Some(commit.authored_at), devlake_time(&row["commit_authored_date"]));
    }
    let diff_comments =
        client.list::<Review>().await.unwrap().into_iter().filter(|r| r.kind == ReviewKind::Comment).count();
    let recorded = devlake_raw(&format!("{RAW}/_raw_github_api_pull_request_review_comments.csv"))
        .into_iter()
        .filter(|r| r.connection == 1)
        .filter(|r| {
            let item: Value = serde_json::from_str(&r.data).unwrap();
            let n: i64 = item["pull_request_url"].as_str().unwrap().rsplit('/').next().unwrap().parse().unwrap();
            expected.iter().any(|e| e["number"] == n.to_string())
        })
        .count();
    assert_eq!(diff_comments, recorded);
}

async fn reextraction_reads_only_this_integrations_raw_rows(db: TestDb) {
    let client = db.client("acme").await;
    let server = MockServer::start().await;
    let mut settings = GithubSettings::new(ants());
    settings.pull_request_api = PullRequestApi::Rest;
    let (_, mine, _) = github(&client, &server.uri(), settings.clone()).await;
    // DevLake's connection 2 is another integration (another GitHub host).
    let (other, ..) = github(&client, "https://github.example.com/api/v3", settings).await;
    let scope = |connection: i64| {
        let id = if connection == 1 { mine.integration() } else { other.id };
        format!("{id}:panjf2000/ants")
    };
    let mut raws = Vec::new();
    for (file, stream) in [
        ("_raw_github_api_pull_requests", "pull_requests_rest"),
        ("_raw_github_api_pull_request_reviews", "pull_request_reviews"),
        ("_raw_github_api_pull_request_commits", "pull_request_commits"),
    ] {
        for row in devlake_raw(&format!("{RAW}/{file}.csv")) {
            let item: Value = serde_json::from_str(&row.data).unwrap();
            let key = match stream {
                "pull_requests_rest" => item["number"].to_string(),
                "pull_request_reviews" => format!("{}:{}", row.input["Number"], item["id"]),
                _ => format!("{}:{}", row.input["Number"], item["sha"].as_str().unwrap()),
            };
            raws.push(RawPayload {
                source: "github".into(),
                stream: stream.into(),
                scope: scope(row.connection),
                key,
                fetched_at: chrono::Utc::now(),
                body: row.data.clone(),
            });
        }
    }
    assert_eq!(raws.len(), 50 + 31 + 91);
    client.upsert(&raws).await.unwrap();
    let counts = reextract(&client, &mine).await.unwrap();
    assert_eq!(counts.get("pull_requests"), Some(&49));
    assert_eq!(counts.get("reviews"), Some(&30));
    assert_eq!(counts.get("pull_request_commits"), Some(&90));
    // PR #4 exists in both connections with different titles: this integration's wins.
    let expected = csv(&format!("{SNAP}/_tool_github_pull_requests.csv"));
    let title = &expected.iter().find(|r| r["number"] == "4").unwrap()["title"];
    let pr = client.get::<PullRequest>(&(ants(), 4)).await.unwrap().unwrap();
    assert_eq!(pr.title.as_deref(), Some(title.as_str()));
    assert!(server.received_requests().await.unwrap().is_empty(), "re-extraction fetched");
}

async fn deploy_workflow_runs_match_devlake(db: TestDb) {
    let server = MockServer::start().await;
    let pages = devlake_pages(&format!("{RAW}/_raw_github_api_runs.csv"), 1);
    let body = format!("{{\"total_count\":{},\"workflow_runs\":{}}}", pages[0].1.len(), json_array(&pages[0].1));
    Mock::given(method("GET"))
        .and(path("/repos/panjf2000/ants/actions/runs"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let mut settings = GithubSettings::new(ants());
    settings.deploy_workflow_pattern = Some("CodeQL.*".into());
    let (_, connector, _) = github(&client, &server.uri(), settings).await;
    assert!(connector.streams().contains(&stream::WORKFLOW_RUNS.to_owned()));
    Sync::new(&client, &connector).stream(stream::WORKFLOW_RUNS).execute().await.unwrap();
    let expected: Vec<_> = csv(&format!("{SNAP}/_tool_github_runs.csv"))
        .into_iter()
        .filter(|r| r["type"] == "DEPLOYMENT" && r["status"] == "completed")
        .filter(|r| ["success", "failure", "timed_out", "startup_failure"].contains(&r["conclusion"].as_str()))
        .collect();
    assert!(expected.len() > 5);
    let deployments = client.list::<Deployment>().await.unwrap();
    assert_eq!(deployments.len(), expected.len());
    for row in &expected {
        let d = deployments.iter().find(|d| d.id == format!("run:{}", row["id"])).unwrap();
        assert_eq!(d.sha.as_str(), row["head_sha"]);
        assert_eq!(
            d.result,
            if row["conclusion"] == "success" { DeploymentResult::Success } else { DeploymentResult::Failure }
        );
        assert_eq!(d.started_at, devlake_time(&row["run_started_at"]));
        assert_eq!(Some(d.finished_at), devlake_time(&row["github_updated_at"]));
        assert_eq!((d.source, d.environment.as_str()), (DeploymentSource::WorkflowRun, "production"));
    }
}

async fn incident_issues_match_devlake(db: TestDb) {
    let server = MockServer::start().await;
    let pages = devlake_pages(&format!("{RAW}/_raw_github_api_issues.csv"), 1);
    Mock::given(method("GET"))
        .and(path("/repos/panjf2000/ants/issues"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(json_array(&pages[0].1), "application/json"))
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let mut settings = GithubSettings::new(ants());
    settings.incident_label = Some("bug".into());
    let (_, connector, _) = github(&client, &server.uri(), settings).await;
    Sync::new(&client, &connector).stream(stream::INCIDENTS).execute().await.unwrap();
    let bugs: Vec<i64> = pages[0]
        .1
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.data).unwrap())
        .filter(|i| {
            i.get("pull_request").is_none() && i["labels"].as_array().unwrap().iter().any(|l| l["name"] == "bug")
        })
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    assert!(!bugs.is_empty());
    let incidents = client.list::<Incident>().await.unwrap();
    assert_eq!(incidents.len(), bugs.len());
    let snapshot = csv(&format!("{SNAP}/_tool_github_issues.csv"));
    for n in bugs {
        let row = snapshot.iter().find(|r| r["number"] == n.to_string()).unwrap();
        let incident = incidents.iter().find(|i| i.id == format!("github:panjf2000/ants#{n}")).unwrap();
        assert_eq!(Some(incident.created_at), devlake_time(&row["github_created_at"]));
        assert_eq!(incident.resolved_at, devlake_time(&row["closed_at"]));
        assert_eq!(incident.title.as_deref(), Some(row["title"].as_str()));
        assert_eq!(incident.repo, Some(ants()));
    }
}

/// DevLake stored GraphQL nodes through Go structs (PascalCase keys); GitHub's wire
/// format is camelCase. This is the only transformation applied.
fn camel_case(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key = chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default();
                    (key, camel_case(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case).collect()),
        other => other,
    }
}

async fn graphql_deployments_match_devlake(db: TestDb) {
    let rows = devlake_raw("devlake/github_graphql/_raw_github_graphql_deployment.csv");
    let nodes: Vec<Value> = rows.iter().map(|r| camel_case(serde_json::from_str(&r.data).unwrap())).collect();
    let body = serde_json::json!({"data": {"rateLimit": {"cost": 1}, "repository": {"deployments": {
        "totalCount": nodes.len(), "pageInfo": {"endCursor": null, "hasNextPage": false}, "nodes": nodes}}}});
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let repo = RepoName::parse("facebook/OpenBIC").unwrap();
    let (_, connector, _) = github(&client, &server.uri(), GithubSettings::new(repo)).await;
    Sync::new(&client, &connector).stream(stream::DEPLOYMENTS).execute().await.unwrap();
    let expected = csv("devlake/github_graphql/_tool_github_deployments.csv");
    let deployments = client.list::<Deployment>().await.unwrap();
    assert_eq!(deployments.len(), expected.len());
    for row in &expected {
        let d = deployments.iter().find(|d| d.id == format!("deployment:{}", row["database_id"])).unwrap();
        assert_eq!(d.sha.as_str(), row["commit_oid"]);
        assert_eq!(d.environment, row["environment"]);
        let success = ["ACTIVE", "INACTIVE", "SUCCESS"].contains(&row["latest_status_state"].as_str());
        assert_eq!(d.result, if success { DeploymentResult::Success } else { DeploymentResult::Failure });
        assert_eq!(d.started_at, devlake_time(&row["created_date"]));
        // Finished when a status settled it: never before it started, and (unlike
        // DevLake's last-update time) not when a later deployment replaced it.
        assert!(d.finished_at >= d.started_at.unwrap());
        assert!(Some(d.finished_at) <= devlake_time(&row["updated_date"]));
    }
}

on_both_backends!(
    rest_extraction_matches_devlake_field_by_field,
    reextraction_reads_only_this_integrations_raw_rows,
    deploy_workflow_runs_match_devlake,
    incident_issues_match_devlake,
    graphql_deployments_match_devlake,
);
