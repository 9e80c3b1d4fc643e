//! Graceful shutdown: a server with in-process workers stops in the middle of a sync,
//! and the job goes back to the queue, its lease released, ready for the next worker.

use std::time::{Duration, Instant};

use pulse_core::testing::TestDb;
use serde_json::json;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fake_github::{FakeConfig, FakeGithub};
use crate::support::{TestServer, tenant};

#[derive(Clone)]
struct Slow(FakeGithub);

impl Respond for Slow {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request).set_delay(Duration::from_millis(80))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_gives_running_jobs_back_to_the_queue() {
    let fake = FakeGithub::new(FakeConfig::new(600));
    let github = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(Slow(fake.clone())).mount(&github).await;
    fake.set_base(&github.uri());

    let server = TestServer::start_with(TestDb::sqlite().await, |c| {
        c.workers = 1;
        c.secret_key = Some(pulse_connectors::SecretKey::generate());
    })
    .await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();
    let integration =
        json!({ "kind": "github", "repo": "acme/api", "api_url": github.uri(), "token": "ghp_shutdown_test" });
    let (status, added) = http.post("/integrations", &acme.admin, integration).await;
    assert_eq!(status, 201, "{added}");
    assert!(!added.to_string().contains("ghp_shutdown_test"), "credentials are never returned");
    let (status, job) = http.post("/jobs", &acme.user, json!({ "kind": "sync", "integration": added["id"] })).await;
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_i64().unwrap();

    // Wait until the worker runs it and a page has landed.
    let started = Instant::now();
    loop {
        let (_, detail) = http.get(&format!("/jobs/{id}"), &acme.viewer).await;
        if detail["job"]["state"] == "ACTIVE" && detail["job"]["progress"]["pages"].as_u64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the job never ran: {detail}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let store = acme.store.clone();
    tokio::time::timeout(Duration::from_secs(30), server.stop()).await.expect("the server stopped in time");
    let job = store.job(pulse_core::model::JobId::new(id)).await.unwrap().unwrap();
    assert_eq!(job.state, pulse_core::model::JobState::Pending, "{job:?}");
    assert_eq!(job.lease_owner, None, "{job:?}");
    assert!(job.progress.is_some(), "its checkpointed progress is kept");
}
