//! What running a job means, and what a running job can see of its worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use pulse_core::ClientStore;
use pulse_core::model::Job;

use crate::error::Result;
use crate::progress::{ProgressEvent, ProgressHub};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    /// Stopped at a page boundary because a pause was requested.
    Paused,
    /// Stopped at a page boundary because a cancel was requested.
    Cancelled,
    /// Stopped at a page boundary because the worker is shutting down.
    Released,
    /// The worker lost its lease (another worker holds the job now).
    LeaseLost,
}

/// Why a job should stop at the next page boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Pause,
    Cancel,
    Shutdown,
    LeaseLost,
}

impl Stop {
    pub fn outcome(self) -> Outcome {
        match self {
            Stop::Pause => Outcome::Paused,
            Stop::Cancel => Outcome::Cancelled,
            Stop::Shutdown => Outcome::Released,
            Stop::LeaseLost => Outcome::LeaseLost,
        }
    }
}

/// Flags the worker's heartbeat (and shutdown) raise for a running job.
#[derive(Debug, Default)]
pub(crate) struct Signals {
    pub(crate) pause: AtomicBool,
    pub(crate) cancel: AtomicBool,
    pub(crate) shutdown: AtomicBool,
    pub(crate) lease_lost: AtomicBool,
}

/// A running job's view of the world.
pub struct JobContext {
    pub client: ClientStore,
    pub job: Job,
    pub(crate) signals: Arc<Signals>,
    pub(crate) hub: ProgressHub,
}

impl JobContext {
    /// Whether to stop at this page boundary, and why (the lease first: a job without
    /// it must not write).
    pub fn stop(&self) -> Option<Stop> {
        let s = &self.signals;
        if s.lease_lost.load(Ordering::SeqCst) {
            Some(Stop::LeaseLost)
        } else if s.cancel.load(Ordering::SeqCst) {
            Some(Stop::Cancel)
        } else if s.pause.load(Ordering::SeqCst) {
            Some(Stop::Pause)
        } else if s.shutdown.load(Ordering::SeqCst) {
            Some(Stop::Shutdown)
        } else {
            None
        }
    }

    pub fn publish(&self, event: ProgressEvent) {
        self.hub.publish(event);
    }
}

/// Runs jobs. The worker owns claiming, leases and state changes; a handler does the
/// work, checking [`JobContext::stop`] at every page boundary.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, ctx: &JobContext) -> Result<Outcome>;
}
