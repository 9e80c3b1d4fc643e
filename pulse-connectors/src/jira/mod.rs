//! Jira Cloud (REST v3): the project, its statuses, and its issues with their full
//! changelogs (status transitions), incident issues and dev-status PR links.
//!
//! Issues come from `/rest/api/3/search/jql` with `nextPageToken` paging, ordered by
//! creation so that an issue updated during a pass cannot shift another out of the
//! page it was on. Incremental passes filter on `updated`, written in the API user's
//! time zone (see [`JiraCursor`]).

mod extract;
mod wire;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use pulse_core::ids::{IntegrationId, JiraProjectKey};
use pulse_core::model::{RawPayload, RecordSource, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::connector::{Connector, Cursor, Page, page_from_raw};
use crate::error::{Error, Result};
use crate::http::{ApiUsage, Auth, Http, HttpBuilder, Request, Secret};
use crate::records::Records;
use extract::{Extractor, raw};

/// Sync stream names.
pub mod stream {
    pub const STATUSES: &str = "statuses";
    pub const PROJECT: &str = "project";
    pub const ISSUES: &str = "issues";
}

/// A Jira integration's settings (the `settings` JSON of its stored integration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JiraSettings {
    pub project: JiraProjectKey,
    /// The account the API token belongs to (Basic auth user).
    pub email: String,
    /// Issue types that are incidents.
    #[serde(default = "default_incident_types")]
    pub incident_types: Vec<String>,
    /// The custom field holding story points (it differs per site, e.g. `customfield_10016`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story_points_field: Option<String>,
    /// The "Development" custom field (e.g. `customfield_10000`). When set, issues whose
    /// development summary shows pull requests get one dev-status call for the links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub development_field: Option<String>,
}

fn default_incident_types() -> Vec<String> {
    vec!["Incident".to_owned()]
}

impl JiraSettings {
    pub fn new(project: JiraProjectKey, email: impl Into<String>) -> Self {
        Self {
            project,
            email: email.into(),
            incident_types: default_incident_types(),
            story_points_field: None,
            development_field: None,
        }
    }
}

/// An HTTP client set up for Jira Cloud (Basic auth with an e-mail and API token).
pub fn http(site: &str, email: &str, token: Secret) -> HttpBuilder {
    Http::builder(site)
        .auth(Auth::Basic { user: email.to_owned(), password: token })
        .header("accept", "application/json")
}

/// Issues per search request (Jira's page limit for these fields).
const PAGE_SIZE: u32 = 100;

/// Where the issues stream stands.
///
/// JQL reads an absolute date in the time zone of the API user's profile, not UTC. A
/// peer formats its UTC high-water mark and, for a user west of UTC, misses every update
/// of the last hours. Jira writes every timestamp it returns in that same zone, so the
/// connector keeps the offset it last saw (`offset_seconds`) and writes the bound as
/// that wall-clock time, one hour early (minute precision, clock skew, a DST change in
/// between); with no offset seen yet it goes back 15 hours, beyond any zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JiraCursor {
    /// When the last finished pass started: everything updated since is fetched again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hwm: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<JiraPass>,
}

/// A pass of the issues stream in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JiraPass {
    pub jql: String,
    pub started: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

impl JiraCursor {
    fn load(cursor: Option<&Cursor>) -> Self {
        cursor.and_then(|c| serde_json::from_value(c.clone()).ok()).unwrap_or_default()
    }

    /// The JQL of a new pass.
    pub fn jql(&self, project: &JiraProjectKey) -> String {
        let mut jql = format!("project = \"{project}\"");
        if let Some(hwm) = self.hwm {
            let (offset, margin) = match self.offset_seconds {
                Some(s) => (s, chrono::Duration::hours(1)),
                None => (0, chrono::Duration::hours(15)),
            };
            let zone = FixedOffset::east_opt(offset).unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
            let local = (hwm - margin).with_timezone(&zone);
            jql.push_str(&format!(" AND updated >= \"{}\"", local.format("%Y/%m/%d %H:%M")));
        }
        jql.push_str(" ORDER BY created ASC, key ASC");
        jql
    }
}

/// The Jira connector of one integration (one project of one site).
#[derive(Debug)]
pub struct JiraConnector {
    integration: IntegrationId,
    settings: JiraSettings,
    http: Http,
    scope: String,
    extractor: Extractor,
}

impl JiraConnector {
    pub fn new(integration: IntegrationId, settings: JiraSettings, http: Http) -> Self {
        Self {
            integration,
            scope: format!("{integration}:{}", settings.project),
            extractor: Extractor {
                incident_types: settings.incident_types.clone(),
                story_points_field: settings.story_points_field.clone(),
                statuses: RwLock::new(HashMap::new()),
            },
            settings,
            http,
        }
    }

    pub fn settings(&self) -> &JiraSettings {
        &self.settings
    }

    fn raw(&self, stream: &str, key: impl Into<String>, body: &str) -> RawPayload {
        RawPayload {
            source: RecordSource::Jira.as_str().to_owned(),
            stream: stream.to_owned(),
            scope: self.scope.clone(),
            key: key.into(),
            fetched_at: Utc::now(),
            body: body.to_owned(),
        }
    }

    async fn statuses(&self) -> Result<Page> {
        let response = self.http.send(Request::get("rest/api/3/status")).await?;
        let statuses: Vec<&RawValue> = response.json()?;
        let mut raws = Vec::new();
        for status in &statuses {
            #[derive(Deserialize)]
            struct Id {
                id: String,
            }
            let id: Id = serde_json::from_str(status.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("status: {e}")))?;
            raws.push(self.raw(raw::STATUSES, id.id, status.get()));
        }
        page_from_raw(self, stream::STATUSES, raws, serde_json::json!({}), true, statuses.len())
    }

    async fn project(&self) -> Result<Page> {
        let request = Request::get("rest/api/3/project/search").query("keys", &self.settings.project);
        let response = self.http.send(request).await?;
        let page: wire::ValuesPage<'_> = response.json()?;
        let mut raws = Vec::new();
        for project in &page.values {
            let p: wire::Project = serde_json::from_str(project.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("project: {e}")))?;
            // The search matches keys exactly, but a site may answer with more.
            if p.key == self.settings.project.as_str() {
                raws.push(self.raw(raw::PROJECTS, p.key, project.get()));
            }
        }
        page_from_raw(self, stream::PROJECT, raws, serde_json::json!({}), true, page.values.len())
    }

    fn fields(&self) -> String {
        let mut fields = vec!["summary", "issuetype", "status", "created", "updated", "resolutiondate", "project"];
        fields.extend(self.settings.story_points_field.as_deref());
        fields.extend(self.settings.development_field.as_deref());
        fields.join(",")
    }

    async fn issues(&self, cursor: Option<&Cursor>) -> Result<Page> {
        let mut c = JiraCursor::load(cursor);
        let pass = match c.pass.clone() {
            Some(pass) => pass,
            None => JiraPass { jql: c.jql(&self.settings.project), started: Utc::now(), next_page_token: None },
        };
        let search = |pass: &JiraPass| {
            let mut request = Request::get("rest/api/3/search/jql")
                .query("jql", &pass.jql)
                .query("fields", self.fields())
                .query("expand", "changelog")
                .query("maxResults", PAGE_SIZE);
            if let Some(token) = &pass.next_page_token {
                request = request.query("nextPageToken", token);
            }
            request
        };
        let (pass, response) = match self.http.send(search(&pass)).await {
            // A page token does not outlive a long pause (a resumed job): start the pass
            // again from the same high-water mark. Issues come again; nothing is missed.
            Err(Error::Status { status: 400, .. }) if pass.next_page_token.is_some() => {
                tracing::warn!("Jira refused a stale page token; restarting the issues pass");
                let restart =
                    JiraPass { jql: c.jql(&self.settings.project), started: pass.started, next_page_token: None };
                let response = self.http.send(search(&restart)).await?;
                (restart, response)
            }
            other => (pass, other?),
        };
        let page: wire::SearchPage<'_> = response.json()?;
        let mut raws = Vec::new();
        for issue in &page.issues {
            let meta: wire::IssueMeta = serde_json::from_str(issue.get())
                .map_err(|e| Error::malformed(response.endpoint(), format!("issue: {e}")))?;
            if let Some(offset) = meta.fields.updated.as_ref().and_then(|u| u.as_str()).and_then(offset_of) {
                c.offset_seconds = Some(offset);
            }
            raws.push(self.raw(raw::ISSUES, meta.key.clone(), issue.get()));
            let embedded = meta.changelog.as_ref().map_or(0, |c| c.histories.len() as i64);
            let total = meta.changelog.as_ref().and_then(|c| c.total).unwrap_or(embedded);
            if total > embedded {
                self.changelog(&meta.key, &mut raws).await?;
            }
            if self.shows_pull_requests(&meta) {
                self.dev_status(&meta, &mut raws).await?;
            }
        }
        let last = page.is_last.unwrap_or(page.next_page_token.is_none()) || page.next_page_token.is_none();
        if last {
            c.hwm = Some(pass.started);
            c.pass = None;
        } else {
            c.pass = Some(JiraPass { next_page_token: page.next_page_token.clone(), ..pass });
        }
        let cursor = serde_json::to_value(&c).expect("cursor serializes");
        page_from_raw(self, stream::ISSUES, raws, cursor, last, page.issues.len())
    }

    /// The whole changelog of an issue whose embedded one was cut short.
    async fn changelog(&self, key: &str, raws: &mut Vec<RawPayload>) -> Result<()> {
        let mut start = 0i64;
        loop {
            let request = Request::get(format!("rest/api/3/issue/{key}/changelog"))
                .query("startAt", start)
                .query("maxResults", PAGE_SIZE);
            let response = self.http.send(request).await?;
            let page: wire::ValuesPage<'_> = response.json()?;
            for history in &page.values {
                #[derive(Deserialize)]
                struct Id {
                    id: String,
                }
                let id: Id = serde_json::from_str(history.get())
                    .map_err(|e| Error::malformed(response.endpoint(), format!("changelog entry: {e}")))?;
                raws.push(self.raw(raw::CHANGELOGS, format!("{key}:{}", id.id), history.get()));
            }
            start = page.start_at.unwrap_or(start) + page.values.len() as i64;
            let done = page.is_last.unwrap_or(false)
                || page.values.is_empty()
                || page.total.is_some_and(|total| start >= total);
            if done {
                return Ok(());
            }
        }
    }

    fn shows_pull_requests(&self, meta: &wire::IssueMeta) -> bool {
        let Some(field) = &self.settings.development_field else { return false };
        match meta.fields.other.get(field) {
            Some(serde_json::Value::String(summary)) => {
                summary.contains("pullrequest=") && !summary.contains("pullrequest={dataType=pullrequest, stateCount=0")
            }
            _ => false,
        }
    }

    async fn dev_status(&self, meta: &wire::IssueMeta, raws: &mut Vec<RawPayload>) -> Result<()> {
        let request = Request::get("rest/dev-status/latest/issue/detail")
            .query("issueId", &meta.id)
            .query("applicationType", "GitHub")
            .query("dataType", "pullrequest");
        let response = self.http.send(request).await?;
        let _: wire::DevStatus = response.json()?;
        raws.push(self.raw(raw::DEV_STATUS, meta.key.clone(), response.text()?));
        Ok(())
    }
}

/// The UTC offset of a Jira timestamp, in seconds.
fn offset_of(text: &str) -> Option<i32> {
    DateTime::<FixedOffset>::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.offset().local_minus_utc())
}

#[async_trait]
impl Connector for JiraConnector {
    fn integration(&self) -> IntegrationId {
        self.integration
    }

    fn source(&self) -> RecordSource {
        RecordSource::Jira
    }

    fn streams(&self) -> Vec<String> {
        [stream::STATUSES, stream::PROJECT, stream::ISSUES].into_iter().map(str::to_owned).collect()
    }

    async fn next_page(&self, stream: &str, cursor: Option<&Cursor>) -> Result<Page> {
        match stream {
            stream::STATUSES => self.statuses().await,
            stream::PROJECT => self.project().await,
            stream::ISSUES => self.issues(cursor).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_jql_is_written_in_the_users_zone() {
        let project = JiraProjectKey::parse("EE").unwrap();
        let mut c = JiraCursor::default();
        assert_eq!(c.jql(&project), "project = \"EE\" ORDER BY created ASC, key ASC");
        c.hwm = Some("2021-03-28T08:06:08Z".parse().unwrap());
        c.offset_seconds = Some(8 * 3600);
        // 08:06 UTC is 16:06 in UTC+8, less the hour of margin.
        assert_eq!(
            c.jql(&project),
            "project = \"EE\" AND updated >= \"2021/03/28 15:06\" ORDER BY created ASC, key ASC"
        );
        c.offset_seconds = Some(-5 * 3600);
        assert!(c.jql(&project).contains("\"2021/03/28 02:06\""));
        c.offset_seconds = None;
        assert!(c.jql(&project).contains("\"2021/03/27 17:06\""));
    }

    #[test]
    fn offsets_are_read_from_jira_timestamps() {
        assert_eq!(offset_of("2021-03-28T16:06:08.713+0800"), Some(8 * 3600));
        assert_eq!(offset_of("2023-06-24T19:24:50.000-0500"), Some(-5 * 3600));
    }
}
