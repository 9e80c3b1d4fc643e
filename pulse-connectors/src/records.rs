//! Normalized records extracted from raw payloads, grouped by type for bulk landing.

use pulse_core::model::{
    Commit, Deployment, Incident, IssuePrLink, JiraIssue, JiraProject, JiraTransition, PullRequest, PullRequestCommit,
    Repository, Review,
};

/// Everything one page (or one raw payload) turns into.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    pub repositories: Vec<Repository>,
    pub commits: Vec<Commit>,
    pub pull_requests: Vec<PullRequest>,
    pub pull_request_commits: Vec<PullRequestCommit>,
    pub reviews: Vec<Review>,
    pub deployments: Vec<Deployment>,
    pub incidents: Vec<Incident>,
    pub jira_projects: Vec<JiraProject>,
    pub jira_issues: Vec<JiraIssue>,
    pub jira_transitions: Vec<JiraTransition>,
    pub issue_pr_links: Vec<IssuePrLink>,
}

impl Records {
    pub fn extend(&mut self, other: Records) {
        self.repositories.extend(other.repositories);
        self.commits.extend(other.commits);
        self.pull_requests.extend(other.pull_requests);
        self.pull_request_commits.extend(other.pull_request_commits);
        self.reviews.extend(other.reviews);
        self.deployments.extend(other.deployments);
        self.incidents.extend(other.incidents);
        self.jira_projects.extend(other.jira_projects);
        self.jira_issues.extend(other.jira_issues);
        self.jira_transitions.extend(other.jira_transitions);
        self.issue_pr_links.extend(other.issue_pr_links);
    }

    /// How many records in all.
    pub fn len(&self) -> usize {
        self.repositories.len()
            + self.commits.len()
            + self.pull_requests.len()
            + self.pull_request_commits.len()
            + self.reviews.len()
            + self.deployments.len()
            + self.incidents.len()
            + self.jira_projects.len()
            + self.jira_issues.len()
            + self.jira_transitions.len()
            + self.issue_pr_links.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `(entity, count)` of every non-empty kind, for summaries.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        [
            ("repositories", self.repositories.len()),
            ("commits", self.commits.len()),
            ("pull_requests", self.pull_requests.len()),
            ("pull_request_commits", self.pull_request_commits.len()),
            ("reviews", self.reviews.len()),
            ("deployments", self.deployments.len()),
            ("incidents", self.incidents.len()),
            ("jira_projects", self.jira_projects.len()),
            ("jira_issues", self.jira_issues.len()),
            ("jira_transitions", self.jira_transitions.len()),
            ("issue_pr_links", self.issue_pr_links.len()),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}
