//! Integration tests of `pulse-jobs` on both backends, and under contention on
//! PostgreSQL.

mod control;
#[path = "../../../pulse-connectors/tests/it/fake_github.rs"]
#[allow(dead_code)]
mod fake_github;
mod handlers;
mod queue;
mod schedules;
mod sync;
