use serde::Serialize;

use super::{JobState, Timestamp};
use crate::error::{Error, Result};
use crate::ids::{ClientId, IntegrationId, ScheduleId};

/// A job's id (unique across clients; meaningful only with its client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct JobId(i64);

impl JobId {
    pub fn new(id: i64) -> Self {
        Self(id)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for JobId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        s.parse().map(JobId).map_err(|_| Error::invalid("job id", format!("{s:?} is not a number")))
    }
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum JobKind {
    /// Fetch an integration's data.
    Sync { integration: IntegrationId },
    /// Re-derive the client's metric facts.
    Derive,
}

impl JobKind {
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Sync { .. } => "sync",
            JobKind::Derive => "derive",
        }
    }

    pub fn integration(self) -> Option<IntegrationId> {
        match self {
            JobKind::Sync { integration } => Some(integration),
            JobKind::Derive => None,
        }
    }

    pub(crate) fn from_parts(name: &str, integration: Option<i64>) -> Result<Self> {
        match (name, integration) {
            ("sync", Some(id)) => Ok(JobKind::Sync { integration: IntegrationId::new(id) }),
            ("derive", None) => Ok(JobKind::Derive),
            _ => Err(Error::invalid("job kind", format!("{name:?} with integration {integration:?}"))),
        }
    }
}

/// A unit of background work of one client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: JobId,
    pub client: ClientId,
    #[serde(flatten)]
    pub kind: JobKind,
    pub schedule: Option<ScheduleId>,
    pub state: JobState,
    /// Runs started so far (retries included).
    pub attempts: u32,
    pub max_attempts: u32,
    /// Not claimable before (retry backoff).
    pub run_after: Timestamp,
    /// The worker holding the job, while ACTIVE.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Timestamp>,
    /// Asked to pause (or cancel) at the next page boundary.
    pub pause_requested: bool,
    pub cancel_requested: bool,
    /// The latest progress event, as JSON.
    pub progress: Option<serde_json::Value>,
    /// The error of the latest failed run.
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: JobKind,
    pub schedule: Option<ScheduleId>,
    pub max_attempts: u32,
    pub run_after: Option<Timestamp>,
}

impl NewJob {
    pub fn new(kind: JobKind) -> Self {
        Self { kind, schedule: None, max_attempts: 5, run_after: None }
    }
}

/// One recorded state change of a job: the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobTransition {
    pub job: JobId,
    /// `None` for the job's creation.
    pub from: Option<JobState>,
    pub to: JobState,
    /// Who: a user, `worker:<id>`, `scheduler`, `cli`.
    pub actor: String,
    pub reason: String,
    pub at: Timestamp,
}
