#![doc = include_str!("../README.md")]

mod code;
pub mod conformance;
mod database;
mod faulty;
mod fixtures;
pub mod graphql;
mod platform;
mod reference;
mod tracing_capture;
mod tracker;

pub use code::{FiledIssue, InMemoryCodeHost, OpenedRevert};
pub use database::{InMemoryDatabase, MemoryBackend};
pub use faulty::FaultyStore;
pub use fixtures::{
    CodeHostFixture, DeployFixture, ErrorTrackerFixture, HealthFixture, LogFixture,
    VariableFixture, deployments_fixture,
};
pub use platform::{
    InMemoryLogs, InMemoryPlatform, InMemoryVariables, PlatformCall, ScriptedAnswer,
    ScriptedHealthProbe,
};
pub use reference::read_reference;
pub use tracing_capture::TraceCapture;
pub use tracker::{InMemoryErrorTracker, MAX_ERROR_BUCKETS};

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Locks `m`, also after a panic elsewhere (a failed assertion in a test) poisoned it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Converts a `std` duration to a `chrono` one, capped at `ir_core::clock::MAX_SPAN`.
fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d.min(ir_core::clock::MAX_SPAN)).unwrap_or(chrono::Duration::MAX)
}
