//! Storage of the metric engine's derived facts, and of the versions that tell whether
//! they are current: every transaction that changes data the metrics read bumps the
//! client's data version; a derivation records the version it was derived from.

use super::codec::{ColumnReader, ColumnWriter};
use super::table::{Record, Stored, Table, sealed::Row};
use super::tx::ClientTx;
use crate::error::{Error, Result};
use crate::ids::{IssueKey, ProjectName, RepoName, Sha};
use crate::metrics::facts::*;
use crate::model::*;

/// Tables whose rows feed derivation: a write to one makes the facts stale.
pub(crate) const METRIC_SOURCES: &[&str] = &[
    "repositories",
    "commits",
    "pull_requests",
    "pull_request_commits",
    "reviews",
    "deployments",
    "incidents",
    "jira_projects",
    "jira_issues",
    "jira_changelogs",
    "jira_issue_pr_links",
    "projects",
    "project_repos",
    "project_jira_projects",
    "project_team_members",
];

/// The derived tables, cleared and rewritten by a full derivation.
pub(crate) const FACT_TABLES: &[&str] = &["deployment_facts", "pr_facts", "incident_facts", "issue_facts"];

/// Where a client's facts stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactsState {
    /// Bumped by every change to data the metrics read.
    pub data_version: i64,
    /// The data version the stored facts were derived from; -1 when never derived.
    pub facts_version: i64,
}

impl FactsState {
    pub fn is_current(&self) -> bool {
        self.facts_version == self.data_version
    }
}

impl ClientTx {
    pub(crate) async fn bump_data_version(&mut self) -> Result<()> {
        let args = self.scoped_args();
        self.inner
            .execute(
                "INSERT INTO facts_state (client_id, data_version) VALUES ($1, 1) \
                 ON CONFLICT (client_id) DO UPDATE SET data_version = facts_state.data_version + 1",
                args,
            )
            .await?;
        Ok(())
    }

    /// The client's data and facts versions.
    pub async fn facts_state(&mut self) -> Result<FactsState> {
        let args = self.scoped_args();
        let row = self
            .fetch_optional("SELECT data_version, facts_version FROM facts_state WHERE client_id = $1", args)
            .await?;
        match row {
            None => Ok(FactsState { data_version: 0, facts_version: -1 }),
            Some(row) => {
                let mut r = ColumnReader::new(&row);
                Ok(FactsState { data_version: r.int()?, facts_version: r.int()? })
            }
        }
    }

    /// Replaces every stored fact of the client with `facts`, derived from data version
    /// `version`.
    pub async fn replace_facts(&mut self, facts: &Facts, version: i64) -> Result<()> {
        for table in FACT_TABLES {
            let args = self.scoped_args();
            self.execute(&format!("DELETE FROM {table} WHERE client_id = $1"), args).await?;
        }
        self.upsert(&facts.deployments).await?;
        self.upsert(&facts.pull_requests).await?;
        self.upsert(&facts.incidents).await?;
        self.upsert(&facts.issues).await?;
        self.set_facts_version(version).await
    }

    pub(crate) async fn set_facts_version(&mut self, version: i64) -> Result<()> {
        let mut args = self.scoped_args();
        args.int(version);
        args.ts(chrono::Utc::now());
        self.execute(
            "INSERT INTO facts_state (client_id, data_version, facts_version, derived_at) VALUES ($1, $2, $2, $3) \
             ON CONFLICT (client_id) DO UPDATE SET facts_version = $2, derived_at = $3",
            args,
        )
        .await?;
        Ok(())
    }

    /// The stored facts (unmerged PRs come from the pull requests themselves).
    pub async fn load_facts(&mut self) -> Result<Facts> {
        let unmerged = self.unmerged_pull_requests().await?;
        Ok(Facts {
            deployments: self.list::<DeploymentFact>().await?,
            pull_requests: self.list::<PrFact>().await?,
            unmerged_pull_requests: unmerged,
            incidents: self.list::<IncidentFact>().await?,
            issues: self.list::<IssueFact>().await?,
        })
    }

    async fn unmerged_pull_requests(&mut self) -> Result<Vec<UnmergedPr>> {
        let args = self.scoped_args();
        let rows = self
            .fetch_all(
                "SELECT repo, number, author, created_at, closed_at, draft FROM pull_requests \
                 WHERE client_id = $1 AND merged_at IS NULL ORDER BY repo, number",
                args,
            )
            .await?;
        rows.iter()
            .map(|row| {
                let mut r = ColumnReader::new(row);
                Ok(UnmergedPr {
                    repo: r.owned()?,
                    number: r.int()?,
                    author: r.text()?,
                    created_at: r.ts()?,
                    closed_at: r.opt_ts()?,
                    draft: r.bool()?,
                })
            })
            .collect()
    }
}

fn pr_ref(repo: &RepoName, number: i64) -> String {
    format!("{repo}#{number}")
}

fn parse_pr_ref(text: &str) -> Result<(RepoName, i64)> {
    let (repo, number) =
        text.rsplit_once('#').ok_or_else(|| Error::invalid("pull request reference", format!("{text:?}")))?;
    let number = number.parse().map_err(|_| Error::invalid("pull request reference", format!("{text:?}")))?;
    Ok((RepoName::parse(repo)?, number))
}

fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("facts serialize")
}

fn from_json<T: serde::de::DeserializeOwned>(column: &str, value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::corrupt(column, e.to_string()))
}

fn attribution_str(a: Attribution) -> &'static str {
    match a {
        Attribution::Graph => "graph",
        Attribution::Time => "time",
    }
}

fn parse_attribution(text: &str) -> Result<Attribution> {
    match text {
        "graph" => Ok(Attribution::Graph),
        "time" => Ok(Attribution::Time),
        other => Err(Error::invalid("attribution", format!("{other:?}"))),
    }
}

impl Row for DeploymentFact {
    const TABLE: &'static Table = &Table {
        name: "deployment_facts",
        columns: &[
            "repo",
            "id",
            "sha",
            "environment",
            "result",
            "source",
            "started_at",
            "finished_at",
            "production",
            "previous",
            "previous_sha",
            "attribution",
            "changes",
            "pull_requests",
            "rework",
        ],
        key: &["repo", "id"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.repo.as_str());
        w.text(&self.id);
        w.text(self.sha.as_str());
        w.text(&self.environment);
        w.text(self.result.as_str());
        w.text(self.source.as_str());
        w.ts(self.started_at);
        w.ts(self.finished_at);
        w.bool(self.production);
        w.opt_text(self.previous.as_deref());
        w.opt_text(self.previous_sha.as_ref().map(Sha::as_str));
        w.opt_text(self.attribution.map(attribution_str));
        w.text_list(&self.changes.iter().map(Sha::as_str).collect::<Vec<_>>());
        let prs: Vec<String> = self.pull_requests.iter().map(|(r, n)| pr_ref(r, *n)).collect();
        w.text_list(&prs.iter().map(String::as_str).collect::<Vec<_>>());
        w.json(&json_of(&self.rework));
    }
}

impl Record for DeploymentFact {
    type Key = DeploymentRef;
    fn key(&self) -> DeploymentRef {
        DeploymentFact::key(self)
    }
    fn write_key<W: ColumnWriter>(key: &DeploymentRef, w: &mut W) {
        w.text(key.repo.as_str());
        w.text(&key.id);
    }
}

impl Stored for DeploymentFact {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            repo: r.owned()?,
            id: r.text()?,
            sha: r.owned()?,
            environment: r.text()?,
            result: r.parsed(DeploymentResult::parse)?,
            source: r.parsed(DeploymentSource::parse)?,
            started_at: r.ts()?,
            finished_at: r.ts()?,
            production: r.bool()?,
            previous: r.opt_text()?,
            previous_sha: r.opt_owned()?,
            attribution: r.opt_parsed(parse_attribution)?,
            changes: r.owned_list()?,
            pull_requests: r.parsed_list(parse_pr_ref)?,
            rework: from_json("rework", r.json()?)?,
        })
    }
}

impl Row for PrFact {
    const TABLE: &'static Table = &Table {
        name: "pr_facts",
        columns: &[
            "repo",
            "number",
            "author",
            "title",
            "created_at",
            "merged_at",
            "size",
            "first_commit_sha",
            "first_commit_at",
            "first_review_id",
            "first_review_at",
            "coding",
            "pickup",
            "review",
            "deploy",
            "lead_time",
            "deployment_repo",
            "deployment_id",
            "deployed_at",
            "attribution",
            "reviews",
            "approved_first_time",
        ],
        key: &["repo", "number"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.repo.as_str());
        w.int(self.number);
        w.text(&self.author);
        w.opt_text(self.title.as_deref());
        w.ts(self.created_at);
        w.ts(self.merged_at);
        w.opt_int(self.size);
        w.opt_text(self.first_commit_sha.as_ref().map(Sha::as_str));
        w.opt_ts(self.first_commit_at);
        w.opt_text(self.first_review_id.as_deref());
        w.opt_ts(self.first_review_at);
        w.opt_int(self.coding);
        w.opt_int(self.pickup);
        w.opt_int(self.review);
        w.opt_int(self.deploy);
        w.int(self.lead_time);
        w.opt_text(self.deployment.as_ref().map(|d| d.repo.as_str()));
        w.opt_text(self.deployment.as_ref().map(|d| d.id.as_str()));
        w.opt_ts(self.deployed_at);
        w.opt_text(self.attribution.map(attribution_str));
        w.int(i64::from(self.reviews));
        w.bool(self.approved_first_time);
    }
}

impl Record for PrFact {
    type Key = (RepoName, i64);
    fn key(&self) -> Self::Key {
        (self.repo.clone(), self.number)
    }
    fn write_key<W: ColumnWriter>((repo, number): &Self::Key, w: &mut W) {
        w.text(repo.as_str());
        w.int(*number);
    }
}

impl Stored for PrFact {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        let repo = r.owned()?;
        let number = r.int()?;
        let author = r.text()?;
        let title = r.opt_text()?;
        let created_at = r.ts()?;
        let merged_at = r.ts()?;
        let size = r.opt_int()?;
        let first_commit_sha = r.opt_owned()?;
        let first_commit_at = r.opt_ts()?;
        let first_review_id = r.opt_text()?;
        let first_review_at = r.opt_ts()?;
        let (coding, pickup, review, deploy) = (r.opt_int()?, r.opt_int()?, r.opt_int()?, r.opt_int()?);
        let lead_time = r.int()?;
        let deployment = match (r.opt_owned()?, r.opt_text()?) {
            (Some(repo), Some(id)) => Some(DeploymentRef { repo, id }),
            _ => None,
        };
        Ok(Self {
            repo,
            number,
            author,
            title,
            created_at,
            merged_at,
            size,
            first_commit_sha,
            first_commit_at,
            first_review_id,
            first_review_at,
            coding,
            pickup,
            review,
            deploy,
            lead_time,
            deployment,
            deployed_at: r.opt_ts()?,
            attribution: r.opt_parsed(parse_attribution)?,
            reviews: u32::try_from(r.int()?).map_err(|_| Error::corrupt("reviews", "out of range"))?,
            approved_first_time: r.bool()?,
        })
    }
}

impl Row for IncidentFact {
    const TABLE: &'static Table = &Table {
        name: "incident_facts",
        columns: &[
            "id",
            "title",
            "created_at",
            "resolved_at",
            "repo",
            "project",
            "deployment_repo",
            "deployment_id",
            "deployment_finished_at",
            "method",
            "unmatched_reference",
        ],
        key: &["id"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(&self.id);
        w.opt_text(self.title.as_deref());
        w.ts(self.created_at);
        w.opt_ts(self.resolved_at);
        w.opt_text(self.repo.as_ref().map(RepoName::as_str));
        w.opt_text(self.project.as_ref().map(ProjectName::as_str));
        w.opt_text(self.deployment.as_ref().map(|d| d.repo.as_str()));
        w.opt_text(self.deployment.as_ref().map(|d| d.id.as_str()));
        w.opt_ts(self.deployment_finished_at);
        w.opt_text(self.method.map(|m| match m {
            LinkMethod::Explicit => "explicit",
            LinkMethod::Inferred => "inferred",
        }));
        w.opt_text(self.unmatched_reference.as_deref());
    }
}

impl Record for IncidentFact {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
    fn write_key<W: ColumnWriter>(key: &String, w: &mut W) {
        w.text(key);
    }
}

impl Stored for IncidentFact {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        let id = r.text()?;
        let title = r.opt_text()?;
        let created_at = r.ts()?;
        let resolved_at = r.opt_ts()?;
        let repo = r.opt_owned()?;
        let project = r.opt_owned()?;
        let deployment = match (r.opt_owned()?, r.opt_text()?) {
            (Some(repo), Some(id)) => Some(DeploymentRef { repo, id }),
            _ => None,
        };
        Ok(Self {
            id,
            title,
            created_at,
            resolved_at,
            repo,
            project,
            deployment,
            deployment_finished_at: r.opt_ts()?,
            method: r.opt_parsed(|m| match m {
                "explicit" => Ok(LinkMethod::Explicit),
                "inferred" => Ok(LinkMethod::Inferred),
                other => Err(Error::invalid("link method", format!("{other:?}"))),
            })?,
            unmatched_reference: r.opt_text()?,
        })
    }
}

impl Row for IssueFact {
    const TABLE: &'static Table = &Table {
        name: "issue_facts",
        columns: &[
            "key",
            "project",
            "issue_type",
            "created_at",
            "resolved_at",
            "started_at",
            "statuses",
            "active_seconds",
            "pull_requests",
        ],
        key: &["key"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.key.as_str());
        w.text(self.project.as_str());
        w.text(&self.issue_type);
        w.ts(self.created_at);
        w.opt_ts(self.resolved_at);
        w.opt_ts(self.started_at);
        w.json(&json_of(&self.statuses));
        w.opt_int(self.active_seconds);
        let prs: Vec<String> = self.pull_requests.iter().map(|(r, n)| pr_ref(r, *n)).collect();
        w.text_list(&prs.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

impl Record for IssueFact {
    type Key = IssueKey;
    fn key(&self) -> IssueKey {
        self.key.clone()
    }
    fn write_key<W: ColumnWriter>(key: &IssueKey, w: &mut W) {
        w.text(key.as_str());
    }
}

impl Stored for IssueFact {
    const JSON_READABLE: bool = true;

    fn read(r: &mut ColumnReader<'_>) -> Result<Self> {
        Ok(Self {
            key: r.owned()?,
            project: r.owned()?,
            issue_type: r.text()?,
            created_at: r.ts()?,
            resolved_at: r.opt_ts()?,
            started_at: r.opt_ts()?,
            statuses: from_json("statuses", r.json()?)?,
            active_seconds: r.opt_int()?,
            pull_requests: r.parsed_list(parse_pr_ref)?,
        })
    }
}
