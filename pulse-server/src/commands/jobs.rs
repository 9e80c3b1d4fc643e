//! `pulse worker` and `pulse jobs …`.

use std::sync::Arc;

use clap::{Args, Subcommand};
use pulse_connectors::SecretKey;
use pulse_connectors::integration::ConnectOptions;
use pulse_core::ids::IntegrationId;
use pulse_core::model::{Job, JobId, JobKind};
use pulse_jobs::control::{self, Applied};
use pulse_jobs::{ProgressEvent, ProgressHub, Runner, Worker, WorkerOptions};

use crate::cli::Global;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Jobs run at once.
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Seconds a claimed job stays this worker's without a heartbeat.
    #[arg(long, default_value_t = 30)]
    pub lease: i64,
    /// Names the worker in leases and the audit log (default: host and process id).
    #[arg(long)]
    pub id: Option<String>,
    /// Do not turn due schedules into jobs (another worker does).
    #[arg(long)]
    pub no_schedules: bool,
    /// The servers' Redis: publish progress there, so `pulse serve` instances stream it,
    /// and announce data changes, so they stop serving stale answers at once.
    #[arg(long, env = "PULSE_REDIS_URL")]
    pub redis_url: Option<String>,
    /// The servers' Redis namespace (default: derived from the database URL, as theirs).
    #[arg(long, env = "PULSE_REDIS_NAMESPACE")]
    pub redis_namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct JobsArgs {
    #[command(subcommand)]
    pub command: JobsCommand,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// The client's jobs, newest first.
    List {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One job with its history.
    Show { id: JobId },
    /// Queue a sync of an integration, or (--derive) a re-derivation of the metric facts.
    Start {
        #[arg(long, conflicts_with = "derive", required_unless_present = "derive")]
        integration: Option<i64>,
        #[arg(long)]
        derive: bool,
    },
    /// Pause a job (a running one stops at its next page boundary).
    Pause { id: JobId },
    /// Queue a paused job again; it continues from its checkpoint.
    Resume { id: JobId },
    /// Cancel a job for good (a running one stops at its next page boundary).
    Cancel { id: JobId },
    /// Queue a failed job again.
    Retry { id: JobId },
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

fn line(job: &Job) -> String {
    let what = match job.kind {
        JobKind::Sync { integration } => format!("sync integration {integration}"),
        JobKind::Derive => "derive facts".to_owned(),
    };
    let progress = job
        .progress
        .as_ref()
        .and_then(|p| p["pages"].as_u64())
        .map(|pages| format!(", {pages} pages"))
        .unwrap_or_default();
    format!(
        "{:>6}  {:<10} {:<26} attempts {}/{}{progress}{}",
        job.id,
        job.state.as_str(),
        what,
        job.attempts,
        job.max_attempts,
        job.error.as_deref().map(|e| format!("  error: {e}")).unwrap_or_default()
    )
}

fn applied(what: &str, applied: Applied) {
    match applied {
        Applied::Moved { job, .. } => println!("{what}: {}", line(&job)),
        Applied::Requested(job) => {
            println!("{what} requested; it takes effect at the next page boundary: {}", line(&job))
        }
    }
}

pub async fn run(global: &Global, args: JobsArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    let client = super::open_client(&store, global).await?;
    let actor = actor();
    match args.command {
        JobsCommand::List { limit } => {
            for job in client.jobs(limit).await? {
                println!("{}", line(&job));
            }
        }
        JobsCommand::Show { id } => {
            let job = client.job(id).await?.ok_or(Error::Core(pulse_core::Error::NotFound { entity: "job" }))?;
            println!("{}", line(&job));
            if let Some(progress) = &job.progress {
                println!("  latest progress: {progress}");
            }
            for t in client.job_history(id).await? {
                let from = t.from.map_or("(new)", |s| s.as_str());
                println!(
                    "  {}  {from} → {}  by {}: {}",
                    t.at.format("%Y-%m-%d %H:%M:%S"),
                    t.to.as_str(),
                    t.actor,
                    t.reason
                );
            }
        }
        JobsCommand::Start { integration, derive } => {
            let kind = match (integration, derive) {
                (Some(id), false) => JobKind::Sync { integration: IntegrationId::new(id) },
                _ => JobKind::Derive,
            };
            println!("queued: {}", line(&control::start(&client, kind, &actor).await?));
        }
        JobsCommand::Pause { id } => applied("paused", control::pause(&client, id, &actor).await?),
        JobsCommand::Resume { id } => applied("resumed", control::resume(&client, id, &actor).await?),
        JobsCommand::Cancel { id } => applied("cancelled", control::cancel(&client, id, &actor).await?),
        JobsCommand::Retry { id } => applied("queued again", control::retry(&client, id, &actor).await?),
    }
    store.close().await;
    Ok(())
}

/// Runs jobs of every client until Ctrl-C or SIGTERM, then lets running jobs reach a
/// page boundary and gives them back to the queue.
pub async fn worker(global: &Global, args: WorkerArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    // Sync jobs need the key; without one they fail with a clear error, derive jobs run.
    let key = match SecretKey::from_env() {
        Ok(key) => Some(key),
        Err(pulse_connectors::Error::MissingSecretKey) => None,
        Err(e) => return Err(e.into()),
    };
    let mut options = WorkerOptions {
        concurrency: args.concurrency.max(1),
        lease: chrono::Duration::seconds(args.lease.max(3)),
        schedules: !args.no_schedules,
        ..Default::default()
    };
    if let Some(id) = args.id {
        options.id = id;
    }
    let hub = ProgressHub::default();
    let mut events = hub.subscribe();
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            match &event {
                ProgressEvent::StateChanged { client, job, to, reason, .. } => {
                    println!("job {job} (client {client}): {} — {reason}", to.as_str());
                }
                ProgressEvent::Error { client, job, message } => {
                    println!("job {job} (client {client}) failed: {message}")
                }
                ProgressEvent::RateLimitWait { client, job, until } => {
                    println!("job {job} (client {client}) waits for the rate limit until {until}")
                }
                ProgressEvent::PageDone { .. } => tracing::info!(event = %event.to_json(), "page"),
            }
        }
    });
    if let Some(url) = &args.redis_url {
        let namespace = args.redis_namespace.clone().unwrap_or_else(|| super::serve::installation_name(&global.db));
        let cache = pulse_server::api::MetricCache::with_redis(url, &namespace)
            .await
            .map_err(|e| crate::error::Error::Usage(format!("--redis-url: {e}")))?;
        let (events, origin) = (hub.subscribe(), format!("worker:{}", options.id));
        tokio::spawn(async move {
            pulse_server::fanout::publish_events(
                &cache,
                events,
                &origin,
                pulse_server::fanout::Announce::OnPagesAndFinish,
            )
            .await
        });
    }
    println!("worker {} running {} job(s) at once; Ctrl-C stops it", options.id, options.concurrency);
    let worker = Worker::new(store.clone(), options, Arc::new(Runner::new(key, ConnectOptions::default())), hub);
    worker.run(super::shutdown_signal()).await?;
    store.close().await;
    Ok(())
}
