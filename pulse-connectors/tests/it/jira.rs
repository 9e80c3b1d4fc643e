//! The Jira connector on DevLake's real Jira Cloud items (merico.atlassian.net, project
//! EE) and Atlassian's OpenAPI examples, compared field by field with DevLake's
//! extraction: issues, status transitions, incidents; search/jql paging, full changelogs,
//! the user's time zone in incremental JQL, 429s.
//!
//! DevLake fetched issues through the agile board endpoint; the items are the same
//! issue objects `/rest/api/3/search/jql` returns, so they are served from there in pages
//! of ten with `nextPageToken`s (the paging is the test's; the items are recorded).

use std::collections::HashMap;
use std::time::Duration;

use pulse_connectors::jira::{JiraSettings, stream};
use pulse_connectors::{Connector, Error, Sync};
use pulse_core::ids::{IssueKey, JiraProjectKey};
use pulse_core::model::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const RAW: &str = "devlake/jira/raw";
const SNAP: &str = "devlake/jira/snapshot";
const PAGE: usize = 10;

fn settings() -> JiraSettings {
    JiraSettings::new(JiraProjectKey::parse("EE").unwrap(), "bot@example.com")
}

/// DevLake's connection-2 issues of project EE.
fn issues() -> Vec<Value> {
    devlake_raw(&format!("{RAW}/_raw_jira_api_issues.csv"))
        .into_iter()
        .filter(|r| r.connection == 2)
        .map(|r| serde_json::from_str(&r.data).unwrap())
        .collect()
}

/// The statuses DevLake's changelog conversion knew (the recorded `/status` items, and
/// the status table its test was seeded with, in `/status` shape: id, name, category).
fn statuses() -> Vec<Value> {
    let mut statuses: Vec<Value> = devlake_raw(&format!("{RAW}/_raw_jira_api_status.csv"))
        .into_iter()
        .map(|r| serde_json::from_str(&r.data).unwrap())
        .collect();
    for row in csv(&format!("{SNAP}/_tool_jira_statuses_for_changelog.csv")) {
        statuses.retain(|s| s["id"] != row["id"].as_str());
        statuses.push(json!({"id": row["id"], "name": row["name"], "statusCategory": {"key": row["status_category"]}}));
    }
    statuses
}

async fn mount_statuses(server: &MockServer) {
    let statuses = statuses();
    Mock::given(method("GET"))
        .and(path("/rest/api/3/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(statuses)))
        .mount(server)
        .await;
}

/// Serves `issues` from search/jql, `PAGE` per page, chained by `nextPageToken`.
async fn mount_search(server: &MockServer, issues: &[Value]) {
    let pages: Vec<&[Value]> = issues.chunks(PAGE).collect();
    for (i, page) in pages.iter().enumerate() {
        let mut body = json!({"issues": page, "isLast": i + 1 == pages.len()});
        if i + 1 < pages.len() {
            body["nextPageToken"] = json!(format!("token-{}", i + 1));
        }
        let mut mock = Mock::given(method("GET")).and(path("/rest/api/3/search/jql"));
        mock = if i == 0 {
            mock.and(query_param_is_missing("nextPageToken"))
        } else {
            mock.and(query_param("nextPageToken", format!("token-{i}")))
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body)).mount(server).await;
    }
}

/// DevLake issue id → key.
fn keys_by_id() -> HashMap<String, String> {
    csv(&format!("{SNAP}/_tool_jira_issues.csv"))
        .into_iter()
        .map(|r| (r["issue_id"].clone(), r["issue_key"].clone()))
        .collect()
}

fn category(std: &str) -> Option<StatusCategory> {
    match std {
        "TODO" => Some(StatusCategory::ToDo),
        "IN_PROGRESS" => Some(StatusCategory::InProgress),
        "DONE" => Some(StatusCategory::Done),
        _ => None,
    }
}

/// DevLake's status transitions (changelog items of field `status`) of `keys`.
fn expected_transitions(keys: &[&str]) -> Vec<HashMap<String, String>> {
    let by_id = keys_by_id();
    csv(&format!("{SNAP}/issue_changelogs.csv"))
        .into_iter()
        .filter(|r| r["field_id"] == "status")
        .filter(|r| {
            let id = r["issue_id"].rsplit(':').next().unwrap();
            keys.contains(&by_id[id].as_str())
        })
        .collect()
}

async fn check_transitions(client: &pulse_core::ClientStore, expected: &[HashMap<String, String>]) {
    let by_id = keys_by_id();
    for row in expected {
        let key = IssueKey::parse(&by_id[row["issue_id"].rsplit(':').next().unwrap()]).unwrap();
        let history = row["id"].split(':').nth(3).unwrap().to_owned();
        let t = client.get::<JiraTransition>(&(key.clone(), history.clone())).await.unwrap();
        let t = t.unwrap_or_else(|| panic!("no transition {key} {history}"));
        let original = |v: &str| if v.is_empty() { None } else { Some(v.to_owned()) };
        assert_eq!(t.from_status, original(&row["original_from_value"]), "{key} {history}");
        assert_eq!(t.to_status, row["original_to_value"], "{key} {history}");
        assert_eq!(Some(t.at), devlake_time(&row["created_date"]), "{key} {history}");
        // DevLake standardises through its own type mappings where configured and leaves
        // the value empty elsewhere; where it used the status category, so does Pulse.
        if let Some(from) = category(&row["from_value"]) {
            assert_eq!(t.from_category, Some(from), "{key} {history}");
        }
        if let Some(to) = category(&row["to_value"]) {
            assert_eq!(t.to_category, Some(to), "{key} {history}");
        }
    }
}

async fn issues_and_transitions_match_devlake_field_by_field(db: TestDb) {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    let issues = issues();
    assert_eq!(issues.len(), 30);
    mount_search(&server, &issues).await;
    let client = db.client("acme").await;
    let (_, connector, _) = jira(&client, &server.uri(), settings()).await;
    let summary =
        Sync::new(&client, &connector).stream(stream::STATUSES).stream(stream::ISSUES).execute().await.unwrap();
    assert_eq!((summary.pages, summary.usage.requests), (1 + 3, 1 + 3));

    let snapshot = csv(&format!("{SNAP}/_tool_jira_issues.csv"));
    assert_eq!(client.count::<JiraIssue>().await.unwrap() as usize, snapshot.len());
    for row in &snapshot {
        let issue = client.get::<JiraIssue>(&IssueKey::parse(&row["issue_key"]).unwrap()).await.unwrap().unwrap();
        let ctx = &row["issue_key"];
        assert_eq!(issue.project.as_str(), "EE");
        assert_eq!(issue.issue_type, row["type"], "{ctx}");
        assert_eq!(issue.status, row["status_name"], "{ctx}");
        assert_eq!(issue.status_category, StatusCategory::from_jira(&row["status_key"]).ok(), "{ctx}");
        assert_eq!(Some(issue.created_at), devlake_time(&row["created"]), "{ctx}");
        assert_eq!(issue.resolved_at, devlake_time(&row["resolution_date"]), "{ctx}");
        assert_eq!(issue.source, RecordSource::Jira);
    }
    let keys: Vec<&str> = snapshot.iter().map(|r| r["issue_key"].as_str()).collect();
    let expected = expected_transitions(&keys);
    assert!(expected.len() > 50, "{}", expected.len());
    assert_eq!(client.count::<JiraTransition>().await.unwrap() as usize, expected.len());
    check_transitions(&client, &expected).await;
    // The cursor learned the user's zone from Jira's own timestamps (+0800).
    let cursor = client.get::<SyncCursor>(&(connector.integration(), stream::ISSUES.to_owned())).await.unwrap();
    assert_eq!(cursor.unwrap().cursor["offset_seconds"], 8 * 3600);
}

async fn truncated_changelogs_are_fetched_in_full(db: TestDb) {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    let mut issue = issues().into_iter().find(|i| i["key"] == "EE-1").unwrap();
    let histories = issue["changelog"]["histories"].as_array().unwrap().clone();
    assert_eq!(histories.len(), 25);
    // What search/jql does to a long changelog: a few entries, the true total.
    issue["changelog"]["histories"] = json!(histories[..5]);
    issue["changelog"]["maxResults"] = json!(5);
    mount_search(&server, &[issue]).await;
    for (i, page) in histories.chunks(10).enumerate() {
        let body = json!({"startAt": i * 10, "maxResults": 10, "total": 25, "isLast": i == 2, "values": page});
        Mock::given(method("GET"))
            .and(path("/rest/api/3/issue/EE-1/changelog"))
            .and(query_param("startAt", (i * 10).to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = db.client("acme").await;
    let (_, connector, _) = jira(&client, &server.uri(), settings()).await;
    Sync::new(&client, &connector).stream(stream::STATUSES).stream(stream::ISSUES).execute().await.unwrap();
    let expected = expected_transitions(&["EE-1"]);
    assert!(!expected.is_empty());
    assert_eq!(client.count::<JiraTransition>().await.unwrap() as usize, expected.len());
    check_transitions(&client, &expected).await;
}

async fn incremental_jql_is_written_in_the_users_time_zone(db: TestDb) {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    mount_search(&server, &issues()).await;
    let client = db.client("acme").await;
    let (_, connector, _) = jira(&client, &server.uri(), settings()).await;
    let started = chrono::Utc::now();
    Sync::new(&client, &connector).stream(stream::ISSUES).execute().await.unwrap();
    Sync::new(&client, &connector).stream(stream::ISSUES).execute().await.unwrap();
    let jqls: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/rest/api/3/search/jql" && !r.url.query().unwrap_or("").contains("nextPageToken"))
        .map(|r| r.url.query_pairs().find(|(k, _)| k == "jql").unwrap().1.into_owned())
        .collect();
    assert_eq!(jqls.len(), 2);
    assert_eq!(jqls[0], "project = \"EE\" ORDER BY created ASC, key ASC");
    // The second pass asks for what changed since the first began, an hour early, as
    // wall-clock time in the user's zone (UTC+8, learned from Jira's timestamps).
    let bound = jqls[1].split('"').nth(3).unwrap();
    let local = chrono::NaiveDateTime::parse_from_str(bound, "%Y/%m/%d %H:%M").unwrap();
    let utc = local.and_utc() - chrono::Duration::hours(8);
    let expected = started - chrono::Duration::hours(1);
    assert!((utc - expected).num_seconds().abs() <= 120, "{} vs {expected}", jqls[1]);
    assert!(jqls[1].starts_with("project = \"EE\" AND updated >= \""), "{}", jqls[1]);
}

async fn too_many_requests_waits_for_retry_after(db: TestDb) {
    let server = MockServer::start().await;
    // No real 429 recording exists; this is the response Atlassian documents.
    Mock::given(method("GET"))
        .and(path("/rest/api/3/status"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .insert_header("x-ratelimit-limit", "100")
                .set_body_raw(r#"{"errorMessages":["Rate limit exceeded."]}"#, "application/json"),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_statuses(&server).await;
    let client = db.client("acme").await;
    let (_, connector, sleeper) = jira(&client, &server.uri(), settings()).await;
    let summary = Sync::new(&client, &connector).stream(stream::STATUSES).execute().await.unwrap();
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(7), Duration::from_secs(7)]);
    assert_eq!((summary.usage.requests, summary.usage.rate_limit_waits), (3, 2));
    assert_eq!(client.count::<RawPayload>().await.unwrap() as usize, statuses().len());
}

async fn projects_and_incidents(db: TestDb) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/project/search"))
        .and(query_param("keys", "EX"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("openapi/jira/project_search_GET.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let (_, connector, _) =
        jira(&client, &server.uri(), JiraSettings::new(JiraProjectKey::parse("EX").unwrap(), "a@b.c")).await;
    Sync::new(&client, &connector).stream(stream::PROJECT).execute().await.unwrap();
    let projects = client.list::<JiraProject>().await.unwrap();
    assert_eq!(projects.len(), 1, "only the configured project of the example's two");
    assert_eq!((projects[0].key.as_str(), projects[0].name.as_deref()), ("EX", Some("Example")));

    // Incidents by issue type: DevLake's bug type (缺陷) stands in for "Incident".
    mount_statuses(&server).await;
    mount_search(&server, &issues()).await;
    let mut settings = settings();
    settings.incident_types = vec!["缺陷".into()];
    let (_, connector, _) = jira(&client, &server.uri(), settings).await;
    Sync::new(&client, &connector).stream(stream::ISSUES).execute().await.unwrap();
    let incidents = client.list::<Incident>().await.unwrap();
    let bugs: Vec<_> =
        csv(&format!("{SNAP}/_tool_jira_issues.csv")).into_iter().filter(|r| r["type"] == "缺陷").collect();
    assert_eq!(incidents.len(), bugs.len());
    for row in bugs {
        let incident = incidents.iter().find(|i| i.id == format!("jira:{}", row["issue_key"])).unwrap();
        assert_eq!(Some(incident.created_at), devlake_time(&row["created"]));
        assert_eq!(incident.resolved_at, devlake_time(&row["resolution_date"]));
        assert_eq!(incident.title.as_deref(), Some(row["summary"].as_str()));
        assert_eq!(incident.source, RecordSource::Jira);
    }
}

async fn an_issue_without_the_documented_fields_fails_the_page(db: TestDb) {
    // Atlassian's own example of a search/jql response has no status or creation time.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("openapi/jira/search_jql_GET.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let (_, connector, _) = jira(&client, &server.uri(), settings()).await;
    let err = Sync::new(&client, &connector).stream(stream::ISSUES).execute().await.unwrap_err();
    assert!(matches!(err, Error::Extract { .. }), "{err:?}");
    assert_eq!(err.to_string(), "raw payload issues/ED-1: the issue has no status");
    assert_eq!(client.count::<RawPayload>().await.unwrap(), 0);
    assert_eq!(client.count::<SyncCursor>().await.unwrap(), 0);
}

async fn dev_status_links_issues_to_pull_requests(db: TestDb) {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    let mut issue = issues().into_iter().find(|i| i["key"] == "EE-2").unwrap();
    // The "Development" field's summary, as Jira Cloud renders it.
    issue["fields"]["customfield_10000"] =
        json!("{pullrequest={dataType=pullrequest, state=MERGED, stateCount=2}, json={\"cachedValue\":{}}}");
    mount_search(&server, &[issue]).await;
    // No recording of the pull-request panel exists; this follows its documented shape.
    Mock::given(method("GET"))
        .and(path("/rest/dev-status/latest/issue/detail"))
        .and(query_param("issueId", "10064"))
        .and(query_param("dataType", "pullrequest"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"errors": [], "detail": [{"pullRequests": [
            {"id": "#12", "name": "EE-2 fix", "url": "https://github.com/acme/api/pull/12", "status": "MERGED"},
            {"id": "#7", "name": "EE-2 docs", "url": "https://github.com/acme/web/pull/7", "status": "OPEN"}
        ], "branches": [], "repositories": []}]})))
        .expect(1)
        .mount(&server)
        .await;
    let client = db.client("acme").await;
    let mut settings = settings();
    settings.development_field = Some("customfield_10000".into());
    let (_, connector, _) = jira(&client, &server.uri(), settings).await;
    Sync::new(&client, &connector).stream(stream::ISSUES).execute().await.unwrap();
    let links = client.list::<IssuePrLink>().await.unwrap();
    let got: Vec<(String, String, i64, LinkOrigin)> =
        links.iter().map(|l| (l.issue.to_string(), l.repo.to_string(), l.pr, l.origin)).collect();
    assert_eq!(
        got,
        vec![
            ("EE-2".into(), "acme/api".into(), 12, LinkOrigin::DevStatus),
            ("EE-2".into(), "acme/web".into(), 7, LinkOrigin::DevStatus)
        ]
    );
}

async fn reextraction_reads_statuses_before_changelogs(db: TestDb) {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    mount_search(&server, &issues()).await;
    let client = db.client("acme").await;
    let (integration, connector, _) = jira(&client, &server.uri(), settings()).await;
    Sync::new(&client, &connector).stream(stream::STATUSES).stream(stream::ISSUES).execute().await.unwrap();
    let before = client.list::<JiraTransition>().await.unwrap();
    let mut damaged = before.clone();
    for t in &mut damaged {
        (t.to_category, t.from_category, t.to_status) = (None, None, "?".into());
    }
    client.upsert(&damaged).await.unwrap();
    // A fresh connector knows no statuses until it reads the landed ones, first.
    let http =
        pulse_connectors::jira::http(&server.uri(), "bot@example.com", pulse_connectors::http::Secret::new(TOKEN))
            .build()
            .unwrap();
    let fresh = pulse_connectors::jira::JiraConnector::new(integration.id, settings(), http);
    let requests = server.received_requests().await.unwrap().len();
    pulse_connectors::reextract(&client, &fresh).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), requests, "re-extraction fetched");
    assert_eq!(client.list::<JiraTransition>().await.unwrap(), before);
}

async fn a_stale_page_token_restarts_the_pass(db: TestDb) {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .and(query_param("nextPageToken", "token-1"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"{"errorMessages":["The provided next page token is invalid or expired."],"errors":{}}"#,
            "application/json",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_search(&server, &issues()).await;
    let client = db.client("acme").await;
    let (_, connector, _) = jira(&client, &server.uri(), settings()).await;
    // The job stopped after the first page; when it resumes, the token has expired.
    Sync::new(&client, &connector).stream(stream::ISSUES).max_pages(1).execute().await.unwrap();
    let summary = Sync::new(&client, &connector).stream(stream::ISSUES).execute().await.unwrap();
    assert_eq!(summary.pages, 3, "restarted: all three pages again");
    assert_eq!(client.count::<JiraIssue>().await.unwrap(), 30);
}

on_both_backends!(
    a_stale_page_token_restarts_the_pass,
    reextraction_reads_statuses_before_changelogs,
    issues_and_transitions_match_devlake_field_by_field,
    truncated_changelogs_are_fetched_in_full,
    incremental_jql_is_written_in_the_users_time_zone,
    too_many_requests_waits_for_retry_after,
    projects_and_incidents,
    an_issue_without_the_documented_fields_fails_the_page,
    dev_status_links_issues_to_pull_requests,
);
