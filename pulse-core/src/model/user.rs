use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::text_enum::text_enum;
use crate::error::{Error, Result};
use crate::ids::UserId;

/// What a user may do inside their client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything in the client, including integrations and jobs.
    Admin,
    /// Read everything and run syncs.
    User,
    /// Read-only.
    Viewer,
}

text_enum!(Role, "role", {
    Admin => "admin",
    User => "user",
    Viewer => "viewer",
});

/// A user's e-mail address, the login name within a client. Stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let ok = match text.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace) && text.len() <= 254
            }
            None => false,
        };
        if ok {
            Ok(Self(text.to_lowercase()))
        } else {
            Err(Error::invalid("e-mail address", format!("{text:?} is not an e-mail address")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

/// A person who signs in to one client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub created_at: Timestamp,
}

/// A user to create or update (matched by e-mail).
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub role: Role,
}
