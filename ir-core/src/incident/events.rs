//! What happened: the events an incident's timeline is made of.

use serde::{Deserialize, Serialize};

use crate::classify::{Classification, Reason};
use crate::clock::Timestamp;
use crate::error::ErrorKind;
use crate::model::{
    Action, ChecklistItem, Delivery, Evidence, Flag, Hypothesis, IdempotencyKey, MessageKind, Role,
    Verification,
};
use crate::severity::Severity;
use crate::symptoms::Symptoms;

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
        /// What was observed, so that any replica can resume the incident from the store
        /// alone ([`Runner::resume`](crate::runner::Runner::resume)). Absent in timelines
        /// written before it was recorded, and when the opener did not give them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        symptoms: Option<Symptoms>,
    },
    /// A responder acknowledged the alert: a person (through the pager, chat or
    /// [`Runner::acknowledge`](crate::runner::Runner::acknowledge)), or the runner itself when
    /// its policy says so (then `by` starts with `policy:`). Recorded once, in any open phase:
    /// the runner does not wait for it to investigate.
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
    ///
    /// A playbook's mitigation records the hypothesis it mitigates and how it will be verified,
    /// so that a resumed run verifies (and resolves on) what was decided, never re-planning;
    /// an action that is not a mitigation (the undo of a change that did not help) has neither.
    /// Build it with [`EventKind::proposed`] or [`EventKind::proposed_mitigation`].
    ActionProposed {
        /// The action.
        action: Action,
        /// The hypothesis the action mitigates; `None` when it is not a mitigation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mitigates: Option<Hypothesis>,
        /// How to tell the action worked; `None` when it is not verified.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verification: Option<Verification>,
    },
    /// A playbook's recommendations for people about one hypothesis (an index to add, a
    /// circuit breaker to build), recorded once per hypothesis.
    Recommended {
        /// The playbook whose hypothesis it is.
        playbook: String,
        /// The hypothesis' cause.
        cause: String,
        /// The recommendations, in the playbook's order.
        recommendations: Vec<String>,
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
    /// A proposed or approved action that will not be executed as recorded, or a started one
    /// that re-reading provider state showed never took effect, and that cannot be repeated as
    /// recorded (the value it sets was only in memory of a runner that stopped). The mitigation
    /// is proposed again under a new key.
    ActionWithdrawn {
        /// Its key.
        key: IdempotencyKey,
        /// Why.
        reason: String,
    },
    /// A started action failed.
    ActionFailed {
        /// Its key.
        key: IdempotencyKey,
        /// The error kind.
        kind: ErrorKind,
        /// The error's `Display`: one line that names its kind (`railway deploymentRollback:
        /// unavailable (HTTP 502): Bad Gateway`), so renderings quote it without repeating
        /// `kind`.
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
    /// A message is about to be sent: the intent, recorded (with the transition that calls for
    /// it, in the same append) before the provider is called. Its outcome is a
    /// `MessagePosted` or `MessageFailed` naming `id`; one without an outcome is in the
    /// incident's [outbox](super::Incident::outbox), delivered by the next run.
    MessageQueued {
        /// The incident's number for the message, from 1.
        id: u32,
        /// Which message.
        kind: MessageKind,
        /// Where it goes.
        to: Delivery,
        /// The rendered plain text (a page's summary).
        text: String,
        /// The rendered Slack mrkdwn, for chat.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        mrkdwn: String,
    },
    /// A queued message could not be delivered; it is not retried.
    MessageFailed {
        /// The queued message.
        queued: u32,
        /// The error, as one line.
        error: String,
    },
    /// A runbook message went out.
    ///
    /// Build it with [`EventKind::message_posted`]; [`EventKind::with_provider_id`] adds the
    /// provider's id.
    MessagePosted {
        /// Which.
        kind: MessageKind,
        /// Where (the chat channel the provider reported, `status-page`, a contact).
        channel: String,
        /// The rendered plain text.
        text: String,
        /// The provider's id of what was posted, when it reports one: for a chat message its
        /// id in `channel` (Slack's `ts`; with `channel`, the
        /// [`MessageRef`](crate::ports::MessageRef) replies are threaded under), for a
        /// status-page update the id of the public incident it went to. Read back by
        /// [`Incident::chat_thread`](super::Incident::chat_thread) and
        /// [`Incident::status_page_incident`](super::Incident::status_page_incident), so a
        /// resumed run (or another replica) posts in the same thread and updates the same
        /// public incident. Absent in timelines written before it was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider_id: Option<String>,
        /// The `MessageQueued` it delivers; `None` for a message posted without being queued.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queued: Option<u32>,
    },
    /// Someone was escalated to (once per role).
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
            symptoms: None,
        }
    }

    /// This event with the symptoms, when it is a `Detected` (any other event is returned
    /// unchanged).
    #[must_use]
    pub fn with_symptoms(mut self, given: Symptoms) -> Self {
        if let Self::Detected { symptoms, .. } = &mut self {
            *symptoms = Some(given);
        }
        self
    }

    /// Shorthand for a `Resolved` event.
    pub fn resolved(root_cause: impl Into<String>, mitigation: impl Into<String>) -> Self {
        Self::Resolved {
            root_cause: root_cause.into(),
            mitigation: mitigation.into(),
        }
    }

    /// An `ActionProposed` for an action that is not a playbook's mitigation (nothing to
    /// verify).
    pub fn proposed(action: Action) -> Self {
        Self::ActionProposed {
            action,
            mitigates: None,
            verification: None,
        }
    }

    /// An `ActionProposed` for a playbook's mitigation of `hypothesis`, verified by
    /// `verification`.
    pub fn proposed_mitigation(
        action: Action,
        hypothesis: Hypothesis,
        verification: Verification,
    ) -> Self {
        Self::ActionProposed {
            action,
            mitigates: Some(hypothesis),
            verification: Some(verification),
        }
    }

    /// A `MessagePosted` without a provider id.
    pub fn message_posted(
        kind: MessageKind,
        channel: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Self::MessagePosted {
            kind,
            channel: channel.into(),
            text: text.into(),
            provider_id: None,
            queued: None,
        }
    }

    /// This event with the provider's id, when it is a `MessagePosted` (any other event is
    /// returned unchanged).
    #[must_use]
    pub fn with_provider_id(mut self, id: Option<String>) -> Self {
        if let Self::MessagePosted { provider_id, .. } = &mut self {
            *provider_id = id;
        }
        self
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
            Self::Recommended { .. } => "recommended",
            Self::ActionApproved { .. } => "action_approved",
            Self::ActionRejected { .. } => "action_rejected",
            Self::ActionStarted { .. } => "action_started",
            Self::ActionSucceeded { .. } => "action_succeeded",
            Self::ActionWithdrawn { .. } => "action_withdrawn",
            Self::ActionFailed { .. } => "action_failed",
            Self::MitigationVerified { .. } => "mitigation_verified",
            Self::VerificationFailed { .. } => "verification_failed",
            Self::MessageQueued { .. } => "message_queued",
            Self::MessageFailed { .. } => "message_failed",
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
