//! Acting: an approved action executed under its lease (intent, port call, outcome), and the
//! undo of a configuration change that did not help.

use super::Drive;
use super::messages::Outgoing;
use crate::actions;
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
        let key = &action.key;
        self.journal
            .push(EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false,
            })
            .await?;
        if let ActionKind::AwaitRecovery { provider } = &action.kind {
            let reason = format!("{provider} appears to be having an incident of its own");
            self.escalate(Role::DevOps, reason).await?;
        }
        let payload = self.payloads.get(key).cloned().unwrap_or_default();
        tracing::info!(incident = %self.incident().id(), action = %key, what = %action.kind.describe(), "executing action");
        let result = actions::execute(self.action_env(), action, &payload).await;
        match &result {
            Ok(done) => tracing::info!(action = %key, detail = %done.detail, "action succeeded"),
            Err(e) => tracing::warn!(action = %key, error = %e, "action failed"),
        }
        let event = match result {
            Ok(done) => {
                if let Some(change) = done.change {
                    self.changes.insert(key.clone(), change);
                }
                EventKind::ActionSucceeded {
                    key: key.clone(),
                    detail: done.detail,
                }
            }
            Err(e) => EventKind::ActionFailed {
                key: key.clone(),
                kind: e.kind(),
                error: e.to_string(),
            },
        };
        self.journal.push(event).await
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
        self.under_lease(&key, async |d| d.restore_leased(&key, &change).await)
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

    /// [`Drive::undo_configuration`] once the lease is held: intent, restore, outcome.
    pub(super) async fn restore_leased(
        &mut self,
        key: &IdempotencyKey,
        change: &VariableChange,
    ) -> Result<()> {
        self.journal
            .push(EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false,
            })
            .await?;
        let result = match &self.r.providers.variables {
            Some(store) => change.restore(store.as_ref()).await,
            None => Err(Error::unsupported("no VariableStore is configured")),
        };
        let event = match result {
            Ok(()) => EventKind::ActionSucceeded {
                key: key.clone(),
                detail: format!(
                    "restored {} to its previous value ({})",
                    change.name(),
                    change.previous_fingerprint().unwrap_or_default()
                ),
            },
            Err(e) => EventKind::ActionFailed {
                key: key.clone(),
                kind: e.kind(),
                error: e.to_string(),
            },
        };
        self.journal.push(event).await
    }
}
