//! The in-memory `IncidentStore`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::incident::{Event, EventKind, RecordedEvent};
use crate::model::IncidentId;
use crate::ports::{IncidentStore, Lease, Opened, StoredIncident};

use super::lock;

#[derive(Debug)]
struct Entry {
    dedup_key: String,
    events: Vec<RecordedEvent>,
    open: bool,
}

#[derive(Debug, Default)]
struct StoreState {
    incidents: BTreeMap<IncidentId, Entry>,
    order: Vec<IncidentId>,
    open_keys: HashMap<String, IncidentId>,
    leases: HashMap<String, Lease>,
    tokens: HashMap<String, u64>,
}

/// An `IncidentStore` in process memory: the backend of a service that runs one replica and
/// keeps nothing across restarts.
///
/// It keeps every promise of the port: one open incident per dedup key (also under concurrent
/// opens), optimistic appends that write nothing on `Conflict`, the key released by a
/// `Resolved` or `Closed` event, leases with growing fencing tokens that lapse on its clock.
/// Clones share the same incidents. Several replicas need a shared store instead (for example
/// `ir-postgres`'s `PgIncidentStore`).
#[derive(Debug, Clone)]
pub struct InMemoryIncidentStore {
    state: Arc<Mutex<StoreState>>,
    clock: Arc<dyn Clock>,
}

impl Default for InMemoryIncidentStore {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemoryIncidentStore {
    /// A store whose leases expire on the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// A store whose leases expire on `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::new(Mutex::new(StoreState::default())),
            clock,
        }
    }
}

fn not_found(id: IncidentId, operation: &'static str) -> Error {
    Error::not_found(format!("no incident {id}"))
        .with_provider("memory")
        .with_operation(operation)
}

#[async_trait]
impl IncidentStore for InMemoryIncidentStore {
    async fn open(&self, dedup_key: &str, detected: Event) -> Result<Opened> {
        if !matches!(detected.kind, EventKind::Detected { .. }) {
            return Err(Error::invalid_input(format!(
                "an incident opens with a detected event, not {}",
                detected.kind.name()
            ))
            .with_provider("memory")
            .with_operation("open"));
        }
        let mut state = lock(&self.state);
        if let Some(id) = state.open_keys.get(dedup_key) {
            return Ok(Opened {
                id: *id,
                created: false,
            });
        }
        let id = IncidentId::random();
        state.incidents.insert(
            id,
            Entry {
                dedup_key: dedup_key.to_owned(),
                events: vec![RecordedEvent {
                    seq: 1,
                    event: detected,
                }],
                open: true,
            },
        );
        state.order.push(id);
        state.open_keys.insert(dedup_key.to_owned(), id);
        Ok(Opened { id, created: true })
    }

    async fn append(
        &self,
        id: IncidentId,
        expected_version: u64,
        events: Vec<Event>,
    ) -> Result<u64> {
        let mut state = lock(&self.state);
        let entry = state
            .incidents
            .get_mut(&id)
            .ok_or_else(|| not_found(id, "append"))?;
        let version = entry.events.len() as u64;
        if version != expected_version {
            return Err(Error::conflict(format!(
                "incident {id} is at version {version}, not {expected_version}"
            ))
            .with_current_version(version)
            .with_provider("memory")
            .with_operation("append"));
        }
        let mut releases = false;
        for (i, event) in events.into_iter().enumerate() {
            releases |= event.kind.releases_dedup_key();
            entry.events.push(RecordedEvent {
                seq: version + 1 + i as u64,
                event,
            });
        }
        let new_version = entry.events.len() as u64;
        if releases && entry.open {
            entry.open = false;
            let key = entry.dedup_key.clone();
            if state.open_keys.get(&key) == Some(&id) {
                state.open_keys.remove(&key);
            }
        }
        Ok(new_version)
    }

    async fn load(&self, id: IncidentId) -> Result<StoredIncident> {
        let state = lock(&self.state);
        let entry = state
            .incidents
            .get(&id)
            .ok_or_else(|| not_found(id, "load"))?;
        Ok(StoredIncident {
            id,
            dedup_key: entry.dedup_key.clone(),
            events: entry.events.clone(),
        })
    }

    async fn load_since(&self, id: IncidentId, after_version: u64) -> Result<Vec<RecordedEvent>> {
        let state = lock(&self.state);
        let entry = state
            .incidents
            .get(&id)
            .ok_or_else(|| not_found(id, "load_since"))?;
        // Event `seq` sits at index `seq - 1`.
        let from = usize::try_from(after_version).unwrap_or(usize::MAX);
        Ok(entry.events.get(from..).unwrap_or_default().to_vec())
    }

    async fn list_open(&self) -> Result<Vec<IncidentId>> {
        let state = lock(&self.state);
        Ok(state
            .order
            .iter()
            .filter(|id| state.incidents.get(id).is_some_and(|e| e.open))
            .copied()
            .collect())
    }

    async fn acquire_lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>> {
        let now = self.clock.now();
        let mut state = lock(&self.state);
        if let Some(current) = state.leases.get(key)
            && current.expires_at > now
            && current.holder != holder
        {
            return Ok(None);
        }
        let reuse = state
            .leases
            .get(key)
            .filter(|l| l.holder == holder && l.expires_at > now)
            .map(|l| l.token);
        let token = match reuse {
            Some(token) => token,
            None => {
                let next = state.tokens.get(key).copied().unwrap_or(0) + 1;
                state.tokens.insert(key.to_owned(), next);
                next
            }
        };
        let lease = Lease {
            key: key.to_owned(),
            holder: holder.to_owned(),
            expires_at: crate::clock::add(now, ttl),
            token,
        };
        state.leases.insert(key.to_owned(), lease.clone());
        Ok(Some(lease))
    }

    async fn release_lease(&self, lease: &Lease) -> Result<()> {
        let mut state = lock(&self.state);
        if state
            .leases
            .get(&lease.key)
            .is_some_and(|l| l.holder == lease.holder && l.token == lease.token)
        {
            state.leases.remove(&lease.key);
        }
        Ok(())
    }
}
