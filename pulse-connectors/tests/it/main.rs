//! Integration tests of pulse-connectors: every upstream is a local wiremock server
//! replaying recorded responses (`tests/fixtures/`, see its PROVENANCE.md), and storage is
//! a real SQLite file and, with `PULSE_TEST_PG_URL`, PostgreSQL.

mod devlake_github;
mod fake_github;
mod github_graphql;
mod http;
mod jira;
mod openapi;
mod settings;
mod support;
