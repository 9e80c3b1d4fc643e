//! Bulk upserts, reads and the admin entities, on both backends.

use std::collections::BTreeMap;

use pulse_core::ids::{ClientSlug, IntegrationId, IssueKey, JiraProjectKey, ProjectName};
use pulse_core::model::*;
use pulse_core::store::Backend;
use pulse_core::{Error, Store};

use crate::sample::*;
use crate::support::{TestDb, on_both_backends};

on_both_backends!(
    upsert_is_idempotent_and_last_write_wins,
    duplicate_keys_in_one_call_collapse_to_the_last,
    large_batches_cross_internal_chunks,
    big_tables_read_back_whole_in_key_order,
    every_entity_reads_back_what_was_written,
    projects_replace_their_members,
    users_integrations_and_schedules,
    clients_are_unique_by_slug,
    dropped_transaction_writes_nothing,
    reopening_keeps_data_and_does_not_remigrate,
    concurrent_writers_of_one_table_take_turns,
);

async fn upsert_is_idempotent_and_last_write_wins(db: TestDb) {
    let acme = db.client("acme").await;
    let commits = vec![commit("acme/api", "a1", &[], 1), commit("acme/api", "a2", &["a1"], 2)];
    acme.upsert(&[repository("acme/api")]).await.unwrap();
    acme.upsert(&commits).await.unwrap();
    acme.upsert(&commits).await.unwrap();
    assert_eq!(acme.count::<Commit>().await.unwrap(), 2);

    let mut changed = commits[1].clone();
    changed.message = Some("rewritten".into());
    changed.parents = vec![sha("a1"), sha("x9")];
    acme.upsert(&[changed.clone()]).await.unwrap();
    assert_eq!(acme.count::<Commit>().await.unwrap(), 2);
    let stored = acme.get::<Commit>(&(repo_name("acme/api"), sha("a2"))).await.unwrap().unwrap();
    assert_eq!(stored, changed);
}

async fn duplicate_keys_in_one_call_collapse_to_the_last(db: TestDb) {
    let acme = db.client("acme").await;
    let mut first = pull_request("acme/api", 7, None);
    first.title = Some("first".into());
    let mut last = pull_request("acme/api", 7, Some("m7"));
    last.title = Some("last".into());
    let other = pull_request("acme/api", 8, None);
    acme.upsert(&[first, other, last.clone()]).await.unwrap();
    assert_eq!(acme.count::<PullRequest>().await.unwrap(), 2);
    assert_eq!(acme.get::<PullRequest>(&(repo_name("acme/api"), 7)).await.unwrap(), Some(last));
}

async fn large_batches_cross_internal_chunks(db: TestDb) {
    let acme = db.client("acme").await;
    // More rows than one internal batch on either backend, with a key repeated across
    // batches: the later one must win.
    let mut rows: Vec<Commit> =
        (0..45_000).map(|i| commit("acme/api", &format!("{i:040x}"), &[], 1 + i % 28)).collect();
    let mut again = rows[3].clone();
    again.author = Some("grace".into());
    rows.push(again.clone());
    acme.upsert(&rows).await.unwrap();
    assert_eq!(acme.count::<Commit>().await.unwrap(), 45_000);
    let stored = acme.get::<Commit>(&(again.repo.clone(), again.sha.clone())).await.unwrap().unwrap();
    assert_eq!(stored.author.as_deref(), Some("grace"));
}

async fn big_tables_read_back_whole_in_key_order(db: TestDb) {
    // More rows than one page of SQLite's bulk read (50,000), keyed on two columns, written
    // out of order, with awkward text; another client's rows interleave by key.
    let acme = db.client("acme").await;
    let globex = db.client("globex").await;
    let mut rows = Vec::new();
    for repo in ["acme/web", "acme/api"] {
        for i in (0..52_500u32).rev() {
            let mut c = commit(repo, &format!("{:040x}", u64::from(i) * 7919), &[], 1 + i % 28);
            if i % 10_000 == 0 {
                c.message = Some(format!("quote \" backslash \\ tab \t newline \n ünïcödé 🚀 {i}"));
                c.author = None;
            }
            rows.push(c);
        }
    }
    for client in [&acme, &globex] {
        client.upsert(&[repository("acme/api"), repository("acme/web")]).await.unwrap();
    }
    acme.upsert(&rows).await.unwrap();
    let theirs: Vec<Commit> =
        (0..100u64).map(|i| commit("acme/api", &format!("{:040x}", i * 7919 + 1), &[], 3)).collect();
    globex.upsert(&theirs).await.unwrap();

    let stored = acme.list::<Commit>().await.unwrap();
    rows.sort_by(|a, b| (&a.repo, &a.sha).cmp(&(&b.repo, &b.sha)));
    assert_eq!(stored.len(), rows.len());
    assert!(stored == rows, "the rows read back differ from those written");
    assert_eq!(globex.list::<Commit>().await.unwrap().len(), 100);
}

async fn every_entity_reads_back_what_was_written(db: TestDb) {
    let acme = db.client("acme").await;
    let repo = repository("acme/api");
    let c = commit("acme/api", "c0ffee", &["p1", "p2"], 4);
    let root = commit("acme/api", "p1", &[], 3);
    let pr = pull_request("acme/api", 1, Some("c0ffee"));
    let open_pr = pull_request("acme/api", 2, None);
    let prc = PullRequestCommit { repo: repo_name("acme/api"), pr: 1, sha: sha("p1") };
    let mut rv = review("acme/api", 1, "r1", "grace");
    rv.state = None;
    rv.kind = ReviewKind::Comment;
    let mut dep = deployment("acme/api", "d1", "c0ffee", 4);
    dep.started_at = Some(t(4, 17));
    dep.result = DeploymentResult::Failure;
    let inc = incident("INC-1", Some("acme/api"));
    let mut project_incident = incident("INC-2", None);
    project_incident.project = Some(ProjectName::parse("checkout").unwrap());
    project_incident.resolved_at = None;
    let jp = jira_project("CHK");
    let mut issue = jira_issue("CHK-1");
    issue.story_points = None;
    issue.resolved_at = None;
    let tr = transition("CHK-1", "10001", "In Progress");
    let link = IssuePrLink {
        issue: IssueKey::parse("CHK-1").unwrap(),
        repo: repo_name("acme/api"),
        pr: 1,
        origin: LinkOrigin::IssueKey,
    };
    let raw = RawPayload {
        source: "github".into(),
        stream: "pull_requests".into(),
        scope: "acme/api".into(),
        key: "page-1".into(),
        fetched_at: t(9, 9),
        body: r#"{"a":"\u0000 kept verbatim","z":1,"b":[1,2]}"#.into(),
    };

    let mut tx = acme.begin().await.unwrap();
    tx.upsert(std::slice::from_ref(&repo)).await.unwrap();
    tx.upsert(&[c.clone(), root.clone()]).await.unwrap();
    tx.upsert(&[pr.clone(), open_pr.clone()]).await.unwrap();
    tx.upsert(std::slice::from_ref(&prc)).await.unwrap();
    tx.upsert(std::slice::from_ref(&rv)).await.unwrap();
    tx.upsert(std::slice::from_ref(&dep)).await.unwrap();
    tx.upsert(&[inc.clone(), project_incident.clone()]).await.unwrap();
    tx.upsert(std::slice::from_ref(&jp)).await.unwrap();
    tx.upsert(&[issue.clone(), jira_issue("CHK-2")]).await.unwrap();
    tx.upsert(std::slice::from_ref(&tr)).await.unwrap();
    tx.upsert(std::slice::from_ref(&link)).await.unwrap();
    tx.upsert(std::slice::from_ref(&raw)).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(acme.list::<Repository>().await.unwrap(), vec![repo]);
    assert_eq!(acme.list::<Commit>().await.unwrap(), vec![c, root]);
    assert_eq!(acme.list::<PullRequest>().await.unwrap(), vec![pr, open_pr]);
    assert_eq!(acme.list::<PullRequestCommit>().await.unwrap(), vec![prc]);
    assert_eq!(acme.list::<Review>().await.unwrap(), vec![rv]);
    assert_eq!(acme.list::<Deployment>().await.unwrap(), vec![dep]);
    assert_eq!(acme.list::<Incident>().await.unwrap(), vec![inc, project_incident]);
    assert_eq!(acme.list::<JiraProject>().await.unwrap(), vec![jp]);
    assert_eq!(acme.get::<JiraIssue>(&IssueKey::parse("CHK-1").unwrap()).await.unwrap(), Some(issue));
    assert_eq!(acme.list::<JiraTransition>().await.unwrap(), vec![tr]);
    assert_eq!(acme.list::<IssuePrLink>().await.unwrap(), vec![link]);
    assert_eq!(acme.list::<RawPayload>().await.unwrap(), vec![raw]);
}

async fn projects_replace_their_members(db: TestDb) {
    let acme = db.client("acme").await;
    let name = ProjectName::parse("checkout").unwrap();
    let mut project = Project::new(name.clone());
    project.repos = vec![repo_name("acme/api"), repo_name("acme/web")];
    project.jira_projects = vec![JiraProjectKey::parse("CHK").unwrap()];
    project.rules.production_pattern = Pattern::parse("").unwrap();
    project.rules.deploy_workflow_pattern = Some(Pattern::parse("(?i)deploy").unwrap());
    project.rules.bots = vec!["deploy-bot".into()];
    project.teams = BTreeMap::from([("payments".into(), vec!["ada".into(), "grace".into()])]);
    acme.upsert_project(&project).await.unwrap();
    assert_eq!(acme.project(&name).await.unwrap(), Some(project.clone()));

    project.repos = vec![repo_name("acme/web")];
    project.teams = BTreeMap::from([("platform".into(), vec!["linus".into()])]);
    acme.upsert_project(&project).await.unwrap();
    assert_eq!(acme.projects().await.unwrap(), vec![project]);

    assert!(acme.delete_project(&name).await.unwrap());
    assert_eq!(acme.project(&name).await.unwrap(), None);
    assert!(acme.projects().await.unwrap().is_empty());
}

async fn users_integrations_and_schedules(db: TestDb) {
    let acme = db.client("acme").await;
    let email = Email::parse("Ada@Example.com").unwrap();
    let user = acme
        .upsert_user(&NewUser { email: email.clone(), display_name: "Ada".into(), role: Role::Viewer })
        .await
        .unwrap();
    assert_eq!(user.email.as_str(), "ada@example.com");
    let again = acme
        .upsert_user(&NewUser { email: email.clone(), display_name: "Ada L.".into(), role: Role::Viewer })
        .await
        .unwrap();
    assert_eq!((again.id, again.display_name.as_str()), (user.id, "Ada L."));
    acme.set_user_role(user.id, Role::Admin).await.unwrap();
    assert_eq!(acme.user(user.id).await.unwrap().unwrap().role, Role::Admin);
    assert_eq!(acme.users().await.unwrap().len(), 1);

    let new = NewIntegration {
        name: "github-acme".into(),
        kind: IntegrationKind::Github,
        base_url: "https://api.github.com".into(),
        credentials: SealedCredentials(vec![0, 1, 2, 254, 255]),
        settings: serde_json::json!({"repos": ["acme/api"]}),
    };
    let integration = acme.upsert_integration(&new).await.unwrap();
    assert_eq!(integration.credentials, new.credentials);
    assert_eq!(integration.settings, new.settings);
    let settings = serde_json::json!({"repos": ["acme/api", "acme/web"]});
    acme.set_integration_settings(integration.id, &settings).await.unwrap();
    assert_eq!(acme.integration(integration.id).await.unwrap().unwrap().settings, settings);

    let schedule = acme
        .upsert_schedule(&NewJobSchedule {
            integration_id: integration.id,
            job: "sync".into(),
            cadence: Cadence::every(3600).unwrap(),
            state: JobState::Pending,
            next_run_at: Some(t(1, 0)),
        })
        .await
        .unwrap();
    assert_eq!(schedule.cadence, Cadence::Interval { seconds: 3600 });
    let cron = acme
        .upsert_schedule(&NewJobSchedule {
            integration_id: integration.id,
            job: "sync".into(),
            cadence: Cadence::Cron { expression: "0 * * * *".into() },
            state: JobState::Pending,
            next_run_at: None,
        })
        .await
        .unwrap();
    assert_eq!(cron.id, schedule.id, "same (integration, job) is the same schedule");
    acme.set_schedule_state(schedule.id, JobState::Paused).await.unwrap();
    assert_eq!(acme.schedules().await.unwrap()[0].state, JobState::Paused);

    let missing = acme
        .upsert_schedule(&NewJobSchedule {
            integration_id: IntegrationId::new(integration.id.get() + 1000),
            job: "sync".into(),
            cadence: Cadence::every(60).unwrap(),
            state: JobState::Pending,
            next_run_at: None,
        })
        .await;
    assert!(matches!(missing, Err(Error::NotFound { entity: "integration" })), "{missing:?}");

    // Deleting the integration takes its schedules with it.
    assert!(acme.delete_integration(integration.id).await.unwrap());
    assert!(acme.schedules().await.unwrap().is_empty());
    assert!(acme.delete_user(user.id).await.unwrap());
    assert!(!acme.delete_user(user.id).await.unwrap());
}

async fn clients_are_unique_by_slug(db: TestDb) {
    let slug = ClientSlug::parse("acme").unwrap();
    let mut acme = db.store.create_client(&slug, &Branding::named("Acme")).await.unwrap();
    let dup = db.store.create_client(&slug, &Branding::named("Acme 2")).await;
    assert!(matches!(dup, Err(Error::AlreadyExists { entity: "client" })), "{dup:?}");

    let branding = Branding {
        display_name: "Acme Corp".into(),
        logo_url: Some("https://acme.example/logo.svg".into()),
        primary_color: Some(Color::parse("#FF6600").unwrap()),
        accent_color: None,
    };
    acme.set_branding(&branding).await.unwrap();
    let found = db.store.client(&slug).await.unwrap();
    assert_eq!(found.client().branding, branding);
    assert_eq!(db.store.client_by_id(acme.id()).await.unwrap().client().slug, slug);

    let unknown = db.store.client(&ClientSlug::parse("nobody").unwrap()).await;
    assert!(matches!(unknown, Err(Error::NotFound { entity: "client" })));
    let created = db.store.client_or_create(&ClientSlug::parse("beta").unwrap()).await.unwrap();
    let same = db.store.client_or_create(&ClientSlug::parse("beta").unwrap()).await.unwrap();
    assert_eq!(created.id(), same.id());
    let slugs: Vec<String> = db.store.clients().await.unwrap().into_iter().map(|c| c.slug.to_string()).collect();
    assert_eq!(slugs, ["acme", "beta"]);
}

async fn dropped_transaction_writes_nothing(db: TestDb) {
    let acme = db.client("acme").await;
    {
        let mut tx = acme.begin().await.unwrap();
        tx.upsert(&[repository("acme/api")]).await.unwrap();
        tx.upsert(&[commit("acme/api", "a1", &[], 1)]).await.unwrap();
        // dropped without commit
    }
    let mut tx = acme.begin().await.unwrap();
    tx.upsert(&[repository("acme/web")]).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(acme.count::<Repository>().await.unwrap(), 0);
    assert_eq!(acme.count::<Commit>().await.unwrap(), 0);
}

async fn reopening_keeps_data_and_does_not_remigrate(db: TestDb) {
    let acme = db.client("acme").await;
    acme.upsert(&[repository("acme/api")]).await.unwrap();
    db.store.close().await;
    let store = Store::open(&db.url).await.unwrap();
    assert_eq!(store.backend(), if db.url.starts_with("sqlite") { Backend::Sqlite } else { Backend::Postgres });
    let acme = store.client(&ClientSlug::parse("acme").unwrap()).await.unwrap();
    assert_eq!(acme.list::<Repository>().await.unwrap(), vec![repository("acme/api")]);
}

/// Two writers of the same client's table at once: the second waits for the first
/// (which loads into an empty table, the fast path) and then updates its rows. Neither
/// fails, and the later commit wins.
async fn concurrent_writers_of_one_table_take_turns(db: TestDb) {
    let acme = db.client("acme").await;
    acme.upsert(&[repository("acme/api")]).await.unwrap();
    let rows = |author: &str| -> Vec<Commit> {
        (0..3_000)
            .map(|i| {
                let mut c = commit("acme/api", &format!("{i:040x}"), &[], 1);
                c.author = Some(author.into());
                c
            })
            .collect()
    };
    let first = {
        let acme = acme.clone();
        let rows = rows("first");
        tokio::spawn(async move {
            let mut tx = acme.begin().await.unwrap();
            tx.upsert(&rows).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            tx.commit().await.unwrap();
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut tx = acme.begin().await.unwrap();
    tx.upsert(&rows("second")).await.unwrap();
    tx.commit().await.unwrap();
    first.await.unwrap();

    assert_eq!(acme.count::<Commit>().await.unwrap(), 3_000);
    let commits = acme.list::<Commit>().await.unwrap();
    assert!(commits.iter().all(|c| c.author.as_deref() == Some("second")));
}
