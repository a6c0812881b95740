//! `DeployPlatform`: where the service runs (Railway and the like).

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{Deployment, DeploymentId, ServiceStatus};

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
