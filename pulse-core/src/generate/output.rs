//! Where a generated organisation goes: counted, written in the import format, or
//! loaded straight into a client's store.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::Value;

use super::Org;
use crate::error::{Error, Result};
use crate::ids::{IssueKey, RepoName, Sha};
use crate::import::{
    ImportFile, commit_json, deployment_json, incident_json, issue_json, project_json, pull_request_json,
    repository_json, review_json,
};
use crate::model::{IssuePrLink, JiraTransition};
use crate::store::ClientStore;

impl Org {
    /// Record counts per entity, keyed like [`crate::import::ImportSummary::counts`], so
    /// an import of [`Org::write_dir`]'s output into an empty client reports the same.
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let n = |len: usize| len as u64;
        BTreeMap::from([
            ("repositories", n(self.repositories.len())),
            ("commits", n(self.commits.len())),
            ("pull_requests", n(self.pull_requests.len())),
            ("pull_request_commits", n(self.pull_request_commits.len())),
            ("reviews", n(self.reviews.len())),
            ("deployments", n(self.deployments.len())),
            ("incidents", n(self.incidents.len())),
            ("jira_projects", n(self.jira_projects.len())),
            ("jira_issues", n(self.jira_issues.len())),
            ("jira_changelogs", n(self.jira_transitions.len())),
            ("jira_issue_pr_links", n(self.issue_links.len())),
            ("projects", 1),
        ])
    }

    /// Writes the org in the import format: `dir/project.json` and the eight `.jsonl`
    /// files, one record per line. Creates `dir` when missing and replaces the files.
    ///
    /// Jira project names are not written (the format has no field for them).
    pub fn write_dir(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let path = |file: ImportFile| dir.join(file.file_name());

        write_lines(&path(ImportFile::Project), [project_json(&self.project)])?;
        write_lines(&path(ImportFile::Repositories), self.repositories.iter().map(repository_json))?;
        write_lines(&path(ImportFile::Commits), self.commits.iter().map(commit_json))?;

        // A PR line lists its commits; gather them once instead of scanning per PR.
        let mut pr_commits: HashMap<(&RepoName, i64), Vec<Sha>> = HashMap::with_capacity(self.pull_requests.len());
        for c in &self.pull_request_commits {
            pr_commits.entry((&c.repo, c.pr)).or_default().push(c.sha.clone());
        }
        write_lines(
            &path(ImportFile::PullRequests),
            self.pull_requests.iter().map(|pr| {
                let commits = pr_commits.get(&(&pr.repo, pr.number)).map_or(&[][..], Vec::as_slice);
                pull_request_json(pr, commits)
            }),
        )?;
        drop(pr_commits);

        write_lines(&path(ImportFile::Reviews), self.reviews.iter().map(review_json))?;
        write_lines(&path(ImportFile::Deployments), self.deployments.iter().map(deployment_json))?;
        write_lines(&path(ImportFile::Incidents), self.incidents.iter().map(incident_json))?;

        // An issue line holds its transitions (in id order: the importer renumbers them by
        // position) and its PR links.
        let mut per_issue: HashMap<&IssueKey, (Vec<JiraTransition>, Vec<IssuePrLink>)> =
            HashMap::with_capacity(self.jira_issues.len());
        for t in &self.jira_transitions {
            per_issue.entry(&t.issue).or_default().0.push(t.clone());
        }
        for l in &self.issue_links {
            per_issue.entry(&l.issue).or_default().1.push(l.clone());
        }
        write_lines(
            &path(ImportFile::Issues),
            self.jira_issues.iter().map(|issue| match per_issue.get(&issue.key) {
                Some((transitions, links)) => issue_json(issue, transitions, links),
                None => issue_json(issue, &[], &[]),
            }),
        )
    }

    /// Loads every record into `client` in one transaction: all of it or, on error,
    /// nothing. Loading again updates the same rows.
    pub async fn load(&self, client: &ClientStore) -> Result<()> {
        let mut tx = client.begin().await?;
        tx.upsert(&self.repositories).await?;
        tx.upsert(&self.commits).await?;
        tx.upsert(&self.pull_requests).await?;
        tx.upsert(&self.pull_request_commits).await?;
        tx.upsert(&self.reviews).await?;
        tx.upsert(&self.deployments).await?;
        tx.upsert(&self.incidents).await?;
        tx.upsert(&self.jira_projects).await?;
        tx.upsert(&self.jira_issues).await?;
        tx.upsert(&self.jira_transitions).await?;
        tx.upsert(&self.issue_links).await?;
        tx.upsert_projects(std::slice::from_ref(&self.project)).await?;
        tx.commit().await?;
        // The metric facts follow the data they are derived from.
        client.refresh_facts().await?;
        Ok(())
    }
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source }
}

/// Writes one JSON value per line through a buffer.
fn write_lines(path: &Path, values: impl IntoIterator<Item = Value>) -> Result<()> {
    let file = File::create(path).map_err(|e| io_error(path, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    for value in values {
        // Serialising a `Value` cannot fail on its own; only the writer can.
        serde_json::to_writer(&mut out, &value).map_err(|e| io_error(path, e.into()))?;
        out.write_all(b"\n").map_err(|e| io_error(path, e))?;
    }
    // Dropping a BufWriter swallows the last write's error; flushing reports it.
    out.flush().map_err(|e| io_error(path, e))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};

    use super::super::fixture::small;
    use super::*;

    fn lines(path: &Path) -> u64 {
        let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        BufReader::new(file).lines().map(|l| l.unwrap()).filter(|l| !l.is_empty()).count() as u64
    }

    #[test]
    fn write_dir_writes_nine_files_with_a_line_per_record() {
        let org = small();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested/org");
        org.write_dir(&out).unwrap();

        let mut names: Vec<String> =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        let mut expected: Vec<&str> = ImportFile::ALL.iter().map(|f| f.file_name()).collect();
        expected.sort();
        assert_eq!(names, expected);

        let counts = org.counts();
        let expect = [
            (ImportFile::Project, 1),
            (ImportFile::Repositories, counts["repositories"]),
            (ImportFile::Commits, counts["commits"]),
            (ImportFile::PullRequests, counts["pull_requests"]),
            (ImportFile::Reviews, counts["reviews"]),
            (ImportFile::Deployments, counts["deployments"]),
            (ImportFile::Incidents, counts["incidents"]),
            (ImportFile::Issues, counts["jira_issues"]),
        ];
        for (file, n) in expect {
            assert_eq!(lines(&out.join(file.file_name())), n, "{}", file.file_name());
        }
        let project: Value = serde_json::from_str(&std::fs::read_to_string(out.join("project.json")).unwrap()).unwrap();
        assert_eq!(project["name"], "checkout");
        assert_eq!(project["repos"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn write_dir_reports_the_path_it_could_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "not a directory").unwrap();
        let err = small().write_dir(&blocker.join("org")).unwrap_err();
        match err {
            Error::Io { path, .. } => assert!(path.ends_with("file/org"), "{path}"),
            other => panic!("{other}"),
        }
    }
}
