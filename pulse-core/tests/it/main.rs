//! Integration tests of `pulse-core` against real databases: every storage test runs
//! once on SQLite and once on PostgreSQL (see `support`).

mod sample;
mod support;

mod auth;
mod devlake;
mod import;
mod isolation;
mod metrics;
mod storage;
