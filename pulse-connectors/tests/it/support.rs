//! Test support: a fresh database per test on either backend, fixture readers, and an
//! HTTP setup with instant (recorded) waits.
//!
//! The database helpers are `pulse_core::testing`: PostgreSQL tests need
//! `PULSE_TEST_PG_URL` (an ordinary role with CREATEDB) and are skipped without it,
//! unless `PULSE_REQUIRE_ALL_BACKENDS=1`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pulse_connectors::github::{GithubConnector, GithubSettings};
use pulse_connectors::http::{HttpConfig, Secret, Sleeper};
use pulse_connectors::jira::{JiraConnector, JiraSettings};
use pulse_connectors::{SecretKey, integration};
use pulse_core::ClientStore;
use pulse_core::model::Integration;

pub use pulse_core::on_both_backends;
pub use pulse_core::testing::TestDb;

// ------------------------------------------------------------------ fixtures

pub fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

pub fn fixture_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes) as maps by header.
pub fn csv(path: &str) -> Vec<HashMap<String, String>> {
    let text = fixture(path);
    let mut records: Vec<Vec<String>> = Vec::new();
    let (mut field, mut record) = (String::new(), Vec::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    let header = records.remove(0);
    records
        .into_iter()
        .filter(|r| r.len() > 1)
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{path}: ragged row");
            header.iter().cloned().zip(r).collect()
        })
        .collect()
}

/// One row of a DevLake raw table: one API item with the request it came from.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub connection: i64,
    pub data: String,
    pub url: String,
    pub input: serde_json::Value,
}

pub fn devlake_raw(path: &str) -> Vec<RawRow> {
    csv(path)
        .into_iter()
        .map(|r| {
            let params: serde_json::Value = serde_json::from_str(&r["params"]).unwrap();
            RawRow {
                connection: params["ConnectionId"].as_i64().unwrap(),
                data: r["data"].clone(),
                url: r["url"].clone(),
                input: serde_json::from_str(&r["input"]).unwrap_or(serde_json::Value::Null),
            }
        })
        .collect()
}

/// DevLake's rows of one connection grouped into the response pages they came from
/// (by request URL, in row order).
pub fn devlake_pages(path: &str, connection: i64) -> Vec<(String, Vec<RawRow>)> {
    let mut pages: Vec<(String, Vec<RawRow>)> = Vec::new();
    for row in devlake_raw(path).into_iter().filter(|r| r.connection == connection) {
        match pages.iter_mut().find(|(url, _)| *url == row.url) {
            Some((_, rows)) => rows.push(row),
            None => pages.push((row.url.clone(), vec![row])),
        }
    }
    pages
}

/// A JSON array of the rows' verbatim items.
pub fn json_array(rows: &[RawRow]) -> String {
    format!("[{}]", rows.iter().map(|r| r.data.as_str()).collect::<Vec<_>>().join(","))
}

/// DevLake's snapshot timestamps (`2019-08-20T09:05:02.000+00:00`) as UTC.
pub fn devlake_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if text.is_empty() {
        return None;
    }
    Some(chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}")).to_utc())
}

// ------------------------------------------------------------------ HTTP

/// Records the waits the HTTP layer asks for, and waits not at all.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    pub slept: Mutex<Vec<Duration>>,
}

#[async_trait::async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        self.slept.lock().unwrap().push(duration);
        tokio::task::yield_now().await;
    }
}

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.slept.lock().unwrap().clone()
    }
}

pub fn http_config() -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_millis(1500),
        connect_timeout: Duration::from_secs(2),
        max_retries: 3,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(100),
        max_wait: Duration::from_secs(3600),
        max_rate_limit_waits: 4,
        requests_per_second: 10_000,
        ..HttpConfig::default()
    }
}

pub const TOKEN: &str = "ghp_test_token_that_must_never_be_printed";

pub fn key() -> SecretKey {
    SecretKey::from_hex(&"ab".repeat(32), "test").unwrap()
}

/// A stored GitHub integration pointing at `base` and its connector.
pub async fn github(
    client: &ClientStore,
    base: &str,
    settings: GithubSettings,
) -> (Integration, GithubConnector, Arc<RecordingSleeper>) {
    let integration = integration::add_github(client, &key(), base, &settings, TOKEN).await.expect("add github");
    let sleeper = Arc::new(RecordingSleeper::default());
    let http = pulse_connectors::github::http(base, Secret::new(TOKEN))
        .config(http_config())
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    let connector = GithubConnector::new(integration.id, settings, http).unwrap();
    (integration, connector, sleeper)
}

/// A stored Jira integration pointing at `site` and its connector.
pub async fn jira(
    client: &ClientStore,
    site: &str,
    settings: JiraSettings,
) -> (Integration, JiraConnector, Arc<RecordingSleeper>) {
    let integration = integration::add_jira(client, &key(), site, &settings, TOKEN).await.expect("add jira");
    let sleeper = Arc::new(RecordingSleeper::default());
    let http = pulse_connectors::jira::http(site, &settings.email, Secret::new(TOKEN))
        .config(http_config())
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    (integration.clone(), JiraConnector::new(integration.id, settings, http), sleeper)
}

/// `(status, headers, body)` of a PyGithub replay record.
pub fn pygithub(name: &str, index: usize) -> (u16, Vec<(String, String)>, String) {
    let records = fixture_json(&format!("pygithub/{name}.json"));
    let record = &records[index]["response"];
    let headers = record["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned()))
        .collect();
    let body = match &record["body"] {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    (record["status"].as_u64().unwrap() as u16, headers, body)
}

/// A wiremock response replaying a recorded status, headers (minus those that describe
/// the original transfer) and body.
pub fn replay(status: u16, headers: &[(String, String)], body: &str) -> wiremock::ResponseTemplate {
    let mut template = wiremock::ResponseTemplate::new(status);
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if ["content-length", "content-encoding", "transfer-encoding", "connection", "status", "content-type"]
            .contains(&lower.as_str())
        {
            continue;
        }
        template = template.append_header(name.as_str(), value.as_str());
    }
    template.set_body_raw(body.as_bytes().to_vec(), "application/json; charset=utf-8")
}
