//! Playbooks: probes, evidence, hypotheses, actions, approval, and the runner that drives an
//! incident through them.
//!
//! - [`Probe`]s ask the ports questions; [`diagnose`] asks them all at once and turns every
//!   answer (or failure) into [`Evidence`](crate::model::Evidence).
//! - A [`Playbook`] says when it applies, which probes it needs, which causes the evidence
//!   points to ([`Hypothesis`](crate::model::Hypothesis), built with [`Scorer`]) and what to do about each ([`Plan`]).
//! - [`ApprovalPolicy`] and the [`Approver`](crate::ports::Approver) decide on each [`Action`](crate::model::Action).
//! - The [`Runner`] drives the incident from Investigating to Resolved.

mod approval;
mod diagnosis;
mod execute;
mod plan;
mod probe;
mod runner;
pub mod signatures;
mod verify;

pub use approval::{Approval, ApprovalPolicy, PolicyVerdict};
pub use diagnosis::{Cited, DiagnosisConfig, EvidenceSet, dedup_probes, diagnose};
pub use execute::random_base64;
pub use plan::{
    Context, Mitigation, NewValue, Plan, Playbook, Remedy, Scorer, Symptoms, ids, rank,
};
pub use probe::{MAX_LOG_MATCHES, Probe, ProbeWindow, Providers};
#[cfg(any(test, feature = "mock"))]
pub use runner::MockUserReports;
pub use runner::{Outcome, RunReport, Runner, RunnerConfig, UserReports};
pub use verify::{Baseline, Check, Round, Verification};
