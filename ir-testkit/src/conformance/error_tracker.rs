//! The `ErrorTracker` contract, against a backend holding an [`ErrorTrackerFixture`]'s issues
//! and events.

use std::time::Duration;

use ir_core::clock::Timestamp;
use ir_core::error::ErrorKind;
use ir_core::ports::ErrorTracker;

use super::{check, check_eq, err_kind, ok};
use crate::{ErrorTrackerFixture, to_chrono};

fn inside(fixture: &ErrorTrackerFixture, t: Timestamp) -> bool {
    fixture.window.start <= t && t < fixture.window.end
}

/// `new_issues` is exactly the issues first seen in the window, newest first.
pub async fn new_issues_are_those_first_seen_in_the_window(
    tracker: &dyn ErrorTracker,
    fixture: &ErrorTrackerFixture,
) {
    const RULE: &str = "error_tracker::new_issues_are_those_first_seen_in_the_window";
    let mut want_new: Vec<&str> = fixture
        .issues
        .iter()
        .filter(|i| inside(fixture, i.first_seen))
        .map(|i| i.id.as_str())
        .collect();
    check!(
        want_new.len() >= 2
            && fixture
                .issues
                .iter()
                .any(|i| i.first_seen < fixture.window.start),
        RULE,
        "the fixture needs two issues first seen in the window and one before it"
    );
    let new = ok(tracker.new_issues(fixture.window).await, RULE, "new_issues");
    check!(
        new.windows(2).all(|w| w[0].first_seen >= w[1].first_seen),
        RULE,
        "new issues are newest first"
    );
    let mut got_new: Vec<&str> = new.iter().map(|i| i.id.as_str()).collect();
    got_new.sort_unstable();
    want_new.sort_unstable();
    check_eq!(
        got_new,
        want_new,
        RULE,
        "new_issues is every issue first seen in the window, and only those"
    );
}

/// `top_issues` holds every issue last seen in the window and nothing without events there,
/// each once, most frequent first; a limit keeps the most frequent.
pub async fn top_issues_are_the_windows_most_frequent(
    tracker: &dyn ErrorTracker,
    fixture: &ErrorTrackerFixture,
) {
    const RULE: &str = "error_tracker::top_issues_are_the_windows_most_frequent";
    let window = fixture.window;
    let top = ok(
        tracker.top_issues(window, fixture.issues.len() + 5).await,
        RULE,
        "top_issues",
    );
    check!(
        top.windows(2).all(|w| w[0].count >= w[1].count),
        RULE,
        "top issues are most frequent first"
    );
    for issue in &top {
        check!(
            issue.last_seen >= window.start && issue.first_seen < window.end,
            RULE,
            "a top issue had events in the window: {} ({} .. {})",
            issue.id,
            issue.first_seen,
            issue.last_seen
        );
    }
    for issue in fixture
        .issues
        .iter()
        .filter(|i| inside(fixture, i.last_seen))
    {
        check!(
            top.iter().any(|t| t.id == issue.id),
            RULE,
            "an issue last seen in the window is a top issue: {}",
            issue.id
        );
    }
    let mut ids: Vec<&str> = top.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    check_eq!(ids.len(), top.len(), RULE, "no issue is listed twice");
    let one = ok(tracker.top_issues(window, 1).await, RULE, "top_issues(1)");
    check_eq!(one.len(), 1, RULE, "top_issues honours the limit");
    check_eq!(
        one[0].count,
        top[0].count,
        RULE,
        "the limit keeps the most frequent issue"
    );
}

/// `error_counts` buckets are oldest first, one interval apart, cover the window and count
/// every event.
pub async fn error_counts_bucket_every_event(
    tracker: &dyn ErrorTracker,
    fixture: &ErrorTrackerFixture,
) {
    const RULE: &str = "error_tracker::error_counts_bucket_every_event";
    let window = fixture.window;
    let interval = to_chrono(fixture.interval);
    check!(
        fixture.interval > Duration::ZERO && window.start + interval < window.end,
        RULE,
        "the fixture's interval is shorter than its window"
    );
    let buckets = ok(
        tracker.error_counts(window, fixture.interval).await,
        RULE,
        "error_counts",
    );
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        panic!("conformance: {RULE}: error_counts over a window holds buckets");
    };
    check!(
        buckets
            .windows(2)
            .all(|w| w[1].start - w[0].start == interval),
        RULE,
        "buckets are oldest first, one interval apart"
    );
    check!(
        first.start <= window.start && window.start < first.start + interval,
        RULE,
        "the first bucket holds the window's start"
    );
    check!(
        last.start < window.end && window.end <= last.start + interval,
        RULE,
        "the last bucket holds the window's end"
    );
    for bucket in &buckets {
        let want = fixture
            .events
            .iter()
            .filter(|&&t| bucket.start <= t && t < bucket.start + interval)
            .count() as u64;
        check_eq!(
            bucket.count,
            want,
            RULE,
            "the bucket at {} counts its events",
            bucket.start
        );
    }
}

/// `error_counts` with a zero interval is `InvalidInput`.
pub async fn zero_interval_is_invalid(tracker: &dyn ErrorTracker, fixture: &ErrorTrackerFixture) {
    const RULE: &str = "error_tracker::zero_interval_is_invalid";
    err_kind(
        tracker.error_counts(fixture.window, Duration::ZERO).await,
        ErrorKind::InvalidInput,
        RULE,
        "error_counts with a zero interval",
    );
}

/// Every rule above.
pub async fn run_all(tracker: &dyn ErrorTracker, fixture: &ErrorTrackerFixture) {
    new_issues_are_those_first_seen_in_the_window(tracker, fixture).await;
    top_issues_are_the_windows_most_frequent(tracker, fixture).await;
    error_counts_bucket_every_event(tracker, fixture).await;
    zero_interval_is_invalid(tracker, fixture).await;
}
