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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::classify::{Classification, Reason};
use crate::clock::{Timestamp, to_std};
use crate::error::{Error, ErrorKind};
use crate::model::{
    Action, ChecklistItem, Evidence, Flag, Hypothesis, IdempotencyKey, IncidentId, MessageKind,
    Role,
};
use crate::severity::{Severity, SeverityPolicy};

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

/// What happened. Secret values never appear in an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum EventKind {
    /// The incident was opened. Always the first event, and only once.
    Detected {
        /// Short title.
        title: String,
        /// The affected service.
        service: String,
        /// The classification at detection.
        classification: Classification,
        /// When the problem started, if known earlier than detection (for MTTD).
        onset: Option<Timestamp>,
    },
    /// A responder acknowledged the alert.
    Acknowledged {
        /// Who.
        by: String,
    },
    /// Diagnosis started.
    InvestigationStarted,
    /// Re-classification changed the severity.
    SeverityChanged {
        /// Before.
        from: Severity,
        /// After.
        to: Severity,
        /// Why.
        reasons: Vec<Reason>,
    },
    /// An incident commander was designated.
    CommanderAssigned {
        /// Who.
        who: String,
    },
    /// A flag that changes escalation was raised.
    Flagged {
        /// The flag.
        flag: Flag,
    },
    /// A probe's result.
    EvidenceCollected {
        /// The evidence.
        evidence: Evidence,
    },
    /// A ranked assessment.
    HypothesisPosted {
        /// Hypotheses, most confident first.
        hypotheses: Vec<Hypothesis>,
    },
    /// A mitigation was proposed.
    ActionProposed {
        /// The action.
        action: Action,
    },
    /// A proposed action was approved.
    ActionApproved {
        /// Its key.
        key: IdempotencyKey,
        /// By whom (or `policy`).
        by: String,
    },
    /// A proposed action was rejected.
    ActionRejected {
        /// Its key.
        key: IdempotencyKey,
        /// By whom.
        by: String,
        /// Why.
        reason: String,
    },
    /// An approved action is about to be executed (recorded before the port is called).
    ActionStarted {
        /// Its key.
        key: IdempotencyKey,
        /// `true` when nothing will actually be changed.
        dry_run: bool,
    },
    /// A started action succeeded.
    ActionSucceeded {
        /// Its key.
        key: IdempotencyKey,
        /// What the provider reported.
        detail: String,
    },
    /// A started action failed.
    ActionFailed {
        /// Its key.
        key: IdempotencyKey,
        /// The error kind.
        kind: ErrorKind,
        /// The error, as one line.
        error: String,
    },
    /// Verification showed the service healthy again.
    MitigationVerified {
        /// What was checked.
        summary: String,
    },
    /// Verification did not show recovery within its deadline.
    VerificationFailed {
        /// What was checked and seen.
        summary: String,
    },
    /// A runbook message went out.
    MessagePosted {
        /// Which.
        kind: MessageKind,
        /// Where (`#incident-response`, `status-page`, a contact).
        channel: String,
        /// The rendered plain text.
        text: String,
    },
    /// Someone was escalated to.
    Escalated {
        /// The role.
        role: Role,
        /// Why.
        reason: String,
    },
    /// The resolution criteria hold.
    Resolved {
        /// Root cause, or why it is deferred.
        root_cause: String,
        /// The mitigation that worked.
        mitigation: String,
    },
    /// The postmortem was scheduled.
    PostmortemScheduled {
        /// When it takes place.
        at: Timestamp,
    },
    /// A post-incident checklist item was done.
    ChecklistItemDone {
        /// The item.
        item: ChecklistItem,
    },
    /// The incident is closed.
    Closed,
    /// Free text.
    Note {
        /// The text.
        text: String,
    },
}

impl EventKind {
    /// Shorthand for a `Detected` event.
    pub fn detected(
        title: impl Into<String>,
        service: impl Into<String>,
        classification: Classification,
        onset: Option<Timestamp>,
    ) -> Self {
        Self::Detected {
            title: title.into(),
            service: service.into(),
            classification,
            onset,
        }
    }

    /// Shorthand for a `Resolved` event.
    pub fn resolved(root_cause: impl Into<String>, mitigation: impl Into<String>) -> Self {
        Self::Resolved {
            root_cause: root_cause.into(),
            mitigation: mitigation.into(),
        }
    }

    /// Shorthand for a `Note`.
    pub fn note(text: impl Into<String>) -> Self {
        Self::Note { text: text.into() }
    }

    /// The event's snake-case type name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Detected { .. } => "detected",
            Self::Acknowledged { .. } => "acknowledged",
            Self::InvestigationStarted => "investigation_started",
            Self::SeverityChanged { .. } => "severity_changed",
            Self::CommanderAssigned { .. } => "commander_assigned",
            Self::Flagged { .. } => "flagged",
            Self::EvidenceCollected { .. } => "evidence_collected",
            Self::HypothesisPosted { .. } => "hypothesis_posted",
            Self::ActionProposed { .. } => "action_proposed",
            Self::ActionApproved { .. } => "action_approved",
            Self::ActionRejected { .. } => "action_rejected",
            Self::ActionStarted { .. } => "action_started",
            Self::ActionSucceeded { .. } => "action_succeeded",
            Self::ActionFailed { .. } => "action_failed",
            Self::MitigationVerified { .. } => "mitigation_verified",
            Self::VerificationFailed { .. } => "verification_failed",
            Self::MessagePosted { .. } => "message_posted",
            Self::Escalated { .. } => "escalated",
            Self::Resolved { .. } => "resolved",
            Self::PostmortemScheduled { .. } => "postmortem_scheduled",
            Self::ChecklistItemDone { .. } => "checklist_item_done",
            Self::Closed => "closed",
            Self::Note { .. } => "note",
        }
    }

    /// Whether, once recorded, the incident no longer holds its dedup key (it is resolved or
    /// closed, so the next alert opens a new incident).
    pub fn releases_dedup_key(&self) -> bool {
        matches!(self, Self::Resolved { .. } | Self::Closed)
    }
}

/// An event before it is recorded: when, who, what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it (a person, or the component: `runner`, `health-watcher`).
    pub actor: String,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// A new event.
    pub fn new(at: Timestamp, actor: impl Into<String>, kind: EventKind) -> Self {
        Self {
            at,
            actor: actor.into(),
            kind,
        }
    }
}

/// An event in the timeline, numbered from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// Position in the timeline (1-based); the incident's version after it.
    pub seq: u64,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} refused in phase {phase}: {reason}")]
pub struct TransitionError {
    /// The phase the incident was in.
    pub phase: Phase,
    /// The refused event's type name.
    pub event: &'static str,
    /// Why.
    pub reason: String,
}

impl From<TransitionError> for Error {
    fn from(e: TransitionError) -> Self {
        Error::new(ErrorKind::InvalidInput, e.to_string())
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

    /// Whether `event` may be recorded now.
    ///
    /// # Errors
    /// [`TransitionError`] saying why not.
    pub fn check(&self, event: &Event) -> Result<(), TransitionError> {
        let refuse = |reason: String| {
            Err(TransitionError {
                phase: self.phase,
                event: event.kind.name(),
                reason,
            })
        };
        if let Some(last) = self.events.last()
            && event.at < last.event.at
        {
            return refuse(format!(
                "its time {} is before the last event's {}",
                event.at, last.event.at
            ));
        }
        let phase = self.phase;
        if phase == Phase::Closed && !matches!(event.kind, EventKind::Note { .. }) {
            return refuse("the incident is closed; only notes may be added".into());
        }
        let action = |key: &IdempotencyKey| self.actions.get(key);
        let need_action_state = |key: &IdempotencyKey, want: &[ActionState]| match action(key) {
            None => refuse(format!("no action {key} was proposed")),
            Some(r) if want.contains(&r.state) => Ok(()),
            Some(r) => refuse(format!("action {key} is {:?}", r.state)),
        };
        match &event.kind {
            EventKind::Detected { .. } => refuse("the incident was already detected".into()),
            EventKind::Acknowledged { .. } if phase != Phase::Detected => {
                refuse("only a detected incident can be acknowledged".into())
            }
            EventKind::InvestigationStarted if phase != Phase::Acknowledged => {
                refuse("investigation starts after acknowledgement".into())
            }
            EventKind::HypothesisPosted { hypotheses } => {
                if !(Phase::Investigating..=Phase::Monitoring).contains(&phase) {
                    refuse("hypotheses are posted while investigating or mitigating".into())
                } else if hypotheses
                    .iter()
                    .any(|h| !(0.0..=1.0).contains(&h.confidence))
                {
                    refuse("confidence must lie within 0..=1".into())
                } else {
                    Ok(())
                }
            }
            EventKind::ActionProposed { action } => {
                if !phase.is_open() {
                    refuse("actions are proposed while the incident is open".into())
                } else if self.actions.contains_key(&action.key) {
                    refuse(format!("action {} was already proposed", action.key))
                } else {
                    Ok(())
                }
            }
            EventKind::ActionApproved { key, .. } | EventKind::ActionRejected { key, .. } => {
                need_action_state(key, &[ActionState::Proposed])
            }
            EventKind::ActionStarted { key, .. } => {
                if !(Phase::Identified..=Phase::Monitoring).contains(&phase) {
                    refuse("actions start once a cause is identified".into())
                } else {
                    need_action_state(key, &[ActionState::Approved])
                }
            }
            EventKind::ActionSucceeded { key, .. } | EventKind::ActionFailed { key, .. } => {
                need_action_state(key, &[ActionState::Started])
            }
            EventKind::MitigationVerified { .. } if phase != Phase::Mitigating => {
                refuse("verification follows a mitigation".into())
            }
            EventKind::VerificationFailed { .. }
                if !matches!(phase, Phase::Mitigating | Phase::Monitoring) =>
            {
                refuse("verification follows a mitigation".into())
            }
            EventKind::Resolved { .. } if phase != Phase::Monitoring => {
                refuse("an incident is resolved after its mitigation was verified".into())
            }
            EventKind::Closed if phase != Phase::Resolved => {
                refuse("only a resolved incident can be closed".into())
            }
            EventKind::SeverityChanged { from, to, .. } => {
                if *from != self.severity {
                    refuse(format!("severity is {}, not {from}", self.severity))
                } else if from == to {
                    refuse("severity did not change".into())
                } else if !phase.is_open() {
                    refuse("severity changes while the incident is open".into())
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    fn enter(&mut self, phase: Phase, at: Timestamp) {
        self.phase = phase;
        self.phase_entered.entry(phase).or_insert(at);
    }

    fn apply(&mut self, event: &Event) {
        let at = event.at;
        match &event.kind {
            EventKind::Acknowledged { .. } => self.enter(Phase::Acknowledged, at),
            EventKind::InvestigationStarted => self.enter(Phase::Investigating, at),
            EventKind::HypothesisPosted { .. } if self.phase == Phase::Investigating => {
                self.enter(Phase::Identified, at);
            }
            EventKind::SeverityChanged { to, .. } => self.severity = *to,
            EventKind::CommanderAssigned { who } => self.commander = Some(who.clone()),
            EventKind::Flagged { flag } => {
                self.flags.insert(*flag);
            }
            EventKind::ActionProposed { action } => {
                self.action_order.push(action.key.clone());
                self.actions.insert(
                    action.key.clone(),
                    ActionRecord {
                        action: action.clone(),
                        state: ActionState::Proposed,
                        dry_run: false,
                        proposed_at: at,
                        started_at: None,
                        finished_at: None,
                    },
                );
            }
            EventKind::ActionApproved { key, .. } => {
                self.set_action(key, ActionState::Approved, at)
            }
            EventKind::ActionRejected { key, .. } => {
                self.set_action(key, ActionState::Rejected, at)
            }
            EventKind::ActionStarted { key, dry_run } => {
                if let Some(r) = self.actions.get_mut(key) {
                    r.state = ActionState::Started;
                    r.dry_run = *dry_run;
                    r.started_at = Some(at);
                }
                if self.phase != Phase::Mitigating {
                    self.phase = Phase::Mitigating;
                    self.phase_entered.entry(Phase::Mitigating).or_insert(at);
                }
            }
            EventKind::ActionSucceeded { key, .. } => {
                self.set_action(key, ActionState::Succeeded, at)
            }
            EventKind::ActionFailed { key, .. } => self.set_action(key, ActionState::Failed, at),
            EventKind::MitigationVerified { .. } => self.enter(Phase::Monitoring, at),
            EventKind::VerificationFailed { .. } if self.phase == Phase::Monitoring => {
                self.phase = Phase::Mitigating;
            }
            EventKind::Resolved { .. } => self.enter(Phase::Resolved, at),
            EventKind::Closed => self.enter(Phase::Closed, at),
            _ => {}
        }
    }

    fn set_action(&mut self, key: &IdempotencyKey, state: ActionState, at: Timestamp) {
        if let Some(r) = self.actions.get_mut(key) {
            r.state = state;
            if matches!(state, ActionState::Succeeded | ActionState::Failed) {
                r.finished_at = Some(at);
            }
        }
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
    pub fn escalated_roles(&self) -> BTreeSet<Role> {
        self.events
            .iter()
            .filter_map(|e| match &e.event.kind {
                EventKind::Escalated { role, .. } => Some(*role),
                _ => None,
            })
            .collect()
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

    /// Mean time to detect: onset to detection (zero when the onset is unknown).
    pub fn mttd(&self) -> Duration {
        to_std(self.detected_at() - self.started_at())
    }

    /// Mean time to acknowledge: detection to acknowledgement.
    pub fn mtta(&self) -> Option<Duration> {
        self.entered(Phase::Acknowledged)
            .map(|t| to_std(t - self.detected_at()))
    }

    /// Mean time to resolve: detection to resolution.
    pub fn mttr(&self) -> Option<Duration> {
        self.entered(Phase::Resolved)
            .map(|t| to_std(t - self.detected_at()))
    }

    /// How long the incident has lasted: detection to resolution, or to `now` while open.
    pub fn duration(&self, now: Timestamp) -> Duration {
        let end = self.entered(Phase::Resolved).unwrap_or(now);
        to_std(end - self.detected_at())
    }

    /// Time spent in each phase entered so far; the current phase counts up to `now`
    /// (or to closing).
    pub fn time_in_phases(&self, now: Timestamp) -> Vec<(Phase, Duration)> {
        let mut entries: Vec<(Phase, Timestamp)> =
            self.phase_entered.iter().map(|(p, t)| (*p, *t)).collect();
        entries.sort_by_key(|(p, t)| (*t, *p));
        let mut out = Vec::with_capacity(entries.len());
        for (i, (phase, start)) in entries.iter().enumerate() {
            let end = match entries.get(i + 1) {
                Some((_, next)) => *next,
                None if *phase == Phase::Closed => *start,
                None => now.max(*start),
            };
            out.push((*phase, to_std(end - *start)));
        }
        out
    }

    /// The event recording a re-classification, when it changes the severity: an escalation
    /// (more severe) or a downgrade, with the new classification's reasons. `None` when the
    /// severity stays.
    pub fn reclassify(&self, classification: &Classification) -> Option<EventKind> {
        (classification.severity != self.severity).then(|| EventKind::SeverityChanged {
            from: self.severity,
            to: classification.severity,
            reasons: classification.reasons.clone(),
        })
    }

    /// Response targets missed (or being missed at `now`) under the current severity.
    pub fn sla_breaches(&self, policy: &SeverityPolicy, now: Timestamp) -> Vec<SlaBreach> {
        let targets = policy.targets(self.severity);
        let detected = self.detected_at();
        let mut out = Vec::new();
        let mut check = |target: SlaTarget, limit: Duration, done: Option<Timestamp>| {
            let elapsed = to_std(done.unwrap_or(now) - detected);
            if elapsed > limit {
                out.push(SlaBreach {
                    target,
                    limit,
                    elapsed,
                    met_late: done.is_some(),
                });
            }
        };
        check(
            SlaTarget::Acknowledge,
            targets.acknowledge,
            self.entered(Phase::Acknowledged),
        );
        if let Some(limit) = targets.initial_assessment {
            check(
                SlaTarget::InitialAssessment,
                limit,
                self.entered(Phase::Identified),
            );
        }
        check(
            SlaTarget::Resolution,
            targets.resolution,
            self.entered(Phase::Resolved),
        );
        out
    }
}

/// Which response target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// Acknowledge.
    Acknowledge,
    /// Initial assessment (a hypothesis posted).
    InitialAssessment,
    /// Resolution.
    Resolution,
}

/// A response target that was (or is being) missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaBreach {
    /// Which target.
    pub target: SlaTarget,
    /// The limit.
    #[serde(with = "humantime_serde")]
    pub limit: Duration,
    /// Time taken so far (or in all, when met late).
    #[serde(with = "humantime_serde")]
    pub elapsed: Duration,
    /// `true` when the step was done, late; `false` when it is still not done.
    pub met_late: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Reachability, Signals, classify};
    use crate::model::ActionKind;
    use crate::model::DeploymentId;

    pub(crate) fn t(min: i64) -> Timestamp {
        let base: Timestamp = "2026-02-08T15:30:00Z".parse().unwrap();
        base + chrono::Duration::minutes(min)
    }

    fn p1() -> Classification {
        classify(
            &Signals {
                pool_exhausted: true,
                ..Signals::default()
            },
            &SeverityPolicy::runbook(),
        )
    }

    fn opened() -> Incident {
        let detected = Event::new(
            t(0),
            "watcher",
            EventKind::detected("Dashboard 500s", "web", p1(), Some(t(-4))),
        );
        Incident::open(IncidentId::random(), "k", detected).unwrap()
    }

    fn ev(min: i64, kind: EventKind) -> Event {
        Event::new(t(min), "tester", kind)
    }

    fn rollback() -> Action {
        Action::new(
            "rollback-1",
            ActionKind::Rollback {
                to: DeploymentId::new("d1"),
                from: None,
            },
        )
    }

    fn walk_to_resolved() -> Incident {
        let mut i = opened();
        let key = rollback().key;
        for e in [
            ev(2, EventKind::Acknowledged { by: "alice".into() }),
            ev(3, EventKind::InvestigationStarted),
            ev(8, EventKind::HypothesisPosted { hypotheses: vec![] }),
            ev(9, EventKind::ActionProposed { action: rollback() }),
            ev(
                9,
                EventKind::ActionApproved {
                    key: key.clone(),
                    by: "policy".into(),
                },
            ),
            ev(
                10,
                EventKind::ActionStarted {
                    key: key.clone(),
                    dry_run: false,
                },
            ),
            ev(
                12,
                EventKind::ActionSucceeded {
                    key,
                    detail: "ok".into(),
                },
            ),
            ev(
                15,
                EventKind::MitigationVerified {
                    summary: "200 x3".into(),
                },
            ),
            ev(30, EventKind::resolved("bad deploy", "rollback")),
        ] {
            i.record(e).unwrap();
        }
        i
    }

    #[test]
    fn lifecycle_and_metrics() {
        let i = walk_to_resolved();
        assert_eq!(i.phase(), Phase::Resolved);
        assert_eq!(i.mttd(), Duration::from_secs(4 * 60));
        assert_eq!(i.mtta(), Some(Duration::from_secs(2 * 60)));
        assert_eq!(i.mttr(), Some(Duration::from_secs(30 * 60)));
        let phases = i.time_in_phases(t(40));
        assert_eq!(phases[0], (Phase::Detected, Duration::from_secs(120)));
        assert_eq!(
            phases.last().copied(),
            Some((Phase::Resolved, Duration::from_secs(600)))
        );
        assert_eq!(
            i.action(&rollback().key).map(|r| r.state),
            Some(ActionState::Succeeded)
        );
        assert!(i.sla_breaches(&SeverityPolicy::runbook(), t(40)).is_empty());
    }

    #[test]
    fn refolding_gives_the_same_incident() {
        let i = walk_to_resolved();
        let again = Incident::from_timeline(i.id(), i.dedup_key(), i.timeline()).unwrap();
        assert_eq!(again, i);
    }

    #[test]
    fn illegal_moves_are_refused_and_change_nothing() {
        let mut i = opened();
        let before = i.clone();
        for kind in [
            EventKind::InvestigationStarted,
            EventKind::resolved("x", "y"),
            EventKind::Closed,
            EventKind::MitigationVerified {
                summary: "x".into(),
            },
            EventKind::ActionStarted {
                key: IdempotencyKey::new("nope"),
                dry_run: false,
            },
            EventKind::detected("again", "web", p1(), None),
        ] {
            let err = i.record(ev(1, kind)).unwrap_err();
            assert_eq!(err.phase, Phase::Detected);
        }
        assert_eq!(i, before);
    }

    #[test]
    fn events_may_not_go_back_in_time() {
        let mut i = opened();
        let err = i.record(ev(-1, EventKind::note("late"))).unwrap_err();
        assert!(err.reason.contains("before"), "{err}");
    }

    #[test]
    fn an_action_runs_only_after_approval_and_finishes_once() {
        let mut i = opened();
        i.record(ev(1, EventKind::Acknowledged { by: "a".into() }))
            .unwrap();
        i.record(ev(1, EventKind::InvestigationStarted)).unwrap();
        i.record(ev(2, EventKind::HypothesisPosted { hypotheses: vec![] }))
            .unwrap();
        i.record(ev(2, EventKind::ActionProposed { action: rollback() }))
            .unwrap();
        let key = rollback().key;
        assert!(
            i.record(ev(
                3,
                EventKind::ActionStarted {
                    key: key.clone(),
                    dry_run: false
                }
            ))
            .is_err()
        );
        assert!(
            i.record(ev(3, EventKind::ActionProposed { action: rollback() }))
                .is_err()
        );
        i.record(ev(
            3,
            EventKind::ActionApproved {
                key: key.clone(),
                by: "p".into(),
            },
        ))
        .unwrap();
        i.record(ev(
            3,
            EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false,
            },
        ))
        .unwrap();
        assert_eq!(i.phase(), Phase::Mitigating);
        i.record(ev(
            4,
            EventKind::ActionFailed {
                key: key.clone(),
                kind: ErrorKind::Timeout,
                error: "t".into(),
            },
        ))
        .unwrap();
        assert!(
            i.record(ev(
                4,
                EventKind::ActionSucceeded {
                    key,
                    detail: "late".into()
                }
            ))
            .is_err()
        );
    }

    #[test]
    fn sla_breach_when_p0_not_acknowledged_in_five_minutes() {
        let signals = Signals {
            homepage: Some(Reachability::Status(502)),
            ..Signals::default()
        };
        let c = classify(&signals, &SeverityPolicy::runbook());
        let i = Incident::open(
            IncidentId::random(),
            "k",
            ev(0, EventKind::detected("down", "web", c, None)),
        )
        .unwrap();
        let policy = SeverityPolicy::runbook();
        assert!(i.sla_breaches(&policy, t(5)).is_empty());
        let breaches = i.sla_breaches(&policy, t(6));
        assert_eq!(breaches.len(), 1);
        assert_eq!(breaches[0].target, SlaTarget::Acknowledge);
        assert!(!breaches[0].met_late);
    }

    #[test]
    fn reclassifying_records_an_escalation_or_a_downgrade_with_reasons() {
        let i = opened();
        let same = classify(
            &Signals {
                pool_exhausted: true,
                ..Signals::default()
            },
            &SeverityPolicy::runbook(),
        );
        assert_eq!(i.reclassify(&same), None);
        let worse = classify(
            &Signals {
                homepage: Some(Reachability::Status(503)),
                pool_exhausted: true,
                ..Signals::default()
            },
            &SeverityPolicy::runbook(),
        );
        let Some(EventKind::SeverityChanged { from, to, reasons }) = i.reclassify(&worse) else {
            panic!("expected an escalation");
        };
        assert_eq!((from, to), (Severity::P1, Severity::P0));
        assert_eq!(reasons[0].rule, crate::classify::Rule::HomepageDown);
        let better = classify(
            &Signals {
                p95_latency: Some(Duration::from_secs(7)),
                ..Signals::default()
            },
            &SeverityPolicy::runbook(),
        );
        let mut i = i;
        let downgrade = i.reclassify(&better).unwrap();
        i.record(ev(5, downgrade)).unwrap();
        assert_eq!(i.severity(), Severity::P2);
    }

    #[test]
    fn severity_change_needs_the_current_severity() {
        let mut i = opened();
        let wrong = EventKind::SeverityChanged {
            from: Severity::P2,
            to: Severity::P0,
            reasons: vec![],
        };
        assert!(i.record(ev(1, wrong)).is_err());
        let right = EventKind::SeverityChanged {
            from: Severity::P1,
            to: Severity::P0,
            reasons: vec![],
        };
        i.record(ev(1, right)).unwrap();
        assert_eq!(i.severity(), Severity::P0);
    }
}
