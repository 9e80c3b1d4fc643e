//! What `/metrics` reports beyond HTTP and gRPC requests: jobs (counts by outcome and
//! durations, from the progress events of this process), and each client's and project's
//! DORA values over the last 30 days as gauges, recomputed periodically (cheap: the facts
//! are in memory; see `pulse_core::metrics`).

use std::future::Future;
use std::time::Duration;

use pulse_core::model::JobState;
use pulse_jobs::ProgressEvent;

use crate::api::Api;

/// Counts jobs by outcome and records how long finished ones ran.
pub async fn observe_jobs(api: Api, stopped: impl Future<Output = ()>) {
    let mut events = api.hub().subscribe();
    let mut stopped = std::pin::pin!(stopped);
    loop {
        let event = tokio::select! {
            _ = &mut stopped => return,
            event = events.recv() => event,
        };
        let (client, job, to) = match event {
            Ok(ProgressEvent::StateChanged { client, job, to, .. }) => (client, job, to),
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        metrics::counter!("pulse_job_transitions_total", "to" => to.as_str()).increment(1);
        if !matches!(to, JobState::Finished | JobState::Failed | JobState::Cancelled) {
            continue;
        }
        let Ok(store) = api.client_by_id(client).await else { continue };
        if let Ok(Some(job)) = store.job(job).await {
            metrics::counter!("pulse_jobs_total", "kind" => job.kind.name(), "state" => to.as_str()).increment(1);
            if let (Some(started), Some(finished)) = (job.started_at, job.finished_at) {
                let seconds = (finished - started).num_milliseconds().max(0) as f64 / 1000.0;
                metrics::histogram!("pulse_job_duration_seconds", "kind" => job.kind.name(), "state" => to.as_str())
                    .record(seconds);
            }
        }
    }
}

/// Sets `pulse_dora_*{client, project}` gauges every `every`.
pub async fn dora_gauges(api: Api, every: Duration, stopped: impl Future<Output = ()>) {
    let mut stopped = std::pin::pin!(stopped);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = update_dora_gauges(&api).await {
            tracing::warn!(error = %e, "updating the DORA gauges failed");
        }
    }
}

async fn update_dora_gauges(api: &Api) -> pulse_core::Result<()> {
    let to = chrono::Utc::now();
    let from = to - chrono::Duration::days(30);
    for client in api.store().clients().await? {
        // The handle of a client listed a moment ago (deleted since: skip it).
        let Ok(store) = api.client_by_id(client.id).await else { continue };
        for project in store.projects().await? {
            let report = store.metrics().dora().project(project.name.as_str()).between(from, to).execute().await?;
            let labels = [("client", client.slug.to_string()), ("project", project.name.to_string())];
            let m = &report.metrics;
            let gauges = [
                ("pulse_dora_deployments_per_week", m.deployment_frequency.per_week),
                ("pulse_dora_lead_time_median_hours", m.lead_time_for_changes.median_hours),
                ("pulse_dora_change_failure_rate", m.change_failure_rate.rate),
                ("pulse_dora_recovery_median_hours", m.failed_deployment_recovery_time.median_hours),
                ("pulse_dora_rework_rate", m.rework_rate.rate),
            ];
            for (name, value) in gauges {
                // No value (no deployments in the window) is NaN, not a misleading zero.
                metrics::gauge!(name, &labels).set(value.unwrap_or(f64::NAN));
            }
        }
    }
    Ok(())
}
