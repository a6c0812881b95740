//! `HealthProbe`: the runbook's `curl -I https://.../health`.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;
use crate::model::HealthReport;

/// Checks an HTTP endpoint of the service.
///
/// An implementation is bound to the service's base URL by its configuration; `path` is
/// relative to it (`/health`, `/api/auth/session`).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait HealthProbe: Send + Sync + fmt::Debug + 'static {
    /// Requests `path` and reports what happened. An unreachable or failing endpoint is a
    /// report, not an error.
    ///
    /// # Errors
    /// `Config` when `path` cannot form a valid URL with the base.
    async fn check(&self, path: &str) -> Result<HealthReport>;
}
