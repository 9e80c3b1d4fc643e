//! Keeping a client's facts current: derivation runs when the data changed since the
//! stored facts were derived, and queries share an in-memory, indexed copy of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::derive::{DeriveInput, DiffMemo, derive};
use super::facts::{Attribution, DeploymentFact, Facts};
use super::view::FactsView;
use crate::error::Result;
use crate::ids::ClientId;
use crate::model::*;
use crate::store::ClientStore;

/// A client's current facts, as queries read them.
#[derive(Debug)]
pub struct Snapshot {
    pub view: FactsView,
    pub projects: Vec<Project>,
    /// The data version the facts were derived from.
    pub version: i64,
}

/// Snapshots by client, shared by every handle of one store.
#[derive(Debug, Default)]
pub(crate) struct FactsCache {
    snapshots: Mutex<HashMap<ClientId, Arc<Snapshot>>>,
    /// One derivation per client at a time in this process: queries that find the facts
    /// stale together (a dashboard during a sync) wait for one derivation, not one each.
    derivations: Mutex<HashMap<ClientId, Arc<tokio::sync::Mutex<()>>>>,
}

impl FactsCache {
    fn derivation(&self, client: ClientId) -> Arc<tokio::sync::Mutex<()>> {
        let mut derivations = self.derivations.lock().unwrap_or_else(|e| e.into_inner());
        derivations.entry(client).or_default().clone()
    }

    fn get(&self, client: ClientId, version: i64) -> Option<Arc<Snapshot>> {
        let snapshots = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        snapshots.get(&client).filter(|s| s.version == version).cloned()
    }

    /// Drops a client's snapshot: the next query reads the stored facts.
    pub(crate) fn forget(&self, client: ClientId) {
        let mut snapshots = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        snapshots.remove(&client);
    }

    fn put(&self, client: ClientId, snapshot: Arc<Snapshot>) {
        let mut snapshots = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        snapshots.insert(client, snapshot);
    }
}

/// What a derivation did.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshSummary {
    pub version: i64,
    pub deployments: usize,
    pub pull_requests: usize,
    pub incidents: usize,
    pub issues: usize,
    /// Commit-graph diffs computed (the others came from the memo).
    pub new_diffs: usize,
    /// Reading the data and the stored diffs.
    pub load_seconds: f64,
    /// Deriving, in memory.
    pub derive_seconds: f64,
    /// Replacing the stored facts.
    pub store_seconds: f64,
    pub seconds: f64,
}

/// The client's records, owned, for derivation on a blocking thread.
struct Inputs {
    repositories: Vec<Repository>,
    commits: Vec<Commit>,
    pull_requests: Vec<PullRequest>,
    pull_request_commits: Vec<PullRequestCommit>,
    reviews: Vec<Review>,
    deployments: Vec<Deployment>,
    incidents: Vec<Incident>,
    projects: Vec<Project>,
    jira_issues: Vec<JiraIssue>,
    jira_transitions: Vec<JiraTransition>,
    issue_links: Vec<IssuePrLink>,
}

impl Inputs {
    /// Reads everything, the large tables side by side on their own connections. Each
    /// read is a consistent snapshot of its tables; should data land in between, the
    /// derived facts carry the version read before and are found stale next time.
    async fn load(client: &ClientStore) -> Result<(Self, Vec<DeploymentFact>)> {
        let small = async {
            let mut tx = client.begin_read().await?;
            let projects = tx.projects().await?;
            let loaded = (
                tx.list::<Repository>().await?,
                tx.list::<Deployment>().await?,
                tx.list::<Incident>().await?,
                projects,
                tx.list::<JiraIssue>().await?,
                tx.list::<JiraTransition>().await?,
                tx.list::<IssuePrLink>().await?,
            );
            tx.commit().await?;
            Ok::<_, crate::Error>(loaded)
        };
        let (commits, pull_requests, pull_request_commits, reviews, stored, small) = tokio::try_join!(
            client.list::<Commit>(),
            client.list::<PullRequest>(),
            client.list::<PullRequestCommit>(),
            client.list::<Review>(),
            client.list::<DeploymentFact>(),
            small,
        )?;
        let (repositories, deployments, incidents, projects, jira_issues, jira_transitions, issue_links) = small;
        let inputs = Self {
            repositories,
            commits,
            pull_requests,
            pull_request_commits,
            reviews,
            deployments,
            incidents,
            projects,
            jira_issues,
            jira_transitions,
            issue_links,
        };
        Ok((inputs, stored))
    }

    fn derive(&self, memo: &mut DiffMemo) -> Facts {
        derive(
            &DeriveInput {
                repositories: &self.repositories,
                commits: &self.commits,
                pull_requests: &self.pull_requests,
                pull_request_commits: &self.pull_request_commits,
                reviews: &self.reviews,
                deployments: &self.deployments,
                incidents: &self.incidents,
                projects: &self.projects,
                jira_issues: &self.jira_issues,
                jira_transitions: &self.jira_transitions,
                issue_links: &self.issue_links,
            },
            memo,
        )
    }
}

/// The graph diffs the stored facts already hold.
fn memo_of(deployments: &[DeploymentFact]) -> DiffMemo {
    let mut memo = DiffMemo::default();
    for d in deployments {
        if let (Some(Attribution::Graph), Some(previous)) = (d.attribution, &d.previous_sha) {
            memo.insert(d.repo.clone(), d.sha.clone(), previous.clone(), d.changes.clone());
        }
    }
    memo
}

impl ClientStore {
    /// Derives every fact from the client's current data and stores them. Diffs the
    /// stored facts already hold are reused, so only new deployments cost graph walks.
    pub async fn refresh_facts(&self) -> Result<RefreshSummary> {
        Ok(self.derive_and_store().await?.1)
    }

    /// [`refresh_facts`](Self::refresh_facts) when the data changed since the facts were
    /// derived; `None` (and no work) when they are current, e.g. after a sync that landed
    /// nothing.
    pub async fn refresh_facts_if_stale(&self) -> Result<Option<RefreshSummary>> {
        let mut tx = self.begin_read().await?;
        let current = tx.facts_state().await?.is_current();
        tx.commit().await?;
        if current { Ok(None) } else { self.refresh_facts().await.map(Some) }
    }

    async fn derive_and_store(&self) -> Result<(Arc<Snapshot>, RefreshSummary)> {
        let started = Instant::now();
        let mut tx = self.begin_read().await?;
        let state = tx.facts_state().await?;
        tx.commit().await?;
        let (inputs, stored) = Inputs::load(self).await?;
        let loaded = Instant::now();
        // Derivation is CPU work (seconds for a large organisation): off the async threads.
        let derived = tokio::task::spawn_blocking(move || {
            let mut memo = memo_of(&stored);
            drop(stored);
            let facts = inputs.derive(&mut memo);
            (facts, memo.take_computed(), inputs)
        })
        .await;
        let (facts, new_diffs, inputs) = match derived {
            Ok(done) => done,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        let derived = Instant::now();
        let mut tx = self.begin().await?;
        tx.replace_facts(&facts, state.data_version).await?;
        tx.commit().await?;

        let summary = RefreshSummary {
            version: state.data_version,
            deployments: facts.deployments.len(),
            pull_requests: facts.pull_requests.len(),
            incidents: facts.incidents.len(),
            issues: facts.issues.len(),
            new_diffs,
            load_seconds: (loaded - started).as_secs_f64(),
            derive_seconds: (derived - loaded).as_secs_f64(),
            store_seconds: derived.elapsed().as_secs_f64(),
            seconds: started.elapsed().as_secs_f64(),
        };
        let mut facts = facts;
        facts.unmerged_pull_requests.sort_by(|a, b| (&a.repo, a.number).cmp(&(&b.repo, b.number)));
        let snapshot =
            Arc::new(Snapshot { view: FactsView::new(facts), projects: inputs.projects, version: state.data_version });
        self.facts_cache().put(self.id(), snapshot.clone());
        Ok((snapshot, summary))
    }

    /// The client's current facts: from memory when nothing changed, from the database
    /// when another process derived them, derived afresh when the data changed since.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>> {
        let mut tx = self.begin_read().await?;
        let mut state = tx.facts_state().await?;
        if !state.is_current() {
            tx.commit().await?;
            let derivation = self.facts_cache().derivation(self.id());
            let _one_at_a_time = derivation.lock().await;
            // Another query may have derived them while this one waited.
            tx = self.begin_read().await?;
            state = tx.facts_state().await?;
            if !state.is_current() {
                tx.commit().await?;
                return Ok(self.derive_and_store().await?.0);
            }
        }
        if let Some(snapshot) = self.facts_cache().get(self.id(), state.facts_version) {
            tx.commit().await?;
            return Ok(snapshot);
        }
        let facts = tx.load_facts().await?;
        let projects = tx.projects().await?;
        tx.commit().await?;
        let snapshot = Arc::new(Snapshot { view: FactsView::new(facts), projects, version: state.facts_version });
        self.facts_cache().put(self.id(), snapshot.clone());
        Ok(snapshot)
    }
}
