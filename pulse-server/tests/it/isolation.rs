//! Tenant isolation over REST and WebSocket: with two clients holding data, every read,
//! update, delete, job and stream endpoint is tried with the other client's ids and
//! tokens. Every attempt is refused exactly as for an id that never existed, and the
//! other client's rows do not change.

use futures::StreamExt;
use pulse_core::import::ImportFile;
use pulse_core::testing::TestDb;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{Http, Tenant, TestServer, tenant, window};

pulse_core::on_both_backends!(other_clients_ids_do_not_exist, lists_and_streams_show_only_the_callers_client);

/// The answer for `path` with the other client's id, and with an id nobody has: they must
/// be the same refusal.
async fn same_as_missing(http: &Http, token: &str, method: &str, theirs: &str, missing: &str, body: Option<Value>) {
    let a = http.send(method, theirs, Some(token), body.clone()).await;
    let b = http.send(method, missing, Some(token), body).await;
    assert!(matches!(a.0, 400 | 403 | 404), "{method} {theirs}: {a:?}");
    assert_eq!(a, b, "{method} {theirs} must look exactly like {missing}");
}

async fn globex_project(globex: &Tenant) -> String {
    let mut project = globex.store.projects().await.unwrap().remove(0);
    project.name = pulse_core::ids::ProjectName::parse("globex-secret-project").unwrap();
    let line = pulse_core::import::project_json(&project).to_string();
    globex.store.import().lines(ImportFile::Project, std::io::Cursor::new(line)).execute().await.unwrap();
    project.name.to_string()
}

async fn other_clients_ids_do_not_exist(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let globex = tenant(&server, "globex", 2).await;
    let secret_project = globex_project(&globex).await;
    let http = server.http();
    let before_jobs = globex.store.jobs(100).await.unwrap();
    let before_users = globex.store.users().await.unwrap();
    let before_tokens = globex.store.api_tokens().await.unwrap();
    let before_integrations = globex.store.integrations().await.unwrap().len();
    let before_projects = globex.store.projects().await.unwrap();

    let (job, missing_job) = (globex.job.to_string(), "987654".to_owned());
    for token in [&acme.admin, &acme.api_token] {
        same_as_missing(&http, token, "GET", &format!("/jobs/{job}"), &format!("/jobs/{missing_job}"), None).await;
        for action in ["pause", "resume", "cancel", "retry"] {
            same_as_missing(
                &http,
                token,
                "POST",
                &format!("/jobs/{job}/{action}"),
                &format!("/jobs/{missing_job}/{action}"),
                Some(json!({})),
            )
            .await;
        }
    }
    let admin = &acme.admin;
    let start = |id: i64| Some(json!({ "kind": "sync", "integration": id }));
    let a = http.send("POST", "/jobs", Some(admin), start(globex.integration.get())).await;
    let b = http.send("POST", "/jobs", Some(admin), start(987_654)).await;
    assert_eq!((a.0, &a), (404, &b));
    let role = Some(json!({ "role": "viewer" }));
    same_as_missing(&http, admin, "PATCH", &format!("/users/{}", globex.admin_id), "/users/987654", role).await;
    same_as_missing(&http, admin, "DELETE", &format!("/users/{}", globex.user_id), "/users/987654", None).await;
    same_as_missing(
        &http,
        admin,
        "DELETE",
        &format!("/api-tokens/{}", globex.api_token_id),
        "/api-tokens/987654",
        None,
    )
    .await;
    same_as_missing(
        &http,
        admin,
        "DELETE",
        &format!("/integrations/{}", globex.integration),
        "/integrations/987654",
        None,
    )
    .await;
    same_as_missing(&http, admin, "GET", &format!("/projects/{secret_project}"), "/projects/no-such-project", None)
        .await;
    same_as_missing(&http, admin, "DELETE", &format!("/projects/{secret_project}"), "/projects/no-such-project", None)
        .await;
    let w = window();
    same_as_missing(
        &http,
        admin,
        "GET",
        &format!("/metrics/dora?project={secret_project}&{w}"),
        &format!("/metrics/dora?project=no-such-project&{w}"),
        None,
    )
    .await;

    // A client named in the body is not accepted, and changes nothing.
    let (status, _) = http.post("/jobs", admin, json!({ "kind": "derive", "client_id": globex.id.get() })).await;
    assert_eq!(status, 400);
    // Tokens of one client do not turn into the other's by editing them.
    let grafted = acme.api_token.replacen(&format!("pulse_at_{}_", acme.id), &format!("pulse_at_{}_", globex.id), 1);
    assert_eq!(http.get("/client", &grafted).await.0, 401);

    // WebSocket: the other client's job does not exist before any upgrade.
    for (path, expect) in [(format!("/jobs/{job}/progress"), 404), (format!("/jobs/{missing_job}/progress"), 404)] {
        let mut request = format!("ws://{}/api/v1{path}", server.addr).into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {admin}").parse().unwrap());
        match tokio_tungstenite::connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), expect),
            other => panic!("{path}: expected a refusal, got {other:?}"),
        }
    }

    // Nothing of globex changed.
    assert_eq!(globex.store.jobs(100).await.unwrap(), before_jobs);
    assert_eq!(globex.store.users().await.unwrap(), before_users);
    assert_eq!(
        globex.store.api_tokens().await.unwrap().iter().filter(|t| t.revoked_at.is_none()).count(),
        before_tokens.len()
    );
    assert_eq!(globex.store.integrations().await.unwrap().len(), before_integrations);
    assert_eq!(globex.store.projects().await.unwrap(), before_projects);
    assert_eq!(http.get("/client", &globex.api_token).await.0, 200, "globex's token still works");
    server.stop().await;
}

async fn lists_and_streams_show_only_the_callers_client(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let globex = tenant(&server, "globex", 2).await;
    globex_project(&globex).await;
    let http = server.http();

    for path in ["/jobs", "/users", "/api-tokens", "/integrations", "/projects", "/client", "/me"] {
        let (status, body) = http.get(path, &acme.admin).await;
        assert_eq!(status, 200, "{path}");
        let text = body.to_string();
        assert!(!text.contains("globex"), "{path} shows another client: {text}");
    }
    let (_, jobs) = http.get("/jobs", &acme.admin).await;
    assert!(jobs.as_array().unwrap().iter().all(|j| j["client"] == acme.id.get()));
    // The same query answers with each client's own numbers (no shared cache entry).
    let path = format!("/metrics/dora?project={}&{}", acme.project, window());
    let (_, a) = http.get(&path, &acme.viewer).await;
    let (_, g) = http.get(&path, &globex.viewer).await;
    assert_ne!(a, g, "two different organisations");
    assert_eq!(a["scope"]["client"], acme.slug.as_str());
    assert_eq!(g["scope"]["client"], globex.slug.as_str());

    // The all-jobs stream carries only the caller's client's events.
    let mut request = format!("ws://{}/api/v1/jobs/progress", server.addr).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {}", acme.viewer).parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    let (status, globex_job) = http.post("/jobs", &globex.user, json!({ "kind": "derive" })).await;
    assert_eq!(status, 201);
    let (status, acme_job) = http.post("/jobs", &acme.user, json!({ "kind": "derive" })).await;
    assert_eq!(status, 201);
    let message =
        tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
    let event: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
    assert_eq!(event["client"], acme.id.get(), "{event}");
    assert_eq!(event["job"], acme_job["id"], "{event}");
    assert_ne!(event["job"], globex_job["id"]);

    // A browser passes its token as a query parameter; another client's token sees nothing of acme.
    let url = format!("ws://{}/api/v1/jobs/{}/progress?access_token={}", server.addr, acme_job["id"], globex.admin);
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404),
        other => panic!("expected 404, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_stream_follows_its_job_to_the_end() {
    let server = TestServer::start(TestDb::sqlite().await).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();
    let url = format!("ws://{}/api/v1/jobs/{}/progress?access_token={}", server.addr, acme.job, acme.viewer);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("upgrade");
    assert_eq!(http.post(&format!("/jobs/{}/pause", acme.job), &acme.admin, json!({})).await.0, 200);
    assert_eq!(http.post(&format!("/jobs/{}/cancel", acme.job), &acme.admin, json!({})).await.0, 200);
    let mut seen = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await {
        if message.is_close() {
            break;
        }
        let event: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
        seen.push((event["event"].as_str().unwrap().to_owned(), event["to"].as_str().unwrap().to_owned()));
    }
    assert_eq!(
        seen,
        [("state_changed".to_owned(), "PAUSED".to_owned()), ("state_changed".to_owned(), "CANCELLED".to_owned())],
        "and the socket closed after the final state"
    );
    // Without a token there is no stream.
    let url = format!("ws://{}/api/v1/jobs/progress", server.addr);
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
    server.stop().await;
}
