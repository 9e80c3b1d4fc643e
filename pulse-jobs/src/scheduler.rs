//! Schedules → jobs: each due schedule (an interval, or a cron expression in UTC)
//! queues its job once, unless that schedule's previous job is still waiting or running.

use std::str::FromStr;

use chrono::Duration;
use pulse_core::Store;
use pulse_core::model::{Cadence, JobKind, NewJob, Timestamp};

use crate::error::{Error, Result};

/// When a cadence runs next after `after`.
pub fn next_run(cadence: &Cadence, after: Timestamp) -> Result<Timestamp> {
    match cadence {
        Cadence::Interval { seconds } => Ok(after + Duration::seconds(i64::from(*seconds))),
        Cadence::Cron { expression } => {
            let schedule = cron::Schedule::from_str(expression)
                .map_err(|e| Error::Cron { expression: expression.clone(), reason: e.to_string() })?;
            schedule
                .after(&after)
                .next()
                .ok_or_else(|| Error::Cron { expression: expression.clone(), reason: "it never fires again".into() })
        }
    }
}

/// Queues the jobs of every due schedule; returns how many were queued. Safe to run from
/// many workers at once: a schedule's run is taken by one of them only.
pub async fn enqueue_due(store: &Store, now: Timestamp) -> Result<usize> {
    let mut queued = 0;
    for (client_id, schedule_id, integration, job) in store.job_queue().due_schedules(now).await? {
        let client = store.client_by_id(client_id).await?;
        let Some(schedule) = client.schedule(schedule_id).await? else { continue };
        // Re-read: another worker may have taken this run since the list was made.
        let Some(due) = schedule.next_run_at.filter(|due| *due <= now) else { continue };
        let next = next_run(&schedule.cadence, now.max(due))?;
        // Only the worker whose update moves `next_run_at` from what it read queues the job.
        if !client.take_schedule_run(schedule_id, due, now, next).await? {
            continue;
        }
        if client.schedule_has_open_job(schedule_id).await? {
            continue;
        }
        let kind = if job == "derive" { JobKind::Derive } else { JobKind::Sync { integration } };
        let mut new = NewJob::new(kind);
        new.schedule = Some(schedule_id);
        client.enqueue_job(&new, "scheduler").await?;
        queued += 1;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn intervals_and_cron() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 10, 15, 0).unwrap();
        assert_eq!(next_run(&Cadence::Interval { seconds: 3600 }, t).unwrap(), t + Duration::hours(1));
        // Every day at 02:30 UTC (seconds first, as the cron crate reads it).
        let daily = Cadence::Cron { expression: "0 30 2 * * *".into() };
        assert_eq!(next_run(&daily, t).unwrap(), chrono::Utc.with_ymd_and_hms(2026, 3, 3, 2, 30, 0).unwrap());
        let bad = Cadence::Cron { expression: "every tuesday".into() };
        assert!(matches!(next_run(&bad, t), Err(Error::Cron { .. })));
    }
}
