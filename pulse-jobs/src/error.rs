use pulse_core::model::JobState;

/// Everything that can go wrong running jobs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The state machine forbids this move.
    #[error("a job cannot go from {from} to {to}")]
    IllegalTransition { from: JobState, to: JobState },

    #[error(transparent)]
    Core(#[from] pulse_core::Error),

    #[error(transparent)]
    Connector(#[from] pulse_connectors::Error),

    /// A cron expression did not parse.
    #[error("invalid cron expression {expression:?}: {reason}")]
    Cron { expression: String, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
