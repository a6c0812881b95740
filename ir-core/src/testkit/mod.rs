//! In-memory ports and the per-port conformance suites (feature `testkit`).
//!
//! The in-memory ports are real implementations, good enough for examples, drills and a
//! single-process service that keeps nothing across restarts. The conformance suites in
//! [`conformance`] write each port's behaviour once; every implementation (these fakes and each
//! adapter crate's client) runs them.
//!
//! ```
//! use std::sync::Arc;
//! use ir_core::testkit::{conformance, InMemoryIncidentStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! conformance::incident_store(Arc::new(InMemoryIncidentStore::new())).await;
//! # }
//! ```

mod code;
pub mod conformance;
mod database;
mod memory;
mod platform;
mod tracker;

pub use code::*;
pub use database::*;
pub use memory::*;
pub use platform::*;
pub use tracker::*;
