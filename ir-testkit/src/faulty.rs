//! `FaultyStore`: any `IncidentStore` with scripted faults.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ir_core::error::{Error, ErrorKind, Result};
use ir_core::incident::{Event, RecordedEvent};
use ir_core::model::IncidentId;
use ir_core::ports::{IncidentStore, Lease, Opened, StoredIncident};

use crate::lock;

type FailWhen = Box<dyn Fn(&[Event]) -> bool + Send>;

/// Wraps an [`IncidentStore`] (usually `ir_core::memory::InMemoryIncidentStore`) and injects
/// the faults a runner must survive:
///
/// - [`fail_next_append_where`](Self::fail_next_append_where): the next append whose events
///   match fails with `Unavailable` and writes nothing (a crash or a store outage between a
///   port call and the record of its outcome);
/// - [`interleave_before_next_append`](Self::interleave_before_next_append): another replica
///   appends an event just before the next append, which then conflicts;
/// - [`hold_lease`](Self::hold_lease): another replica holds a lease, so every other holder is
///   refused it.
///
/// Everything else goes to the wrapped store. [`lease_holder`](Self::lease_holder) says who
/// holds a lease as far as this wrapper saw it granted and released.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ir_core::memory::InMemoryIncidentStore;
/// use ir_core::ports::IncidentStore;
/// use ir_testkit::FaultyStore;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ir_core::Result<()> {
/// let store = FaultyStore::new(Arc::new(InMemoryIncidentStore::new()));
/// store.hold_lease("rollback:d2", "replica-b");
/// let ttl = Duration::from_secs(60);
/// assert!(store.acquire_lease("rollback:d2", "replica-a", ttl).await?.is_none());
/// assert_eq!(store.lease_holder("rollback:d2").as_deref(), Some("replica-b"));
/// # Ok(())
/// # }
/// ```
pub struct FaultyStore {
    inner: Arc<dyn IncidentStore>,
    fail_once: Mutex<Option<FailWhen>>,
    interleave: Mutex<Option<Event>>,
    /// Leases held by another replica (by `hold_lease`): key → holder.
    held: Mutex<HashMap<String, String>>,
    /// Leases granted through this wrapper and not released since.
    granted: Mutex<HashMap<String, Lease>>,
}

impl fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyStore")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl FaultyStore {
    /// `inner`, with no fault scripted yet.
    pub fn new(inner: Arc<dyn IncidentStore>) -> Self {
        Self {
            inner,
            fail_once: Mutex::default(),
            interleave: Mutex::default(),
            held: Mutex::default(),
            granted: Mutex::default(),
        }
    }

    /// The next append whose events satisfy `when` fails with `Unavailable` and writes nothing;
    /// appends before it that do not match go through. Once only.
    pub fn fail_next_append_where(&self, when: impl Fn(&[Event]) -> bool + Send + 'static) {
        *lock(&self.fail_once) = Some(Box::new(when));
    }

    /// Another replica appends `event` just before the next append, which then conflicts (its
    /// expected version is stale). Once only.
    pub fn interleave_before_next_append(&self, event: Event) {
        *lock(&self.interleave) = Some(event);
    }

    /// Another replica, `holder`, holds the lease on `key` from now on: every other holder is
    /// refused it (`acquire_lease` answers `None`).
    pub fn hold_lease(&self, key: &str, holder: &str) {
        lock(&self.held).insert(key.to_owned(), holder.to_owned());
    }

    /// Who holds the lease on `key`: the holder set by [`hold_lease`](Self::hold_lease), else
    /// the holder of a lease granted through this wrapper and not released since (expiry is not
    /// considered).
    pub fn lease_holder(&self, key: &str) -> Option<String> {
        if let Some(holder) = lock(&self.held).get(key) {
            return Some(holder.clone());
        }
        lock(&self.granted).get(key).map(|l| l.holder.clone())
    }

    fn take_failure(&self, events: &[Event]) -> bool {
        let mut slot = lock(&self.fail_once);
        let fails = slot.as_ref().is_some_and(|when| when(events));
        if fails {
            *slot = None;
        }
        fails
    }
}

#[async_trait]
impl IncidentStore for FaultyStore {
    async fn open(&self, dedup_key: &str, detected: Event) -> Result<Opened> {
        self.inner.open(dedup_key, detected).await
    }

    async fn append(
        &self,
        id: IncidentId,
        expected_version: u64,
        events: Vec<Event>,
    ) -> Result<u64> {
        if self.take_failure(&events) {
            return Err(Error::new(ErrorKind::Unavailable, "store went away")
                .with_provider("faulty")
                .with_operation("append"));
        }
        let other = lock(&self.interleave).take();
        if let Some(other) = other {
            let version = self.inner.load(id).await?.version();
            self.inner.append(id, version, vec![other]).await?;
        }
        self.inner.append(id, expected_version, events).await
    }

    async fn load(&self, id: IncidentId) -> Result<StoredIncident> {
        self.inner.load(id).await
    }

    async fn load_since(&self, id: IncidentId, after_version: u64) -> Result<Vec<RecordedEvent>> {
        self.inner.load_since(id, after_version).await
    }

    async fn list_open(&self) -> Result<Vec<IncidentId>> {
        self.inner.list_open().await
    }

    async fn acquire_lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>> {
        let held_elsewhere = lock(&self.held).get(key).is_some_and(|h| h != holder);
        if held_elsewhere {
            return Ok(None);
        }
        let lease = self.inner.acquire_lease(key, holder, ttl).await?;
        if let Some(lease) = &lease {
            lock(&self.granted).insert(key.to_owned(), lease.clone());
        }
        Ok(lease)
    }

    async fn release_lease(&self, lease: &Lease) -> Result<()> {
        self.inner.release_lease(lease).await?;
        let mut granted = lock(&self.granted);
        if granted
            .get(&lease.key)
            .is_some_and(|l| l.holder == lease.holder && l.token == lease.token)
        {
            granted.remove(&lease.key);
        }
        Ok(())
    }
}
