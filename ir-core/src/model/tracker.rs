//! Time windows, and what an error tracker reports: issues and error counts.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// A time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Inclusive start.
    pub start: Timestamp,
    /// Exclusive end.
    pub end: Timestamp,
}

impl TimeWindow {
    /// The window `[start, end)`.
    pub fn new(start: Timestamp, end: Timestamp) -> Self {
        Self { start, end }
    }

    /// The window of length `length` ending at `end`.
    pub fn ending_at(end: Timestamp, length: std::time::Duration) -> Self {
        Self {
            start: crate::clock::sub(end, length),
            end,
        }
    }
}

/// An error-tracker issue (a group of similar events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TrackedIssue {
    /// Tracker id.
    pub id: String,
    /// Short id for people, e.g. `WEB-1A`.
    pub short_id: String,
    /// Title, usually the exception type and message.
    pub title: String,
    /// Where it happened, when known.
    pub culprit: Option<String>,
    /// `error`, `fatal`, ...
    pub level: String,
    /// Events in the issue's lifetime.
    pub count: u64,
    /// Users affected.
    pub user_count: u64,
    /// First event.
    pub first_seen: Timestamp,
    /// Latest event.
    pub last_seen: Timestamp,
    /// `new`, `regressed`, `escalating`, ... when the tracker says.
    pub substatus: Option<String>,
    /// Link for people.
    pub permalink: Option<String>,
}

impl TrackedIssue {
    /// An issue with the given id, title, count and first/last seen times.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        count: u64,
        first_seen: Timestamp,
        last_seen: Timestamp,
    ) -> Self {
        let id = id.into();
        Self {
            short_id: id.clone(),
            id,
            title: title.into(),
            culprit: None,
            level: "error".into(),
            count,
            user_count: 0,
            first_seen,
            last_seen,
            substatus: None,
            permalink: None,
        }
    }
}

/// Number of error events in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBucket {
    /// Interval start.
    pub start: Timestamp,
    /// Events in the interval.
    pub count: u64,
}

/// When an issue counts as spiking: its rate in the window is at least `factor` times its rate
/// in the baseline, with the baseline's count floored at `floor` events (scaled to the
/// window's length), so a rare issue going from 1 to 3 events is noise, not a spike.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikeRule {
    /// How many times its baseline rate an issue's rate must reach (default 3). A factor that
    /// is not a number (NaN) makes nothing spike.
    pub factor: f64,
    /// The fewest events the baseline is taken to hold, per window-length (default 10): with
    /// the defaults an issue needs at least 30 events in the window to spike. Whatever the
    /// floor, the baseline counts as at least one event, so a ratio is always finite.
    pub floor: u64,
}

impl SpikeRule {
    /// A rule with this factor and floor.
    pub fn new(factor: f64, floor: u64) -> Self {
        Self { factor, floor }
    }
}

impl Default for SpikeRule {
    fn default() -> Self {
        Self::new(3.0, 10)
    }
}

/// An issue whose rate rose by the rule's factor against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssueSpike {
    /// The issue as seen in the window (its `count` is the window's).
    pub issue: TrackedIssue,
    /// Its events in the baseline window (0 when the baseline does not list it).
    pub baseline_count: u64,
    /// The window's count over the baseline's, scaled to the window's length and floored.
    pub ratio: f64,
}

/// What changed between a baseline window and the window under watch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssueTrends {
    /// Issues first seen in the window, newest first.
    pub new: Vec<TrackedIssue>,
    /// Older issues whose rate rose by the rule's factor, highest ratio first.
    pub spiking: Vec<IssueSpike>,
}

/// New and spiking issues: `current` lists the issues with events in `window` (each `count`
/// the window's), `baseline` those in `baseline_window`. An issue first seen in `window` is
/// new; any other is spiking when its count, over its baseline count scaled to `window`'s
/// length and floored at `rule.floor`, reaches `rule.factor`. An issue `baseline` does not list
/// counts as 0 there.
///
/// ```
/// use ir_core::model::{SpikeRule, TimeWindow, TrackedIssue, issue_trends};
/// let t = |m: i64| chrono::DateTime::from_timestamp(1_770_564_600 + m * 60, 0).unwrap();
/// let (baseline, window) = (TimeWindow::new(t(0), t(60)), TimeWindow::new(t(60), t(75)));
/// let seen = |id: &str, count, first| TrackedIssue::new(id, id, count, t(first), t(70));
/// let trends = issue_trends(
///     window,
///     &[seen("fresh", 4, 65), seen("hot", 50, -100), seen("rare", 3, -100)],
///     baseline,
///     &[seen("hot", 40, -100), seen("rare", 1, -100)],
///     SpikeRule::default(),
/// );
/// assert_eq!(trends.new[0].id, "fresh");
/// assert_eq!(trends.spiking.len(), 1); // 40 an hour is 10 a quarter: 50 is 5 times that
/// assert_eq!(trends.spiking[0].issue.id, "hot");
/// ```
pub fn issue_trends(
    window: TimeWindow,
    current: &[TrackedIssue],
    baseline_window: TimeWindow,
    baseline: &[TrackedIssue],
    rule: SpikeRule,
) -> IssueTrends {
    let seconds = |w: TimeWindow| (w.end - w.start).num_milliseconds().max(1) as f64;
    let scale = seconds(window) / seconds(baseline_window);
    let mut trends = IssueTrends::default();
    for issue in current {
        if window.start <= issue.first_seen && issue.first_seen < window.end {
            trends.new.push(issue.clone());
            continue;
        }
        let baseline_count = baseline
            .iter()
            .find(|b| b.id == issue.id)
            .map_or(0, |b| b.count);
        let expected = (baseline_count as f64 * scale)
            .max(rule.floor as f64)
            .max(1.0);
        let ratio = issue.count as f64 / expected;
        if ratio >= rule.factor {
            trends.spiking.push(IssueSpike {
                issue: issue.clone(),
                baseline_count,
                ratio,
            });
        }
    }
    trends.new.sort_by_key(|b| std::cmp::Reverse(b.first_seen));
    trends.spiking.sort_by(|a, b| {
        b.ratio
            .total_cmp(&a.ratio)
            .then(b.issue.count.cmp(&a.issue.count))
    });
    trends
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_770_564_600 + minutes * 60, 0).unwrap_or_default()
    }

    fn issue(id: &str, count: u64, first: i64) -> TrackedIssue {
        TrackedIssue::new(id, id, count, t(first), t(74))
    }

    #[test]
    fn new_spiking_and_noise() {
        let baseline_window = TimeWindow::new(t(0), t(60));
        let window = TimeWindow::new(t(60), t(75));
        let current = [
            issue("steady", 10, -500),  // 40 an hour before, 10 a quarter now
            issue("absent", 45, -500),  // not in the baseline: floored at 10, 4.5 times
            issue("tripled", 60, -500), // 80 an hour = 20 a quarter, now 60: 3 times
            issue("rare", 3, -500),     // 1 -> 3: under the floor
            issue("fresh-old", 2, 61),
            issue("fresh-new", 1, 70),
            issue("almost", 59, -500), // 20 a quarter, now 59: 2.95 times
        ];
        let baseline = [
            issue("steady", 40, -500),
            issue("tripled", 80, -500),
            issue("rare", 1, -500),
            issue("almost", 80, -500),
        ];
        let trends = issue_trends(
            window,
            &current,
            baseline_window,
            &baseline,
            SpikeRule::default(),
        );
        let new: Vec<_> = trends.new.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(new, ["fresh-new", "fresh-old"]);
        let spiking: Vec<_> = trends
            .spiking
            .iter()
            .map(|s| (s.issue.id.as_str(), s.baseline_count))
            .collect();
        assert_eq!(spiking, [("absent", 0), ("tripled", 80)]);
        assert!((trends.spiking[1].ratio - 3.0).abs() < 1e-9);

        let strict = issue_trends(
            window,
            &current,
            baseline_window,
            &baseline,
            SpikeRule::new(4.0, 10),
        );
        let ids: Vec<_> = strict.spiking.iter().map(|s| s.issue.id.as_str()).collect();
        assert_eq!(ids, ["absent"]);
        let no_floor = issue_trends(
            window,
            &current,
            baseline_window,
            &baseline,
            SpikeRule::new(3.0, 0),
        );
        assert!(no_floor.spiking.iter().any(|s| s.issue.id == "rare"));
    }
}
