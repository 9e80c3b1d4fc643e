//! GitHub's response shapes (REST and GraphQL), as far as Pulse reads them. Every field
//! is optional or defaulted where GitHub may leave it out, so a missing detail costs a
//! record's field, not the page.

use serde::Deserialize;

// ------------------------------------------------------------------ REST

#[derive(Debug, Deserialize)]
pub(crate) struct RestUser {
    pub login: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestRepo {
    pub default_branch: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestRef {
    #[serde(rename = "ref")]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestLabel {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestPull {
    pub number: i64,
    pub state: String,
    pub title: Option<String>,
    pub user: Option<RestUser>,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub merged_at: Option<String>,
    pub merge_commit_sha: Option<String>,
    pub draft: Option<bool>,
    pub head: Option<RestRef>,
    pub base: Option<RestRef>,
    #[serde(default)]
    pub labels: Vec<RestLabel>,
    pub additions: Option<i64>,
    pub deletions: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestReview {
    pub id: i64,
    pub user: Option<RestUser>,
    pub state: String,
    pub submitted_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestReviewComment {
    pub id: i64,
    pub user: Option<RestUser>,
    pub created_at: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestGitActor {
    pub name: Option<String>,
    pub date: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestGitCommit {
    pub author: Option<RestGitActor>,
    pub committer: Option<RestGitActor>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestParent {
    pub sha: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestCommit {
    pub sha: String,
    pub commit: RestGitCommit,
    pub author: Option<RestUser>,
    #[serde(default)]
    pub parents: Vec<RestParent>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestRun {
    pub id: i64,
    pub name: Option<String>,
    pub head_sha: String,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub run_started_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestRuns {
    pub workflow_runs: Vec<Box<serde_json::value::RawValue>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestIssue {
    pub number: i64,
    pub title: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
    #[serde(default)]
    pub labels: Vec<RestLabel>,
    pub pull_request: Option<serde_json::Value>,
}

/// The few fields needed to page through a list before extraction.
#[derive(Debug, Deserialize)]
pub(crate) struct RestListItem {
    pub number: Option<i64>,
    pub id: Option<i64>,
    pub sha: Option<String>,
    pub state: Option<String>,
    pub updated_at: Option<String>,
    pub created_at: Option<String>,
    pub commit: Option<RestGitCommit>,
}

// ------------------------------------------------------------------ GraphQL

#[derive(Debug, Deserialize)]
pub(crate) struct GqlError {
    pub message: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlActor {
    #[serde(rename = "__typename", default)]
    pub typename: Option<String>,
    pub login: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Nodes<T> {
    #[serde(rename = "totalCount", default)]
    pub total_count: Option<i64>,
    #[serde(default = "Vec::new")]
    pub nodes: Vec<T>,
}

impl<T> Nodes<T> {
    /// Whether GitHub holds more than it returned.
    pub(crate) fn truncated(&self) -> bool {
        self.total_count.is_some_and(|total| total > self.nodes.len() as i64)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct GqlName {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GqlOid {
    pub oid: String,
}

/// `fullDatabaseId` (a string, GitHub's current id) or the deprecated `databaseId`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlIds {
    pub full_database_id: Option<serde_json::Value>,
    pub database_id: Option<i64>,
}

impl GqlIds {
    pub(crate) fn id(&self) -> Option<String> {
        match &self.full_database_id {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => self.database_id.map(|id| id.to_string()),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlReviewComment {
    #[serde(flatten)]
    pub ids: GqlIds,
    pub created_at: String,
    pub author: Option<GqlActor>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlReview {
    #[serde(flatten)]
    pub ids: GqlIds,
    pub state: String,
    pub submitted_at: Option<String>,
    pub author: Option<GqlActor>,
    pub comments: Option<Nodes<GqlReviewComment>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlGitActor {
    pub name: Option<String>,
    pub user: Option<GqlLogin>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GqlLogin {
    pub login: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlCommit {
    pub oid: String,
    pub authored_date: String,
    pub committed_date: Option<String>,
    pub message: Option<String>,
    pub author: Option<GqlGitActor>,
    pub parents: Option<Nodes<GqlOid>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GqlPrCommit {
    pub commit: GqlCommit,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlPull {
    pub number: i64,
    pub title: Option<String>,
    pub state: String,
    #[serde(default)]
    pub is_draft: bool,
    pub created_at: String,
    pub merged_at: Option<String>,
    pub closed_at: Option<String>,
    pub additions: Option<i64>,
    pub deletions: Option<i64>,
    pub base_ref_name: Option<String>,
    pub head_ref_name: Option<String>,
    pub author: Option<GqlActor>,
    pub merge_commit: Option<GqlOid>,
    pub labels: Option<Nodes<GqlName>>,
    pub reviews: Option<Nodes<GqlReview>>,
    pub commits: Option<Nodes<GqlPrCommit>>,
}

/// What paging needs of a pull request node before extraction.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlPullMeta {
    pub number: i64,
    pub state: String,
    pub updated_at: String,
    pub reviews: Option<Nodes<GqlReviewMeta>>,
    pub commits: Option<Nodes<serde::de::IgnoredAny>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GqlReviewMeta {
    pub comments: Option<Nodes<serde::de::IgnoredAny>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlStatus {
    pub state: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlDeployment {
    #[serde(flatten)]
    pub ids: GqlIds,
    pub commit_oid: String,
    pub environment: Option<String>,
    pub state: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub latest_status: Option<GqlStatus>,
    pub statuses: Option<Nodes<GqlStatus>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlRelease {
    #[serde(flatten)]
    pub ids: GqlIds,
    pub tag_name: String,
    #[serde(default)]
    pub is_draft: bool,
    #[serde(default)]
    pub is_prerelease: bool,
    pub created_at: String,
    pub published_at: Option<String>,
    pub tag_commit: Option<GqlOid>,
}

/// `createdAt` of a node, for paging by creation time.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GqlCreated {
    pub created_at: String,
}
