//! In-memory `IncidentStore`, `ChatNotifier`, `Pager` and `StatusPage`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ErrorKind, Result};
use crate::incident::{Event, EventKind, RecordedEvent};
use crate::model::IncidentId;
use crate::ports::{
    ChatMessage, ChatNotifier, IncidentStore, Lease, MessageRef, Opened, Page, Pager, StatusPage,
    StatusPageUpdate, StoredIncident,
};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

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

/// An `IncidentStore` in process memory: one process, nothing kept across restarts.
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

/// A `ChatNotifier` that keeps every message posted.
#[derive(Debug, Clone, Default)]
pub struct InMemoryChat {
    messages: Arc<Mutex<Vec<ChatMessage>>>,
}

impl InMemoryChat {
    /// An empty chat.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message posted, in order.
    pub fn messages(&self) -> Vec<ChatMessage> {
        lock(&self.messages).clone()
    }
}

#[async_trait]
impl ChatNotifier for InMemoryChat {
    async fn post(&self, message: &ChatMessage) -> Result<MessageRef> {
        if message.channel.trim().is_empty() {
            return Err(
                Error::new(ErrorKind::NotFound, "channel_not_found: empty channel name")
                    .with_provider("memory")
                    .with_operation("post"),
            );
        }
        let mut messages = lock(&self.messages);
        messages.push(message.clone());
        Ok(MessageRef {
            channel: message.channel.clone(),
            id: Some(messages.len().to_string()),
        })
    }
}

/// A page as the in-memory pager saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagerEvent {
    /// A page was triggered.
    Triggered(Page),
    /// The page with this dedup key was resolved.
    Resolved(String),
}

/// A `Pager` that keeps every trigger and resolve.
#[derive(Debug, Clone, Default)]
pub struct InMemoryPager {
    events: Arc<Mutex<Vec<PagerEvent>>>,
}

impl InMemoryPager {
    /// An empty pager.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every trigger and resolve, in order.
    pub fn events(&self) -> Vec<PagerEvent> {
        lock(&self.events).clone()
    }

    /// Dedup keys triggered and not resolved since.
    pub fn open_pages(&self) -> Vec<String> {
        let mut open: Vec<String> = Vec::new();
        for event in lock(&self.events).iter() {
            match event {
                PagerEvent::Triggered(p) if !open.contains(&p.dedup_key) => {
                    open.push(p.dedup_key.clone())
                }
                PagerEvent::Resolved(k) => open.retain(|o| o != k),
                PagerEvent::Triggered(_) => {}
            }
        }
        open
    }
}

#[async_trait]
impl Pager for InMemoryPager {
    async fn trigger(&self, page: &Page) -> Result<()> {
        if page.summary.chars().count() > 1024 {
            return Err(
                Error::invalid_input("page summary is longer than 1024 characters")
                    .with_provider("memory")
                    .with_operation("trigger"),
            );
        }
        lock(&self.events).push(PagerEvent::Triggered(page.clone()));
        Ok(())
    }

    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        lock(&self.events).push(PagerEvent::Resolved(dedup_key.to_owned()));
        Ok(())
    }
}

/// A `StatusPage` that keeps every update.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStatusPage {
    updates: Arc<Mutex<Vec<StatusPageUpdate>>>,
}

impl InMemoryStatusPage {
    /// An empty status page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every update, in order.
    pub fn updates(&self) -> Vec<StatusPageUpdate> {
        lock(&self.updates).clone()
    }
}

#[async_trait]
impl StatusPage for InMemoryStatusPage {
    async fn publish(&self, update: &StatusPageUpdate) -> Result<()> {
        let mut updates = lock(&self.updates);
        updates.push(update.clone());
        Ok(())
    }
}
