//! Resuming: actions whose intent was recorded without an outcome are reconciled against
//! provider state, and a succeeded mitigation whose verification did not finish is verified.

use super::{Drive, Outcome, Tried};
use crate::actions::{self, Reconciled};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::incident::{EventKind, Pending};
use crate::model::Verification;
use crate::model::{Action, Hypothesis};

impl Drive<'_> {
    /// Actions whose intent was recorded but not their outcome: re-read provider state.
    ///
    /// An interrupted action whose lease another replica holds is still being executed there:
    /// the run stops with [`Outcome::HeldElsewhere`] rather than trying another mitigation
    /// while that one is in flight.
    pub(super) async fn resume_interrupted(&mut self) -> Result<Option<Outcome>> {
        let detected = self.incident().detected_at();
        let interrupted: Vec<(Action, Timestamp, bool)> = self
            .incident()
            .interrupted_actions()
            .map(|a| {
                (
                    a.action.clone(),
                    a.started_at.unwrap_or(detected),
                    a.dry_run,
                )
            })
            .collect();
        for (action, started_at, dry_run) in interrupted {
            if dry_run {
                let detail = actions::dry_run_detail(&action);
                self.journal
                    .push(EventKind::ActionSucceeded {
                        key: action.key.clone(),
                        detail,
                    })
                    .await?;
                continue;
            }
            let reconciled = self
                .under_lease(&action.key, async |d| {
                    d.reconcile_leased(&action, started_at).await
                })
                .await?;
            if reconciled.is_none() {
                self.journal
                    .push(EventKind::note(format!(
                        "action {} is still being executed by another replica; leaving it to them",
                        action.key
                    )))
                    .await?;
                return Ok(Some(Outcome::HeldElsewhere { key: action.key }));
            }
        }
        Ok(None)
    }

    /// [`Drive::resume_interrupted`] for one action, once its lease is held: provider state
    /// re-read, the outcome recorded. An action that provider state shows did not take
    /// effect is carried out now, or, when it needs a value only the stopped run held,
    /// withdrawn (the mitigation is then proposed again). A temporary error leaves the action
    /// started.
    async fn reconcile_leased(&mut self, action: &Action, started_at: Timestamp) -> Result<()> {
        let reconciled = actions::reconcile(self.action_env(), action, started_at).await;
        let event = match reconciled {
            Ok(Reconciled::Succeeded(detail)) => EventKind::ActionSucceeded {
                key: action.key.clone(),
                detail,
            },
            Ok(Reconciled::NotApplied(what)) => {
                if action.kind.needs_payload() && !self.payloads.contains_key(&action.key) {
                    EventKind::ActionWithdrawn {
                        key: action.key.clone(),
                        reason: format!(
                            "interrupted before it took effect ({what}), and what it needs was \
                             only in the memory of the run that stopped; proposing it again"
                        ),
                    }
                } else {
                    self.journal
                        .push(EventKind::note(format!(
                            "{} was interrupted before it took effect ({what}); carrying it out now",
                            action.kind.describe()
                        )))
                        .await?;
                    return self.carry_out(action).await;
                }
            }
            Ok(Reconciled::Failed(kind, error)) => EventKind::ActionFailed {
                key: action.key.clone(),
                kind,
                error,
            },
            // The provider cannot say now: the outcome stays unknown (the action stays
            // Started) and the run stops, to be resumed once it answers.
            Err(e) if e.is_temporary() => return Err(e),
            Err(e) => EventKind::ActionFailed {
                key: action.key.clone(),
                kind: e.kind(),
                error: format!(
                    "interrupted before its outcome was recorded, and its state could not \
                     be read ({e}); not repeated"
                ),
            },
        };
        self.journal.push(event).await
    }

    /// A succeeded mitigation with no verification after it (crash after the outcome), or a
    /// verified one whose monitoring did not finish ([`Incident::pending_verification`]): it is
    /// verified, or monitored, with the verification and hypothesis recorded when it was
    /// proposed. Nothing is planned again.
    ///
    /// [`Incident::pending_verification`]: crate::incident::Incident::pending_verification
    pub(super) async fn finish_pending_verification(&mut self) -> Result<Option<Outcome>> {
        let Some(pending) = self.incident().pending_verification() else {
            return Ok(None);
        };
        let monitor = matches!(pending, Pending::Monitor(_));
        let record = pending.action().clone();
        // Recorded with the proposal; a timeline written before that was recorded falls back
        // to the leading hypothesis.
        let hypothesis = record.mitigates.clone().unwrap_or_else(|| self.leading());
        let verification = record
            .verification
            .clone()
            .unwrap_or_else(|| Verification::health(self.r.config.health_path.clone()));
        let outcome = if monitor {
            self.monitor_and_resolve(&record.action, &hypothesis, &verification)
                .await?
        } else {
            self.verify_and_resolve(&record.action, &hypothesis, &verification)
                .await?
        };
        Ok(match outcome {
            Tried::Resolved(o) | Tried::Stop(o) => Some(o),
            Tried::Next => None,
        })
    }

    /// The leading hypothesis, or an unknown cause.
    fn leading(&self) -> Hypothesis {
        self.hypotheses.first().cloned().unwrap_or(Hypothesis {
            playbook: "unknown".into(),
            cause: "unknown".into(),
            summary: "cause not identified".into(),
            confidence: 0.0,
            supporting: Vec::new(),
            contradicting: Vec::new(),
        })
    }
}
