//! The single-process backend: an incident store, chat, pager and status page in process
//! memory.
//!
//! A service that runs one replica embeds these as its ports: [`InMemoryIncidentStore`] keeps
//! every promise of [`IncidentStore`](crate::ports::IncidentStore) (idempotent open per dedup
//! key, optimistic appends, fencing leases) for as long as the process lives, and
//! [`TracingChat`] writes each message to `tracing`, so a service with no Slack yet still sees
//! what the runbook would have posted. [`InMemoryChat`], [`InMemoryPager`] and
//! [`InMemoryStatusPage`] keep what they are sent, for a drill or a service that shows it
//! itself. Nothing survives a restart; several replicas need a shared store (for example
//! `ir-postgres`'s `PgIncidentStore`).
//!
//! ```
//! use std::sync::Arc;
//! use ir_core::classify::{classify, Reachability, Signals};
//! use ir_core::incident::{Event, EventKind};
//! use ir_core::memory::InMemoryIncidentStore;
//! use ir_core::ports::IncidentStore;
//! use ir_core::SeverityPolicy;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store: Arc<dyn IncidentStore> = Arc::new(InMemoryIncidentStore::new());
//! let signals = Signals { health: Some(Reachability::Status(503)), ..Signals::default() };
//! let detected = Event::new(chrono::Utc::now(), "health-watcher", EventKind::detected(
//!     "Site down", "www.example.com", classify(&signals, &SeverityPolicy::runbook()), None));
//! let first = store.open("health:www.example.com", detected.clone()).await?;
//! let again = store.open("health:www.example.com", detected).await?;
//! assert!(first.created && !again.created && first.id == again.id);
//! # Ok(())
//! # }
//! ```

mod notify;
mod store;
mod tracing_chat;

pub use notify::{InMemoryChat, InMemoryPager, InMemoryStatusPage, PagerEvent};
pub use store::InMemoryIncidentStore;
pub use tracing_chat::TracingChat;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, also after a panic elsewhere poisoned it: the data behind these locks is only ever
/// replaced whole, so a poisoned lock still holds a consistent value.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
