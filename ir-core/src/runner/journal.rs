//! The runner's view of the timeline: the in-memory incident kept in step with the store, and
//! the scrubbing of everything that enters it.

use std::sync::Arc;

use super::scrub::Scrubber as Secrets;
use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::incident::{Event, EventKind, Incident};
use crate::model::IncidentId;
use crate::ports::IncidentStore;

/// Attempts to append after a concurrent writer moved the version.
const CONFLICT_RETRIES: usize = 5;

/// Records events: scrubbed, checked against the incident, appended to the store with the
/// expected version, then applied in memory.
#[derive(Debug)]
pub(crate) struct Journal {
    store: Arc<dyn IncidentStore>,
    clock: Arc<dyn Clock>,
    actor: String,
    incident: Incident,
    /// The exact values the run generated or read, scrubbed from every event by value (the
    /// patterns of [`crate::redact`] are scrubbed too).
    secrets: Secrets,
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
        secrets: Secrets,
    ) -> Result<Self> {
        let incident = store.load(id).await?.incident()?;
        Ok(Self {
            store,
            clock,
            actor,
            incident,
            secrets,
            stale: false,
        })
    }

    pub(crate) fn incident(&self) -> &Incident {
        &self.incident
    }

    pub(crate) fn into_incident(self) -> Incident {
        self.incident
    }

    pub(crate) fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Catches up with the store: the events after the version held (one round trip for what
    /// is new, not the whole timeline), or the whole timeline when the copy holds events the
    /// store may not have.
    pub(crate) async fn reload(&mut self) -> Result<()> {
        let id = self.incident.id();
        if !self.stale {
            let newer = self.store.load_since(id, self.incident.version()).await?;
            let mut caught_up = self.incident.clone();
            let mut ok = true;
            for recorded in newer {
                if recorded.seq != caught_up.version() + 1
                    || caught_up.record(recorded.event).is_err()
                {
                    ok = false;
                    break;
                }
            }
            if ok {
                self.incident = caught_up;
                return Ok(());
            }
        }
        self.incident = self.store.load(id).await?.incident()?;
        self.stale = false;
        Ok(())
    }

    /// Records `kinds` as one append, stamped now (never before the last event); returns the
    /// ids the append gave its `MessageQueued` events, in order.
    ///
    /// Every text an event carries is scrubbed first ([`Secrets::scrub`]: the values this
    /// run knows, and credential patterns). A `MessageQueued` is numbered here, as the next
    /// message of the incident (its `id` as given is ignored), so an append retried after
    /// another writer queued messages numbers its own after theirs.
    ///
    /// The events are folded into the in-memory incident first (which checks each against
    /// the state the previous one left), then appended to the store with the version they
    /// were checked against. When another writer moved the version, the incident catches up
    /// and the events are checked again against what it now holds: an acknowledgement or an
    /// escalation that writer already recorded is dropped (it is done), anything else refused
    /// is an error. When the store does not take them, the in-memory incident is reloaded, so
    /// it never holds an event the store does not.
    ///
    /// `then` gives the events that follow `kinds` in the same append, computed from the
    /// incident as `kinds` leave it (the messages a transition calls for, rendered from the
    /// state after it); it is called again when the append is retried.
    pub(crate) async fn record_queued(
        &mut self,
        kinds: Vec<EventKind>,
        then: &(dyn Fn(&Incident) -> Vec<EventKind> + Send + Sync),
    ) -> Result<Vec<u32>> {
        if self.stale {
            self.reload().await?;
        }
        let kinds: Vec<EventKind> = kinds
            .into_iter()
            .map(|k| self.secrets.scrub_event(k))
            .collect();
        for attempt in 0..CONFLICT_RETRIES {
            let retrying = attempt > 0;
            let last = self.incident.timeline().last().map(|e| e.event.at);
            let now = self.clock.now();
            let at = last.map_or(now, |l| now.max(l));
            let expected = self.incident.version();
            let mut events = Vec::with_capacity(kinds.len());
            let mut ids = Vec::new();
            let mut pending: std::collections::VecDeque<EventKind> =
                kinds.iter().cloned().collect();
            let mut followed = false;
            let mut dropped = 0;
            loop {
                let Some(mut kind) = pending.pop_front() else {
                    // What another writer already did brings no messages of ours with it.
                    if followed || (dropped > 0 && dropped == kinds.len()) {
                        break;
                    }
                    followed = true;
                    pending.extend(
                        then(&self.incident)
                            .into_iter()
                            .map(|k| self.secrets.scrub_event(k)),
                    );
                    continue;
                };
                if let EventKind::MessageQueued { id, .. } = &mut kind {
                    *id = self.incident.next_message_id();
                    ids.push(*id);
                }
                let event = Event::new(at, self.actor.clone(), kind);
                match self.incident.record(event.clone()) {
                    Ok(_) => events.push(event),
                    Err(_) if retrying && done_by_another(&event.kind) => {
                        if !followed {
                            dropped += 1;
                        }
                        tracing::debug!(incident = %self.incident.id(), event = event.kind.name(), "already recorded by another writer");
                    }
                    Err(refused) => {
                        if !events.is_empty() {
                            // Earlier events of this append were applied in memory only.
                            self.stale = true;
                            self.reload().await?;
                        }
                        return Err(Error::from(refused));
                    }
                }
            }
            if events.is_empty() {
                return Ok(ids);
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
                    return Ok(ids);
                }
                Ok(_) => {
                    // Someone else wrote in between and the store accepted ours on top of
                    // theirs: our copy is stale.
                    self.reload().await?;
                    return Ok(ids);
                }
                Err(e) if e.kind() == ErrorKind::Conflict => {
                    tracing::debug!(incident = %self.incident.id(), "timeline moved on; catching up");
                    // Ours were not written: back to the store's version, then what is new.
                    self.stale = true;
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

    /// Records `kinds` as one append.
    pub(crate) async fn record(&mut self, kinds: Vec<EventKind>) -> Result<()> {
        if kinds.is_empty() {
            return Ok(());
        }
        self.record_queued(kinds, &|_| Vec::new()).await.map(|_| ())
    }

    /// Records one event.
    pub(crate) async fn push(&mut self, kind: EventKind) -> Result<()> {
        self.record(vec![kind]).await
    }
}

/// Events another writer may have recorded first, which are then simply done: a second
/// acknowledgement or escalation of the same role is refused by the fold, and need not be
/// recorded.
fn done_by_another(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Acknowledged { .. } | EventKind::Escalated { .. }
    )
}
