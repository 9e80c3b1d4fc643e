//! Row-level facts (metric spec §2): what derivation concludes about each deployment,
//! pull request and incident. Aggregates are computed from these, and drill-downs show
//! them, so a user can see why a number is what it is.

use serde::{Deserialize, Serialize};

use crate::ids::{ProjectName, RepoName, Sha};
use crate::model::{DeploymentResult, DeploymentSource, Timestamp};

/// Identifies a deployment: ids are unique within a repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeploymentRef {
    pub repo: RepoName,
    pub id: String,
}

/// How a deployment's changes were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// From the commit graph: reachable from this deployment, not from the previous one.
    Graph,
    /// The history was incomplete, so the PRs merged between the previous deployment
    /// and this one were attributed to it by time.
    Time,
}

/// Why a deployment counts as rework (DORA 2024).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum ReworkReason {
    /// It ships a revert (flagged, or titled `Revert "…"`).
    Revert { pr: i64 },
    /// It ships a PR with the project's hotfix label.
    Hotfix { pr: i64 },
    /// It ships a PR that an incident names.
    IncidentPr { pr: i64, incident: String },
    /// It ships a PR linked to a Jira issue of type Bug.
    BugFix { pr: i64, issue: String },
}

/// A deployment with its derived facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentFact {
    pub repo: RepoName,
    pub id: String,
    pub sha: Sha,
    pub environment: String,
    pub result: DeploymentResult,
    pub source: DeploymentSource,
    /// The recorded start, or the finish when no start was recorded.
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// The environment matches a production pattern of a project owning the repository
    /// (always, for the `merge` fallback).
    pub production: bool,
    /// The previous successful deployment to the same repository and environment
    /// (computed for successful deployments only: a failed one ships nothing).
    pub previous: Option<String>,
    /// That deployment's commit.
    pub previous_sha: Option<Sha>,
    /// How the changes were found; `None` when there are none to find (failed, not
    /// production, or the first of its repository and environment).
    pub attribution: Option<Attribution>,
    /// The commits this deployment shipped (spec §2.2), newest first.
    pub changes: Vec<Sha>,
    /// PRs whose merge commit is among the changes, by number (same repository or not:
    /// a pipeline may deploy another repository's commits).
    pub pull_requests: Vec<(RepoName, i64)>,
    /// Empty unless this is a rework deployment.
    pub rework: Vec<ReworkReason>,
}

impl DeploymentFact {
    pub fn key(&self) -> DeploymentRef {
        DeploymentRef { repo: self.repo.clone(), id: self.id.clone() }
    }

    /// Counts towards deployment frequency: successful and to production.
    pub fn is_delivery(&self) -> bool {
        self.production && self.result == DeploymentResult::Success
    }
}

/// A merged pull request with its timeline (spec §2.4). Spans are seconds; a negative
/// span is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrFact {
    pub repo: RepoName,
    pub number: i64,
    pub author: String,
    pub title: Option<String>,
    pub created_at: Timestamp,
    pub merged_at: Timestamp,
    /// Additions plus deletions, when known.
    pub size: Option<i64>,
    pub first_commit_sha: Option<Sha>,
    pub first_commit_at: Option<Timestamp>,
    /// The first review or comment by someone who is neither the author nor a bot.
    pub first_review_id: Option<String>,
    pub first_review_at: Option<Timestamp>,
    pub coding: Option<i64>,
    pub pickup: Option<i64>,
    pub review: Option<i64>,
    pub deploy: Option<i64>,
    /// `coding + (merged_at - created_at) + deploy`, a missing part counting 0.
    pub lead_time: i64,
    pub deployment: Option<DeploymentRef>,
    pub deployed_at: Option<Timestamp>,
    /// How the deployment was found (`time` when the history was incomplete).
    pub attribution: Option<Attribution>,
    /// Formal human reviews (not comments) on the PR.
    pub reviews: u32,
    /// Approved without any human review asking for changes.
    pub approved_first_time: bool,
}

/// How an incident was tied to a deployment (spec §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMethod {
    /// The incident named the deployment, its commit or a PR it shipped.
    Explicit,
    /// The latest successful production deployment before the incident.
    Inferred,
}

/// An incident with its link to the deployment that caused it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentFact {
    pub id: String,
    pub title: Option<String>,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub repo: Option<RepoName>,
    pub project: Option<ProjectName>,
    pub deployment: Option<DeploymentRef>,
    pub deployment_finished_at: Option<Timestamp>,
    pub method: Option<LinkMethod>,
    /// An explicit reference that matched no successful production deployment (the
    /// incident then stays unlinked; it never falls back to inference).
    pub unmatched_reference: Option<String>,
}

/// Everything derivation concludes for one client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub deployments: Vec<DeploymentFact>,
    pub pull_requests: Vec<PrFact>,
    pub unmerged_pull_requests: Vec<UnmergedPr>,
    pub incidents: Vec<IncidentFact>,
    pub issues: Vec<IssueFact>,
}

/// A pull request that was not merged (still open, or closed without merging), kept for
/// work-in-progress counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmergedPr {
    pub repo: RepoName,
    pub number: i64,
    pub author: String,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub draft: bool,
}

/// Time an issue spent in one status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusSpan {
    pub status: String,
    pub category: Option<crate::model::StatusCategory>,
    pub seconds: i64,
}

/// A Jira issue's flow facts (metric spec §4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueFact {
    pub key: crate::ids::IssueKey,
    pub project: crate::ids::JiraProjectKey,
    pub issue_type: String,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    /// The first move into a status of category In Progress.
    pub started_at: Option<Timestamp>,
    /// Time per status from creation to resolution (resolved issues only), in order.
    pub statuses: Vec<StatusSpan>,
    /// Time in In Progress statuses between `started_at` and resolution.
    pub active_seconds: Option<i64>,
    /// PRs linked to the issue (Jira's links, else the issue key in PRs).
    pub pull_requests: Vec<(RepoName, i64)>,
}
