//! Against a real Redis (`scripts/test` starts one): two server instances over one
//! database share cached metric answers, an import through one is seen by the other at
//! once, and progress events reach listeners on the other instance, only its client's.

use std::time::Duration;

use futures::StreamExt;
use pulse_core::testing::TestDb;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{TestServer, redis_namespace, redis_url, tenant, window};

pulse_core::on_both_backends!(instances_share_answers_and_hear_of_imports, progress_reaches_listeners_on_other_instances);

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
    let mut pushed = stored.iter().filter(|d| d.environment == "production").max_by_key(|d| d.finished_at).unwrap().clone();
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
    let message = tokio::time::timeout(Duration::from_secs(10), acme_on_b.next()).await.expect("an event").unwrap().unwrap();
    let event: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
    assert_eq!((event["client"].as_i64(), &event["job"]), (Some(acme.id.get()), &job["id"]));
    assert_eq!(event["to"], "PENDING");
    // Globex's listener on B got nothing of acme's.
    assert!(tokio::time::timeout(Duration::from_millis(500), globex_on_b.next()).await.is_err());
    a.stop().await;
    b.stop().await;
}
