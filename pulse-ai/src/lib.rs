//! Insights, anomaly detection, forecasts, the LLM provider and MCP tools over the
//! metrics that `pulse-core` computes.
//!
//! The crate is part of the workspace's fixed shape; its contents arrive with the AI issues.
