//! Reports as plain Python values: the JSON the command line prints with `--format
//! json` (metric spec §5), parsed by Python's `json`, so a dict equals the CLI's output
//! key for key and keeps its key order.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde::Serialize;

pub fn to_python<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let loads = LOADS.get_or_try_init(py, || py.import("json")?.getattr("loads").map(Bound::unbind))?;
    let text = serde_json::to_string(value).expect("reports serialize to JSON");
    loads.bind(py).call1((text,))
}
