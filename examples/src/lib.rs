//! Runnable programs built on `ir`, one binary each under `src/bin/`:
//!
//! - `drill`: the runbook's incident drill, detection to postmortem, driven by the `Runner`;
//! - `auto_rollback`: the `Runner` rolling back a bad deployment.
//!
//! Run one with `cargo run -p examples --bin drill`.
