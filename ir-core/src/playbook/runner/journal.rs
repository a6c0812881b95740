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
        Ok(())
    }

    /// Records `kinds` as one append, stamped now (never before the last event).
    pub(crate) async fn record(&mut self, kinds: Vec<EventKind>) -> Result<()> {
        if kinds.is_empty() {
            return Ok(());
        }
        for _ in 0..CONFLICT_RETRIES {
            let last = self.incident.timeline().last().map(|e| e.event.at);
            let now = self.clock.now();
            let at = last.map_or(now, |l| now.max(l));
            let events: Vec<Event> = kinds
                .iter()
                .map(|k| Event::new(at, self.actor.clone(), k.clone()))
                .collect();
            let mut next = self.incident.clone();
            for e in &events {
                next.record(e.clone()).map_err(Error::from)?;
            }
            match self
                .store
                .append(self.incident.id(), self.incident.version(), events)
                .await
            {
                Ok(version) if version == next.version() => {
                    self.incident = next;
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
                Err(e) => return Err(e),
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
