//! Finding Jira issue keys in PR titles, branch names and commit messages.

use std::sync::LazyLock;

use pulse_core::ids::{IssueKey, JiraProjectKey};
use regex::Regex;

static KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^A-Za-z0-9_])([A-Z][A-Z0-9_]{0,31}-[0-9]{1,9})(?:$|[^A-Za-z0-9])")
        .expect("the issue-key pattern is valid")
});

/// The issue keys of `projects` mentioned in `text`, in order, without repeats. Only
/// known projects count: `UTF-8` or `SHA-256` would otherwise look like keys.
pub(crate) fn find(text: &str, projects: &[JiraProjectKey]) -> Vec<IssueKey> {
    let mut keys: Vec<IssueKey> = Vec::new();
    // Branch names often use lowercase keys (`feature/abc-12-fix`).
    let upper = text.to_ascii_uppercase();
    let mut at = 0;
    while let Some(m) = KEY.captures_at(&upper, at) {
        let whole = m.get(0).expect("match");
        let found = m.get(1).expect("group");
        at = found.end().max(whole.start() + 1);
        if let Ok(key) = IssueKey::parse(found.as_str())
            && projects.contains(&key.project())
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_known_keys_in_titles_and_branches() {
        let projects = [JiraProjectKey::parse("CHK").unwrap(), JiraProjectKey::parse("EE").unwrap()];
        let keys = |t: &str| find(t, &projects).iter().map(|k| k.to_string()).collect::<Vec<_>>();
        assert_eq!(keys("[CHK-15] fix UTF-8 handling (EE-2, CHK-15)"), ["CHK-15", "EE-2"]);
        assert_eq!(keys("feature/chk-7-retry"), ["CHK-7"]);
        assert!(keys("SHA-256 and UTF-8 and XCHK-1 and CHK-").is_empty());
    }
}
