//! The domain model: what Pulse knows about a client's organisation.
//!
//! Records are plain data. Identity and validation live in [`crate::ids`]; storage maps
//! these types to tables in [`crate::store`]; the import format maps them to JSON Lines in
//! [`crate::import`].

mod auth;
mod client;
mod delivery;
mod github;
mod integration;
mod jira;
mod job;
mod project;
mod raw;
mod schedule;
mod sync;
mod text_enum;

pub use auth::{ApiToken, IssuedRefreshToken, NewApiToken, Rotated};
pub use client::{Branding, Client, Color};
pub use delivery::{Deployment, DeploymentResult, DeploymentSource, Incident};
pub use github::{Commit, PullRequest, PullRequestCommit, Repository, Review, ReviewKind, ReviewState};
pub use integration::{Integration, IntegrationKind, NewIntegration, SealedCredentials};
pub use jira::{IssuePrLink, JiraIssue, JiraProject, JiraTransition, LinkOrigin, StatusCategory};
pub use job::{Job, JobId, JobKind, JobTransition, NewJob};
pub use project::{Pattern, Project, ProjectRules};
pub use raw::RawPayload;
pub use schedule::{Cadence, JobSchedule, JobState, NewJobSchedule};
pub use sync::SyncCursor;
pub use user::{Email, NewUser, Role, User};

mod user;

/// Every timestamp in Pulse is UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Where a record came from. Metrics treat all sources alike; drill-downs show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordSource {
    Github,
    Jira,
    /// `pulse import` or the push API.
    Import,
}

text_enum::text_enum!(RecordSource, "record source", {
    Github => "github",
    Jira => "jira",
    Import => "import",
});
