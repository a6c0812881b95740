//! The runner: drives an incident from Investigating to Resolved.
//!
//! 1. **Investigating**: every probe the applicable playbooks need runs at once
//!    ([`diagnose`](super::diagnose)); each result is recorded as evidence.
//! 2. **Identified**: the playbooks' hypotheses, ranked, are posted with the initial assessment.
//! 3. **Mitigating**: for each confident hypothesis in turn, its playbook's mitigations are
//!    proposed, approved by policy or the [`Approver`], executed (intent recorded before the
//!    port is called, outcome after, under a lease on the idempotency key) and verified by
//!    polling until `k` healthy rounds in a row. A failed verification escalates, undoes a
//!    configuration change we made, and moves on to the next mitigation.
//! 4. **Monitoring**: the runbook's 15 minutes; the resolution criteria are checked at the end.
//! 5. **Resolved**, with the resolution messages.
//!
//! Messages go out at every phase and status updates on cadence; escalations fire on timers
//! ([`escalation::due`]). Everything lands in the timeline first, so a runner that crashed is
//! resumed by calling [`Runner::run`] again: an action with an intent and no outcome is checked
//! against provider state, never repeated.

mod journal;
mod messages;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use self::journal::Journal;
use self::messages::{Outgoing, render};
use super::approval::{Approval, ApprovalPolicy, decide};
use super::diagnosis::{DiagnosisConfig, EvidenceSet, diagnose};
use super::execute::{self, Payload, Reconciled};
use super::plan::{Context, Mitigation, NewValue, Playbook, Remedy, Symptoms, rank};
use super::probe::{Probe, Providers};
use super::verify::{Baseline, Check, Verification, check_round, quantile};
use crate::clock::{Clock, Timestamp, to_chrono, to_std};
use crate::comms::Templates;
use crate::error::{Error, Result};
use crate::escalation::{self, Due, EscalationPolicy};
use crate::incident::{ActionState, EventKind, Incident, Phase};
use crate::model::Hypothesis;
use crate::model::Role;
use crate::model::{Action, ActionKind, IdempotencyKey, Risk};
use crate::model::{Flag, IncidentId};
use crate::model::{StatusPageStatus, TimeWindow};
use crate::ports::{
    ApprovalRequest, Approver, ChatMessage, DenyAll, IncidentStore, NewIssue, Page,
    StatusPageUpdate, fingerprint,
};
use crate::rollback::{RollbackWait, VariableChange};
use crate::severity::{PagingMode, SeverityPolicy};

/// Where user reports (support tickets, chat) can be counted, for the resolution criterion "no
/// user-reported issues".
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserReports: Send + Sync + fmt::Debug + 'static {
    /// Reports about the incident's symptoms received since `since`.
    ///
    /// # Errors
    /// `Unavailable`/`Timeout` when the source cannot answer (the runner then does not resolve).
    async fn count_since(&self, since: Timestamp) -> Result<u32>;
}

/// The runner's numbers; the defaults are the runbook's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RunnerConfig {
    /// Who the runner signs events and messages as.
    pub actor: String,
    /// This replica's name, as the holder of action leases.
    pub replica: String,
    /// The incident channel.
    pub channel: String,
    /// The health endpoint watched while monitoring.
    pub health_path: String,
    /// Below this top confidence the evidence is ambiguous: nothing is executed and the
    /// Engineering Lead is asked.
    pub act_threshold: f64,
    /// The confidence at which a root cause counts as understood.
    pub root_cause_threshold: f64,
    /// Resolve even when the root cause is not understood (the runbook's "or safe to defer").
    pub defer_unknown_root_cause: bool,
    /// Record what would be done without changing anything.
    pub dry_run: bool,
    /// Probe deadlines.
    pub diagnosis: DiagnosisConfig,
    /// Waiting for the platform after a rollback.
    pub rollback_wait: RollbackWait,
    /// How long an action lease lasts.
    #[serde(with = "humantime_serde")]
    pub lease_ttl: Duration,
    /// How long to wait for the approver before counting it as a rejection.
    #[serde(with = "humantime_serde")]
    pub approval_timeout: Duration,
    /// Watch this long after a verified mitigation (runbook: 15 minutes).
    #[serde(with = "humantime_serde")]
    pub monitor_for: Duration,
    /// Between two monitoring rounds.
    #[serde(with = "humantime_serde")]
    pub monitor_interval: Duration,
    /// The baseline is the error rate of this window before onset.
    #[serde(with = "humantime_serde")]
    pub baseline_window: Duration,
    /// Bucket size of error counts.
    #[serde(with = "humantime_serde")]
    pub error_interval: Duration,
    /// How far above the baseline still counts as baseline (0.2 = 20 %).
    pub baseline_tolerance: f64,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            actor: "ir-runner".into(),
            replica: "ir-runner".into(),
            channel: "#incident-response".into(),
            health_path: "/health".into(),
            act_threshold: 0.5,
            root_cause_threshold: 0.6,
            defer_unknown_root_cause: false,
            dry_run: false,
            diagnosis: DiagnosisConfig::default(),
            rollback_wait: RollbackWait::default(),
            lease_ttl: Duration::from_secs(15 * 60),
            approval_timeout: Duration::from_secs(15 * 60),
            monitor_for: Duration::from_secs(15 * 60),
            monitor_interval: Duration::from_secs(60),
            baseline_window: Duration::from_secs(60 * 60),
            error_interval: Duration::from_secs(60),
            baseline_tolerance: 0.2,
        }
    }
}

impl RunnerConfig {
    /// Checks the numbers.
    ///
    /// # Errors
    /// `Config` naming the first bad value.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("act_threshold", self.act_threshold),
            ("root_cause_threshold", self.root_cause_threshold),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::config(format!("{name} must lie within 0..=1")));
            }
        }
        for (name, d) in [
            ("monitor_interval", self.monitor_interval),
            ("error_interval", self.error_interval),
            (
                "rollback_wait.poll_interval",
                self.rollback_wait.poll_interval,
            ),
        ] {
            if d.is_zero() {
                return Err(Error::config(format!("{name} must be greater than zero")));
            }
        }
        if self.baseline_tolerance < 0.0 {
            return Err(Error::config("baseline_tolerance must not be negative"));
        }
        // An action runs under its lease; the longest is a rollback waiting for the platform.
        if self.lease_ttl <= self.rollback_wait.timeout {
            return Err(Error::config(
                "lease_ttl must exceed rollback_wait.timeout, or another replica could take an \
                 action over while a rollback is still being waited for",
            ));
        }
        Ok(())
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The resolution criteria held and the incident is resolved.
    Resolved {
        /// Root cause, or why it is deferred.
        root_cause: String,
        /// The mitigation that worked.
        mitigation: String,
    },
    /// Dry run: these actions would have run, in order.
    DryRun {
        /// The actions.
        would_run: Vec<Action>,
    },
    /// The runner stopped and asked people (ambiguous evidence, nothing worked, approval
    /// denied, only recommendations, root cause not understood).
    NeedsHuman {
        /// Why.
        reason: String,
        /// What the playbooks recommend.
        recommendations: Vec<String>,
    },
    /// Another replica holds the lease on this action and is executing it.
    HeldElsewhere {
        /// The action.
        key: IdempotencyKey,
    },
}

/// What [`Runner::run`] returns.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// How it ended.
    pub outcome: Outcome,
    /// The incident as the run left it.
    pub incident: Incident,
}

/// Drives incidents with a set of playbooks over a set of ports.
///
/// ```no_run
/// # async fn demo(store: std::sync::Arc<dyn ir_core::ports::IncidentStore>,
/// #     id: ir_core::model::IncidentId) -> ir_core::Result<()> {
/// use std::sync::Arc;
/// use ir_core::clock::SystemClock;
/// use ir_core::classify::{Reachability, Signals};
/// use ir_core::playbook::{Providers, Runner, Symptoms};
/// use ir_core::ports::AutoApprove;
///
/// let runner = Runner::new(store, Providers::new(), Arc::new(SystemClock), ir_core::scenarios::builtin())
///     .with_approver(Arc::new(AutoApprove::new("on-call")));
/// let symptoms = Symptoms::new(Signals { health: Some(Reachability::Status(503)), ..Signals::default() });
/// let report = runner.run(id, &symptoms).await?;
/// println!("{:?}", report.outcome);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Runner {
    store: Arc<dyn IncidentStore>,
    providers: Providers,
    clock: Arc<dyn Clock>,
    approver: Arc<dyn Approver>,
    playbooks: Vec<Arc<dyn Playbook>>,
    policy: ApprovalPolicy,
    escalation: EscalationPolicy,
    severity: SeverityPolicy,
    user_reports: Option<Arc<dyn UserReports>>,
    templates: Templates,
    config: RunnerConfig,
}

impl Runner {
    /// A runner with `playbooks` (the runbook's six are `ir_core::scenarios::builtin()`), the
    /// runbook's policies, and an approver that denies everything policy does not
    /// auto-approve.
    pub fn new(
        store: Arc<dyn IncidentStore>,
        providers: Providers,
        clock: Arc<dyn Clock>,
        playbooks: Vec<Arc<dyn Playbook>>,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
            approver: Arc::new(DenyAll),
            playbooks,
            policy: ApprovalPolicy::runbook(),
            escalation: EscalationPolicy::runbook(),
            severity: SeverityPolicy::runbook(),
            user_reports: None,
            templates: Templates::builtin(),
            config: RunnerConfig::default(),
        }
    }

    /// Sets the approver.
    pub fn with_approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = approver;
        self
    }

    /// Sets the approval policy.
    ///
    /// # Errors
    /// `Config` when it does not validate.
    pub fn with_policy(mut self, policy: ApprovalPolicy) -> Result<Self> {
        policy.validate()?;
        self.policy = policy;
        Ok(self)
    }

    /// Sets the escalation policy.
    pub fn with_escalation(mut self, escalation: EscalationPolicy) -> Self {
        self.escalation = escalation;
        self
    }

    /// Sets the severity policy (its thresholds are the playbooks' SLOs).
    pub fn with_severity_policy(mut self, severity: SeverityPolicy) -> Self {
        self.severity = severity;
        self
    }

    /// Sets where user reports are counted.
    pub fn with_user_reports(mut self, reports: Arc<dyn UserReports>) -> Self {
        self.user_reports = Some(reports);
        self
    }

    /// Sets the message templates (the built-in ones by default).
    pub fn with_templates(mut self, templates: Templates) -> Self {
        self.templates = templates;
        self
    }

    /// Sets the configuration.
    ///
    /// # Errors
    /// `Config` when it does not validate.
    pub fn with_config(mut self, config: RunnerConfig) -> Result<Self> {
        config.validate()?;
        self.config = config;
        Ok(self)
    }

    /// The configuration.
    pub fn config(&self) -> &RunnerConfig {
        &self.config
    }

    /// Drives incident `id` as far as it can go: to Resolved, or to where people must decide.
    /// Calling it again on the same incident resumes from the timeline.
    ///
    /// # Errors
    /// The store's errors (the run can be resumed once it is back), and `InvalidInput` when the
    /// incident is already resolved or closed.
    pub async fn run(&self, id: IncidentId, symptoms: &Symptoms) -> Result<RunReport> {
        let journal = Journal::load(
            self.store.clone(),
            self.clock.clone(),
            self.config.actor.clone(),
            id,
        )
        .await?;
        if !journal.incident().phase().is_open() {
            return Err(Error::invalid_input(format!(
                "incident {id} is {}; nothing to run",
                journal.incident().phase()
            )));
        }
        let mut drive = Drive {
            r: self,
            journal,
            symptoms: symptoms.clone(),
            evidence: EvidenceSet::new(),
            hypotheses: Vec::new(),
            baseline: None,
            payloads: HashMap::new(),
            changes: HashMap::new(),
            would_run: Vec::new(),
            recommendations: Vec::new(),
        };
        let outcome = drive.drive().await?;
        Ok(RunReport {
            outcome,
            incident: drive.journal.into_incident(),
        })
    }

    fn playbook(&self, name: &str) -> Option<&Arc<dyn Playbook>> {
        self.playbooks.iter().find(|p| p.name() == name)
    }
}

/// Where a dry run's idempotency keys live: `dry-run/<key>`, apart from the real ones.
const DRY_RUN_PREFIX: &str = "dry-run/";

/// One run's state.
struct Drive<'r> {
    r: &'r Runner,
    journal: Journal,
    symptoms: Symptoms,
    evidence: EvidenceSet,
    hypotheses: Vec<Hypothesis>,
    baseline: Option<Baseline>,
    payloads: HashMap<IdempotencyKey, Payload>,
    changes: HashMap<IdempotencyKey, VariableChange>,
    would_run: Vec<Action>,
    recommendations: Vec<String>,
}

/// What trying one mitigation led to.
enum Tried {
    Resolved(Outcome),
    Stop(Outcome),
    Next,
}

impl Drive<'_> {
    fn incident(&self) -> &Incident {
        self.journal.incident()
    }

    fn now(&self) -> Timestamp {
        self.r.clock.now()
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            incident: self.journal.incident(),
            symptoms: &self.symptoms,
            now: self.now(),
            thresholds: &self.r.severity.thresholds,
        }
    }

    fn baseline_probe(&self) -> Probe {
        Probe::ErrorCounts {
            baseline: self.r.config.baseline_window,
            interval: self.r.config.error_interval,
        }
    }

    async fn drive(&mut self) -> Result<Outcome> {
        self.start().await?;
        if let Some(outcome) = self.resume_interrupted().await? {
            return Ok(outcome);
        }
        if self.incident().phase() == Phase::Investigating {
            self.investigate().await?;
        } else {
            self.restore_assessment();
        }
        self.handle_due().await?;
        if let Some(outcome) = self.finish_pending_verification().await? {
            return Ok(outcome);
        }
        self.mitigate().await
    }

    /// Acknowledges, starts the investigation, posts the first messages.
    async fn start(&mut self) -> Result<()> {
        if self.incident().phase() == Phase::Detected {
            let by = self.r.config.actor.clone();
            self.journal.push(EventKind::Acknowledged { by }).await?;
            self.post(Outgoing::Acknowledgement).await?;
        }
        self.handle_due().await?;
        if self.incident().phase() == Phase::Acknowledged {
            self.journal.push(EventKind::InvestigationStarted).await?;
            self.post(Outgoing::StatusPage(StatusPageStatus::Investigating))
                .await?;
        }
        Ok(())
    }

    /// Diagnosis and assessment.
    async fn investigate(&mut self) -> Result<()> {
        let (probes, window) = {
            let ctx = self.ctx();
            let mut selected: Vec<&Arc<dyn Playbook>> = self
                .r
                .playbooks
                .iter()
                .filter(|p| p.applies(&ctx))
                .collect();
            if selected.is_empty() {
                selected = self.r.playbooks.iter().collect();
            }
            let mut probes: Vec<Probe> = selected.iter().flat_map(|p| p.probes(&ctx)).collect();
            probes.push(self.baseline_probe());
            (probes, ctx.window())
        };
        let first_id = self.incident().evidence().count() + 1;
        let evidence = diagnose(
            &self.r.providers,
            probes,
            window,
            &self.r.config.diagnosis,
            self.r.clock.as_ref(),
            first_id,
        )
        .await;
        self.journal
            .record(
                evidence
                    .iter()
                    .cloned()
                    .map(|evidence| EventKind::EvidenceCollected { evidence })
                    .collect(),
            )
            .await?;
        self.evidence = evidence.into_iter().collect();
        self.compute_baseline();

        let hypotheses = {
            let ctx = self.ctx();
            let all = self
                .r
                .playbooks
                .iter()
                .filter(|p| p.applies(&ctx) || !self.r.playbooks.iter().any(|q| q.applies(&ctx)))
                .flat_map(|p| p.assess(&ctx, &self.evidence))
                .collect();
            rank(all)
        };
        self.hypotheses = hypotheses.clone();
        self.journal
            .push(EventKind::HypothesisPosted { hypotheses })
            .await?;
        let next_steps = self.next_steps();
        self.post(Outgoing::InitialAssessment {
            top: self.hypotheses.first().cloned(),
            next_steps,
            eta: self.r.config.monitor_for,
        })
        .await?;
        if self
            .hypotheses
            .first()
            .is_some_and(|h| h.confidence >= self.r.config.act_threshold)
        {
            self.post(Outgoing::StatusPage(StatusPageStatus::Identified))
                .await?;
        }
        Ok(())
    }

    /// Evidence and hypotheses from the timeline, for a resumed run.
    fn restore_assessment(&mut self) {
        self.evidence = self.incident().evidence().cloned().collect();
        self.hypotheses = self
            .incident()
            .assessments()
            .last()
            .map(<[Hypothesis]>::to_vec)
            .unwrap_or_default();
        self.compute_baseline();
    }

    fn compute_baseline(&mut self) {
        let probe = self.baseline_probe();
        self.baseline = self.evidence.error_counts(&probe).and_then(|(_, buckets)| {
            Baseline::from_buckets(
                buckets,
                self.r.config.error_interval,
                self.incident().started_at(),
                self.r.config.baseline_tolerance,
            )
        });
    }

    fn next_steps(&self) -> Vec<String> {
        let ctx = self.ctx();
        let Some(top) = self.hypotheses.first() else {
            return Vec::new();
        };
        if top.confidence < self.r.config.act_threshold {
            return vec!["evidence is ambiguous; asking the Engineering Lead".into()];
        }
        let Some(pb) = self.r.playbook(&top.playbook) else {
            return Vec::new();
        };
        let plan = pb.plan(&ctx, top, &self.evidence);
        let mut steps: Vec<String> = plan
            .mitigations
            .iter()
            .take(1)
            .map(|m| describe_remedy(&m.remedy))
            .collect();
        steps.extend(plan.recommendations.iter().take(2).cloned());
        steps
    }

    /// Actions whose intent was recorded but not their outcome: re-read provider state.
    ///
    /// An interrupted action whose lease another replica holds is still being executed there:
    /// the run stops with [`Outcome::HeldElsewhere`] rather than trying another mitigation
    /// while that one is in flight.
    async fn resume_interrupted(&mut self) -> Result<Option<Outcome>> {
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
            let lease = self
                .r
                .store
                .acquire_lease(
                    action.key.as_str(),
                    &self.r.config.replica,
                    self.r.config.lease_ttl,
                )
                .await?;
            let Some(lease) = lease else {
                self.journal
                    .push(EventKind::note(format!(
                        "action {} is still being executed by another replica; leaving it to them",
                        action.key
                    )))
                    .await?;
                return Ok(Some(Outcome::HeldElsewhere { key: action.key }));
            };
            let reconciled = execute::reconcile(
                &self.r.providers,
                self.r.clock.as_ref(),
                &action,
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
                Err(e) if e.is_temporary() => {
                    self.release(&lease).await;
                    return Err(e);
                }
                Err(e) => EventKind::ActionFailed {
                    key: action.key.clone(),
                    kind: e.kind(),
                    error: format!(
                        "interrupted before its outcome was recorded, and its state could not \
                         be read ({e}); not repeated"
                    ),
                },
            };
            let recorded = self.journal.push(event).await;
            self.release(&lease).await;
            recorded?;
        }
        Ok(None)
    }

    /// A succeeded mitigation with no verification after it (crash after the outcome), or a
    /// verified one whose monitoring did not finish. Only the playbooks' mitigations count: not
    /// a dry run's actions, nor the undo of a change that did not help.
    async fn finish_pending_verification(&mut self) -> Result<Option<Outcome>> {
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
    fn planned_mitigation(&self, key: &IdempotencyKey) -> Option<(Hypothesis, Verification)> {
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
    fn find_mitigation(&self, key: &IdempotencyKey) -> (Hypothesis, Verification) {
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

    /// Tries the mitigations of every confident hypothesis, in rank order.
    async fn mitigate(&mut self) -> Result<Outcome> {
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
            for rec in &plan.recommendations {
                let text = format!("Recommendation ({}): {rec}", hypothesis.cause);
                let already =
                    self.incident().timeline().iter().any(
                        |e| matches!(&e.event.kind, EventKind::Note { text: t } if *t == text),
                    );
                if !already {
                    self.journal.push(EventKind::note(text)).await?;
                }
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
    async fn ask_people(&mut self, reason: String) -> Result<Outcome> {
        self.journal.push(EventKind::note(reason.clone())).await?;
        self.flag_uncertain().await?;
        Ok(Outcome::NeedsHuman {
            reason,
            recommendations: self.recommendations.clone(),
        })
    }

    async fn flag_uncertain(&mut self) -> Result<()> {
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
    async fn try_mitigation(
        &mut self,
        hypothesis: &Hypothesis,
        mitigation: Mitigation,
        top: f64,
    ) -> Result<Tried> {
        // A dry run records its actions under keys of their own, so that the real run after it
        // still executes them.
        let key = if self.r.config.dry_run {
            IdempotencyKey::new(format!("{DRY_RUN_PREFIX}{}", mitigation.key))
        } else {
            IdempotencyKey::new(mitigation.key.clone())
        };
        let state = self.incident().action(&key).map(|a| a.state);
        let action = match state {
            None => match self.prepare(&key, &mitigation).await {
                Ok(action) => {
                    self.journal
                        .push(EventKind::ActionProposed {
                            action: action.clone(),
                        })
                        .await?;
                    action
                }
                Err(e) => {
                    self.journal
                        .push(EventKind::note(format!(
                            "could not prepare {}: {e}",
                            describe_remedy(&mitigation.remedy)
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
            // Tried before, or rejected: never again.
            Some(ActionState::Succeeded | ActionState::Failed | ActionState::Rejected) => {
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
            let detail = execute::dry_run_detail(&action);
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

    /// Turns a mitigation into an action, resolving any new value (kept in memory; only its
    /// fingerprint goes into the action).
    async fn prepare(&mut self, key: &IdempotencyKey, m: &Mitigation) -> Result<Action> {
        let mut payload = Payload {
            reason: m.rationale.clone(),
            ..Payload::default()
        };
        let kind = match &m.remedy {
            Remedy::Act(kind) => kind.clone(),
            Remedy::SetVariable { name, value } => {
                let value = match value {
                    NewValue::RandomBase64 { bytes } => execute::random_base64(*bytes)?,
                    NewValue::Literal(v) => v.clone(),
                    NewValue::ViaPgBouncer => {
                        let store = self
                            .r
                            .providers
                            .variables
                            .as_deref()
                            .ok_or_else(|| super::probe::missing("VariableStore"))?;
                        let current = store
                            .get(name)
                            .await?
                            .ok_or_else(|| Error::not_found(format!("{name} is not set")))?;
                        execute::via_pgbouncer(&current)?
                    }
                };
                let value_fingerprint = fingerprint(&value);
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

    /// Executes an approved action under its lease: intent, port call, outcome. Returns
    /// `false` when another replica holds the lease.
    async fn execute(&mut self, action: &Action) -> Result<bool> {
        let key = &action.key;
        let lease = self
            .r
            .store
            .acquire_lease(
                key.as_str(),
                &self.r.config.replica,
                self.r.config.lease_ttl,
            )
            .await?;
        let Some(lease) = lease else {
            self.journal
                .push(EventKind::note(format!(
                    "action {key} is held by another replica; leaving it to them"
                )))
                .await?;
            return Ok(false);
        };
        let result = self.execute_leased(action).await;
        self.release(&lease).await;
        result.map(|()| true)
    }

    /// [`Drive::execute`] once the lease is held: intent, port call, outcome.
    async fn execute_leased(&mut self, action: &Action) -> Result<()> {
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
        let result = execute::execute(
            &self.r.providers,
            self.r.clock.as_ref(),
            action,
            &payload,
            &self.r.config.rollback_wait,
        )
        .await;
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

    async fn release(&self, lease: &crate::ports::Lease) {
        if let Err(e) = self.r.store.release_lease(lease).await {
            tracing::warn!(key = %lease.key, error = %e, "could not release an action lease; it lapses on its own");
        }
    }

    /// Polls the verification; on success monitors and resolves, on failure escalates and
    /// undoes a configuration change.
    async fn verify_and_resolve(
        &mut self,
        action: &Action,
        hypothesis: &Hypothesis,
        verification: &Verification,
    ) -> Result<Tried> {
        let (passed, summary) = self.verify(verification).await?;
        if !passed {
            self.journal
                .push(EventKind::VerificationFailed { summary })
                .await?;
            self.flag_uncertain().await?;
            self.undo_configuration(action).await?;
            return Ok(Tried::Next);
        }
        self.journal
            .push(EventKind::MitigationVerified {
                summary: summary.clone(),
            })
            .await?;
        self.post(Outgoing::MitigationApplied {
            action: action.kind.clone(),
            status: summary,
            monitor_for: self.r.config.monitor_for,
        })
        .await?;
        self.post(Outgoing::StatusPage(StatusPageStatus::Monitoring))
            .await?;
        self.monitor_and_resolve(action, hypothesis, verification)
            .await
    }

    /// Polls `verification` until `k` healthy rounds in a row or its deadline.
    async fn verify(&mut self, verification: &Verification) -> Result<(bool, String)> {
        let started = self.now();
        let k = verification.consecutive.max(1);
        let mut consecutive = 0;
        let mut rounds = 0;
        let mut last_failures: Vec<String> = Vec::new();
        loop {
            self.r.clock.sleep(verification.interval).await;
            rounds += 1;
            let round = check_round(
                &self.r.providers,
                &verification.checks,
                self.baseline.as_ref(),
                self.now(),
            )
            .await;
            self.handle_due().await?;
            let skipped = round.skipped;
            if round.healthy {
                consecutive += 1;
                if consecutive >= k {
                    let mut summary = format!(
                        "{} passed {k} times in a row ({rounds} rounds, {} s)",
                        describe_checks(&verification.checks),
                        to_std(self.now() - started).as_secs()
                    );
                    if !skipped.is_empty() {
                        summary.push_str(&format!("; {}", skipped.join("; ")));
                    }
                    return Ok((true, summary));
                }
            } else {
                consecutive = 0;
                last_failures = round.failures;
            }
            if self.now() - started >= to_chrono(verification.deadline) {
                return Ok((
                    false,
                    format!(
                        "{} not healthy {k} times in a row within {} s: {}",
                        describe_checks(&verification.checks),
                        verification.deadline.as_secs(),
                        if last_failures.is_empty() {
                            "too few healthy rounds".to_owned()
                        } else {
                            last_failures.join("; ")
                        }
                    ),
                ));
            }
        }
    }

    /// The runbook's monitoring window, then the resolution criteria.
    async fn monitor_and_resolve(
        &mut self,
        action: &Action,
        hypothesis: &Hypothesis,
        verification: &Verification,
    ) -> Result<Tried> {
        let cfg = &self.r.config;
        let started = self.now();
        let slo = self.r.severity.thresholds.latency_slo_p95;
        let checks = {
            let mut checks = verification.checks.clone();
            let health = Check::Healthy {
                path: cfg.health_path.clone(),
            };
            if !checks.contains(&health) {
                checks.push(health);
            }
            checks
        };
        let mut latencies = Vec::new();
        while self.now() - started < to_chrono(cfg.monitor_for) {
            self.r.clock.sleep(cfg.monitor_interval).await;
            let round = check_round(
                &self.r.providers,
                &checks,
                self.baseline.as_ref(),
                self.now(),
            )
            .await;
            self.handle_due().await?;
            latencies.extend(round.latencies);
            if !round.healthy {
                return self
                    .relapse(
                        action,
                        format!("relapsed while monitoring: {}", round.failures.join("; ")),
                    )
                    .await;
            }
        }
        let watched = to_std(self.now() - started);

        // Error rate below baseline for the whole window.
        let baseline_compared = self.baseline.is_some() && self.r.providers.errors.is_some();
        let sampled = !latencies.is_empty();
        let error_rate = match (&self.baseline, &self.r.providers.errors) {
            (Some(baseline), Some(tracker)) => {
                let window = TimeWindow::new(started, self.now());
                match tracker.error_counts(window, cfg.error_interval).await {
                    Ok(buckets) => {
                        let count: u64 = buckets.iter().map(|b| b.count).sum();
                        if !baseline.holds(count, watched) {
                            return self
                                .relapse(
                                    action,
                                    format!(
                                        "{count} errors in {} minutes, above the baseline of {:.1}",
                                        watched.as_secs() / 60,
                                        baseline.per_second * watched.as_secs_f64()
                                    ),
                                )
                                .await;
                        }
                        format!(
                            "Error rate at baseline ({count} errors in {} min, baseline {:.1})",
                            watched.as_secs() / 60,
                            baseline.per_second * watched.as_secs_f64()
                        )
                    }
                    Err(e) => {
                        return self
                            .stop_monitoring(format!("error rate could not be read: {e}"))
                            .await;
                    }
                }
            }
            _ => "Error rate not compared (no baseline before onset)".to_owned(),
        };

        // p95 latency under the SLO.
        let latency = match quantile(&latencies, 0.95) {
            Some(p95) if p95 > slo => {
                return self
                    .relapse(
                        action,
                        format!(
                            "p95 latency {} ms is over the {} ms SLO",
                            p95.as_millis(),
                            slo.as_millis()
                        ),
                    )
                    .await;
            }
            Some(p95) => format!(
                "Latency p95 at {}ms (within SLO, {} samples)",
                p95.as_millis(),
                latencies.len()
            ),
            None => "Latency not sampled".to_owned(),
        };

        // No user reports.
        if let Some(reports) = &self.r.user_reports {
            match reports.count_since(started).await {
                Ok(0) => {}
                Ok(n) => {
                    return self
                        .stop_monitoring(format!("{n} user report(s) since the mitigation"))
                        .await;
                }
                Err(e) => {
                    return self
                        .stop_monitoring(format!("user reports could not be read: {e}"))
                        .await;
                }
            }
        }

        // Root cause understood, or explicitly deferred.
        let root_cause = if hypothesis.confidence >= cfg.root_cause_threshold {
            hypothesis.summary.clone()
        } else if cfg.defer_unknown_root_cause {
            format!(
                "deferred: {} (confidence {:.2}; mitigation safe, analysis in the postmortem)",
                hypothesis.summary, hypothesis.confidence
            )
        } else {
            return self
                .stop_monitoring(format!(
                    "root cause not understood (leading hypothesis confidence {:.2}); resolve \
                     once it is, or defer it explicitly",
                    hypothesis.confidence
                ))
                .await;
        };
        let mitigation = crate::comms::past_tense(&action.kind);
        let mut criteria = vec![error_rate.clone(), latency.clone()];
        criteria.push(if self.r.user_reports.is_some() {
            "no user reports".to_owned()
        } else {
            "user reports not checked (no source configured)".to_owned()
        });
        self.journal
            .record(vec![
                EventKind::note(format!("resolution criteria: {}", criteria.join("; "))),
                EventKind::resolved(root_cause.clone(), mitigation.clone()),
            ])
            .await?;
        let follow_ups = self
            .r
            .playbook(&hypothesis.playbook)
            .map(|p| p.prevention())
            .unwrap_or_default();
        // Only what was checked and holds gets a ✅.
        let current_status = [(baseline_compared, error_rate), (sampled, latency)]
            .into_iter()
            .filter_map(|(held, line)| held.then_some(line))
            .collect();
        self.post(Outgoing::Resolution {
            current_status,
            follow_ups,
        })
        .await?;
        self.post(Outgoing::StatusPage(StatusPageStatus::Resolved))
            .await?;
        // Only a P0/P1 was paged (the on-call engineer first).
        let paged = self.incident().escalated_roles().contains(&Role::OnCall);
        if paged
            && let Some(pager) = &self.r.providers.pager
            && let Err(e) = pager.resolve(self.incident().dedup_key()).await
        {
            self.journal
                .push(EventKind::note(format!("could not resolve the page: {e}")))
                .await?;
        }
        Ok(Tried::Resolved(Outcome::Resolved {
            root_cause,
            mitigation,
        }))
    }

    async fn relapse(&mut self, action: &Action, summary: String) -> Result<Tried> {
        self.journal
            .push(EventKind::VerificationFailed { summary })
            .await?;
        self.flag_uncertain().await?;
        self.undo_configuration(action).await?;
        Ok(Tried::Next)
    }

    async fn stop_monitoring(&mut self, reason: String) -> Result<Tried> {
        self.journal
            .push(EventKind::note(format!("not resolved yet: {reason}")))
            .await?;
        Ok(Tried::Stop(Outcome::NeedsHuman {
            reason,
            recommendations: self.recommendations.clone(),
        }))
    }

    /// Configuration rollback: a variable we changed that did not help goes back to the value
    /// it had, when it had one.
    async fn undo_configuration(&mut self, action: &Action) -> Result<()> {
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
                EventKind::ActionProposed {
                    action: restore.clone(),
                },
                EventKind::ActionApproved {
                    key: key.clone(),
                    by: "policy: undo of our own change that did not help".into(),
                },
            ])
            .await?;
        let lease = self
            .r
            .store
            .acquire_lease(
                key.as_str(),
                &self.r.config.replica,
                self.r.config.lease_ttl,
            )
            .await?;
        let Some(lease) = lease else {
            return Ok(());
        };
        let restored = self.restore_leased(&key, &change).await;
        self.release(&lease).await;
        restored
    }

    /// A configuration change that did not help, made before a restart: its previous value was
    /// only ever in memory, so people are told to restore it.
    async fn cannot_undo(&mut self, action: &Action) -> Result<()> {
        let name = match &action.kind {
            ActionKind::SetVariable { name, .. } | ActionKind::DisableFeatureFlag { name } => name,
            _ => return Ok(()),
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
    async fn restore_leased(
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
            None => Err(super::probe::missing("VariableStore")),
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

    /// Escalations and status messages due now. A P0 or P1 pages the on-call engineer at once
    /// (the runbook's "Page Immediately"), once: the escalation is recorded.
    async fn handle_due(&mut self) -> Result<()> {
        let severity = self.incident().severity();
        if severity.paging() == PagingMode::PageImmediately {
            self.escalate(Role::OnCall, format!("{severity}: page immediately"))
                .await?;
        }
        let now = self.now();
        for due in escalation::due(self.incident(), &self.r.escalation, now) {
            match due {
                Due::Escalate { role, reason, .. } => {
                    self.escalate(role, reason.to_string()).await?;
                }
                Due::InitialNotification => {
                    self.post(Outgoing::InitialNotification {
                        next_update: self.r.escalation.status_cadence,
                    })
                    .await?;
                }
                Due::StatusUpdate { .. } => {
                    self.post(Outgoing::StatusUpdate {
                        next_update: self.r.escalation.status_cadence,
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn escalate(&mut self, role: Role, reason: String) -> Result<()> {
        if self.incident().escalated_roles().contains(&role) {
            return Ok(());
        }
        self.journal
            .push(EventKind::Escalated {
                role,
                reason: reason.clone(),
            })
            .await?;
        let contacts = self.r.escalation.contacts(role).to_vec();
        // P2 is "Alert, No Page": the escalation goes to chat only.
        let pages = self.incident().severity().paging() == PagingMode::PageImmediately;
        if pages && let Some(pager) = &self.r.providers.pager {
            let page = Page {
                dedup_key: self.incident().dedup_key().to_owned(),
                role,
                summary: format!("{}: {}", self.incident().title(), reason)
                    .chars()
                    .take(1024)
                    .collect(),
                severity: self.incident().severity(),
            };
            if let Err(e) = pager.trigger(&page).await {
                self.journal
                    .push(EventKind::note(format!("could not page {role}: {e}")))
                    .await?;
            }
        }
        self.post(Outgoing::Escalation {
            role,
            contacts,
            reason,
        })
        .await
    }

    /// Sends a message (chat or status page) and records it. A message that cannot be sent is
    /// noted, never fatal.
    async fn post(&mut self, msg: Outgoing) -> Result<()> {
        let rendered = match render(
            &self.r.templates,
            self.incident(),
            self.now(),
            &self.r.config.actor,
            &msg,
        ) {
            Ok(r) => r,
            Err(e) => {
                return self
                    .journal
                    .push(EventKind::note(format!("could not render a message: {e}")))
                    .await;
            }
        };
        let sent = match &msg {
            Outgoing::StatusPage(status) => match &self.r.providers.status_page {
                None => return Ok(()),
                Some(page) => page
                    .publish(&StatusPageUpdate {
                        incident_key: self.incident().dedup_key().to_owned(),
                        title: self.incident().title().to_owned(),
                        status: *status,
                        body: rendered.text.clone(),
                    })
                    .await
                    .map(|()| "status-page".to_owned()),
            },
            _ => match &self.r.providers.chat {
                None => return Ok(()),
                Some(chat) => chat
                    .post(&ChatMessage {
                        channel: self.r.config.channel.clone(),
                        text: rendered.text.clone(),
                        mrkdwn: rendered.mrkdwn.clone(),
                    })
                    .await
                    .map(|r| r.channel),
            },
        };
        match sent {
            Ok(channel) => {
                self.journal
                    .push(EventKind::MessagePosted {
                        kind: rendered.kind,
                        channel,
                        text: rendered.text,
                    })
                    .await
            }
            Err(e) => {
                self.journal
                    .push(EventKind::note(format!(
                        "could not post {:?}: {e}",
                        rendered.kind
                    )))
                    .await
            }
        }
    }
}

fn describe_remedy(remedy: &Remedy) -> String {
    match remedy {
        Remedy::Act(kind) => kind.describe(),
        Remedy::SetVariable { name, .. } => format!("set {name}"),
        Remedy::CreateIssue { title, .. } => format!("create issue \"{title}\""),
    }
}

fn describe_checks(checks: &[Check]) -> String {
    let names: Vec<String> = checks
        .iter()
        .map(|c| match c {
            Check::Healthy { path } => format!("{path} healthy"),
            Check::AuthWorks { path } => format!("{path} authenticating"),
            Check::LatencyUnder { path, max } => {
                format!("{path} under {} ms", max.as_millis())
            }
            Check::ErrorRateAtBaseline { .. } => "error rate at baseline".into(),
            Check::PoolHealthy => "connection pool healthy".into(),
        })
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_shorter_than_the_rollback_wait_is_refused() {
        assert!(RunnerConfig::default().validate().is_ok());
        let config = RunnerConfig {
            lease_ttl: Duration::from_secs(60),
            rollback_wait: RollbackWait {
                poll_interval: Duration::from_secs(10),
                timeout: Duration::from_secs(5 * 60),
            },
            ..RunnerConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::Config);
        assert!(err.to_string().contains("lease_ttl"), "{err}");
    }
}
