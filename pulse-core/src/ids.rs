//! Identifiers, parsed once at the boundary so the rest of the code can trust them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a database id. Ids are only meaningful together with the client
            /// handle that returned them.
            pub fn new(id: i64) -> Self {
                Self(id)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

numeric_id!(
    /// A client (tenant). Every tenant row carries one.
    ClientId
);
numeric_id!(
    /// A user of one client.
    UserId
);
numeric_id!(
    /// A configured integration (a GitHub or Jira connection) of one client.
    IntegrationId
);
numeric_id!(
    /// A job schedule of one client.
    ScheduleId
);
numeric_id!(
    /// An API token of one client.
    ApiTokenId
);

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and validates the text form.
            pub fn parse(text: &str) -> Result<Self> {
                Self::check(text)?;
                Ok(Self(text.to_owned()))
            }

            fn check(text: &str) -> Result<()> {
                let check: fn(&str) -> std::result::Result<(), String> = $check;
                check(text).map_err(|reason| Error::invalid($what, reason))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                Self::check(&s)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn quoted(s: &str) -> String {
    let mut shown: String = s.chars().take(60).collect();
    if shown.len() < s.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

text_id!(
    /// A client's URL-safe name: lowercase letters, digits and dashes, 1–63 characters.
    ClientSlug,
    "client slug",
    |s| {
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-');
        if ok { Ok(()) } else { Err(format!("{} must be 1-63 of a-z, 0-9 and '-', not starting with '-'", quoted(s))) }
    }
);

text_id!(
    /// A repository as `owner/name`.
    RepoName,
    "repository name",
    |s| {
        let part_ok = |p: &str| {
            !p.is_empty() && p.len() <= 100 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        match s.split_once('/') {
            Some((owner, name)) if part_ok(owner) && part_ok(name) => Ok(()),
            _ => Err(format!("{} is not of the form owner/name", quoted(s))),
        }
    }
);

text_id!(
    /// A commit id. Usually 40 hex digits, but imported histories may use any token
    /// without whitespace (DevLake's fixtures say `commit1`), so only the shape is checked.
    Sha,
    "commit sha",
    |s| {
        if !s.is_empty() && s.len() <= 64 && s.chars().all(|c| !c.is_whitespace() && !c.is_control()) {
            Ok(())
        } else {
            Err(format!("{} must be 1-64 characters without whitespace", quoted(s)))
        }
    }
);

text_id!(
    /// A project's name, unique within a client.
    ProjectName,
    "project name",
    |s| {
        if !s.trim().is_empty() && s.trim() == s && s.chars().count() <= 100 && !s.chars().any(char::is_control) {
            Ok(())
        } else {
            Err(format!("{} must be 1-100 characters without surrounding spaces", quoted(s)))
        }
    }
);

text_id!(
    /// A Jira project key such as `CHK`.
    JiraProjectKey,
    "Jira project key",
    |s| {
        let mut bytes = s.bytes();
        let ok = matches!(bytes.next(), Some(b) if b.is_ascii_uppercase())
            && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && s.len() <= 32;
        if ok { Ok(()) } else { Err(format!("{} must be an uppercase Jira project key like ABC", quoted(s))) }
    }
);

text_id!(
    /// A Jira issue key such as `CHK-42`.
    IssueKey,
    "Jira issue key",
    |s| {
        match s.rsplit_once('-') {
            Some((project, number))
                if JiraProjectKey::parse(project).is_ok()
                    && !number.is_empty()
                    && number.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(())
            }
            _ => Err(format!("{} must be a Jira issue key like ABC-123", quoted(s))),
        }
    }
);

text_id!(
    /// The family of a refresh token: every token rotated from one sign-in shares it, so
    /// that presenting a spent token revokes them all. 32 lowercase hex digits.
    TokenFamily,
    "token family",
    |s| {
        if s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(())
        } else {
            Err(format!("{} must be 32 lowercase hex digits", quoted(s)))
        }
    }
);

impl IssueKey {
    /// The project part of the key (`CHK` for `CHK-42`).
    pub fn project(&self) -> JiraProjectKey {
        let (project, _) = self.0.rsplit_once('-').expect("validated at parse");
        JiraProjectKey(project.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(ClientSlug::parse("acme-2").is_ok());
        for bad in ["", "Acme", "-x", "a b", &"a".repeat(64)] {
            assert!(ClientSlug::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn repo_names() {
        assert!(RepoName::parse("panjf2000/ants").is_ok());
        assert!(RepoName::parse("a.b/c_d-e").is_ok());
        for bad in ["ants", "/ants", "a/", "a/b/c", "a b/c"] {
            assert!(RepoName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn issue_keys() {
        let key = IssueKey::parse("CHK-42").unwrap();
        assert_eq!(key.project().as_str(), "CHK");
        assert!(IssueKey::parse("A_B2-1").is_ok());
        for bad in ["chk-1", "CHK", "CHK-", "CHK-1a", "-1"] {
            assert!(IssueKey::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn error_names_the_value_and_kind() {
        let err = RepoName::parse("nope").unwrap_err().to_string();
        assert!(err.contains("repository name") && err.contains("\"nope\""), "{err}");
    }
}
