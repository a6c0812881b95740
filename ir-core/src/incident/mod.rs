//! The incident, its lifecycle and its timeline.
//!
//! The timeline is the record: an [`Incident`] is a fold over its [`RecordedEvent`]s. Every
//! event is checked against the current state before it is recorded ([`Incident::check`]);
//! an event that would make an illegal move is refused with a [`TransitionError`].
//!
//! ```
//! use ir_core::incident::{Event, EventKind, Incident, Phase};
//! use ir_core::model::IncidentId;
//! use ir_core::classify::{classify, Reachability, Signals};
//! use ir_core::SeverityPolicy;
//!
//! let t0: chrono::DateTime<chrono::Utc> = "2026-02-08T15:30:00Z".parse()?;
//! let signals = Signals { health: Some(Reachability::Status(503)), ..Signals::default() };
//! let detected = Event::new(t0, "health-watcher", EventKind::detected(
//!     "Site down", "www.example.com", classify(&signals, &SeverityPolicy::runbook()), None,
//! ));
//! let mut incident = Incident::open(IncidentId::random(), "health:www", detected)?;
//! incident.record(Event::new(t0 + chrono::Duration::minutes(2), "alice",
//!     EventKind::Acknowledged { by: "alice".into() }))?;
//! assert_eq!(incident.phase(), Phase::Acknowledged);
//! assert_eq!(incident.mtta().map(|d| d.as_secs()), Some(120));
//!
//! // Resolving straight from Acknowledged is refused.
//! let err = incident.record(Event::new(t0 + chrono::Duration::minutes(3), "alice",
//!     EventKind::resolved("unknown", "none"))).unwrap_err();
//! assert_eq!(err.phase, Phase::Acknowledged);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod events;
mod fold;
mod metrics;
mod queries;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::classify::Classification;
use crate::clock::Timestamp;
use crate::model::{
    Action, Delivery, Evidence, Flag, Hypothesis, IdempotencyKey, IncidentId, MessageKind, Role,
    Verification,
};
use crate::severity::Severity;
use crate::symptoms::Symptoms;

pub use events::{Event, EventKind, RecordedEvent};
pub use fold::TransitionError;
pub use metrics::{SlaBreach, SlaTarget};
pub use queries::Pending;

/// Where an incident is in its lifecycle, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// An alert fired; nobody has acknowledged it.
    Detected,
    /// A responder acknowledged it.
    Acknowledged,
    /// Diagnosis is under way.
    Investigating,
    /// A root-cause hypothesis has been posted.
    Identified,
    /// A mitigation is being applied.
    Mitigating,
    /// A mitigation was verified; watching for recurrence.
    Monitoring,
    /// The resolution criteria hold.
    Resolved,
    /// Closed after the post-incident work.
    Closed,
}

impl Phase {
    /// All phases, in order.
    pub const ALL: [Phase; 8] = [
        Phase::Detected,
        Phase::Acknowledged,
        Phase::Investigating,
        Phase::Identified,
        Phase::Mitigating,
        Phase::Monitoring,
        Phase::Resolved,
        Phase::Closed,
    ];

    /// Whether the incident is still open (not resolved or closed).
    pub fn is_open(self) -> bool {
        self < Phase::Resolved
    }

    /// The runbook's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Detected => "Detected",
            Phase::Acknowledged => "Acknowledged",
            Phase::Investigating => "Investigating",
            Phase::Identified => "Identified",
            Phase::Mitigating => "Mitigating",
            Phase::Monitoring => "Monitoring",
            Phase::Resolved => "Resolved",
            Phase::Closed => "Closed",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an action stands, as folded from its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    /// Proposed, not decided.
    Proposed,
    /// Approved, not started.
    Approved,
    /// Rejected.
    Rejected,
    /// Started (intent recorded) with no outcome yet.
    Started,
    /// Succeeded.
    Succeeded,
    /// Failed.
    Failed,
    /// Withdrawn: it will not be executed as recorded (see `EventKind::ActionWithdrawn`).
    Withdrawn,
}

/// An action and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The action.
    pub action: Action,
    /// Its state.
    pub state: ActionState,
    /// Whether it was (or is being) executed as a dry run.
    pub dry_run: bool,
    /// When it was proposed.
    pub proposed_at: Timestamp,
    /// When it started, if it did.
    pub started_at: Option<Timestamp>,
    /// When it finished, if it did.
    pub finished_at: Option<Timestamp>,
    /// The hypothesis it mitigates, when a playbook proposed it as a mitigation.
    pub mitigates: Option<Hypothesis>,
    /// How it is verified, when it is.
    pub verification: Option<Verification>,
}

/// A message recorded as queued and not yet delivered (or failed): the incident's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedMessage {
    /// The incident's number for it.
    pub id: u32,
    /// Which message.
    pub kind: MessageKind,
    /// Where it goes.
    pub to: Delivery,
    /// The rendered plain text.
    pub text: String,
    /// The rendered Slack mrkdwn (empty when not chat).
    pub mrkdwn: String,
    /// When it was queued.
    pub queued_at: Timestamp,
}

/// An incident: a fold over its timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    id: IncidentId,
    dedup_key: String,
    title: String,
    service: String,
    severity: Severity,
    classification: Classification,
    phase: Phase,
    onset: Option<Timestamp>,
    phase_entered: BTreeMap<Phase, Timestamp>,
    commander: Option<String>,
    flags: BTreeSet<Flag>,
    actions: BTreeMap<IdempotencyKey, ActionRecord>,
    action_order: Vec<IdempotencyKey>,
    /// The last succeeded mitigation, while its verification or monitoring is unfinished, and
    /// whether it was verified.
    pending: Option<(IdempotencyKey, bool)>,
    /// The hypotheses (playbook, cause) whose recommendations were recorded.
    recommended: BTreeSet<(String, String)>,
    /// The initial notification's channel and provider id: the chat thread.
    chat_thread: Option<(String, String)>,
    /// The provider's id of the public status-page incident, as last recorded.
    status_page_incident: Option<String>,
    /// The first acknowledgement: when, and by whom.
    acknowledged: Option<(Timestamp, String)>,
    /// Roles escalated to.
    escalated: BTreeSet<Role>,
    /// Messages queued without an outcome, by id.
    outbox: BTreeMap<u32, QueuedMessage>,
    /// How many messages were ever queued.
    queued: u32,
    /// The kinds of message queued or posted so far.
    message_kinds: Vec<MessageKind>,
    /// The symptoms recorded at detection.
    symptoms: Option<Symptoms>,
    events: Vec<RecordedEvent>,
}

impl Incident {
    /// Opens an incident from its `Detected` event.
    ///
    /// # Errors
    /// [`TransitionError`] when `detected` is not a `Detected` event or its onset lies after
    /// detection.
    pub fn open(
        id: IncidentId,
        dedup_key: impl Into<String>,
        detected: Event,
    ) -> Result<Self, TransitionError> {
        let refuse = |reason: &str| TransitionError {
            phase: Phase::Detected,
            event: detected.kind.name(),
            reason: reason.to_owned(),
        };
        let EventKind::Detected {
            title,
            service,
            classification,
            onset,
            symptoms,
        } = &detected.kind
        else {
            return Err(refuse("the first event must be `detected`"));
        };
        if onset.is_some_and(|o| o > detected.at) {
            return Err(refuse("onset lies after detection"));
        }
        Ok(Self {
            id,
            dedup_key: dedup_key.into(),
            title: title.clone(),
            service: service.clone(),
            severity: classification.severity,
            classification: classification.clone(),
            phase: Phase::Detected,
            onset: *onset,
            phase_entered: BTreeMap::from([(Phase::Detected, detected.at)]),
            commander: None,
            flags: BTreeSet::new(),
            actions: BTreeMap::new(),
            action_order: Vec::new(),
            pending: None,
            recommended: BTreeSet::new(),
            chat_thread: None,
            status_page_incident: None,
            acknowledged: None,
            escalated: BTreeSet::new(),
            outbox: BTreeMap::new(),
            queued: 0,
            message_kinds: Vec::new(),
            symptoms: symptoms.clone(),
            events: vec![RecordedEvent {
                seq: 1,
                event: detected,
            }],
        })
    }

    /// Rebuilds an incident from its recorded timeline.
    ///
    /// # Errors
    /// [`TransitionError`] when the timeline is empty, out of sequence, or holds an illegal
    /// move.
    pub fn from_timeline(
        id: IncidentId,
        dedup_key: impl Into<String>,
        events: &[RecordedEvent],
    ) -> Result<Self, TransitionError> {
        let Some((first, rest)) = events.split_first() else {
            return Err(TransitionError {
                phase: Phase::Detected,
                event: "none",
                reason: "the timeline is empty".into(),
            });
        };
        let mut incident = Self::open(id, dedup_key, first.event.clone())?;
        for recorded in rest {
            if recorded.seq != incident.version() + 1 {
                return Err(TransitionError {
                    phase: incident.phase,
                    event: recorded.event.kind.name(),
                    reason: format!(
                        "event number {} follows {}",
                        recorded.seq,
                        incident.version()
                    ),
                });
            }
            incident.record(recorded.event.clone())?;
        }
        Ok(incident)
    }

    /// Checks `event` and appends it.
    ///
    /// # Errors
    /// [`TransitionError`] when the event is illegal now; the incident is unchanged.
    pub fn record(&mut self, event: Event) -> Result<&RecordedEvent, TransitionError> {
        self.check(&event)?;
        self.apply(&event);
        let seq = self.version() + 1;
        self.events.push(RecordedEvent { seq, event });
        let last = self.events.len() - 1;
        Ok(&self.events[last])
    }

    /// The id.
    pub fn id(&self) -> IncidentId {
        self.id
    }

    /// The dedup key it was opened with.
    pub fn dedup_key(&self) -> &str {
        &self.dedup_key
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The affected service.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The current severity.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The classification at detection.
    pub fn initial_classification(&self) -> &Classification {
        &self.classification
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The number of recorded events: the version a writer must expect.
    pub fn version(&self) -> u64 {
        self.events.len() as u64
    }

    /// The timeline.
    pub fn timeline(&self) -> &[RecordedEvent] {
        &self.events
    }

    /// The incident commander, if designated.
    pub fn commander(&self) -> Option<&str> {
        self.commander.as_deref()
    }

    /// Raised flags.
    pub fn flags(&self) -> &BTreeSet<Flag> {
        &self.flags
    }

    /// Every action, in the order proposed.
    pub fn actions(&self) -> impl Iterator<Item = &ActionRecord> {
        self.action_order.iter().filter_map(|k| self.actions.get(k))
    }

    /// One action by key.
    pub fn action(&self, key: &IdempotencyKey) -> Option<&ActionRecord> {
        self.actions.get(key)
    }

    /// When the problem started, when the detection said (it may equal detection: detected at
    /// onset).
    pub fn onset(&self) -> Option<Timestamp> {
        self.onset
    }

    /// When the problem started: the onset if known, else detection.
    pub fn started_at(&self) -> Timestamp {
        self.onset.unwrap_or_else(|| self.detected_at())
    }

    /// When it was detected.
    pub fn detected_at(&self) -> Timestamp {
        self.events[0].event.at
    }

    /// When `phase` was first entered, if it was.
    pub fn entered(&self, phase: Phase) -> Option<Timestamp> {
        self.phase_entered.get(&phase).copied()
    }

    /// Every hypothesis posted, latest assessment last.
    pub fn assessments(&self) -> impl Iterator<Item = &[Hypothesis]> {
        self.events.iter().filter_map(|e| match &e.event.kind {
            EventKind::HypothesisPosted { hypotheses } => Some(hypotheses.as_slice()),
            _ => None,
        })
    }

    /// Every piece of evidence collected.
    pub fn evidence(&self) -> impl Iterator<Item = &Evidence> {
        self.events.iter().filter_map(|e| match &e.event.kind {
            EventKind::EvidenceCollected { evidence } => Some(evidence),
            _ => None,
        })
    }

    /// Messages posted, with when.
    pub fn messages(&self) -> impl Iterator<Item = (Timestamp, MessageKind, &str)> {
        self.events.iter().filter_map(|e| match &e.event.kind {
            EventKind::MessagePosted { kind, text, .. } => Some((e.event.at, *kind, text.as_str())),
            _ => None,
        })
    }

    /// Roles escalated to so far.
    pub fn escalated_roles(&self) -> &BTreeSet<Role> {
        &self.escalated
    }

    /// The first acknowledgement: when, and by whom (`policy: ...` when the runner
    /// acknowledged by policy). `None` while nobody has.
    pub fn acknowledged(&self) -> Option<(Timestamp, &str)> {
        self.acknowledged
            .as_ref()
            .map(|(at, by)| (*at, by.as_str()))
    }

    /// The symptoms recorded at detection, when the opener gave them.
    pub fn symptoms(&self) -> Option<&Symptoms> {
        self.symptoms.as_ref()
    }

    /// The `Resolved` event's root cause and mitigation, once resolved.
    pub fn resolution(&self) -> Option<(&str, &str)> {
        self.events.iter().find_map(|e| match &e.event.kind {
            EventKind::Resolved {
                root_cause,
                mitigation,
            } => Some((root_cause.as_str(), mitigation.as_str())),
            _ => None,
        })
    }
}
