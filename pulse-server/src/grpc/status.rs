//! How service errors look over gRPC: one status code per error kind, the error's
//! message, and metadata a program can act on:
//!
//! - `pulse-error-code`: [`ApiError::code`], the same stable code as the REST body's;
//! - for a rejected import, `pulse-error-file`, `pulse-error-line`, `pulse-error-field`;
//! - when rate-limited, `retry-after` (seconds, as over HTTP) and `pulse-retry-after-ms`.
//!
//! A conflict (the record is not in a state that allows the action, e.g. resuming a
//! finished job) is FAILED_PRECONDITION rather than ABORTED: retrying the same call
//! does not help until the state changes.

use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::{Code, Status};

use crate::api::ApiError;

pub fn code(e: &ApiError) -> Code {
    match e {
        ApiError::Unauthenticated { .. } => Code::Unauthenticated,
        ApiError::Forbidden { .. } => Code::PermissionDenied,
        ApiError::NotFound { .. } => Code::NotFound,
        ApiError::Invalid { .. } | ApiError::Import(_) => Code::InvalidArgument,
        ApiError::AlreadyExists { .. } => Code::AlreadyExists,
        ApiError::Conflict { .. } => Code::FailedPrecondition,
        ApiError::RateLimited { .. } => Code::ResourceExhausted,
        ApiError::Unavailable { .. } => Code::Unavailable,
        ApiError::Internal => Code::Internal,
    }
}

pub fn to_status(e: &ApiError) -> Status {
    let mut metadata = MetadataMap::new();
    metadata.insert("pulse-error-code", AsciiMetadataValue::from_static(e.code()));
    match e {
        ApiError::Import(i) => {
            insert(&mut metadata, "pulse-error-file", &i.file);
            if let Some(line) = i.line {
                insert(&mut metadata, "pulse-error-line", &line.to_string());
            }
            if let Some(field) = &i.field {
                insert(&mut metadata, "pulse-error-field", field);
            }
        }
        ApiError::RateLimited { retry_after } => {
            insert(&mut metadata, "retry-after", &retry_after.as_secs().max(1).to_string());
            insert(&mut metadata, "pulse-retry-after-ms", &retry_after.as_millis().to_string());
        }
        ApiError::Unauthenticated { .. }
        | ApiError::Forbidden { .. }
        | ApiError::NotFound { .. }
        | ApiError::Invalid { .. }
        | ApiError::AlreadyExists { .. }
        | ApiError::Conflict { .. }
        | ApiError::Unavailable { .. }
        | ApiError::Internal => {}
    }
    Status::with_metadata(code(e), e.to_string(), metadata)
}

/// gRPC metadata values are printable ASCII (HTTP would also pass other bytes on, which
/// clients then cannot read as text); a value that is not (a field name from a client's
/// JSON may be anything) is left out: the status message names it anyway.
fn insert(metadata: &mut MetadataMap, key: &'static str, value: &str) {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && let Ok(value) = AsciiMetadataValue::try_from(value)
    {
        metadata.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pulse_core::import::{ImportError, ImportProblem};

    use super::*;

    #[test]
    fn every_error_has_its_code_and_metadata() {
        let cases = [
            (ApiError::unauthenticated("no bearer token"), Code::Unauthenticated),
            (ApiError::Forbidden { role: "viewer", action: "start jobs" }, Code::PermissionDenied),
            (ApiError::NotFound { entity: "job" }, Code::NotFound),
            (ApiError::invalid("from", "not a date"), Code::InvalidArgument),
            (ApiError::AlreadyExists { entity: "user" }, Code::AlreadyExists),
            (ApiError::Conflict { reason: "job is finished".into() }, Code::FailedPrecondition),
            (ApiError::RateLimited { retry_after: Duration::from_millis(1500) }, Code::ResourceExhausted),
            (ApiError::Unavailable { reason: "the database is unavailable".into() }, Code::Unavailable),
            (ApiError::Internal, Code::Internal),
        ];
        for (error, expected) in cases {
            let status = to_status(&error);
            assert_eq!(status.code(), expected, "{error:?}");
            assert_eq!(status.message(), error.to_string());
            assert_eq!(status.metadata().get("pulse-error-code").unwrap(), error.code());
        }
        let limited = to_status(&ApiError::RateLimited { retry_after: Duration::from_millis(1500) });
        assert_eq!(limited.metadata().get("retry-after").unwrap(), "1");
        assert_eq!(limited.metadata().get("pulse-retry-after-ms").unwrap(), "1500");
    }

    #[test]
    fn import_errors_name_file_line_and_field() {
        let error = ApiError::Import(ImportError {
            file: "deployments.jsonl".into(),
            line: Some(3),
            field: Some("finished_at".into()),
            problem: ImportProblem::NotAnObject,
        });
        let status = to_status(&error);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.metadata().get("pulse-error-code").unwrap(), "invalid_import");
        assert_eq!(status.metadata().get("pulse-error-file").unwrap(), "deployments.jsonl");
        assert_eq!(status.metadata().get("pulse-error-line").unwrap(), "3");
        assert_eq!(status.metadata().get("pulse-error-field").unwrap(), "finished_at");

        // A field name that cannot be metadata stays in the message only.
        let odd = ApiError::Import(ImportError {
            file: "issues.jsonl".into(),
            line: Some(1),
            field: Some("größe".into()),
            problem: ImportProblem::NotAnObject,
        });
        let status = to_status(&odd);
        assert!(status.metadata().get("pulse-error-field").is_none());
        assert_eq!(status.metadata().get("pulse-error-line").unwrap(), "1");
    }
}
