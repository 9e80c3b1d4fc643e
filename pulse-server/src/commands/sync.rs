//! `pulse sync`: fetch what changed from the client's integrations, in the foreground,
//! with a progress bar (items, pages, requests, rate-limit waits) and a summary.

use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pulse_connectors::integration::{self, ConnectOptions};
use pulse_connectors::{ProgressEvent, SecretKey, Sync, reextract};
use pulse_core::ids::IntegrationId;

use crate::cli::Global;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Sync this integration only (see `pulse integration list`).
    #[arg(long, conflicts_with = "all")]
    pub integration: Option<i64>,
    /// Sync every integration of the client (the default).
    #[arg(long)]
    pub all: bool,
    /// Rebuild the records from the stored raw payloads instead of fetching (after an
    /// upgrade that extracts more, or a fix).
    #[arg(long)]
    pub reextract: bool,
}

pub async fn run(global: &Global, args: SyncArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    let client = super::open_client(&store, global).await?;
    let key = SecretKey::from_env()?;
    let mut integrations = client.integrations().await?;
    if let Some(id) = args.integration {
        integrations.retain(|i| i.id == IntegrationId::new(id));
        if integrations.is_empty() {
            return Err(Error::Usage(format!("client `{}` has no integration {id}", client.client().slug)));
        }
    }
    if integrations.is_empty() {
        println!("client `{}` has no integrations; add one with `pulse integration add`", client.client().slug);
        return Ok(());
    }
    let options = ConnectOptions::default();
    let mut failed = None;
    for stored in &integrations {
        let connector = integration::connector(&client, stored, &key, &options).await?;
        if args.reextract {
            let counts = reextract(&client, connector.as_ref()).await?;
            println!("{} ({}): re-extracted from stored payloads, no requests", stored.name, stored.id);
            for (entity, n) in &counts {
                println!("{entity:>22}: {n}");
            }
            continue;
        }
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {prefix} {wide_msg} [{elapsed}]").expect("valid template"),
        );
        bar.set_prefix(stored.name.clone());
        bar.enable_steady_tick(Duration::from_millis(120));
        let usage = connector.usage();
        let started = Instant::now();
        let progress = std::sync::Mutex::new((String::new(), 0u64, 0u64));
        let ticker = {
            let bar = bar.clone();
            let usage = usage.clone();
            tokio::spawn(async move {
                loop {
                    let u = usage.snapshot();
                    bar.set_message(format!(
                        "{} requests, {} rate-limit waits ({:.0} s)",
                        u.requests,
                        u.rate_limit_waits,
                        u.waited_ms as f64 / 1000.0
                    ));
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        };
        let result = Sync::new(&client, connector.as_ref())
            .on_progress(|event| {
                let mut p = progress.lock().expect("progress lock");
                match event {
                    ProgressEvent::StreamStarted { stream } => p.0 = stream.clone(),
                    ProgressEvent::PageLanded { items, .. } => {
                        p.1 += 1;
                        p.2 += *items as u64;
                    }
                    ProgressEvent::StreamFinished { .. } => {}
                }
                bar.set_prefix(format!("{} {}: {} items, {} pages", stored.name, p.0, p.2, p.1));
            })
            .execute()
            .await;
        ticker.abort();
        bar.finish_and_clear();
        let summary = match result {
            Ok(summary) => summary,
            // One integration's failure does not stop the others; what landed stays.
            Err(e) => {
                eprintln!("error: {} ({}): {e}", stored.name, stored.id);
                failed.get_or_insert(e);
                continue;
            }
        };
        let u = summary.usage;
        println!(
            "{} ({}): {} items in {} pages, {} requests ({} not modified, {} retries), {:.1} MB, \
             {} rate-limit waits ({:.0} s), {:.1} s",
            stored.name,
            stored.id,
            summary.items,
            summary.pages,
            u.requests,
            u.not_modified,
            u.retries,
            u.bytes as f64 / 1e6,
            u.rate_limit_waits,
            u.waited_ms as f64 / 1000.0,
            started.elapsed().as_secs_f64()
        );
        for (entity, n) in &summary.records {
            println!("{entity:>22}: {n}");
        }
    }
    store.close().await;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
