use pulse_core::ClientStore;
use pulse_core::dates::parse_date_or_timestamp;
use pulse_core::metrics::{Benchmark, DoraMetric, Period, Query, ScopeFilter};
use serde::Serialize;

use crate::cli::{ExplainArgs, ExplainFamily, Global, MetricsArgs, MetricsFamily, QueryArgs};
use crate::error::{Error, Result};
use crate::render;

/// How a report is printed.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    Table,
    Json,
}

fn format(text: &str) -> Result<Format> {
    match text {
        "table" => Ok(Format::Table),
        "json" => Ok(Format::Json),
        other => Err(Error::Core(pulse_core::Error::Invalid {
            what: "format",
            reason: format!("{other:?} is not one of table, json"),
        })),
    }
}

fn scoped<'a, K>(query: Query<'a, K>, args: &QueryArgs) -> Result<Query<'a, K>> {
    let filter = ScopeFilter { project: args.project.clone(), repo: args.repo.clone(), team: args.team.clone() };
    Ok(query.filter(filter).between(parse_date_or_timestamp(&args.from)?, parse_date_or_timestamp(&args.to)?))
}

fn print<T: Serialize>(format: Format, report: &T, table: impl FnOnce(&T) -> String) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(report).expect("reports serialize")),
        Format::Table => print!("{}", table(report)),
    }
}

async fn client(global: &Global) -> Result<(pulse_core::Store, ClientStore)> {
    let store = super::open_store(global).await?;
    let client = super::open_client(&store, global).await?;
    Ok((store, client))
}

pub async fn run(global: &Global, args: MetricsArgs) -> Result<()> {
    let (store, client) = client(global).await?;
    match args.family {
        MetricsFamily::Dora { query, benchmark, interval } => {
            let out = format(&query.format)?;
            let mut q = scoped(client.metrics().dora(), &query)?.benchmark(Benchmark::parse(&benchmark)?);
            if let Some(interval) = interval {
                q = q.interval(Period::parse(&interval)?);
            }
            print(out, &q.execute().await?, render::dora);
        }
        MetricsFamily::Prs { query } => {
            let out = format(&query.format)?;
            print(out, &scoped(client.metrics().pull_requests(), &query)?.execute().await?, render::pr_flow);
        }
        MetricsFamily::Jira { query } => {
            let out = format(&query.format)?;
            print(out, &scoped(client.metrics().jira(), &query)?.execute().await?, render::jira_flow);
        }
    }
    store.close().await;
    Ok(())
}

pub async fn explain(global: &Global, args: ExplainArgs) -> Result<()> {
    let (store, client) = client(global).await?;
    let ExplainFamily::Dora { query, metric, benchmark } = args.family;
    let out = format(&query.format)?;
    let explanation = scoped(client.metrics().explain(DoraMetric::parse(&metric)?), &query)?
        .benchmark(Benchmark::parse(&benchmark)?)
        .execute()
        .await?;
    print(out, &explanation, render::explanation);
    store.close().await;
    Ok(())
}

pub async fn refresh(global: &Global) -> Result<()> {
    let (store, client) = client(global).await?;
    let summary = client.refresh_facts().await?;
    println!("{}", render::refresh(&summary));
    store.close().await;
    Ok(())
}
