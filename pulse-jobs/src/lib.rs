//! Resumable jobs: syncs (and derivations) for many clients, run safely.
//!
//! - [`machine`]: the job state machine (PENDING, ACTIVE, FINISHED, PAUSED, FAILED,
//!   CANCELLED) as a type: every transition is checked here and recorded (who, when,
//!   why) by `pulse-core`'s queue storage;
//! - [`control`]: what users and admins do to jobs (start, pause, resume, cancel, retry);
//! - [`Worker`]: claims jobs with a lease and a heartbeat (PostgreSQL: `FOR UPDATE SKIP
//!   LOCKED`, so any number of workers share one queue), runs them page by page, and
//!   stops at the next page boundary when asked to pause or cancel;
//! - [`scheduler`]: turns due interval or cron schedules into jobs;
//! - [`ProgressEvent`] / [`ProgressHub`]: typed progress on an in-process broadcast
//!   channel, the latest of which is persisted with the job.
//!
//! A sync's cursor lands in the same transaction as the page it follows (see
//! `pulse_connectors::land_page`), so a worker killed at any point resumes without losing
//! or repeating a record.

pub mod control;
mod error;
mod handler;
pub mod machine;
mod progress;
mod runner;
pub mod scheduler;
mod worker;

pub use error::{Error, Result};
pub use handler::{JobContext, JobHandler, Outcome, Stop};
pub use machine::Transition;
pub use progress::{ProgressEvent, ProgressHub};
pub use runner::Runner;
pub use worker::{Worker, WorkerOptions};
