//! Resumable jobs: the job state machine (PENDING, ACTIVE, FINISHED, PAUSED, FAILED),
//! scheduling, leases, page-level checkpoints, crash recovery and progress events.
//!
//! The crate is part of the workspace's fixed shape; its contents arrive with the jobs issue.
