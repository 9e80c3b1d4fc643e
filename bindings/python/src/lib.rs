//! The `pulse` Python package's native module (`pulse._native`): thin pyo3 wrappers over
//! `pulse-core` and `pulse-connectors`, for notebooks.
//!
//! Every call converts its arguments, runs one library call on the process's tokio
//! runtime with the interpreter released (other Python threads keep running; Ctrl-C
//! interrupts it), and converts the result: reports become the dicts of metric spec §5
//! (the JSON `pulse … --format json` prints), time series and drill-downs become
//! `pulse.Table`s exported through the Arrow PyCapsule interface. Library errors become
//! the exception tree in [`errors`]. No metric logic lives here.

mod args;
mod client;
mod errors;
mod frames;
mod generate;
mod json;
mod runtime;
mod store;
mod sync;
mod table;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(store::open, m)?)?;
    m.add_function(wrap_pyfunction!(generate::generate, m)?)?;
    m.add_class::<store::Store>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<table::Table>()?;
    errors::register(m)?;
    Ok(())
}
