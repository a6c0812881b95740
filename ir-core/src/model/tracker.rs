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
