//! The `pulse` binary end to end. External APIs are a local wiremock server.

mod sync;
