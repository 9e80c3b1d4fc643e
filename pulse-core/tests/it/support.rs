//! A fresh database per test, on either backend: `pulse_core::testing`.

pub use pulse_core::on_both_backends;
pub use pulse_core::testing::TestDb;
