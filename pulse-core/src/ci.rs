//! CI pipelines as deployments: which pipeline runs count as deployments, to which
//! environment, and of which commits. This is DevLake's `generateDeploymentCommits`
//! rule set (its fixtures test it); the GitHub connector feeds workflow runs through it.
//!
//! A pipeline is a deployment when its result is SUCCESS or FAILURE and either its own
//! type is DEPLOYMENT or one of its tasks is a DEPLOYMENT task that succeeded or failed.
//! Its environment is its own, or else the most production-like environment among its
//! non-skipped tasks (PRODUCTION, then STAGING, then TESTING). It deploys each commit it
//! ran on, one deployment commit per repository.

use std::collections::HashMap;

use crate::ids::{RepoName, Sha};
use crate::model::{DeploymentResult, Timestamp};

/// One run of a CI pipeline (a GitHub Actions workflow run, a GitLab pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub id: String,
    /// SUCCESS, FAILURE, SKIPPED, … as the CI reports it (upper case).
    pub result: String,
    /// DEPLOYMENT when the pipeline as a whole deploys.
    pub kind: Option<String>,
    pub environment: Option<String>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub duration_seconds: Option<f64>,
}

/// One task (job) of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub pipeline_id: String,
    pub result: String,
    pub kind: Option<String>,
    pub environment: Option<String>,
}

/// A commit a pipeline ran on.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineCommit {
    pub pipeline_id: String,
    pub sha: Sha,
    pub repo_url: String,
}

/// A deployment of one commit of one repository by one pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentCommit {
    /// `<pipeline id>:<repo url>`.
    pub id: String,
    pub pipeline_id: String,
    pub sha: Sha,
    pub repo_url: String,
    pub result: DeploymentResult,
    /// Upper case, or empty when neither the pipeline nor its tasks name one.
    pub environment: String,
    /// The recorded start, else the finish minus the duration; unknown while running.
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

fn outcome(result: &str) -> Option<DeploymentResult> {
    match result {
        "SUCCESS" => Some(DeploymentResult::Success),
        "FAILURE" => Some(DeploymentResult::Failure),
        _ => None,
    }
}

fn is_deployment(kind: &Option<String>) -> bool {
    kind.as_deref() == Some("DEPLOYMENT")
}

const ENVIRONMENTS_BY_PRECEDENCE: [&str; 3] = ["PRODUCTION", "STAGING", "TESTING"];

/// The deployment commits of `pipelines`.
pub fn deployment_commits(pipelines: &[Pipeline], tasks: &[Task], commits: &[PipelineCommit]) -> Vec<DeploymentCommit> {
    let mut tasks_of: HashMap<&str, Vec<&Task>> = HashMap::new();
    for t in tasks {
        tasks_of.entry(&t.pipeline_id).or_default().push(t);
    }
    let mut commits_of: HashMap<&str, Vec<&PipelineCommit>> = HashMap::new();
    for c in commits {
        commits_of.entry(&c.pipeline_id).or_default().push(c);
    }
    let mut out = Vec::new();
    for p in pipelines {
        let Some(result) = outcome(&p.result) else { continue };
        let tasks = tasks_of.get(p.id.as_str()).map(Vec::as_slice).unwrap_or_default();
        let deploys =
            is_deployment(&p.kind) || tasks.iter().any(|t| is_deployment(&t.kind) && outcome(&t.result).is_some());
        if !deploys {
            continue;
        }
        let environment = match p.environment.as_deref().filter(|e| !e.is_empty()) {
            Some(env) => env.to_uppercase(),
            None => ENVIRONMENTS_BY_PRECEDENCE
                .into_iter()
                .find(|env| {
                    tasks.iter().any(|t| {
                        outcome(&t.result).is_some()
                            && t.environment.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(env))
                    })
                })
                .unwrap_or_default()
                .to_owned(),
        };
        let started_at = p.started_at.or_else(|| {
            let finished = p.finished_at?;
            let millis = (p.duration_seconds.unwrap_or(0.0) * 1000.0).round() as i64;
            Some(finished - chrono::Duration::milliseconds(millis))
        });
        for c in commits_of.get(p.id.as_str()).into_iter().flatten() {
            out.push(DeploymentCommit {
                id: format!("{}:{}", p.id, c.repo_url),
                pipeline_id: p.id.clone(),
                sha: c.sha.clone(),
                repo_url: c.repo_url.clone(),
                result,
                environment: environment.clone(),
                started_at,
                finished_at: p.finished_at,
            });
        }
    }
    out
}

/// `owner/name` from a repository URL such as `https://github.com/owner/name(.git)`.
pub fn repo_from_url(url: &str) -> crate::Result<RepoName> {
    let path = url.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = path.rsplit('/');
    match (parts.next(), parts.next()) {
        (Some(name), Some(owner)) => RepoName::parse(&format!("{owner}/{name}")),
        _ => RepoName::parse(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls() {
        assert_eq!(repo_from_url("https://github.com/panjf2000/ants.git").unwrap().as_str(), "panjf2000/ants");
        assert_eq!(
            repo_from_url("https://gitlab.com/gitlab-data/snowflake_spend/").unwrap().as_str(),
            "gitlab-data/snowflake_spend"
        );
        assert!(repo_from_url("nonsense").is_err());
    }
}
