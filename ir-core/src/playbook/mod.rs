//! Playbooks: probes, evidence, hypotheses, plans and approval; the
//! [`Runner`](crate::runner::Runner) drives an incident through them.
//!
//! - [`Probe`]s ask the ports questions; [`diagnose`] asks them all at once and turns every
//!   answer (or failure) into [`Evidence`](crate::model::Evidence).
//! - A [`Playbook`] says when it applies, which probes it needs, which causes the evidence
//!   points to ([`Hypothesis`](crate::model::Hypothesis), built with [`Scorer`]) and what to do about each ([`Plan`]).
//! - [`ApprovalPolicy`] and the [`Approver`](crate::ports::Approver) decide on each [`Action`](crate::model::Action).

pub(crate) mod approval;
pub(crate) mod diagnosis;
mod memo;
pub(crate) mod plan;
pub(crate) mod probe;
pub mod signatures;
pub(crate) mod triage;
pub(crate) mod verify;

pub use approval::{Approval, ApprovalPolicy, PolicyVerdict};
pub use diagnosis::{Cited, DiagnosisConfig, EvidenceSet, dedup_probes, diagnose};
pub use plan::{
    Context, Mitigation, NewValue, Plan, Playbook, Remedy, Scorer, Symptoms, ids, rank,
};
pub use probe::{MAX_LOG_MATCHES, Probe, ProbeWindow, Providers};
pub use triage::MAX_SIGNATURES;
pub use verify::{Baseline, Round};
