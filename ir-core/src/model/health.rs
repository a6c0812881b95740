//! A health check's report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How a health check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
#[non_exhaustive]
pub enum HealthOutcome {
    /// A 2xx or 3xx answer.
    Healthy,
    /// Any other status.
    Unhealthy,
    /// No answer within the deadline.
    Timeout,
    /// The TLS handshake failed (certificate expired, wrong host, ...).
    TlsError(String),
    /// Connection refused, reset, DNS failure.
    Unreachable(String),
}

/// What a health check saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthReport {
    /// The URL checked.
    pub url: String,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Time to the answer (or to the failure).
    #[serde(with = "humantime_serde")]
    pub latency: Duration,
    /// The first bytes of the body (UTF-8, lossy), for people and for symptom matching.
    pub body_excerpt: String,
    /// How it ended.
    pub outcome: HealthOutcome,
}

impl HealthReport {
    /// A report of an answer with `status`; `Healthy` for 2xx/3xx.
    pub fn answered(
        url: impl Into<String>,
        status: u16,
        latency: Duration,
        body: impl Into<String>,
    ) -> Self {
        let outcome = if (200..400).contains(&status) {
            HealthOutcome::Healthy
        } else {
            HealthOutcome::Unhealthy
        };
        Self {
            url: url.into(),
            status: Some(status),
            latency,
            body_excerpt: body.into(),
            outcome,
        }
    }

    /// A report of no answer.
    pub fn failed(url: impl Into<String>, latency: Duration, outcome: HealthOutcome) -> Self {
        Self {
            url: url.into(),
            status: None,
            latency,
            body_excerpt: String::new(),
            outcome,
        }
    }

    /// Whether the endpoint is healthy.
    pub fn is_healthy(&self) -> bool {
        self.outcome == HealthOutcome::Healthy
    }
}
