//! The import format (`shared/spec/import-format.md`): one function per file kind that
//! turns a line's object into records, and its inverse that writes records as a line.
//! Keeping both here keeps the format in one place.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};

use super::error::FieldError;
use super::fields::{FieldResult, Fields};
use crate::ids::{IssueKey, JiraProjectKey, ProjectName, RepoName, Sha};
use crate::model::*;

/// The files an import directory may hold, in the order they are processed (a file
/// only refers to kinds processed before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImportFile {
    Project,
    Repositories,
    Commits,
    PullRequests,
    Reviews,
    Deployments,
    Incidents,
    Issues,
}

impl ImportFile {
    pub const ALL: [ImportFile; 8] = [
        Self::Project,
        Self::Repositories,
        Self::Commits,
        Self::PullRequests,
        Self::Reviews,
        Self::Deployments,
        Self::Incidents,
        Self::Issues,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            Self::Project => "project.json",
            Self::Repositories => "repositories.jsonl",
            Self::Commits => "commits.jsonl",
            Self::PullRequests => "pull_requests.jsonl",
            Self::Reviews => "reviews.jsonl",
            Self::Deployments => "deployments.jsonl",
            Self::Incidents => "incidents.jsonl",
            Self::Issues => "issues.jsonl",
        }
    }

    /// The kind as the push API names it (`POST /api/v1/import/{kind}`): the file name
    /// without its extension.
    pub fn kind(self) -> &'static str {
        self.file_name().split('.').next().expect("file names have an extension")
    }

    pub fn from_kind(kind: &str) -> crate::Result<Self> {
        Self::ALL.into_iter().find(|f| f.kind() == kind).ok_or_else(|| {
            crate::Error::invalid(
                "import kind",
                format!("{kind:?} is not one of {}", Self::ALL.map(|f| f.kind()).join(", ")),
            )
        })
    }
}

/// What earlier files and the database already hold, for reference checks.
#[derive(Default)]
pub(crate) struct Known {
    pub(crate) repos: HashSet<RepoName>,
    pub(crate) prs: HashSet<(RepoName, i64)>,
}

impl Known {
    fn repo(&self, f: &Fields<'_>, field: &str) -> FieldResult<RepoName> {
        let repo = f.parsed(field, RepoName::parse)?;
        self.check_repo(f, field, repo)
    }

    fn opt_repo(&self, f: &Fields<'_>, field: &str) -> FieldResult<Option<RepoName>> {
        f.opt_parsed(field, RepoName::parse)?.map(|repo| self.check_repo(f, field, repo)).transpose()
    }

    fn check_repo(&self, f: &Fields<'_>, field: &str, repo: RepoName) -> FieldResult<RepoName> {
        if self.repos.contains(&repo) { Ok(repo) } else { Err(f.dangling(field, format!("repository {repo}"))) }
    }

    fn check_pr(&self, f: &Fields<'_>, field: &str, repo: &RepoName, number: i64) -> FieldResult<()> {
        if self.prs.contains(&(repo.clone(), number)) {
            Ok(())
        } else {
            Err(f.dangling(field, format!("pull request {repo}#{number}")))
        }
    }
}

fn strings(items: Vec<&str>) -> Vec<String> {
    items.into_iter().map(str::to_owned).collect()
}

fn ts(t: Timestamp) -> Value {
    Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

fn opt_ts(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, ts)
}

/// Drops null members so written lines stay short.
fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect::<Map<_, _>>()),
        other => other,
    }
}

// ---------------------------------------------------------------- project.json

pub(crate) fn project(f: &Fields<'_>) -> FieldResult<Project> {
    let defaults = ProjectRules::default();
    let pattern = |name: &str| -> FieldResult<Option<Pattern>> { f.opt_parsed(name, Pattern::parse) };
    let mut teams = BTreeMap::new();
    for (team, logins) in f.string_lists("teams")? {
        teams.insert(team.to_owned(), strings(logins));
    }
    let incident_types = f.str_list("incident_types")?;
    Ok(Project {
        name: f.parsed("name", ProjectName::parse)?,
        repos: f.parsed_list("repos", RepoName::parse)?,
        jira_projects: f.parsed_list("jira_projects", JiraProjectKey::parse)?,
        rules: ProjectRules {
            // Present but empty is kept: an empty production pattern matches nothing.
            production_pattern: match f.opt_str("production_pattern")? {
                None => defaults.production_pattern,
                Some(_) => pattern("production_pattern")?.expect("present"),
            },
            deploy_workflow_pattern: pattern("deploy_workflow_pattern")?,
            incident_types: if incident_types.is_empty() { defaults.incident_types } else { strings(incident_types) },
            incident_label: f.opt_str("incident_label")?.map_or(defaults.incident_label, str::to_owned),
            hotfix_label: f.opt_str("hotfix_label")?.map_or(defaults.hotfix_label, str::to_owned),
            bots: strings(f.str_list("bots")?),
        },
        teams,
    })
}

pub fn project_json(p: &Project) -> Value {
    let r = &p.rules;
    compact(json!({
        "name": p.name,
        "repos": p.repos,
        "jira_projects": p.jira_projects,
        "production_pattern": r.production_pattern.as_str(),
        "deploy_workflow_pattern": r.deploy_workflow_pattern.as_ref().map(Pattern::as_str),
        "incident_types": r.incident_types,
        "incident_label": r.incident_label,
        "hotfix_label": r.hotfix_label,
        "bots": r.bots,
        "teams": p.teams,
    }))
}

// ---------------------------------------------------------------- repositories.jsonl

pub(crate) fn repository(f: &Fields<'_>) -> FieldResult<Repository> {
    Ok(Repository {
        name: f.parsed("name", RepoName::parse)?,
        default_branch: f.opt_str("default_branch")?.filter(|b| !b.is_empty()).unwrap_or("main").to_owned(),
        source: RecordSource::Import,
    })
}

pub fn repository_json(r: &Repository) -> Value {
    json!({"name": r.name, "default_branch": r.default_branch})
}

// ---------------------------------------------------------------- commits.jsonl

pub(crate) fn commit(f: &Fields<'_>, known: &Known) -> FieldResult<Commit> {
    // Required, but may be empty (a root commit).
    if !f.present("parents") {
        return Err(FieldError::new("parents", super::ImportProblem::MissingField));
    }
    let parents = f.parsed_list("parents", Sha::parse)?;
    Ok(Commit {
        repo: known.repo(f, "repo")?,
        sha: f.parsed("sha", Sha::parse)?,
        parents,
        authored_at: f.ts("authored_at")?,
        committed_at: f.opt_ts("committed_at")?,
        author: f.opt_str("author")?.map(str::to_owned),
        message: f.opt_str("message")?.map(str::to_owned),
        source: RecordSource::Import,
    })
}

pub fn commit_json(c: &Commit) -> Value {
    compact(json!({
        "repo": c.repo,
        "sha": c.sha,
        "parents": c.parents,
        "authored_at": ts(c.authored_at),
        "committed_at": opt_ts(c.committed_at),
        "author": c.author,
        "message": c.message,
    }))
}

// ---------------------------------------------------------------- pull_requests.jsonl

pub(crate) fn pull_request(f: &Fields<'_>, known: &Known) -> FieldResult<(PullRequest, Vec<PullRequestCommit>)> {
    let repo = known.repo(f, "repo")?;
    let number = f.int_at_least("number", 1)?;
    let commits = f
        .parsed_list("commits", Sha::parse)?
        .into_iter()
        .map(|sha| PullRequestCommit { repo: repo.clone(), pr: number, sha })
        .collect();
    let pr = PullRequest {
        number,
        author: f.str("author")?.to_owned(),
        created_at: f.ts("created_at")?,
        merged_at: f.opt_ts("merged_at")?,
        closed_at: f.opt_ts("closed_at")?,
        merge_commit_sha: f.opt_parsed("merge_commit_sha", Sha::parse)?,
        title: f.opt_str("title")?.map(str::to_owned),
        base: f.opt_str("base")?.map(str::to_owned),
        head: f.opt_str("head")?.map(str::to_owned),
        additions: f.opt_int_at_least("additions", 0)?,
        deletions: f.opt_int_at_least("deletions", 0)?,
        draft: f.bool_or("draft", false)?,
        labels: strings(f.str_list("labels")?),
        is_revert: f.bool_or("is_revert", false)?,
        source: RecordSource::Import,
        repo,
    };
    Ok((pr, commits))
}

pub fn pull_request_json(pr: &PullRequest, commits: &[Sha]) -> Value {
    compact(json!({
        "repo": pr.repo,
        "number": pr.number,
        "author": pr.author,
        "created_at": ts(pr.created_at),
        "merged_at": opt_ts(pr.merged_at),
        "closed_at": opt_ts(pr.closed_at),
        "merge_commit_sha": pr.merge_commit_sha,
        "title": pr.title,
        "base": pr.base,
        "head": pr.head,
        "additions": pr.additions,
        "deletions": pr.deletions,
        "draft": pr.draft,
        "labels": pr.labels,
        "commits": commits,
        "is_revert": pr.is_revert,
    }))
}

// ---------------------------------------------------------------- reviews.jsonl

pub(crate) fn review(f: &Fields<'_>, known: &Known) -> FieldResult<Review> {
    let repo = known.repo(f, "repo")?;
    let pr = f.int_at_least("pr", 1)?;
    known.check_pr(f, "pr", &repo, pr)?;
    Ok(Review {
        repo,
        pr,
        id: id_field(f, "id")?,
        author: f.str("author")?.to_owned(),
        submitted_at: f.ts("submitted_at")?,
        state: f.opt_parsed("state", ReviewState::parse)?,
        kind: f.opt_parsed("kind", ReviewKind::parse)?.unwrap_or(ReviewKind::Review),
        source: RecordSource::Import,
    })
}

/// An id given as a string or an integer (upstream ids are often numbers).
fn id_field(f: &Fields<'_>, name: &str) -> FieldResult<String> {
    match f.opt_int(name) {
        Ok(Some(n)) => Ok(n.to_string()),
        _ => Ok(f.str(name)?.to_owned()),
    }
}

pub fn review_json(r: &Review) -> Value {
    compact(json!({
        "repo": r.repo,
        "pr": r.pr,
        "id": r.id,
        "author": r.author,
        "submitted_at": ts(r.submitted_at),
        "state": r.state.map(ReviewState::as_str),
        "kind": r.kind.as_str(),
    }))
}

// ---------------------------------------------------------------- deployments.jsonl

pub(crate) fn deployment(f: &Fields<'_>, known: &Known) -> FieldResult<Deployment> {
    Ok(Deployment {
        repo: known.repo(f, "repo")?,
        id: id_field(f, "id")?,
        sha: f.parsed("sha", Sha::parse)?,
        environment: f.str("environment")?.to_owned(),
        result: f.parsed("result", DeploymentResult::parse)?,
        started_at: f.opt_ts("started_at")?,
        finished_at: f.ts("finished_at")?,
        source: DeploymentSource::Import,
    })
}

pub fn deployment_json(d: &Deployment) -> Value {
    compact(json!({
        "repo": d.repo,
        "id": d.id,
        "sha": d.sha,
        "environment": d.environment,
        "result": d.result.as_str(),
        "started_at": opt_ts(d.started_at),
        "finished_at": ts(d.finished_at),
    }))
}

// ---------------------------------------------------------------- incidents.jsonl

pub(crate) fn incident(f: &Fields<'_>, known: &Known, project: Option<&ProjectName>) -> FieldResult<Incident> {
    let repo = known.opt_repo(f, "repo")?;
    Ok(Incident {
        id: id_field(f, "id")?,
        created_at: f.ts("created_at")?,
        resolved_at: f.opt_ts("resolved_at")?,
        title: f.opt_str("title")?.map(str::to_owned),
        // An incident without a repository belongs to the directory's project as a whole.
        project: if repo.is_none() { project.cloned() } else { None },
        repo,
        deployment_id: f.opt_str("deployment_id")?.map(str::to_owned),
        sha: f.opt_parsed("sha", Sha::parse)?,
        pr: f.opt_int_at_least("pr", 1)?,
        severity: f.opt_str("severity")?.map(str::to_owned),
        source: RecordSource::Import,
    })
}

pub fn incident_json(i: &Incident) -> Value {
    compact(json!({
        "id": i.id,
        "created_at": ts(i.created_at),
        "resolved_at": opt_ts(i.resolved_at),
        "title": i.title,
        "repo": i.repo,
        "deployment_id": i.deployment_id,
        "sha": i.sha,
        "pr": i.pr,
        "severity": i.severity,
    }))
}

// ---------------------------------------------------------------- issues.jsonl

pub(crate) struct ParsedIssue {
    pub(crate) issue: JiraIssue,
    pub(crate) transitions: Vec<JiraTransition>,
    pub(crate) links: Vec<IssuePrLink>,
}

pub(crate) fn issue(f: &Fields<'_>, known: &Known) -> FieldResult<ParsedIssue> {
    let key = f.parsed("key", IssueKey::parse)?;
    let project = f.parsed("project", JiraProjectKey::parse)?;
    if key.project() != project {
        return Err(FieldError::new(
            "project",
            super::ImportProblem::BadValue { reason: format!("issue {key} does not belong to project {project}") },
        ));
    }
    let mut transitions = Vec::new();
    for (i, t) in f.objects("transitions")?.iter().enumerate() {
        transitions.push(JiraTransition {
            issue: key.clone(),
            id: format!("import:{i}"),
            at: t.ts("at")?,
            from_status: t.opt_str("from")?.map(str::to_owned),
            to_status: t.str("to")?.to_owned(),
            from_category: t.opt_parsed("from_category", StatusCategory::from_jira)?,
            to_category: t.opt_parsed("to_category", StatusCategory::from_jira)?,
            source: RecordSource::Import,
        });
    }
    let mut links = Vec::new();
    for link in f.objects("pr_links")? {
        let repo = known.repo(&link, "repo")?;
        let pr = link.int_at_least("number", 1)?;
        known.check_pr(&link, "number", &repo, pr)?;
        links.push(IssuePrLink { issue: key.clone(), repo, pr, origin: LinkOrigin::Import });
    }
    let issue = JiraIssue {
        key,
        project,
        issue_type: f.str("type")?.to_owned(),
        status: f.str("status")?.to_owned(),
        status_category: f.opt_parsed("status_category", StatusCategory::from_jira)?,
        created_at: f.ts("created_at")?,
        resolved_at: f.opt_ts("resolved_at")?,
        story_points: f.opt_float("story_points")?,
        source: RecordSource::Import,
    };
    Ok(ParsedIssue { issue, transitions, links })
}

pub fn issue_json(issue: &JiraIssue, transitions: &[JiraTransition], links: &[IssuePrLink]) -> Value {
    let transitions: Vec<Value> = transitions
        .iter()
        .map(|t| {
            compact(json!({
                "at": ts(t.at),
                "from": t.from_status,
                "to": t.to_status,
                "from_category": t.from_category.map(StatusCategory::as_str),
                "to_category": t.to_category.map(StatusCategory::as_str),
            }))
        })
        .collect();
    let links: Vec<Value> = links.iter().map(|l| json!({"repo": l.repo, "number": l.pr})).collect();
    compact(json!({
        "key": issue.key,
        "project": issue.project,
        "type": issue.issue_type,
        "status": issue.status,
        "status_category": issue.status_category.map(StatusCategory::as_str),
        "created_at": ts(issue.created_at),
        "resolved_at": opt_ts(issue.resolved_at),
        "story_points": issue.story_points,
        "transitions": transitions,
        "pr_links": links,
    }))
}
