//! Evidence: what a diagnostic probe observed, or why it could not.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::code::{FailedJob, WorkflowRun};
use super::database::{ConnectionStatus, DsnCheck, PgBouncerPool, PoolStatus, SlowQueries};
use super::deploy::{Deployment, ServiceStatus};
use super::health::HealthReport;
use super::logs::{LogLine, LogSignatures};
use super::tracker::{ErrorBucket, TrackedIssue};
use crate::clock::Timestamp;
use crate::error::ErrorKind;

/// Identifies one piece of evidence within an incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EvidenceId(pub String);

impl EvidenceId {
    /// Wraps an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl fmt::Display for EvidenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A typed observation from a probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "data")]
#[non_exhaustive]
pub enum Observation {
    /// The platform's service status.
    ServiceStatus(ServiceStatus),
    /// Recent deployments, newest first.
    Deployments(Vec<Deployment>),
    /// Log lines that matched the probe's patterns.
    LogMatches {
        /// The patterns searched for.
        patterns: Vec<String>,
        /// Matching lines, oldest first.
        lines: Vec<LogLine>,
    },
    /// Error signatures since the current deployment against those before it.
    LogSignatures(LogSignatures),
    /// Whether a variable is set (never its value).
    VariablePresence {
        /// Name.
        name: String,
        /// Set or not.
        present: bool,
    },
    /// Failed CI runs, each with its failed jobs.
    FailedRuns(Vec<(WorkflowRun, Vec<FailedJob>)>),
    /// Error-tracker issues.
    TrackerIssues(Vec<TrackedIssue>),
    /// Error counts per interval.
    ErrorCounts(Vec<ErrorBucket>),
    /// Server connection status.
    Connections(ConnectionStatus),
    /// The application's pool.
    Pool(PoolStatus),
    /// PgBouncer pools.
    PgBouncerPools(Vec<PgBouncerPool>),
    /// Where `DATABASE_URL` points.
    Dsn(DsnCheck),
    /// Slow queries.
    SlowQueries(SlowQueries),
    /// A health check.
    Health(HealthReport),
    /// Free text (for user-written probes).
    Text(String),
}

impl Observation {
    /// The observation with credentials scrubbed from every piece of text that came from the
    /// world: log lines and their attributes, log signatures' templates and example lines,
    /// health-check bodies and URLs, CI log excerpts, error-tracker
    /// titles and culprits (see [`crate::redact`]).
    pub fn redacted(mut self) -> Self {
        use crate::redact::redact_in_place;
        match &mut self {
            Observation::LogMatches { lines, .. } => {
                for line in lines {
                    redact_in_place(&mut line.message);
                    for value in line.attributes.values_mut() {
                        redact_in_place(value);
                    }
                }
            }
            Observation::LogSignatures(signatures) => signatures.redact(),
            Observation::Health(report) => {
                redact_in_place(&mut report.body_excerpt);
                if let std::borrow::Cow::Owned(url) = crate::redact::redact_url(&report.url) {
                    report.url = url;
                }
            }
            Observation::FailedRuns(runs) => {
                for job in runs.iter_mut().flat_map(|(_, jobs)| jobs.iter_mut()) {
                    if let Some(excerpt) = &mut job.log_excerpt {
                        redact_in_place(excerpt);
                    }
                }
            }
            Observation::TrackerIssues(issues) => {
                for issue in issues {
                    redact_in_place(&mut issue.title);
                    if let Some(culprit) = &mut issue.culprit {
                        redact_in_place(culprit);
                    }
                }
            }
            Observation::Text(text) => redact_in_place(text),
            _ => {}
        }
        self
    }
}

/// How a probe ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum EvidenceOutcome {
    /// The probe observed something.
    Observed {
        /// What.
        observation: Observation,
    },
    /// The source could not be asked (error or timeout). This is evidence too.
    Unavailable {
        /// The error kind.
        kind: ErrorKind,
        /// The error's `Display`, credentials scrubbed: one line that names its kind
        /// (`unsupported: no ErrorTracker is configured`), so renderings quote it without
        /// repeating `kind` ([`Evidence::summary`]).
        message: String,
    },
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Id, cited by hypotheses.
    pub id: EvidenceId,
    /// The probe that produced it.
    pub probe: String,
    /// The provider asked (`railway`, `postgres`, ...).
    pub source: String,
    /// When it was collected.
    pub collected_at: Timestamp,
    /// What came of it.
    pub outcome: EvidenceOutcome,
}

impl Evidence {
    /// The observation, when the probe succeeded.
    pub fn observation(&self) -> Option<&Observation> {
        match &self.outcome {
            EvidenceOutcome::Observed { observation } => Some(observation),
            EvidenceOutcome::Unavailable { .. } => None,
        }
    }
}

/// A possible cause, with how confident the assessment is and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hypothesis {
    /// The playbook that proposed it.
    pub playbook: String,
    /// Machine name of the cause, e.g. `recent_deployment_crash_loop`.
    pub cause: String,
    /// One line for people.
    pub summary: String,
    /// 0..=1.
    pub confidence: f64,
    /// Evidence that raised the confidence.
    pub supporting: Vec<EvidenceId>,
    /// Evidence that lowered it.
    pub contradicting: Vec<EvidenceId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_health_report_read_back_is_redacted_too() {
        // A report deserialized from an older timeline, or edited after it was built, has
        // its URL masked and its body scrubbed when it becomes evidence.
        let mut report = HealthReport::answered("/health", 500, std::time::Duration::ZERO, "");
        report.url = "https://www.example.com/health?token=t0k3n&x=1".to_owned();
        report.body_excerpt = "connect postgres://app:hunter2@db/web".to_owned();
        let Observation::Health(shown) = Observation::Health(report).redacted() else {
            unreachable!("the variant is kept");
        };
        assert_eq!(
            shown.url,
            "https://www.example.com/health?token=<redacted>&x=1"
        );
        assert_eq!(
            shown.body_excerpt,
            "connect postgres://app:<redacted>@db/web"
        );
    }
}
