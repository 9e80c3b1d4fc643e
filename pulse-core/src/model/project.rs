use std::collections::BTreeMap;

use regex::Regex;
use serde::{Serialize, Serializer};

use crate::error::{Error, Result};
use crate::ids::{JiraProjectKey, ProjectName, RepoName};

/// A project: the unit engineering leaders look at. It groups repositories and Jira
/// projects and holds the rules that turn raw records into metrics (metric spec §1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    pub name: ProjectName,
    pub repos: Vec<RepoName>,
    pub jira_projects: Vec<JiraProjectKey>,
    pub rules: ProjectRules,
    /// Team name → member logins. A PR belongs to a team when its author is a member.
    pub teams: BTreeMap<String, Vec<String>>,
}

impl Project {
    /// A project with no repositories and the default rules.
    pub fn new(name: ProjectName) -> Self {
        Self {
            name,
            repos: Vec::new(),
            jira_projects: Vec::new(),
            rules: ProjectRules::default(),
            teams: BTreeMap::new(),
        }
    }
}

/// How a project's records are interpreted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectRules {
    /// Environments that count as production. Default `(?i)^(prod|production|live)$`.
    /// An empty pattern matches nothing.
    pub production_pattern: Pattern,
    /// Workflow runs whose name matches are deployments. Unset: workflow runs are not
    /// a deployment source for this project.
    pub deploy_workflow_pattern: Option<Pattern>,
    /// Jira issue types that are incidents. Default `["Incident"]`.
    pub incident_types: Vec<String>,
    /// GitHub issue label that marks an incident. Default `incident`.
    pub incident_label: String,
    /// PR label that marks a hotfix (rework). Default `hotfix`.
    pub hotfix_label: String,
    /// Accounts whose activity is not human review (besides any login ending in `[bot]`).
    pub bots: Vec<String>,
}

impl ProjectRules {
    pub const DEFAULT_PRODUCTION_PATTERN: &'static str = "(?i)^(prod|production|live)$";
}

impl Default for ProjectRules {
    fn default() -> Self {
        Self {
            production_pattern: Pattern::parse(Self::DEFAULT_PRODUCTION_PATTERN).expect("default pattern compiles"),
            deploy_workflow_pattern: None,
            incident_types: vec!["Incident".to_owned()],
            incident_label: "incident".to_owned(),
            hotfix_label: "hotfix".to_owned(),
            bots: Vec::new(),
        }
    }
}

/// A regular expression from project configuration. The empty pattern matches nothing
/// (a peer treats it as "everything is production", which users rightly dislike).
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Option<Regex>,
}

impl Pattern {
    pub fn parse(source: &str) -> Result<Self> {
        let regex = if source.is_empty() {
            None
        } else {
            Some(Regex::new(source).map_err(|e| Error::invalid("pattern", format!("{source:?}: {e}")))?)
        };
        Ok(Self { source: source.to_owned(), regex })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(text))
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_production_pattern() {
        let p = ProjectRules::default().production_pattern;
        for env in ["prod", "Production", "LIVE"] {
            assert!(p.is_match(env), "{env}");
        }
        for env in ["staging", "prod-eu", "preproduction", ""] {
            assert!(!p.is_match(env), "{env}");
        }
    }

    #[test]
    fn empty_pattern_matches_nothing() {
        let p = Pattern::parse("").unwrap();
        assert!(!p.is_match("production"));
        assert!(!p.is_match(""));
    }

    #[test]
    fn bad_pattern_is_a_typed_error() {
        let err = Pattern::parse("(unclosed").unwrap_err();
        assert!(matches!(err, Error::Invalid { what: "pattern", .. }), "{err}");
    }
}
