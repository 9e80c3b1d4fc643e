//! Jira Cloud's response shapes (REST v3, and the v2/agile shapes DevLake recorded, which
//! carry the same fields).

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
pub(crate) struct Named {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CategoryRef {
    pub key: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Status {
    pub id: Option<String>,
    pub name: String,
    pub status_category: Option<CategoryRef>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProjectRef {
    pub key: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChangeItem {
    pub field: Option<String>,
    #[serde(rename = "fieldId")]
    pub field_id: Option<String>,
    pub from: Option<String>,
    #[serde(rename = "fromString")]
    pub from_string: Option<String>,
    pub to: Option<String>,
    #[serde(rename = "toString")]
    pub to_string: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct History {
    pub id: String,
    pub created: String,
    #[serde(default)]
    pub items: Vec<ChangeItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Changelog {
    #[serde(default)]
    pub histories: Vec<History>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Fields {
    pub project: Option<ProjectRef>,
    pub issuetype: Option<Named>,
    pub status: Option<Status>,
    pub created: Option<String>,
    pub resolutiondate: Option<String>,
    pub summary: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Issue {
    pub key: String,
    pub fields: Fields,
    pub changelog: Option<Changelog>,
}

/// What paging needs of an issue before extraction.
#[derive(Debug, Deserialize)]
pub(crate) struct IssueMeta {
    pub id: String,
    pub key: String,
    pub fields: MetaFields,
    pub changelog: Option<ChangelogMeta>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MetaFields {
    /// A string in every real response (Atlassian's own example has a number).
    pub updated: Option<serde_json::Value>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChangelogMeta {
    pub total: Option<i64>,
    #[serde(default)]
    pub histories: Vec<serde::de::IgnoredAny>,
}

/// `GET /rest/api/3/search/jql`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchPage<'a> {
    #[serde(borrow, default)]
    pub issues: Vec<&'a RawValue>,
    pub next_page_token: Option<String>,
    pub is_last: Option<bool>,
}

/// `GET /rest/api/3/issue/{key}/changelog`, `GET /rest/api/3/project/search`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValuesPage<'a> {
    #[serde(borrow, default)]
    pub values: Vec<&'a RawValue>,
    pub is_last: Option<bool>,
    pub total: Option<i64>,
    pub start_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Project {
    pub key: String,
    pub name: Option<String>,
}

/// `GET /rest/dev-status/latest/issue/detail?…&dataType=pullrequest`.
#[derive(Debug, Deserialize)]
pub(crate) struct DevStatus {
    #[serde(default)]
    pub detail: Vec<DevDetail>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DevDetail {
    #[serde(default)]
    pub pull_requests: Vec<DevPullRequest>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DevPullRequest {
    pub url: Option<String>,
}
