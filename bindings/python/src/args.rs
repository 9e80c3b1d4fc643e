//! Python arguments into library values: dates and the scope of a metric query, parsed
//! the same way as the command line's flags.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use pulse_core::dates::parse_date_or_timestamp;
use pulse_core::metrics::{Query, ScopeFilter};
use pulse_core::model::Timestamp;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::IntoPyResult;

/// A point in time: a `datetime` (naive ones are taken as UTC), a `date` (midnight UTC),
/// or a string `YYYY-MM-DD` / RFC 3339 as on the command line.
pub fn timestamp(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Timestamp> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return parse_date_or_timestamp(&text.to_cow()?).into_py_result(py);
    }
    // datetime before date: a datetime is a date too.
    if let Ok(t) = value.extract::<DateTime<FixedOffset>>() {
        return Ok(t.to_utc());
    }
    if let Ok(t) = value.extract::<NaiveDateTime>() {
        return Ok(t.and_utc());
    }
    if let Ok(d) = value.extract::<NaiveDate>() {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(PyTypeError::new_err(format!(
        "{name}: expected a datetime, a date or a string (YYYY-MM-DD or RFC 3339), got {}",
        value.get_type().name()?
    )))
}

/// An optional point in time (`None` stays `None`).
pub fn optional_timestamp(value: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<Timestamp>> {
    match value {
        Some(v) if !v.is_none() => timestamp(v, name).map(Some),
        _ => Ok(None),
    }
}

/// What every metric query takes: the window `[from, to)` and the optional scope.
#[derive(Debug, Clone)]
pub struct Scope {
    pub from: Timestamp,
    pub to: Timestamp,
    pub project: Option<String>,
    pub repo: Option<String>,
    pub team: Option<String>,
}

impl Scope {
    pub fn new(
        from: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        project: Option<String>,
        repo: Option<String>,
        team: Option<String>,
    ) -> PyResult<Self> {
        Ok(Self { from: timestamp(from, "from_")?, to: timestamp(to, "to")?, project, repo, team })
    }

    /// Applies the scope to a query, as `pulse metrics … --project --repo --team` do.
    pub fn apply<'a, K>(&self, query: Query<'a, K>) -> Query<'a, K> {
        let filter = ScopeFilter { project: self.project.clone(), repo: self.repo.clone(), team: self.team.clone() };
        query.filter(filter).between(self.from, self.to)
    }
}
