//! `ErrorTracker`: the application's error tracker (Sentry and the like).

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{ErrorBucket, TimeWindow, TrackedIssue};

/// The application's error tracker.
///
/// An implementation is bound to one organization and project by its configuration.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ErrorTracker: Send + Sync + fmt::Debug + 'static {
    /// Issues first seen within `window`, newest first.
    ///
    /// # Errors
    /// `Unauthenticated`/`PermissionDenied`, `RateLimited`, `Unavailable`, `Timeout`.
    async fn new_issues(&self, window: TimeWindow) -> Result<Vec<TrackedIssue>>;

    /// Up to `limit` issues with events in `window`, most frequent first.
    ///
    /// # Errors
    /// As [`new_issues`](Self::new_issues).
    async fn top_issues(&self, window: TimeWindow, limit: usize) -> Result<Vec<TrackedIssue>>;

    /// Error events per `interval` across `window`, oldest first.
    ///
    /// # Errors
    /// As [`new_issues`](Self::new_issues); `InvalidInput` for an interval the tracker cannot
    /// resolve.
    async fn error_counts(
        &self,
        window: TimeWindow,
        interval: std::time::Duration,
    ) -> Result<Vec<ErrorBucket>>;
}
