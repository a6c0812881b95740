//! # ir-testkit
//!
//! Testing aids for `ir` and for the services that embed it:
//!
//! - [`conformance`]: each port's behaviour written once, one module per port and one
//!   `pub async fn` per rule (plus a `run_all`), run against the in-memory backends and every
//!   real implementation, so a failure names the rule it broke;
//! - fixtures describing what a backend under test holds ([`DeployFixture`],
//!   [`HealthFixture`], ...), for the suites that cannot create it through the port;
//! - in-memory providers with scripted state ([`InMemoryPlatform`], [`InMemoryVariables`],
//!   [`InMemoryLogs`], [`ScriptedHealthProbe`], [`InMemoryDatabase`],
//!   [`InMemoryErrorTracker`], [`InMemoryCodeHost`]) and [`FaultyStore`], an incident store
//!   with scripted faults.
//!
//! The single-process store, chat, pager and status page are not here: they are a real backend,
//! `ir_core::memory`. Crates dev-depend on `ir-testkit`.
//!
//! ```
//! use ir_core::memory::InMemoryIncidentStore;
//! use ir_testkit::conformance::incident_store;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let store = InMemoryIncidentStore::new();
//! // One rule...
//! incident_store::open_joins_an_open_incident(&store).await;
//! // ...or every rule of the port (this one waits about two seconds for a lease to lapse).
//! incident_store::run_all(&store).await;
//! # }
//! ```

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
