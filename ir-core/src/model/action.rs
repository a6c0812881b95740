//! Typed mitigation actions, their risk class and idempotency key.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::deploy::DeploymentId;

/// Identifies one action of one incident. Recording the key before executing, and checking it
/// before executing again, is what keeps a crash from repeating a rollback.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(pub String);

impl IdempotencyKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How much harm an action can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Changes nothing.
    ReadOnly,
    /// Changes something that can be undone (rollback, restart, variable set).
    Reversible,
    /// Cannot be undone (terminating connections, changing a URL that others depend on).
    Destructive,
}

/// What an action does. Secret values never appear here: a variable change carries only the
/// fingerprint of its new value.
///
/// This is the data the timeline stores; what each kind does (describing, executing,
/// reconciling) is in [`crate::actions`], one module per family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
#[non_exhaustive]
pub enum ActionKind {
    /// Roll the service back to an earlier deployment.
    Rollback {
        /// The last known good deployment.
        to: DeploymentId,
        /// The deployment being replaced, when known.
        from: Option<DeploymentId>,
    },
    /// Redeploy a deployment (same build).
    Redeploy {
        /// The deployment.
        deployment: DeploymentId,
    },
    /// Restart a deployment without rebuilding.
    Restart {
        /// The deployment.
        deployment: DeploymentId,
    },
    /// Set a variable (the service restarts).
    SetVariable {
        /// Variable name.
        name: String,
        /// Fingerprint of the new value (see [`crate::ports::FingerprintKey`]).
        value_fingerprint: String,
    },
    /// Put a variable back to the value it had before we changed it (or unset it).
    RestoreVariable {
        /// Variable name.
        name: String,
        /// Fingerprint of the restored value; `None` when the variable was unset before.
        value_fingerprint: Option<String>,
    },
    /// Turn a feature flag off.
    DisableFeatureFlag {
        /// The flag's variable name.
        name: String,
    },
    /// Terminate idle database connections older than a threshold.
    TerminateIdleConnections {
        /// Idle threshold.
        #[serde(with = "humantime_serde")]
        older_than: Duration,
        /// Only this application.
        application_name: Option<String>,
        /// Only this role.
        user: Option<String>,
    },
    /// Open a pull request reverting a commit.
    OpenRevertPr {
        /// Commit to revert.
        commit_sha: String,
        /// Target branch.
        base: String,
    },
    /// File an issue (e.g. naming a missing file, or a postmortem action item).
    CreateIssue {
        /// Title.
        title: String,
    },
    /// Change nothing: wait for a provider (the platform, a third party) to recover, with the
    /// people who can act on it told. The runbook's "Wait for Railway resolution".
    AwaitRecovery {
        /// The provider, e.g. `railway`.
        provider: String,
    },
}

/// A proposed action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Idempotency key, unique within the incident.
    pub key: IdempotencyKey,
    /// What it does.
    pub kind: ActionKind,
    /// Risk class.
    pub risk: Risk,
}

// `Action::new` and the kinds' behaviour (describe, past tense, slug, default risk) are in
// `crate::actions`, one module per family.
impl Action {
    /// Overrides the risk class.
    pub fn with_risk(mut self, risk: Risk) -> Self {
        self.risk = risk;
        self
    }
}
