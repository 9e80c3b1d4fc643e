//! Metric engine benchmark on the `large` organisation (200 repositories, 200k PRs,
//! 1M commits, 20k deployments): cold derivation of every fact, the incremental update
//! after one new deployment, and a project-level DORA query (cold and warm).
//!
//!     cargo bench -p pulse-core --bench metrics                       # SQLite
//!     PULSE_BENCH_PG_URL=postgres://… cargo bench -p pulse-core --bench metrics
//!     cargo bench -p pulse-core --bench metrics -- --scale small

use std::time::Instant;

use chrono::Duration;
use pulse_core::generate::{Generator, Org, Scale};
use pulse_core::ids::ClientSlug;
use pulse_core::metrics::{DeriveInput, DiffMemo, derive};
use pulse_core::model::*;
use pulse_core::{ClientStore, Store};
use sqlx::Connection;

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

async fn load_without_deriving(org: &Org, client: &ClientStore) {
    let mut tx = client.begin().await.expect("begin");
    tx.upsert(&org.repositories).await.unwrap();
    tx.upsert(&org.commits).await.unwrap();
    tx.upsert(&org.pull_requests).await.unwrap();
    tx.upsert(&org.pull_request_commits).await.unwrap();
    tx.upsert(&org.reviews).await.unwrap();
    tx.upsert(&org.deployments).await.unwrap();
    tx.upsert(&org.incidents).await.unwrap();
    tx.upsert(&org.jira_projects).await.unwrap();
    tx.upsert(&org.jira_issues).await.unwrap();
    tx.upsert(&org.jira_transitions).await.unwrap();
    tx.upsert(&org.issue_links).await.unwrap();
    tx.upsert_projects(std::slice::from_ref(&org.project)).await.unwrap();
    tx.commit().await.unwrap();
}

async fn run(label: &str, url: &str, org: &Org, end: Timestamp) {
    println!("\n## {label}");
    let store = Store::open(url).await.expect("open");
    let client = store.create_client(&ClientSlug::parse("bench").unwrap(), &Branding::named("Bench")).await.unwrap();
    let started = Instant::now();
    load_without_deriving(org, &client).await;
    println!("loaded the organisation in {:.1} s", started.elapsed().as_secs_f64());

    let cold = client.refresh_facts().await.unwrap();
    println!(
        "cold derivation: {:.2} s (read data {:.2} s, derive {:.2} s, store facts {:.2} s) — {} deployments, {} PRs, {} incidents, {} issues, {} graph diffs",
        cold.seconds,
        cold.load_seconds,
        cold.derive_seconds,
        cold.store_seconds,
        cold.deployments,
        cold.pull_requests,
        cold.incidents,
        cold.issues,
        cold.new_diffs
    );

    // One new production deployment of a repository's newest deployed commit's child:
    // the next commit on main after it does not exist in the data, so deploy the head.
    let repo = &org.repositories[0].name;
    let last = org
        .deployments
        .iter()
        .filter(|d| &d.repo == repo && d.environment == "production" && d.result == DeploymentResult::Success)
        .max_by_key(|d| d.finished_at)
        .unwrap();
    let head =
        org.commits.iter().filter(|c| &c.repo == repo && c.parents.len() <= 2).max_by_key(|c| c.authored_at).unwrap();
    let new = Deployment {
        repo: repo.clone(),
        id: "bench-new".into(),
        sha: head.sha.clone(),
        environment: "production".into(),
        result: DeploymentResult::Success,
        started_at: Some(end),
        finished_at: end + Duration::minutes(5),
        source: last.source,
    };
    // Ten deployment events in a row, each the newest of its sequence.
    let mut times = Vec::new();
    for i in 0..10 {
        let mut d = new.clone();
        d.id = format!("bench-new-{i}");
        d.started_at = Some(end + Duration::minutes(10 * i));
        d.finished_at = end + Duration::minutes(10 * i + 5);
        let started = Instant::now();
        let how = client.add_deployments(std::slice::from_ref(&d)).await.unwrap();
        assert_eq!(how, pulse_core::metrics::FactsUpdate::Incremental);
        times.push(ms(started));
    }
    let first = times[0];
    times.sort_by(f64::total_cmp);
    println!(
        "one new deployment landed with its facts, incrementally: first {first:.1} ms, then p50 {:.1} ms, max {:.1} ms (10 in a row)",
        percentile(&times, 0.5),
        times[times.len() - 1]
    );
    let started = Instant::now();
    let full = client.refresh_facts().await.unwrap();
    println!(
        "for comparison, a full re-derivation with every diff memoised: {:.2} s ({} new diffs)",
        started.elapsed().as_secs_f64(),
        full.new_diffs
    );

    // Project-level DORA over the last 90 days: cold (a new process reads the stored
    // facts), then warm.
    drop(client);
    store.close().await;
    let store = Store::open(url).await.unwrap();
    let client = store.client(&ClientSlug::parse("bench").unwrap()).await.unwrap();
    let query = || client.metrics().dora().project(org.project.name.as_str()).between(end - Duration::days(90), end);
    let started = Instant::now();
    let report = query().execute().await.unwrap();
    println!(
        "DORA, project over 90 days, cold (load stored facts): {:.0} ms — {} deployments, {} changes",
        ms(started),
        report.metrics.deployment_frequency.deployments,
        report.metrics.lead_time_for_changes.changes
    );
    let mut times = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        query().execute().await.unwrap();
        times.push(ms(started));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "DORA, project over 90 days, warm: p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms (50 runs)",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        times[times.len() - 1]
    );
    store.close().await;
}

async fn fresh_pg_database(base: &str, name: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(base).await.expect("connect to PostgreSQL");
    for sql in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.expect("create database");
    }
    let (head, _) = base.rsplit_once('/').expect("URL with a database");
    format!("{head}/{name}")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scale = args
        .iter()
        .position(|a| a == "--scale")
        .map(|i| args[i + 1].parse::<Scale>().expect("scale"))
        .unwrap_or(Scale::Large);
    let generator = Generator::new(scale);
    let org = generator.generate();
    let end = org.deployments.iter().map(|d| d.finished_at).max().unwrap() + Duration::hours(1);
    println!("# metric engine benchmark, {scale} organisation");

    // Derivation alone, in memory, from nothing and with every diff memoised.
    let input = DeriveInput {
        repositories: &org.repositories,
        commits: &org.commits,
        pull_requests: &org.pull_requests,
        pull_request_commits: &org.pull_request_commits,
        reviews: &org.reviews,
        deployments: &org.deployments,
        incidents: &org.incidents,
        projects: std::slice::from_ref(&org.project),
        jira_issues: &org.jira_issues,
        jira_transitions: &org.jira_transitions,
        issue_links: &org.issue_links,
    };
    let mut memo = DiffMemo::default();
    let started = Instant::now();
    let facts = derive(&input, &mut memo);
    println!("derivation in memory, cold: {:.2} s ({} graph diffs)", started.elapsed().as_secs_f64(), memo.len());
    let started = Instant::now();
    derive(&input, &mut memo);
    println!("derivation in memory, every diff memoised: {:.2} s", started.elapsed().as_secs_f64());
    drop(facts);

    let tmp = tempfile::tempdir().expect("temp dir");
    run("SQLite", &format!("sqlite://{}", tmp.path().join("bench.db").display()), &org, end).await;
    if let Ok(base) = std::env::var("PULSE_BENCH_PG_URL") {
        run("PostgreSQL", &fresh_pg_database(&base, "pulse_bench_metrics").await, &org, end).await;
    } else {
        println!("\n(PostgreSQL skipped: set PULSE_BENCH_PG_URL)");
    }
}
