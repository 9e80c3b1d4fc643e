//! Row-level derivation (metric spec §2): from a client's records to [`Facts`].
//!
//! Pure: no I/O. The only state carried between runs is the [`DiffMemo`] of commit-graph
//! diffs, so re-deriving after one new deployment computes one new diff.

mod deployments;
pub(crate) mod incidents;
mod issues;
mod links;
mod pull_requests;
pub(crate) mod rework;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::ids::{ProjectName, RepoName, Sha};
use crate::model::*;

use super::facts::{Facts, UnmergedPr};

pub use links::issue_keys;

/// Commits by (repository, sha).
pub(crate) type CommitIndex<'a> = HashMap<(&'a RepoName, &'a Sha), &'a Commit>;

/// Everything derivation reads for one client.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeriveInput<'a> {
    pub repositories: &'a [Repository],
    pub commits: &'a [Commit],
    pub pull_requests: &'a [PullRequest],
    pub pull_request_commits: &'a [PullRequestCommit],
    pub reviews: &'a [Review],
    pub deployments: &'a [Deployment],
    pub incidents: &'a [Incident],
    pub projects: &'a [Project],
    pub jira_issues: &'a [JiraIssue],
    pub jira_transitions: &'a [JiraTransition],
    pub issue_links: &'a [IssuePrLink],
}

/// Commit-graph diffs already computed, by (repository, new sha, old sha): a pair's
/// commits never change, so a pair is computed once per client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffMemo {
    pairs: HashMap<(RepoName, Sha, Sha), Vec<Sha>>,
    /// Pairs computed (not supplied) since the last [`DiffMemo::take_computed`].
    computed: usize,
}

impl DiffMemo {
    pub fn insert(&mut self, repo: RepoName, new: Sha, old: Sha, commits: Vec<Sha>) {
        self.pairs.insert((repo, new, old), commits);
    }

    pub fn get(&self, repo: &RepoName, new: &Sha, old: &Sha) -> Option<&Vec<Sha>> {
        self.pairs.get(&(repo.clone(), new.clone(), old.clone()))
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    fn record(&mut self, repo: &RepoName, new: &Sha, old: &Sha, commits: Vec<Sha>) {
        self.computed += 1;
        self.pairs.insert((repo.clone(), new.clone(), old.clone()), commits);
    }

    /// How many pairs were computed since the last call (the others came from the memo).
    pub fn take_computed(&mut self) -> usize {
        std::mem::take(&mut self.computed)
    }

    /// Every pair, for inspection.
    pub fn pairs(&self) -> impl Iterator<Item = (&RepoName, &Sha, &Sha, &Vec<Sha>)> {
        self.pairs.iter().map(|((r, n, o), c)| (r, n, o, c))
    }
}

/// The rules that apply to one repository: the union of those of every project that
/// owns it (a repository in no project gets the defaults).
#[derive(Debug)]
pub(crate) struct RepoRules<'a> {
    production: Vec<&'a Pattern>,
    bots: HashSet<String>,
    hotfix_labels: HashSet<String>,
    pub(crate) projects: Vec<&'a ProjectName>,
}

impl<'a> RepoRules<'a> {
    /// The union of the rules of `projects` (the defaults when there are none).
    pub(crate) fn of_projects(projects: &'a [Project]) -> Self {
        if projects.is_empty() {
            return Rules::default_rules();
        }
        RepoRules {
            production: projects.iter().map(|p| &p.rules.production_pattern).collect(),
            bots: projects.iter().flat_map(|p| &p.rules.bots).map(|b| b.to_lowercase()).collect(),
            hotfix_labels: projects.iter().map(|p| p.rules.hotfix_label.to_lowercase()).collect(),
            projects: projects.iter().map(|p| &p.name).collect(),
        }
    }

    pub(crate) fn is_production(&self, environment: &str) -> bool {
        self.production.iter().any(|p| p.is_match(environment))
    }

    pub(crate) fn is_bot(&self, login: &str) -> bool {
        login.ends_with("[bot]") || self.bots.contains(&login.to_lowercase())
    }

    pub(crate) fn is_hotfix(&self, label: &str) -> bool {
        self.hotfix_labels.contains(&label.to_lowercase())
    }
}

/// Rules of every repository named by a project or a record.
pub(crate) struct Rules<'a> {
    by_repo: HashMap<&'a RepoName, RepoRules<'a>>,
    default: RepoRules<'a>,
}

static DEFAULT_RULES: std::sync::LazyLock<ProjectRules> = std::sync::LazyLock::new(ProjectRules::default);

impl<'a> Rules<'a> {
    fn default_rules() -> RepoRules<'a> {
        let defaults = &*DEFAULT_RULES;
        RepoRules {
            production: vec![&defaults.production_pattern],
            bots: defaults.bots.iter().map(|b| b.to_lowercase()).collect(),
            hotfix_labels: [defaults.hotfix_label.to_lowercase()].into_iter().collect(),
            projects: Vec::new(),
        }
    }

    fn new(projects: &'a [Project]) -> Self {
        let default = Self::default_rules();
        let mut by_repo: HashMap<&'a RepoName, RepoRules<'a>> = HashMap::default();
        for project in projects {
            for repo in &project.repos {
                let rules = by_repo.entry(repo).or_insert_with(|| RepoRules {
                    production: Vec::new(),
                    bots: HashSet::default(),
                    hotfix_labels: HashSet::default(),
                    projects: Vec::new(),
                });
                rules.production.push(&project.rules.production_pattern);
                rules.bots.extend(project.rules.bots.iter().map(|b| b.to_lowercase()));
                rules.hotfix_labels.insert(project.rules.hotfix_label.to_lowercase());
                rules.projects.push(&project.name);
            }
        }
        Self { by_repo, default }
    }

    pub(crate) fn of(&self, repo: &RepoName) -> &RepoRules<'a> {
        self.by_repo.get(repo).unwrap_or(&self.default)
    }
}

/// Derives every fact for one client. `memo` supplies known diffs and receives the new
/// ones (see [`DiffMemo::take_computed`]).
pub fn derive(input: &DeriveInput<'_>, memo: &mut DiffMemo) -> Facts {
    let rules = Rules::new(input.projects);
    let commits: CommitIndex<'_> = input.commits.iter().map(|c| ((&c.repo, &c.sha), c)).collect();
    let mut deployments = deployments::derive(input, &rules, memo);
    let links = links::effective_links(input, &commits);
    let pull_requests = pull_requests::derive(input, &rules, &commits, &mut deployments);
    let incidents = incidents::derive(input, &deployments, &pull_requests);
    rework::mark(input, &rules, &links, &mut deployments);
    let issues = issues::derive(input.jira_issues, input.jira_transitions, &links);
    let unmerged_pull_requests = input
        .pull_requests
        .iter()
        .filter(|pr| pr.merged_at.is_none())
        .map(|pr| UnmergedPr {
            repo: pr.repo.clone(),
            number: pr.number,
            author: pr.author.clone(),
            created_at: pr.created_at,
            closed_at: pr.closed_at,
            draft: pr.draft,
        })
        .collect();
    Facts { deployments, pull_requests, unmerged_pull_requests, incidents, issues }
}
