//! Log lines and their levels.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

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
    /// The level's lower-case name (`error`, `warn`, ...; another level as the provider
    /// reported it).
    pub fn name(&self) -> &str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
            Self::Other(other) => other,
        }
    }

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
