//! In-memory `ErrorTracker`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use ir_core::clock::Timestamp;
use ir_core::error::{Error, Result};
use ir_core::model::{ErrorBucket, TimeWindow, TrackedIssue};
use ir_core::ports::ErrorTracker;

use crate::{lock, to_chrono};

/// The most buckets one [`ErrorTracker::error_counts`] call answers with; a finer interval is
/// `InvalidInput`, as a hosted tracker refuses too many data points.
pub const MAX_ERROR_BUCKETS: usize = 10_000;

#[derive(Debug, Default)]
struct TrackerState {
    issues: Vec<TrackedIssue>,
    events: Vec<Timestamp>,
}

/// An `ErrorTracker` holding issues and error event timestamps.
///
/// - `new_issues`: issues whose `first_seen` is inside the window, newest first.
/// - `top_issues`: issues with events in the window (their `[first_seen, last_seen]` span
///   overlaps it), highest `count` first.
/// - `error_counts`: the recorded events counted in consecutive intervals starting at the
///   window's start, the last one cut at the window's end.
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::{TimeWindow, TrackedIssue};
/// use ir_core::ports::ErrorTracker;
/// use ir_testkit::InMemoryErrorTracker;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ir_core::Result<()> {
/// let now = chrono::Utc::now();
/// let tracker = InMemoryErrorTracker::new();
/// let first = now - chrono::Duration::minutes(5);
/// tracker.add_issue(TrackedIssue::new("1", "TypeError: x is undefined", 42, first, now));
/// tracker.record_events([first, now - chrono::Duration::minutes(1)]);
///
/// let window = TimeWindow::ending_at(now, Duration::from_secs(15 * 60));
/// assert_eq!(tracker.new_issues(window).await?.len(), 1);
/// let buckets = tracker.error_counts(window, Duration::from_secs(5 * 60)).await?;
/// assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct InMemoryErrorTracker {
    state: Arc<Mutex<TrackerState>>,
}

impl InMemoryErrorTracker {
    /// A tracker holding nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an issue, or replaces the one with the same id.
    pub fn add_issue(&self, issue: TrackedIssue) {
        let mut state = lock(&self.state);
        state.issues.retain(|i| i.id != issue.id);
        state.issues.push(issue);
    }

    /// Records error events at these times.
    pub fn record_events(&self, at: impl IntoIterator<Item = Timestamp>) {
        lock(&self.state).events.extend(at);
    }

    /// Every issue held, in the order added.
    pub fn issues(&self) -> Vec<TrackedIssue> {
        lock(&self.state).issues.clone()
    }
}

fn invalid(operation: &'static str, message: String) -> Error {
    Error::invalid_input(message)
        .with_provider("memory")
        .with_operation(operation)
}

fn check_window(window: TimeWindow, operation: &'static str) -> Result<()> {
    if window.end < window.start {
        return Err(invalid(
            operation,
            format!(
                "the window ends ({}) before it starts ({})",
                window.end, window.start
            ),
        ));
    }
    Ok(())
}

fn contains(window: TimeWindow, t: Timestamp) -> bool {
    window.start <= t && t < window.end
}

#[async_trait]
impl ErrorTracker for InMemoryErrorTracker {
    async fn new_issues(&self, window: TimeWindow) -> Result<Vec<TrackedIssue>> {
        check_window(window, "new_issues")?;
        let mut found: Vec<TrackedIssue> = lock(&self.state)
            .issues
            .iter()
            .filter(|i| contains(window, i.first_seen))
            .cloned()
            .collect();
        found.sort_by(|a, b| b.first_seen.cmp(&a.first_seen).then(a.id.cmp(&b.id)));
        Ok(found)
    }

    async fn top_issues(&self, window: TimeWindow, limit: usize) -> Result<Vec<TrackedIssue>> {
        check_window(window, "top_issues")?;
        let mut found: Vec<TrackedIssue> = lock(&self.state)
            .issues
            .iter()
            .filter(|i| i.last_seen >= window.start && i.first_seen < window.end)
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.last_seen.cmp(&a.last_seen))
                .then(a.id.cmp(&b.id))
        });
        found.truncate(limit);
        Ok(found)
    }

    async fn error_counts(
        &self,
        window: TimeWindow,
        interval: Duration,
    ) -> Result<Vec<ErrorBucket>> {
        const OP: &str = "error_counts";
        check_window(window, OP)?;
        if interval.is_zero() {
            return Err(invalid(
                OP,
                "the bucket interval must be longer than zero".into(),
            ));
        }
        let step = to_chrono(interval);
        let mut starts = Vec::new();
        let mut start = window.start;
        while start < window.end {
            if starts.len() == MAX_ERROR_BUCKETS {
                return Err(invalid(
                    OP,
                    format!(
                        "an interval of {interval:?} makes more than {MAX_ERROR_BUCKETS} buckets"
                    ),
                ));
            }
            starts.push(start);
            start = match start.checked_add_signed(step) {
                Some(next) => next,
                None => break,
            };
        }
        let state = lock(&self.state);
        Ok(starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = starts.get(i + 1).copied().unwrap_or(window.end);
                let count = state
                    .events
                    .iter()
                    .filter(|&&t| start <= t && t < end)
                    .count() as u64;
                ErrorBucket { start, count }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
            + chrono::Duration::minutes(minutes)
    }

    #[tokio::test]
    async fn buckets_cover_the_window_and_cut_the_last_one() {
        let tracker = InMemoryErrorTracker::new();
        tracker.record_events([at(-1), at(0), at(4), at(5), at(9), at(10)]);
        let window = TimeWindow::new(at(0), at(10));
        let buckets = tracker
            .error_counts(window, Duration::from_secs(4 * 60))
            .await
            .unwrap();
        let got: Vec<_> = buckets.iter().map(|b| (b.start, b.count)).collect();
        assert_eq!(got, vec![(at(0), 1), (at(4), 2), (at(8), 1)]);
    }

    #[tokio::test]
    async fn refuses_bad_intervals_and_windows() {
        let tracker = InMemoryErrorTracker::new();
        let window = TimeWindow::new(at(0), at(60 * 24));
        for interval in [Duration::ZERO, Duration::from_millis(1)] {
            let err = tracker.error_counts(window, interval).await.unwrap_err();
            assert_eq!(err.kind(), ir_core::ErrorKind::InvalidInput, "{interval:?}");
        }
        let reversed = TimeWindow::new(at(10), at(0));
        let err = tracker.new_issues(reversed).await.unwrap_err();
        assert_eq!(err.kind(), ir_core::ErrorKind::InvalidInput);
        let empty = TimeWindow::new(at(0), at(0));
        assert!(
            tracker
                .error_counts(empty, Duration::from_secs(60))
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn top_issues_counts_any_overlap_with_the_window() {
        let tracker = InMemoryErrorTracker::new();
        tracker.add_issue(TrackedIssue::new("spans", "a", 5, at(-30), at(30)));
        tracker.add_issue(TrackedIssue::new("before", "b", 50, at(-30), at(-1)));
        tracker.add_issue(TrackedIssue::new("inside", "c", 9, at(2), at(3)));
        let top = tracker
            .top_issues(TimeWindow::new(at(0), at(10)), 10)
            .await
            .unwrap();
        let ids: Vec<_> = top.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["inside", "spans"]);
    }
}
