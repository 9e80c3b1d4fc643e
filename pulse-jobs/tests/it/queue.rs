//! Workers: running jobs to their end, pausing at a page boundary, retrying with
//! backoff, taking turns between clients, and (PostgreSQL) sharing one queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use pulse_core::model::{Job, JobId, JobKind, JobState, NewJob};
use pulse_core::testing::TestDb;
use pulse_core::{ClientStore, Store, on_both_backends};
use pulse_jobs::control::{self, Applied};
use pulse_jobs::{JobContext, JobHandler, Outcome, ProgressEvent, ProgressHub, Worker, WorkerOptions};
use tokio::sync::oneshot;

use crate::handlers::{Failing, Paged};

on_both_backends!(
    a_job_runs_to_the_end,
    a_paused_job_stops_at_a_page_boundary_and_resumes_there,
    failures_retry_then_fail,
    small_clients_are_not_starved
);

fn options(id: &str) -> WorkerOptions {
    WorkerOptions {
        id: id.into(),
        concurrency: 1,
        lease: Duration::seconds(3),
        poll: StdDuration::from_millis(50),
        retry_base: Duration::zero(),
        schedules: false,
    }
}

/// A running worker; dropping the sender stops it.
struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    fn start(store: &Store, options: WorkerOptions, handler: Arc<dyn JobHandler>, hub: ProgressHub) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let worker = Worker::new(store.clone(), options, handler, hub);
        let task = tokio::spawn(async move {
            worker
                .run(async {
                    stopped.await.ok();
                })
                .await
                .expect("the worker runs");
        });
        Self { stop: Some(stop), task }
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).ok();
        self.task.await.unwrap();
    }
}

async fn wait_for(client: &ClientStore, job: JobId, state: JobState) -> Job {
    for _ in 0..400 {
        let current = client.job(job).await.unwrap().unwrap();
        if current.state == state {
            return current;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!("job {job} never reached {state}: {:?}", client.job(job).await.unwrap());
}

async fn a_job_runs_to_the_end(db: TestDb) {
    let acme = db.client("acme").await;
    let handler = Paged::new(5, StdDuration::from_millis(10));
    let hub = ProgressHub::default();
    let mut events = hub.subscribe();
    let worker = Running::start(&db.store, options("w1"), Arc::new(handler.clone()), hub);
    let job = control::start(&acme, JobKind::Derive, "alice").await.unwrap();
    let done = wait_for(&acme, job.id, JobState::Finished).await;
    worker.stop().await;

    assert_eq!(handler.pages_of(job.id), [1, 2, 3, 4, 5]);
    assert_eq!(done.progress.as_ref().unwrap()["pages"], 5, "the latest progress is stored");
    assert_eq!((done.lease_owner.as_deref(), done.attempts), (None, 1));
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(match event {
            ProgressEvent::StateChanged { to, .. } => format!("{to}"),
            ProgressEvent::PageDone { pages, .. } => format!("page {pages}"),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(seen, ["ACTIVE", "page 1", "page 2", "page 3", "page 4", "page 5", "FINISHED"]);
    let steps: Vec<(Option<JobState>, JobState)> =
        acme.job_history(job.id).await.unwrap().iter().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        steps,
        [
            (None, JobState::Pending),
            (Some(JobState::Pending), JobState::Active),
            (Some(JobState::Active), JobState::Finished)
        ]
    );
}

async fn a_paused_job_stops_at_a_page_boundary_and_resumes_there(db: TestDb) {
    let acme = db.client("acme").await;
    let handler = Paged::new(30, StdDuration::from_millis(100));
    let worker = Running::start(
        &db.store,
        WorkerOptions { lease: Duration::milliseconds(600), ..options("w1") },
        Arc::new(handler.clone()),
        ProgressHub::default(),
    );
    let job = control::start(&acme, JobKind::Derive, "alice").await.unwrap();
    wait_for(&acme, job.id, JobState::Active).await;
    tokio::time::sleep(StdDuration::from_millis(400)).await;
    let Applied::Requested(_) = control::pause(&acme, job.id, "alice").await.unwrap() else { panic!("it runs") };
    let paused = wait_for(&acme, job.id, JobState::Paused).await;
    let stopped_after = paused.progress.as_ref().unwrap()["pages"].as_u64().unwrap();
    assert!((2..30).contains(&stopped_after), "paused after page {stopped_after}");
    assert_eq!(handler.pages_of(job.id).len() as u64, stopped_after, "no page ran after the pause");

    control::resume(&acme, job.id, "alice").await.unwrap();
    wait_for(&acme, job.id, JobState::Finished).await;
    worker.stop().await;
    assert_eq!(handler.pages_of(job.id), (1..=30).collect::<Vec<_>>(), "every page once, in order");
}

async fn failures_retry_then_fail(db: TestDb) {
    let acme = db.client("acme").await;
    let worker = Running::start(&db.store, options("w1"), Arc::new(Failing), ProgressHub::default());
    let mut new = NewJob::new(JobKind::Derive);
    new.max_attempts = 3;
    let job = acme.enqueue_job(&new, "alice").await.unwrap();
    let failed = loop {
        let j = acme.job(job.id).await.unwrap().unwrap();
        if j.state == JobState::Failed && j.attempts == 3 {
            break j;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    };
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    worker.stop().await;
    let after = acme.job(job.id).await.unwrap().unwrap();
    assert_eq!(after.state, JobState::Failed, "no fourth attempt");
    assert!(failed.error.as_deref().unwrap().contains("this handler always fails"), "the error is kept");
    let retries = acme
        .job_history(job.id)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.from == Some(JobState::Failed) && t.to == JobState::Pending)
        .count();
    assert_eq!(retries, 2);
    // A hand retry starts counting afresh.
    let again = control::retry(&acme, job.id, "alice").await.unwrap();
    assert_eq!(again.from(), JobState::Failed);
    let again = again.into_job();
    assert_eq!((again.state, again.attempts), (JobState::Pending, 0));
}

/// Records the order in which jobs start.
struct Recorder(Arc<Mutex<Vec<JobId>>>);

#[async_trait]
impl JobHandler for Recorder {
    async fn run(&self, ctx: &JobContext) -> pulse_jobs::Result<Outcome> {
        self.0.lock().unwrap().push(ctx.job.id);
        tokio::time::sleep(StdDuration::from_millis(5)).await;
        Ok(Outcome::Finished)
    }
}

async fn small_clients_are_not_starved(db: TestDb) {
    let big = db.client("big").await;
    let small = db.client("small").await;
    let mut backlog = Vec::new();
    for _ in 0..50 {
        backlog.push(control::start(&big, JobKind::Derive, "big").await.unwrap().id);
    }
    let theirs = control::start(&small, JobKind::Derive, "small").await.unwrap().id;
    let order = Arc::new(Mutex::new(Vec::new()));
    let worker = Running::start(&db.store, options("w1"), Arc::new(Recorder(order.clone())), ProgressHub::default());
    wait_for(&big, *backlog.last().unwrap(), JobState::Finished).await;
    wait_for(&small, theirs, JobState::Finished).await;
    worker.stop().await;
    let order = order.lock().unwrap().clone();
    let position = order.iter().position(|j| *j == theirs).unwrap();
    assert!(position <= 1, "the small client's job ran {position}th of {}", order.len());
}

/// Every job runs once, by one worker at a time, with two workers (separate pools, as
/// separate processes would have) hammering one PostgreSQL queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_workers_never_share_a_job() {
    let Some(url) = TestDb::postgres_url("pulse_jobs_contention").await else { return };
    let store_a = Store::open(&url).await.unwrap();
    let store_b = Store::open(&url).await.unwrap();
    let acme =
        store_a.create_client(&"acme".parse().unwrap(), &pulse_core::model::Branding::named("Acme")).await.unwrap();
    let mut jobs = Vec::new();
    for _ in 0..60 {
        jobs.push(control::start(&acme, JobKind::Derive, "load").await.unwrap().id);
    }

    /// Fails the test if a job is started while it already runs.
    struct Exclusive {
        running: Arc<Mutex<HashMap<JobId, String>>>,
        runs: Arc<Mutex<Vec<(JobId, String)>>>,
        worker: String,
    }
    #[async_trait]
    impl JobHandler for Exclusive {
        async fn run(&self, ctx: &JobContext) -> pulse_jobs::Result<Outcome> {
            if let Some(other) = self.running.lock().unwrap().insert(ctx.job.id, self.worker.clone()) {
                panic!("job {} already runs on {other}", ctx.job.id);
            }
            tokio::time::sleep(StdDuration::from_millis(15)).await;
            self.running.lock().unwrap().remove(&ctx.job.id);
            self.runs.lock().unwrap().push((ctx.job.id, self.worker.clone()));
            Ok(Outcome::Finished)
        }
    }
    let running = Arc::new(Mutex::new(HashMap::new()));
    let runs = Arc::new(Mutex::new(Vec::new()));
    let handler = |w: &str| Arc::new(Exclusive { running: running.clone(), runs: runs.clone(), worker: w.into() });
    let a = Running::start(
        &store_a,
        WorkerOptions { concurrency: 3, ..options("a") },
        handler("a"),
        ProgressHub::default(),
    );
    let b = Running::start(
        &store_b,
        WorkerOptions { concurrency: 3, ..options("b") },
        handler("b"),
        ProgressHub::default(),
    );
    for job in &jobs {
        wait_for(&acme, *job, JobState::Finished).await;
    }
    a.stop().await;
    b.stop().await;
    let runs = runs.lock().unwrap().clone();
    let mut ran: Vec<JobId> = runs.iter().map(|(j, _)| *j).collect();
    ran.sort();
    assert_eq!(ran, jobs, "each job ran exactly once");
    let by_a = runs.iter().filter(|(_, w)| w == "a").count();
    assert!(by_a > 0 && by_a < runs.len(), "both workers took jobs ({by_a} of {})", runs.len());
}

/// A worker that dies (no heartbeat) loses its job to another once the lease expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_expired_lease_is_taken_over() {
    let Some(db) = TestDb::postgres().await else { return };
    let acme = db.client("acme").await;
    let job = control::start(&acme, JobKind::Derive, "alice").await.unwrap();
    let dead = db.store.job_queue().claim("dead-worker", Duration::milliseconds(300)).await.unwrap().unwrap();
    assert_eq!(dead.job.id, job.id);
    assert_eq!(
        db.store.job_queue().claim("w1", Duration::seconds(3)).await.unwrap(),
        None,
        "held while the lease runs"
    );
    tokio::time::sleep(StdDuration::from_millis(400)).await;
    let handler = Paged::new(2, StdDuration::from_millis(5));
    let worker = Running::start(&db.store, options("w1"), Arc::new(handler.clone()), ProgressHub::default());
    let done = wait_for(&acme, job.id, JobState::Finished).await;
    worker.stop().await;
    assert_eq!(done.attempts, 2);
    let history = acme.job_history(job.id).await.unwrap();
    assert!(history.iter().any(|t| t.reason == "the lease of worker dead-worker expired"), "{history:?}");
    // The dead worker, back, can neither heartbeat nor record an end.
    assert_eq!(db.store.job_queue().heartbeat(job.id, "dead-worker", Duration::seconds(3)).await.unwrap(), None);
    assert!(
        !db.store
            .job_queue()
            .finish(&dead.job, "dead-worker", JobState::Failed, &Default::default(), "late")
            .await
            .unwrap()
    );
}

/// A queued job wakes an idle PostgreSQL worker at once (LISTEN/NOTIFY), long before its
/// next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notifications_wake_idle_workers() {
    let Some(db) = TestDb::postgres().await else { return };
    let acme = db.client("acme").await;
    let handler = Paged::new(1, StdDuration::from_millis(1));
    let worker = Running::start(
        &db.store,
        WorkerOptions { poll: StdDuration::from_secs(30), ..options("w1") },
        Arc::new(handler),
        ProgressHub::default(),
    );
    // Let the worker go idle first.
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let job = control::start(&acme, JobKind::Derive, "alice").await.unwrap();
    wait_for(&acme, job.id, JobState::Finished).await;
    assert!(started.elapsed() < StdDuration::from_secs(5), "took {:?}", started.elapsed());
    worker.stop().await;
}
