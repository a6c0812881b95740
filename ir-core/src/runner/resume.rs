//! Resuming: actions whose intent was recorded without an outcome are reconciled against
//! provider state, and a succeeded mitigation whose verification did not finish is verified.

use super::{Drive, Outcome, Tried};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::incident::{ActionState, EventKind, Phase};
use crate::model::Verification;
use crate::model::{Action, Hypothesis, IdempotencyKey};
use crate::playbook::execute;
use crate::playbook::execute::Reconciled;

impl Drive<'_> {
    /// Actions whose intent was recorded but not their outcome: re-read provider state.
    ///
    /// An interrupted action whose lease another replica holds is still being executed there:
    /// the run stops with [`Outcome::HeldElsewhere`] rather than trying another mitigation
    /// while that one is in flight.
    pub(super) async fn resume_interrupted(&mut self) -> Result<Option<Outcome>> {
        let interrupted: Vec<(Action, Timestamp, bool)> = self
            .incident()
            .actions()
            .filter(|a| a.state == ActionState::Started)
            .map(|a| {
                (
                    a.action.clone(),
                    a.started_at
                        .unwrap_or_else(|| self.incident().detected_at()),
                    a.dry_run,
                )
            })
            .collect();
        for (action, started_at, dry_run) in interrupted {
            if dry_run {
                let detail = execute::dry_run_detail(&action);
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
    /// re-read, the outcome recorded. A temporary error leaves the action started.
    async fn reconcile_leased(&mut self, action: &Action, started_at: Timestamp) -> Result<()> {
        let reconciled = execute::reconcile(
            &self.r.providers,
            self.r.clock.as_ref(),
            action,
            started_at,
            &self.r.config.rollback_wait,
        )
        .await;
        let event = match reconciled {
            Ok(Reconciled::Succeeded(detail)) => EventKind::ActionSucceeded {
                key: action.key.clone(),
                detail,
            },
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
    /// verified one whose monitoring did not finish. Only the playbooks' mitigations count: not
    /// a dry run's actions, nor the undo of a change that did not help.
    pub(super) async fn finish_pending_verification(&mut self) -> Result<Option<Outcome>> {
        let mut pending: Option<IdempotencyKey> = None;
        let mut verified = false;
        for e in self.incident().timeline() {
            match &e.event.kind {
                EventKind::ActionSucceeded { key, .. } => {
                    let dry = self.incident().action(key).is_some_and(|a| a.dry_run);
                    if !dry && self.planned_mitigation(key).is_some() {
                        pending = Some(key.clone());
                        verified = false;
                    }
                }
                EventKind::MitigationVerified { .. } => verified = true,
                EventKind::VerificationFailed { .. } => {
                    pending = None;
                    verified = false;
                }
                _ => {}
            }
        }
        let Some(key) = pending else {
            return Ok(None);
        };
        let Some(record) = self.incident().action(&key).cloned() else {
            return Ok(None);
        };
        let (hypothesis, verification) = self.find_mitigation(&key);
        let outcome = if verified && self.incident().phase() == Phase::Monitoring {
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

    /// The hypothesis and verification of the playbook mitigation `key` was proposed for,
    /// re-planned from the evidence; `None` for any other action (an undo).
    pub(super) fn planned_mitigation(
        &self,
        key: &IdempotencyKey,
    ) -> Option<(Hypothesis, Verification)> {
        let ctx = self.ctx();
        self.hypotheses.iter().find_map(|h| {
            let pb = self.r.playbook(&h.playbook)?;
            let plan = pb.plan(&ctx, h, &self.evidence);
            plan.mitigations
                .iter()
                .find(|m| m.key == key.as_str())
                .map(|m| (h.clone(), m.verification.clone()))
        })
    }

    /// [`Drive::planned_mitigation`], or the leading hypothesis and a health check.
    pub(super) fn find_mitigation(&self, key: &IdempotencyKey) -> (Hypothesis, Verification) {
        if let Some(found) = self.planned_mitigation(key) {
            return found;
        }
        let fallback = self.hypotheses.first().cloned().unwrap_or(Hypothesis {
            playbook: "unknown".into(),
            cause: "unknown".into(),
            summary: "cause not identified".into(),
            confidence: 0.0,
            supporting: Vec::new(),
            contradicting: Vec::new(),
        });
        (
            fallback,
            Verification::health(self.r.config.health_path.clone()),
        )
    }
}
