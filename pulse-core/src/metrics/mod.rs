//! The metric engine: DORA, pull-request flow and Jira flow, exactly as
//! `shared/spec/metrics.md` defines them (see `docs/metrics.md` for the choices the spec
//! leaves open).
//!
//! Two layers. [`derive`] turns a client's records into row-level [`facts`] (previous
//! deployment, changes, each PR's timeline and deployment, incident links, rework); it
//! is pure and is tested against Apache DevLake's fixtures. The aggregates then read
//! only facts.

pub mod bands;
pub mod calendar;
pub mod derive;
pub mod dora;
pub mod engine;
pub mod explain;
pub mod facts;
pub mod flow;
pub mod graph;
pub mod incremental;
pub mod jira_flow;
pub mod query;
pub mod scope;
pub mod stats;
pub mod view;

#[cfg(test)]
mod tests;

pub use bands::{Band, Benchmark};
pub use calendar::{Period, Window};
pub use derive::{DeriveInput, DiffMemo, derive};
pub use dora::DoraReport;
pub use engine::{RefreshSummary, Snapshot};
pub use explain::{DoraMetric, Explanation};
pub use facts::*;
pub use flow::PrFlowReport;
pub use incremental::FactsUpdate;
pub use jira_flow::JiraFlowReport;
pub use query::{Metrics, Query};
pub use scope::{Scope, ScopeFilter, ScopeInfo};
pub use view::FactsView;
