//! `pulse integration add` and `pulse sync` against a local GitHub mock: the token is
//! read from the named variable and stored sealed, the sync lands what the API serves and
//! prints a summary, and a missing secret key is a clear, exit-code-2 error.

use std::process::{Command, Output};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn pulse(db: &str, args: &[&str], key: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse"));
    command.args(["--db", db]).args(args).env("GH_TOKEN", "ghp_cli_token").env_remove("PULSE_SECRET_KEY");
    if let Some(key) = key {
        command.env("PULSE_SECRET_KEY", key);
    }
    command.output().expect("run pulse")
}

/// One empty GraphQL connection page named after what the query asks for.
fn graphql(request: &Request) -> ResponseTemplate {
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    let query = body["query"].as_str().unwrap();
    let field = ["pullRequests", "deployments", "releases"]
        .into_iter()
        .find(|f| query.contains(&format!("{f}(first:")))
        .unwrap();
    let pr = json!({"number": 1, "title": "First", "state": "MERGED", "isDraft": false,
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-02T00:00:00Z", "mergedAt": "2026-01-02T00:00:00Z",
        "closedAt": "2026-01-02T00:00:00Z", "additions": 1, "deletions": 1, "baseRefName": "main", "headRefName": "f",
        "author": {"__typename": "User", "login": "ann"}, "mergeCommit": {"oid": "a".repeat(40)},
        "labels": {"totalCount": 0, "nodes": []}, "reviews": {"totalCount": 0, "nodes": []},
        "commits": {"totalCount": 0, "nodes": []}});
    let nodes = if field == "pullRequests" { vec![pr] } else { vec![] };
    ResponseTemplate::new(200).set_body_json(json!({"data": {"repository": {field: {
        "pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": nodes}}}}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_add_and_sync_end_to_end() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/graphql")).respond_with(graphql).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/api"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"full_name": "acme/api", "default_branch": "trunk"})),
        )
        .mount(&server)
        .await;
    for list in ["commits", "issues"] {
        Mock::given(method("GET"))
            .and(path(format!("/repos/acme/api/{list}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let uri = server.uri();
    let add =
        ["integration", "add", "github", "--repo", "acme/api", "--api-url", uri.as_str(), "--token-env", "GH_TOKEN"];

    let missing = tokio::task::spawn_blocking({
        let (db, add) = (db.clone(), add.map(str::to_owned));
        move || pulse(&db, &add.iter().map(String::as_str).collect::<Vec<_>>(), None)
    })
    .await
    .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no secret key: set PULSE_SECRET_KEY"));

    let (added, synced, again) = tokio::task::spawn_blocking({
        let (db, add) = (db.clone(), add.map(str::to_owned));
        move || {
            let added = pulse(&db, &add.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
            let synced = pulse(&db, &["sync", "--all"], Some(KEY));
            let again = pulse(&db, &["sync", "--integration", "1", "--reextract"], Some(KEY));
            (added, synced, again)
        }
    })
    .await
    .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    assert!(String::from_utf8_lossy(&added.stdout).contains("integration 1 `github:acme/api` saved"));
    let out = String::from_utf8_lossy(&synced.stdout);
    assert!(synced.status.success(), "{}", String::from_utf8_lossy(&synced.stderr));
    assert!(out.contains("github:acme/api (1): 2 items in 6 pages, 6 requests"), "{out}");
    assert!(out.contains("pull_requests: 1") && out.contains("repositories: 1"), "{out}");
    assert!(again.status.success());
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(
        out.contains("re-extracted from stored payloads, no requests") && out.contains("pull_requests: 1"),
        "{out}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 6, "re-extraction fetched");
    // The token went to GitHub, and only as a header.
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.headers["authorization"] == "Bearer ghp_cli_token"));
    // It is stored sealed: not in the database file in clear.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(13).any(|w| w == b"ghp_cli_token"));
    }
}
