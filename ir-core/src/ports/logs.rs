//! `LogSource`: deployment, build and environment logs.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{DeploymentId, LogLevel, LogLine};

/// Which log stream to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "stream", content = "deployment")]
pub enum LogStream {
    /// Runtime logs of one deployment.
    Deployment(DeploymentId),
    /// Build logs of one deployment.
    Build(DeploymentId),
    /// Runtime logs of every service in the environment.
    Environment,
}

/// Which log lines a query keeps: those at one of `levels` (any level when empty) whose
/// message contains one of `contains` (any message when empty), case-insensitively.
///
/// Vendor-neutral: each [`LogSource`] translates it into its provider's syntax (Railway's
/// `@level:error AND "timeout"`, ...), and [`matches`](Self::matches) is the reference
/// semantics every translation must keep.
///
/// ```
/// use ir_core::ports::LogFilter;
/// use ir_core::model::{LogLevel, LogLine};
///
/// let filter = LogFilter::default().with_level(LogLevel::Error).with_text("NO_SECRET");
/// let line = LogLine::new("2026-02-08T15:30:00Z".parse()?, Some(LogLevel::Error),
///     "[next-auth][error][NO_SECRET] Please define a `secret` in production.");
/// assert!(filter.matches(&line));
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogFilter {
    /// Keep lines at any of these levels; empty keeps every level.
    pub levels: Vec<LogLevel>,
    /// Keep lines whose message contains any of these substrings, ignoring case; empty keeps
    /// every message.
    pub contains: Vec<String>,
}

impl LogFilter {
    /// Also keeps lines at `level`.
    pub fn with_level(mut self, level: LogLevel) -> Self {
        self.levels.push(level);
        self
    }

    /// Also keeps lines containing `text` (case-insensitive).
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.contains.push(text.into());
        self
    }

    /// Whether the filter keeps everything.
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty() && self.contains.is_empty()
    }

    /// Whether `line` passes the filter. A line without a level passes a level filter only
    /// when the filter has no levels.
    pub fn matches(&self, line: &LogLine) -> bool {
        let level_ok =
            self.levels.is_empty() || line.level.as_ref().is_some_and(|l| self.levels.contains(l));
        let text_ok = self.contains.is_empty() || {
            let message = line.message.to_lowercase();
            self.contains
                .iter()
                .any(|needle| message.contains(&needle.to_lowercase()))
        };
        level_ok && text_ok
    }
}

/// A log query: a stream, a time window, a filter and a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    /// The stream.
    pub stream: LogStream,
    /// Which lines to keep; each adapter translates it into its provider's own syntax.
    pub filter: LogFilter,
    /// Only lines at or after this time.
    pub since: Option<Timestamp>,
    /// Only lines before this time.
    pub until: Option<Timestamp>,
    /// At most this many lines (the newest).
    pub limit: usize,
}

impl LogQuery {
    /// The last `limit` lines of `stream`, unfiltered.
    pub fn new(stream: LogStream, limit: usize) -> Self {
        Self {
            stream,
            filter: LogFilter::default(),
            since: None,
            until: None,
            limit,
        }
    }

    /// Sets the filter.
    pub fn with_filter(mut self, filter: LogFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Sets the window.
    pub fn with_window(mut self, since: Option<Timestamp>, until: Option<Timestamp>) -> Self {
        self.since = since;
        self.until = until;
        self
    }
}

/// Deployment, build and environment logs.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait LogSource: Send + Sync + fmt::Debug + 'static {
    /// Lines matching `query`, oldest first.
    ///
    /// # Errors
    /// `NotFound` for an unknown deployment; `InvalidInput` for a filter the provider rejects;
    /// `Unavailable`/`Timeout`/`RateLimited` when it cannot answer now.
    async fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>>;
}
