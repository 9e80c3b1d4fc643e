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
    /// A command-line argument that parses but cannot be used.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// 2 for input the user can fix (bad arguments or files), 1 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        use pulse_core::Error as Core;
        match self {
            Error::Core(Core::Invalid { .. } | Core::Import(_) | Core::UnsupportedDatabase { .. })
            | Error::UnknownClient { .. } => ExitCode::from(2),
            Error::Core(_) => ExitCode::from(1),
            Error::Connectors(e) if e.is_configuration() => ExitCode::from(2),
            Error::Connectors(_) => ExitCode::from(1),
            Error::Usage(_) => ExitCode::from(2),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
