//! Jira payloads → Pulse records.

use std::collections::HashMap;
use std::sync::RwLock;

use pulse_core::ids::{IssueKey, JiraProjectKey, RepoName};
use pulse_core::model::{
    Incident, IssuePrLink, JiraIssue, JiraProject, JiraTransition, LinkOrigin, RawPayload, RecordSource, StatusCategory,
};

use super::wire;
use crate::error::{Error, Result};
use crate::records::Records;
use crate::timestamps::time;

/// Raw stream names of Jira payloads, in re-extraction order (statuses first: they give
/// the categories of the statuses that changelogs name by id).
pub(crate) mod raw {
    pub const STATUSES: &str = "statuses";
    pub const PROJECTS: &str = "projects";
    pub const ISSUES: &str = "issues";
    pub const CHANGELOGS: &str = "changelogs";
    pub const DEV_STATUS: &str = "dev_status";
    pub const ALL: [&str; 5] = [STATUSES, PROJECTS, ISSUES, CHANGELOGS, DEV_STATUS];
}

#[derive(Debug)]
pub(crate) struct Extractor {
    pub incident_types: Vec<String>,
    pub story_points_field: Option<String>,
    /// Status id → (current name, category), from the statuses stream and the issues'
    /// own statuses. Extraction of a changelog reads it, so statuses are extracted first.
    pub statuses: RwLock<HashMap<String, (String, Option<StatusCategory>)>>,
}

fn category(key: &str) -> Option<StatusCategory> {
    StatusCategory::from_jira(key).ok()
}

impl Extractor {
    /// A status's current name and category by id. Changelogs name statuses as they
    /// were called at the time; naming them by id keeps a renamed status one status,
    /// and consistent with the issues' current statuses.
    fn status(&self, status_id: Option<&str>) -> Option<(String, Option<StatusCategory>)> {
        status_id.and_then(|id| self.statuses.read().expect("statuses lock").get(id).cloned())
    }

    fn learn(&self, status: &wire::Status) {
        if let Some(id) = &status.id {
            let category = status.status_category.as_ref().and_then(|c| category(&c.key));
            self.statuses.write().expect("statuses lock").insert(id.clone(), (status.name.clone(), category));
        }
    }

    pub(crate) fn extract(&self, payload: &RawPayload) -> Result<Records> {
        let fail = |e: String| Error::extract(&payload.stream, &payload.key, e);
        let parse_err = |e: serde_json::Error| fail(format!("unexpected shape ({e})"));
        let mut out = Records::default();
        match payload.stream.as_str() {
            raw::STATUSES => {
                let status: wire::Status = serde_json::from_str(&payload.body).map_err(parse_err)?;
                self.learn(&status);
            }
            raw::PROJECTS => {
                let project: wire::Project = serde_json::from_str(&payload.body).map_err(parse_err)?;
                out.jira_projects.push(JiraProject {
                    key: JiraProjectKey::parse(&project.key).map_err(|e| fail(e.to_string()))?,
                    name: project.name,
                    source: RecordSource::Jira,
                });
            }
            raw::ISSUES => {
                let issue: wire::Issue = serde_json::from_str(&payload.body).map_err(parse_err)?;
                self.issue(issue, &mut out).map_err(fail)?;
            }
            raw::CHANGELOGS => {
                let (key, _) = payload.key.split_once(':').ok_or_else(|| fail("the key has no issue key".into()))?;
                let key = IssueKey::parse(key).map_err(|e| fail(e.to_string()))?;
                let history: wire::History = serde_json::from_str(&payload.body).map_err(parse_err)?;
                self.history(&key, &history, &mut out).map_err(fail)?;
            }
            raw::DEV_STATUS => {
                let key = IssueKey::parse(&payload.key).map_err(|e| fail(e.to_string()))?;
                let dev: wire::DevStatus = serde_json::from_str(&payload.body).map_err(parse_err)?;
                for pr in dev.detail.iter().flat_map(|d| &d.pull_requests) {
                    if let Some((repo, number)) = pr.url.as_deref().and_then(github_pull_url) {
                        out.issue_pr_links.push(IssuePrLink {
                            issue: key.clone(),
                            repo,
                            pr: number,
                            origin: LinkOrigin::DevStatus,
                        });
                    }
                }
            }
            other => return Err(Error::UnknownStream { stream: other.to_owned() }),
        }
        Ok(out)
    }

    fn issue(&self, issue: wire::Issue, out: &mut Records) -> Result<(), String> {
        let key = IssueKey::parse(&issue.key).map_err(|e| e.to_string())?;
        let f = issue.fields;
        let project = match &f.project {
            Some(p) => JiraProjectKey::parse(&p.key).map_err(|e| e.to_string())?,
            None => key.project(),
        };
        let status = f.status.as_ref().ok_or("the issue has no status")?;
        self.learn(status);
        let created = time(f.created.as_deref().ok_or("the issue has no created time")?)?;
        let resolved = f.resolutiondate.as_deref().map(time).transpose()?;
        let issue_type = f.issuetype.as_ref().map(|t| t.name.clone()).unwrap_or_default();
        let story_points =
            self.story_points_field.as_ref().and_then(|field| f.other.get(field)).and_then(|v| v.as_f64());
        out.jira_issues.push(JiraIssue {
            key: key.clone(),
            project,
            issue_type: issue_type.clone(),
            status: status.name.clone(),
            status_category: status.status_category.as_ref().and_then(|c| category(&c.key)),
            created_at: created,
            resolved_at: resolved,
            story_points,
            source: RecordSource::Jira,
        });
        if self.incident_types.iter().any(|t| t.eq_ignore_ascii_case(&issue_type)) {
            out.incidents.push(Incident {
                id: format!("jira:{key}"),
                created_at: created,
                resolved_at: resolved,
                title: f.summary.clone(),
                repo: None,
                project: None,
                deployment_id: None,
                sha: None,
                pr: None,
                severity: None,
                source: RecordSource::Jira,
            });
        }
        for history in issue.changelog.iter().flat_map(|c| &c.histories) {
            self.history(&key, history, out)?;
        }
        Ok(())
    }

    /// The status changes of one changelog entry.
    fn history(&self, issue: &IssueKey, history: &wire::History, out: &mut Records) -> Result<(), String> {
        let items: Vec<&wire::ChangeItem> = history
            .items
            .iter()
            .filter(|i| {
                i.field_id.as_deref() == Some("status")
                    || (i.field_id.is_none() && i.field.as_deref() == Some("status"))
            })
            .collect();
        for (n, item) in items.iter().enumerate() {
            let from = self.status(item.from.as_deref());
            let to = self.status(item.to.as_deref());
            let Some(to_status) = to.as_ref().map(|(name, _)| name.clone()).or_else(|| item.to_string.clone()) else {
                continue;
            };
            out.jira_transitions.push(JiraTransition {
                issue: issue.clone(),
                // One status change per entry is the rule; a second one gets a suffix.
                id: if n == 0 { history.id.clone() } else { format!("{}.{n}", history.id) },
                at: time(&history.created)?,
                from_status: from.as_ref().map(|(name, _)| name.clone()).or_else(|| item.from_string.clone()),
                to_status,
                from_category: from.and_then(|(_, c)| c),
                to_category: to.and_then(|(_, c)| c),
                source: RecordSource::Jira,
            });
        }
        Ok(())
    }
}

/// `https://github.com/OWNER/NAME/pull/N` (or a GitHub Enterprise host) → (repo, N).
pub(crate) fn github_pull_url(url: &str) -> Option<(RepoName, i64)> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut parts = path.split('/').skip(1);
    let (owner, name, kind, number) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if kind != "pull" {
        return None;
    }
    Some((RepoName::parse(&format!("{owner}/{name}")).ok()?, number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_urls() {
        let (repo, n) = github_pull_url("https://github.com/acme/api/pull/12").unwrap();
        assert_eq!((repo.as_str(), n), ("acme/api", 12));
        assert!(github_pull_url("https://github.com/acme/api/issues/12").is_none());
    }
}
