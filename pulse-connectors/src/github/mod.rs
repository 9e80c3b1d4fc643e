//! GitHub (github.com or GitHub Enterprise Server): repository, pull requests with
//! reviews, review comments and commits, default-branch commits, deployments, releases,
//! deploy workflow runs and incident issues of one repository.
//!
//! Pull requests, deployments and releases come through GraphQL (many records per
//! request; REST remains the fallback for pull requests), commits, workflow runs and
//! issues through REST with `Link` pagination and conditional first pages. See
//! `docs/connectors.md` for the incremental rules.

mod cursor;
mod extract;
mod graphql;
mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use pulse_core::ids::{IntegrationId, JiraProjectKey, RepoName};
use pulse_core::model::{Pattern, RawPayload, RecordSource, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use crate::connector::{Connector, Cursor, Page, page_from_raw};
use crate::error::{Error, Result};
use crate::http::{ApiUsage, Http, HttpBuilder, Request, Response, Secret};
use crate::records::Records;
use crate::timestamps::time;
use cursor::{Pass, StreamCursor};
use extract::{Extractor, raw};
use wire::{GqlCreated, GqlPullMeta, RestListItem};

/// The public API of github.com; GitHub Enterprise Server is `https://HOST/api/v3`.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Sync stream names.
pub mod stream {
    pub const REPOSITORY: &str = "repository";
    pub const PULL_REQUESTS: &str = "pull_requests";
    pub const COMMITS: &str = "commits";
    pub const DEPLOYMENTS: &str = "deployments";
    pub const RELEASES: &str = "releases";
    pub const WORKFLOW_RUNS: &str = "workflow_runs";
    pub const INCIDENTS: &str = "incidents";
}

/// How pull requests are fetched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullRequestApi {
    /// 100 PRs per request with their reviews, comments and commits (the default).
    #[default]
    Graphql,
    /// One list call per 100 PRs plus three calls per PR (for servers without GraphQL).
    Rest,
}

/// A GitHub integration's settings (the `settings` JSON of its stored integration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GithubSettings {
    pub repo: RepoName,
    /// Workflow runs whose name matches are deployments; unset: runs are not fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_workflow_pattern: Option<String>,
    /// Issues with this label are incidents; unset: the label of the repository's
    /// project, else `incident`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_label: Option<String>,
    /// Jira projects whose issue keys in PR titles, branches and commit messages link
    /// issues to PRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jira_projects: Vec<JiraProjectKey>,
    #[serde(default)]
    pub pull_request_api: PullRequestApi,
    /// Pull requests per GraphQL request.
    #[serde(default = "default_batch")]
    pub pull_request_batch: u32,
}

/// The incident label when neither the integration nor a project sets one.
pub const DEFAULT_INCIDENT_LABEL: &str = "incident";

fn default_batch() -> u32 {
    100
}

impl GithubSettings {
    /// The label that marks incidents (the default when none is set).
    pub fn incident_label(&self) -> &str {
        self.incident_label.as_deref().unwrap_or(DEFAULT_INCIDENT_LABEL)
    }

    pub fn new(repo: RepoName) -> Self {
        Self {
            repo,
            deploy_workflow_pattern: None,
            incident_label: None,
            jira_projects: Vec::new(),
            pull_request_api: PullRequestApi::Graphql,
            pull_request_batch: default_batch(),
        }
    }
}

/// An HTTP client set up for GitHub's REST and GraphQL APIs.
pub fn http(api_url: &str, token: Secret) -> HttpBuilder {
    Http::builder(api_url)
        .auth(crate::http::Auth::Bearer(token))
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28")
}

/// Deployments and releases change state after they are created (pending → success,
/// draft → published): each pass looks this far behind its high-water mark.
const SETTLE_LOOKBACK: chrono::Duration = chrono::Duration::days(1);
/// The smallest pull request page a heavy query is cut down to.
const MIN_BATCH: u32 = 10;
/// Pull requests in the first page of an incremental pass.
const INCREMENTAL_FIRST_PAGE: u32 = 20;
/// Open pull requests re-checked per GraphQL request.
const RECHECK_BATCH: usize = 50;

/// The GitHub connector of one integration (one repository).
#[derive(Debug)]
pub struct GithubConnector {
    integration: IntegrationId,
    settings: GithubSettings,
    owner: String,
    name: String,
    http: Http,
    graphql: String,
    scope: String,
    extractor: Extractor,
    /// Set when the server has no usable GraphQL API; pull requests then use REST.
    rest_fallback: AtomicBool,
    /// Pull requests per GraphQL request, lowered for the connector's life when GitHub
    /// cannot finish a query that large.
    batch: AtomicU32,
}

impl GithubConnector {
    pub fn new(integration: IntegrationId, settings: GithubSettings, http: Http) -> Result<Self> {
        let config_error = |reason: String| Error::Config { integration: format!("github:{}", settings.repo), reason };
        let deploy_workflow = settings
            .deploy_workflow_pattern
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(Pattern::parse)
            .transpose()
            .map_err(|e| config_error(format!("deploy workflow pattern: {e}")))?;
        let (owner, name) = settings.repo.as_str().split_once('/').expect("RepoName is owner/name");
        let base = http.base();
        let graphql = if base.path().trim_end_matches('/').ends_with("/api/v3") {
            format!("{}/api/graphql", base.origin().ascii_serialization())
        } else {
            "graphql".to_owned()
        };
        Ok(Self {
            integration,
            owner: owner.to_owned(),
            name: name.to_owned(),
            scope: format!("{integration}:{}", settings.repo),
            extractor: Extractor {
                repo: settings.repo.clone(),
                deploy_workflow,
                incident_label: settings.incident_label().to_owned(),
                jira_projects: settings.jira_projects.clone(),
            },
            rest_fallback: AtomicBool::new(settings.pull_request_api == PullRequestApi::Rest),
            batch: AtomicU32::new(settings.pull_request_batch.clamp(1, 100)),
            settings,
            http,
            graphql,
        })
    }

    pub fn settings(&self) -> &GithubSettings {
        &self.settings
    }

    fn repo_path(&self) -> String {
        format!("repos/{}/{}", self.owner, self.name)
    }

    fn raw(&self, stream: &str, key: impl Into<String>, body: &str) -> RawPayload {
        RawPayload {
            source: RecordSource::Github.as_str().to_owned(),
            stream: stream.to_owned(),
            scope: self.scope.clone(),
            key: key.into(),
            fetched_at: Utc::now(),
            body: body.to_owned(),
        }
    }

    fn page(&self, stream: &str, raw: Vec<RawPayload>, cursor: &StreamCursor, items: usize) -> Result<Page> {
        let done = cursor.pass.is_none() && cursor.recheck.is_empty();
        page_from_raw(self, stream, raw, cursor.save(), done, items)
    }

    async fn gql(&self, query: &str, mut variables: serde_json::Value, tolerate_missing: bool) -> Result<Response> {
        variables["owner"] = json!(self.owner);
        variables["name"] = json!(self.name);
        graphql::post(&self.http, &self.graphql, query, variables, tolerate_missing).await
    }

    // ------------------------------------------------------------ repository

    async fn repository(&self, mut c: StreamCursor) -> Result<Page> {
        let url = self.repo_path();
        let etag = c.etag.as_ref().filter(|(u, _)| *u == url).map(|(_, e)| e.clone());
        let response = self.http.send(Request::get(&url).if_none_match(etag.as_deref())).await?;
        let mut raws = Vec::new();
        if !response.not_modified() {
            // Parsing checks the body before anything lands.
            let _: serde_json::Value = response.json()?;
            raws.push(self.raw(raw::REPOSITORY, "repository", response.text()?));
            if let Some(tag) = response.etag() {
                c.etag = Some((url, tag.to_owned()));
            }
        }
        let items = raws.len();
        self.page(stream::REPOSITORY, raws, &c, items)
    }

    // ------------------------------------------------------------ pull requests

    async fn pull_requests(&self, mut c: StreamCursor) -> Result<Page> {
        if c.pass.is_none() && c.recheck.is_empty() {
            c.pass = Some(Pass { unseen_open: c.open.clone(), ..Pass::default() });
        }
        if c.pass.is_none() {
            return self.recheck_open(c).await;
        }
        if !self.rest_fallback.load(Ordering::Relaxed) {
            let first_page = c.pass.as_ref().is_some_and(|p| p.after.is_none());
            match self.pull_requests_graphql(c.clone()).await {
                Err(e) if first_page && graphql_unavailable(&e) => {
                    tracing::warn!("GitHub GraphQL API unusable ({e}); fetching pull requests over REST");
                    self.rest_fallback.store(true, Ordering::Relaxed);
                }
                other => return other,
            }
        }
        self.pull_requests_rest(c).await
    }

    /// Records what a pull request's state says about the open set.
    fn track_open(c: &mut StreamCursor, number: i64, open: bool) {
        if let Some(pass) = c.pass.as_mut() {
            pass.unseen_open.retain(|n| *n != number);
        }
        c.recheck.retain(|n| *n != number);
        if open {
            if !c.open.contains(&number) {
                c.open.push(number);
            }
        } else {
            c.open.retain(|n| *n != number);
        }
    }

    fn end_pull_request_pass(c: &mut StreamCursor) {
        if let Some(pass) = &c.pass {
            c.recheck = pass.unseen_open.clone();
        }
        c.finish_pass();
    }

    async fn pull_requests_graphql(&self, mut c: StreamCursor) -> Result<Page> {
        let after = c.pass.as_ref().and_then(|p| p.after.clone());
        let mut batch = self.batch.load(Ordering::Relaxed);
        if c.hwm.is_some() && after.is_none() {
            // An incremental pass usually finds a handful of changed PRs: a small first
            // page costs the same one request but a fraction of the bytes and points.
            batch = batch.min(INCREMENTAL_FIRST_PAGE);
        }
        let response = loop {
            match self.gql(&graphql::pull_requests_query(), json!({ "first": batch, "after": after }), false).await {
                // GitHub answers a query too heavy to finish in time with 502/504 (or
                // not at all): ask for fewer pull requests; the cursor stays valid.
                Err(e) if batch > MIN_BATCH && query_too_heavy(&e) => {
                    batch = (batch / 2).max(MIN_BATCH);
                    self.batch.fetch_min(batch, Ordering::Relaxed);
                    tracing::warn!(
                        batch,
                        "GitHub could not serve the pull request query ({e}); retrying with a smaller page"
                    );
                }
                other => break other?,
            }
        };
        let connection = graphql::connection(&response, "pullRequests")?;
        let mut raws = Vec::new();
        let mut reached_known = false;
        for node in &connection.nodes {
            let meta: GqlPullMeta = serde_json::from_str(node.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("pull request node: {e}")))?;
            let updated = time(&meta.updated_at).map_err(|e| Error::malformed(response.endpoint(), e))?;
            if c.hwm.is_some_and(|hwm| updated < hwm) {
                // Ordered by update, newest first: the rest is what the last sync landed.
                reached_known = true;
                break;
            }
            StreamCursor::raise_top(c.pass.as_mut().expect("in a pass"), updated);
            self.pull_request_node(&mut c, node, &meta, &mut raws).await?;
        }
        let items = connection.nodes.len();
        if reached_known || !connection.page_info.has_next_page {
            Self::end_pull_request_pass(&mut c);
        } else if let Some(pass) = c.pass.as_mut() {
            pass.after = connection.page_info.end_cursor.clone();
        }
        self.page(stream::PULL_REQUESTS, raws, &c, items)
    }

    /// Keeps a pull request node, and completes over REST what did not fit in it.
    async fn pull_request_node(
        &self,
        c: &mut StreamCursor,
        node: &RawValue,
        meta: &GqlPullMeta,
        raws: &mut Vec<RawPayload>,
    ) -> Result<()> {
        Self::track_open(c, meta.number, meta.state == "OPEN");
        raws.push(self.raw(raw::PULL_REQUESTS, meta.number.to_string(), node.get()));
        let pr = meta.number;
        let base = format!("{}/pulls/{pr}", self.repo_path());
        if let Some(reviews) = &meta.reviews {
            if reviews.truncated() {
                self.rest_all(format!("{base}/reviews?per_page=100"), raw::REVIEWS, pr, raws).await?;
            }
            if reviews.truncated() || reviews.nodes.iter().any(|r| r.comments.as_ref().is_some_and(|c| c.truncated())) {
                self.rest_all(format!("{base}/comments?per_page=100"), raw::REVIEW_COMMENTS, pr, raws).await?;
            }
        }
        if meta.commits.as_ref().is_some_and(|c| c.truncated()) {
            self.rest_all(format!("{base}/commits?per_page=100"), raw::PR_COMMITS, pr, raws).await?;
        }
        Ok(())
    }

    async fn recheck_open(&self, mut c: StreamCursor) -> Result<Page> {
        let numbers: Vec<i64> = c.recheck.iter().copied().take(RECHECK_BATCH).collect();
        let mut raws = Vec::new();
        if self.rest_fallback.load(Ordering::Relaxed) {
            for n in &numbers {
                let response = self.http.send(Request::get(format!("{}/pulls/{n}", self.repo_path()))).await?;
                let meta: RestListItem = response.json()?;
                Self::track_open(&mut c, *n, meta.state.as_deref() == Some("open"));
                raws.push(self.raw(raw::PULL_REQUESTS_REST, n.to_string(), response.text()?));
                self.rest_pull_children(*n, &mut raws).await?;
            }
        } else {
            let response = self.gql(&graphql::pull_requests_by_number_query(&numbers), json!({}), true).await?;
            let mut found = Vec::new();
            for (_, node) in graphql::aliases(&response)? {
                let Some(node) = node else { continue };
                let meta: GqlPullMeta = serde_json::from_str(node.get())
                    .map_err(|e| Error::malformed(response.endpoint(), format!("pull request node: {e}")))?;
                found.push(meta.number);
                self.pull_request_node(&mut c, node, &meta, &mut raws).await?;
            }
            // A pull request that no longer exists is not open any more.
            for n in numbers.iter().filter(|n| !found.contains(n)) {
                Self::track_open(&mut c, *n, false);
            }
        }
        c.recheck.retain(|n| !numbers.contains(n));
        let items = numbers.len();
        self.page(stream::PULL_REQUESTS, raws, &c, items)
    }

    async fn pull_requests_rest(&self, mut c: StreamCursor) -> Result<Page> {
        let first = format!("{}/pulls?state=all&sort=updated&direction=desc&per_page=100", self.repo_path());
        let Some((response, next)) = self.rest_page(&mut c, first).await? else {
            return self.page(stream::PULL_REQUESTS, Vec::new(), &c, 0);
        };
        let items: Vec<&RawValue> = response.json()?;
        let mut raws = Vec::new();
        let mut reached_known = false;
        for item in &items {
            let meta: RestListItem = serde_json::from_str(item.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("pull request: {e}")))?;
            let (Some(number), Some(updated)) = (meta.number, meta.updated_at.as_deref()) else {
                return Err(Error::malformed(response.endpoint(), "a pull request without number or updated_at"));
            };
            let updated = time(updated).map_err(|e| Error::malformed(response.endpoint(), e))?;
            if c.hwm.is_some_and(|hwm| updated < hwm) {
                reached_known = true;
                break;
            }
            StreamCursor::raise_top(c.pass.as_mut().expect("in a pass"), updated);
            Self::track_open(&mut c, number, meta.state.as_deref() == Some("open"));
            raws.push(self.raw(raw::PULL_REQUESTS_REST, number.to_string(), item.get()));
            self.rest_pull_children(number, &mut raws).await?;
        }
        match next {
            Some(next) if !reached_known => c.pass.as_mut().expect("in a pass").after = Some(next),
            _ => Self::end_pull_request_pass(&mut c),
        }
        self.page(stream::PULL_REQUESTS, raws, &c, items.len())
    }

    /// A pull request's reviews, review comments and commits over REST.
    async fn rest_pull_children(&self, pr: i64, raws: &mut Vec<RawPayload>) -> Result<()> {
        let base = format!("{}/pulls/{pr}", self.repo_path());
        self.rest_all(format!("{base}/reviews?per_page=100"), raw::REVIEWS, pr, raws).await?;
        self.rest_all(format!("{base}/comments?per_page=100"), raw::REVIEW_COMMENTS, pr, raws).await?;
        self.rest_all(format!("{base}/commits?per_page=100"), raw::PR_COMMITS, pr, raws).await
    }

    /// Every page of a per-PR REST list, each item keyed `<pr>:<id or sha>`.
    async fn rest_all(&self, first: String, stream: &str, pr: i64, raws: &mut Vec<RawPayload>) -> Result<()> {
        let mut url = Some(first);
        while let Some(target) = url {
            let response = self.http.send(Request::get(target)).await?;
            let items: Vec<&RawValue> = response.json()?;
            for item in items {
                let meta: RestListItem = serde_json::from_str(item.get())
                    .map_err(|e| Error::malformed(response.endpoint(), format!("list item: {e}")))?;
                let id = meta
                    .id
                    .map(|i| i.to_string())
                    .or(meta.sha)
                    .ok_or_else(|| Error::malformed(response.endpoint(), "a list item without id or sha"))?;
                raws.push(self.raw(stream, format!("{pr}:{id}"), item.get()));
            }
            url = response.next_link();
        }
        Ok(())
    }

    // ------------------------------------------------------------ REST lists

    /// One page of a REST list pass: the first page conditionally (a 304 ends the pass
    /// at no quota cost), later ones from the `Link` header. `None` when unchanged.
    async fn rest_page(&self, c: &mut StreamCursor, first: String) -> Result<Option<(Response, Option<String>)>> {
        let pass = c.pass.get_or_insert_with(Pass::default);
        let (url, is_first) = match &pass.after {
            Some(next) => (next.clone(), false),
            None => (first, true),
        };
        let etag = if is_first { c.etag.as_ref().filter(|(u, _)| *u == url).map(|(_, e)| e.clone()) } else { None };
        let response = self.http.send(Request::get(&url).if_none_match(etag.as_deref())).await?;
        if response.not_modified() {
            c.finish_pass();
            return Ok(None);
        }
        if is_first && let Some(tag) = response.etag() {
            c.etag = Some((url, tag.to_owned()));
        }
        let next = response.next_link();
        Ok(Some((response, next)))
    }

    async fn commits(&self, mut c: StreamCursor) -> Result<Page> {
        let mut first = format!("{}/commits?per_page=100", self.repo_path());
        if let Some(hwm) = c.hwm {
            first.push_str(&format!("&since={}", rfc3339(hwm)));
        }
        let Some((response, next)) = self.rest_page(&mut c, first).await? else {
            return self.page(stream::COMMITS, Vec::new(), &c, 0);
        };
        let items: Vec<&RawValue> = response.json()?;
        let mut raws = Vec::new();
        for item in &items {
            let meta: RestListItem = serde_json::from_str(item.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("commit: {e}")))?;
            let sha = meta.sha.ok_or_else(|| Error::malformed(response.endpoint(), "a commit without sha"))?;
            let committed = meta.commit.as_ref().and_then(|c| c.committer.as_ref()).and_then(|a| a.date.as_deref());
            if let Some(t) = committed.and_then(|t| time(t).ok()) {
                StreamCursor::raise_top(c.pass.as_mut().expect("in a pass"), t);
            }
            raws.push(self.raw(raw::COMMITS, sha, item.get()));
        }
        match next {
            Some(next) => c.pass.as_mut().expect("in a pass").after = Some(next),
            None => c.finish_pass(),
        }
        self.page(stream::COMMITS, raws, &c, items.len())
    }

    async fn workflow_runs(&self, mut c: StreamCursor) -> Result<Page> {
        let mut first = format!("{}/actions/runs?per_page=100&status=completed", self.repo_path());
        if let Some(hwm) = c.hwm {
            first.push_str(&format!("&created=%3E%3D{}", rfc3339(hwm - SETTLE_LOOKBACK)));
        }
        let Some((response, next)) = self.rest_page(&mut c, first).await? else {
            return self.page(stream::WORKFLOW_RUNS, Vec::new(), &c, 0);
        };
        let runs: wire::RestRuns = response.json()?;
        let mut raws = Vec::new();
        for item in &runs.workflow_runs {
            let meta: RestListItem = serde_json::from_str(item.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("workflow run: {e}")))?;
            let id = meta.id.ok_or_else(|| Error::malformed(response.endpoint(), "a run without id"))?;
            if let Some(t) = meta.created_at.as_deref().and_then(|t| time(t).ok()) {
                StreamCursor::raise_top(c.pass.as_mut().expect("in a pass"), t);
            }
            raws.push(self.raw(raw::WORKFLOW_RUNS, id.to_string(), item.get()));
        }
        match next {
            Some(next) => c.pass.as_mut().expect("in a pass").after = Some(next),
            None => c.finish_pass(),
        }
        self.page(stream::WORKFLOW_RUNS, raws, &c, runs.workflow_runs.len())
    }

    async fn incidents(&self, mut c: StreamCursor) -> Result<Page> {
        let label = url_encode(self.settings.incident_label());
        let mut first =
            format!("{}/issues?labels={label}&state=all&sort=updated&direction=asc&per_page=100", self.repo_path());
        if let Some(hwm) = c.hwm {
            first.push_str(&format!("&since={}", rfc3339(hwm)));
        }
        let Some((response, next)) = self.rest_page(&mut c, first).await? else {
            return self.page(stream::INCIDENTS, Vec::new(), &c, 0);
        };
        let items: Vec<&RawValue> = response.json()?;
        let mut raws = Vec::new();
        for item in &items {
            let meta: RestListItem = serde_json::from_str(item.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("issue: {e}")))?;
            let number = meta.number.ok_or_else(|| Error::malformed(response.endpoint(), "an issue without number"))?;
            if let Some(t) = meta.updated_at.as_deref().and_then(|t| time(t).ok()) {
                StreamCursor::raise_top(c.pass.as_mut().expect("in a pass"), t);
            }
            raws.push(self.raw(raw::ISSUES, number.to_string(), item.get()));
        }
        match next {
            Some(next) => c.pass.as_mut().expect("in a pass").after = Some(next),
            None => c.finish_pass(),
        }
        self.page(stream::INCIDENTS, raws, &c, items.len())
    }

    // ------------------------------------------------------------ GraphQL by creation

    /// Deployments or releases, newest first, back to the high-water mark less the
    /// settle lookback.
    async fn created_desc(
        &self,
        stream: &str,
        raw_stream: &str,
        query: &str,
        field: &str,
        mut c: StreamCursor,
    ) -> Result<Page> {
        let pass = c.pass.get_or_insert_with(Pass::default);
        let response = self.gql(query, json!({ "first": 100, "after": pass.after }), false).await?;
        let connection = graphql::connection(&response, field)?;
        let stop = c.hwm.map(|h| h - SETTLE_LOOKBACK);
        let mut raws = Vec::new();
        let mut reached_known = false;
        for node in &connection.nodes {
            let meta: GqlCreated = serde_json::from_str(node.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("{field} node: {e}")))?;
            let created = time(&meta.created_at).map_err(|e| Error::malformed(response.endpoint(), e))?;
            if stop.is_some_and(|s| created < s) {
                reached_known = true;
                break;
            }
            StreamCursor::raise_top(c.pass.as_mut().expect("in a pass"), created);
            let ids: wire::GqlIds = serde_json::from_str(node.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("{field} node: {e}")))?;
            let key = ids.id().ok_or_else(|| Error::malformed(response.endpoint(), "a node without databaseId"))?;
            raws.push(self.raw(raw_stream, key, node.get()));
        }
        if reached_known || !connection.page_info.has_next_page {
            c.finish_pass();
        } else {
            c.pass.as_mut().expect("in a pass").after = connection.page_info.end_cursor.clone();
        }
        self.page(stream, raws, &c, connection.nodes.len())
    }
}

fn query_too_heavy(e: &Error) -> bool {
    matches!(e, Error::Status { status: 502 | 504, .. } | Error::Timeout { .. })
}

fn graphql_unavailable(e: &Error) -> bool {
    match e {
        Error::Status { status, .. } => *status == 404 || *status == 410,
        Error::GraphQl { message, .. } => message.contains("doesn't exist on type") || message.contains("Field '"),
        _ => false,
    }
}

fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[async_trait]
impl Connector for GithubConnector {
    fn integration(&self) -> IntegrationId {
        self.integration
    }

    fn source(&self) -> RecordSource {
        RecordSource::Github
    }

    fn streams(&self) -> Vec<String> {
        let mut streams =
            vec![stream::REPOSITORY, stream::PULL_REQUESTS, stream::COMMITS, stream::DEPLOYMENTS, stream::RELEASES];
        if self.extractor.deploy_workflow.is_some() {
            streams.push(stream::WORKFLOW_RUNS);
        }
        streams.push(stream::INCIDENTS);
        streams.into_iter().map(str::to_owned).collect()
    }

    async fn next_page(&self, stream: &str, cursor: Option<&Cursor>) -> Result<Page> {
        let c = StreamCursor::load(cursor);
        match stream {
            stream::REPOSITORY => self.repository(c).await,
            stream::PULL_REQUESTS => self.pull_requests(c).await,
            stream::COMMITS => self.commits(c).await,
            stream::DEPLOYMENTS => {
                self.created_desc(stream, raw::DEPLOYMENTS, graphql::DEPLOYMENTS_QUERY, "deployments", c).await
            }
            stream::RELEASES => self.created_desc(stream, raw::RELEASES, graphql::RELEASES_QUERY, "releases", c).await,
            stream::WORKFLOW_RUNS => self.workflow_runs(c).await,
            stream::INCIDENTS => self.incidents(c).await,
            other => Err(Error::UnknownStream { stream: other.to_owned() }),
        }
    }

    fn extract(&self, payload: &RawPayload) -> Result<Records> {
        self.extractor.extract(payload)
    }

    fn raw_streams(&self) -> Vec<(String, String)> {
        raw::ALL.iter().map(|s| (s.to_string(), self.scope.clone())).collect()
    }

    fn usage(&self) -> Arc<ApiUsage> {
        self.http.usage().clone()
    }
}
