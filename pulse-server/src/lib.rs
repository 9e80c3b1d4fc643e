//! Pulse's server: the REST API (axum), the gRPC API (tonic) and WebSocket progress on
//! one port, in front of the library crates.
//!
//! The layering is strict, so the two APIs cannot drift apart:
//! - [`api`] is the transport-neutral service: every operation takes the caller's
//!   [`auth::Principal`] (built from a token, never from the request), checks the role,
//!   and calls `pulse-core` or `pulse-jobs`. No metric or storage logic lives here.
//! - [`rest`] and `grpc` translate requests and errors and nothing else.
//! - [`server`] puts them on one listener with the operational endpoints, the cache, the
//!   rate limiter and in-process workers, and shuts down gracefully.

pub mod api;
pub mod auth;
pub mod config;
pub mod fanout;
pub mod grpc;
pub mod observability;
pub mod rest;
pub mod server;
pub mod telemetry;

pub use api::{Api, ApiError};
pub use config::ServerConfig;
