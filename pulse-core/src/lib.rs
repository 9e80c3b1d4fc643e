//! `pulse-core`: the library every Pulse frontend is built on.
//!
//! - [`auth`]: password hashing and opaque refresh/API tokens (stored as hashes);
//! - [`model`]: the domain (clients, projects, repositories, pull requests, commits,
//!   deployments, incidents, Jira issues, …) with [`ids`] parsed once at the boundary;
//! - [`store`]: tenant-scoped storage on SQLite (embedded) or PostgreSQL (production);
//! - [`import`]: the JSON Lines import format, all-or-nothing;
//! - [`generate`]: a deterministic synthetic organisation for demos, tests and benchmarks.
//!
//! The crate has no transport dependencies: HTTP, gRPC and Python live in the adapters.

pub mod auth;
pub mod ci;
pub mod dates;
pub mod error;
pub mod generate;
pub mod ids;
pub mod import;
pub mod metrics;
pub mod model;
pub mod store;
#[cfg(feature = "test-support")]
pub mod testing;

pub use error::{Error, Result};
pub use store::{Backend, ClientStore, ClientTx, Store};
