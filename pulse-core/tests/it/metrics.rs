//! The metric engine end to end on both backends: facts are derived when data lands,
//! stored, reloaded by a new process, and refreshed when the data changes.

use chrono::{Duration, TimeZone, Utc};
use pulse_core::Store;
use pulse_core::generate::{Generator, Scale};
use pulse_core::metrics::{Benchmark, DoraMetric, Period};
use pulse_core::model::*;

use crate::support::{TestDb, on_both_backends};

on_both_backends!(
    stored_facts_answer_like_fresh_ones,
    new_data_makes_facts_stale,
    queries_that_find_stale_facts_together_derive_once,
    clients_see_only_their_facts,
    an_incremental_deployment_equals_a_full_derivation,
);

fn end() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

async fn stored_facts_answer_like_fresh_ones(db: TestDb) {
    let acme = db.client("acme").await;
    Generator::new(Scale::Small).end(end()).generate().load(&acme).await.unwrap();
    let query = || {
        acme.metrics()
            .dora()
            .project("checkout")
            .between(end() - Duration::days(90), end())
            .benchmark(Benchmark::Dora2021)
            .interval(Period::Month)
    };
    let fresh = query().execute().await.unwrap();
    assert!(fresh.metrics.deployment_frequency.deployments > 10);
    assert!(fresh.metrics.lead_time_for_changes.changes > 50);
    assert_eq!(fresh.series.as_ref().map(Vec::len), Some(3), "Aug (from the 3rd), Sep, Oct");

    // A new process: nothing in memory, the stored facts are read back.
    db.store.close().await;
    let store = Store::open(&db.url).await.unwrap();
    let acme = store.client(&"acme".parse().unwrap()).await.unwrap();
    let state = acme.begin_read().await.unwrap().facts_state().await.unwrap();
    assert!(state.is_current(), "loading the data derived the facts");
    let reloaded = acme
        .metrics()
        .dora()
        .project("checkout")
        .between(end() - Duration::days(90), end())
        .benchmark(Benchmark::Dora2021)
        .interval(Period::Month)
        .execute()
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&reloaded).unwrap(), serde_json::to_value(&fresh).unwrap());

    let why = acme
        .metrics()
        .explain(DoraMetric::LeadTimeForChanges)
        .project("checkout")
        .between(end() - Duration::days(90), end())
        .execute()
        .await
        .unwrap();
    assert_eq!(why.pull_requests.len() as u64, fresh.metrics.lead_time_for_changes.changes);
    assert_eq!(why.values.lead_time_for_changes, {
        let m = acme
            .metrics()
            .dora()
            .project("checkout")
            .between(end() - Duration::days(90), end())
            .execute()
            .await
            .unwrap();
        m.metrics.lead_time_for_changes
    });
}

async fn new_data_makes_facts_stale(db: TestDb) {
    let acme = db.client("acme").await;
    let org = Generator::new(Scale::Small).end(end()).generate();
    org.load(&acme).await.unwrap();
    assert!(acme.refresh_facts_if_stale().await.unwrap().is_none(), "loading derived the facts: nothing to do");
    let window = (end() - Duration::days(7), end() + Duration::days(1));
    let before = acme.metrics().dora().between(window.0, window.1).execute().await.unwrap();

    // A new production deployment of the newest deployed commit of some repository.
    let last = org
        .deployments
        .iter()
        .filter(|d| d.environment == "production" && d.result == DeploymentResult::Success)
        .max_by_key(|d| d.finished_at)
        .unwrap();
    let mut next = last.clone();
    next.id = "late-deploy".into();
    next.finished_at = end() + Duration::hours(1);
    next.started_at = Some(end());
    acme.upsert(&[next]).await.unwrap();
    let state = acme.begin_read().await.unwrap().facts_state().await.unwrap();
    assert!(!state.is_current(), "the write bumped the data version");
    let refreshed = acme.refresh_facts_if_stale().await.unwrap().expect("stale facts are derived again");
    assert_eq!(refreshed.version, state.data_version);

    let after = acme.metrics().dora().between(window.0, window.1).execute().await.unwrap();
    assert_eq!(after.metrics.deployment_frequency.deployments, before.metrics.deployment_frequency.deployments + 1);
    let summary = acme.refresh_facts().await.unwrap();
    assert_eq!(summary.new_diffs, 0, "every diff was memoised by the previous derivation");
}

async fn queries_that_find_stale_facts_together_derive_once(db: TestDb) {
    let acme = db.client("acme").await;
    let org = Generator::new(Scale::Small).end(end()).generate();
    org.load(&acme).await.unwrap();
    let mut late = org.deployments[0].clone();
    late.id = "late".into();
    acme.upsert(&[late]).await.unwrap();
    // Three queries at once: one derives, the others wait and take its snapshot.
    let (a, b, c) = tokio::join!(acme.snapshot(), acme.snapshot(), acme.snapshot());
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert!(std::sync::Arc::ptr_eq(&a, &b) && std::sync::Arc::ptr_eq(&a, &c), "each query derived its own facts");
    assert!(acme.begin_read().await.unwrap().facts_state().await.unwrap().is_current());
}

async fn clients_see_only_their_facts(db: TestDb) {
    let acme = db.client("acme").await;
    let beta = db.client("beta").await;
    Generator::new(Scale::Small).end(end()).generate().load(&acme).await.unwrap();
    let window = (end() - Duration::days(180), end());
    let acme_report = acme.metrics().dora().between(window.0, window.1).execute().await.unwrap();
    let beta_report = beta.metrics().dora().between(window.0, window.1).execute().await.unwrap();
    assert!(acme_report.metrics.deployment_frequency.deployments > 0);
    assert_eq!(beta_report.metrics.deployment_frequency.deployments, 0);
    assert_eq!(beta_report.metrics.lead_time_for_changes.changes, 0);
    let err = beta.metrics().dora().project("checkout").between(window.0, window.1).execute().await.unwrap_err();
    assert!(matches!(err, pulse_core::Error::NotFound { entity: "project" }), "{err}");
}

/// Every stored fact, in key order.
async fn stored_facts(client: &pulse_core::ClientStore) -> pulse_core::metrics::Facts {
    let mut tx = client.begin_read().await.unwrap();
    let facts = tx.load_facts().await.unwrap();
    tx.commit().await.unwrap();
    facts
}

async fn an_incremental_deployment_equals_a_full_derivation(db: TestDb) {
    use pulse_core::metrics::{FactsUpdate, LinkMethod};

    let acme = db.client("acme").await;
    let org = Generator::new(Scale::Small).end(end()).generate();
    org.load(&acme).await.unwrap();
    let repo = org.repositories[0].name.clone();
    // Incidents after the new deployment: one for inference, one naming it before it exists.
    let incident = |id: &str, hours: i64| Incident {
        id: id.into(),
        created_at: end() + Duration::hours(hours),
        resolved_at: Some(end() + Duration::hours(hours + 1)),
        title: None,
        repo: Some(repo.clone()),
        project: None,
        deployment_id: None,
        sha: None,
        pr: None,
        severity: None,
        source: RecordSource::Import,
    };
    let mut named = incident("names-late", 3);
    named.deployment_id = Some("late".into());
    acme.upsert(&[incident("after-late", 2), named]).await.unwrap();
    acme.refresh_facts().await.unwrap();

    // Deploy the newest merge commit of the repository, after everything else.
    let newest = org
        .pull_requests
        .iter()
        .filter(|p| p.repo == repo && p.merged_at.is_some())
        .max_by_key(|p| p.merged_at)
        .unwrap();
    let late = Deployment {
        repo: repo.clone(),
        id: "late".into(),
        sha: newest.merge_commit_sha.clone().unwrap(),
        environment: "production".into(),
        result: DeploymentResult::Success,
        started_at: Some(end()),
        finished_at: end() + Duration::hours(1),
        source: DeploymentSource::Import,
    };
    assert_eq!(acme.add_deployments(std::slice::from_ref(&late)).await.unwrap(), FactsUpdate::Incremental);
    let state = acme.begin_read().await.unwrap().facts_state().await.unwrap();
    assert!(state.is_current());
    let incremental = stored_facts(&acme).await;
    let fact = incremental.deployments.iter().find(|d| d.id == "late").unwrap();
    assert!(!fact.changes.is_empty() && !fact.pull_requests.is_empty(), "it ships the newest PRs");
    let linked = |facts: &pulse_core::metrics::Facts, id: &str| {
        let i = facts.incidents.iter().find(|i| i.id == id).unwrap();
        (i.deployment.as_ref().map(|d| d.id.clone()), i.method)
    };
    assert_eq!(linked(&incremental, "after-late"), (Some("late".into()), Some(LinkMethod::Inferred)));
    assert_eq!(linked(&incremental, "names-late"), (Some("late".into()), Some(LinkMethod::Explicit)));

    acme.refresh_facts().await.unwrap();
    let full = stored_facts(&acme).await;
    assert_eq!(incremental.deployments, full.deployments);
    assert_eq!(incremental.pull_requests, full.pull_requests);
    assert_eq!(incremental.incidents, full.incidents);

    // An out-of-order deployment falls back to a full derivation.
    let mut early = late.clone();
    early.id = "early".into();
    early.finished_at = end() - Duration::days(30);
    early.started_at = None;
    assert_eq!(acme.add_deployments(&[early]).await.unwrap(), FactsUpdate::Full);
    assert!(acme.begin_read().await.unwrap().facts_state().await.unwrap().is_current());
}
