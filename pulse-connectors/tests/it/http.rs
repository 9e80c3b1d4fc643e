//! The HTTP layer against recorded responses: pagination, conditional requests, rate
//! limits, server errors, timeouts, bad bodies. Every failure leaves nothing written.

use std::time::Duration;

use pulse_connectors::github::{GithubSettings, stream};
use pulse_connectors::{Connector, Error, Sync};
use pulse_core::ClientStore;
use pulse_core::ids::RepoName;
use pulse_core::model::{Incident, RawPayload, Repository, SyncCursor};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const PAGINATE_REPO: &str = "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe";

/// A recorded octokit exchange: (path, status, headers, body).
type Exchange = (String, u16, Vec<(String, String)>, String);

fn octokit(scenario: &str) -> Vec<Exchange> {
    let records = fixture_json(&format!("octokit/{scenario}.raw-fixture.json"));
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let raw = r["rawHeaders"].as_array().unwrap();
            let headers =
                raw.chunks(2).map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned())).collect();
            (
                r["path"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap() as u16,
                headers,
                r["response"].to_string(),
            )
        })
        .collect()
}

async fn nothing_written(client: &ClientStore) {
    assert_eq!(client.count::<RawPayload>().await.unwrap(), 0, "raw payloads were written");
    assert_eq!(client.count::<SyncCursor>().await.unwrap(), 0, "a cursor was written");
    assert_eq!(client.count::<Repository>().await.unwrap(), 0, "records were written");
}

async fn link_pagination_follows_next_across_pages(db: TestDb) {
    let server = MockServer::start().await;
    let recorded = octokit("paginate-issues");
    let pages: Vec<_> = recorded.iter().filter(|(p, ..)| p.contains("/issues?per_page=3")).collect();
    assert_eq!(pages.len(), 5);
    for (i, (recorded_path, status, headers, body)) in pages.iter().enumerate() {
        // The recorded Link headers name api.github.com; point them at the mock.
        let headers: Vec<(String, String)> =
            headers.iter().map(|(k, v)| (k.clone(), v.replace("https://api.github.com", &server.uri()))).collect();
        let recorded_path = recorded_path.split('?').next().unwrap();
        let mut mock = Mock::given(method("GET")).and(path(recorded_path));
        if i > 0 {
            mock = mock.and(query_param("page", (i + 1).to_string()));
        }
        mock.respond_with(replay(*status, &headers, body)).expect(1).mount(&server).await;
    }
    let client = db.client("acme").await;
    let settings = GithubSettings::new(RepoName::parse(PAGINATE_REPO).unwrap());
    let (_, connector, _) = github(&client, &server.uri(), settings).await;
    let summary = Sync::new(&client, &connector).stream(stream::INCIDENTS).execute().await.unwrap();
    assert_eq!((summary.pages, summary.items, summary.usage.requests), (5, 13, 5));
    assert_eq!(client.count::<RawPayload>().await.unwrap(), 13);
    // None of the recorded issues carries the incident label.
    assert_eq!(client.count::<Incident>().await.unwrap(), 0);
    let cursor = client.get::<SyncCursor>(&(connector.integration(), stream::INCIDENTS.to_owned())).await.unwrap();
    let cursor = cursor.unwrap().cursor;
    assert_eq!(cursor["hwm"], "2022-07-19T04:39:16Z", "{cursor}");
    assert!(cursor.get("pass").is_none(), "the pass is finished: {cursor}");
}

async fn not_modified_costs_nothing_and_changes_nothing(db: TestDb) {
    let server = MockServer::start().await;
    let (_, _, headers, body) = octokit("get-repository").into_iter().next().unwrap();
    let etag = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("etag")).unwrap().1.clone();
    let (status, not_modified_headers, _) = pygithub("ConditionalRequestUpdate.testDidNotUpdate", 0);
    assert_eq!(status, 304);
    Mock::given(method("GET"))
        .and(path("/repos/octokit-fixture-org/hello-world"))
        .and(header("if-none-match", etag.as_str()))
        .respond_with(replay(304, &not_modified_headers, ""))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octokit-fixture-org/hello-world"))
        .respond_with(replay(200, &headers, &body))
        .expect(1)
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let settings = GithubSettings::new(RepoName::parse("octokit-fixture-org/hello-world").unwrap());
    let (_, connector, _) = github(&client, &server.uri(), settings).await;
    let first = Sync::new(&client, &connector).stream(stream::REPOSITORY).execute().await.unwrap();
    assert_eq!((first.usage.requests, first.usage.not_modified), (1, 0));
    let repos = client.list::<Repository>().await.unwrap();
    assert_eq!(repos.len(), 1);
    assert_eq!(repos[0].default_branch, "master");
    let second = Sync::new(&client, &connector).stream(stream::REPOSITORY).execute().await.unwrap();
    assert_eq!((second.usage.requests, second.usage.not_modified, second.items), (1, 1, 0));
    assert_eq!(client.count::<RawPayload>().await.unwrap(), 1);
}

/// A repository endpoint answering `responses` in order, then the recorded repository.
async fn repository_server(responses: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    for (i, response) in responses.into_iter().enumerate() {
        Mock::given(method("GET"))
            .and(path("/repos/octokit-fixture-org/hello-world"))
            .respond_with(response)
            .up_to_n_times(1)
            .with_priority(1 + i as u8)
            .mount(&server)
            .await;
    }
    let (_, _, headers, body) = octokit("get-repository").into_iter().next().unwrap();
    Mock::given(method("GET"))
        .and(path("/repos/octokit-fixture-org/hello-world"))
        .respond_with(replay(200, &headers, &body))
        .with_priority(50)
        .mount(&server)
        .await;
    server
}

async fn sync_repository(
    client: &ClientStore,
    server: &MockServer,
) -> (pulse_connectors::Result<pulse_connectors::SyncSummary>, std::sync::Arc<RecordingSleeper>) {
    let settings = GithubSettings::new(RepoName::parse("octokit-fixture-org/hello-world").unwrap());
    let (_, connector, sleeper) = github(client, &server.uri(), settings).await;
    (Sync::new(client, &connector).stream(stream::REPOSITORY).execute().await, sleeper)
}

async fn secondary_rate_limit_waits_for_retry_after(db: TestDb) {
    let (status, headers, body) = pygithub("SpecificExceptions.testAuthenticatedRateLimitExceeded", 1);
    assert_eq!(status, 403);
    let server = repository_server(vec![replay(status, &headers, &body)]).await;
    let client = db.client("acme").await;
    let (summary, sleeper) = sync_repository(&client, &server).await;
    let summary = summary.unwrap();
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(60)]);
    assert_eq!((summary.usage.requests, summary.usage.rate_limit_waits, summary.usage.waited_ms), (2, 1, 60_000));
    assert_eq!(client.count::<Repository>().await.unwrap(), 1);
}

async fn primary_rate_limit_waits_then_succeeds(db: TestDb) {
    let (status, headers, body) = pygithub("SpecificExceptions.testRateLimitExceeded", 1);
    assert_eq!(status, 403);
    let server = repository_server(vec![replay(status, &headers, &body)]).await;
    let client = db.client("acme").await;
    let (summary, sleeper) = sync_repository(&client, &server).await;
    summary.unwrap();
    // The recording has no reset time: GitHub's advice is to wait a minute.
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(60)]);
    assert_eq!(client.count::<Repository>().await.unwrap(), 1);
}

async fn a_spent_quota_blocks_the_host_until_its_reset(db: TestDb) {
    // GitHub says `remaining: 0` on the last request it serves; the next one must wait
    // for the reset instead of collecting a 403.
    let server = MockServer::start().await;
    let reset = chrono::Utc::now().timestamp() + 120;
    let commits = fixture_json("pygithub/Repository.testGetCommits.json");
    let page = |i: usize| commits[i]["response"]["body"].to_string();
    Mock::given(method("GET"))
        .and(path("/repos/PyGithub/PyGithub/commits"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page(1), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let next = format!("<{}/repos/PyGithub/PyGithub/commits?per_page=100&page=2>; rel=\"next\"", server.uri());
    Mock::given(method("GET"))
        .and(path("/repos/PyGithub/PyGithub/commits"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .insert_header("link", next.as_str())
                .set_body_raw(page(0), "application/json"),
        )
        .with_priority(10)
        .expect(1)
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let (_, connector, sleeper) =
        github(&client, &server.uri(), GithubSettings::new(RepoName::parse("PyGithub/PyGithub").unwrap())).await;
    let summary = Sync::new(&client, &connector).stream(stream::COMMITS).execute().await.unwrap();
    assert_eq!(summary.pages, 2);
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert!((110..=121).contains(&waits[0].as_secs()), "{waits:?}");
    let recorded = commits[0]["response"]["body"].as_array().unwrap().len()
        + commits[1]["response"]["body"].as_array().unwrap().len();
    assert_eq!(client.count::<pulse_core::model::Commit>().await.unwrap() as usize, recorded);
}

async fn a_wait_beyond_the_limit_fails_as_rate_limited_and_writes_nothing(db: TestDb) {
    let reset = chrono::Utc::now().timestamp() + 2 * 3600;
    let limited = ResponseTemplate::new(403)
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", reset.to_string().as_str())
        .set_body_raw(r#"{"message":"API rate limit exceeded"}"#, "application/json");
    let server = repository_server(vec![limited]).await;
    let client = db.client("acme").await;
    let (result, sleeper) = sync_repository(&client, &server).await;
    match result {
        Err(Error::RateLimited { until, .. }) => assert_eq!(until.timestamp(), reset),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(sleeper.waits().is_empty());
    nothing_written(&client).await;
}

async fn absurd_retry_after_values_fail_cleanly_and_write_nothing(db: TestDb) {
    // Far beyond any date (u64::MAX seconds), on a rate limit and on a server error.
    for status in [429, 503] {
        let answer = ResponseTemplate::new(status)
            .insert_header("retry-after", u64::MAX.to_string().as_str())
            .set_body_raw(r#"{"message":"come back much later"}"#, "application/json");
        let server = repository_server(vec![answer]).await;
        let client = db.client(&format!("acme-{status}")).await;
        let (result, sleeper) = sync_repository(&client, &server).await;
        match (status, result) {
            (429, Err(Error::RateLimited { .. })) | (503, Err(Error::Status { status: 503, .. })) => {}
            (_, other) => panic!("{status}: expected a typed error, got {other:?}"),
        }
        assert!(sleeper.waits().is_empty(), "{status}: waited {:?}", sleeper.waits());
        nothing_written(&client).await;
    }
}

async fn server_errors_are_retried_with_growing_backoff(db: TestDb) {
    let (status, headers, body) = pygithub("Exceptions.testNonJsonDataReturnedByGithub", 0);
    assert_eq!(status, 503);
    let server = repository_server(vec![replay(status, &headers, &body), replay(status, &headers, &body)]).await;
    let client = db.client("acme").await;
    let (summary, sleeper) = sync_repository(&client, &server).await;
    let summary = summary.unwrap();
    assert_eq!((summary.usage.requests, summary.usage.retries), (3, 2));
    let waits = sleeper.waits();
    // Base 10 ms, doubled per retry, half of it jitter.
    assert!(waits[0] >= Duration::from_millis(5) && waits[0] <= Duration::from_millis(10), "{waits:?}");
    assert!(waits[1] >= Duration::from_millis(10) && waits[1] <= Duration::from_millis(20), "{waits:?}");
    assert_eq!(client.count::<Repository>().await.unwrap(), 1);
}

async fn persistent_html_errors_fail_with_the_page_text_and_write_nothing(db: TestDb) {
    let (status, headers, body) = pygithub("Exceptions.testNonJsonDataReturnedByGithub", 0);
    let server = repository_server((0..4).map(|_| replay(status, &headers, &body)).collect()).await;
    let client = db.client("acme").await;
    let (result, _) = sync_repository(&client, &server).await;
    let err = result.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Status { status: 503, .. }), "{err:?}");
    assert!(text.contains("HTML error page: 503 Service Unavailable No server is available"), "{text}");
    assert!(text.contains("GET /repos/octokit-fixture-org/hello-world"), "{text}");
    nothing_written(&client).await;
}

async fn timeouts_are_retried(db: TestDb) {
    let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(3));
    let server = repository_server(vec![slow]).await;
    let client = db.client("acme").await;
    let (summary, _) = sync_repository(&client, &server).await;
    let summary = summary.unwrap();
    assert_eq!(summary.usage.retries, 1);
    assert_eq!(client.count::<Repository>().await.unwrap(), 1);
}

async fn persistent_timeouts_fail_and_write_nothing(db: TestDb) {
    let slow = || ResponseTemplate::new(200).set_delay(Duration::from_secs(3));
    let server = repository_server((0..4).map(|_| slow()).collect()).await;
    let client = db.client("acme").await;
    let (result, _) = sync_repository(&client, &server).await;
    assert!(matches!(result, Err(Error::Timeout { attempts: 4, .. })), "{result:?}");
    nothing_written(&client).await;
}

async fn truncated_and_malformed_bodies_fail_and_write_nothing(db: TestDb) {
    let (_, _, headers, body) = octokit("get-repository").into_iter().next().unwrap();
    let client = db.client("acme").await;
    for (bad, expected) in [
        (body[..body.len() / 2].to_owned(), "truncated"),
        ("{\"id\": 1, \"name\": }".to_owned(), "not the documented JSON"),
        ("<!DOCTYPE html><html><head><title>Unicorn!</title></head></html>".to_owned(), "HTML page: Unicorn!"),
    ] {
        let server = repository_server(vec![replay(200, &headers, &bad)]).await;
        let (result, _) = sync_repository(&client, &server).await;
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
        assert!(err.to_string().contains(expected), "{err}");
        assert!(err.to_string().contains("GET /repos/octokit-fixture-org/hello-world"), "{err}");
        nothing_written(&client).await;
    }
}

async fn bad_credentials_are_reported_without_the_token(db: TestDb) {
    let (status, headers, body) = pygithub("Exceptions.testBadAuthentication", 0);
    let server = repository_server(vec![replay(status, &headers, &body)]).await;
    let client = db.client("acme").await;
    let (result, _) = sync_repository(&client, &server).await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Status { status: 401, .. }), "{err:?}");
    assert_eq!(err.to_string(), "GET /repos/octokit-fixture-org/hello-world: HTTP 401: Bad credentials");
    assert!(!format!("{err:?}").contains(TOKEN));
    // The token was sent as a bearer token, and only in the header.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].headers["authorization"], format!("Bearer {TOKEN}").as_str());
    assert!(!requests[0].url.as_str().contains(TOKEN));
    nothing_written(&client).await;
}

async fn links_to_other_hosts_are_not_followed(db: TestDb) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/PyGithub/PyGithub/commits"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", "<https://attacker.example/steal?page=2>; rel=\"next\"")
                .set_body_raw("[]", "application/json"),
        )
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let (_, connector, _) =
        github(&client, &server.uri(), GithubSettings::new(RepoName::parse("PyGithub/PyGithub").unwrap())).await;
    let err = Sync::new(&client, &connector).stream(stream::COMMITS).execute().await.unwrap_err();
    assert!(err.to_string().contains("refusing to follow a link to another host (attacker.example)"), "{err}");
    // The first page landed with its cursor; the second was never requested.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_of_one_host_share_its_pace() {
    use pulse_connectors::http::{HostLimiter, Http, HttpConfig, Request};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .mount(&server)
        .await;
    // Two requests per second per host, shared by two clients (two integrations).
    let limiter = std::sync::Arc::new(HostLimiter::new(2));
    let config = HttpConfig { requests_per_second: 2, ..http_config() };
    let client = |_| Http::builder(server.uri()).config(config.clone()).limiter(limiter.clone()).build().unwrap();
    let (a, b): (Http, Http) = (client(0), client(1));
    let started = std::time::Instant::now();
    for i in 0..6 {
        let http = if i % 2 == 0 { &a } else { &b };
        http.send(Request::get("x")).await.unwrap();
    }
    // A burst of 2, then one every 500 ms: the sixth request cannot start before 2 s.
    assert!(started.elapsed() >= Duration::from_millis(1900), "{:?}", started.elapsed());
    assert_eq!(a.usage().snapshot().requests + b.usage().snapshot().requests, 6);
}

on_both_backends!(
    link_pagination_follows_next_across_pages,
    not_modified_costs_nothing_and_changes_nothing,
    secondary_rate_limit_waits_for_retry_after,
    primary_rate_limit_waits_then_succeeds,
    a_spent_quota_blocks_the_host_until_its_reset,
    a_wait_beyond_the_limit_fails_as_rate_limited_and_writes_nothing,
    absurd_retry_after_values_fail_cleanly_and_write_nothing,
    server_errors_are_retried_with_growing_backoff,
    persistent_html_errors_fail_with_the_page_text_and_write_nothing,
    timeouts_are_retried,
    persistent_timeouts_fail_and_write_nothing,
    truncated_and_malformed_bodies_fail_and_write_nothing,
    bad_credentials_are_reported_without_the_token,
    links_to_other_hosts_are_not_followed,
);
