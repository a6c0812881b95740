//! Sentry's JSON, as it arrives: only the fields `ir` reads, each as tolerant as the API is
//! loose (`count` is a string, `userCount` a number, enums open-ended).

use chrono::{DateTime, Utc};
use ir_core::model::TrackedIssue;
use serde::Deserialize;

/// A number that may arrive as a JSON number or as a string of digits.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Number {
    Integer(u64),
    Float(f64),
    Text(String),
}

impl Number {
    /// The value as a count (a fraction rounded); `None` for a negative or unreadable one.
    pub(crate) fn to_u64(&self) -> Option<u64> {
        match self {
            Self::Integer(n) => Some(*n),
            Self::Float(f) if f.is_finite() && *f >= 0.0 => Some(f.round() as u64),
            Self::Float(_) => None,
            Self::Text(text) => {
                let text = text.trim();
                text.parse::<u64>().ok().or_else(|| {
                    text.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && *f >= 0.0)
                        .map(|f| f.round() as u64)
                })
            }
        }
    }

    /// The value as epoch seconds.
    pub(crate) fn to_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(n) => i64::try_from(*n).ok(),
            Self::Float(f) if f.is_finite() => Some(f.trunc() as i64),
            Self::Float(_) => None,
            Self::Text(text) => text.trim().parse().ok(),
        }
    }
}

/// One issue of `GET /api/0/organizations/{org}/issues/`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Issue {
    pub id: String,
    #[serde(default)]
    pub short_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub culprit: Option<String>,
    /// `sample, debug, info, warning, error, fatal, unknown`, or anything newer: kept as is.
    #[serde(default)]
    pub level: Option<String>,
    /// `resolved, ignored, unresolved, ...`: read so an unknown value is no failure, though
    /// [`TrackedIssue`] has no place for it.
    #[serde(default)]
    #[allow(dead_code)]
    pub status: Option<String>,
    /// `new, regressed, escalating, ongoing, archived_*`, or anything newer: kept as is.
    #[serde(default)]
    pub substatus: Option<String>,
    /// A string of digits in Sentry's schema.
    #[serde(default)]
    pub count: Option<Number>,
    /// An integer in Sentry's schema.
    #[serde(default)]
    pub user_count: Option<Number>,
    #[serde(default)]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_seen: Option<DateTime<Utc>>,
    #[serde(default)]
    pub permalink: Option<String>,
}

impl Issue {
    /// The issue as `ir` models it, or what is wrong with it.
    pub(crate) fn into_tracked(self) -> Result<TrackedIssue, String> {
        let count = match &self.count {
            None => 0,
            Some(n) => n
                .to_u64()
                .ok_or_else(|| format!("issue {} has a count that is not a number", self.id))?,
        };
        let user_count = self
            .user_count
            .as_ref()
            .and_then(Number::to_u64)
            .unwrap_or(0);
        let first_seen = self
            .first_seen
            .ok_or_else(|| format!("issue {} has no firstSeen", self.id))?;
        let last_seen = self.last_seen.unwrap_or(first_seen);
        let mut issue = TrackedIssue::new(
            self.id,
            self.title.unwrap_or_default(),
            count,
            first_seen,
            last_seen,
        );
        if let Some(short_id) = self.short_id.filter(|s| !s.is_empty()) {
            issue.short_id = short_id;
        }
        issue.culprit = self.culprit.filter(|c| !c.is_empty());
        if let Some(level) = self.level.filter(|l| !l.is_empty()) {
            issue.level = level;
        }
        issue.user_count = user_count;
        issue.substatus = self.substatus;
        issue.permalink = self.permalink;
        Ok(issue)
    }
}

/// `GET /api/0/organizations/{org}/events-stats/?yAxis=count()`:
/// `{"data": [[epoch, [{"count": n}]], ...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct EventsStats {
    pub data: Vec<(Number, Vec<StatsValue>)>,
}

/// One value of an events-stats bucket.
#[derive(Debug, Deserialize)]
pub(crate) struct StatsValue {
    #[serde(default)]
    pub count: Option<Number>,
}
