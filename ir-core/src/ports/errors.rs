//! `ErrorTracker`: the application's error tracker (Sentry and the like).

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{ErrorBucket, IssueTrends, SpikeRule, TimeWindow, TrackedIssue, issue_trends};

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

    /// New and spiking issues in `window` against `baseline` (see
    /// [`issue_trends`](crate::model::issue_trends)), from the
    /// [`top_issues`](Self::top_issues) of both windows (up to `limit` each) and the
    /// [`new_issues`](Self::new_issues) of `window`.
    ///
    /// When the baseline holds `limit` issues, one it does not list may have had events there
    /// all the same: it is given the baseline's smallest count (at least its count), so a
    /// truncated baseline never invents a spike.
    ///
    /// # Errors
    /// As [`new_issues`](Self::new_issues).
    async fn issue_trends(
        &self,
        window: TimeWindow,
        baseline: TimeWindow,
        rule: SpikeRule,
        limit: usize,
    ) -> Result<IssueTrends> {
        let mut current = self.top_issues(window, limit).await?;
        for issue in self.new_issues(window).await? {
            if !current.iter().any(|c| c.id == issue.id) {
                current.push(issue);
            }
        }
        let mut before = self.top_issues(baseline, limit).await?;
        if limit > 0 && before.len() >= limit {
            let least = before.iter().map(|b| b.count).min().unwrap_or(0);
            let unlisted: Vec<TrackedIssue> = current
                .iter()
                .filter(|c| !before.iter().any(|b| b.id == c.id))
                .map(|c| {
                    let mut stand_in = c.clone();
                    stand_in.count = least;
                    stand_in
                })
                .collect();
            before.extend(unlisted);
        }
        Ok(issue_trends(window, &current, baseline, &before, rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tracker answering `top_issues` from fixed lists, one per window start.
    #[derive(Debug)]
    struct Fixed {
        window: TimeWindow,
        current: Vec<TrackedIssue>,
        fresh: Vec<TrackedIssue>,
        baseline: Vec<TrackedIssue>,
    }

    #[async_trait]
    impl ErrorTracker for Fixed {
        async fn new_issues(&self, _: TimeWindow) -> Result<Vec<TrackedIssue>> {
            Ok(self.fresh.clone())
        }
        async fn top_issues(&self, window: TimeWindow, limit: usize) -> Result<Vec<TrackedIssue>> {
            let list = if window == self.window {
                &self.current
            } else {
                &self.baseline
            };
            Ok(list.iter().take(limit).cloned().collect())
        }
        async fn error_counts(
            &self,
            _: TimeWindow,
            _: std::time::Duration,
        ) -> Result<Vec<ErrorBucket>> {
            Ok(Vec::new())
        }
    }

    fn t(minutes: i64) -> crate::clock::Timestamp {
        chrono::DateTime::from_timestamp(1_770_564_600 + minutes * 60, 0).unwrap_or_default()
    }

    #[tokio::test]
    async fn trends_merge_new_issues_and_distrust_a_truncated_baseline() {
        let issue = |id: &str, count, first| TrackedIssue::new(id, id, count, t(first), t(74));
        let window = TimeWindow::new(t(60), t(75));
        let baseline = TimeWindow::new(t(0), t(60));
        let tracker = Fixed {
            window,
            current: vec![issue("hot", 90, -500), issue("lurker", 40, -500)],
            fresh: vec![issue("fresh", 1, 70)],
            baseline: vec![issue("hot", 100, -500), issue("big", 300, -500)],
        };
        // The baseline lists everything it has: `lurker` had no events there.
        let all = tracker
            .issue_trends(window, baseline, SpikeRule::default(), 10)
            .await
            .unwrap_or_default();
        assert_eq!(all.new.len(), 1);
        let ids: Vec<_> = all.spiking.iter().map(|s| s.issue.id.as_str()).collect();
        assert_eq!(ids, ["lurker", "hot"]); // 40 over the floor of 10, 90 over 25
        // Cut to two, the baseline may have left `lurker` out: it gets the least listed count.
        let cut = tracker
            .issue_trends(window, baseline, SpikeRule::default(), 2)
            .await
            .unwrap_or_default();
        let ids: Vec<_> = cut.spiking.iter().map(|s| s.issue.id.as_str()).collect();
        assert_eq!(ids, ["hot"]);
    }
}
