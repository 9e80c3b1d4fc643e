use serde::Serialize;

use super::Timestamp;
use super::text_enum::text_enum;
use crate::ids::IntegrationId;

/// The upstream system an integration talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    Github,
    Jira,
}

text_enum!(IntegrationKind, "integration kind", {
    Github => "github",
    Jira => "jira",
});

/// Credentials as stored: already encrypted by the caller (the connectors crate seals
/// them with AES-GCM). Storage never sees them in clear, and `Debug` shows only a size.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCredentials(pub Vec<u8>);

impl std::fmt::Debug for SealedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedCredentials(<{} bytes>)", self.0.len())
    }
}

/// A connection to an upstream system, owned by one client.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: IntegrationId,
    /// Unique within the client, chosen by the admin (e.g. `github-acme`).
    pub name: String,
    pub kind: IntegrationKind,
    /// API root, injectable for GitHub Enterprise Server, Jira Data Center and tests.
    pub base_url: String,
    pub credentials: SealedCredentials,
    /// Source-specific settings (repositories, Jira project keys, …).
    pub settings: serde_json::Value,
    pub created_at: Timestamp,
}

/// An integration to create or update (matched by name).
#[derive(Debug, Clone, PartialEq)]
pub struct NewIntegration {
    pub name: String,
    pub kind: IntegrationKind,
    pub base_url: String,
    pub credentials: SealedCredentials,
    pub settings: serde_json::Value,
}
