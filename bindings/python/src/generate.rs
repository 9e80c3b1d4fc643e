//! The synthetic organisation: `pulse.generate()` writes it in the import format,
//! `Client.load_synthetic()` loads it.

use std::path::PathBuf;

use pulse_core::generate::{Generator, Org, Scale};
use pulse_core::model::Timestamp;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::args::optional_timestamp;
use crate::errors::{IntoPyResult, Outcome};
use crate::runtime::block_on;

/// Generates the organisation on a blocking thread (seconds for the large scale).
pub async fn synthetic(scale: Scale, seed: u64, end: Option<Timestamp>) -> Outcome<Org> {
    let mut generator = Generator::new(scale).seed(seed);
    if let Some(end) = end {
        generator = generator.end(end);
    }
    match tokio::task::spawn_blocking(move || generator.generate()).await {
        Ok(org) => Ok(org),
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Writes a deterministic synthetic organisation in the import format into `out`
/// (created when missing), like `pulse generate`. `scale` is "small" (3 repositories,
/// six months) or "large"; the same `seed` and `end` (default 2026-11-01) give the same
/// files. Returns the records per entity.
#[pyfunction]
#[pyo3(signature = (out, *, scale = "small", seed = 42, end = None))]
pub fn generate<'py>(
    py: Python<'py>,
    out: PathBuf,
    scale: &str,
    seed: u64,
    end: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let scale: Scale = scale.parse::<Scale>().into_py_result(py)?;
    let end = optional_timestamp(end, "end")?;
    let counts = block_on(py, None, || async move {
        let org = synthetic(scale, seed, end).await?;
        let counts = org.counts();
        match tokio::task::spawn_blocking(move || org.write_dir(&out)).await {
            Ok(written) => written?,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
        Outcome::Ok(counts)
    })?;
    let d = PyDict::new(py);
    for (entity, n) in counts {
        d.set_item(entity, n)?;
    }
    Ok(d)
}
