//! `DeployPlatform`: where the service runs (Railway and the like).

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::Result;

/// A platform deployment id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeploymentId(pub String);

impl DeploymentId {
    /// Wraps an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deployment's status, as the platform reports it. Unknown values are kept, not rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum DeploymentStatus {
    /// Building the image.
    Building,
    /// The deployment crashed.
    Crashed,
    /// Being deployed.
    Deploying,
    /// The build or deploy failed.
    Failed,
    /// Initializing.
    Initializing,
    /// Waiting for approval.
    NeedsApproval,
    /// Queued.
    Queued,
    /// Removed (replaced by a newer deployment).
    Removed,
    /// Being removed.
    Removing,
    /// Skipped.
    Skipped,
    /// Sleeping (scaled to zero).
    Sleeping,
    /// Live and healthy as far as the platform knows.
    Success,
    /// Waiting.
    Waiting,
    /// A status this version of `ir` does not know.
    #[serde(untagged)]
    Unknown(String),
}

impl DeploymentStatus {
    /// Parses the platform's upper-case status name, keeping unknown values.
    pub fn parse(s: &str) -> Self {
        match s {
            "BUILDING" => Self::Building,
            "CRASHED" => Self::Crashed,
            "DEPLOYING" => Self::Deploying,
            "FAILED" => Self::Failed,
            "INITIALIZING" => Self::Initializing,
            "NEEDS_APPROVAL" => Self::NeedsApproval,
            "QUEUED" => Self::Queued,
            "REMOVED" => Self::Removed,
            "REMOVING" => Self::Removing,
            "SKIPPED" => Self::Skipped,
            "SLEEPING" => Self::Sleeping,
            "SUCCESS" => Self::Success,
            "WAITING" => Self::Waiting,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// Whether the deployment reached a terminal state (it will not change by itself).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Crashed | Self::Failed | Self::Removed | Self::Skipped | Self::Success
        )
    }

    /// Whether the deployment failed (crashed or failed).
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Crashed | Self::Failed)
    }
}

/// One deployment of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Deployment {
    /// Platform id.
    pub id: DeploymentId,
    /// Status.
    pub status: DeploymentStatus,
    /// When it was created.
    pub created_at: Timestamp,
    /// The commit it was built from, when known.
    pub commit_sha: Option<String>,
    /// The commit message, when known.
    pub commit_message: Option<String>,
    /// Whether the platform allows rolling back to it.
    pub can_rollback: bool,
    /// Whether the platform allows redeploying it.
    pub can_redeploy: bool,
}

impl Deployment {
    /// A deployment with the given id, status and creation time, and nothing else known.
    pub fn new(id: impl Into<String>, status: DeploymentStatus, created_at: Timestamp) -> Self {
        Self {
            id: DeploymentId::new(id),
            status,
            created_at,
            commit_sha: None,
            commit_message: None,
            can_rollback: false,
            can_redeploy: false,
        }
    }

    /// Sets the commit.
    pub fn with_commit(mut self, sha: impl Into<String>, message: Option<String>) -> Self {
        self.commit_sha = Some(sha.into());
        self.commit_message = message;
        self
    }

    /// Sets whether the platform allows rollback and redeploy.
    pub fn with_capabilities(mut self, can_rollback: bool, can_redeploy: bool) -> Self {
        self.can_rollback = can_rollback;
        self.can_redeploy = can_redeploy;
        self
    }
}

/// The state of one running replica.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InstanceStatus {
    /// Crashed.
    Crashed,
    /// Created.
    Created,
    /// Exited.
    Exited,
    /// Initializing.
    Initializing,
    /// Removed.
    Removed,
    /// Being removed.
    Removing,
    /// Restarting.
    Restarting,
    /// Running.
    Running,
    /// Skipped.
    Skipped,
    /// Stopped.
    Stopped,
    /// A status this version of `ir` does not know.
    #[serde(untagged)]
    Unknown(String),
}

impl InstanceStatus {
    /// Parses the platform's upper-case name, keeping unknown values.
    pub fn parse(s: &str) -> Self {
        match s {
            "CRASHED" => Self::Crashed,
            "CREATED" => Self::Created,
            "EXITED" => Self::Exited,
            "INITIALIZING" => Self::Initializing,
            "REMOVED" => Self::Removed,
            "REMOVING" => Self::Removing,
            "RESTARTING" => Self::Restarting,
            "RUNNING" => Self::Running,
            "SKIPPED" => Self::Skipped,
            "STOPPED" => Self::Stopped,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// What the platform says about the service right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceStatus {
    /// The service's name.
    pub service_name: String,
    /// The newest deployment, whatever its status.
    pub latest_deployment: Option<Deployment>,
    /// Deployments currently serving traffic.
    pub active_deployments: Vec<Deployment>,
    /// Replica statuses of the active deployments.
    pub instances: Vec<InstanceStatus>,
}

impl ServiceStatus {
    /// A status for `service_name` with nothing deployed.
    pub fn new(service_name: impl Into<String>) -> Self {
        Self {
            service_name: service_name.into(),
            latest_deployment: None,
            active_deployments: Vec::new(),
            instances: Vec::new(),
        }
    }

    /// Sets the latest deployment.
    pub fn with_latest(mut self, deployment: Deployment) -> Self {
        self.latest_deployment = Some(deployment);
        self
    }

    /// Sets the active deployments.
    pub fn with_active(mut self, deployments: Vec<Deployment>) -> Self {
        self.active_deployments = deployments;
        self
    }

    /// Sets the replica statuses.
    pub fn with_instances(mut self, instances: Vec<InstanceStatus>) -> Self {
        self.instances = instances;
        self
    }
}

/// Where the service runs: status, deployments, rollback, redeploy, restart.
///
/// An implementation is bound to one service (and environment) by its configuration.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DeployPlatform: Send + Sync + fmt::Debug + 'static {
    /// The service's current status.
    ///
    /// # Errors
    /// `Unauthenticated`/`PermissionDenied` for a bad token, `NotFound` for an unknown service,
    /// `Unavailable`/`Timeout`/`RateLimited` when the platform cannot answer now.
    async fn service_status(&self) -> Result<ServiceStatus>;

    /// Up to `limit` deployments, newest first.
    ///
    /// # Errors
    /// As [`service_status`](Self::service_status).
    async fn list_deployments(&self, limit: usize) -> Result<Vec<Deployment>>;

    /// One deployment by id.
    ///
    /// # Errors
    /// `NotFound` when it does not exist; otherwise as [`service_status`](Self::service_status).
    async fn deployment(&self, id: &DeploymentId) -> Result<Deployment>;

    /// Rolls the service back to deployment `to` (which must allow rollback).
    ///
    /// # Errors
    /// `InvalidInput` or `Conflict` when the platform refuses the rollback; otherwise as
    /// [`service_status`](Self::service_status). A timed-out rollback may still have happened:
    /// re-read the status before repeating it.
    async fn rollback(&self, to: &DeploymentId) -> Result<()>;

    /// Redeploys deployment `id` (same build); returns the new deployment's id.
    ///
    /// # Errors
    /// As [`rollback`](Self::rollback).
    async fn redeploy(&self, id: &DeploymentId) -> Result<DeploymentId>;

    /// Restarts deployment `id` without rebuilding.
    ///
    /// # Errors
    /// As [`rollback`](Self::rollback).
    async fn restart(&self, id: &DeploymentId) -> Result<()>;
}
