use serde::Serialize;

use super::text_enum::text_enum;
use super::{RecordSource, Timestamp};
use crate::ids::{IssueKey, JiraProjectKey, RepoName};

/// A Jira project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JiraProject {
    pub key: JiraProjectKey,
    pub name: Option<String>,
    pub source: RecordSource,
}

/// Jira's three status categories; flow metrics are defined on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum StatusCategory {
    #[serde(rename = "To Do")]
    ToDo,
    #[serde(rename = "In Progress")]
    InProgress,
    #[serde(rename = "Done")]
    Done,
}

text_enum!(StatusCategory, "status category", {
    ToDo => "To Do",
    InProgress => "In Progress",
    Done => "Done",
});

impl StatusCategory {
    /// Accepts the category's name in any case, or Jira's category key (`new`,
    /// `indeterminate`, `done`) as the REST API returns it.
    pub fn from_jira(text: &str) -> crate::Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "to do" | "new" => Ok(Self::ToDo),
            "in progress" | "indeterminate" => Ok(Self::InProgress),
            "done" => Ok(Self::Done),
            _ => Self::parse(text),
        }
    }
}

/// A Jira issue in its current state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JiraIssue {
    pub key: IssueKey,
    pub project: JiraProjectKey,
    pub issue_type: String,
    pub status: String,
    pub status_category: Option<StatusCategory>,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub story_points: Option<f64>,
    pub source: RecordSource,
}

/// One status change from an issue's changelog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JiraTransition {
    pub issue: IssueKey,
    /// The changelog entry's id (Jira's history id, or the line's position on import),
    /// unique within the issue.
    pub id: String,
    pub at: Timestamp,
    pub from_status: Option<String>,
    pub to_status: String,
    pub from_category: Option<StatusCategory>,
    pub to_category: Option<StatusCategory>,
    pub source: RecordSource,
}

/// How an issue ↔ pull request link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkOrigin {
    /// Jira's development panel (dev-status).
    DevStatus,
    /// The issue key in the PR title, branch name or a commit message.
    IssueKey,
    /// Stated in imported data.
    Import,
}

text_enum!(LinkOrigin, "link origin", {
    DevStatus => "dev_status",
    IssueKey => "issue_key",
    Import => "import",
});

/// A link between a Jira issue and a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct IssuePrLink {
    pub issue: IssueKey,
    pub repo: RepoName,
    pub pr: i64,
    pub origin: LinkOrigin,
}
