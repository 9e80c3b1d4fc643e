//! Landing new deployments with their facts: the common case (a deployment event, newer
//! than everything its repository and environment deployed before) touches only what
//! that deployment changes — its own diff, the PRs it ships, the incidents that now
//! point at it — instead of re-deriving the client. Anything else falls back to a full
//! derivation.

use super::derive::RepoRules;
use super::facts::{Attribution, DeploymentFact, DeploymentRef, IncidentFact, LinkMethod, PrFact, ReworkReason};
use super::graph::CommitGraph;
use crate::error::Result;
use crate::ids::{RepoName, Sha};
use crate::model::*;
use crate::store::{ClientStore, ClientTx, ColumnReader, ColumnWriter};

/// How [`ClientStore::add_deployments`] kept the facts current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactsUpdate {
    /// Only the new deployments' consequences were derived.
    Incremental,
    /// A full derivation ran (the facts were stale, a deployment was out of order, an
    /// existing one changed, or a repository left the `merge` fallback).
    Full,
}

impl ClientStore {
    /// Lands deployments and brings the metric facts up to date, incrementally when
    /// each deployment is the newest of its repository and environment.
    pub async fn add_deployments(&self, deployments: &[Deployment]) -> Result<FactsUpdate> {
        let mut tx = self.begin().await?;
        let state = tx.facts_state().await?;
        tx.upsert(deployments).await?;
        let mut ordered: Vec<&Deployment> = deployments.iter().collect();
        ordered.sort_by_key(|d| d.finished_at);
        let mut incremental = state.is_current();
        for d in ordered {
            if !incremental {
                break;
            }
            incremental = tx.add_deployment_facts(d).await?;
        }
        if !incremental {
            tx.commit().await?;
            self.refresh_facts().await?;
            return Ok(FactsUpdate::Full);
        }
        // The facts now follow the data written in this transaction.
        tx.bump_data_version().await?;
        let version = tx.facts_state().await?.data_version;
        tx.set_facts_version(version).await?;
        tx.metrics_dirty = false;
        tx.commit().await?;
        self.facts_cache().forget(self.id());
        Ok(FactsUpdate::Incremental)
    }
}

/// A deployment fact's sequence neighbour, as far as ordering needs.
struct Neighbour {
    id: String,
    sha: Sha,
    result: DeploymentResult,
    finished_at: Timestamp,
}

impl ClientTx {
    /// Derives and stores the facts `d` adds; `false` when this needs a full derivation.
    async fn add_deployment_facts(&mut self, d: &Deployment) -> Result<bool> {
        if self.get::<DeploymentFact>(&DeploymentRef { repo: d.repo.clone(), id: d.id.clone() }).await?.is_some() {
            return Ok(false);
        }
        let sequence = self.sequence(&d.repo, &d.environment).await?;
        let success = d.result == DeploymentResult::Success;
        if success && sequence.iter().any(|n| n.result == DeploymentResult::Success && n.finished_at >= d.finished_at) {
            return Ok(false);
        }
        if self.repo_uses_merge_fallback(&d.repo).await? {
            return Ok(false);
        }
        let projects = self.projects_of(&d.repo).await?;
        let rules = RepoRules::of_projects(&projects);
        let production = rules.is_production(&d.environment);

        let mut fact = DeploymentFact {
            repo: d.repo.clone(),
            id: d.id.clone(),
            sha: d.sha.clone(),
            environment: d.environment.clone(),
            result: d.result,
            source: d.source,
            started_at: d.started_at.unwrap_or(d.finished_at),
            finished_at: d.finished_at,
            production,
            previous: None,
            previous_sha: None,
            attribution: None,
            changes: Vec::new(),
            pull_requests: Vec::new(),
            rework: Vec::new(),
        };
        let previous =
            sequence.iter().rev().find(|n| n.result == DeploymentResult::Success && n.finished_at < d.finished_at);
        if success && let Some(p) = previous {
            fact.previous = Some(p.id.clone());
            fact.previous_sha = Some(p.sha.clone());
            if production {
                let (attribution, changes) = self.changes_since(&d.repo, p, d).await?;
                fact.attribution = Some(attribution);
                fact.changes = changes;
            }
        }
        if fact.is_delivery() {
            let shipped = self.pull_requests_merged_as(&fact.changes).await?;
            fact.pull_requests = shipped.iter().map(|p| (p.repo.clone(), p.number)).collect();
            fact.pull_requests.sort();
            fact.pull_requests.dedup();
            self.assign_pull_requests(&fact, &shipped).await?;
            fact.rework = self.rework_reasons(&shipped, &rules).await?;
            self.relink_incidents(&fact, &projects).await?;
        }
        self.upsert(std::slice::from_ref(&fact)).await?;
        Ok(true)
    }

    async fn sequence(&mut self, repo: &RepoName, environment: &str) -> Result<Vec<Neighbour>> {
        let mut args = self.scoped_args();
        args.text(repo.as_str());
        args.text(environment);
        let rows = self
            .fetch_all(
                "SELECT id, sha, result, finished_at FROM deployment_facts \
                 WHERE client_id = $1 AND repo = $2 AND environment = $3 ORDER BY finished_at, started_at, id",
                args,
            )
            .await?;
        rows.iter()
            .map(|row| {
                let mut r = ColumnReader::new(row);
                Ok(Neighbour {
                    id: r.text()?,
                    sha: r.parsed(Sha::parse)?,
                    result: r.parsed(DeploymentResult::parse)?,
                    finished_at: r.ts()?,
                })
            })
            .collect()
    }

    /// Whether the repository's facts come from the `merge` fallback: its first real
    /// deployment ends that, which a full derivation handles.
    async fn repo_uses_merge_fallback(&mut self, repo: &RepoName) -> Result<bool> {
        let mut args = self.scoped_args();
        args.text(repo.as_str());
        let row = self
            .fetch_optional(
                "SELECT COUNT(*) FROM deployment_facts WHERE client_id = $1 AND repo = $2 AND source = 'merge'",
                args,
            )
            .await?
            .expect("COUNT returns a row");
        Ok(ColumnReader::new(&row).int()? > 0)
    }

    async fn projects_of(&mut self, repo: &RepoName) -> Result<Vec<Project>> {
        let mut args = self.scoped_args();
        args.text(repo.as_str());
        let rows = self
            .fetch_all("SELECT project FROM project_repos WHERE client_id = $1 AND repo = $2 ORDER BY project", args)
            .await?;
        let mut projects = Vec::new();
        for row in &rows {
            let name = ColumnReader::new(row).parsed(crate::ids::ProjectName::parse)?;
            projects.extend(self.project(&name).await?);
        }
        Ok(projects)
    }

    /// Spec §2.2 for one pair: the graph diff, or the PRs merged in between when the
    /// history lacks either commit.
    async fn changes_since(
        &mut self,
        repo: &RepoName,
        previous: &Neighbour,
        d: &Deployment,
    ) -> Result<(Attribution, Vec<Sha>)> {
        let mut args = self.scoped_args();
        args.text(repo.as_str());
        let rows = self.fetch_all("SELECT sha, parents FROM commits WHERE client_id = $1 AND repo = $2", args).await?;
        let mut history: Vec<(Sha, Vec<Sha>)> = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut r = ColumnReader::new(row);
            history.push((r.parsed(Sha::parse)?, r.parsed_list(Sha::parse)?));
        }
        let graph = CommitGraph::from_parents(history.iter().map(|(s, p)| (s, p.as_slice())));
        if let (Some(old), Some(new)) = (graph.id(&previous.sha), graph.id(&d.sha)) {
            let diff = graph.diff(new, Some((old, &graph.reachable(old))));
            return Ok((Attribution::Graph, diff.commits.iter().map(|&id| graph.sha(id).clone()).collect()));
        }
        let mut args = self.scoped_args();
        args.text(repo.as_str());
        args.ts(previous.finished_at);
        args.ts(d.finished_at);
        let rows = self
            .fetch_all(
                "SELECT merge_commit_sha FROM pull_requests WHERE client_id = $1 AND repo = $2 \
                 AND merged_at > $3 AND merged_at <= $4 AND merge_commit_sha IS NOT NULL ORDER BY merged_at DESC",
                args,
            )
            .await?;
        let shas = rows.iter().map(|row| ColumnReader::new(row).parsed(Sha::parse)).collect::<Result<_>>()?;
        Ok((Attribution::Time, shas))
    }

    /// The merged PRs, of any repository, whose merge commit is one of `shas`.
    async fn pull_requests_merged_as(&mut self, shas: &[Sha]) -> Result<Vec<PullRequest>> {
        let mut found = Vec::new();
        for chunk in shas.chunks(500) {
            let mut args = self.scoped_args();
            let mut placeholders = Vec::with_capacity(chunk.len());
            for (i, sha) in chunk.iter().enumerate() {
                args.text(sha.as_str());
                placeholders.push(format!("${}", i + 2));
            }
            let sql = format!(
                "SELECT {} FROM pull_requests WHERE client_id = $1 AND merged_at IS NOT NULL AND merge_commit_sha IN ({})",
                crate::store::columns::<PullRequest>(),
                placeholders.join(", ")
            );
            found.extend(self.read_rows::<PullRequest>(&sql, args).await?);
        }
        Ok(found)
    }

    /// Gives each shipped PR this deployment when it is earlier than its current one.
    async fn assign_pull_requests(&mut self, d: &DeploymentFact, shipped: &[PullRequest]) -> Result<()> {
        let mut updated = Vec::new();
        for pr in shipped {
            let Some(mut fact) = self.get::<PrFact>(&(pr.repo.clone(), pr.number)).await? else { continue };
            let earlier = match &fact.deployment {
                None => true,
                Some(current) => match self.get::<DeploymentFact>(current).await? {
                    None => true,
                    Some(c) => {
                        (d.started_at, d.finished_at, &d.repo, &d.id) < (c.started_at, c.finished_at, &c.repo, &c.id)
                    }
                },
            };
            if !earlier {
                continue;
            }
            let deploy = Some((d.finished_at - fact.merged_at).num_seconds()).filter(|s| *s >= 0);
            let open = (fact.merged_at - fact.created_at).num_seconds().max(0);
            fact.deployment = Some(d.key());
            fact.deployed_at = Some(d.finished_at);
            fact.deploy = deploy;
            fact.lead_time = fact.coding.unwrap_or(0) + open + deploy.unwrap_or(0);
            fact.attribution = d.attribution;
            updated.push(fact);
        }
        self.upsert(&updated).await?;
        Ok(())
    }

    /// Spec §2.6 for the PRs one deployment ships.
    async fn rework_reasons(&mut self, shipped: &[PullRequest], rules: &RepoRules<'_>) -> Result<Vec<ReworkReason>> {
        let mut reasons = Vec::new();
        if shipped.is_empty() {
            return Ok(reasons);
        }
        let args = self.scoped_args();
        let sql = format!(
            "SELECT {} FROM incidents WHERE client_id = $1 AND pr IS NOT NULL",
            crate::store::columns::<Incident>()
        );
        let incidents = self.read_rows::<Incident>(&sql, args).await?;
        let args = self.scoped_args();
        let bug_rows = self
            .fetch_all(
                "SELECT key, pull_requests FROM issue_facts WHERE client_id = $1 AND lower(issue_type) = 'bug'",
                args,
            )
            .await?;
        let mut bugs: Vec<(String, Vec<String>)> = Vec::new();
        for row in &bug_rows {
            let mut r = ColumnReader::new(row);
            bugs.push((r.text()?, r.text_list()?));
        }
        for pr in shipped {
            let reference = format!("{}#{}", pr.repo, pr.number);
            super::derive::rework::pr_reasons(
                pr,
                |label| rules.is_hotfix(label),
                incidents.iter().filter(|i| i.pr == Some(pr.number)).map(|i| (i.repo.as_ref(), i.id.as_str())),
                bugs.iter().filter(|(_, prs)| prs.contains(&reference)).map(|(key, _)| key.clone()),
                &mut reasons,
            );
        }
        reasons.sort();
        reasons.dedup();
        Ok(reasons)
    }

    /// Incidents created after this delivery whose link it changes: inferred (or absent)
    /// links to an older deployment in scope, and explicit references that only this
    /// deployment satisfies.
    async fn relink_incidents(&mut self, d: &DeploymentFact, projects: &[Project]) -> Result<()> {
        let mut args = self.scoped_args();
        args.ts(d.finished_at);
        let sql = format!(
            "SELECT {} FROM incident_facts WHERE client_id = $1 AND created_at > $2",
            crate::store::columns::<IncidentFact>()
        );
        let candidates = self.read_rows::<IncidentFact>(&sql, args).await?;
        let mut updated = Vec::new();
        for mut incident in candidates {
            let in_scope = match (&incident.repo, &incident.project) {
                (Some(repo), _) => repo == &d.repo,
                (None, Some(project)) => projects.iter().any(|p| &p.name == project),
                (None, None) => true,
            };
            if !in_scope || incident.method == Some(LinkMethod::Explicit) {
                continue;
            }
            let explicit =
                incident.unmatched_reference.as_deref().is_some_and(|r| super::derive::incidents::names_delivery(r, d));
            if explicit {
                incident.method = Some(LinkMethod::Explicit);
                incident.unmatched_reference = None;
            } else if incident.unmatched_reference.is_none()
                && incident.deployment_finished_at.is_none_or(|f| f < d.finished_at)
            {
                incident.method = Some(LinkMethod::Inferred);
            } else {
                continue;
            }
            incident.deployment = Some(d.key());
            incident.deployment_finished_at = Some(d.finished_at);
            updated.push(incident);
        }
        self.upsert(&updated).await?;
        Ok(())
    }
}
