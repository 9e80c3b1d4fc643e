//! Importing data that no connector fetches (`shared/spec/import-format.md`).
//!
//! An import is all-or-nothing: every line is parsed and checked, records are written in
//! one transaction, and the first problem rolls everything back and names the file, line
//! and field. Parsing runs on a blocking thread and hands batches to the writer, so the
//! two overlap. The CLI (`pulse import DIR`) and the push API share this code.

mod error;
mod fields;
mod format;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;
use tokio::sync::mpsc;

pub use error::{ImportError, ImportProblem};
pub use format::{
    ImportFile, commit_json, deployment_json, incident_json, issue_json, project_json, pull_request_json,
    repository_json, review_json,
};

use crate::error::Result;
use crate::ids::{JiraProjectKey, ProjectName, RepoName};
use crate::model::*;
use crate::store::{ClientStore, ClientTx};
use fields::Fields;
use format::Known;

/// Records per batch handed from the parser to the writer.
const BATCH: usize = 5_000;

/// Records written per entity by one import, and the re-derivation that followed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub counts: BTreeMap<&'static str, u64>,
    /// The metric facts' refresh after the data landed.
    pub facts: Option<crate::metrics::RefreshSummary>,
}

impl ImportSummary {
    fn add(&mut self, entity: &'static str, n: usize) {
        *self.counts.entry(entity).or_default() += n as u64;
    }

    /// Records of `entity` (`"commits"`, `"pull_requests"`, …).
    pub fn count(&self, entity: &str) -> u64 {
        self.counts.get(entity).copied().unwrap_or(0)
    }
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (entity, n) in &self.counts {
            writeln!(f, "{entity:>22}: {n}")?;
        }
        Ok(())
    }
}

struct Input {
    file: ImportFile,
    reader: Box<dyn BufRead + Send>,
}

/// An import being assembled; finish with [`Import::execute`].
pub struct Import<'a> {
    client: &'a ClientStore,
    inputs: Vec<Input>,
}

impl ClientStore {
    /// Starts an import into this client.
    pub fn import(&self) -> Import<'_> {
        Import { client: self, inputs: Vec::new() }
    }
}

fn unreadable(file: &str, e: impl std::fmt::Display) -> ImportError {
    ImportError {
        file: file.to_owned(),
        line: None,
        field: None,
        problem: ImportProblem::Unreadable { reason: e.to_string() },
    }
}

impl<'a> Import<'a> {
    /// Adds every import file found in `dir` (others are ignored).
    pub fn dir(mut self, dir: &Path) -> Result<Self> {
        let shown = dir.display().to_string();
        let meta = std::fs::metadata(dir).map_err(|e| unreadable(&shown, e))?;
        if !meta.is_dir() {
            return Err(unreadable(&shown, "not a directory").into());
        }
        for file in ImportFile::ALL {
            let path = dir.join(file.file_name());
            match File::open(&path) {
                Ok(f) => self.inputs.push(Input { file, reader: Box::new(BufReader::with_capacity(1 << 16, f)) }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(unreadable(file.file_name(), e).into()),
            }
        }
        if self.inputs.is_empty() {
            return Err(
                ImportError { file: shown, line: None, field: None, problem: ImportProblem::NoImportFiles }.into()
            );
        }
        Ok(self)
    }

    /// Adds one file's content (the push API's request body).
    pub fn lines(mut self, file: ImportFile, content: impl BufRead + Send + 'static) -> Self {
        self.inputs.push(Input { file, reader: Box::new(content) });
        self
    }

    /// Parses, checks and writes everything in one transaction, then refreshes the
    /// client's metric facts.
    pub async fn execute(mut self) -> Result<ImportSummary> {
        self.inputs.sort_by_key(|i| i.file);
        let mut tx = self.client.begin().await?;
        // Only the kinds cross the await: the readers are `Send` but not `Sync`, and a
        // borrowed slice of them would make this future unusable from a server.
        let needs_prs = self.inputs.iter().any(|i| matches!(i.file, ImportFile::Reviews | ImportFile::Issues));
        let known = known_from_database(&mut tx, needs_prs).await?;

        let (sender, mut batches) = mpsc::channel::<Batch>(4);
        let parser = tokio::task::spawn_blocking(move || parse_all(self.inputs, known, sender));

        let mut summary = ImportSummary::default();
        while let Some(batch) = batches.recv().await {
            // On error `tx` is dropped, which rolls back; the parser stops at its next send.
            write_batch(&mut tx, batch, &mut summary).await?;
        }
        match parser.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
        tx.commit().await?;
        // The metric facts follow the data they are derived from.
        summary.facts = Some(self.client.refresh_facts().await?);
        Ok(summary)
    }
}

/// References may point at rows that earlier imports or connectors wrote.
async fn known_from_database(tx: &mut ClientTx, needs_prs: bool) -> Result<Known> {
    let mut known =
        Known { repos: tx.list::<Repository>().await?.into_iter().map(|r| r.name).collect(), ..Known::default() };
    if needs_prs {
        known.prs = tx.pull_request_keys().await?.into_iter().collect();
    }
    Ok(known)
}

#[allow(clippy::large_enum_variant)] // a Project is one per import; boxing buys nothing
enum Batch {
    Repositories(Vec<Repository>),
    Commits(Vec<Commit>),
    PullRequests(Vec<PullRequest>, Vec<PullRequestCommit>),
    Reviews(Vec<Review>),
    Deployments(Vec<Deployment>),
    Incidents(Vec<Incident>),
    Issues(Vec<JiraIssue>, Vec<JiraTransition>, Vec<IssuePrLink>),
    /// Jira projects that issues refer to; created when missing.
    JiraProjects(Vec<JiraProjectKey>),
    Project(Project),
}

async fn write_batch(tx: &mut ClientTx, batch: Batch, summary: &mut ImportSummary) -> Result<()> {
    match batch {
        Batch::Repositories(rows) => {
            tx.upsert(&rows).await?;
            summary.add("repositories", rows.len());
        }
        Batch::Commits(rows) => {
            tx.upsert(&rows).await?;
            summary.add("commits", rows.len());
        }
        Batch::PullRequests(prs, commits) => {
            tx.upsert(&prs).await?;
            tx.upsert(&commits).await?;
            summary.add("pull_requests", prs.len());
            summary.add("pull_request_commits", commits.len());
        }
        Batch::Reviews(rows) => {
            tx.upsert(&rows).await?;
            summary.add("reviews", rows.len());
        }
        Batch::Deployments(rows) => {
            tx.upsert(&rows).await?;
            summary.add("deployments", rows.len());
        }
        Batch::Incidents(rows) => {
            tx.upsert(&rows).await?;
            summary.add("incidents", rows.len());
        }
        Batch::Issues(issues, transitions, links) => {
            tx.upsert(&issues).await?;
            tx.upsert(&transitions).await?;
            tx.upsert(&links).await?;
            summary.add("jira_issues", issues.len());
            summary.add("jira_changelogs", transitions.len());
            summary.add("jira_issue_pr_links", links.len());
        }
        Batch::JiraProjects(keys) => {
            let mut missing = Vec::new();
            for key in keys {
                if tx.get::<JiraProject>(&key).await?.is_none() {
                    missing.push(JiraProject { key, name: None, source: RecordSource::Import });
                }
            }
            tx.upsert(&missing).await?;
            summary.add("jira_projects", missing.len());
        }
        Batch::Project(project) => {
            tx.upsert_projects(std::slice::from_ref(&project)).await?;
            summary.add("projects", 1);
        }
    }
    Ok(())
}

/// Why the parser stopped early.
enum Stop {
    /// The input is bad: the import fails with this error.
    Invalid(ImportError),
    /// The writer failed and hung up; its own error is the one reported.
    WriterGone,
}

impl From<ImportError> for Stop {
    fn from(e: ImportError) -> Self {
        Stop::Invalid(e)
    }
}

fn send(sender: &mpsc::Sender<Batch>, batch: Batch) -> Result<(), Stop> {
    sender.blocking_send(batch).map_err(|_| Stop::WriterGone)
}

fn parse_all(inputs: Vec<Input>, known: Known, sender: mpsc::Sender<Batch>) -> Result<(), ImportError> {
    match parse_inputs(inputs, known, &sender) {
        Ok(()) | Err(Stop::WriterGone) => Ok(()),
        Err(Stop::Invalid(e)) => Err(e),
    }
}

fn parse_inputs(inputs: Vec<Input>, mut known: Known, sender: &mpsc::Sender<Batch>) -> Result<(), Stop> {
    let mut project: Option<Project> = None;
    let mut touched_repos: BTreeSet<RepoName> = BTreeSet::new();
    let mut jira_keys: BTreeSet<JiraProjectKey> = BTreeSet::new();
    for input in inputs {
        if input.file == ImportFile::Project {
            let name = input.file.file_name();
            let p = parse_project(&read_whole(input.reader, name)?, name)?;
            known.repos.extend(p.repos.iter().cloned());
            project = Some(p);
            continue;
        }
        let project_name = project.as_ref().map(|p| p.name.clone());
        parse_lines(input, &mut known, project_name.as_ref(), sender, &mut touched_repos, &mut jira_keys)?;
    }
    if !jira_keys.is_empty() {
        send(sender, Batch::JiraProjects(jira_keys.iter().cloned().collect()))?;
    }
    if let Some(mut p) = project {
        // Everything in a directory with a project.json belongs to that project.
        for repo in touched_repos {
            if !p.repos.contains(&repo) {
                p.repos.push(repo);
            }
        }
        for key in jira_keys {
            if !p.jira_projects.contains(&key) {
                p.jira_projects.push(key);
            }
        }
        send(sender, Batch::Project(p))?;
    }
    Ok(())
}

fn read_whole(mut reader: Box<dyn BufRead + Send>, name: &str) -> Result<String, ImportError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| unreadable(name, e))?;
    String::from_utf8(bytes).map_err(|e| ImportError {
        file: name.to_owned(),
        line: None,
        field: None,
        problem: ImportProblem::InvalidUtf8 { byte: e.utf8_error().valid_up_to() },
    })
}

fn parse_project(text: &str, name: &str) -> Result<Project, ImportError> {
    let whole = |problem| ImportError { file: name.to_owned(), line: None, field: None, problem };
    let value: Value = serde_json::from_str(text).map_err(|e| whole(json_problem(&e)))?;
    let Value::Object(obj) = value else {
        return Err(whole(ImportProblem::NotAnObject));
    };
    format::project(&Fields::new(&obj)).map_err(|e| ImportError {
        file: name.to_owned(),
        line: None,
        field: Some(e.field),
        problem: e.problem,
    })
}

/// serde_json's message without its position, which is restated as a column (a JSON
/// Lines record is one line, so serde's "line 1" would only confuse).
fn json_problem(e: &serde_json::Error) -> ImportProblem {
    let message = e.to_string();
    let reason = match message.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &message[..i], e.column()),
        None => message,
    };
    ImportProblem::InvalidJson { reason }
}

/// One parsed line of any `.jsonl` file.
enum Parsed {
    Repository(Repository),
    Commit(Commit),
    PullRequest(PullRequest, Vec<PullRequestCommit>),
    Review(Review),
    Deployment(Deployment),
    Incident(Incident),
    Issue(format::ParsedIssue),
}

fn parse_lines(
    input: Input,
    known: &mut Known,
    project: Option<&ProjectName>,
    sender: &mpsc::Sender<Batch>,
    touched_repos: &mut BTreeSet<RepoName>,
    jira_keys: &mut BTreeSet<JiraProjectKey>,
) -> Result<(), Stop> {
    let name = input.file.file_name();
    let mut reader = input.reader;
    let mut line_no: u64 = 0;
    let mut buf = Vec::with_capacity(4096);
    let mut rows: Vec<Parsed> = Vec::with_capacity(BATCH);
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| unreadable(name, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let at = |problem| ImportError { file: name.to_owned(), line: Some(line_no), field: None, problem };
        let text = std::str::from_utf8(&buf).map_err(|e| at(ImportProblem::InvalidUtf8 { byte: e.valid_up_to() }))?;
        if text.trim().is_empty() {
            continue;
        }
        let text = text.trim_end_matches(['\n', '\r']);
        let value: Value = serde_json::from_str(text).map_err(|e| at(json_problem(&e)))?;
        let Value::Object(obj) = value else {
            return Err(at(ImportProblem::NotAnObject).into());
        };
        let f = Fields::new(&obj);
        let parsed = match input.file {
            ImportFile::Repositories => format::repository(&f).map(|r| {
                known.repos.insert(r.name.clone());
                Parsed::Repository(r)
            }),
            ImportFile::Commits => format::commit(&f, known).map(Parsed::Commit),
            ImportFile::PullRequests => format::pull_request(&f, known).map(|(pr, commits)| {
                known.prs.insert((pr.repo.clone(), pr.number));
                Parsed::PullRequest(pr, commits)
            }),
            ImportFile::Reviews => format::review(&f, known).map(Parsed::Review),
            ImportFile::Deployments => format::deployment(&f, known).map(Parsed::Deployment),
            ImportFile::Incidents => format::incident(&f, known, project).map(Parsed::Incident),
            ImportFile::Issues => format::issue(&f, known).map(Parsed::Issue),
            ImportFile::Project => unreachable!("project.json is not line-based"),
        }
        .map_err(|e| e.at(name, line_no))?;
        note_membership(&parsed, touched_repos, jira_keys);
        rows.push(parsed);
        if rows.len() == BATCH {
            send(sender, into_batch(input.file, std::mem::take(&mut rows)))?;
        }
    }
    if !rows.is_empty() {
        send(sender, into_batch(input.file, rows))?;
    }
    Ok(())
}

fn note_membership(parsed: &Parsed, repos: &mut BTreeSet<RepoName>, jira: &mut BTreeSet<JiraProjectKey>) {
    let repo = match parsed {
        Parsed::Repository(r) => Some(&r.name),
        Parsed::Commit(c) => Some(&c.repo),
        Parsed::PullRequest(pr, _) => Some(&pr.repo),
        Parsed::Review(r) => Some(&r.repo),
        Parsed::Deployment(d) => Some(&d.repo),
        Parsed::Incident(i) => i.repo.as_ref(),
        Parsed::Issue(i) => {
            if !jira.contains(&i.issue.project) {
                jira.insert(i.issue.project.clone());
            }
            None
        }
    };
    if let Some(repo) = repo
        && !repos.contains(repo)
    {
        repos.insert(repo.clone());
    }
}

fn into_batch(file: ImportFile, rows: Vec<Parsed>) -> Batch {
    macro_rules! collect {
        ($variant:ident) => {
            rows.into_iter()
                .map(|p| match p {
                    Parsed::$variant(r) => r,
                    _ => unreachable!("one file holds one kind"),
                })
                .collect()
        };
    }
    match file {
        ImportFile::Repositories => Batch::Repositories(collect!(Repository)),
        ImportFile::Commits => Batch::Commits(collect!(Commit)),
        ImportFile::Reviews => Batch::Reviews(collect!(Review)),
        ImportFile::Deployments => Batch::Deployments(collect!(Deployment)),
        ImportFile::Incidents => Batch::Incidents(collect!(Incident)),
        ImportFile::PullRequests => {
            let (mut prs, mut commits) = (Vec::with_capacity(rows.len()), Vec::new());
            for p in rows {
                let Parsed::PullRequest(pr, c) = p else { unreachable!("one file holds one kind") };
                prs.push(pr);
                commits.extend(c);
            }
            Batch::PullRequests(prs, commits)
        }
        ImportFile::Issues => {
            let (mut issues, mut transitions, mut links) = (Vec::with_capacity(rows.len()), Vec::new(), Vec::new());
            for p in rows {
                let Parsed::Issue(i) = p else { unreachable!("one file holds one kind") };
                issues.push(i.issue);
                transitions.extend(i.transitions);
                links.extend(i.links);
            }
            Batch::Issues(issues, transitions, links)
        }
        ImportFile::Project => unreachable!("project.json is not line-based"),
    }
}
