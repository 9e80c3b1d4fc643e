//! What a rejected import reports.

use std::fmt;

/// An import was rejected. Names the file, the line (1-based) and the field, so the
/// user can fix the input; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub file: String,
    pub line: Option<u64>,
    /// The field, with a path inside nested values (`transitions[2].at`).
    pub field: Option<String>,
    pub problem: ImportProblem,
}

/// Why a line (or file) was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportProblem {
    /// The directory holds none of the import files.
    NoImportFiles,
    /// The file could not be read.
    Unreadable { reason: String },
    /// The bytes are not UTF-8; `byte` is the offset of the first bad byte in the line.
    InvalidUtf8 { byte: usize },
    /// The line is not one JSON value (a truncated line ends up here).
    InvalidJson { reason: String },
    /// The line is JSON but not an object.
    NotAnObject,
    /// A required field is absent or null.
    MissingField,
    /// The field has the wrong JSON type.
    WrongType { expected: &'static str, found: &'static str },
    /// The field is not an RFC 3339 timestamp.
    BadTimestamp { value: String },
    /// The field's value is not acceptable (the reason says why).
    BadValue { reason: String },
    /// The record refers to something neither this import nor the database has.
    DanglingReference { target: String },
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoImportFiles => f.write_str(
                "no import files found (expected any of project.json, repositories.jsonl, commits.jsonl, \
                 pull_requests.jsonl, reviews.jsonl, deployments.jsonl, incidents.jsonl, issues.jsonl)",
            ),
            Self::Unreadable { reason } => write!(f, "cannot be read: {reason}"),
            Self::InvalidUtf8 { byte } => write!(f, "not valid UTF-8 (bad byte at offset {byte})"),
            Self::InvalidJson { reason } => write!(f, "not valid JSON: {reason}"),
            Self::NotAnObject => f.write_str("not a JSON object"),
            Self::MissingField => f.write_str("required field is missing"),
            Self::WrongType { expected, found } => write!(f, "expected {expected}, found {found}"),
            Self::BadTimestamp { value } => write!(f, "not an RFC 3339 timestamp: {value:?}"),
            Self::BadValue { reason } => f.write_str(reason),
            Self::DanglingReference { target } => {
                write!(f, "refers to {target}, which is neither in this import nor in the database")
            }
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// A problem with one field, before the file and line are known.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) problem: ImportProblem,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, problem: ImportProblem) -> Self {
        Self { field: field.into(), problem }
    }

    pub(crate) fn at(self, file: &str, line: u64) -> ImportError {
        ImportError { file: file.to_owned(), line: Some(line), field: Some(self.field), problem: self.problem }
    }
}
