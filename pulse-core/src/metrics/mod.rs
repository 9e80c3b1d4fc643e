//! The metric engine: DORA, pull-request flow and Jira flow, exactly as
//! `shared/spec/metrics.md` defines them (see `docs/metrics.md` for the choices the spec
//! leaves open).
//!
//! Two layers. [`derive`] turns a client's records into row-level [`facts`] (previous
//! deployment, changes, each PR's timeline and deployment, incident links, rework); it
//! is pure and is tested against Apache DevLake's fixtures. The aggregates then read
//! only facts.

pub mod bands;
pub mod derive;
pub mod facts;
pub mod graph;
pub mod stats;

pub use bands::{Band, Benchmark};
pub use derive::{DeriveInput, DiffMemo, derive};
pub use facts::*;
