//! A health check's report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::redact::redact_url;

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
///
/// Built by [`answered`](Self::answered) or [`failed`](Self::failed), whose `url` is recorded
/// through [`redact_url`]: a URL's password and the values of token-like query parameters
/// (`/health?token=...`) never reach a timeline, whichever probe made the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthReport {
    /// The URL checked, its credentials masked ([`redact_url`]).
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
    /// A report of an answer with `status`; `Healthy` for 2xx/3xx. `url` is masked by
    /// [`redact_url`].
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
            url: masked(url.into()),
            status: Some(status),
            latency,
            body_excerpt: body.into(),
            outcome,
        }
    }

    /// A report of no answer. `url` is masked by [`redact_url`].
    pub fn failed(url: impl Into<String>, latency: Duration, outcome: HealthOutcome) -> Self {
        Self {
            url: masked(url.into()),
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

/// `url` through [`redact_url`], reusing the string when nothing is masked.
fn masked(url: String) -> String {
    match redact_url(&url) {
        std::borrow::Cow::Borrowed(_) => url,
        std::borrow::Cow::Owned(shown) => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_masks_its_url() {
        let url = "https://admin:pw@www.example.com/health?token=s3cr3t&verbose=1&api_key=k";
        let shown = "https://admin:<redacted>@www.example.com/health?token=<redacted>&verbose=1&api_key=<redacted>";
        let answered = HealthReport::answered(url, 200, Duration::ZERO, "ok");
        assert_eq!(answered.url, shown);
        let failed = HealthReport::failed(url, Duration::ZERO, HealthOutcome::Timeout);
        assert_eq!(failed.url, shown);
        // A path, as the in-memory probes pass it.
        let path = HealthReport::answered("/health?sig=abc", 503, Duration::ZERO, "");
        assert_eq!(path.url, "/health?sig=<redacted>");
        assert_eq!(
            HealthReport::answered("/health", 200, Duration::ZERO, "").url,
            "/health"
        );
    }
}
