//! `IncidentStore`: where timelines live, shared by every replica of a service.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{Error, ErrorKind, Result};
use crate::incident::{Event, Incident, RecordedEvent};
use crate::model::IncidentId;

/// The outcome of [`IncidentStore::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The incident for the dedup key.
    pub id: IncidentId,
    /// `true` when this call created it, `false` when it joined an open one.
    pub created: bool,
}

/// A stored timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredIncident {
    /// Incident id.
    pub id: IncidentId,
    /// The dedup key it was opened with.
    pub dedup_key: String,
    /// Every event, in order; `events.len()` is the version.
    pub events: Vec<RecordedEvent>,
}

impl StoredIncident {
    /// The version a writer must expect to append after these events.
    pub fn version(&self) -> u64 {
        self.events.len() as u64
    }

    /// The incident these events fold into.
    ///
    /// # Errors
    /// `Protocol` when the stored timeline does not fold (it was written by something that
    /// bypassed the checks).
    pub fn incident(&self) -> Result<Incident> {
        Incident::from_timeline(self.id, self.dedup_key.clone(), &self.events).map_err(|e| {
            Error::new(
                ErrorKind::Protocol,
                format!("stored timeline of incident {} does not fold: {e}", self.id),
            )
        })
    }
}

/// A held action lease: while it is held (until `expires_at`) no other holder gets the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// What is leased, usually an action's idempotency key.
    pub key: String,
    /// Who holds it (a replica id).
    pub holder: String,
    /// When it lapses unless renewed.
    pub expires_at: Timestamp,
    /// Grows with every grant of this key: a fencing token.
    pub token: u64,
}

/// Where incidents live.
///
/// Semantics every implementation shares (checked by `ir_testkit::conformance::incident_store`,
/// one function per rule):
/// - `open` is idempotent per dedup key while the incident is open: one incident however many
///   callers open it at once. An incident stops holding its key once a `Resolved` or `Closed`
///   event is appended; the next `open` of that key creates a new incident.
/// - `append` takes the version the writer last saw (the number of events). If another writer
///   appended meanwhile, it fails with `Conflict` and writes nothing; the error carries the
///   version the timeline is at ([`Error::current_version`]), so the writer fetches only what
///   it missed with [`load_since`](Self::load_since) and retries after it.
/// - `load_since(id, v)` is the part of `load(id)`'s events numbered after `v`.
/// - A lease is granted to one holder at a time until it expires or is released.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait IncidentStore: Send + Sync + fmt::Debug + 'static {
    /// Opens the incident for `dedup_key` with `detected` as its first event, or joins the open
    /// one.
    ///
    /// # Errors
    /// `InvalidInput` when `detected` is not a `Detected` event; `Unavailable`/`Timeout` when
    /// the store cannot be reached.
    async fn open(&self, dedup_key: &str, detected: Event) -> Result<Opened>;

    /// Appends `events` after version `expected_version`; returns the new version.
    ///
    /// # Errors
    /// `Conflict` when the stored version is not `expected_version` (nothing is written), with
    /// the stored version as [`Error::current_version`] when the store knows it (both built-in
    /// stores do); `NotFound` for an unknown incident; `Unavailable`/`Timeout`.
    async fn append(
        &self,
        id: IncidentId,
        expected_version: u64,
        events: Vec<Event>,
    ) -> Result<u64>;

    /// The incident's timeline.
    ///
    /// # Errors
    /// `NotFound` for an unknown incident; `Protocol` when a stored event cannot be decoded;
    /// `Unavailable`/`Timeout`.
    async fn load(&self, id: IncidentId) -> Result<StoredIncident>;

    /// The events of the incident's timeline numbered after `after_version` (`seq >
    /// after_version`), in order: what a writer that saw `after_version` events missed. Empty
    /// when there are none (also when `after_version` is past the end). `load_since(id, 0)`
    /// is every event.
    ///
    /// After a `Conflict` from [`append`](Self::append), `load_since(id, seen)` reads only the
    /// other writers' events instead of the whole timeline. The default reads the whole
    /// timeline with [`load`](Self::load) and drops the first `after_version` events, so
    /// stores written before this method existed keep compiling; stores override it to read
    /// only the new rows.
    ///
    /// # Errors
    /// As [`load`](Self::load): `NotFound` for an unknown incident; `Protocol` when a stored
    /// event cannot be decoded; `Unavailable`/`Timeout`.
    async fn load_since(&self, id: IncidentId, after_version: u64) -> Result<Vec<RecordedEvent>> {
        let mut events = self.load(id).await?.events;
        events.retain(|e| e.seq > after_version);
        Ok(events)
    }

    /// Ids of incidents that are neither resolved nor closed, oldest first.
    ///
    /// # Errors
    /// `Unavailable`/`Timeout`.
    async fn list_open(&self) -> Result<Vec<IncidentId>>;

    /// Grants the lease on `key` to `holder` for `ttl`, or returns `None` while another holder
    /// has it. A holder asking again extends its own lease.
    ///
    /// # Errors
    /// `Unavailable`/`Timeout`.
    async fn acquire_lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>>;

    /// Releases `lease` if still held by its holder with its token; releasing a lapsed lease is
    /// not an error.
    ///
    /// # Errors
    /// `Unavailable`/`Timeout`.
    async fn release_lease(&self, lease: &Lease) -> Result<()>;
}
