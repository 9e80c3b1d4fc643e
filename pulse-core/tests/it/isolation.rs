//! Tenant isolation: a client's handle never reads, changes or deletes another
//! client's rows, and on PostgreSQL row-level security backs that up even for SQL that
//! forgets the `client_id` filter.

use pulse_core::ids::{ClientId, ProjectName};
use pulse_core::model::*;
use pulse_core::{ClientStore, Error};
use sqlx::{Connection, Row};

use crate::sample::*;
use crate::support::{TestDb, on_both_backends};

on_both_backends!(data_rows_are_invisible_across_clients, admin_rows_are_unreachable_by_id_across_clients,);

/// Gives `client` one row of every data entity, under keys of its own.
async fn seed(client: &ClientStore, owner: &str) {
    let repo = format!("{owner}/api");
    let mut tx = client.begin().await.unwrap();
    tx.upsert(&[repository(&repo)]).await.unwrap();
    tx.upsert(&[commit(&repo, "a1", &[], 1)]).await.unwrap();
    tx.upsert(&[pull_request(&repo, 1, Some("a1"))]).await.unwrap();
    tx.upsert(&[review(&repo, 1, "r1", "grace")]).await.unwrap();
    tx.upsert(&[deployment(&repo, "d1", "a1", 2)]).await.unwrap();
    tx.upsert(&[incident(&format!("{owner}-INC-1"), Some(&repo))]).await.unwrap();
    tx.commit().await.unwrap();
}

async fn data_rows_are_invisible_across_clients(db: TestDb) {
    let acme = db.client("acme").await;
    let beta = db.client("beta").await;
    seed(&acme, "acme").await;
    seed(&beta, "beta").await;
    // Same key in both clients: each sees its own row.
    let mut shared = incident("SHARED-1", None);
    shared.title = Some("acme's".into());
    acme.upsert(&[shared.clone()]).await.unwrap();
    shared.title = Some("beta's".into());
    beta.upsert(&[shared.clone()]).await.unwrap();

    // Lists and counts are scoped.
    assert_eq!(acme.list::<Repository>().await.unwrap(), vec![repository("acme/api")]);
    assert_eq!(acme.count::<Commit>().await.unwrap(), 1);
    let acme_shared = acme.get::<Incident>(&"SHARED-1".to_string()).await.unwrap().unwrap();
    assert_eq!(acme_shared.title.as_deref(), Some("acme's"));

    // Reading beta's keys through acme finds nothing.
    let beta_repo = repo_name("beta/api");
    assert_eq!(acme.get::<Repository>(&beta_repo).await.unwrap(), None);
    assert_eq!(acme.get::<Commit>(&(beta_repo.clone(), sha("a1"))).await.unwrap(), None);
    assert_eq!(acme.get::<PullRequest>(&(beta_repo.clone(), 1)).await.unwrap(), None);
    assert_eq!(acme.get::<Review>(&(beta_repo.clone(), 1, "r1".into())).await.unwrap(), None);
    assert_eq!(acme.get::<Deployment>(&(beta_repo.clone(), "d1".into())).await.unwrap(), None);
    assert_eq!(acme.get::<Incident>(&"beta-INC-1".to_string()).await.unwrap(), None);

    // Deleting them through acme deletes nothing.
    assert!(!acme.delete::<Repository>(&beta_repo).await.unwrap());
    assert!(!acme.delete::<Commit>(&(beta_repo.clone(), sha("a1"))).await.unwrap());
    assert!(!acme.delete::<PullRequest>(&(beta_repo.clone(), 1)).await.unwrap());
    assert!(!acme.delete::<Deployment>(&(beta_repo.clone(), "d1".into())).await.unwrap());
    assert!(!acme.delete::<Incident>(&"beta-INC-1".to_string()).await.unwrap());
    assert!(acme.delete::<Incident>(&"SHARED-1".to_string()).await.unwrap());

    // "Updating" beta's key through acme creates acme's own row and leaves beta's alone.
    let mut hijack = pull_request("beta/api", 1, Some("a1"));
    hijack.title = Some("hijacked".into());
    acme.upsert(&[hijack]).await.unwrap();
    let beta_pr = beta.get::<PullRequest>(&(beta_repo.clone(), 1)).await.unwrap().unwrap();
    assert_ne!(beta_pr.title.as_deref(), Some("hijacked"));

    // Beta still has everything, including its copy of the shared key.
    assert_eq!(beta.count::<Repository>().await.unwrap(), 1);
    assert_eq!(beta.count::<Commit>().await.unwrap(), 1);
    assert_eq!(beta.count::<PullRequest>().await.unwrap(), 1);
    assert_eq!(beta.count::<Review>().await.unwrap(), 1);
    assert_eq!(beta.count::<Deployment>().await.unwrap(), 1);
    assert_eq!(beta.count::<Incident>().await.unwrap(), 2);
    let beta_shared = beta.get::<Incident>(&"SHARED-1".to_string()).await.unwrap().unwrap();
    assert_eq!(beta_shared.title.as_deref(), Some("beta's"));
}

async fn admin_rows_are_unreachable_by_id_across_clients(db: TestDb) {
    let acme = db.client("acme").await;
    let beta = db.client("beta").await;
    let beta_user = beta
        .upsert_user(&NewUser {
            email: Email::parse("bo@beta.example").unwrap(),
            display_name: "Bo".into(),
            role: Role::Viewer,
        })
        .await
        .unwrap();
    let beta_integration = beta
        .upsert_integration(&NewIntegration {
            name: "github".into(),
            kind: IntegrationKind::Github,
            base_url: "https://api.github.com".into(),
            credentials: SealedCredentials(b"secret".to_vec()),
            settings: serde_json::json!({}),
        })
        .await
        .unwrap();
    let beta_schedule = beta
        .upsert_schedule(&NewJobSchedule {
            integration_id: beta_integration.id,
            job: "sync".into(),
            cadence: Cadence::every(60).unwrap(),
            state: JobState::Pending,
            next_run_at: None,
        })
        .await
        .unwrap();
    let project = ProjectName::parse("checkout").unwrap();
    beta.upsert_project(&Project::new(project.clone())).await.unwrap();

    // Read.
    assert_eq!(acme.user(beta_user.id).await.unwrap(), None);
    assert_eq!(acme.integration(beta_integration.id).await.unwrap(), None);
    assert_eq!(acme.schedule(beta_schedule.id).await.unwrap(), None);
    assert_eq!(acme.project(&project).await.unwrap(), None);
    assert!(acme.users().await.unwrap().is_empty());
    assert!(acme.integrations().await.unwrap().is_empty());
    // Update.
    let role = acme.set_user_role(beta_user.id, Role::Admin).await;
    assert!(matches!(role, Err(Error::NotFound { entity: "user" })), "{role:?}");
    let settings = acme.set_integration_settings(beta_integration.id, &serde_json::json!({"x": 1})).await;
    assert!(matches!(settings, Err(Error::NotFound { entity: "integration" })), "{settings:?}");
    let state = acme.set_schedule_state(beta_schedule.id, JobState::Failed).await;
    assert!(matches!(state, Err(Error::NotFound { entity: "job schedule" })), "{state:?}");
    // A schedule of acme's cannot point at beta's integration.
    let stolen = acme
        .upsert_schedule(&NewJobSchedule {
            integration_id: beta_integration.id,
            job: "sync".into(),
            cadence: Cadence::every(60).unwrap(),
            state: JobState::Pending,
            next_run_at: None,
        })
        .await;
    assert!(matches!(stolen, Err(Error::NotFound { entity: "integration" })), "{stolen:?}");
    // Delete.
    assert!(!acme.delete_user(beta_user.id).await.unwrap());
    assert!(!acme.delete_integration(beta_integration.id).await.unwrap());
    assert!(!acme.delete_schedule(beta_schedule.id).await.unwrap());
    assert!(!acme.delete_project(&project).await.unwrap());

    // Beta's rows are untouched.
    assert_eq!(beta.user(beta_user.id).await.unwrap(), Some(beta_user));
    assert_eq!(beta.integration(beta_integration.id).await.unwrap().unwrap().settings, serde_json::json!({}));
    assert_eq!(beta.schedule(beta_schedule.id).await.unwrap(), Some(beta_schedule));
    assert!(beta.project(&project).await.unwrap().is_some());
}

/// A hand-written query that forgets `WHERE client_id = …` still sees only the client
/// named in the transaction's `pulse.client_id`, and cannot write rows for another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_row_level_security_blocks_unfiltered_sql() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let acme = db.client("acme").await;
    let beta = db.client("beta").await;
    seed(&acme, "acme").await;
    seed(&beta, "beta").await;

    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(!superuser && !bypass, "the test role must be an ordinary role, or RLS proves nothing");

    let count = |sql: &'static str, client: Option<ClientId>| {
        let url = db.url.clone();
        async move {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            if let Some(id) = client {
                sqlx::query("SELECT set_config('pulse.client_id', $1, true)")
                    .bind(id.get().to_string())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            let n: i64 = sqlx::query(sql).fetch_one(&mut *tx).await.unwrap().get(0);
            n
        }
    };
    for sql in [
        "SELECT COUNT(*) FROM repositories",
        "SELECT COUNT(*) FROM commits",
        "SELECT COUNT(*) FROM pull_requests",
        "SELECT COUNT(*) FROM reviews",
        "SELECT COUNT(*) FROM deployments",
        "SELECT COUNT(*) FROM incidents",
    ] {
        assert_eq!(count(sql, Some(acme.id())).await, 1, "{sql} as acme");
        assert_eq!(count(sql, Some(beta.id())).await, 1, "{sql} as beta");
        assert_eq!(count(sql, None).await, 0, "{sql} with no client set");
    }

    // Writing a row for beta while acting as acme is refused by the policy.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('pulse.client_id', $1, true)")
        .bind(acme.id().get().to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let insert = sqlx::query(
        "INSERT INTO repositories (client_id, name, default_branch, source) VALUES ($1, 'evil/repo', 'main', 'github')",
    )
    .bind(beta.id().get())
    .execute(&mut *tx)
    .await;
    let err = insert.expect_err("RLS must refuse the insert");
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();

    // Unfiltered UPDATE and DELETE as acme touch only acme's rows.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('pulse.client_id', $1, true)")
        .bind(acme.id().get().to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let updated = sqlx::query("UPDATE pull_requests SET title = 'x'").execute(&mut *tx).await.unwrap();
    let deleted = sqlx::query("DELETE FROM commits").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((updated.rows_affected(), deleted.rows_affected()), (1, 1));
    assert_eq!(beta.count::<Commit>().await.unwrap(), 1);
    assert_ne!(beta.list::<PullRequest>().await.unwrap()[0].title.as_deref(), Some("x"));
}
