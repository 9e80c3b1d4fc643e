//! One tokio runtime for the process, and running library calls on it with the
//! interpreter released and Ctrl-C honoured.

use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::errors::{Failure, IntoPyResult, Outcome, PulseError};

/// How often a long call looks for a pending signal (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("pulse")
            .build()
            .expect("the tokio runtime starts")
    })
}

/// A way for code running inside a call (a progress callback) to stop it with a Python
/// exception.
#[derive(Default)]
pub struct Abort {
    error: Mutex<Option<PyErr>>,
    raised: Notify,
}

impl Abort {
    /// Stops the call with `err` (the first one wins).
    pub fn raise(&self, err: PyErr) {
        let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(err);
        }
        self.raised.notify_one();
    }

    pub fn is_raised(&self) -> bool {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    async fn wait(&self) -> PyErr {
        loop {
            if let Some(err) = self.error.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return err;
            }
            self.raised.notified().await;
        }
    }
}

/// Runs `future` on the runtime with the interpreter released, so other Python threads
/// keep running. A pending signal (Ctrl-C → `KeyboardInterrupt`) or an [`Abort`] drops
/// the future: the library writes in transactions, so an interrupted call leaves no
/// partial write behind.
///
/// `make` builds the future on the thread that runs it, so the future itself need not be
/// `Send` (an import holds its open files across awaits).
pub fn block_on<T, F, M>(py: Python<'_>, abort: Option<&Abort>, make: M) -> PyResult<T>
where
    T: Send,
    M: FnOnce() -> F + Send,
    F: Future<Output = Outcome<T>>,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        // A progress callback calling back into pulse would block the runtime it runs on.
        return Err(PulseError::new_err("pulse cannot be called from inside a progress callback"));
    }
    let outcome = py.detach(|| {
        runtime().block_on(async {
            let future = make();
            tokio::pin!(future);
            let mut ticks = tokio::time::interval(SIGNAL_CHECK);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    out = &mut future => return out,
                    err = async {
                        match abort {
                            Some(abort) => abort.wait().await,
                            None => std::future::pending().await,
                        }
                    } => return Err(Failure::Python(err)),
                    _ = ticks.tick() => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    });
    outcome.into_py_result(py)
}
