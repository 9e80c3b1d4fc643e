use serde::Serialize;

use super::Timestamp;
use super::text_enum::text_enum;
use crate::error::{Error, Result};
use crate::ids::{IntegrationId, ScheduleId};

/// Where a job stands. The transitions between states belong to `pulse-jobs`; storage
/// only records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    Pending,
    Active,
    Finished,
    Paused,
    Failed,
    /// Stopped for good by an admin.
    Cancelled,
}

text_enum!(JobState, "job state", {
    Pending => "PENDING",
    Active => "ACTIVE",
    Finished => "FINISHED",
    Paused => "PAUSED",
    Failed => "FAILED",
    Cancelled => "CANCELLED",
});

/// How often a scheduled job runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// Every so many seconds after the previous run finished.
    Interval { seconds: u32 },
    /// A cron expression (evaluated in UTC by the scheduler).
    Cron { expression: String },
}

impl Cadence {
    pub fn every(seconds: u32) -> Result<Self> {
        if seconds == 0 {
            return Err(Error::invalid("schedule interval", "must be at least one second"));
        }
        Ok(Cadence::Interval { seconds })
    }
}

/// A recurring job of one integration (e.g. its sync).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSchedule {
    pub id: ScheduleId,
    pub integration_id: IntegrationId,
    /// What the job does, e.g. `sync`.
    pub job: String,
    pub cadence: Cadence,
    pub state: JobState,
    pub next_run_at: Option<Timestamp>,
    pub last_run_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// A schedule to create or update (matched by integration and job).
#[derive(Debug, Clone, PartialEq)]
pub struct NewJobSchedule {
    pub integration_id: IntegrationId,
    pub job: String,
    pub cadence: Cadence,
    pub state: JobState,
    pub next_run_at: Option<Timestamp>,
}
