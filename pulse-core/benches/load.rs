//! Load benchmark: the `large` synthetic organisation into SQLite and PostgreSQL.
//!
//! For each backend it prints rows/s per entity for `ClientTx::upsert` (each entity in
//! its own transaction, commit included) and the peak RSS of that phase, first into empty
//! tables and then once more with the same rows (every row an update); on PostgreSQL it
//! also loads the same rows with a plain `COPY` into empty tables (`copy_new`), the
//! physical reference. Finally it times the user-visible path: write the import files,
//! then `pulse import` them (parse, check, load in one transaction).
//!
//!     cargo bench -p pulse-core --bench load                  # large, SQLite only
//!     PULSE_BENCH_PG_URL=postgres://pulse@… PULSE_BENCH_PG_ADMIN_URL=postgres://postgres@… \
//!         cargo bench -p pulse-core --bench load
//!     cargo bench -p pulse-core --bench load -- --scale small
//!
//! `PULSE_BENCH_PG_URL` is the application's ordinary role (with CREATEDB), so row-level
//! security applies as in production; a fresh database is made per phase. PostgreSQL
//! refuses `COPY FROM` into tables with row-level security to such a role, so the raw COPY
//! reference connects to the same kind of fresh database as `PULSE_BENCH_PG_ADMIN_URL`
//! (a superuser, which bypasses the policies).

use std::time::Instant;

use pulse_core::generate::{Generator, Org, Scale};
use pulse_core::ids::ClientSlug;
use pulse_core::model::Branding;
use pulse_core::store::Record;
use pulse_core::{ClientStore, ClientTx, Store};
use sqlx::Connection;

fn rss_peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Resets the peak-RSS mark so each phase reports its own peak (Linux ≥ 4.0).
fn reset_rss_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Upsert,
    Copy,
}

struct Phase {
    label: String,
    rows: Vec<(&'static str, usize, f64)>,
}

impl Phase {
    fn print(&self) {
        let total_rows: usize = self.rows.iter().map(|r| r.1).sum();
        let total_secs: f64 = self.rows.iter().map(|r| r.2).sum();
        println!("\n## {}", self.label);
        println!("{:<22} {:>10} {:>9} {:>12}", "entity", "rows", "seconds", "rows/s");
        for (entity, n, secs) in &self.rows {
            println!("{entity:<22} {n:>10} {secs:>9.2} {:>12.0}", *n as f64 / secs);
        }
        println!("{:<22} {total_rows:>10} {total_secs:>9.2} {:>12.0}", "total", total_rows as f64 / total_secs);
        println!("peak RSS during the phase: {:.0} MB", rss_peak_mb());
    }
}

async fn timed<R: Record>(client: &ClientStore, mode: Mode, rows: &[R]) -> f64 {
    let started = Instant::now();
    let mut tx: ClientTx = client.begin().await.expect("begin");
    match mode {
        Mode::Upsert => tx.upsert(rows).await.expect("upsert"),
        Mode::Copy => tx.copy_new(rows).await.expect("copy"),
    };
    tx.commit().await.expect("commit");
    started.elapsed().as_secs_f64()
}

async fn load(org: &Org, client: &ClientStore, mode: Mode, label: String) -> Phase {
    reset_rss_peak();
    let mut rows = Vec::new();
    macro_rules! entity {
        ($name:literal, $field:ident) => {
            rows.push(($name, org.$field.len(), timed(client, mode, &org.$field).await));
        };
    }
    entity!("repositories", repositories);
    entity!("commits", commits);
    entity!("pull_requests", pull_requests);
    entity!("pull_request_commits", pull_request_commits);
    entity!("reviews", reviews);
    entity!("deployments", deployments);
    entity!("incidents", incidents);
    entity!("jira_projects", jira_projects);
    entity!("jira_issues", jira_issues);
    entity!("jira_changelogs", jira_transitions);
    entity!("jira_issue_pr_links", issue_links);
    Phase { label, rows }
}

async fn fresh_client(url: &str) -> ClientStore {
    let store = Store::open(url).await.expect("open store");
    let slug = ClientSlug::parse("bench").unwrap();
    store.create_client(&slug, &Branding::named("Bench")).await.expect("create client")
}

async fn fresh_pg_database(base: &str, name: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(base).await.expect("connect to PostgreSQL");
    for sql in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.expect("create database");
    }
    let (head, _) = base.rsplit_once('/').expect("URL with a database");
    format!("{head}/{name}")
}

/// Imports `dir` in a child process of this benchmark, so the figure is the import's own
/// memory, not what this process still holds from generating the organisation.
fn import_files(dir: &std::path::Path, url: &str, label: &str) {
    let output = std::process::Command::new(std::env::current_exe().expect("own path"))
        .args(["--import-only", &dir.display().to_string(), url])
        .output()
        .expect("run the import child");
    assert!(output.status.success(), "import child failed: {}", String::from_utf8_lossy(&output.stderr));
    println!("\n## import of the files (what `pulse import` runs), {label} (separate process)");
    print!("{}", String::from_utf8_lossy(&output.stdout));
}

async fn import_only(dir: &str, url: &str) {
    let client = fresh_client(url).await;
    let started = Instant::now();
    let summary = client.import().dir(dir.as_ref()).expect("import dir").execute().await.expect("import");
    let secs = started.elapsed().as_secs_f64();
    let rows: u64 = summary.counts.values().sum();
    println!(
        "{rows} records in {secs:.1} s = {:.0} records/s; peak RSS of the process {:.0} MB",
        rows as f64 / secs,
        rss_peak_mb()
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--import-only") {
        return import_only(&args[i + 1], &args[i + 2]).await;
    }
    let scale = args
        .iter()
        .position(|a| a == "--scale")
        .map(|i| args[i + 1].parse::<Scale>().expect("scale"))
        .unwrap_or(Scale::Large);
    let pg = std::env::var("PULSE_BENCH_PG_URL").ok();
    let pg_admin = std::env::var("PULSE_BENCH_PG_ADMIN_URL").ok();

    let started = Instant::now();
    let org = Generator::new(scale).generate();
    println!("# load benchmark, {scale} organisation");
    println!(
        "generated in {:.1} s; peak RSS after generation {:.0} MB",
        started.elapsed().as_secs_f64(),
        rss_peak_mb()
    );
    for (entity, n) in org.counts() {
        println!("  {entity:<22} {n:>9}");
    }

    let tmp = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}", tmp.path().join("bench.db").display());
    let sqlite = fresh_client(&sqlite_url).await;
    load(&org, &sqlite, Mode::Upsert, "SQLite, upsert into empty tables".into()).await.print();
    load(&org, &sqlite, Mode::Upsert, "SQLite, upsert of the same rows again (all updates)".into()).await.print();

    if let Some(base) = &pg {
        let url = fresh_pg_database(base, "pulse_bench_upsert").await;
        let client = fresh_client(&url).await;
        let upsert = load(&org, &client, Mode::Upsert, "PostgreSQL, upsert into empty tables".into()).await;
        upsert.print();
        load(&org, &client, Mode::Upsert, "PostgreSQL, upsert of the same rows again (all updates)".into())
            .await
            .print();
        let url = fresh_pg_database(base, "pulse_bench_copy").await;
        fresh_client(&url).await;
        let admin = pg_admin.as_deref().expect("PULSE_BENCH_PG_ADMIN_URL (a superuser) for the COPY reference");
        let admin_url = format!("{}/pulse_bench_copy", admin.rsplit_once('/').expect("URL with a database").0);
        let as_admin = Store::open(&admin_url).await.expect("open as superuser");
        let client = as_admin.client(&ClientSlug::parse("bench").unwrap()).await.expect("bench client");
        let copy = load(&org, &client, Mode::Copy, "PostgreSQL, raw COPY (reference)".into()).await;
        copy.print();
        println!("\n## upsert throughput relative to raw COPY (PostgreSQL)");
        for ((entity, n, up), (_, _, cp)) in upsert.rows.iter().zip(&copy.rows) {
            if *n > 0 {
                println!("{entity:<22} {:>6.2}x", cp / up);
            }
        }
        let up: f64 = upsert.rows.iter().map(|r| r.2).sum();
        let cp: f64 = copy.rows.iter().map(|r| r.2).sum();
        println!("{:<22} {:>6.2}x", "total", cp / up);
    } else {
        println!("\n(PostgreSQL skipped: set PULSE_BENCH_PG_URL)");
    }

    let files = tmp.path().join("org");
    let started = Instant::now();
    org.write_dir(&files).expect("write files");
    println!("\nwrote the import files in {:.1} s", started.elapsed().as_secs_f64());
    drop(org);
    import_files(&files, &format!("sqlite://{}", tmp.path().join("import.db").display()), "SQLite");
    if let Some(base) = &pg {
        import_files(&files, &fresh_pg_database(base, "pulse_bench_import").await, "PostgreSQL");
    }
}
