//! The Python exception tree, mirroring the library's errors.
//!
//! ```text
//! PulseError
//! ├── InvalidInput          a value did not parse (date, metric, slug, URL scheme, …)
//! │   └── ImportRejected    an import file was rejected: .file, .line, .field, .problem
//! ├── NotFound              .entity
//! ├── AlreadyExists         .entity
//! ├── Conflict              .entity
//! ├── StorageError          the database failed: .kind, .code
//! ├── FileError             reading or writing a file failed: .path
//! ├── ConfigurationError    secret key, integration settings, base URL
//! └── SyncError             an upstream API failed: .transient
//!     └── RateLimited       .host, .until (datetime, UTC)
//! ```
//!
//! Every variant of `pulse_core::Error` and `pulse_connectors::Error` is mapped by an
//! exhaustive `match`, so a new variant does not compile until it has a Python home.

use pulse_core::error::StorageFailure;
use pyo3::BoundObject;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(pulse, PulseError, PyException, "Base class of every error the pulse library raises.");
pyo3::create_exception!(
    pulse,
    InvalidInput,
    PulseError,
    "A value given to pulse did not parse: a date, a metric name, a slug, a database URL, …"
);
pyo3::create_exception!(
    pulse,
    ImportRejected,
    InvalidInput,
    "An import was rejected and nothing was written. Attributes: file, line, field, problem."
);
pyo3::create_exception!(pulse, NotFound, PulseError, "The record does not exist for this client. Attribute: entity.");
pyo3::create_exception!(pulse, AlreadyExists, PulseError, "The record already exists. Attribute: entity.");
pyo3::create_exception!(
    pulse,
    Conflict,
    PulseError,
    "The record changed meanwhile; nothing was done. Attribute: entity."
);
pyo3::create_exception!(
    pulse,
    StorageError,
    PulseError,
    "The database failed or refused the operation. Attributes: kind (unavailable, rejected, \
     migration, corrupt, other), code (the SQLSTATE when rejected, else None)."
);
pyo3::create_exception!(pulse, FileError, PulseError, "Reading or writing a file failed. Attribute: path.");
pyo3::create_exception!(
    pulse,
    ConfigurationError,
    PulseError,
    "Something must be fixed before retrying: the secret key (PULSE_SECRET_KEY), an \
     integration's settings or URL."
);
pyo3::create_exception!(
    pulse,
    SyncError,
    PulseError,
    "Fetching from an upstream API failed. Attribute: transient (a later retry may succeed)."
);
pyo3::create_exception!(
    pulse,
    RateLimited,
    SyncError,
    "A rate limit would keep the sync waiting too long. Attributes: host, until (datetime, UTC)."
);

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PulseError", py.get_type::<PulseError>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("ImportRejected", py.get_type::<ImportRejected>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("AlreadyExists", py.get_type::<AlreadyExists>())?;
    m.add("Conflict", py.get_type::<Conflict>())?;
    m.add("StorageError", py.get_type::<StorageError>())?;
    m.add("FileError", py.get_type::<FileError>())?;
    m.add("ConfigurationError", py.get_type::<ConfigurationError>())?;
    m.add("SyncError", py.get_type::<SyncError>())?;
    m.add("RateLimited", py.get_type::<RateLimited>())?;
    Ok(())
}

/// What a call into the library can fail with, before it becomes a Python exception
/// (that needs the interpreter, which long calls have let go of).
#[derive(Debug)]
pub enum Failure {
    Core(pulse_core::Error),
    Connectors(pulse_connectors::Error),
    /// Already a Python exception: Ctrl-C, or a progress callback that raised.
    Python(PyErr),
}

impl From<pulse_core::Error> for Failure {
    fn from(e: pulse_core::Error) -> Self {
        Failure::Core(e)
    }
}

impl From<pulse_connectors::Error> for Failure {
    fn from(e: pulse_connectors::Error) -> Self {
        Failure::Connectors(e)
    }
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Self {
        Failure::Python(e)
    }
}

impl Failure {
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Core(e) => core_error(py, e),
            Failure::Connectors(e) => connectors_error(py, e),
            Failure::Python(e) => e,
        }
    }
}

/// `Result` of the library calls the bindings make.
pub type Outcome<T> = Result<T, Failure>;

/// Converts a failure once the interpreter is attached again.
pub trait IntoPyResult<T> {
    fn into_py_result(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Outcome<T> {
    fn into_py_result(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| e.into_pyerr(py))
    }
}

impl<T> IntoPyResult<T> for Result<T, pulse_core::Error> {
    fn into_py_result(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| core_error(py, e))
    }
}

/// An exception of type `T` with the library's message and extra attributes.
fn raise<T: pyo3::PyTypeInfo>(py: Python<'_>, message: String, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let err = PyErr::new::<T, _>(message);
    let value = err.value(py);
    for (name, v) in attrs {
        // Setting an attribute on a fresh exception instance cannot fail.
        let _ = value.setattr(*name, v.bind(py));
    }
    err
}

fn obj<'py, T>(py: Python<'py>, v: T) -> Py<PyAny>
where
    T: IntoPyObject<'py>,
{
    match v.into_pyobject(py) {
        Ok(b) => b.into_any().unbind(),
        Err(_) => py.None(),
    }
}

fn core_error(py: Python<'_>, e: pulse_core::Error) -> PyErr {
    use pulse_core::Error as E;
    let message = e.to_string();
    match e {
        E::Invalid { .. } | E::UnsupportedDatabase { .. } => raise::<InvalidInput>(py, message, &[]),
        E::NotFound { entity } => raise::<NotFound>(py, message, &[("entity", obj(py, entity))]),
        E::AlreadyExists { entity } => raise::<AlreadyExists>(py, message, &[("entity", obj(py, entity))]),
        E::Conflict { entity, .. } => raise::<Conflict>(py, message, &[("entity", obj(py, entity))]),
        E::Import(import) => raise::<ImportRejected>(
            py,
            message,
            &[
                ("file", obj(py, import.file)),
                ("line", obj(py, import.line)),
                ("field", obj(py, import.field)),
                ("problem", obj(py, import.problem.to_string())),
            ],
        ),
        // Sign-in failures come from the server's token checks, which the Python package
        // does not expose; the base class keeps the match exhaustive without a new name.
        E::Unauthenticated { .. } => raise::<PulseError>(py, message, &[]),
        E::Io { path, .. } => raise::<FileError>(py, message, &[("path", obj(py, path))]),
        E::Storage { failure, .. } => {
            let (kind, code) = match failure {
                StorageFailure::Unavailable { .. } => ("unavailable", None),
                StorageFailure::Rejected { code } => ("rejected", Some(code)),
                StorageFailure::Migration => ("migration", None),
                StorageFailure::Corrupt { .. } => ("corrupt", None),
                StorageFailure::Other => ("other", None),
            };
            raise::<StorageError>(py, message, &[("kind", obj(py, kind)), ("code", obj(py, code))])
        }
    }
}

fn connectors_error(py: Python<'_>, e: pulse_connectors::Error) -> PyErr {
    use pulse_connectors::Error as E;
    let message = e.to_string();
    let transient = e.is_transient();
    match e {
        E::Store(core) => core_error(py, core),
        E::RateLimited { host, until, .. } => raise::<RateLimited>(
            py,
            message,
            &[("host", obj(py, host)), ("until", obj(py, until)), ("transient", obj(py, transient))],
        ),
        E::Status { .. }
        | E::Timeout { .. }
        | E::Network { .. }
        | E::Malformed { .. }
        | E::GraphQl { .. }
        | E::Extract { .. }
        | E::ForeignLink { .. }
        | E::Client { .. } => raise::<SyncError>(py, message, &[("transient", obj(py, transient))]),
        E::MissingSecretKey
        | E::InvalidSecretKey { .. }
        | E::Unseal { .. }
        | E::Config { .. }
        | E::InvalidUrl { .. } => raise::<ConfigurationError>(py, message, &[]),
        E::UnknownStream { .. } => raise::<InvalidInput>(py, message, &[]),
    }
}
