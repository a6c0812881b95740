//! Severity levels P0-P3, their response targets and paging modes, and the configurable policy
//! that holds every threshold the runbook names.

use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How bad an incident is. Ordered by urgency: `P0 > P1 > P2 > P3`, so `max` picks the most
/// severe.
///
/// ```
/// use ir_core::Severity;
/// assert!(Severity::P0 > Severity::P1);
/// assert_eq!([Severity::P2, Severity::P0, Severity::P3].into_iter().max(), Some(Severity::P0));
/// assert_eq!("P1".parse::<Severity>().ok(), Some(Severity::P1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Total outage: all users cannot access core functionality. Page immediately.
    P0,
    /// Critical feature down for a subset of users. Page immediately.
    P1,
    /// Degraded performance. Alert, no page.
    P2,
    /// Minor issue with a workaround. Monitor.
    P3,
}

impl Severity {
    /// All levels, most severe first.
    pub const ALL: [Severity; 4] = [Severity::P0, Severity::P1, Severity::P2, Severity::P3];

    fn rank(self) -> u8 {
        match self {
            Severity::P0 => 3,
            Severity::P1 => 2,
            Severity::P2 => 1,
            Severity::P3 => 0,
        }
    }

    /// The runbook's title for the level (`Total Outage`, ...).
    pub fn title(self) -> &'static str {
        match self {
            Severity::P0 => "Total Outage",
            Severity::P1 => "Critical Feature Down",
            Severity::P2 => "Degraded Performance",
            Severity::P3 => "Minor Issue",
        }
    }

    /// `"P0"` .. `"P3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::P0 => "P0",
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
        }
    }

    /// How the responder is reached.
    pub fn paging(self) -> PagingMode {
        match self {
            Severity::P0 | Severity::P1 => PagingMode::PageImmediately,
            Severity::P2 => PagingMode::AlertNoPage,
            Severity::P3 => PagingMode::Monitor,
        }
    }

    /// The runbook's escalation default for the level.
    pub fn escalation_default(self) -> EscalationDefault {
        match self {
            Severity::P0 => EscalationDefault::NotifyLeadAndCtoImmediately,
            Severity::P1 => EscalationDefault::NotifyLeadAfterDelay,
            Severity::P2 => EscalationDefault::NotifyTeamChannel,
            Severity::P3 => EscalationDefault::CreateIssue,
        }
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P0" => Ok(Severity::P0),
            "P1" => Ok(Severity::P1),
            "P2" => Ok(Severity::P2),
            "P3" => Ok(Severity::P3),
            other => Err(Error::invalid_input(format!(
                "unknown severity {other:?}, expected P0, P1, P2 or P3"
            ))),
        }
    }
}

/// How a responder is reached for a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PagingMode {
    /// Page the on-call engineer now (P0, P1).
    PageImmediately,
    /// Alert in chat, do not page (P2).
    AlertNoPage,
    /// Watch it; no alert (P3).
    Monitor,
}

/// The runbook's escalation line for each level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationDefault {
    /// P0: immediately notify Engineering Lead and CTO.
    NotifyLeadAndCtoImmediately,
    /// P1: notify Engineering Lead after 15 minutes.
    NotifyLeadAfterDelay,
    /// P2: notify the team in the engineering channel.
    NotifyTeamChannel,
    /// P3: create a GitHub issue, address in the next sprint.
    CreateIssue,
}

/// The runbook's response-time targets for one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTargets {
    /// Time from detection to acknowledgement.
    #[serde(with = "humantime_serde")]
    pub acknowledge: Duration,
    /// Time from detection to the initial assessment (P3 has none).
    #[serde(with = "humantime_serde", default)]
    pub initial_assessment: Option<Duration>,
    /// Time from detection to resolution.
    #[serde(with = "humantime_serde")]
    pub resolution: Duration,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;

impl ResponseTargets {
    /// The runbook's targets for `severity`.
    pub fn runbook(severity: Severity) -> Self {
        let m = |n: u64| Duration::from_secs(n * MINUTE);
        let h = |n: u64| Duration::from_secs(n * HOUR);
        match severity {
            Severity::P0 => Self {
                acknowledge: m(5),
                initial_assessment: Some(m(10)),
                resolution: m(30),
            },
            Severity::P1 => Self {
                acknowledge: m(5),
                initial_assessment: Some(m(15)),
                resolution: h(2),
            },
            Severity::P2 => Self {
                acknowledge: m(15),
                initial_assessment: Some(h(1)),
                resolution: h(8),
            },
            Severity::P3 => Self {
                acknowledge: h(24),
                initial_assessment: None,
                resolution: h(24 * 7),
            },
        }
    }
}

/// Response targets for every level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetTable {
    /// P0 targets.
    pub p0: ResponseTargets,
    /// P1 targets.
    pub p1: ResponseTargets,
    /// P2 targets.
    pub p2: ResponseTargets,
    /// P3 targets.
    pub p3: ResponseTargets,
}

impl Default for TargetTable {
    fn default() -> Self {
        Self {
            p0: ResponseTargets::runbook(Severity::P0),
            p1: ResponseTargets::runbook(Severity::P1),
            p2: ResponseTargets::runbook(Severity::P2),
            p3: ResponseTargets::runbook(Severity::P3),
        }
    }
}

impl TargetTable {
    /// The targets for `severity`.
    pub fn get(&self, severity: Severity) -> &ResponseTargets {
        match severity {
            Severity::P0 => &self.p0,
            Severity::P1 => &self.p1,
            Severity::P2 => &self.p2,
            Severity::P3 => &self.p3,
        }
    }
}

/// The numbers classification compares signals against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// P1: share of API requests timing out above which the API counts as down (runbook: 50%).
    pub api_timeout_share_p1: f64,
    /// P2: share of requests answered with 5xx above which the error rate is high (runbook: 1%).
    pub error_rate_5xx_p2: f64,
    /// P1: share of requests failing at or above which errors are no longer "intermittent
    /// (< 10% of requests)" but a critical feature down for a subset of users.
    pub error_rate_p1: f64,
    /// P2: p95 page-load latency above which pages are "slow" (runbook: 5 s).
    #[serde(with = "humantime_serde")]
    pub p95_latency_p2: Duration,
    /// The latency SLO that triggers the latency playbook (runbook scenario 6: p95 > 3 s). It
    /// does not set a severity on its own.
    #[serde(with = "humantime_serde")]
    pub latency_slo_p95: Duration,
    /// Share of users affected at or above which an outage of a core capability is total.
    pub all_users_share: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            api_timeout_share_p1: 0.50,
            error_rate_5xx_p2: 0.01,
            error_rate_p1: 0.10,
            p95_latency_p2: Duration::from_secs(5),
            latency_slo_p95: Duration::from_secs(3),
            all_users_share: 1.0,
        }
    }
}

/// Every threshold and target, defaulting to the runbook's numbers and loadable from TOML.
///
/// ```
/// use std::time::Duration;
/// use ir_core::{Severity, SeverityPolicy};
///
/// let policy = SeverityPolicy::from_toml_str(r#"
///     [thresholds]
///     p95_latency_p2 = "4s"
///     [targets.p1]
///     acknowledge = "3m"
///     initial_assessment = "15m"
///     resolution = "2h"
/// "#)?;
/// assert_eq!(policy.thresholds.p95_latency_p2, Duration::from_secs(4));
/// assert_eq!(policy.thresholds.error_rate_5xx_p2, 0.01); // runbook default kept
/// assert_eq!(policy.targets(Severity::P1).acknowledge, Duration::from_secs(180));
/// assert_eq!(policy.targets(Severity::P0).acknowledge, Duration::from_secs(300));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SeverityPolicy {
    /// Classification thresholds.
    pub thresholds: Thresholds,
    /// Response targets per level.
    pub targets: TargetTable,
}

impl SeverityPolicy {
    /// The runbook's numbers.
    pub fn runbook() -> Self {
        Self::default()
    }

    /// Reads a policy from TOML; fields left out keep the runbook's values.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the TOML is malformed or a value has
    /// the wrong type, or a share lies outside 0..=1.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let policy: Self = toml::from_str(text)
            .map_err(|e| Error::config(format!("invalid severity policy: {}", e.message())))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks that every share lies within 0..=1.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) naming the offending field.
    pub fn validate(&self) -> Result<()> {
        let t = &self.thresholds;
        for (name, v) in [
            ("api_timeout_share_p1", t.api_timeout_share_p1),
            ("error_rate_5xx_p2", t.error_rate_5xx_p2),
            ("error_rate_p1", t.error_rate_p1),
            ("all_users_share", t.all_users_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::config(format!(
                    "thresholds.{name} must be a share between 0 and 1, got {v}"
                )));
            }
        }
        Ok(())
    }

    /// The response targets for `severity`.
    pub fn targets(&self, severity: Severity) -> &ResponseTargets {
        self.targets.get(severity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_targets_follow_the_runbook() {
        let m = |n: u64| Duration::from_secs(n * 60);
        let cases = [
            (
                Severity::P0,
                m(5),
                Some(m(10)),
                m(30),
                PagingMode::PageImmediately,
            ),
            (
                Severity::P1,
                m(5),
                Some(m(15)),
                m(120),
                PagingMode::PageImmediately,
            ),
            (
                Severity::P2,
                m(15),
                Some(m(60)),
                m(480),
                PagingMode::AlertNoPage,
            ),
            (
                Severity::P3,
                m(24 * 60),
                None,
                m(7 * 24 * 60),
                PagingMode::Monitor,
            ),
        ];
        let policy = SeverityPolicy::runbook();
        for (sev, ack, assess, resolve, paging) in cases {
            let t = policy.targets(sev);
            assert_eq!(t.acknowledge, ack, "{sev} acknowledge");
            assert_eq!(t.initial_assessment, assess, "{sev} assessment");
            assert_eq!(t.resolution, resolve, "{sev} resolution");
            assert_eq!(sev.paging(), paging, "{sev} paging");
        }
    }

    #[test]
    fn ordering_is_by_urgency() {
        let mut all = vec![Severity::P2, Severity::P0, Severity::P3, Severity::P1];
        all.sort();
        assert_eq!(
            all,
            vec![Severity::P3, Severity::P2, Severity::P1, Severity::P0]
        );
    }

    #[test]
    fn bad_policy_is_a_config_error() {
        let err =
            SeverityPolicy::from_toml_str("[thresholds]\nerror_rate_5xx_p2 = 3.0").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.to_string().contains("error_rate_5xx_p2"), "{err}");
        let err = SeverityPolicy::from_toml_str("[thresholds]\np95_latency_p2 = 5").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
    }

    #[test]
    fn policy_round_trips_through_toml() {
        let policy = SeverityPolicy::runbook();
        let text = toml::to_string(&policy).unwrap();
        assert_eq!(SeverityPolicy::from_toml_str(&text).unwrap(), policy);
    }
}
