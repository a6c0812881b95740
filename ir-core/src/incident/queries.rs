//! What the runner asks of the timeline: what was interrupted, what is pending, what was
//! already recommended, which chat thread and status-page incident its messages go to. Each answer is kept by the fold as events are recorded, so asking
//! never re-scans the timeline.

use super::{ActionRecord, ActionState, Incident, Phase, QueuedMessage};
use crate::model::MessageKind;

/// What a succeeded mitigation still needs ([`Incident::pending_verification`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pending<'a> {
    /// Its verification did not run, or did not finish.
    Verify(&'a ActionRecord),
    /// It was verified; the monitoring window did not finish.
    Monitor(&'a ActionRecord),
}

impl<'a> Pending<'a> {
    /// The mitigation.
    pub fn action(&self) -> &'a ActionRecord {
        match self {
            Self::Verify(r) | Self::Monitor(r) => r,
        }
    }
}

impl Incident {
    /// Actions whose intent was recorded (`ActionStarted`) and not their outcome: a run
    /// stopped between the two. In the order they were proposed.
    pub fn interrupted_actions(&self) -> impl Iterator<Item = &ActionRecord> {
        self.actions().filter(|a| a.state == ActionState::Started)
    }

    /// The last succeeded mitigation (an action proposed with a verification, not a dry run's)
    /// whose verification did not run or whose monitoring window did not finish; `None` once
    /// a verification failed after it, or the incident is resolved.
    pub fn pending_verification(&self) -> Option<Pending<'_>> {
        let (key, verified) = self.pending.as_ref()?;
        let record = self.action(key)?;
        Some(if *verified && self.phase == Phase::Monitoring {
            Pending::Monitor(record)
        } else {
            Pending::Verify(record)
        })
    }

    /// Whether the recommendations for the hypothesis `cause` of `playbook` were recorded.
    pub fn recommended(&self, playbook: &str, cause: &str) -> bool {
        self.recommended
            .contains(&(playbook.to_owned(), cause.to_owned()))
    }

    /// The chat thread of the incident: the channel and provider id (Slack's `ts`) of the
    /// first initial notification posted with one. Status updates, escalations and the
    /// resolution are replies under it. `None` until then, or when the chat reports no ids.
    pub fn chat_thread(&self) -> Option<(&str, &str)> {
        self.chat_thread
            .as_ref()
            .map(|(channel, id)| (channel.as_str(), id.as_str()))
    }

    /// The provider's id of the public status-page incident, as the last status-page update
    /// recorded with one reported it; the next update goes to that incident.
    pub fn status_page_incident(&self) -> Option<&str> {
        self.status_page_incident.as_deref()
    }

    /// Messages queued and not yet delivered, oldest first: what a crash left between a
    /// message's intent and its outcome, delivered by the next run.
    pub fn outbox(&self) -> impl Iterator<Item = &QueuedMessage> {
        self.outbox.values()
    }

    /// The number the next queued message takes.
    pub fn next_message_id(&self) -> u32 {
        self.queued + 1
    }

    /// Whether a message of `kind` was queued (or posted) already, delivered or not.
    pub fn has_message(&self, kind: MessageKind) -> bool {
        self.message_kinds.contains(&kind)
    }
}
