//! The `pulse` binary and server end to end. External APIs are a local wiremock server;
//! the server runs in-process on port 0 over a fresh database per test.

mod auth;
mod crash;
mod demo;
#[path = "../../../pulse-connectors/tests/it/fake_github.rs"]
#[allow(dead_code)]
mod fake_github;
mod grpc;
mod isolation;
mod redis;
mod rest;
mod shutdown;
mod support;
mod sync;
