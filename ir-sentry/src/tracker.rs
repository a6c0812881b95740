//! [`ErrorTracker`] for [`SentryClient`].

use std::time::Duration;

use async_trait::async_trait;
use ir_core::Result;
use ir_core::model::{ErrorBucket, TimeWindow, TrackedIssue};
use ir_core::ports::ErrorTracker;

use crate::client::SentryClient;

#[async_trait]
impl ErrorTracker for SentryClient {
    async fn new_issues(&self, window: TimeWindow) -> Result<Vec<TrackedIssue>> {
        self.first_seen_in(window).await
    }

    async fn top_issues(&self, window: TimeWindow, limit: usize) -> Result<Vec<TrackedIssue>> {
        self.most_frequent_in(window, limit).await
    }

    async fn error_counts(
        &self,
        window: TimeWindow,
        interval: Duration,
    ) -> Result<Vec<ErrorBucket>> {
        self.events_per_interval(window, interval).await
    }
}
