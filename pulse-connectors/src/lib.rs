//! Source connectors: the GitHub and Jira clients that fetch data and land it through
//! `pulse-core`'s storage, behind a [`Connector`] trait for further sources.
//!
//! - [`http`]: the one HTTP layer (retries, backoff, rate limits, conditional requests,
//!   usage counters);
//! - [`Connector`], [`Page`], [`land_page`]: streams of pages with resumable cursors, each
//!   page landed with its raw payloads, records and cursor in one transaction;
//! - [`Sync`]: runs a connector's streams, resuming from the stored cursors;
//!   [`reextract`] rebuilds records from the raw landing table without fetching;
//! - [`github`], [`jira`]: the two sources; [`integration`]: stored integrations with
//!   credentials sealed by [`SecretKey`].
//!
//! The metric engine never sees where a record came from beyond its `source` field.

mod connector;
mod error;
pub mod github;
pub mod http;
pub mod integration;
mod issue_keys;
pub mod jira;
mod landing;
mod records;
mod secret;
mod sync;
mod timestamps;

pub use connector::{Connector, Cursor, Page};
pub use error::{Error, Result};
pub use landing::{land_page, land_records};
pub use records::Records;
pub use secret::{Credentials, SecretKey};
pub use sync::{ProgressEvent, Sync, SyncSummary, reextract};
