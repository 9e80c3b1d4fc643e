//! Schedules turn into jobs when due, once, and move on to their next run.

use chrono::{Duration, Utc};
use pulse_connectors::SecretKey;
use pulse_connectors::github::GithubSettings;
use pulse_connectors::integration::add_github;
use pulse_core::ids::RepoName;
use pulse_core::model::{Cadence, JobKind, JobState, NewJobSchedule};
use pulse_core::on_both_backends;
use pulse_core::testing::TestDb;
use pulse_jobs::scheduler;

on_both_backends!(due_schedules_queue_one_job_each);

async fn due_schedules_queue_one_job_each(db: TestDb) {
    let acme = db.client("acme").await;
    let key = SecretKey::generate();
    let integration = add_github(
        &acme,
        &key,
        "https://api.github.com",
        &GithubSettings::new(RepoName::parse("acme/api").unwrap()),
        "t",
    )
    .await
    .unwrap();
    let due = Utc::now() - Duration::minutes(5);
    let hourly = acme
        .upsert_schedule(&NewJobSchedule {
            integration_id: integration.id,
            job: "sync".into(),
            cadence: Cadence::every(3600).unwrap(),
            state: JobState::Pending,
            next_run_at: Some(due),
        })
        .await
        .unwrap();
    let nightly = acme
        .upsert_schedule(&NewJobSchedule {
            integration_id: integration.id,
            job: "derive".into(),
            cadence: Cadence::Cron { expression: "0 0 3 * * *".into() },
            state: JobState::Pending,
            next_run_at: Some(Utc::now() + Duration::hours(3)),
        })
        .await
        .unwrap();

    // Two workers' schedulers at once: the due schedule still queues one job.
    let now = Utc::now();
    let (a, b) = tokio::join!(scheduler::enqueue_due(&db.store, now), scheduler::enqueue_due(&db.store, now));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let jobs = acme.jobs(10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].kind, jobs[0].schedule), (JobKind::Sync { integration: integration.id }, Some(hourly.id)));
    assert_eq!(jobs[0].state, JobState::Pending);
    let moved = acme.schedule(hourly.id).await.unwrap().unwrap();
    let next = moved.next_run_at.unwrap();
    assert!(next > now + Duration::minutes(59) && next <= now + Duration::hours(1), "{next}");
    assert!(moved.last_run_at.is_some());
    assert_eq!(acme.schedule(nightly.id).await.unwrap().unwrap().next_run_at, nightly.next_run_at, "not due yet");

    // Due again while its job still waits: no second job, however many other jobs were
    // queued after it.
    for _ in 0..250 {
        acme.enqueue_job(&pulse_core::model::NewJob::new(JobKind::Derive), "tests").await.unwrap();
    }
    let later = next + Duration::seconds(1);
    assert_eq!(scheduler::enqueue_due(&db.store, later).await.unwrap(), 0);
    let scheduled = acme.jobs(1000).await.unwrap().into_iter().filter(|j| j.schedule == Some(hourly.id)).count();
    assert_eq!(scheduled, 1);
}
