//! The fold: which event may follow which ([`Incident::check`]), and what each one changes.

use super::{ActionRecord, ActionState, Event, EventKind, Incident, Phase, QueuedMessage};
use crate::clock::Timestamp;
use crate::error::{Error, ErrorKind};
use crate::model::{IdempotencyKey, MessageKind};

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

impl Incident {
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
            EventKind::Acknowledged { .. } => {
                if !phase.is_open() {
                    refuse("only an open incident can be acknowledged".into())
                } else if let Some((_, by)) = &self.acknowledged {
                    refuse(format!("it was already acknowledged by {by}"))
                } else {
                    Ok(())
                }
            }
            EventKind::InvestigationStarted
                if !matches!(phase, Phase::Detected | Phase::Acknowledged) =>
            {
                refuse("investigation starts once, when the incident is detected".into())
            }
            EventKind::ActionWithdrawn { key, .. } => need_action_state(
                key,
                &[
                    ActionState::Proposed,
                    ActionState::Approved,
                    ActionState::Started,
                ],
            ),
            EventKind::MessageQueued { id, .. } => {
                if *id != self.queued + 1 {
                    refuse(format!(
                        "message {id} is not the next one ({})",
                        self.queued + 1
                    ))
                } else {
                    Ok(())
                }
            }
            EventKind::MessageFailed { queued, .. }
            | EventKind::MessagePosted {
                queued: Some(queued),
                ..
            } if !self.outbox.contains_key(queued) => {
                refuse(format!("message {queued} is not waiting to be delivered"))
            }
            EventKind::Escalated { role, .. } if self.escalated.contains(role) => {
                refuse(format!("{role} was already escalated to"))
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
            EventKind::ActionProposed { action, .. } => {
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
            // Anything else may be recorded at any time (the guarded kinds above, when their
            // guard holds).
            EventKind::InvestigationStarted
            | EventKind::MessageFailed { .. }
            | EventKind::CommanderAssigned { .. }
            | EventKind::Flagged { .. }
            | EventKind::EvidenceCollected { .. }
            | EventKind::Recommended { .. }
            | EventKind::MitigationVerified { .. }
            | EventKind::VerificationFailed { .. }
            | EventKind::MessagePosted { .. }
            | EventKind::Escalated { .. }
            | EventKind::Resolved { .. }
            | EventKind::PostmortemScheduled { .. }
            | EventKind::ChecklistItemDone { .. }
            | EventKind::Closed
            | EventKind::Note { .. } => Ok(()),
        }
    }

    fn enter(&mut self, phase: Phase, at: Timestamp) {
        self.phase = phase;
        self.phase_entered.entry(phase).or_insert(at);
    }

    pub(super) fn apply(&mut self, event: &Event) {
        let at = event.at;
        match &event.kind {
            EventKind::Acknowledged { by } => {
                self.acknowledged = Some((at, by.clone()));
                if self.phase == Phase::Detected {
                    self.enter(Phase::Acknowledged, at);
                }
            }
            EventKind::InvestigationStarted => self.enter(Phase::Investigating, at),
            EventKind::HypothesisPosted { .. } if self.phase == Phase::Investigating => {
                self.enter(Phase::Identified, at);
            }
            EventKind::SeverityChanged { to, .. } => self.severity = *to,
            EventKind::CommanderAssigned { who } => self.commander = Some(who.clone()),
            EventKind::Flagged { flag } => {
                self.flags.insert(*flag);
            }
            EventKind::ActionProposed {
                action,
                mitigates,
                verification,
            } => {
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
                        mitigates: mitigates.clone(),
                        verification: verification.clone(),
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
                self.set_action(key, ActionState::Succeeded, at);
                // A mitigation (not a dry run's, nor an undo) now needs its verification.
                if self
                    .actions
                    .get(key)
                    .is_some_and(|r| !r.dry_run && r.verification.is_some())
                {
                    self.pending = Some((key.clone(), false));
                }
            }
            EventKind::Recommended {
                playbook, cause, ..
            } => {
                self.recommended.insert((playbook.clone(), cause.clone()));
            }
            EventKind::ActionFailed { key, .. } => self.set_action(key, ActionState::Failed, at),
            EventKind::ActionWithdrawn { key, .. } => {
                self.set_action(key, ActionState::Withdrawn, at);
            }
            EventKind::MessageQueued {
                id,
                kind,
                to,
                text,
                mrkdwn,
            } => {
                self.queued = *id;
                self.message_kinds.push(*kind);
                self.outbox.insert(
                    *id,
                    QueuedMessage {
                        id: *id,
                        kind: *kind,
                        to: to.clone(),
                        text: text.clone(),
                        mrkdwn: mrkdwn.clone(),
                        queued_at: at,
                    },
                );
            }
            EventKind::MessageFailed { queued, .. } => {
                self.outbox.remove(queued);
            }
            EventKind::Escalated { role, .. } => {
                self.escalated.insert(*role);
            }
            EventKind::MitigationVerified { .. } => {
                if let Some((_, verified)) = &mut self.pending {
                    *verified = true;
                }
                self.enter(Phase::Monitoring, at);
            }
            EventKind::VerificationFailed { .. } => {
                self.pending = None;
                if self.phase == Phase::Monitoring {
                    self.phase = Phase::Mitigating;
                }
            }
            EventKind::Resolved { .. } => {
                self.pending = None;
                self.enter(Phase::Resolved, at);
            }
            EventKind::Closed => self.enter(Phase::Closed, at),
            EventKind::MessagePosted {
                kind,
                channel,
                provider_id,
                queued,
                ..
            } => {
                match queued {
                    Some(q) => {
                        self.outbox.remove(q);
                    }
                    None => self.message_kinds.push(*kind),
                }
                match (kind, provider_id) {
                    (MessageKind::InitialNotification, Some(id)) if self.chat_thread.is_none() => {
                        self.chat_thread = Some((channel.clone(), id.clone()));
                    }
                    (MessageKind::StatusPage(_), Some(id)) => {
                        self.status_page_incident = Some(id.clone());
                    }
                    _ => {}
                }
            }
            // Recorded in the timeline only; the queries read them from there.
            EventKind::Detected { .. }
            | EventKind::HypothesisPosted { .. }
            | EventKind::EvidenceCollected { .. }
            | EventKind::PostmortemScheduled { .. }
            | EventKind::ChecklistItemDone { .. }
            | EventKind::Note { .. } => {}
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
}
