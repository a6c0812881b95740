//! Probes, evidence, hypotheses and actions.

mod action;
pub mod approval;
pub mod diagnosis;
mod evidence;
pub mod probe;
pub mod signatures;

pub use action::*;
pub use approval::{Approval, ApprovalPolicy, PolicyVerdict};
pub use diagnosis::{DiagnosisConfig, EvidenceSet, dedup_probes, diagnose};
pub use evidence::*;
pub use probe::{Probe, ProbeWindow, Providers};
