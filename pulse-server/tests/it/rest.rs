//! Every REST route, in-process over real HTTP, with its error paths. Storage-touching
//! tests run on SQLite and PostgreSQL.

use pulse_core::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{OPERATOR, PASSWORD, TestServer, email, tenant, window};

pulse_core::on_both_backends!(
    login_refresh_logout_and_invitations,
    metrics_routes_answer_and_cache,
    job_routes_follow_the_state_machine,
    admin_routes_manage_the_client,
    import_routes_write_all_or_nothing,
    operator_creates_clients,
);

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {body}"))
}

async fn login_refresh_logout_and_invitations(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();

    // Login: a session; every wrong part gets the same answer.
    let login =
        |client: &str, email: String, password: &str| json!({ "client": client, "email": email, "password": password });
    let (status, session) =
        http.send("POST", "/auth/login", None, Some(login("acme", email("acme", "user"), PASSWORD))).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["role"], "user");
    assert_eq!(session["token_type"], "Bearer");
    let access = session["access_token"].as_str().unwrap();
    let (status, me) = http.get("/me", access).await;
    assert_eq!((status, me["user"]["id"].as_i64()), (200, Some(acme.user_id.get())));
    assert_eq!(me["client"]["slug"], "acme");
    let mut messages = Vec::new();
    for (client, address, password) in [
        ("acme", email("acme", "user"), "wrong password!"),
        ("acme", "nobody@acme.example".to_owned(), PASSWORD),
        ("nosuch", email("acme", "user"), PASSWORD),
        ("acme", "not an address".to_owned(), PASSWORD),
    ] {
        let (status, body) = http.send("POST", "/auth/login", None, Some(login(client, address, password))).await;
        assert_eq!((status, code(&body)), (401, "unauthenticated"));
        messages.push(body["error"]["message"].clone());
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "failed logins must look alike: {messages:?}");
    let (status, body) = http.send("POST", "/auth/login", None, Some(json!({ "client": "acme" }))).await;
    assert_eq!((status, code(&body)), (400, "invalid_argument"));

    // Refresh rotates; the spent token used again ends the whole family.
    let first = session["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = http.send("POST", "/auth/refresh", None, Some(json!({ "refresh_token": first }))).await;
    assert_eq!(status, 200, "{second}");
    let second_token = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_token, first);
    let (status, body) = http.send("POST", "/auth/refresh", None, Some(json!({ "refresh_token": first }))).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));
    let (status, _) = http.send("POST", "/auth/refresh", None, Some(json!({ "refresh_token": second_token }))).await;
    assert_eq!(status, 401, "reuse of a spent token revokes its successors");

    // Logout ends a session.
    let (_, fresh) =
        http.send("POST", "/auth/login", None, Some(login("acme", email("acme", "admin"), PASSWORD))).await;
    let refresh = fresh["refresh_token"].as_str().unwrap();
    let (status, _) = http.send("POST", "/auth/logout", None, Some(json!({ "refresh_token": refresh }))).await;
    assert_eq!(status, 204);
    let (status, _) = http.send("POST", "/auth/refresh", None, Some(json!({ "refresh_token": refresh }))).await;
    assert_eq!(status, 401);
    let (status, body) = http.send("POST", "/auth/logout", None, Some(json!({ "refresh_token": "garbage" }))).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));

    // Invitations: an admin invites, the invitee sets a password once.
    let invite = json!({ "email": "new@acme.example", "display_name": "New Person", "role": "viewer" });
    let (status, invited) = http.post("/users", &acme.admin, invite.clone()).await;
    assert_eq!(status, 201, "{invited}");
    let invitation = invited["invitation"].as_str().unwrap();
    let accept = json!({ "invitation": invitation, "password": "a brand new password" });
    let (status, session) = http.send("POST", "/auth/invitations/accept", None, Some(accept.clone())).await;
    assert_eq!((status, session["role"].as_str()), (200, Some("viewer")), "{session}");
    let (status, body) = http.send("POST", "/auth/invitations/accept", None, Some(accept)).await;
    assert_eq!((status, code(&body)), (409, "conflict"));
    let (status, _) = http
        .send("POST", "/auth/login", None, Some(login("acme", "new@acme.example".into(), "a brand new password")))
        .await;
    assert_eq!(status, 200);
    let (status, body) = http.post("/users", &acme.admin, invite).await;
    assert_eq!((status, code(&body)), (409, "already_exists"));
    let short = json!({ "invitation": invitation, "password": "short" });
    let (status, _) = http.send("POST", "/auth/invitations/accept", None, Some(short)).await;
    assert_eq!(status, 400);
    let (status, body) = http
        .send(
            "POST",
            "/auth/invitations/accept",
            None,
            Some(json!({ "invitation": "x.y.z", "password": "long enough!" })),
        )
        .await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));
    server.stop().await;
}

async fn metrics_routes_answer_and_cache(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();
    let scope = format!("project={}&{}", acme.project, window());

    let response =
        http.client.get(format!("{}/metrics/dora?{scope}", http.base)).bearer_auth(&acme.viewer).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-pulse-cache"], "miss");
    let first: Value = response.json().await.unwrap();
    assert!(first["deployment_frequency"]["deployments"].as_u64().unwrap() > 0, "{first}");
    let response =
        http.client.get(format!("{}/metrics/dora?{scope}", http.base)).bearer_auth(&acme.viewer).send().await.unwrap();
    assert_eq!(response.headers()["x-pulse-cache"], "hit");
    assert_eq!(response.json::<Value>().await.unwrap(), first);

    // The same numbers as the library computes directly.
    let to = pulse_core::dates::start_of_day(chrono::Utc::now()) + chrono::Duration::days(1);
    let direct = acme
        .store
        .metrics()
        .dora()
        .project(&acme.project)
        .between(to - chrono::Duration::days(90), to)
        .execute()
        .await
        .unwrap();
    assert_eq!(first, serde_json::to_value(&direct).unwrap());

    let (status, series) = http.get(&format!("/metrics/dora?{scope}&interval=month"), &acme.viewer).await;
    assert_eq!(status, 200);
    assert!(series["series"].as_array().is_some_and(|s| s.len() >= 3), "{series}");
    let (status, explain) =
        http.get(&format!("/metrics/dora/explain?{scope}&metric=change_failure_rate"), &acme.viewer).await;
    assert_eq!(status, 200, "{explain}");
    let (status, prs) = http.get(&format!("/metrics/pull-requests?{scope}"), &acme.viewer).await;
    assert_eq!(status, 200, "{prs}");
    let (status, jira) = http.get(&format!("/metrics/jira?{scope}"), &acme.viewer).await;
    assert_eq!(status, 200, "{jira}");
    // An API token reads metrics too.
    let (status, _) = http.get(&format!("/metrics/dora?{scope}"), &acme.api_token).await;
    assert_eq!(status, 200);

    for (path, what) in [
        ("/metrics/dora?from=2026-13-01&to=2026-12-01", "from"),
        ("/metrics/dora?from=2026-01-01", "query"),
        ("/metrics/dora?from=2026-01-01&to=2026-02-01&interval=fortnight", "interval"),
        ("/metrics/dora?from=2026-01-01&to=2026-02-01&benchmark=dora-1999", "benchmark"),
        ("/metrics/dora/explain?from=2026-01-01&to=2026-02-01&metric=happiness", "metric"),
    ] {
        let (status, body) = http.get(path, &acme.viewer).await;
        assert_eq!((status, code(&body)), (400, "invalid_argument"), "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(what), "{path}: {body}");
    }
    let (status, body) = http.send("GET", &format!("/metrics/dora?{scope}"), None, None).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));
    let (status, body) =
        http.get(&format!("/metrics/dora?{window}&project=nosuch", window = window()), &acme.viewer).await;
    assert!(status == 404 || status == 400, "{status} {body}");
    server.stop().await;
}

async fn job_routes_follow_the_state_machine(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();

    let (status, jobs) = http.get("/jobs", &acme.viewer).await;
    assert_eq!(status, 200);
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    let (status, detail) = http.get(&format!("/jobs/{}", acme.job), &acme.viewer).await;
    assert_eq!(status, 200);
    assert_eq!(detail["job"]["state"], "PENDING");
    assert_eq!(detail["history"].as_array().unwrap().len(), 1);

    let (status, job) =
        http.post("/jobs", &acme.user, json!({ "kind": "sync", "integration": acme.integration.get() })).await;
    assert_eq!(status, 201, "{job}");
    assert_eq!((job["kind"].as_str(), job["integration"].as_i64()), (Some("sync"), Some(acme.integration.get())));
    let id = job["id"].as_i64().unwrap();
    let (status, body) = http.post("/jobs", &acme.user, json!({ "kind": "sync", "integration": 999_999 })).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    let (status, body) = http.post("/jobs", &acme.user, json!({ "kind": "mine-bitcoin" })).await;
    assert_eq!((status, code(&body)), (400, "invalid_argument"));
    let (status, body) = http.post("/jobs", &acme.viewer, json!({ "kind": "derive" })).await;
    assert_eq!((status, code(&body)), (403, "forbidden"));

    // Pause, resume, cancel: admins; retry: only failed jobs.
    let (status, body) = http.post(&format!("/jobs/{id}/pause"), &acme.user, json!({})).await;
    assert_eq!((status, code(&body)), (403, "forbidden"));
    let (status, job) = http.post(&format!("/jobs/{id}/pause"), &acme.admin, json!({})).await;
    assert_eq!((status, job["state"].as_str()), (200, Some("PAUSED")), "{job}");
    let (status, body) = http.post(&format!("/jobs/{id}/pause"), &acme.admin, json!({})).await;
    assert_eq!((status, code(&body)), (409, "conflict"));
    let (status, job) = http.post(&format!("/jobs/{id}/resume"), &acme.admin, json!({})).await;
    assert_eq!((status, job["state"].as_str()), (200, Some("PENDING")));
    let (status, body) = http.post(&format!("/jobs/{id}/retry"), &acme.user, json!({})).await;
    assert_eq!((status, code(&body)), (409, "conflict"), "a pending job cannot be retried");
    let (status, job) = http.post(&format!("/jobs/{id}/cancel"), &acme.admin, json!({})).await;
    assert_eq!((status, job["state"].as_str()), (200, Some("CANCELLED")));
    let (status, detail) = http.get(&format!("/jobs/{id}"), &acme.viewer).await;
    assert_eq!(status, 200);
    let actors: Vec<&str> =
        detail["history"].as_array().unwrap().iter().map(|t| t["actor"].as_str().unwrap()).collect();
    assert!(actors.contains(&format!("api:user:{}", acme.admin_id).as_str()), "{actors:?}");

    let (status, body) = http.get("/jobs/999999", &acme.viewer).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    let (status, body) = http.get("/jobs/abc", &acme.viewer).await;
    assert_eq!((status, code(&body)), (400, "invalid_argument"));
    let (status, body) = http.get("/jobs?limit=0", &acme.viewer).await;
    assert_eq!((status, code(&body)), (400, "invalid_argument"));
    server.stop().await;
}

async fn admin_routes_manage_the_client(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();

    let (status, client) = http.get("/client", &acme.viewer).await;
    assert_eq!((status, client["slug"].as_str()), (200, Some("acme")));
    let branding = json!({ "display_name": "ACME Corp", "logo_url": "https://acme.example/logo.svg", "primary_color": "#112233", "accent_color": null });
    let (status, body) = http.send("PUT", "/client/branding", Some(&acme.user), Some(branding.clone())).await;
    assert_eq!((status, code(&body)), (403, "forbidden"));
    let (status, client) = http.send("PUT", "/client/branding", Some(&acme.admin), Some(branding)).await;
    assert_eq!(status, 200, "{client}");
    assert_eq!(client["branding"]["display_name"], "ACME Corp");
    let (_, again) = http.get("/client", &acme.viewer).await;
    assert_eq!(again["branding"]["primary_color"], "#112233");
    let bad = json!({ "display_name": "x", "primary_color": "red" });
    let (status, body) = http.send("PUT", "/client/branding", Some(&acme.admin), Some(bad)).await;
    assert_eq!((status, code(&body)), (400, "invalid_argument"));

    // Users.
    let (status, body) = http.get("/users", &acme.user).await;
    assert_eq!((status, code(&body)), (403, "forbidden"));
    let (status, users) = http.get("/users", &acme.admin).await;
    assert_eq!((status, users.as_array().unwrap().len()), (200, 3));
    assert!(users.to_string().find("password").is_none(), "no password hashes in listings");
    let (status, user) = http
        .send("PATCH", &format!("/users/{}", acme.viewer_id), Some(&acme.admin), Some(json!({ "role": "user" })))
        .await;
    assert_eq!((status, user["role"].as_str()), (200, Some("user")));
    let (status, body) = http
        .send("PATCH", &format!("/users/{}", acme.viewer_id), Some(&acme.admin), Some(json!({ "role": "root" })))
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_argument"));
    let (status, body) = http.send("DELETE", &format!("/users/{}", acme.admin_id), Some(&acme.admin), None).await;
    assert_eq!((status, code(&body)), (409, "conflict"));
    let (status, _) = http.send("DELETE", &format!("/users/{}", acme.viewer_id), Some(&acme.admin), None).await;
    assert_eq!(status, 204);
    let (status, body) = http.send("DELETE", &format!("/users/{}", acme.viewer_id), Some(&acme.admin), None).await;
    assert_eq!((status, code(&body)), (404, "not_found"));

    // API tokens: created with a secret shown once, listed without it, revoked.
    let (status, created) =
        http.post("/api-tokens", &acme.admin, json!({ "name": "deploy-bot", "role": "user" })).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(&format!("pulse_at_{}_", acme.id)));
    let (status, me) = http.get("/me", &secret).await;
    assert_eq!((status, me["role"].as_str(), me["user"].is_null()), (200, Some("user"), true));
    let (status, tokens) = http.get("/api-tokens", &acme.admin).await;
    assert_eq!((status, tokens.as_array().unwrap().len()), (200, 2));
    assert!(!tokens.to_string().contains(&secret[10..]), "listings never carry secrets");
    let (status, body) = http.post("/api-tokens", &acme.admin, json!({ "name": "deploy-bot", "role": "user" })).await;
    assert_eq!((status, code(&body)), (409, "already_exists"));
    let id = created["id"].as_i64().unwrap();
    let (status, _) = http.send("DELETE", &format!("/api-tokens/{id}"), Some(&acme.admin), None).await;
    assert_eq!(status, 204);
    let (status, body) = http.get("/me", &secret).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));
    let (status, body) = http.post("/api-tokens", &acme.user, json!({ "name": "x", "role": "admin" })).await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "users cannot mint tokens");

    // Integrations: listed without credentials; adding needs the server's secret key.
    let (status, integrations) = http.get("/integrations", &acme.viewer).await;
    assert_eq!(status, 200);
    assert_eq!(integrations[0]["id"].as_i64(), Some(acme.integration.get()));
    assert!(integrations[0].get("credentials").is_none());
    let github = json!({ "kind": "github", "repo": "acme/web", "token": "ghp_secret_value" });
    let (status, body) = http.post("/integrations", &acme.admin, github.clone()).await;
    assert_eq!((status, code(&body)), (503, "unavailable"), "no PULSE_SECRET_KEY configured");
    assert!(!body.to_string().contains("ghp_secret_value"));
    let (status, body) = http.post("/integrations", &acme.user, github).await;
    assert_eq!((status, code(&body)), (403, "forbidden"));
    let (status, _) =
        http.send("DELETE", &format!("/integrations/{}", acme.integration), Some(&acme.admin), None).await;
    assert_eq!(status, 204);
    let (status, _) =
        http.send("DELETE", &format!("/integrations/{}", acme.integration), Some(&acme.admin), None).await;
    assert_eq!(status, 404);

    // Projects.
    let (status, projects) = http.get("/projects", &acme.viewer).await;
    assert_eq!((status, projects[0]["name"].as_str()), (200, Some(acme.project.as_str())));
    let (status, project) = http.get(&format!("/projects/{}", acme.project), &acme.viewer).await;
    assert_eq!(status, 200);
    assert!(project["repos"].as_array().is_some_and(|r| !r.is_empty()));
    let (status, body) = http.get("/projects/nosuch", &acme.viewer).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    let (status, body) = http.send("DELETE", &format!("/projects/{}", acme.project), Some(&acme.user), None).await;
    assert_eq!((status, code(&body)), (403, "forbidden"));
    let (status, _) = http.send("DELETE", &format!("/projects/{}", acme.project), Some(&acme.admin), None).await;
    assert_eq!(status, 204);
    server.stop().await;
}

async fn import_routes_write_all_or_nothing(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();
    let scope = format!("project={}&{}", acme.project, window());
    let deployments = |body: &Value| body["deployment_frequency"]["deployments"].as_u64().unwrap();
    let (_, before) = http.get(&format!("/metrics/dora?{scope}"), &acme.viewer).await;

    // A production deployment of an existing commit, an hour ago.
    let stored: Vec<pulse_core::model::Deployment> = acme.store.list().await.unwrap();
    let latest = stored.iter().filter(|d| d.environment == "production").max_by_key(|d| d.finished_at).unwrap();
    let mut pushed = latest.clone();
    pushed.id = "pushed-by-ci".into();
    pushed.finished_at = chrono::Utc::now() - chrono::Duration::hours(1);
    pushed.started_at = Some(pushed.finished_at - chrono::Duration::minutes(5));
    let line = pulse_core::import::deployment_json(&pushed).to_string();

    let url = format!("{}/import/deployments", http.base);
    let bad = format!("{line}\n{{\"repo\": \"{}\", \"id\": \"x\"}}\n", pushed.repo);
    let response = http.client.post(&url).bearer_auth(&acme.user).body(bad).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "invalid_import");
    assert_eq!(
        (body["error"]["file"].as_str(), body["error"]["line"].as_u64()),
        (Some("deployments.jsonl"), Some(2)),
        "{body}"
    );
    assert_eq!(
        acme.store.count::<pulse_core::model::Deployment>().await.unwrap(),
        stored.len() as u64,
        "nothing written"
    );

    let response = http.client.post(&url).bearer_auth(&acme.viewer).body(line.clone()).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let response = http.client.post(&url).bearer_auth(&acme.user).body(line.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["counts"]["deployments"], 1, "{summary}");

    // The cached answer is not served after the data changed.
    let response =
        http.client.get(format!("{}/metrics/dora?{scope}", http.base)).bearer_auth(&acme.viewer).send().await.unwrap();
    assert_eq!(response.headers()["x-pulse-cache"], "miss");
    let after: Value = response.json().await.unwrap();
    assert_eq!(deployments(&after), deployments(&before) + 1);

    // Several files at once, by multipart; a project.json needs an admin.
    let project = pulse_core::import::project_json(&acme.store.projects().await.unwrap()[0]).to_string();
    let form =
        || reqwest::multipart::Form::new().text("deployments.jsonl", line.clone()).text("project", project.clone());
    let response = http
        .client
        .post(format!("{}/import", http.base))
        .bearer_auth(&acme.user)
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = http
        .client
        .post(format!("{}/import", http.base))
        .bearer_auth(&acme.admin)
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = http
        .client
        .post(format!("{}/import", http.base))
        .bearer_auth(&acme.admin)
        .multipart(reqwest::multipart::Form::new().text("secrets", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = http
        .client
        .post(format!("{}/import/passwords", http.base))
        .bearer_auth(&acme.admin)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    server.stop().await;
}

async fn operator_creates_clients(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();
    let request = json!({ "slug": "initech", "admin_email": "boss@initech.example" });
    let (status, body) = http.post("/clients", &acme.admin, request.clone()).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"), "a client's admin is not the operator");
    let (status, body) = http.post("/clients", "wrong-operator-token", request.clone()).await;
    assert_eq!(status, 401, "{body}");
    let (status, created) = http.post("/clients", OPERATOR, request.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["client"]["slug"], "initech");
    let (status, body) = http.post("/clients", OPERATOR, request).await;
    assert_eq!((status, code(&body)), (409, "already_exists"));
    // The first admin accepts the invitation and sees only the new, empty client.
    let accept = json!({ "invitation": created["admin"]["invitation"], "password": "initech admin password" });
    let (status, session) = http.send("POST", "/auth/invitations/accept", None, Some(accept)).await;
    assert_eq!(status, 200, "{session}");
    let token = session["access_token"].as_str().unwrap();
    let (_, jobs) = http.get("/jobs", token).await;
    assert_eq!(jobs, json!([]));
    let (_, users) = http.get("/users", token).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operational_endpoints_and_the_openapi_document() {
    let server = TestServer::start_with(TestDb::sqlite().await, |c| {
        c.dora_gauge_interval = Some(std::time::Duration::from_millis(200));
        c.workers = 1;
    })
    .await;
    let acme = tenant(&server, "acme", 1).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", server.url)).send();
    let health = get("/healthz").await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: Value = get("/readyz").await.unwrap().json().await.unwrap();
    assert_eq!(ready, json!({ "ready": true, "database": "ok", "redis": "not configured" }));
    assert!(server.api.cache().redis().is_none());

    let (status, _) =
        server.http().get(&format!("/metrics/dora?project={}&{}", acme.project, window()), &acme.viewer).await;
    assert_eq!(status, 200);
    // A job run by the in-process worker, to be counted.
    let (status, job) = server.http().post("/jobs", &acme.user, json!({ "kind": "derive" })).await;
    assert_eq!(status, 201);
    for _ in 0..100 {
        let (_, detail) = server.http().get(&format!("/jobs/{}", job["id"]), &acme.viewer).await;
        if detail["job"]["state"] == "FINISHED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let response = get("/metrics").await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(text.contains("pulse_http_requests_total{"), "{text}");
    let dora = format!(
        "pulse_http_requests_total{{method=\"GET\",route=\"/api/v1/metrics/dora\",status=\"200\",client=\"{}\"}}",
        acme.id
    );
    assert!(text.contains(&dora), "{dora} missing: {text}");
    assert!(text.contains("pulse_http_request_duration_seconds"), "{text}");
    assert!(text.contains("pulse_jobs_total{kind=\"derive\",state=\"FINISHED\"}"), "{text}");
    assert!(text.contains("pulse_job_duration_seconds"), "{text}");
    let gauge = format!("pulse_dora_deployments_per_week{{client=\"acme\",project=\"{}\"}}", acme.project);
    let line = text.lines().find(|l| l.starts_with(&gauge)).unwrap_or_else(|| panic!("{gauge} missing: {text}"));
    let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(value > 0.0, "{line}");

    let response = get("/api/v1/openapi.json").await.unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in
        ["/metrics/dora", "/jobs/{id}/pause", "/auth/login", "/import/{kind}", "/users/{id}", "/jobs/{id}/progress"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let response = get("/no/such/route").await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "not_found");
    let request_id = get("/healthz").await.unwrap().headers().get("x-request-id").cloned();
    assert!(request_id.is_some_and(|id| id.len() >= 32), "every response names its request");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_is_refused_with_retry_after() {
    let server = TestServer::start_with(TestDb::sqlite().await, |c| c.rate_limit_per_client = 1).await;
    let acme = tenant(&server, "acme", 1).await;
    let globex = tenant(&server, "globex", 2).await;
    let http = server.http();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(http.get("/client", &acme.viewer).await.0);
    }
    assert_eq!(&statuses[..2], &[200, 200], "a burst of twice the rate passes");
    assert!(statuses[2..].contains(&429), "{statuses:?}");
    let response = http.client.get(format!("{}/client", http.base)).bearer_auth(&acme.viewer).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    // Another client has its own budget.
    assert_eq!(http.get("/client", &globex.viewer).await.0, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_configured_origins() {
    let server =
        TestServer::start_with(TestDb::sqlite().await, |c| c.cors_origins = vec!["https://dash.example".into()]).await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{}/api/v1/metrics/dora", server.url))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://dash.example").await.unwrap();
    assert_eq!(
        allowed.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap()),
        Some("https://dash.example")
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());

    // A page on the allowed origin may read the headers it needs: the request id, the cache
    // result and, when rate-limited, when to retry.
    let response =
        client.get(format!("{}/healthz", server.url)).header("origin", "https://dash.example").send().await.unwrap();
    let exposed = response.headers().get("access-control-expose-headers").unwrap().to_str().unwrap().to_owned();
    for name in ["x-request-id", "x-pulse-cache", "retry-after"] {
        assert!(exposed.contains(name), "{name} not in {exposed}");
    }
    server.stop().await;
}
