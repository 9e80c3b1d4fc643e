//! Which records a query covers: the whole client, a project, a repository, or a team
//! (a project's team: PRs by its members, and the deployments that ship them).

use rustc_hash::FxHashSet as HashSet;

use serde::{Deserialize, Serialize};

use super::calendar::Window;
use super::facts::{DeploymentFact, IncidentFact, PrFact};
use super::view::FactsView;
use crate::error::{Error, Result};
use crate::ids::{JiraProjectKey, ProjectName, RepoName};
use crate::model::{Project, Timestamp};

/// What a query asked for, as the JSON reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeInfo {
    pub client: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub from: Timestamp,
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub to: Timestamp,
}

/// `2026-01-01T00:00:00Z`, the spec's form (chrono's default would print `+00:00`).
pub(crate) fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Reads what [`rfc3339`] writes (any RFC 3339 offset, converted to UTC).
pub(crate) fn from_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Timestamp, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    chrono::DateTime::parse_from_rfc3339(&text).map(|t| t.to_utc()).map_err(serde::de::Error::custom)
}

/// The requested filters, before they are checked against the client's projects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeFilter {
    pub project: Option<String>,
    pub repo: Option<String>,
    pub team: Option<String>,
}

/// A checked scope.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub(crate) project: Option<ProjectName>,
    /// `None`: every repository of the client.
    pub(crate) repos: Option<HashSet<RepoName>>,
    /// Jira projects of the scope (`None`: all).
    pub(crate) jira_projects: Option<HashSet<JiraProjectKey>>,
    /// Team members (lower case); `None`: no team filter.
    pub(crate) members: Option<HashSet<String>>,
    /// Narrowed to one repository (project-wide incidents are then out of scope).
    pub(crate) single_repo: bool,
}

impl Scope {
    /// Checks `filter` against the client's projects. A team is looked up in the given
    /// project, else in every project (it must then be unique).
    pub fn resolve(filter: &ScopeFilter, projects: &[Project]) -> Result<Self> {
        let mut scope = Scope::default();
        let mut project: Option<&Project> = None;
        if let Some(name) = &filter.project {
            let name = ProjectName::parse(name)?;
            let p = projects.iter().find(|p| p.name == name).ok_or(Error::NotFound { entity: "project" })?;
            project = Some(p);
        }
        if let Some(team) = &filter.team {
            let owners: Vec<&Project> = match project {
                Some(p) => vec![p],
                None => projects.iter().filter(|p| p.teams.contains_key(team)).collect(),
            };
            let owner = match owners.as_slice() {
                [p] if p.teams.contains_key(team) => *p,
                [] | [_] => return Err(Error::NotFound { entity: "team" }),
                _ => {
                    return Err(Error::invalid(
                        "team",
                        format!("{team:?} exists in several projects; name one with --project"),
                    ));
                }
            };
            scope.members = Some(owner.teams[team].iter().map(|m| m.to_lowercase()).collect());
            project = Some(owner);
        }
        if let Some(p) = project {
            scope.project = Some(p.name.clone());
            scope.repos = Some(p.repos.iter().cloned().collect());
            scope.jira_projects = Some(p.jira_projects.iter().cloned().collect());
        }
        if let Some(repo) = &filter.repo {
            let repo = RepoName::parse(repo)?;
            if scope.repos.as_ref().is_some_and(|repos| !repos.contains(&repo)) {
                return Err(Error::invalid(
                    "repository",
                    format!("{repo} is not in project {}", filter.project.as_deref().unwrap_or("")),
                ));
            }
            scope.repos = Some([repo].into_iter().collect());
            scope.jira_projects = Some(HashSet::default());
            scope.single_repo = true;
        }
        Ok(scope)
    }

    pub(crate) fn has_repo(&self, repo: &RepoName) -> bool {
        self.repos.as_ref().is_none_or(|r| r.contains(repo))
    }

    pub(crate) fn has_author(&self, login: &str) -> bool {
        self.members.as_ref().is_none_or(|m| m.contains(&login.to_lowercase()))
    }

    pub(crate) fn has_pr(&self, pr: &PrFact) -> bool {
        self.has_repo(&pr.repo) && self.has_author(&pr.author)
    }

    /// A deployment is in a team's scope when it ships one of the team's PRs.
    pub(crate) fn has_deployment(&self, d: &DeploymentFact, view: &FactsView) -> bool {
        self.has_repo(&d.repo)
            && (self.members.is_none()
                || d.pull_requests
                    .iter()
                    .any(|(repo, n)| view.pr(repo, *n).is_some_and(|pr| self.has_author(&pr.author))))
    }

    /// An incident belongs to the scope through its repository, its project, or (for a
    /// team) the deployment it is linked to.
    pub(crate) fn has_incident(&self, i: &IncidentFact, view: &FactsView) -> bool {
        if self.members.is_some() {
            return i
                .deployment
                .as_ref()
                .and_then(|d| view.deployment(d))
                .is_some_and(|d| self.has_deployment(d, view));
        }
        match (&i.repo, &self.repos) {
            (_, None) => true,
            (Some(repo), Some(repos)) => repos.contains(repo),
            (None, Some(_)) => !self.single_repo && self.project.is_some() && i.project == self.project,
        }
    }

    /// Whether the scope narrows work to repositories or people (Jira issues then count
    /// through their linked PRs).
    pub(crate) fn narrows_people_or_repos(&self) -> bool {
        self.single_repo || self.members.is_some()
    }

    pub(crate) fn has_jira_project(&self, key: &JiraProjectKey) -> bool {
        self.jira_projects.as_ref().is_none_or(|j| j.contains(key))
    }

    /// The JSON form of this query's scope.
    pub(crate) fn info(&self, client: &str, filter: &ScopeFilter, window: Window) -> ScopeInfo {
        ScopeInfo {
            client: client.to_owned(),
            project: self.project.as_ref().map(|p| p.to_string()),
            repo: filter.repo.clone(),
            team: filter.team.clone(),
            from: window.from,
            to: window.to,
        }
    }
}
