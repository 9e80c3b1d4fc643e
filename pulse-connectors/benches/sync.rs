//! Sync benchmark: a synthetic organisation served by a generated GitHub (the shapes of
//! the recorded responses, see `tests/it/fake_github.rs`), synced into SQLite.
//!
//! 1. API economy: 1,000 merged PRs (3 reviews with a review comment each, 4 commits
//!    each) plus the default branch, deployments, releases and incident issues; prints
//!    requests per 1,000 PRs for a first sync and for an incremental one.
//! 2. Memory: 100,000 PRs synced in a child process; prints its peak RSS.
//!
//! `cargo bench -p pulse-connectors --bench sync` (`-- --small` skips the 100k run).

#[path = "../tests/it/fake_github.rs"]
#[allow(dead_code)]
mod fake_github;

use std::process::Command;
use std::time::Instant;

use fake_github::{FakeConfig, FakeGithub};
use pulse_connectors::github::{GithubConnector, GithubSettings};
use pulse_connectors::http::Secret;
use pulse_connectors::{SecretKey, Sync, integration};
use pulse_core::Store;
use pulse_core::ids::{ClientSlug, JiraProjectKey, RepoName};
use pulse_core::model::{Commit, PullRequest, Review};
use wiremock::{Mock, MockServer};

const CHILD: &str = "PULSE_SYNC_BENCH_CHILD";

fn settings() -> GithubSettings {
    let mut settings = GithubSettings::new(RepoName::parse("acme/api").unwrap());
    settings.jira_projects = vec![JiraProjectKey::parse("CHK").unwrap()];
    settings
}

async fn serve(fake: &FakeGithub) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(fake.clone()).mount(&server).await;
    fake.set_base(&server.uri());
    server
}

/// Syncs the repository at `base` into a fresh SQLite database; returns the summary.
async fn sync(base: &str, dir: &std::path::Path) -> (pulse_connectors::SyncSummary, f64, pulse_core::ClientStore) {
    let store = Store::open(&format!("sqlite://{}", dir.join("bench.db").display())).await.unwrap();
    let client = store.client_or_create(&ClientSlug::parse("bench").unwrap()).await.unwrap();
    let key = SecretKey::generate();
    let stored = integration::add_github(&client, &key, base, &settings(), "token").await.unwrap();
    let http = pulse_connectors::github::http(base, Secret::new("token")).build().unwrap();
    let connector = GithubConnector::new(stored.id, settings(), http).unwrap();
    let started = Instant::now();
    let summary = Sync::new(&client, &connector).execute().await.unwrap();
    (summary, started.elapsed().as_secs_f64(), client)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

async fn economy() {
    let fake = FakeGithub::new(FakeConfig::new(1000));
    let server = serve(&fake).await;
    let dir = tempfile::tempdir().unwrap();
    let (first, seconds, client) = sync(&server.uri(), dir.path()).await;
    let prs = client.count::<PullRequest>().await.unwrap();
    println!("## API economy: 1,000 merged PRs (3 reviews + 3 review comments + 4 commits each)");
    println!(
        "first sync: {} requests ({:.1} per 1,000 PRs), {:.1} MB received, {:.2} s; landed {prs} PRs, {} reviews and comments, {} commits",
        first.usage.requests,
        first.usage.requests as f64 * 1000.0 / prs as f64,
        first.usage.bytes as f64 / 1e6,
        seconds,
        client.count::<Review>().await.unwrap(),
        client.count::<Commit>().await.unwrap(),
    );
    let mut kinds = std::collections::BTreeMap::new();
    for kind in fake.log() {
        *kinds.entry(kind).or_insert(0) += 1;
    }
    println!("  by endpoint: {kinds:?}");
    fake.clear_log();
    let store_dir = dir.path();
    // The same database again: only what changed (nothing) is fetched.
    let store = Store::open(&format!("sqlite://{}", store_dir.join("bench.db").display())).await.unwrap();
    let client = store.client(&ClientSlug::parse("bench").unwrap()).await.unwrap();
    let stored = client.integrations().await.unwrap().remove(0);
    let http = pulse_connectors::github::http(&server.uri(), Secret::new("token")).build().unwrap();
    let connector = GithubConnector::new(stored.id, settings(), http).unwrap();
    let again = Sync::new(&client, &connector).execute().await.unwrap();
    let relanded: u64 = again.records.values().sum();
    println!(
        "incremental sync, nothing changed: {} requests, {:.2} MB, {relanded} boundary records landed again",
        again.usage.requests,
        again.usage.bytes as f64 / 1e6
    );
    let requests_per_1000 = first.usage.requests as f64 * 1000.0 / prs as f64;
    println!("target <= 30 requests per 1,000 PRs: {}", if requests_per_1000 <= 30.0 { "met" } else { "MISSED" });
}

async fn memory(prs: i64) {
    let fake = FakeGithub::new(FakeConfig::new(prs));
    let server = serve(&fake).await;
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let output = Command::new(exe).env(CHILD, server.uri()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed: {}", String::from_utf8_lossy(&output.stderr));
    println!("## Memory: {prs} PRs synced in a child process ({:.0} s)", started.elapsed().as_secs_f64());
    print!("{stdout}");
}

async fn child(base: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (summary, seconds, client) = sync(base, dir.path()).await;
    println!(
        "child: {} requests, {} pages, {} PRs, {:.1} MB received, {:.0} s; peak RSS {:.0} MB (target <= 300 MB)",
        summary.usage.requests,
        summary.pages,
        client.count::<PullRequest>().await.unwrap(),
        summary.usage.bytes as f64 / 1e6,
        seconds,
        peak_rss_mb()
    );
}

#[tokio::main]
async fn main() {
    if let Ok(base) = std::env::var(CHILD) {
        return child(&base).await;
    }
    let small = std::env::args().any(|a| a == "--small");
    economy().await;
    if !small {
        memory(100_000).await;
    }
}
