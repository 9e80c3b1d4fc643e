//! GitHub payloads → Pulse records (Extract + Convert). Pure functions of one raw
//! payload and the integration's settings, so re-extraction gives the same records.

use pulse_core::ids::{JiraProjectKey, RepoName, Sha};
use pulse_core::model::{
    Commit, Deployment, DeploymentResult, DeploymentSource, Incident, IssuePrLink, LinkOrigin, Pattern, PullRequest,
    PullRequestCommit, RawPayload, RecordSource, Repository, Review, ReviewKind, ReviewState, Timestamp,
};
use serde::Deserialize;

use super::wire::*;
use crate::error::{Error, Result};
use crate::issue_keys;
use crate::records::Records;
use crate::timestamps::time;

/// Raw stream names (the `stream` of GitHub's raw payloads), in re-extraction order.
pub(crate) mod raw {
    pub const REPOSITORY: &str = "repository";
    pub const PULL_REQUESTS: &str = "pull_requests";
    pub const PULL_REQUESTS_REST: &str = "pull_requests_rest";
    pub const REVIEWS: &str = "pull_request_reviews";
    pub const REVIEW_COMMENTS: &str = "pull_request_review_comments";
    pub const PR_COMMITS: &str = "pull_request_commits";
    pub const COMMITS: &str = "commits";
    pub const DEPLOYMENTS: &str = "deployments";
    pub const RELEASES: &str = "releases";
    pub const WORKFLOW_RUNS: &str = "workflow_runs";
    pub const ISSUES: &str = "issues";

    pub const ALL: [&str; 11] = [
        REPOSITORY,
        PULL_REQUESTS,
        PULL_REQUESTS_REST,
        REVIEWS,
        REVIEW_COMMENTS,
        PR_COMMITS,
        COMMITS,
        DEPLOYMENTS,
        RELEASES,
        WORKFLOW_RUNS,
        ISSUES,
    ];
}

/// What extraction needs to know besides the payload.
#[derive(Debug, Clone)]
pub(crate) struct Extractor {
    pub repo: RepoName,
    pub deploy_workflow: Option<Pattern>,
    pub incident_label: String,
    pub jira_projects: Vec<JiraProjectKey>,
}

/// The author login as Pulse stores it: GitHub's GraphQL names bots without the
/// `[bot]` suffix REST uses (`dependabot` vs `dependabot[bot]`); both become the latter,
/// which the metric rules recognise. A deleted account is `ghost`, as GitHub shows it.
pub(crate) fn login(login: Option<&str>, kind: Option<&str>) -> String {
    let Some(login) = login else { return "ghost".to_owned() };
    if kind == Some("Bot") && !login.ends_with("[bot]") { format!("{login}[bot]") } else { login.to_owned() }
}

fn gql_login(actor: &Option<GqlActor>) -> String {
    login(actor.as_ref().map(|a| a.login.as_str()), actor.as_ref().and_then(|a| a.typename.as_deref()))
}

fn rest_login(user: &Option<RestUser>) -> String {
    login(user.as_ref().map(|u| u.login.as_str()), user.as_ref().and_then(|u| u.kind.as_deref()))
}

fn review_state(state: &str) -> Option<ReviewState> {
    match state {
        "APPROVED" => Some(ReviewState::Approved),
        "CHANGES_REQUESTED" => Some(ReviewState::ChangesRequested),
        "COMMENTED" => Some(ReviewState::Commented),
        // DISMISSED: it was a review, but its verdict no longer stands.
        _ => None,
    }
}

fn is_revert(title: Option<&str>) -> bool {
    title.is_some_and(|t| t.starts_with("Revert \""))
}

/// The PR number of a per-PR payload key (`<number>:<id>`).
fn pr_of(payload: &RawPayload) -> Result<i64> {
    payload
        .key
        .split(':')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| Error::extract(&payload.stream, &payload.key, "the key does not start with a PR number"))
}

impl Extractor {
    pub(crate) fn extract(&self, payload: &RawPayload) -> Result<Records> {
        let fail = |e: String| Error::extract(&payload.stream, &payload.key, e);
        let body = payload.body.as_str();
        let mut out = Records::default();
        match payload.stream.as_str() {
            raw::REPOSITORY => {
                let repo: RestRepo = parse(body).map_err(fail)?;
                out.repositories.push(Repository {
                    name: self.repo.clone(),
                    default_branch: repo.default_branch.unwrap_or_else(|| "main".to_owned()),
                    source: RecordSource::Github,
                });
            }
            raw::PULL_REQUESTS => self.graphql_pull(parse(body).map_err(fail)?, &mut out).map_err(fail)?,
            raw::PULL_REQUESTS_REST => self.rest_pull(parse(body).map_err(fail)?, &mut out).map_err(fail)?,
            raw::REVIEWS => {
                let review: RestReview = parse(body).map_err(fail)?;
                // A pending review is a draft nobody else can see yet.
                if let Some(at) = review.submitted_at.as_deref() {
                    out.reviews.push(Review {
                        repo: self.repo.clone(),
                        pr: pr_of(payload)?,
                        id: review.id.to_string(),
                        author: rest_login(&review.user),
                        submitted_at: time(at).map_err(fail)?,
                        state: review_state(&review.state),
                        kind: ReviewKind::Review,
                        source: RecordSource::Github,
                    });
                }
            }
            raw::REVIEW_COMMENTS => {
                let comment: RestReviewComment = parse(body).map_err(fail)?;
                out.reviews.push(Review {
                    repo: self.repo.clone(),
                    pr: pr_of(payload)?,
                    id: format!("rc:{}", comment.id),
                    author: rest_login(&comment.user),
                    submitted_at: time(&comment.created_at).map_err(fail)?,
                    state: None,
                    kind: ReviewKind::Comment,
                    source: RecordSource::Github,
                });
            }
            raw::PR_COMMITS => {
                let pr = pr_of(payload)?;
                let commit = self.rest_commit(parse(body).map_err(fail)?).map_err(fail)?;
                self.link_keys(commit.message.as_deref().unwrap_or(""), pr, &mut out);
                out.pull_request_commits.push(PullRequestCommit {
                    repo: self.repo.clone(),
                    pr,
                    sha: commit.sha.clone(),
                });
                out.commits.push(commit);
            }
            raw::COMMITS => out.commits.push(self.rest_commit(parse(body).map_err(fail)?).map_err(fail)?),
            raw::DEPLOYMENTS => out.deployments.extend(self.deployment(parse(body).map_err(fail)?).map_err(fail)?),
            raw::RELEASES => out.deployments.extend(self.release(parse(body).map_err(fail)?).map_err(fail)?),
            raw::WORKFLOW_RUNS => out.deployments.extend(self.run(parse(body).map_err(fail)?).map_err(fail)?),
            raw::ISSUES => out.incidents.extend(self.issue(parse(body).map_err(fail)?).map_err(fail)?),
            other => return Err(Error::UnknownStream { stream: other.to_owned() }),
        }
        Ok(out)
    }

    fn link_keys(&self, text: &str, pr: i64, out: &mut Records) {
        for issue in issue_keys::find(text, &self.jira_projects) {
            let link = IssuePrLink { issue, repo: self.repo.clone(), pr, origin: LinkOrigin::IssueKey };
            if !out.issue_pr_links.contains(&link) {
                out.issue_pr_links.push(link);
            }
        }
    }

    fn graphql_pull(&self, pr: GqlPull, out: &mut Records) -> Result<(), String> {
        let labels: Vec<String> = pr.labels.map(|l| l.nodes.into_iter().map(|n| n.name).collect()).unwrap_or_default();
        let closed = pr.state != "OPEN";
        out.pull_requests.push(PullRequest {
            repo: self.repo.clone(),
            number: pr.number,
            author: gql_login(&pr.author),
            created_at: time(&pr.created_at)?,
            merged_at: opt_time(pr.merged_at.as_deref())?,
            closed_at: if closed { opt_time(pr.closed_at.as_deref())? } else { None },
            merge_commit_sha: if pr.merged_at.is_some() {
                pr.merge_commit.map(|c| sha(&c.oid)).transpose()?
            } else {
                None
            },
            is_revert: is_revert(pr.title.as_deref()),
            title: pr.title.clone(),
            base: pr.base_ref_name,
            head: pr.head_ref_name.clone(),
            additions: pr.additions,
            deletions: pr.deletions,
            draft: pr.is_draft,
            labels,
            source: RecordSource::Github,
        });
        self.link_keys(pr.title.as_deref().unwrap_or(""), pr.number, out);
        self.link_keys(pr.head_ref_name.as_deref().unwrap_or(""), pr.number, out);
        for review in pr.reviews.map(|r| r.nodes).unwrap_or_default() {
            if let (Some(id), Some(at)) = (review.ids.id(), review.submitted_at.as_deref()) {
                out.reviews.push(Review {
                    repo: self.repo.clone(),
                    pr: pr.number,
                    id,
                    author: gql_login(&review.author),
                    submitted_at: time(at)?,
                    state: review_state(&review.state),
                    kind: ReviewKind::Review,
                    source: RecordSource::Github,
                });
            }
            for comment in review.comments.map(|c| c.nodes).unwrap_or_default() {
                let Some(id) = comment.ids.id() else { continue };
                out.reviews.push(Review {
                    repo: self.repo.clone(),
                    pr: pr.number,
                    id: format!("rc:{id}"),
                    author: gql_login(&comment.author),
                    submitted_at: time(&comment.created_at)?,
                    state: None,
                    kind: ReviewKind::Comment,
                    source: RecordSource::Github,
                });
            }
        }
        for node in pr.commits.map(|c| c.nodes).unwrap_or_default() {
            let c = node.commit;
            self.link_keys(c.message.as_deref().unwrap_or(""), pr.number, out);
            let commit = Commit {
                repo: self.repo.clone(),
                sha: sha(&c.oid)?,
                parents: c
                    .parents
                    .map(|p| p.nodes)
                    .unwrap_or_default()
                    .iter()
                    .map(|p| sha(&p.oid))
                    .collect::<Result<_, _>>()?,
                authored_at: time(&c.authored_date)?,
                committed_at: opt_time(c.committed_date.as_deref())?,
                author: c.author.and_then(|a| a.user.map(|u| u.login).or(a.name)),
                message: c.message,
                source: RecordSource::Github,
            };
            out.pull_request_commits.push(PullRequestCommit {
                repo: self.repo.clone(),
                pr: pr.number,
                sha: commit.sha.clone(),
            });
            out.commits.push(commit);
        }
        Ok(())
    }

    fn rest_pull(&self, pr: RestPull, out: &mut Records) -> Result<(), String> {
        let head = pr.head.and_then(|h| h.name);
        out.pull_requests.push(PullRequest {
            repo: self.repo.clone(),
            number: pr.number,
            author: rest_login(&pr.user),
            created_at: time(&pr.created_at)?,
            merged_at: opt_time(pr.merged_at.as_deref())?,
            closed_at: if pr.state == "closed" { opt_time(pr.closed_at.as_deref())? } else { None },
            // GitHub fills merge_commit_sha with a test merge for open PRs; only a merged
            // PR's sha is on the base branch.
            merge_commit_sha: if pr.merged_at.is_some() {
                pr.merge_commit_sha.as_deref().map(sha).transpose()?
            } else {
                None
            },
            is_revert: is_revert(pr.title.as_deref()),
            title: pr.title.clone(),
            base: pr.base.and_then(|b| b.name),
            head: head.clone(),
            additions: pr.additions,
            deletions: pr.deletions,
            draft: pr.draft.unwrap_or(false),
            labels: pr.labels.into_iter().map(|l| l.name).collect(),
            source: RecordSource::Github,
        });
        self.link_keys(pr.title.as_deref().unwrap_or(""), pr.number, out);
        self.link_keys(head.as_deref().unwrap_or(""), pr.number, out);
        Ok(())
    }

    fn rest_commit(&self, c: RestCommit) -> Result<Commit, String> {
        let authored = c.commit.author.as_ref().and_then(|a| a.date.as_deref());
        let committed = c.commit.committer.as_ref().and_then(|a| a.date.as_deref());
        Ok(Commit {
            repo: self.repo.clone(),
            sha: sha(&c.sha)?,
            parents: c.parents.iter().map(|p| sha(&p.sha)).collect::<Result<_, _>>()?,
            authored_at: time(authored.or(committed).ok_or("the commit has no author date")?)?,
            committed_at: opt_time(committed)?,
            author: c.author.map(|u| u.login).or_else(|| c.commit.author.and_then(|a| a.name)),
            message: c.commit.message,
            source: RecordSource::Github,
        })
    }

    /// A GitHub deployment: ACTIVE, INACTIVE (superseded after succeeding) and SUCCESS
    /// are successes, ERROR and FAILURE failures; pending and in-progress deployments are
    /// not stored yet (a later sync sees them finish). It finished at the time of the
    /// status that settled it; DevLake uses the deployment's last update instead, which
    /// for an INACTIVE deployment is when the next one replaced it.
    fn deployment(&self, d: GqlDeployment) -> Result<Option<Deployment>, String> {
        let state = d.latest_status.as_ref().map(|s| s.state.as_str()).or(d.state.as_deref()).unwrap_or("");
        let result = match state {
            "ACTIVE" | "INACTIVE" | "SUCCESS" => DeploymentResult::Success,
            "ERROR" | "FAILURE" => DeploymentResult::Failure,
            _ => return Ok(None),
        };
        let settled = |s: &GqlStatus| matches!(s.state.as_str(), "SUCCESS" | "FAILURE" | "ERROR");
        let settling =
            d.statuses.as_ref().and_then(|s| s.nodes.iter().filter(|s| settled(s)).min_by_key(|s| status_time(s)));
        let finished = settling
            .and_then(status_time)
            .or_else(|| d.latest_status.as_ref().and_then(status_time))
            .or(d.updated_at.clone())
            .unwrap_or_else(|| d.created_at.clone());
        let Some(id) = d.ids.id() else { return Err("the deployment has no database id".into()) };
        Ok(Some(Deployment {
            repo: self.repo.clone(),
            id: format!("deployment:{id}"),
            sha: sha(&d.commit_oid)?,
            environment: d.environment.unwrap_or_default(),
            result,
            started_at: Some(time(&d.created_at)?),
            finished_at: time(&finished)?,
            source: DeploymentSource::GithubDeployment,
        }))
    }

    /// A published release is a successful deployment of its tag's commit to
    /// `production` (a pre-release to `prerelease`); drafts are not deployments.
    fn release(&self, r: GqlRelease) -> Result<Option<Deployment>, String> {
        let (Some(published), Some(commit)) = (r.published_at.as_deref(), r.tag_commit.as_ref()) else {
            return Ok(None);
        };
        if r.is_draft {
            return Ok(None);
        }
        let id = r.ids.id().unwrap_or_else(|| r.tag_name.clone());
        Ok(Some(Deployment {
            repo: self.repo.clone(),
            id: format!("release:{id}"),
            sha: sha(&commit.oid)?,
            environment: if r.is_prerelease { "prerelease" } else { "production" }.to_owned(),
            result: DeploymentResult::Success,
            started_at: Some(time(&r.created_at)?),
            finished_at: time(published)?,
            source: DeploymentSource::Release,
        }))
    }

    /// A completed run of a deploy workflow (by the integration's pattern) is a
    /// deployment to `production`: success succeeded, failure / timed out / startup
    /// failure failed; cancelled and skipped runs deployed nothing.
    fn run(&self, run: RestRun) -> Result<Option<Deployment>, String> {
        let Some(pattern) = &self.deploy_workflow else { return Ok(None) };
        let name = run.name.as_deref().unwrap_or("");
        if !pattern.is_match(name) || run.status.as_deref() != Some("completed") {
            return Ok(None);
        }
        let result = match run.conclusion.as_deref() {
            Some("success") => DeploymentResult::Success,
            Some("failure" | "timed_out" | "startup_failure") => DeploymentResult::Failure,
            _ => return Ok(None),
        };
        Ok(Some(Deployment {
            repo: self.repo.clone(),
            id: format!("run:{}", run.id),
            sha: sha(&run.head_sha)?,
            environment: "production".to_owned(),
            result,
            started_at: Some(time(run.run_started_at.as_deref().unwrap_or(&run.created_at))?),
            finished_at: time(run.updated_at.as_deref().unwrap_or(&run.created_at))?,
            source: DeploymentSource::WorkflowRun,
        }))
    }

    /// An issue with the incident label (pull requests are issues too on this
    /// endpoint, and are skipped).
    fn issue(&self, issue: RestIssue) -> Result<Option<Incident>, String> {
        let label = self.incident_label.to_lowercase();
        if issue.pull_request.is_some() || !issue.labels.iter().any(|l| l.name.to_lowercase() == label) {
            return Ok(None);
        }
        Ok(Some(Incident {
            id: format!("github:{}#{}", self.repo, issue.number),
            created_at: time(&issue.created_at)?,
            resolved_at: opt_time(issue.closed_at.as_deref())?,
            title: issue.title,
            repo: Some(self.repo.clone()),
            project: None,
            deployment_id: None,
            sha: None,
            pr: None,
            severity: None,
            source: RecordSource::Github,
        }))
    }
}

fn status_time(s: &GqlStatus) -> Option<String> {
    s.created_at.clone().or_else(|| s.updated_at.clone())
}

fn parse<'a, T: Deserialize<'a>>(body: &'a str) -> Result<T, String> {
    serde_json::from_str(body).map_err(|e| format!("unexpected shape ({e})"))
}

fn opt_time(text: Option<&str>) -> Result<Option<Timestamp>, String> {
    text.map(time).transpose()
}

fn sha(text: &str) -> Result<Sha, String> {
    Sha::parse(text).map_err(|e| e.to_string())
}
