//! What the timeline stores: ids, actions (kind, risk, idempotency key), evidence and the
//! observations behind it, hypotheses, roles, message kinds, time windows and how a mitigation is verified.
//!
//! This is the bottom layer of `ir-core`: it depends only on [`crate::error`],
//! [`crate::clock`] and the [`crate::redact`] scrubber, and every other module builds on it.
//! The provider traits in [`crate::ports`] return these types; the incident's events hold them.

mod action;
mod code;
mod database;
mod deploy;
mod evidence;
mod health;
mod incident;
mod logs;
mod summary;
mod tracker;
mod verification;

pub use action::{Action, ActionKind, IdempotencyKey, Risk};
pub use code::{FailedJob, RunConclusion, WorkflowRun};
pub use database::{
    ConnectionGroup, ConnectionStatus, DsnCheck, DsnRoute, PgBouncerPool, PoolStatus, SlowQueries,
    SlowQuery, StateCounts,
};
pub use deploy::{Deployment, DeploymentId, DeploymentStatus, InstanceStatus, ServiceStatus};
pub use evidence::{Evidence, EvidenceId, EvidenceOutcome, Hypothesis, Observation};
pub use health::{HealthOutcome, HealthReport};
pub use incident::{
    ChecklistItem, Delivery, Flag, IncidentId, MessageKind, PageOp, Role, StatusPageStatus,
};
pub use logs::{LogLevel, LogLine, LogSignature, LogSignatures};
pub use tracker::{
    ErrorBucket, IssueSpike, IssueTrends, SpikeRule, TimeWindow, TrackedIssue, issue_trends,
};
pub use verification::{Check, Verification, VerificationTimings};
