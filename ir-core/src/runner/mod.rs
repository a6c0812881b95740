//! The runner: drives an incident from Investigating to Resolved.
//!
//! 1. **Investigating**: every probe the applicable playbooks need runs at once
//!    ([`diagnose`](crate::playbook::diagnose)); each result is recorded as evidence.
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
//! ([`escalation::due`](crate::escalation::due)).
//!
//! # Crashes and replicas
//!
//! Every side effect goes through the timeline: intent recorded, then the call, then the
//! outcome. A runner that stopped anywhere is resumed by calling [`Runner::run`] (or
//! [`Runner::resume`], from the store alone) on any replica:
//!
//! - **Actions** are at most once. An action with an intent (`ActionStarted`) and no outcome
//!   is reconciled against provider state: it took effect (recorded as succeeded), it did not
//!   and nothing of it is under way (carried out again, or, when it needs a value only the
//!   stopped run held, withdrawn and proposed anew), or it cannot be told (recorded as failed,
//!   never repeated). A provider error that says the change may have taken effect (a timeout
//!   after sending, a lost answer) is reconciled the same way before anything is recorded.
//! - **Messages and pages** are at least once. Each is queued (`MessageQueued`, in the same
//!   append as the transition that calls for it) before it is sent, and its outcome names it;
//!   a message queued and not delivered when a run stopped is delivered by the next one (a
//!   chat message may then appear twice; the timeline notes it). Pages are keyed by the
//!   incident's dedup key, so the pager itself makes a repeated one harmless.
//! - **One driver per incident**: a run holds the incident's lease and renews it as it goes;
//!   a replica that finds it held returns [`Outcome::DrivenElsewhere`] at once, and takes over
//!   once the lease lapses.
//!
//! What is pending is read from the fold ([`Incident::interrupted_actions`],
//! [`Incident::pending_verification`], [`Incident::outbox`]): a mitigation's hypothesis and
//! verification are recorded when it is proposed, so resuming never re-plans. Everything that
//! enters the timeline is scrubbed of the values the run generated or read, and of credential
//! patterns.
//!
//! One file per phase, each adding the methods of its phase to the run (`Drive`):
//! `investigate` (the first messages, diagnosis, assessment), `resume` (interrupted actions,
//! pending verification), `mitigate` (plans, proposals, approval), `act` (execution under a
//! lease, undo), `leases`, `monitor` (verification, monitoring, resolution criteria),
//! `escalate` (timers, paging), `messages` (rendering, queueing, delivering), `journal` (the
//! timeline, kept in step with the store), `scrub`, `config`.

mod act;
mod config;
mod escalate;
mod investigate;
mod journal;
mod leases;
mod messages;
mod mitigate;
mod monitor;
mod resume;
mod scrub;

pub use config::{AckPolicy, RunnerConfig, UnmeasuredCriteria};

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use self::journal::Journal;
use self::scrub::Scrubber;
use crate::actions::{self, Payload};
use crate::clock::{Clock, Timestamp};
use crate::comms::Templates;
use crate::error::{Error, Result};
use crate::escalation::EscalationPolicy;
use crate::incident::{Incident, Phase};
use crate::model::Hypothesis;
use crate::model::IncidentId;
use crate::model::{Action, IdempotencyKey};
use crate::playbook::approval::ApprovalPolicy;
use crate::playbook::diagnosis::EvidenceSet;
use crate::playbook::plan::{Context, Playbook, Symptoms};
use crate::playbook::probe::Providers;
use crate::playbook::verify::Baseline;
use crate::ports::{Approver, DenyAll, FingerprintKey, IncidentStore, Lease};
use crate::rollback::VariableChange;
use crate::severity::SeverityPolicy;

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
    /// Another replica holds the incident's lease and is driving it; nothing was done. Call
    /// again later to take over if that replica stops (its lease lapses after
    /// [`RunnerConfig::lease_ttl`]).
    DrivenElsewhere,
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
/// use ir_core::playbook::{Providers, Symptoms};
/// use ir_core::runner::Runner;
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
    fingerprints: FingerprintKey,
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
            fingerprints: FingerprintKey::random().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "no random fingerprint key; using a per-process one derived from the time");
                FingerprintKey::from_secret(&secrecy::SecretString::from(format!(
                    "{:?}{}",
                    std::time::SystemTime::now(),
                    std::process::id()
                )))
            }),
        }
    }

    /// Sets the key of the fingerprints recorded instead of values (see [`FingerprintKey`]).
    /// Replicas that should recognise each other's changes share one; without it each runner
    /// has a random key of its own.
    pub fn with_fingerprint_key(mut self, key: FingerprintKey) -> Self {
        self.fingerprints = key;
        self
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
    /// Calling it again on the same incident, on this replica or another, resumes from the
    /// timeline; on a resolved incident it delivers what a stopped run left undelivered (the
    /// resolution, the status page, the page's resolution) and returns the resolution.
    ///
    /// # Errors
    /// The store's errors (the run can be resumed once it is back).
    pub async fn run(&self, id: IncidentId, symptoms: &Symptoms) -> Result<RunReport> {
        let lease_key = format!("incident:{id}");
        let Some(lease) = self
            .store
            .acquire_lease(&lease_key, &self.config.replica, self.config.lease_ttl)
            .await?
        else {
            tracing::info!(incident = %id, "driven by another replica");
            let incident = self.store.load(id).await?.incident()?;
            return Ok(RunReport {
                outcome: Outcome::DrivenElsewhere,
                incident,
            });
        };
        let journal = match Journal::load(
            self.store.clone(),
            self.clock.clone(),
            self.config.actor.clone(),
            id,
            Scrubber::default(),
        )
        .await
        {
            Ok(j) => j,
            Err(e) => {
                self.release(&lease).await;
                return Err(e);
            }
        };
        let mut drive = Drive::new(self, journal, symptoms.clone(), Some(lease));
        let outcome = drive.drive().await;
        if let Some(lease) = drive.lease.take() {
            self.release(&lease).await;
        }
        Ok(RunReport {
            outcome: outcome?,
            incident: drive.journal.into_incident(),
        })
    }

    /// [`Runner::run`] with the symptoms recorded when the incident was opened: how any
    /// replica continues an open incident it found in [`IncidentStore::list_open`].
    ///
    /// # Errors
    /// `InvalidInput` when the incident's `Detected` event carries no symptoms (it was opened
    /// without them: call [`Runner::run`] with them); as [`Runner::run`].
    pub async fn resume(&self, id: IncidentId) -> Result<RunReport> {
        let incident = self.store.load(id).await?.incident()?;
        let Some(symptoms) = incident.symptoms().cloned() else {
            return Err(Error::invalid_input(format!(
                "incident {id} was opened without its symptoms; resume it with Runner::run"
            )));
        };
        self.run(id, &symptoms).await
    }

    /// A person acknowledges incident `id` (from a chat command, a pager webhook, an API
    /// call): recorded once, then the runbook's "Acknowledged – investigating" is posted and
    /// the page acknowledged at the pager (when one was sent). Acknowledging an incident
    /// someone already acknowledged changes nothing. It does not wait for the replica driving
    /// the incident.
    ///
    /// # Errors
    /// `InvalidInput` when the incident is resolved or closed; the store's errors.
    pub async fn acknowledge(&self, id: IncidentId, by: &str) -> Result<Incident> {
        let journal = Journal::load(
            self.store.clone(),
            self.clock.clone(),
            by.to_owned(),
            id,
            Scrubber::default(),
        )
        .await?;
        let mut drive = Drive::new(self, journal, Symptoms::default(), None);
        drive.acknowledge(by.to_owned()).await?;
        Ok(drive.journal.into_incident())
    }

    async fn release(&self, lease: &Lease) {
        if let Err(e) = self.store.release_lease(lease).await {
            tracing::warn!(key = %lease.key, error = %e, "could not release a lease; it lapses on its own");
        }
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
    /// The incident's lease, while this run drives it, and when it was last renewed.
    lease: Option<Lease>,
    renewed_at: Timestamp,
    /// The queued messages this run delivers: those it queued, and those a stopped run left.
    mine: BTreeSet<u32>,
}

/// What trying one mitigation led to.
enum Tried {
    Resolved(Outcome),
    Stop(Outcome),
    Next,
}

impl<'r> Drive<'r> {
    fn new(r: &'r Runner, journal: Journal, symptoms: Symptoms, lease: Option<Lease>) -> Self {
        let renewed_at = r.clock.now();
        Self {
            r,
            journal,
            symptoms,
            evidence: EvidenceSet::new(),
            hypotheses: Vec::new(),
            baseline: None,
            payloads: HashMap::new(),
            changes: HashMap::new(),
            would_run: Vec::new(),
            recommendations: Vec::new(),
            lease,
            renewed_at,
            mine: BTreeSet::new(),
        }
    }
}

impl Drive<'_> {
    /// What executing and reconciling an action read: the ports, the clock, the rollback wait.
    fn action_env(&self) -> actions::Env<'_> {
        let p = &self.r.providers;
        actions::Env {
            ports: actions::Ports {
                deploy: p.deploy.as_deref(),
                variables: p.variables.as_deref(),
                database: p.database.as_deref(),
                code: p.code.as_deref(),
            },
            clock: self.r.clock.as_ref(),
            wait: &self.r.config.rollback_wait,
            fingerprints: &self.r.fingerprints,
        }
    }

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

    async fn drive(&mut self) -> Result<Outcome> {
        // What a stopped run queued and did not deliver goes out first, in order.
        self.deliver_leftovers().await?;
        if !self.incident().phase().is_open() {
            let (root_cause, mitigation) = self.incident().resolution().unwrap_or_default();
            return Ok(Outcome::Resolved {
                root_cause: root_cause.to_owned(),
                mitigation: mitigation.to_owned(),
            });
        }
        if self.incident().phase() < Phase::Investigating {
            // A fresh incident: its first messages and its diagnosis at once.
            self.start_and_investigate().await?;
        } else {
            self.start().await?;
            if let Some(outcome) = self.resume_interrupted().await? {
                return Ok(outcome);
            }
            if self.incident().phase() == Phase::Investigating {
                self.investigate().await?;
            } else {
                self.restore_assessment();
            }
        }
        self.handle_due().await?;
        if let Some(outcome) = self.finish_pending_verification().await? {
            return Ok(outcome);
        }
        self.mitigate().await
    }
}
