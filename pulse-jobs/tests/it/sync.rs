//! A real sync job: the GitHub connector against the generated GitHub of the
//! connectors' tests, run by a worker, landing pages with their cursors.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use pulse_connectors::SecretKey;
use pulse_connectors::github::GithubSettings;
use pulse_connectors::integration::{ConnectOptions, add_github};
use pulse_core::ids::{JiraProjectKey, RepoName};
use pulse_core::model::{JobKind, JobState, PullRequest, SyncCursor};
use pulse_core::on_both_backends;
use pulse_core::testing::TestDb;
use pulse_jobs::{ProgressHub, Runner, Worker, WorkerOptions, control};
use wiremock::{Mock, MockServer};

use crate::fake_github::{FakeConfig, FakeGithub};

on_both_backends!(a_sync_job_lands_the_integration);

async fn a_sync_job_lands_the_integration(db: TestDb) {
    let fake = FakeGithub::new(FakeConfig::new(250));
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(fake.clone()).mount(&server).await;
    fake.set_base(&server.uri());

    let acme = db.client("acme").await;
    let key = SecretKey::generate();
    let mut settings = GithubSettings::new(RepoName::parse("acme/api").unwrap());
    settings.jira_projects = vec![JiraProjectKey::parse("CHK").unwrap()];
    let integration = add_github(&acme, &key, &server.uri(), &settings, "test-token").await.unwrap();

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = WorkerOptions {
        id: "w1".into(),
        poll: StdDuration::from_millis(50),
        lease: Duration::seconds(5),
        schedules: false,
        ..Default::default()
    };
    let worker = Worker::new(
        db.store.clone(),
        options,
        Arc::new(Runner::new(Some(key), ConnectOptions::default())),
        ProgressHub::default(),
    );
    let task = tokio::spawn(async move {
        worker
            .run(async {
                stopped.await.ok();
            })
            .await
            .unwrap()
    });

    let job = control::start(&acme, JobKind::Sync { integration: integration.id }, "alice").await.unwrap();
    let done = loop {
        let j = acme.job(job.id).await.unwrap().unwrap();
        if matches!(j.state, JobState::Finished | JobState::Failed) {
            break j;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    };
    stop.send(()).ok();
    task.await.unwrap();
    assert_eq!(done.state, JobState::Finished, "{:?}", done.error);
    assert_eq!(acme.count::<PullRequest>().await.unwrap(), 250);
    assert!(done.progress.as_ref().unwrap()["pages"].as_u64().unwrap() >= 3);
    assert!(acme.count::<SyncCursor>().await.unwrap() > 0, "cursors were stored with the pages");
    assert!(
        acme.begin_read().await.unwrap().facts_state().await.unwrap().is_current(),
        "facts refreshed after the sync"
    );
}
