//! The `pulse` binary end to end. External APIs are a local wiremock server.

mod crash;
#[path = "../../../pulse-connectors/tests/it/fake_github.rs"]
#[allow(dead_code)]
mod fake_github;
mod sync;
