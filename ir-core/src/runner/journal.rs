//! The runner's view of the timeline: the in-memory incident kept in step with the store.

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::incident::{Event, EventKind, Incident};
use crate::model::IncidentId;
use crate::ports::IncidentStore;

/// Attempts to append after a concurrent writer moved the version.
const CONFLICT_RETRIES: usize = 3;

/// Records events: checked against the incident, appended to the store with the expected
/// version, then applied in memory.
#[derive(Debug)]
pub(crate) struct Journal {
    store: Arc<dyn IncidentStore>,
    clock: Arc<dyn Clock>,
    actor: String,
    incident: Incident,
    /// The in-memory incident may hold events the store does not (an append whose outcome
    /// is unknown): reload before the next record.
    stale: bool,
}

impl Journal {
    pub(crate) async fn load(
        store: Arc<dyn IncidentStore>,
        clock: Arc<dyn Clock>,
        actor: String,
        id: IncidentId,
    ) -> Result<Self> {
        let incident = store.load(id).await?.incident()?;
        Ok(Self {
            store,
            clock,
            actor,
            incident,
            stale: false,
        })
    }

    pub(crate) fn incident(&self) -> &Incident {
        &self.incident
    }

    pub(crate) fn into_incident(self) -> Incident {
        self.incident
    }

    async fn reload(&mut self) -> Result<()> {
        self.incident = self.store.load(self.incident.id()).await?.incident()?;
        self.stale = false;
        Ok(())
    }

    /// Records `kinds` as one append, stamped now (never before the last event).
    ///
    /// The events are folded into the in-memory incident first (which checks each against
    /// the state the previous one left, and costs only the events themselves, never a copy
    /// of the incident), then appended to the store with the version they were checked
    /// against. When the store does not take them, the in-memory incident is reloaded from
    /// the store, so it never holds an event the store does not.
    pub(crate) async fn record(&mut self, kinds: Vec<EventKind>) -> Result<()> {
        if kinds.is_empty() {
            return Ok(());
        }
        if self.stale {
            self.reload().await?;
        }
        for _ in 0..CONFLICT_RETRIES {
            let last = self.incident.timeline().last().map(|e| e.event.at);
            let now = self.clock.now();
            let at = last.map_or(now, |l| now.max(l));
            let events: Vec<Event> = kinds
                .iter()
                .map(|k| Event::new(at, self.actor.clone(), k.clone()))
                .collect();
            let expected = self.incident.version();
            // Checked one by one against the state each leaves; the first refused one stops
            // the append before anything reaches the store.
            for (i, e) in events.iter().enumerate() {
                if let Err(refused) = self.incident.record(e.clone()) {
                    if i > 0 {
                        // Earlier events of this append were applied in memory only.
                        self.reload().await?;
                    }
                    return Err(Error::from(refused));
                }
            }
            let applied = self.incident.version();
            // The in memory incident is ahead of the store until the append succeeds.
            self.stale = true;
            match self
                .store
                .append(self.incident.id(), expected, events)
                .await
            {
                Ok(version) if version == applied => {
                    self.stale = false;
                    return Ok(());
                }
                Ok(_) => {
                    // Someone else wrote in between and the store accepted ours on top of
                    // theirs: our copy is stale.
                    self.reload().await?;
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Conflict => {
                    tracing::warn!(incident = %self.incident.id(), "timeline moved on; reloading");
                    self.reload().await?;
                }
                Err(e) => {
                    // Whether the store took the events is unknown: read them back, or leave
                    // the copy marked stale for the next record.
                    if let Err(reload) = self.reload().await {
                        tracing::warn!(incident = %self.incident.id(), error = %reload, "could not reload after a failed append");
                    }
                    return Err(e);
                }
            }
        }
        Err(Error::conflict(format!(
            "incident {} kept changing under the runner",
            self.incident.id()
        )))
    }

    /// Records one event.
    pub(crate) async fn push(&mut self, kind: EventKind) -> Result<()> {
        self.record(vec![kind]).await
    }
}
