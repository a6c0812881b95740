//! Mitigating: each confident hypothesis' plan in rank order; every mitigation proposed,
//! decided by policy or the approver, executed and verified.

use super::{DRY_RUN_PREFIX, Drive, Outcome, Tried};
use crate::actions;
use crate::actions::Payload;
use crate::error::{Error, Result, configured};
use crate::incident::{ActionState, EventKind};
use crate::model::{Action, ActionKind, Flag, Hypothesis, IdempotencyKey};
use crate::playbook::approval::{Approval, decide};
use crate::playbook::plan::{Mitigation, NewValue, Remedy};
use crate::ports::{ApprovalRequest, NewIssue};

impl Drive<'_> {
    /// Tries the mitigations of every confident hypothesis, in rank order.
    pub(super) async fn mitigate(&mut self) -> Result<Outcome> {
        let top = self.hypotheses.first().map_or(0.0, |h| h.confidence);
        if top < self.r.config.act_threshold {
            let reason = match self.hypotheses.first() {
                Some(h) => format!(
                    "evidence is ambiguous: the leading hypothesis ({}) has confidence {:.2}, \
                     below {:.2}; nothing was changed",
                    h.summary, h.confidence, self.r.config.act_threshold
                ),
                None => "no playbook found a likely cause; nothing was changed".into(),
            };
            return self.ask_people(reason).await;
        }
        let confident: Vec<Hypothesis> = self
            .hypotheses
            .iter()
            .filter(|h| h.confidence >= self.r.config.act_threshold)
            .cloned()
            .collect();
        for hypothesis in confident {
            let Some(pb) = self.r.playbook(&hypothesis.playbook).cloned() else {
                continue;
            };
            let plan = pb.plan(&self.ctx(), &hypothesis, &self.evidence);
            // Recorded once per hypothesis: the fold knows which were.
            if !plan.recommendations.is_empty()
                && !self
                    .incident()
                    .recommended(&hypothesis.playbook, &hypothesis.cause)
            {
                self.journal
                    .push(EventKind::Recommended {
                        playbook: hypothesis.playbook.clone(),
                        cause: hypothesis.cause.clone(),
                        recommendations: plan.recommendations.clone(),
                    })
                    .await?;
            }
            for rec in &plan.recommendations {
                if !self.recommendations.contains(rec) {
                    self.recommendations.push(rec.clone());
                }
            }
            for mitigation in plan.mitigations {
                match self.try_mitigation(&hypothesis, mitigation, top).await? {
                    Tried::Resolved(o) | Tried::Stop(o) => return Ok(o),
                    Tried::Next => {}
                }
            }
        }
        if self.r.config.dry_run {
            self.journal
                .push(EventKind::note(format!(
                    "dry run: {} action(s) would have run; stopping before verification",
                    self.would_run.len()
                )))
                .await?;
            return Ok(Outcome::DryRun {
                would_run: self.would_run.clone(),
            });
        }
        let reason = if self.recommendations.is_empty() {
            "no mitigation restored service".to_owned()
        } else {
            "no automatic mitigation restored service; see the recommendations".to_owned()
        };
        self.ask_people(reason).await
    }

    /// Stops, flags the mitigation as uncertain (which escalates) and says why.
    pub(super) async fn ask_people(&mut self, reason: String) -> Result<Outcome> {
        self.journal.push(EventKind::note(reason.clone())).await?;
        self.flag_uncertain().await?;
        Ok(Outcome::NeedsHuman {
            reason,
            recommendations: self.recommendations.clone(),
        })
    }

    pub(super) async fn flag_uncertain(&mut self) -> Result<()> {
        if !self.incident().flags().contains(&Flag::MitigationUncertain) {
            self.journal
                .push(EventKind::Flagged {
                    flag: Flag::MitigationUncertain,
                })
                .await?;
        }
        self.handle_due().await
    }

    /// Proposes, approves, executes and verifies one mitigation.
    pub(super) async fn try_mitigation(
        &mut self,
        hypothesis: &Hypothesis,
        mitigation: Mitigation,
        top: f64,
    ) -> Result<Tried> {
        // A dry run records its actions under keys of their own, so that the real run after it
        // still executes them.
        let base = if self.r.config.dry_run {
            format!("{DRY_RUN_PREFIX}{}", mitigation.key)
        } else {
            mitigation.key.clone()
        };
        let mut key = self.current_key(&base);
        // Proposed or approved by a run that stopped, with a value only it held: proposed
        // again, under the next key, with a new value.
        if let Some(r) = self.incident().action(&key)
            && matches!(r.state, ActionState::Proposed | ActionState::Approved)
            && r.action.kind.needs_payload()
            && !self.payloads.contains_key(&key)
        {
            let recorded = r.action.kind.clone();
            let same = match self.prepare(&key, &mitigation).await {
                Ok(again) => again.kind == recorded,
                Err(_) => false,
            };
            if !same {
                self.payloads.remove(&key);
                self.journal
                    .push(EventKind::ActionWithdrawn {
                        key: key.clone(),
                        reason: "what it needs was only in the memory of a run that stopped \
                                 before executing it; proposing it again"
                            .into(),
                    })
                    .await?;
                key = self.current_key(&base);
            }
        }
        let state = self.incident().action(&key).map(|a| a.state);
        let action = match state {
            None => match self.prepare(&key, &mitigation).await {
                Ok(action) => {
                    self.journal
                        .push(EventKind::proposed_mitigation(
                            action.clone(),
                            hypothesis.clone(),
                            mitigation.verification.clone(),
                        ))
                        .await?;
                    action
                }
                Err(e) => {
                    self.journal
                        .push(EventKind::note(format!(
                            "could not prepare {}: {e}",
                            mitigation.remedy.describe()
                        )))
                        .await?;
                    return Ok(Tried::Next);
                }
            },
            Some(ActionState::Proposed | ActionState::Approved) => {
                match self.incident().action(&key) {
                    Some(r) => r.action.clone(),
                    None => return Ok(Tried::Next),
                }
            }
            // In flight elsewhere (resuming reconciles every interrupted action this replica
            // can lease): never start another mitigation alongside it.
            Some(ActionState::Started) => {
                return Ok(Tried::Stop(Outcome::HeldElsewhere { key }));
            }
            // Tried before, or rejected: never again. (`current_key` skips withdrawn keys.)
            Some(
                ActionState::Succeeded
                | ActionState::Failed
                | ActionState::Rejected
                | ActionState::Withdrawn,
            ) => {
                return Ok(Tried::Next);
            }
        };

        if self.incident().action(&key).map(|a| a.state) == Some(ActionState::Proposed) {
            let request = ApprovalRequest {
                incident: self.incident().id(),
                severity: self.incident().severity(),
                action: action.clone(),
                rationale: format!("{} — {}", hypothesis.summary, mitigation.rationale),
            };
            // The policy's confidence is that of the hypothesis this action mitigates: the top
            // one first, and never more than the top one.
            let confidence = hypothesis.confidence.min(top);
            self.keep_lease().await?;
            let decided = self
                .r
                .clock
                .timeout(
                    self.r.config.approval_timeout,
                    decide(
                        &self.r.policy,
                        self.r.approver.as_ref(),
                        &request,
                        confidence,
                    ),
                )
                .await
                .unwrap_or_else(|_| Approval::Rejected {
                    by: "approver".into(),
                    reason: format!(
                        "no decision within {}",
                        crate::comms::format::duration_long(self.r.config.approval_timeout)
                    ),
                });
            match decided {
                Approval::Approved { by } => {
                    self.journal
                        .push(EventKind::ActionApproved {
                            key: key.clone(),
                            by,
                        })
                        .await?;
                }
                Approval::Rejected { by, reason } => {
                    self.journal
                        .push(EventKind::ActionRejected {
                            key: key.clone(),
                            by,
                            reason,
                        })
                        .await?;
                    return Ok(Tried::Next);
                }
            }
        }

        if self.r.config.dry_run {
            let detail = actions::dry_run_detail(&action);
            self.journal
                .record(vec![
                    EventKind::ActionStarted {
                        key: key.clone(),
                        dry_run: true,
                    },
                    EventKind::ActionSucceeded {
                        key: key.clone(),
                        detail,
                    },
                ])
                .await?;
            self.would_run.push(action);
            return Ok(Tried::Next);
        }

        if !self.execute(&action).await? {
            return Ok(Tried::Stop(Outcome::HeldElsewhere { key }));
        }
        if self.incident().action(&key).map(|a| a.state) != Some(ActionState::Succeeded) {
            self.flag_uncertain().await?;
            return Ok(Tried::Next);
        }
        self.verify_and_resolve(&action, hypothesis, &mitigation.verification)
            .await
    }

    /// The key a mitigation is proposed under: `base`, or, once that was withdrawn,
    /// `base#2`, `base#3`, ...: the first not withdrawn.
    fn current_key(&self, base: &str) -> IdempotencyKey {
        let mut n = 1u32;
        loop {
            let key = if n == 1 {
                IdempotencyKey::new(base)
            } else {
                IdempotencyKey::new(format!("{base}#{n}"))
            };
            match self.incident().action(&key) {
                Some(r) if r.state == ActionState::Withdrawn => n += 1,
                _ => return key,
            }
        }
    }

    /// Turns a mitigation into an action, resolving any new value (kept in memory; only its
    /// fingerprint goes into the action).
    pub(super) async fn prepare(&mut self, key: &IdempotencyKey, m: &Mitigation) -> Result<Action> {
        let mut payload = Payload {
            reason: m.rationale.clone(),
            ..Payload::default()
        };
        let kind = match &m.remedy {
            Remedy::Act(kind) => kind.clone(),
            Remedy::SetVariable { name, value } => {
                let value = match value {
                    NewValue::RandomBase64 { bytes } => actions::random_base64(*bytes)?,
                    NewValue::Literal(v) => v.clone(),
                    NewValue::ViaPgBouncer => {
                        let store =
                            configured(self.r.providers.variables.as_deref(), "VariableStore")?;
                        let current = store
                            .get(name)
                            .await?
                            .ok_or_else(|| Error::not_found(format!("{name} is not set")))?;
                        self.journal.secrets().add(&current);
                        actions::via_pgbouncer(&current)?
                    }
                };
                let value_fingerprint = self.r.fingerprints.fingerprint(&value);
                self.journal.secrets().add(&value);
                payload.value = Some(value);
                ActionKind::SetVariable {
                    name: name.clone(),
                    value_fingerprint,
                }
            }
            Remedy::CreateIssue {
                title,
                body,
                labels,
            } => {
                payload.issue = Some(NewIssue {
                    title: title.clone(),
                    body: body.clone(),
                    labels: labels.clone(),
                    assignees: Vec::new(),
                });
                ActionKind::CreateIssue {
                    title: title.clone(),
                }
            }
        };
        let mut action = Action::new(key.as_str(), kind);
        if let Some(risk) = m.risk {
            action = action.with_risk(risk);
        }
        self.payloads.insert(key.clone(), payload);
        Ok(action)
    }
}
