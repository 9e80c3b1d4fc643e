//! An in-process server on port 0 over a fresh database, and two seeded clients with a
//! user of each role, an API token, an integration and a job: what the REST, gRPC,
//! WebSocket, auth and isolation tests need.

use std::net::SocketAddr;

use pulse_core::ClientStore;
use pulse_core::auth::Password;
use pulse_core::dates::start_of_day;
use pulse_core::generate::{Generator, Scale};
use pulse_core::ids::{ClientId, IntegrationId, UserId};
use pulse_core::model::{Email, JobId, JobKind, NewApiToken, NewIntegration, NewJob, NewUser, Role};
use pulse_core::testing::TestDb;
use pulse_server::api::Api;
use pulse_server::auth::{JwtKeys, Principal, Subject};
use pulse_server::config::ServerConfig;
use pulse_server::server::Server;
use serde_json::Value;
use tokio::sync::oneshot;

pub const SECRET: &[u8] = b"test secret of at least thirty-two bytes";
pub const OPERATOR: &str = "operator-token-for-tests";
pub const PASSWORD: &str = "correct horse battery staple";

pub fn keys() -> JwtKeys {
    JwtKeys::from_secret(SECRET).unwrap()
}

/// A running server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub url: String,
    pub api: Api,
    pub db: std::sync::Arc<TestDb>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(db: TestDb) -> Self {
        Self::start_with(db, |_| {}).await
    }

    /// Starts with a configuration adjusted by `tune` (rate limits, Redis, …).
    pub async fn start_with(db: TestDb, tune: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::over(std::sync::Arc::new(db), tune).await
    }

    /// Another instance over the same database (several servers behind one Redis).
    pub async fn sibling(&self, tune: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::over(self.db.clone(), tune).await
    }

    async fn over(db: std::sync::Arc<TestDb>, tune: impl FnOnce(&mut ServerConfig)) -> Self {
        let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), keys());
        config.operator_token = Some(OPERATOR.into());
        config.shutdown_grace = std::time::Duration::from_secs(5);
        tune(&mut config);
        let server = Server::bind(db.store.clone(), config).await.expect("bind");
        let addr = server.local_addr();
        let api = server.api().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
        });
        TestServer { addr, url: format!("http://{addr}"), api, db, stop: Some(stop), task: Some(task) }
    }

    /// Stops gracefully and waits until the server has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the server task");
        }
    }

    pub fn http(&self) -> Http {
        Http { base: format!("{}/api/v1", self.url), client: reqwest::Client::new() }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A REST client: every call returns the status and the JSON body (Null when empty).
#[derive(Clone)]
pub struct Http {
    pub base: String,
    pub client: reqwest::Client,
}

impl Http {
    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let json =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(token), Some(body)).await
    }
}

/// One seeded client: data, users of every role with access tokens, an API token, an
/// integration and a queued job.
pub struct Tenant {
    pub slug: String,
    pub id: ClientId,
    pub store: ClientStore,
    pub admin: String,
    pub user: String,
    pub viewer: String,
    pub admin_id: UserId,
    pub user_id: UserId,
    pub viewer_id: UserId,
    pub api_token: String,
    pub api_token_id: i64,
    pub integration: IntegrationId,
    pub job: JobId,
    pub project: String,
}

pub fn email(slug: &str, role: &str) -> String {
    format!("{role}@{slug}.example")
}

/// A client with the small synthetic organisation (seeded by `seed`).
pub async fn tenant(server: &TestServer, slug: &str, seed: u64) -> Tenant {
    let store = server.db.client(slug).await;
    let end = start_of_day(chrono::Utc::now());
    let org = Generator::new(Scale::Small).seed(seed).end(end).generate();
    org.load(&store).await.expect("load the synthetic organisation");
    let password = Password::new(PASSWORD).unwrap();
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for role in [Role::Admin, Role::User, Role::Viewer] {
        let user = store
            .upsert_user(&NewUser {
                email: Email::parse(&email(slug, role.as_str())).unwrap(),
                display_name: format!("{slug} {}", role.as_str()),
                role,
            })
            .await
            .unwrap();
        store.set_password(user.id, &password).await.unwrap();
        let principal = Principal { client: store.id(), role, subject: Subject::User(user.id) };
        tokens.push(keys().issue_access(&principal, std::time::Duration::from_secs(600)));
        ids.push(user.id);
    }
    let (secret, api_token) = store
        .create_api_token(&NewApiToken {
            name: "ci".into(),
            role: Role::User,
            created_by: "tests".into(),
            expires_at: None,
        })
        .await
        .unwrap();
    let integration = store
        .upsert_integration(&NewIntegration {
            name: format!("github-{slug}"),
            kind: pulse_core::model::IntegrationKind::Github,
            base_url: "http://127.0.0.1:9".into(),
            credentials: pulse_core::model::SealedCredentials(b"sealed".to_vec()),
            settings: serde_json::json!({ "repo": "acme/api" }),
        })
        .await
        .unwrap();
    let job = store.enqueue_job(&NewJob::new(JobKind::Derive), "tests").await.unwrap();
    Tenant {
        slug: slug.into(),
        id: store.id(),
        store,
        admin: tokens[0].clone(),
        user: tokens[1].clone(),
        viewer: tokens[2].clone(),
        admin_id: ids[0],
        user_id: ids[1],
        viewer_id: ids[2],
        api_token: secret.expose_secret().to_owned(),
        api_token_id: api_token.id.get(),
        integration: integration.id,
        job: job.id,
        project: org.project.name.to_string(),
    }
}

/// The Redis of `scripts/test` (`PULSE_TEST_REDIS_URL`); `None` skips the test unless
/// every backend is required.
pub fn redis_url() -> Option<String> {
    match std::env::var("PULSE_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("PULSE_REQUIRE_ALL_BACKENDS").as_deref() == Ok("1") => {
            panic!("PULSE_TEST_REDIS_URL is not set but PULSE_REQUIRE_ALL_BACKENDS=1: run scripts/test")
        }
        Err(_) => {
            eprintln!("skipping Redis test: PULSE_TEST_REDIS_URL is not set");
            None
        }
    }
}

/// A Redis namespace no other test uses.
pub fn redis_namespace() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!("test-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// The 90 days up to tomorrow, as query parameters.
pub fn window() -> String {
    let to = start_of_day(chrono::Utc::now()) + chrono::Duration::days(1);
    let from = to - chrono::Duration::days(90);
    format!("from={}&to={}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d"))
}
