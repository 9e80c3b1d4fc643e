use serde::{Deserialize, Serialize};

use super::text_enum::text_enum;
use super::{RecordSource, Timestamp};
use crate::ids::{ProjectName, RepoName, Sha};

/// The outcome of a deployment. Other CI outcomes (skipped, cancelled) are not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentResult {
    Success,
    Failure,
}

text_enum!(DeploymentResult, "deployment result", {
    Success => "SUCCESS",
    Failure => "FAILURE",
});

/// Where a deployment record came from (metrics report the sources they used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentSource {
    /// GitHub's deployments API.
    GithubDeployment,
    /// A GitHub Actions run whose workflow name matches the project's deploy pattern.
    WorkflowRun,
    /// A GitHub release.
    Release,
    /// `pulse import` or the push API (both share one parser).
    Import,
    /// The fallback: a PR merge into the default branch of a repository without any
    /// deployment data.
    Merge,
}

text_enum!(DeploymentSource, "deployment source", {
    GithubDeployment => "github_deployment",
    WorkflowRun => "workflow_run",
    Release => "release",
    Import => "import",
    Merge => "merge",
});

/// A deployment of one commit of one repository to one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    pub repo: RepoName,
    pub id: String,
    pub sha: Sha,
    pub environment: String,
    pub result: DeploymentResult,
    pub started_at: Option<Timestamp>,
    pub finished_at: Timestamp,
    pub source: DeploymentSource,
}

/// An incident: something that hurt production and had to be restored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: String,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub title: Option<String>,
    /// The repository (service) it concerns, when known.
    pub repo: Option<RepoName>,
    /// The project it belongs to when it names no repository.
    pub project: Option<ProjectName>,
    /// Explicit links to what caused it; see the metric spec §2.5.
    pub deployment_id: Option<String>,
    pub sha: Option<Sha>,
    pub pr: Option<i64>,
    pub severity: Option<String>,
    pub source: RecordSource,
}
