//! Issue ↔ pull request links (metric spec §4): Jira's own (dev-status, or stated in
//! imported data) when an issue has any, else the issue key found in the PR's title,
//! branch name or commit messages.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::{CommitIndex, DeriveInput};
use crate::ids::{IssueKey, RepoName};
use crate::model::{IssuePrLink, LinkOrigin};

static ISSUE_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z][A-Z0-9]+-\d+\b").expect("the issue-key pattern compiles"));

/// Every issue key in `text`, in order of appearance.
pub fn issue_keys(text: &str) -> impl Iterator<Item = IssueKey> + '_ {
    ISSUE_KEY.find_iter(text).filter_map(|m| IssueKey::parse(m.as_str()).ok())
}

pub(super) fn effective_links(input: &DeriveInput<'_>, commits: &CommitIndex<'_>) -> Vec<IssuePrLink> {
    let stated: HashSet<&IssueKey> = input.issue_links.iter().map(|l| &l.issue).collect();
    let known: HashSet<&IssueKey> = input.jira_issues.iter().map(|i| &i.key).collect();
    let mut messages: HashMap<(&RepoName, i64), Vec<&str>> = HashMap::default();
    for pc in input.pull_request_commits {
        if let Some(message) = commits.get(&(&pc.repo, &pc.sha)).and_then(|c| c.message.as_deref()) {
            messages.entry((&pc.repo, pc.pr)).or_default().push(message);
        }
    }
    let mut links: Vec<IssuePrLink> = input.issue_links.to_vec();
    let mut seen: HashSet<(IssueKey, RepoName, i64)> =
        links.iter().map(|l| (l.issue.clone(), l.repo.clone(), l.pr)).collect();
    for pr in input.pull_requests {
        let texts = [pr.title.as_deref(), pr.head.as_deref()]
            .into_iter()
            .flatten()
            .chain(messages.get(&(&pr.repo, pr.number)).into_iter().flatten().copied());
        for text in texts {
            for key in issue_keys(text) {
                if known.contains(&key)
                    && !stated.contains(&key)
                    && seen.insert((key.clone(), pr.repo.clone(), pr.number))
                {
                    links.push(IssuePrLink {
                        issue: key,
                        repo: pr.repo.clone(),
                        pr: pr.number,
                        origin: LinkOrigin::IssueKey,
                    });
                }
            }
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_text() {
        let keys: Vec<String> =
            issue_keys("CHK-12: fix; see PAY-3 and abc-4, X-1, CHK12").map(|k| k.to_string()).collect();
        assert_eq!(keys, ["CHK-12", "PAY-3"]);
        let branch: Vec<String> = issue_keys("feature/CHK-77-login").map(|k| k.to_string()).collect();
        assert_eq!(branch, ["CHK-77"]);
    }
}
