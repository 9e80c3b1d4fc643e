//! The table mapping of every bulk-loaded record type.

use super::codec::{ColumnReader, ColumnWriter};
use super::table::{Record, Stored, Table, sealed::Row};
use crate::error::Result;
use crate::ids::{IssueKey, JiraProjectKey, ProjectName, RepoName, Sha};
use crate::model::*;

fn strs<T: AsRef<str>>(items: &[T]) -> Vec<&str> {
    items.iter().map(AsRef::as_ref).collect()
}

impl Row for Repository {
    const TABLE: &'static Table =
        &Table { name: "repositories", columns: &["name", "default_branch", "source"], key: &["name"] };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.name.as_str());
        w.text(&self.default_branch);
        w.text(self.source.as_str());
    }
}

impl Record for Repository {
    type Key = RepoName;
    fn key(&self) -> RepoName {
        self.name.clone()
    }
    fn write_key<W: ColumnWriter>(key: &RepoName, w: &mut W) {
        w.text(key.as_str());
    }
}

impl Stored for Repository {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self { name: r.owned()?, default_branch: r.text()?, source: r.parsed(RecordSource::parse)? })
    }
}

impl Row for Commit {
    const TABLE: &'static Table = &Table {
        name: "commits",
        columns: &["repo", "sha", "parents", "authored_at", "committed_at", "author", "message", "source"],
        key: &["repo", "sha"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.repo.as_str());
        w.text(self.sha.as_str());
        w.text_list(&strs(&self.parents));
        w.ts(self.authored_at);
        w.opt_ts(self.committed_at);
        w.opt_text(self.author.as_deref());
        w.opt_text(self.message.as_deref());
        w.text(self.source.as_str());
    }
}

impl Record for Commit {
    type Key = (RepoName, Sha);
    fn key(&self) -> Self::Key {
        (self.repo.clone(), self.sha.clone())
    }
    fn write_key<W: ColumnWriter>((repo, sha): &Self::Key, w: &mut W) {
        w.text(repo.as_str());
        w.text(sha.as_str());
    }
}

impl Stored for Commit {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            repo: r.owned()?,
            sha: r.owned()?,
            parents: r.owned_list()?,
            authored_at: r.ts()?,
            committed_at: r.opt_ts()?,
            author: r.opt_text()?,
            message: r.opt_text()?,
            source: r.parsed(RecordSource::parse)?,
        })
    }
}

impl Row for PullRequest {
    const TABLE: &'static Table = &Table {
        name: "pull_requests",
        columns: &[
            "repo",
            "number",
            "author",
            "created_at",
            "merged_at",
            "closed_at",
            "merge_commit_sha",
            "title",
            "base",
            "head",
            "additions",
            "deletions",
            "draft",
            "labels",
            "is_revert",
            "source",
        ],
        key: &["repo", "number"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.repo.as_str());
        w.int(self.number);
        w.text(&self.author);
        w.ts(self.created_at);
        w.opt_ts(self.merged_at);
        w.opt_ts(self.closed_at);
        w.opt_text(self.merge_commit_sha.as_ref().map(Sha::as_str));
        w.opt_text(self.title.as_deref());
        w.opt_text(self.base.as_deref());
        w.opt_text(self.head.as_deref());
        w.opt_int(self.additions);
        w.opt_int(self.deletions);
        w.bool(self.draft);
        w.text_list(&strs(&self.labels));
        w.bool(self.is_revert);
        w.text(self.source.as_str());
    }
}

impl Record for PullRequest {
    type Key = (RepoName, i64);
    fn key(&self) -> Self::Key {
        (self.repo.clone(), self.number)
    }
    fn write_key<W: ColumnWriter>((repo, number): &Self::Key, w: &mut W) {
        w.text(repo.as_str());
        w.int(*number);
    }
}

impl Stored for PullRequest {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            repo: r.owned()?,
            number: r.int()?,
            author: r.text()?,
            created_at: r.ts()?,
            merged_at: r.opt_ts()?,
            closed_at: r.opt_ts()?,
            merge_commit_sha: r.opt_owned()?,
            title: r.opt_text()?,
            base: r.opt_text()?,
            head: r.opt_text()?,
            additions: r.opt_int()?,
            deletions: r.opt_int()?,
            draft: r.bool()?,
            labels: r.text_list()?,
            is_revert: r.bool()?,
            source: r.parsed(RecordSource::parse)?,
        })
    }
}

impl super::ClientTx {
    /// `(repo, number)` of every pull request of this client.
    pub async fn pull_request_keys(&mut self) -> Result<Vec<(RepoName, i64)>> {
        let args = self.scoped_args();
        let rows = self.fetch_all("SELECT repo, number FROM pull_requests WHERE client_id = $1", args).await?;
        rows.iter()
            .map(|row| {
                let mut r = ColumnReader::new(row);
                Ok((r.owned()?, r.int()?))
            })
            .collect()
    }
}

impl Row for PullRequestCommit {
    const TABLE: &'static Table =
        &Table { name: "pull_request_commits", columns: &["repo", "pr", "sha"], key: &["repo", "pr", "sha"] };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.repo.as_str());
        w.int(self.pr);
        w.text(self.sha.as_str());
    }
}

impl Record for PullRequestCommit {
    type Key = Self;
    fn key(&self) -> Self {
        self.clone()
    }
    fn write_key<W: ColumnWriter>(key: &Self, w: &mut W) {
        key.write(w);
    }
}

impl Stored for PullRequestCommit {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self { repo: r.owned()?, pr: r.int()?, sha: r.owned()? })
    }
}

impl Row for Review {
    const TABLE: &'static Table = &Table {
        name: "reviews",
        columns: &["repo", "pr", "id", "author", "submitted_at", "state", "kind", "source"],
        key: &["repo", "pr", "id"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.repo.as_str());
        w.int(self.pr);
        w.text(&self.id);
        w.text(&self.author);
        w.ts(self.submitted_at);
        w.opt_text(self.state.map(ReviewState::as_str));
        w.text(self.kind.as_str());
        w.text(self.source.as_str());
    }
}

impl Record for Review {
    type Key = (RepoName, i64, String);
    fn key(&self) -> Self::Key {
        (self.repo.clone(), self.pr, self.id.clone())
    }
    fn write_key<W: ColumnWriter>((repo, pr, id): &Self::Key, w: &mut W) {
        w.text(repo.as_str());
        w.int(*pr);
        w.text(id);
    }
}

impl Stored for Review {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            repo: r.owned()?,
            pr: r.int()?,
            id: r.text()?,
            author: r.text()?,
            submitted_at: r.ts()?,
            state: r.opt_parsed(ReviewState::parse)?,
            kind: r.parsed(ReviewKind::parse)?,
            source: r.parsed(RecordSource::parse)?,
        })
    }
}

impl Row for Deployment {
    const TABLE: &'static Table = &Table {
        name: "deployments",
        columns: &["repo", "id", "sha", "environment", "result", "started_at", "finished_at", "source"],
        key: &["repo", "id"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.repo.as_str());
        w.text(&self.id);
        w.text(self.sha.as_str());
        w.text(&self.environment);
        w.text(self.result.as_str());
        w.opt_ts(self.started_at);
        w.ts(self.finished_at);
        w.text(self.source.as_str());
    }
}

impl Record for Deployment {
    type Key = (RepoName, String);
    fn key(&self) -> Self::Key {
        (self.repo.clone(), self.id.clone())
    }
    fn write_key<W: ColumnWriter>((repo, id): &Self::Key, w: &mut W) {
        w.text(repo.as_str());
        w.text(id);
    }
}

impl Stored for Deployment {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            repo: r.owned()?,
            id: r.text()?,
            sha: r.owned()?,
            environment: r.text()?,
            result: r.parsed(DeploymentResult::parse)?,
            started_at: r.opt_ts()?,
            finished_at: r.ts()?,
            source: r.parsed(DeploymentSource::parse)?,
        })
    }
}

impl Row for Incident {
    const TABLE: &'static Table = &Table {
        name: "incidents",
        columns: &[
            "id",
            "created_at",
            "resolved_at",
            "title",
            "repo",
            "project",
            "deployment_id",
            "sha",
            "pr",
            "severity",
            "source",
        ],
        key: &["id"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(&self.id);
        w.ts(self.created_at);
        w.opt_ts(self.resolved_at);
        w.opt_text(self.title.as_deref());
        w.opt_text(self.repo.as_ref().map(RepoName::as_str));
        w.opt_text(self.project.as_ref().map(ProjectName::as_str));
        w.opt_text(self.deployment_id.as_deref());
        w.opt_text(self.sha.as_ref().map(Sha::as_str));
        w.opt_int(self.pr);
        w.opt_text(self.severity.as_deref());
        w.text(self.source.as_str());
    }
}

impl Record for Incident {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
    fn write_key<W: ColumnWriter>(key: &String, w: &mut W) {
        w.text(key);
    }
}

impl Stored for Incident {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            id: r.text()?,
            created_at: r.ts()?,
            resolved_at: r.opt_ts()?,
            title: r.opt_text()?,
            repo: r.opt_owned()?,
            project: r.opt_owned()?,
            deployment_id: r.opt_text()?,
            sha: r.opt_owned()?,
            pr: r.opt_int()?,
            severity: r.opt_text()?,
            source: r.parsed(RecordSource::parse)?,
        })
    }
}

impl Row for JiraProject {
    const TABLE: &'static Table = &Table { name: "jira_projects", columns: &["key", "name", "source"], key: &["key"] };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.key.as_str());
        w.opt_text(self.name.as_deref());
        w.text(self.source.as_str());
    }
}

impl Record for JiraProject {
    type Key = JiraProjectKey;
    fn key(&self) -> JiraProjectKey {
        self.key.clone()
    }
    fn write_key<W: ColumnWriter>(key: &JiraProjectKey, w: &mut W) {
        w.text(key.as_str());
    }
}

impl Stored for JiraProject {
    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self { key: r.owned()?, name: r.opt_text()?, source: r.parsed(RecordSource::parse)? })
    }
}

impl Row for JiraIssue {
    const TABLE: &'static Table = &Table {
        name: "jira_issues",
        columns: &[
            "key",
            "project",
            "issue_type",
            "status",
            "status_category",
            "created_at",
            "resolved_at",
            "story_points",
            "source",
        ],
        key: &["key"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.key.as_str());
        w.text(self.project.as_str());
        w.text(&self.issue_type);
        w.text(&self.status);
        w.opt_text(self.status_category.map(StatusCategory::as_str));
        w.ts(self.created_at);
        w.opt_ts(self.resolved_at);
        w.opt_float(self.story_points);
        w.text(self.source.as_str());
    }
}

impl Record for JiraIssue {
    type Key = IssueKey;
    fn key(&self) -> IssueKey {
        self.key.clone()
    }
    fn write_key<W: ColumnWriter>(key: &IssueKey, w: &mut W) {
        w.text(key.as_str());
    }
}

impl Stored for JiraIssue {
    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            key: r.owned()?,
            project: r.owned()?,
            issue_type: r.text()?,
            status: r.text()?,
            status_category: r.opt_parsed(StatusCategory::parse)?,
            created_at: r.ts()?,
            resolved_at: r.opt_ts()?,
            story_points: r.opt_float()?,
            source: r.parsed(RecordSource::parse)?,
        })
    }
}

impl Row for JiraTransition {
    const TABLE: &'static Table = &Table {
        name: "jira_changelogs",
        columns: &["issue", "id", "at", "from_status", "to_status", "from_category", "to_category", "source"],
        key: &["issue", "id"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.issue.as_str());
        w.text(&self.id);
        w.ts(self.at);
        w.opt_text(self.from_status.as_deref());
        w.text(&self.to_status);
        w.opt_text(self.from_category.map(StatusCategory::as_str));
        w.opt_text(self.to_category.map(StatusCategory::as_str));
        w.text(self.source.as_str());
    }
}

impl Record for JiraTransition {
    type Key = (IssueKey, String);
    fn key(&self) -> Self::Key {
        (self.issue.clone(), self.id.clone())
    }
    fn write_key<W: ColumnWriter>((issue, id): &Self::Key, w: &mut W) {
        w.text(issue.as_str());
        w.text(id);
    }
}

impl Stored for JiraTransition {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            issue: r.owned()?,
            id: r.text()?,
            at: r.ts()?,
            from_status: r.opt_text()?,
            to_status: r.text()?,
            from_category: r.opt_parsed(StatusCategory::parse)?,
            to_category: r.opt_parsed(StatusCategory::parse)?,
            source: r.parsed(RecordSource::parse)?,
        })
    }
}

impl Row for IssuePrLink {
    const TABLE: &'static Table = &Table {
        name: "jira_issue_pr_links",
        columns: &["issue", "repo", "pr", "origin"],
        key: &["issue", "repo", "pr"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.issue.as_str());
        w.text(self.repo.as_str());
        w.int(self.pr);
        w.text(self.origin.as_str());
    }
}

impl Record for IssuePrLink {
    type Key = (IssueKey, RepoName, i64);
    fn key(&self) -> Self::Key {
        (self.issue.clone(), self.repo.clone(), self.pr)
    }
    fn write_key<W: ColumnWriter>((issue, repo, pr): &Self::Key, w: &mut W) {
        w.text(issue.as_str());
        w.text(repo.as_str());
        w.int(*pr);
    }
}

impl Stored for IssuePrLink {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self { issue: r.owned()?, repo: r.owned()?, pr: r.int()?, origin: r.parsed(LinkOrigin::parse)? })
    }
}

impl Row for RawPayload {
    const TABLE: &'static Table = &Table {
        name: "raw_payloads",
        columns: &["source", "stream", "scope", "key", "fetched_at", "body"],
        key: &["source", "stream", "scope", "key"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(&self.source);
        w.text(&self.stream);
        w.text(&self.scope);
        w.text(&self.key);
        w.ts(self.fetched_at);
        w.text(&self.body);
    }
}

impl Record for RawPayload {
    type Key = (String, String, String, String);
    fn key(&self) -> Self::Key {
        (self.source.clone(), self.stream.clone(), self.scope.clone(), self.key.clone())
    }
    fn write_key<W: ColumnWriter>((source, stream, scope, key): &Self::Key, w: &mut W) {
        w.text(source);
        w.text(stream);
        w.text(scope);
        w.text(key);
    }
}

impl Stored for RawPayload {
    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            source: r.text()?,
            stream: r.text()?,
            scope: r.text()?,
            key: r.text()?,
            fetched_at: r.ts()?,
            body: r.text()?,
        })
    }
}
