//! What users and admins do to jobs, checked against the state machine, and recorded.

use chrono::Duration;
use pulse_core::model::{JobKind, JobState};
use pulse_core::on_both_backends;
use pulse_core::testing::TestDb;
use pulse_jobs::Error;
use pulse_jobs::control::{self, Applied};

on_both_backends!(actions_follow_the_state_machine, running_jobs_are_asked_to_stop, jobs_are_the_clients_own);

async fn actions_follow_the_state_machine(db: TestDb) {
    let acme = db.client("acme").await;
    let job = control::start(&acme, JobKind::Derive, "alice").await.unwrap();
    assert_eq!(job.state, JobState::Pending);

    let Applied::Moved { job: paused, .. } = control::pause(&acme, job.id, "alice").await.unwrap() else {
        panic!("moved")
    };
    assert_eq!(paused.state, JobState::Paused);
    assert_eq!(control::resume(&acme, job.id, "bob").await.unwrap().job().state, JobState::Pending);
    let err = control::retry(&acme, job.id, "bob").await.unwrap_err();
    assert!(matches!(err, Error::IllegalTransition { from: JobState::Pending, to: JobState::Pending }), "{err}");
    let Applied::Moved { job: cancelled, .. } = control::cancel(&acme, job.id, "admin").await.unwrap() else {
        panic!("moved")
    };
    assert_eq!(cancelled.state, JobState::Cancelled);
    for err in [
        control::resume(&acme, job.id, "bob").await.unwrap_err(),
        control::retry(&acme, job.id, "bob").await.unwrap_err(),
        control::cancel(&acme, job.id, "bob").await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::IllegalTransition { from: JobState::Cancelled, .. }), "{err}");
    }

    let history = acme.job_history(job.id).await.unwrap();
    let steps: Vec<(Option<JobState>, JobState, &str, &str)> =
        history.iter().map(|t| (t.from, t.to, t.actor.as_str(), t.reason.as_str())).collect();
    assert_eq!(
        steps,
        [
            (None, JobState::Pending, "alice", "enqueued"),
            (Some(JobState::Pending), JobState::Paused, "alice", "paused"),
            (Some(JobState::Paused), JobState::Pending, "bob", "resumed"),
            (Some(JobState::Pending), JobState::Cancelled, "admin", "cancelled"),
        ]
    );
    assert!(history.windows(2).all(|w| w[0].at <= w[1].at));
}

async fn running_jobs_are_asked_to_stop(db: TestDb) {
    let acme = db.client("acme").await;
    let job = control::start(&acme, JobKind::Derive, "alice").await.unwrap();
    let claim = db.store.job_queue().claim("w1", Duration::seconds(30)).await.unwrap().unwrap();
    assert_eq!((claim.job.id, claim.job.state, claim.job.attempts), (job.id, JobState::Active, 1));

    let Applied::Requested(asked) = control::pause(&acme, job.id, "alice").await.unwrap() else { panic!("requested") };
    assert!(asked.pause_requested && asked.state == JobState::Active);
    let flags = db.store.job_queue().heartbeat(job.id, "w1", Duration::seconds(30)).await.unwrap().unwrap();
    assert!(flags.pause_requested && !flags.cancel_requested);
    let Applied::Requested(asked) = control::cancel(&acme, job.id, "admin").await.unwrap() else { panic!("requested") };
    assert!(asked.cancel_requested);
    // Another worker's heartbeat is refused: it does not hold the job.
    assert_eq!(db.store.job_queue().heartbeat(job.id, "w2", Duration::seconds(30)).await.unwrap(), None);
    // A resume or retry of a running job is illegal.
    assert!(matches!(control::resume(&acme, job.id, "bob").await.unwrap_err(), Error::IllegalTransition { .. }));
}

async fn jobs_are_the_clients_own(db: TestDb) {
    let acme = db.client("acme").await;
    let beta = db.client("beta").await;
    let job = control::start(&acme, JobKind::Derive, "alice").await.unwrap();
    assert_eq!(beta.job(job.id).await.unwrap(), None);
    assert!(beta.jobs(10).await.unwrap().is_empty());
    for err in [
        control::pause(&beta, job.id, "mallory").await.unwrap_err(),
        control::cancel(&beta, job.id, "mallory").await.unwrap_err(),
        control::resume(&beta, job.id, "mallory").await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::Core(pulse_core::Error::NotFound { entity: "job" })), "{err}");
    }
    assert!(beta.job_history(job.id).await.unwrap().is_empty());
    assert_eq!(acme.job(job.id).await.unwrap().unwrap().state, JobState::Pending);
    // A sync job needs one of the client's own integrations.
    let foreign = pulse_core::ids::IntegrationId::new(9_999);
    let err = control::start(&beta, JobKind::Sync { integration: foreign }, "mallory").await.unwrap_err();
    assert!(matches!(err, Error::Core(pulse_core::Error::NotFound { entity: "integration" })), "{err}");
}
