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
    /// How long an action lease lasts.
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
            lease_ttl: Duration::from_secs(15 * 60),
            approval_timeout: Duration::from_secs(15 * 60),
            monitor_for: Duration::from_secs(15 * 60),
            monitor_interval: Duration::from_secs(60),
            baseline_window: Duration::from_secs(60 * 60),
            error_interval: Duration::from_secs(60),
            baseline_tolerance: 0.2,
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
        // An action runs under its lease; the longest is a rollback waiting for the platform.
        if self.lease_ttl <= self.rollback_wait.timeout {
            return Err(Error::config(
                "lease_ttl must exceed rollback_wait.timeout, or another replica could take an \
                 action over while a rollback is still being waited for",
            ));
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
