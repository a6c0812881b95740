//! Deployments and the service's status, in the platform-neutral form every `DeployPlatform`
//! reports.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

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

/// A deployment's status, normalised across platforms. Each adapter maps its platform's own
/// names onto these (Railway's `SUCCESS` is [`Active`](Self::Active), `REMOVED` is
/// [`Removed`](Self::Removed), ...); a status it cannot map is kept as
/// [`Unknown`](Self::Unknown) with the platform's own word, never rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeploymentStatus {
    /// Accepted, not started: queued, or waiting on something (an approval, a slot).
    Queued,
    /// Building the image (or preparing to).
    Building,
    /// Built, being rolled out.
    Deploying,
    /// Live: serving traffic as far as the platform knows.
    Active,
    /// Live but scaled to zero; it serves again on the next request.
    Sleeping,
    /// The build or the rollout failed; it never served.
    Failed,
    /// It ran and crashed.
    Crashed,
    /// Being taken down after a newer deployment replaced it.
    Removing,
    /// Replaced by a newer deployment after serving.
    Removed,
    /// Skipped or cancelled before it ran.
    Skipped,
    /// A status the adapter could not map, as the platform spelled it.
    #[serde(untagged)]
    Unknown(String),
}

impl DeploymentStatus {
    /// Whether the deployment reached a terminal state (it will not change by itself).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Crashed | Self::Failed | Self::Removed | Self::Skipped | Self::Active
        )
    }

    /// Whether the deployment failed (crashed or failed).
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Crashed | Self::Failed)
    }

    /// Whether the deployment is, or once was, live: the candidates for a rollback to a last
    /// known good build. A removed deployment was replaced after serving; a failed, crashed or
    /// skipped one never served (or not well), and one still on its way has not yet.
    pub fn served_traffic(&self) -> bool {
        matches!(
            self,
            Self::Active | Self::Sleeping | Self::Removing | Self::Removed
        )
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

/// The state of one replica of a live deployment, normalised across platforms; unmapped
/// statuses are kept as [`Unknown`](Self::Unknown).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InstanceStatus {
    /// Created or initializing, not yet running.
    Starting,
    /// Running.
    Running,
    /// Restarting (after a crash or on request).
    Restarting,
    /// Crashed.
    Crashed,
    /// Exited by itself.
    Exited,
    /// Stopped on purpose.
    Stopped,
    /// Being removed.
    Removing,
    /// Removed.
    Removed,
    /// A status the adapter could not map, as the platform spelled it.
    #[serde(untagged)]
    Unknown(String),
}

impl InstanceStatus {
    /// Whether the replica is down through a fault (crashed or exited by itself).
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Crashed | Self::Exited)
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
    /// The deployment serving now: the first active one, else the latest.
    pub fn current(&self) -> Option<&Deployment> {
        self.active_deployments
            .first()
            .or(self.latest_deployment.as_ref())
    }

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
