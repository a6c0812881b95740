//! `Approver`: a person (or a rule) deciding on an action that policy did not auto-approve.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{Action, IncidentId};
use crate::severity::Severity;

/// What the approver is asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// The incident.
    pub incident: IncidentId,
    /// Its current severity.
    pub severity: Severity,
    /// The action.
    pub action: Action,
    /// Why it is proposed (the hypothesis it mitigates).
    pub rationale: String,
}

/// The approver's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    /// Go ahead.
    Approved {
        /// Who approved.
        by: String,
    },
    /// Do not.
    Rejected {
        /// Who rejected.
        by: String,
        /// Why.
        reason: String,
    },
}

/// Decides on actions that need approval.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Approver: Send + Sync + fmt::Debug + 'static {
    /// Decides on `request`.
    ///
    /// # Errors
    /// `Timeout` when nobody answered in time (treated as a rejection by the runner).
    async fn decide(&self, request: &ApprovalRequest) -> Result<Decision>;
}

/// Approves everything, as `by`.
#[derive(Debug, Clone)]
pub struct AutoApprove {
    by: String,
}

impl AutoApprove {
    /// Approves everything, signing as `by`.
    pub fn new(by: impl Into<String>) -> Self {
        Self { by: by.into() }
    }
}

#[async_trait]
impl Approver for AutoApprove {
    async fn decide(&self, _request: &ApprovalRequest) -> Result<Decision> {
        Ok(Decision::Approved {
            by: self.by.clone(),
        })
    }
}

/// Rejects everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct DenyAll;

#[async_trait]
impl Approver for DenyAll {
    async fn decide(&self, _request: &ApprovalRequest) -> Result<Decision> {
        Ok(Decision::Rejected {
            by: "deny-all".into(),
            reason: "every action needing approval is denied by configuration".into(),
        })
    }
}

type DecideFn = dyn Fn(&ApprovalRequest) -> Decision + Send + Sync;

/// Decides with a closure (a chat-ops prompt, a rule, a test).
#[derive(Clone)]
pub struct CallbackApprover {
    decide: Arc<DecideFn>,
}

impl CallbackApprover {
    /// Decides with `decide`.
    pub fn new(decide: impl Fn(&ApprovalRequest) -> Decision + Send + Sync + 'static) -> Self {
        Self {
            decide: Arc::new(decide),
        }
    }
}

impl fmt::Debug for CallbackApprover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackApprover").finish_non_exhaustive()
    }
}

#[async_trait]
impl Approver for CallbackApprover {
    async fn decide(&self, request: &ApprovalRequest) -> Result<Decision> {
        Ok((self.decide)(request))
    }
}
