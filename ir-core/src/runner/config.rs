//! The runner's numbers.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::playbook::DiagnosisConfig;
use crate::rollback::RollbackWait;

/// The runner's numbers; the defaults are the runbook's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RunnerConfig {
    /// Who the runner signs events and messages as.
    pub actor: String,
    /// This replica's name, as the holder of action leases.
    pub replica: String,
    /// The incident channel.
    pub channel: String,
    /// The health endpoint watched while monitoring.
    pub health_path: String,
    /// Below this top confidence the evidence is ambiguous: nothing is executed and the
    /// Engineering Lead is asked.
    pub act_threshold: f64,
    /// The confidence at which a root cause counts as understood.
    pub root_cause_threshold: f64,
    /// Resolve even when the root cause is not understood (the runbook's "or safe to defer").
    pub defer_unknown_root_cause: bool,
    /// Record what would be done without changing anything.
    pub dry_run: bool,
    /// Probe deadlines.
    pub diagnosis: DiagnosisConfig,
    /// Waiting for the platform after a rollback.
    pub rollback_wait: RollbackWait,
    /// How long the lease on an incident (and on each action) lasts: the replica driving an
    /// incident renews it as it goes; another replica takes over once it lapses. It must
    /// exceed the longest single wait (the approval timeout, a rollback waiting for the
    /// platform, a verification or monitoring interval).
    #[serde(with = "humantime_serde")]
    pub lease_ttl: Duration,
    /// How long to wait for the approver before counting it as a rejection.
    #[serde(with = "humantime_serde")]
    pub approval_timeout: Duration,
    /// Watch this long after a verified mitigation (runbook: 15 minutes).
    #[serde(with = "humantime_serde")]
    pub monitor_for: Duration,
    /// Between two monitoring rounds.
    #[serde(with = "humantime_serde")]
    pub monitor_interval: Duration,
    /// The baseline is the error rate of this window before onset.
    #[serde(with = "humantime_serde")]
    pub baseline_window: Duration,
    /// Bucket size of error counts.
    #[serde(with = "humantime_serde")]
    pub error_interval: Duration,
    /// How far above the baseline still counts as baseline (0.2 = 20 %).
    pub baseline_tolerance: f64,
    /// Who acknowledges incidents: a person (the default), or the runner itself.
    pub acknowledge: AckPolicy,
    /// What the runner does when a resolution criterion cannot be measured (no error tracker,
    /// no baseline before onset, no latency sample).
    pub unmeasured: UnmeasuredCriteria,
}

/// Who acknowledges an incident (the runbook: a person acknowledges the alert, which stops
/// the pager's escalation and starts MTTA's clock).
///
/// Either way the runner investigates at once; acknowledging is about people knowing, not
/// about the runner waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckPolicy {
    /// A person acknowledges, through [`Runner::acknowledge`](super::Runner::acknowledge) (a
    /// chat command or a pager webhook the service wires to it). Until then the incident is
    /// unacknowledged: the postmortem says so, MTTA is not reported, the pager keeps paging.
    #[default]
    Person,
    /// The runner acknowledges by policy as soon as it starts (the acknowledgement says
    /// `policy: ...`, and MTTA is the runner's reaction time, labelled so).
    Runner,
}

/// What the runner does when a resolution criterion cannot be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmeasuredCriteria {
    /// Stop before resolving and leave the decision to a person, saying which criteria were
    /// measured and which were not.
    #[default]
    WaitForPerson,
    /// Resolve on the checks that were measured (the health checks at least); the resolution
    /// note says which criteria were not measured.
    ResolveOnHealth,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            actor: "ir-runner".into(),
            replica: "ir-runner".into(),
            channel: "#incident-response".into(),
            health_path: "/health".into(),
            act_threshold: 0.5,
            root_cause_threshold: 0.6,
            defer_unknown_root_cause: false,
            dry_run: false,
            diagnosis: DiagnosisConfig::default(),
            rollback_wait: RollbackWait::default(),
            lease_ttl: Duration::from_secs(20 * 60),
            approval_timeout: Duration::from_secs(15 * 60),
            monitor_for: Duration::from_secs(15 * 60),
            monitor_interval: Duration::from_secs(60),
            baseline_window: Duration::from_secs(60 * 60),
            error_interval: Duration::from_secs(60),
            baseline_tolerance: 0.2,
            acknowledge: AckPolicy::Person,
            unmeasured: UnmeasuredCriteria::WaitForPerson,
        }
    }
}

impl RunnerConfig {
    /// Checks the numbers.
    ///
    /// # Errors
    /// `Config` naming the first bad value.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("act_threshold", self.act_threshold),
            ("root_cause_threshold", self.root_cause_threshold),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::config(format!("{name} must lie within 0..=1")));
            }
        }
        for (name, d) in [
            ("monitor_interval", self.monitor_interval),
            ("error_interval", self.error_interval),
            (
                "rollback_wait.poll_interval",
                self.rollback_wait.poll_interval,
            ),
        ] {
            if d.is_zero() {
                return Err(Error::config(format!("{name} must be greater than zero")));
            }
        }
        if self.baseline_tolerance < 0.0 {
            return Err(Error::config("baseline_tolerance must not be negative"));
        }
        // An incident and its actions run under leases renewed between waits: the longest
        // single wait must fit in one.
        for (name, wait) in [
            ("rollback_wait.timeout", self.rollback_wait.timeout),
            ("approval_timeout", self.approval_timeout),
            ("monitor_interval", self.monitor_interval),
        ] {
            if self.lease_ttl <= wait {
                return Err(Error::config(format!(
                    "lease_ttl must exceed {name}, or another replica could take the incident \
                     over while this one is still waiting"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_shorter_than_the_rollback_wait_is_refused() {
        assert!(RunnerConfig::default().validate().is_ok());
        let config = RunnerConfig {
            lease_ttl: Duration::from_secs(60),
            rollback_wait: RollbackWait {
                poll_interval: Duration::from_secs(10),
                timeout: Duration::from_secs(5 * 60),
            },
            ..RunnerConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::Config);
        assert!(err.to_string().contains("lease_ttl"), "{err}");
    }
}
