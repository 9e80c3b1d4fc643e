//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "pulse", version, about = "Engineering analytics: DORA metrics, PR flow and Jira flow")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Database URL: sqlite://FILE (embedded) or postgres://USER@HOST/DB.
    #[arg(long = "db", env = "PULSE_DATABASE_URL", default_value = "sqlite://pulse.db", global = true)]
    pub db: String,
    /// The client (tenant) to work on. Created on first use with an embedded database.
    #[arg(long, env = "PULSE_CLIENT", default_value = "default", global = true)]
    pub client: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending schema migrations (every command also does this on start).
    Migrate,
    /// Import a directory of JSON Lines files (see docs/import.md); all or nothing.
    Import(ImportArgs),
    /// Write a deterministic synthetic organisation in the import format.
    Generate(GenerateArgs),
    /// Load a small synthetic organisation into the embedded database and show it.
    Demo(DemoArgs),
    /// Manage clients (tenants).
    Client(ClientArgs),
    /// DORA, pull-request flow and Jira flow metrics over a window.
    Metrics(MetricsArgs),
    /// The records behind a metric (drill-down).
    Explain(ExplainArgs),
    /// Re-derive the metric facts (deployments' changes, PR timelines, incident links).
    Refresh,
    /// Manage GitHub and Jira integrations (tokens encrypted with PULSE_SECRET_KEY).
    Integration(crate::commands::integration::IntegrationArgs),
    /// Fetch what changed from the integrations, in the foreground with progress.
    Sync(crate::commands::sync::SyncArgs),
    /// Run queued and scheduled jobs until stopped (Ctrl-C or SIGTERM).
    Worker(crate::commands::jobs::WorkerArgs),
    /// Inspect and control background jobs.
    Jobs(crate::commands::jobs::JobsArgs),
    /// Serve the REST and gRPC APIs (one port) with in-process job workers.
    Serve(crate::commands::serve::ServeArgs),
    /// Manage the client's users (passwords, roles).
    User(crate::commands::user::UserArgs),
    /// Manage the client's API tokens for service-to-service calls.
    Token(crate::commands::user::TokenArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Directory holding project.json and/or *.jsonl files.
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// small (3 repos, 6 months) or large (200 repos, 200k PRs, 1M commits, one year).
    #[arg(long, default_value = "small")]
    pub scale: String,
    /// Output directory (created when missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed: the same seed and end give the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// End of the generated period, YYYY-MM-DD or RFC 3339 (default 2026-11-01).
    #[arg(long)]
    pub end: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Random seed of the demo organisation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where the demo serves the API and dashboard.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub addr: std::net::SocketAddr,
    /// Load the data and print the summary, but do not serve.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Debug, Args)]
pub struct ClientArgs {
    #[command(subcommand)]
    pub command: ClientCommand,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create a client.
    Create {
        /// URL-safe name: a-z, 0-9 and '-'.
        slug: String,
        /// Display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
    },
    /// List clients.
    List,
    /// Change how the dashboard presents a client.
    Branding {
        slug: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        logo_url: Option<String>,
        /// #rrggbb
        #[arg(long)]
        primary_color: Option<String>,
        /// #rrggbb
        #[arg(long)]
        accent_color: Option<String>,
    },
}

/// Which records a metric query covers, and when.
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// Only this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Only this repository (OWNER/NAME).
    #[arg(long)]
    pub repo: Option<String>,
    /// Only this team of a project (PRs by its members, deployments shipping them).
    #[arg(long)]
    pub team: Option<String>,
    /// Start of the window (inclusive): YYYY-MM-DD (UTC midnight) or RFC 3339.
    #[arg(long)]
    pub from: String,
    /// End of the window (exclusive): YYYY-MM-DD (UTC midnight) or RFC 3339.
    #[arg(long)]
    pub to: String,
    /// table or json (the JSON of the metric spec).
    #[arg(long, default_value = "table")]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(subcommand)]
    pub family: MetricsFamily,
}

#[derive(Debug, Subcommand)]
pub enum MetricsFamily {
    /// Deployment frequency, lead time, change failure rate, recovery time, rework rate.
    Dora {
        #[command(flatten)]
        query: QueryArgs,
        /// dora-2023 (default) or dora-2021.
        #[arg(long, default_value = "dora-2023")]
        benchmark: String,
        /// Add a time series: week or month.
        #[arg(long)]
        interval: Option<String>,
    },
    /// Pull-request flow: throughput, size, timeline, reviews, work in progress.
    Prs {
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Jira flow: cycle and lead time, time in status, throughput, flow efficiency.
    Jira {
        #[command(flatten)]
        query: QueryArgs,
    },
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(subcommand)]
    pub family: ExplainFamily,
}

#[derive(Debug, Subcommand)]
pub enum ExplainFamily {
    /// The deployments, PRs or incidents behind one DORA metric.
    Dora {
        #[command(flatten)]
        query: QueryArgs,
        /// deployment_frequency, lead_time_for_changes, change_failure_rate,
        /// failed_deployment_recovery_time, time_to_restore_service or rework_rate.
        #[arg(long)]
        metric: String,
        #[arg(long, default_value = "dora-2023")]
        benchmark: String,
    },
}
