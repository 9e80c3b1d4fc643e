//! Against a real Redis (`scripts/test` starts one): two server instances over one
//! database share cached metric answers, an import through one is seen by the other at
//! once, and progress events reach listeners on the other instance, only its client's; a
//! separate `pulse worker` process's progress and data changes reach a server too.

use std::time::Duration;

use futures::StreamExt;
use pulse_core::testing::TestDb;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::fake_github::{FakeConfig, FakeGithub};
use crate::support::{TestServer, redis_namespace, redis_url, tenant, window};

pulse_core::on_both_backends!(
    instances_share_answers_and_hear_of_imports,
    progress_reaches_listeners_on_other_instances,
    a_separate_worker_streams_progress_and_announces_changes,
);

/// Two instances behind one Redis. The second trusts a data version for an hour, so only
/// the announcement of a change can make it re-read the version.
async fn pair(db: TestDb) -> Option<(TestServer, TestServer)> {
    let url = redis_url()?;
    let namespace = redis_namespace();
    let (u, n) = (url.clone(), namespace.clone());
    let a = TestServer::start_with(db, move |c| {
        c.redis_url = Some(u);
        c.redis_namespace = n;
    })
    .await;
    let b = a
        .sibling(move |c| {
            c.redis_url = Some(url);
            c.redis_namespace = namespace;
            c.data_version_freshness = Duration::from_secs(3600);
        })
        .await;
    Some((a, b))
}

async fn dora(server: &TestServer, token: &str, scope: &str) -> (String, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/metrics/dora?{scope}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cache = response.headers()["x-pulse-cache"].to_str().unwrap().to_owned();
    (cache, response.json().await.unwrap())
}

async fn instances_share_answers_and_hear_of_imports(db: TestDb) {
    let Some((a, b)) = pair(db).await else { return };
    let acme = tenant(&a, "acme", 1).await;
    let globex = tenant(&a, "globex", 2).await;
    let scope = format!("project={}&{}", acme.project, window());

    let (cache, first) = dora(&a, &acme.viewer, &scope).await;
    assert_eq!(cache, "miss");
    let (cache, shared) = dora(&b, &acme.viewer, &scope).await;
    assert_eq!(cache, "hit", "the other instance's answer came through Redis");
    assert_eq!(shared, first);
    // The same query of another client is its own entry.
    let (cache, theirs) = dora(&b, &globex.viewer, &scope).await;
    assert_eq!(cache, "miss");
    assert_ne!(theirs, first);

    // An import through instance A.
    let stored: Vec<pulse_core::model::Deployment> = acme.store.list().await.unwrap();
    let mut pushed =
        stored.iter().filter(|d| d.environment == "production").max_by_key(|d| d.finished_at).unwrap().clone();
    pushed.id = "pushed-through-a".into();
    pushed.finished_at = chrono::Utc::now() - chrono::Duration::hours(2);
    pushed.started_at = None;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/import/deployments", a.url))
        .bearer_auth(&acme.user)
        .body(pulse_core::import::deployment_json(&pushed).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // B hears of it (pub/sub is asynchronous: allow it a moment) and stops serving the old answer.
    let expected = first["deployment_frequency"]["deployments"].as_u64().unwrap() + 1;
    let mut seen = None;
    for _ in 0..50 {
        let (cache, body) = dora(&b, &acme.viewer, &scope).await;
        if cache == "miss" {
            seen = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fresh = seen.expect("instance B kept serving the answer from before the import");
    assert_eq!(fresh["deployment_frequency"]["deployments"].as_u64(), Some(expected));
    // And A, which computed nothing since, gets B's fresh answer from Redis.
    let (cache, again) = dora(&a, &acme.viewer, &scope).await;
    assert_eq!((cache.as_str(), &again), ("hit", &fresh));

    let ready: Value = reqwest::get(format!("{}/readyz", b.url)).await.unwrap().json().await.unwrap();
    assert_eq!(ready["redis"], "ok");
    a.stop().await;
    b.stop().await;
}

async fn progress_reaches_listeners_on_other_instances(db: TestDb) {
    let Some((a, b)) = pair(db).await else { return };
    let acme = tenant(&a, "acme", 1).await;
    let globex = tenant(&a, "globex", 2).await;
    let connect = |server: &TestServer, token: &str| {
        let mut request = format!("ws://{}/api/v1/jobs/progress", server.addr).into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let (mut acme_on_b, _) = connect(&b, &acme.viewer).await.expect("upgrade");
    let (mut globex_on_b, _) = connect(&b, &globex.viewer).await.expect("upgrade");
    // Subscriptions are set up asynchronously on both sides; give them a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let http = a.http();
    let (status, job) = http.post("/jobs", &acme.user, json!({ "kind": "derive" })).await;
    assert_eq!(status, 201);
    let message =
        tokio::time::timeout(Duration::from_secs(10), acme_on_b.next()).await.expect("an event").unwrap().unwrap();
    let event: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
    assert_eq!((event["client"].as_i64(), &event["job"]), (Some(acme.id.get()), &job["id"]));
    assert_eq!(event["to"], "PENDING");
    // Globex's listener on B got nothing of acme's.
    assert!(tokio::time::timeout(Duration::from_millis(500), globex_on_b.next()).await.is_err());
    a.stop().await;
    b.stop().await;
}

/// `pulse worker --redis-url` (a process of its own) runs a sync queued through a server
/// with no workers: the server streams the worker's progress and, told by the worker that
/// the data changed, stops serving the answer it cached before, though it would otherwise
/// trust its data version for an hour.
async fn a_separate_worker_streams_progress_and_announces_changes(db: TestDb) {
    let Some(url) = redis_url() else { return };
    let namespace = redis_namespace();
    let key = pulse_connectors::SecretKey::generate();
    let db_url = db.url.clone();
    let (u, n, k) = (url.clone(), namespace.clone(), key.clone());
    let server = TestServer::start_with(db, move |c| {
        c.redis_url = Some(u);
        c.redis_namespace = n;
        c.workers = 0;
        c.secret_key = Some(k);
        c.data_version_freshness = Duration::from_secs(3600);
    })
    .await;
    let acme = tenant(&server, "acme", 1).await;
    let fake = FakeGithub::new(FakeConfig::new(30));
    let github = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any()).respond_with(fake.clone()).mount(&github).await;
    fake.set_base(&github.uri());

    let http = server.http();
    let integration =
        json!({ "kind": "github", "repo": "acme/api", "api_url": github.uri(), "token": "ghp_worker_test" });
    let (status, added) = http.post("/integrations", &acme.admin, integration).await;
    assert_eq!(status, 201, "{added}");
    let scope = window();
    assert_eq!(dora(&server, &acme.viewer, &scope).await.0, "miss");
    assert_eq!(dora(&server, &acme.viewer, &scope).await.0, "hit");

    let mut request = format!("ws://{}/api/v1/jobs/progress", server.addr).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {}", acme.viewer).parse().unwrap());
    let (mut stream, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    let (status, job) = http.post("/jobs", &acme.user, json!({ "kind": "sync", "integration": added["id"] })).await;
    assert_eq!(status, 201, "{job}");

    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["--db", &db_url, "worker", "--concurrency", "1", "--id", "separate"])
        .args(["--redis-url", &url, "--redis-namespace", &namespace])
        .env("PULSE_SECRET_KEY", key.to_hex())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start pulse worker");
    let mut seen = Vec::new();
    let finished = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(message) = stream.next().await {
            let event: Value = serde_json::from_str(message.unwrap().to_text().unwrap()).unwrap();
            if event["job"] != job["id"] {
                continue;
            }
            seen.push(event["event"].as_str().unwrap_or_default().to_owned());
            if event["to"] == "FINISHED" {
                return true;
            }
        }
        false
    })
    .await;
    worker.kill().unwrap();
    worker.wait().unwrap();
    assert_eq!(finished, Ok(true), "the worker's events reached the server: {seen:?}");
    assert!(seen.iter().any(|e| e == "page_done"), "{seen:?}");

    // The announcement travels on its own; allow it a moment.
    let mut cache = String::new();
    for _ in 0..50 {
        cache = dora(&server, &acme.viewer, &scope).await.0;
        if cache == "miss" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(cache, "miss", "the server kept serving the answer from before the sync");
    server.stop().await;
}
