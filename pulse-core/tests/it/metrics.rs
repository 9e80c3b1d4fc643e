//! The metric engine end to end on both backends: facts are derived when data lands,
//! stored, reloaded by a new process, and refreshed when the data changes.

use chrono::{Duration, TimeZone, Utc};
use pulse_core::Store;
use pulse_core::generate::{Generator, Scale};
use pulse_core::metrics::{Benchmark, DoraMetric, Period};
use pulse_core::model::*;

use crate::support::{TestDb, on_both_backends};

on_both_backends!(stored_facts_answer_like_fresh_ones, new_data_makes_facts_stale, clients_see_only_their_facts);

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

    let after = acme.metrics().dora().between(window.0, window.1).execute().await.unwrap();
    assert_eq!(after.metrics.deployment_frequency.deployments, before.metrics.deployment_frequency.deployments + 1);
    let summary = acme.refresh_facts().await.unwrap();
    assert_eq!(summary.new_diffs, 0, "every diff was memoised by the previous derivation");
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
