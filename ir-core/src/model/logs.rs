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

/// One mined log signature in a [`LogSignatures`] diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogSignature {
    /// The template, variables masked as `<*>` (e.g. `Error: Cannot find module '<*>'`).
    pub template: String,
    /// Lines of it before the deployment.
    pub baseline_count: u64,
    /// Lines of it since the deployment.
    pub incident_count: u64,
    /// Its first line in the window it is reported for (the baseline for a vanished one).
    pub first_seen: Timestamp,
    /// Its last line in that window.
    pub last_seen: Timestamp,
    /// That window's first line of it, credentials redacted.
    pub example: String,
}

/// Error signatures of the logs since a deployment against those before it: which are new,
/// which spike (rate ratio with a floor against small counts) and which are gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogSignatures {
    /// The deployment the windows are split at.
    pub deployment: super::DeploymentId,
    /// When it was created: the end of the baseline, the start of the incident window.
    pub since: Timestamp,
    /// Error lines mined before it.
    pub baseline_lines: u64,
    /// Error lines mined since it.
    pub incident_lines: u64,
    /// Seen only since the deployment: the runbook's known error texts first, then the most
    /// frequent.
    pub new: Vec<LogSignature>,
    /// Rising since the deployment: the runbook's known error texts first, then the most
    /// frequent.
    pub spiking: Vec<LogSignature>,
    /// Seen only before it: the runbook's known error texts first, then the most
    /// frequent.
    pub vanished: Vec<LogSignature>,
}

impl LogSignatures {
    /// No signature either side.
    pub fn empty(deployment: super::DeploymentId, since: Timestamp) -> Self {
        Self {
            deployment,
            since,
            baseline_lines: 0,
            incident_lines: 0,
            new: Vec::new(),
            spiking: Vec::new(),
            vanished: Vec::new(),
        }
    }

    /// New and spiking signatures, new first.
    pub fn rising(&self) -> impl Iterator<Item = &LogSignature> {
        self.new.iter().chain(&self.spiking)
    }

    /// One line for people naming the top new (else spiking) signature, e.g. ``new error
    /// signature since deploy d7: `[next-auth][error][NO_SECRET] ...` (12 lines)``; `None` when
    /// nothing rose.
    pub fn headline(&self) -> Option<String> {
        let (what, sig, rest) = match (self.new.first(), self.spiking.first()) {
            (Some(s), _) => ("new error signature", s, self.new.len() - 1),
            (None, Some(s)) => ("spiking error signature", s, self.spiking.len() - 1),
            (None, None) => return None,
        };
        let lines = if sig.incident_count == 1 {
            "1 line".to_owned()
        } else {
            format!("{} lines", sig.incident_count)
        };
        let more = if rest > 0 {
            format!(", {rest} more")
        } else {
            String::new()
        };
        Some(format!(
            "{what} since deploy {}: `{}` ({lines}{more})",
            self.deployment,
            // A backtick inside would end the code span early.
            clip(&sig.template.replace('`', "'"), 80)
        ))
    }

    /// Scrubs credentials from every example line and template.
    pub fn redact(&mut self) {
        for s in self
            .new
            .iter_mut()
            .chain(&mut self.spiking)
            .chain(&mut self.vanished)
        {
            crate::redact::redact_in_place(&mut s.example);
            crate::redact::redact_in_place(&mut s.template);
        }
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(4)).collect();
        s.push_str(" ...");
        s
    }
}
