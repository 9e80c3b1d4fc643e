//! GitHub's own REST examples (rest-api-description, 2022-11-28): the REST fallback for
//! pull requests with their reviews and commits, the default branch's commits, and
//! workflow runs, extracted field by field.

use pulse_connectors::github::{GithubSettings, PullRequestApi, stream};
use pulse_connectors::{Connector, Sync};
use pulse_core::ids::{RepoName, Sha};
use pulse_core::model::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

async fn serve(server: &MockServer, at: &str, example: &str) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture(&format!("openapi/github/{example}.json")), "application/json"),
        )
        .expect(1)
        .mount(server)
        .await;
}

fn repo() -> RepoName {
    RepoName::parse("octocat/Hello-World").unwrap()
}

async fn rest_examples_extract_field_by_field(db: TestDb) {
    let server = MockServer::start().await;
    serve(&server, "/repos/octocat/Hello-World/pulls", "GET_repos_owner_repo_pulls").await;
    serve(&server, "/repos/octocat/Hello-World/pulls/1347/reviews", "GET_repos_owner_repo_pulls_number_reviews").await;
    serve(&server, "/repos/octocat/Hello-World/pulls/1347/commits", "GET_repos_owner_repo_pulls_number_commits").await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/pulls/1347/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
        .mount(&server)
        .await;
    serve(&server, "/repos/octocat/Hello-World/commits", "GET_repos_owner_repo_commits").await;
    serve(&server, "/repos/octocat/Hello-World/actions/runs", "GET_repos_owner_repo_actions_runs").await;
    let client = db.client("acme").await;
    let mut settings = GithubSettings::new(repo());
    settings.pull_request_api = PullRequestApi::Rest;
    settings.deploy_workflow_pattern = Some("^Build$".into());
    let (_, connector, _) = github(&client, &server.uri(), settings).await;
    Sync::new(&client, &connector)
        .stream(stream::PULL_REQUESTS)
        .stream(stream::COMMITS)
        .stream(stream::WORKFLOW_RUNS)
        .execute()
        .await
        .unwrap();

    let pr = client.get::<PullRequest>(&(repo(), 1347)).await.unwrap().unwrap();
    assert_eq!(pr.title.as_deref(), Some("Amazing new feature"));
    assert_eq!(pr.author, "octocat");
    assert_eq!(pr.created_at.to_rfc3339(), "2011-01-26T19:01:12+00:00");
    // The example is `open` yet carries close and merge times; an open PR is not closed.
    assert_eq!(pr.closed_at, None);
    assert_eq!(pr.merged_at.map(|t| t.to_rfc3339()).as_deref(), Some("2011-01-26T19:01:12+00:00"));
    assert_eq!(pr.merge_commit_sha.as_ref().map(Sha::as_str), Some("e5bd3914e2e596debea16f433f57875b5b90bcd6"));
    assert_eq!((pr.head.as_deref(), pr.base.as_deref()), (Some("new-topic"), Some("master")));
    assert_eq!((pr.labels.clone(), pr.draft), (vec!["bug".to_owned()], false));
    let cursor = client.get::<SyncCursor>(&(connector.integration(), stream::PULL_REQUESTS.to_owned())).await.unwrap();
    assert_eq!(cursor.unwrap().cursor["open"], serde_json::json!([1347]), "an open PR is re-checked later");

    let review = client.get::<Review>(&(repo(), 1347, "80".to_owned())).await.unwrap().unwrap();
    assert_eq!((review.author.as_str(), review.state), ("octocat", Some(ReviewState::Approved)));
    assert_eq!(review.submitted_at.to_rfc3339(), "2019-11-17T17:43:43+00:00");
    let sha = Sha::parse("6dcb09b5b57875f334f61aebed695e2e4193db5e").unwrap();
    let link = PullRequestCommit { repo: repo(), pr: 1347, sha: sha.clone() };
    assert!(client.get::<PullRequestCommit>(&link).await.unwrap().is_some());
    let commit = client.get::<Commit>(&(repo(), sha.clone())).await.unwrap().unwrap();
    assert_eq!(commit.authored_at.to_rfc3339(), "2011-04-14T16:00:49+00:00");
    assert_eq!((commit.parents.clone(), commit.author.as_deref()), (vec![sha], Some("octocat")));
    assert_eq!(commit.message.as_deref(), Some("Fix all the bugs"));

    // The run is queued: landed raw, not a deployment yet.
    assert_eq!(client.count::<Deployment>().await.unwrap(), 0);
    let raw = client.list::<RawPayload>().await.unwrap();
    assert!(raw.iter().any(|r| r.stream == "workflow_runs" && r.key == "30433642"));
}

on_both_backends!(rest_examples_extract_field_by_field);
