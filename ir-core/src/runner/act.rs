//! Acting: an approved action executed under its lease (intent, port call, outcome), and the
//! undo of a configuration change that did not help.

use super::Drive;
use super::messages::Outgoing;
use crate::actions::{self, Payload, Reconciled};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::incident::EventKind;
use crate::model::{Action, ActionKind, IdempotencyKey, Risk, Role};
use crate::rollback::VariableChange;

impl Drive<'_> {
    /// Executes an approved action under its lease: intent, port call, outcome. Returns
    /// `false` when another replica holds the lease.
    pub(super) async fn execute(&mut self, action: &Action) -> Result<bool> {
        let key = &action.key;
        let done = self
            .under_lease(key, async |d| d.execute_leased(action).await)
            .await?;
        if done.is_none() {
            self.journal
                .push(EventKind::note(format!(
                    "action {key} is held by another replica; leaving it to them"
                )))
                .await?;
        }
        Ok(done.is_some())
    }

    /// [`Drive::execute`] once the lease is held: intent, port call, outcome.
    pub(super) async fn execute_leased(&mut self, action: &Action) -> Result<()> {
        self.journal
            .push(EventKind::ActionStarted {
                key: action.key.clone(),
                dry_run: false,
            })
            .await?;
        self.carry_out(action).await
    }

    /// The port call and its outcome, for an action whose intent is recorded.
    ///
    /// An error that says the change may have taken effect (a timeout after the request was
    /// sent, an answer lost or cut off) is not taken at its word: provider state is re-read
    /// first, and the action recorded as succeeded when it did take effect.
    pub(super) async fn carry_out(&mut self, action: &Action) -> Result<()> {
        let key = &action.key;
        if let ActionKind::AwaitRecovery { provider } = &action.kind {
            let reason = format!("{provider} appears to be having an incident of its own");
            self.escalate(Role::DevOps, reason).await?;
        }
        let payload = self.payloads.get(key).cloned().unwrap_or_default();
        let started_at = self
            .incident()
            .action(key)
            .and_then(|a| a.started_at)
            .unwrap_or_else(|| self.now());
        tracing::info!(incident = %self.incident().id(), action = %key, what = %action.kind.describe(), "executing action");
        let result = actions::execute(self.action_env(), action, &payload).await;
        let event = match result {
            Ok(done) => {
                tracing::info!(action = %key, detail = %self.journal.secrets().scrub(&done.detail), "action succeeded");
                if let Some(change) = done.change {
                    if let Some(previous) = change.previous() {
                        self.journal.secrets().add(previous);
                    }
                    self.changes.insert(key.clone(), change);
                }
                EventKind::ActionSucceeded {
                    key: key.clone(),
                    detail: done.detail,
                }
            }
            Err(e) if e.may_have_taken_effect() => {
                tracing::warn!(action = %key, error = %self.journal.secrets().scrub(&e.to_string()), "action may have taken effect; re-reading provider state");
                self.settle(action, started_at, e).await
            }
            Err(e) => {
                tracing::warn!(action = %key, error = %self.journal.secrets().scrub(&e.to_string()), "action failed");
                EventKind::ActionFailed {
                    key: key.clone(),
                    kind: e.kind(),
                    error: e.to_string(),
                }
            }
        };
        self.journal.push(event).await
    }

    /// The outcome of an action whose call failed with `error` after it may have taken
    /// effect: what provider state says.
    async fn settle(&self, action: &Action, started_at: Timestamp, error: Error) -> EventKind {
        let key = action.key.clone();
        let failed = |why: String| EventKind::ActionFailed {
            key: action.key.clone(),
            kind: error.kind(),
            error: format!("{error}; {why}"),
        };
        match actions::reconcile(self.action_env(), action, started_at).await {
            Ok(Reconciled::Succeeded(detail)) => EventKind::ActionSucceeded {
                key,
                detail: format!(
                    "{detail} (confirmed from provider state: the call itself answered \
                     \"{error}\")"
                ),
            },
            Ok(Reconciled::NotApplied(what)) => failed(format!(
                "provider state shows it did not take effect: {what}"
            )),
            Ok(Reconciled::Failed(_, why)) => failed(why),
            Err(read) => failed(format!("its state could not be read either ({read})")),
        }
    }

    /// Configuration rollback: a variable we changed that did not help goes back to the value
    /// it had, when it had one.
    pub(super) async fn undo_configuration(&mut self, action: &Action) -> Result<()> {
        let Some(change) = self.changes.remove(&action.key) else {
            return self.cannot_undo(action).await;
        };
        if !change.had_previous() {
            return Ok(());
        }
        let key = IdempotencyKey::new(format!("{}/restore", action.key));
        if self.incident().action(&key).is_some() {
            return Ok(());
        }
        let restore = Action::new(
            key.as_str(),
            ActionKind::RestoreVariable {
                name: change.name().to_owned(),
                value_fingerprint: change.previous_fingerprint(),
            },
        )
        .with_risk(Risk::Reversible);
        self.journal
            .record(vec![
                EventKind::proposed(restore.clone()),
                EventKind::ActionApproved {
                    key: key.clone(),
                    by: "policy: undo of our own change that did not help".into(),
                },
            ])
            .await?;
        // Held elsewhere: that replica restores it.
        self.under_lease(&key, async |d| d.restore_leased(&restore, &change).await)
            .await
            .map(|_| ())
    }

    /// A configuration change that did not help, made before a restart: its previous value was
    /// only ever in memory, so people are told to restore it.
    pub(super) async fn cannot_undo(&mut self, action: &Action) -> Result<()> {
        let Some(name) = action.kind.changed_variable() else {
            return Ok(());
        };
        let reason = format!(
            "{} did not help, and the previous value of {name} was not kept across the \
             runner's restart; restore it by hand if it had one",
            action.kind.describe()
        );
        self.journal.push(EventKind::note(reason.clone())).await?;
        let role = Role::EngineeringLead;
        if self.incident().escalated_roles().contains(&role) {
            // Already escalated: tell them again, in chat.
            let contacts = self.r.escalation.contacts(role).to_vec();
            self.post(Outgoing::Escalation {
                role,
                contacts,
                reason,
            })
            .await
        } else {
            self.escalate(role, reason).await
        }
    }

    /// [`Drive::undo_configuration`] once the lease is held: intent, restore (through the
    /// configuration family, with the previous value as its payload), outcome.
    pub(super) async fn restore_leased(
        &mut self,
        restore: &Action,
        change: &VariableChange,
    ) -> Result<()> {
        self.payloads.insert(
            restore.key.clone(),
            Payload {
                value: change.previous().cloned(),
                ..Payload::default()
            },
        );
        self.execute_leased(restore).await
    }
}
