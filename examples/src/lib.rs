//! Runnable examples that match the README; each is an `[[example]]` of this package
//! (`cargo run -p pulse-examples --example quickstart`). The library itself is empty.
