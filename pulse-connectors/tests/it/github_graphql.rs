//! The GitHub connector end to end against the generated GitHub (`fake_github.rs`):
//! every stream, API economy, incremental re-sync, open-PR re-checks, nested-page
//! overflow, atomic pages, resuming, re-extraction.

use pulse_connectors::github::{GithubConnector, GithubSettings, stream};
use pulse_connectors::{Connector, ProgressEvent, Sync, reextract};
use pulse_core::ClientStore;
use pulse_core::ids::{JiraProjectKey, RepoName, Sha};
use pulse_core::model::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fake_github::{FakeConfig, FakeGithub, sha};
use crate::support::*;

async fn serve(fake: &FakeGithub) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(fake.clone()).mount(&server).await;
    fake.set_base(&server.uri());
    server
}

fn settings() -> GithubSettings {
    let mut settings = GithubSettings::new(RepoName::parse("acme/api").unwrap());
    settings.jira_projects = vec![JiraProjectKey::parse("CHK").unwrap()];
    settings
}

async fn setup(db: &TestDb, fake: &FakeGithub) -> (ClientStore, GithubConnector, MockServer) {
    let server = serve(fake).await;
    let client = db.client("acme").await;
    let (_, connector, _) = github(&client, &server.uri(), settings()).await;
    (client, connector, server)
}

fn count(log: &[String], kind: &str) -> usize {
    log.iter().filter(|k| *k == kind).count()
}

async fn a_full_sync_lands_every_stream_in_few_requests(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(250));
    let (client, connector, _server) = setup(&db, &fake).await;
    let events = std::sync::Mutex::new(Vec::new());
    let summary =
        Sync::new(&client, &connector).on_progress(|e| events.lock().unwrap().push(e.clone())).execute().await.unwrap();
    let events = events.into_inner().unwrap();
    let landed = events.iter().filter(|e| matches!(e, ProgressEvent::PageLanded { .. })).count();
    let finished = events.iter().filter(|e| matches!(e, ProgressEvent::StreamFinished { .. })).count();
    assert_eq!((landed as u64, finished), (summary.pages, connector.streams().len()));
    match events.iter().rev().find(|e| matches!(e, ProgressEvent::PageLanded { .. })) {
        Some(ProgressEvent::PageLanded { usage, .. }) => assert_eq!(usage.requests, summary.usage.requests),
        other => panic!("{other:?}"),
    }
    // repository 1, pull requests 3 (100 per request), commits 3, deployments 1,
    // releases 1, incident issues 1.
    assert_eq!(summary.usage.requests, 10, "{:?}", fake.log());
    assert_eq!(client.count::<PullRequest>().await.unwrap(), 250);
    assert_eq!(client.count::<Review>().await.unwrap(), 250 * 3 * 2);
    assert_eq!(client.count::<PullRequestCommit>().await.unwrap(), 250 * 4);
    assert_eq!(client.count::<Commit>().await.unwrap(), 250 * 4 + 250);
    assert_eq!(client.count::<Deployment>().await.unwrap(), 20);
    assert_eq!(client.count::<IssuePrLink>().await.unwrap(), 250);
    let repo = RepoName::parse("acme/api").unwrap();
    // Field by field against the generated node.
    let pr = client.get::<PullRequest>(&(repo.clone(), 42)).await.unwrap().unwrap();
    assert_eq!(pr.title.as_deref(), Some("[CHK-42] change number 42"));
    assert_eq!(pr.author, "dev8");
    assert_eq!(pr.created_at, fake.created(42));
    assert_eq!(pr.merged_at, Some(fake.merged(42)));
    assert_eq!(pr.closed_at, Some(fake.merged(42)));
    assert_eq!(pr.merge_commit_sha.as_ref().map(|s| s.as_str()), Some(sha(0xb, 42, 0).as_str()));
    assert_eq!((pr.base.as_deref(), pr.head.as_deref()), (Some("main"), Some("feature/chk-42")));
    assert_eq!((pr.additions, pr.deletions, pr.draft, pr.is_revert), (Some(420), Some(25), false, false));
    assert_eq!(pr.source, RecordSource::Github);
    // GraphQL names bots without REST's `[bot]` suffix; Pulse stores the REST form.
    let bot = client.get::<PullRequest>(&(repo.clone(), 50)).await.unwrap().unwrap();
    assert_eq!(bot.author, "dependabot[bot]");
    let review = client.get::<Review>(&(repo.clone(), 42, "4201".to_owned())).await.unwrap().unwrap();
    assert_eq!(
        (review.author.as_str(), review.state, review.kind),
        ("rev4", Some(ReviewState::Approved), ReviewKind::Review)
    );
    let comment = client.get::<Review>(&(repo.clone(), 42, "rc:42010".to_owned())).await.unwrap().unwrap();
    assert_eq!((comment.state, comment.kind), (None, ReviewKind::Comment));
    let commit = client.get::<Commit>(&(repo.clone(), Sha::parse(&sha(0xc, 42, 1)).unwrap())).await.unwrap().unwrap();
    assert_eq!(commit.parents, vec![Sha::parse(&sha(0xc, 42, 0)).unwrap()]);
    assert_eq!(commit.author.as_deref(), Some("dev8"));
    let squash = client.get::<Commit>(&(repo.clone(), Sha::parse(&sha(0xb, 42, 0)).unwrap())).await.unwrap().unwrap();
    assert_eq!(squash.parents, vec![Sha::parse(&sha(0xb, 41, 0)).unwrap()]);
    let deployments = client.list::<Deployment>().await.unwrap();
    assert_eq!(deployments.iter().filter(|d| d.result == DeploymentResult::Failure).count(), 2);
    assert!(
        deployments.iter().all(|d| d.source == DeploymentSource::GithubDeployment && d.environment == "production")
    );
    let repos = client.list::<Repository>().await.unwrap();
    assert_eq!((repos[0].name.as_str(), repos[0].default_branch.as_str()), ("acme/api", "main"));
}

async fn a_second_sync_fetches_only_what_changed(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(250));
    let (client, connector, _server) = setup(&db, &fake).await;
    Sync::new(&client, &connector).execute().await.unwrap();
    fake.clear_log();
    let later = fake.merged(250) + chrono::Duration::days(1);
    fake.touch(7, |pr| {
        pr.updated = later;
        pr.title = "[CHK-7] renamed".to_owned();
    });
    let summary = Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    assert_eq!(count(&fake.log(), "graphql:pullRequests"), 1);
    // PR 7 and the boundary PR (updated exactly at the high-water mark) came back.
    assert_eq!(summary.records.get("pull_requests"), Some(&2));
    let pr = client.get::<PullRequest>(&(RepoName::parse("acme/api").unwrap(), 7)).await.unwrap().unwrap();
    assert_eq!(pr.title.as_deref(), Some("[CHK-7] renamed"));
    // Nothing changed: one request, nothing new but the boundary item.
    fake.clear_log();
    let again = Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    assert_eq!((again.usage.requests, again.records.get("pull_requests")), (1, Some(&1)));
    let commits = Sync::new(&client, &connector).stream(stream::COMMITS).execute().await.unwrap();
    assert_eq!(commits.usage.requests, 1);
    assert_eq!(commits.items, 1, "only the boundary commit is fetched again");
}

async fn open_pull_requests_are_rechecked_until_closed(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(120));
    fake.touch(5, |pr| pr.open = true);
    let (client, connector, _server) = setup(&db, &fake).await;
    Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    let key = (RepoName::parse("acme/api").unwrap(), 5);
    assert_eq!(client.get::<PullRequest>(&key).await.unwrap().unwrap().merged_at, None);
    // Merged upstream, but (as happens) the PR's update time did not move.
    fake.touch(5, |pr| pr.open = false);
    fake.clear_log();
    Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    assert_eq!((count(&fake.log(), "graphql:pullRequests"), count(&fake.log(), "graphql:recheck")), (1, 1));
    assert_eq!(client.get::<PullRequest>(&key).await.unwrap().unwrap().merged_at, Some(fake.merged(5)));
    // Closed now: no more re-checks.
    fake.clear_log();
    Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    assert_eq!(count(&fake.log(), "graphql:recheck"), 0);
}

async fn overflowing_nested_pages_are_completed_over_rest(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(30));
    fake.touch(3, |pr| pr.extra_reviews = 30);
    let (client, connector, _server) = setup(&db, &fake).await;
    Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    assert_eq!((count(&fake.log(), "rest:reviews"), count(&fake.log(), "rest:comments")), (1, 1));
    let reviews: Vec<Review> = client.list::<Review>().await.unwrap().into_iter().filter(|r| r.pr == 3).collect();
    assert_eq!(reviews.iter().filter(|r| r.kind == ReviewKind::Review).count(), 33);
    assert_eq!(reviews.iter().filter(|r| r.kind == ReviewKind::Comment).count(), 33);
}

async fn a_failure_inside_a_page_leaves_nothing_of_it(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(30));
    fake.touch(3, |pr| pr.extra_reviews = 30);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/api/pulls/3/reviews"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(r#"{"message":"Server Error"}"#, "application/json"))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any()).respond_with(fake.clone()).with_priority(10).mount(&server).await;
    fake.set_base(&server.uri());
    let client = db.client("acme").await;
    let (_, connector, _) = github(&client, &server.uri(), settings()).await;
    let err = Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap_err();
    assert_eq!(err.to_string(), "GET /repos/acme/api/pulls/3/reviews: HTTP 500: Server Error");
    assert_eq!(client.count::<PullRequest>().await.unwrap(), 0);
    assert_eq!(client.count::<RawPayload>().await.unwrap(), 0);
    assert_eq!(client.count::<SyncCursor>().await.unwrap(), 0);
}

async fn an_interrupted_sync_resumes_after_its_last_page(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(250));
    let (client, connector, _server) = setup(&db, &fake).await;
    let first = Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).max_pages(2).execute().await.unwrap();
    assert!(!first.complete);
    assert_eq!(client.count::<PullRequest>().await.unwrap(), 200);
    let cursor = client.get::<SyncCursor>(&(connector.integration(), stream::PULL_REQUESTS.to_owned())).await.unwrap();
    assert_eq!(cursor.unwrap().cursor["pass"]["after"], "c200");
    fake.clear_log();
    let rest = Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    assert!(rest.complete);
    assert_eq!(count(&fake.log(), "graphql:pullRequests"), 1, "resumed at the third page");
    assert_eq!(rest.records.get("pull_requests"), Some(&50));
    assert_eq!(client.count::<PullRequest>().await.unwrap(), 250);
}

async fn reextraction_rebuilds_records_without_fetching(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(120));
    let (client, connector, _server) = setup(&db, &fake).await;
    Sync::new(&client, &connector).execute().await.unwrap();
    let repo = RepoName::parse("acme/api").unwrap();
    let mut damaged = client.get::<PullRequest>(&(repo.clone(), 9)).await.unwrap().unwrap();
    let original = damaged.clone();
    damaged.title = Some("lost".into());
    damaged.merged_at = None;
    client.upsert(&[damaged]).await.unwrap();
    client.delete::<Review>(&(repo.clone(), 9, "901".to_owned())).await.unwrap();
    let requests = connector.usage().snapshot().requests;
    let counts = reextract(&client, &connector).await.unwrap();
    assert_eq!(connector.usage().snapshot().requests, requests, "re-extraction fetched");
    assert_eq!(counts.get("pull_requests"), Some(&120));
    assert_eq!(client.get::<PullRequest>(&(repo.clone(), 9)).await.unwrap().unwrap(), original);
    assert!(client.get::<Review>(&(repo, 9, "901".to_owned())).await.unwrap().is_some());
}

async fn enterprise_server_urls_are_respected(db: TestDb) {
    // GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/repos/acme/api"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"default_branch":"trunk"}"#, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let empty =
        r#"{"data":{"repository":{"releases":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[]}}}}"#;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(empty, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let (_, connector, _) = github(&client, &format!("{}/api/v3", server.uri()), settings()).await;
    let summary =
        Sync::new(&client, &connector).stream(stream::REPOSITORY).stream(stream::RELEASES).execute().await.unwrap();
    assert_eq!(summary.usage.requests, 2);
    assert_eq!(client.list::<Repository>().await.unwrap()[0].default_branch, "trunk");
}

async fn a_query_too_heavy_for_github_is_retried_with_fewer_pull_requests(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(120));
    let server = MockServer::start().await;
    // GitHub's answer to a query it cannot finish in time (a 502 with an HTML body).
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(wiremock::matchers::body_partial_json(serde_json::json!({"variables": {"first": 100}})))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any()).respond_with(fake.clone()).with_priority(10).mount(&server).await;
    fake.set_base(&server.uri());
    let client = db.client("acme").await;
    let (_, connector, _) = github(&client, &server.uri(), settings()).await;
    let summary = Sync::new(&client, &connector).stream(stream::PULL_REQUESTS).execute().await.unwrap();
    assert_eq!(client.count::<PullRequest>().await.unwrap(), 120);
    // 100 failed (with its retries) once; then pages of 50 for the rest of the run.
    assert_eq!(summary.pages, 3);
    assert_eq!(count(&fake.log(), "graphql:pullRequests"), 3);
    assert_eq!(summary.usage.requests, 4 + 3, "one 100-PR attempt and its 3 retries (tests allow 3), then 3 pages");
}

on_both_backends!(
    a_query_too_heavy_for_github_is_retried_with_fewer_pull_requests,
    enterprise_server_urls_are_respected,
    a_full_sync_lands_every_stream_in_few_requests,
    a_second_sync_fetches_only_what_changed,
    open_pull_requests_are_rechecked_until_closed,
    overflowing_nested_pages_are_completed_over_rest,
    a_failure_inside_a_page_leaves_nothing_of_it,
    an_interrupted_sync_resumes_after_its_last_page,
    reextraction_rebuilds_records_without_fetching,
);
