//! The binary's errors and how they map to exit codes.

use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] pulse_core::Error),
    #[error("client `{slug}` does not exist; create it with `pulse client create {slug}`")]
    UnknownClient { slug: String },
    #[error(transparent)]
    Connectors(#[from] pulse_connectors::Error),
    #[error(transparent)]
    Jobs(#[from] pulse_jobs::Error),
    /// A command-line argument that parses but cannot be used.
    #[error("{0}")]
    Usage(String),
}

/// 2 for input the user can fix, 1 for everything else.
fn core_exit(e: &pulse_core::Error) -> ExitCode {
    use pulse_core::Error as Core;
    match e {
        Core::Invalid { .. } | Core::Import(_) | Core::UnsupportedDatabase { .. } => ExitCode::from(2),
        Core::Unauthenticated { .. } => ExitCode::from(2),
        Core::NotFound { .. }
        | Core::AlreadyExists { .. }
        | Core::Conflict { .. }
        | Core::Io { .. }
        | Core::Storage { .. } => ExitCode::from(1),
    }
}

fn connectors_exit(e: &pulse_connectors::Error) -> ExitCode {
    if e.is_configuration() { ExitCode::from(2) } else { ExitCode::from(1) }
}

impl Error {
    /// 2 for input the user can fix (bad arguments, files or configuration), 1 for
    /// everything else.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Core(e) | Error::Jobs(pulse_jobs::Error::Core(e)) => core_exit(e),
            Error::Connectors(e) | Error::Jobs(pulse_jobs::Error::Connector(e)) => connectors_exit(e),
            Error::Jobs(pulse_jobs::Error::IllegalTransition { .. } | pulse_jobs::Error::Cron { .. }) => {
                ExitCode::from(2)
            }
            Error::UnknownClient { .. } | Error::Usage(_) => ExitCode::from(2),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
