//! Crash recovery with real processes: `pulse worker` syncs a (generated) GitHub and is
//! killed with SIGKILL at many different points; restarted each time, it finishes the
//! job, and the database holds exactly what an uninterrupted run lands, row for row.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pulse_core::model::*;
use pulse_core::store::Stored;
use pulse_core::{ClientStore, Store};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fake_github::{FakeConfig, FakeGithub};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// The generated GitHub, slowed down so that a sync spans many kill points.
#[derive(Clone)]
struct Slow(FakeGithub, Duration);

impl Respond for Slow {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request).set_delay(self.1)
    }
}

fn pulse(db: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse"));
    command
        .args(["--db", db, "--client", "acme"])
        .args(args)
        .env("PULSE_SECRET_KEY", KEY)
        .env("GH_TOKEN", "ghp_crash_test")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn run(db: &str, args: &[&str]) {
    let status = pulse(db, args).status().expect("run pulse");
    assert!(status.success(), "pulse {args:?} failed");
}

fn worker(db: &str, id: &str) -> Child {
    pulse(db, &["worker", "--concurrency", "1", "--lease", "3", "--id", id]).spawn().expect("start a worker")
}

async fn open(db: &str) -> (Store, ClientStore) {
    let store = Store::open(db).await.unwrap();
    let client = store.client(&"acme".parse().unwrap()).await.unwrap();
    (store, client)
}

/// Sets up the client, its GitHub integration and one queued sync job.
fn prepare(db: &str, api: &str) {
    run(db, &["client", "create", "acme"]);
    run(db, &["integration", "add", "github", "--repo", "acme/api", "--api-url", api, "--token-env", "GH_TOKEN"]);
    run(db, &["jobs", "start", "--integration", "1"]);
}

async fn job(client: &ClientStore) -> Job {
    client.jobs(1).await.unwrap().pop().expect("the sync job")
}

async fn wait_until(client: &ClientStore, what: &str, done: impl Fn(&Job) -> bool) -> Job {
    let started = Instant::now();
    loop {
        let j = job(client).await;
        if done(&j) {
            return j;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}: {j:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn rows<R: Stored>(client: &ClientStore) -> Vec<R> {
    client.list::<R>().await.unwrap()
}

/// Everything a sync lands, without the times of landing.
async fn snapshot(client: &ClientStore) -> Vec<String> {
    let mut out = Vec::new();
    macro_rules! table {
        ($ty:ty) => {
            let all = rows::<$ty>(client).await;
            out.push(format!("{} {}: {:?}", stringify!($ty), all.len(), all));
        };
    }
    table!(Repository);
    table!(Commit);
    table!(PullRequest);
    table!(PullRequestCommit);
    table!(Review);
    table!(Deployment);
    table!(Incident);
    table!(IssuePrLink);
    let raw: Vec<(String, String, String, String, String)> =
        rows::<RawPayload>(client).await.into_iter().map(|r| (r.source, r.stream, r.scope, r.key, r.body)).collect();
    out.push(format!("raw {}: {raw:?}", raw.len()));
    let cursors: Vec<(IntegrationId, String, serde_json::Value)> =
        rows::<SyncCursor>(client).await.into_iter().map(|c| (c.integration_id, c.stream, c.cursor)).collect();
    out.push(format!("cursors: {cursors:?}"));
    out
}

use pulse_core::ids::IntegrationId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_resumes_without_losing_or_repeating_anything() {
    let fake = FakeGithub::new(FakeConfig::new(600));
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Slow(fake.clone(), Duration::from_millis(60)))
        .mount(&server)
        .await;
    fake.set_base(&server.uri());
    let dir = tempfile::tempdir().unwrap();

    // The reference: one uninterrupted run.
    let reference = format!("sqlite://{}", dir.path().join("reference.db").display());
    prepare(&reference, &server.uri());
    let mut child = worker(&reference, "steady");
    let (store, client) = open(&reference).await;
    let done = wait_until(&client, "the uninterrupted run", |j| j.state == JobState::Finished).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let expected = snapshot(&client).await;
    assert!(expected[2].starts_with("PullRequest 600:"), "{}", &expected[2][..40]);
    assert_eq!(done.attempts, 1);
    store.close().await;

    // The same job, its worker killed again and again at different points of the run.
    let crashy = format!("sqlite://{}", dir.path().join("crashy.db").display());
    prepare(&crashy, &server.uri());
    let (store, client) = open(&crashy).await;
    let mut kills_mid_run = 0;
    let mut attempt = 0;
    while kills_mid_run < 12 {
        attempt += 1;
        assert!(attempt < 40, "the job finished before enough kills: make the sync slower");
        let id = format!("crashy-{attempt}");
        let mut child = worker(&crashy, &id);
        wait_until(&client, "a claim", |j| {
            j.lease_owner.as_deref() == Some(id.as_str()) || j.state == JobState::Finished
        })
        .await;
        // Vary the point: 0 to ~330 ms after the claim, in uneven steps.
        tokio::time::sleep(Duration::from_millis((attempt * 37 % 11) * 30)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        if job(&client).await.state == JobState::Finished {
            break;
        }
        kills_mid_run += 1;
    }
    assert!(kills_mid_run >= 10, "only {kills_mid_run} kills landed mid-run");

    let mut child = worker(&crashy, "final");
    let done = wait_until(&client, "the resumed run", |j| j.state == JobState::Finished).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(done.attempts as usize > kills_mid_run, "every restart took the job over");
    let history = client.job_history(done.id).await.unwrap();
    assert!(history.iter().filter(|t| t.reason.contains("lease of worker")).count() >= kills_mid_run);

    let actual = snapshot(&client).await;
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(&expected) {
        assert!(
            a == e,
            "differs from the uninterrupted run:\n  got      {}\n  expected {}",
            &a[..a.len().min(300)],
            &e[..e.len().min(300)]
        );
    }
    store.close().await;
}
