use serde::Serialize;

use super::text_enum::text_enum;
use super::{RecordSource, Timestamp};
use crate::ids::{RepoName, Sha};

/// A source repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Repository {
    pub name: RepoName,
    pub default_branch: String,
    pub source: RecordSource,
}

/// A commit with its parents: the graph that deployments' changes are computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commit {
    pub repo: RepoName,
    pub sha: Sha,
    /// Empty for a root commit, two or more for a merge.
    pub parents: Vec<Sha>,
    pub authored_at: Timestamp,
    pub committed_at: Option<Timestamp>,
    pub author: Option<String>,
    pub message: Option<String>,
    pub source: RecordSource,
}

/// A pull request. Only merged ones count towards delivery metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullRequest {
    pub repo: RepoName,
    pub number: i64,
    pub author: String,
    pub created_at: Timestamp,
    pub merged_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// The commit that landed on the base branch: the merge commit, the squash commit or
    /// the last rebased commit.
    pub merge_commit_sha: Option<Sha>,
    pub title: Option<String>,
    pub base: Option<String>,
    pub head: Option<String>,
    pub additions: Option<i64>,
    pub deletions: Option<i64>,
    pub draft: bool,
    pub labels: Vec<String>,
    pub is_revert: bool,
    pub source: RecordSource,
}

/// One commit that belongs to a pull request (its branch commits, in any order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PullRequestCommit {
    pub repo: RepoName,
    pub pr: i64,
    pub sha: Sha,
}

/// The state a review left the pull request in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
}

text_enum!(ReviewState, "review state", {
    Approved => "APPROVED",
    ChangesRequested => "CHANGES_REQUESTED",
    Commented => "COMMENTED",
});

/// Whether the activity was a formal review or a comment (review comment or issue comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    Review,
    Comment,
}

text_enum!(ReviewKind, "review kind", {
    Review => "review",
    Comment => "comment",
});

/// Review activity on a pull request: a review or a comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub repo: RepoName,
    pub pr: i64,
    pub id: String,
    pub author: String,
    pub submitted_at: Timestamp,
    pub state: Option<ReviewState>,
    pub kind: ReviewKind,
    pub source: RecordSource,
}
