//! `LogSource`: deployment, build and environment logs.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::deploy::DeploymentId;
use crate::clock::Timestamp;
use crate::error::Result;

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

/// A log query: a stream, a time window, a filter and a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    /// The stream.
    pub stream: LogStream,
    /// The provider's filter expression, e.g. Railway's `@level:error` or plain text.
    pub filter: Option<String>,
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
            filter: None,
            since: None,
            until: None,
            limit,
        }
    }

    /// Sets the filter.
    pub fn with_filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Sets the window.
    pub fn with_window(mut self, since: Option<Timestamp>, until: Option<Timestamp>) -> Self {
        self.since = since;
        self.until = until;
        self
    }
}

/// A log line's level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LogLevel {
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warning.
    Warn,
    /// Error.
    Error,
    /// Any other level the provider reported.
    #[serde(untagged)]
    Other(String),
}

impl LogLevel {
    /// Parses a level name case-insensitively (`err`, `error`, `warning`, `warn`, ...).
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "debug" | "trace" => Self::Debug,
            "info" | "information" | "notice" => Self::Info,
            "warn" | "warning" => Self::Warn,
            "error" | "err" | "fatal" | "critical" | "crit" | "emerg" | "alert" => Self::Error,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogLine {
    /// When it was written.
    pub timestamp: Timestamp,
    /// Its level, when known.
    pub level: Option<LogLevel>,
    /// The message.
    pub message: String,
    /// Structured attributes the provider attached.
    pub attributes: BTreeMap<String, String>,
}

impl LogLine {
    /// A line with a timestamp, level and message.
    pub fn new(timestamp: Timestamp, level: Option<LogLevel>, message: impl Into<String>) -> Self {
        Self {
            timestamp,
            level,
            message: message.into(),
            attributes: BTreeMap::new(),
        }
    }

    /// Adds an attribute.
    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(key.into(), value.into());
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
