//! Source connectors: the GitHub and Jira clients that fetch data and land it through
//! `pulse-core`'s storage, behind a `Connector` trait for further sources.
//!
//! The crate is part of the workspace's fixed shape; its contents arrive with the
//! connectors issue (HTTP layer, pagination, incremental sync, rate limits).
