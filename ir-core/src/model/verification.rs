//! How a mitigation is verified: the checks of a round, how many rounds in a row, how often,
//! until when. The timeline stores it with the proposed action
//! ([`EventKind::ActionProposed`](crate::incident::EventKind::ActionProposed)), so a resumed run
//! verifies what was planned without planning again; the playbook engine polls it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One check of a verification round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "check")]
#[non_exhaustive]
pub enum Check {
    /// `path` answers 2xx/3xx (runbook: `curl https://.../health`).
    Healthy {
        /// Path.
        path: String,
    },
    /// `path` answers 2xx/3xx and not NextAuth's "problem with the server configuration".
    AuthWorks {
        /// Path, e.g. `/api/auth/session`.
        path: String,
    },
    /// `path` answers healthy within `max`.
    LatencyUnder {
        /// Path.
        path: String,
        /// The SLO.
        #[serde(with = "humantime_serde")]
        max: Duration,
    },
    /// Errors in the last `interval` are at most the baseline's (within its tolerance).
    /// Skipped, and said so, when there is no baseline.
    ErrorRateAtBaseline {
        /// Window to count over.
        #[serde(with = "humantime_serde")]
        interval: Duration,
    },
    /// The database has headroom, PgBouncer has no waiting clients and the application pool is
    /// not exhausted (whichever of these the database port can report).
    PoolHealthy,
}

/// How to tell a mitigation worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Verification {
    /// Every check must pass in a round.
    pub checks: Vec<Check>,
    /// Rounds in a row that must pass.
    pub consecutive: u32,
    /// Between rounds (runbook: `sleep 30` before checking health).
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// Give up after this long.
    #[serde(with = "humantime_serde")]
    pub deadline: Duration,
}

impl Verification {
    /// `path` healthy three times in a row, 30 s apart, within 10 minutes
    /// ([`VerificationTimings::runbook`]).
    pub fn health(path: impl Into<String>) -> Self {
        Self {
            checks: vec![Check::Healthy { path: path.into() }],
            consecutive: 3,
            interval: Duration::from_secs(30),
            deadline: Duration::from_secs(10 * 60),
        }
    }

    /// The rounds, interval and deadline, without the checks.
    pub fn timings(&self) -> VerificationTimings {
        VerificationTimings {
            consecutive: self.consecutive,
            interval: self.interval,
            deadline: self.deadline,
        }
    }

    /// Sets the rounds, interval and deadline at once (the checks stay).
    pub fn with_timings(self, timings: VerificationTimings) -> Self {
        self.with_consecutive(timings.consecutive)
            .with_interval(timings.interval)
            .with_deadline(timings.deadline)
    }

    /// How long verifying takes when every round passes: [`consecutive`](Self::consecutive)
    /// rounds, each after waiting [`interval`](Self::interval) (the runbook's `sleep 30`
    /// before checking), so 90 s for [`Verification::health`]. The checks' own latency comes
    /// on top. The [`deadline`](Self::deadline) is the longest it can take.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ir_core::model::Verification;
    ///
    /// let v = Verification::health("/health");
    /// assert_eq!(v.expected_duration(), Duration::from_secs(90));
    /// let quick = v.with_interval(Duration::from_secs(1)).with_consecutive(2);
    /// assert_eq!(quick.expected_duration(), Duration::from_secs(2));
    /// ```
    pub fn expected_duration(&self) -> Duration {
        self.timings().expected_duration()
    }

    /// Adds a check.
    pub fn with(mut self, check: Check) -> Self {
        if !self.checks.contains(&check) {
            self.checks.push(check);
        }
        self
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the interval between rounds.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets how many rounds in a row must pass.
    pub fn with_consecutive(mut self, k: u32) -> Self {
        self.consecutive = k.max(1);
        self
    }
}

/// How a verification is timed, without its checks: how many healthy rounds in a row, how long
/// to wait before each round, and when to give up. Each scenario takes these for its
/// mitigations (`with_verification`, and `[scenarios.<name>] verification = { ... }` in the
/// facade's `ir.toml`); keys left out keep the runbook's value.
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::VerificationTimings;
///
/// let runbook = VerificationTimings::runbook();
/// assert_eq!((runbook.consecutive, runbook.interval, runbook.deadline),
///     (3, Duration::from_secs(30), Duration::from_secs(600)));
/// assert_eq!(runbook.expected_duration(), Duration::from_secs(90));
///
/// // A drill on the system clock: two rounds a second apart, within a minute.
/// let quick = VerificationTimings::new(2, Duration::from_secs(1), Duration::from_secs(60));
/// assert_eq!(quick.expected_duration(), Duration::from_secs(2));
/// assert!(quick.validate().is_ok());
///
/// // In TOML (durations as "30s", "10m"); keys left out keep the runbook's.
/// let t: VerificationTimings = toml::from_str("interval = \"5s\"")?;
/// assert_eq!((t.consecutive, t.interval, t.deadline), (3, Duration::from_secs(5), Duration::from_secs(600)));
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VerificationTimings {
    /// Healthy rounds in a row that must pass (at least 1).
    pub consecutive: u32,
    /// Waited before each round.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// Give up after this long.
    #[serde(with = "humantime_serde")]
    pub deadline: Duration,
}

impl Default for VerificationTimings {
    fn default() -> Self {
        Self::runbook()
    }
}

impl VerificationTimings {
    /// The runbook's: three healthy rounds in a row, 30 s apart, within 10 minutes.
    pub const fn runbook() -> Self {
        Self {
            consecutive: 3,
            interval: Duration::from_secs(30),
            deadline: Duration::from_secs(10 * 60),
        }
    }

    /// `consecutive` rounds (at least 1) `interval` apart, within `deadline`.
    pub fn new(consecutive: u32, interval: Duration, deadline: Duration) -> Self {
        Self {
            consecutive: consecutive.max(1),
            interval,
            deadline,
        }
    }

    /// Sets how many rounds in a row must pass (at least 1).
    pub fn with_consecutive(mut self, k: u32) -> Self {
        self.consecutive = k.max(1);
        self
    }

    /// Sets the wait before each round.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long verifying takes when every round passes: `consecutive × interval`
    /// (saturating), the checks' latency aside.
    pub fn expected_duration(&self) -> Duration {
        self.interval.saturating_mul(self.consecutive.max(1))
    }

    /// Checks the timings can ever verify.
    ///
    /// # Errors
    /// `Config` when the interval is zero (the rounds would not wait) or the deadline is shorter
    /// than [`expected_duration`](Self::expected_duration) (not even healthy rounds could pass
    /// in time).
    pub fn validate(&self) -> Result<()> {
        if self.interval.is_zero() {
            return Err(Error::config("interval must be greater than zero"));
        }
        let expected = self.expected_duration();
        if self.deadline < expected {
            return Err(Error::config(format!(
                "deadline {} is shorter than {} rounds {} apart ({})",
                human(self.deadline),
                self.consecutive.max(1),
                human(self.interval),
                human(expected)
            )));
        }
        Ok(())
    }
}

fn human(d: Duration) -> String {
    humantime_serde::re::humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_duration_is_rounds_times_interval() {
        let v = Verification::health("/health");
        assert_eq!(v.expected_duration(), Duration::from_secs(90));
        assert_eq!(v.timings(), VerificationTimings::runbook());
        let t = VerificationTimings::new(0, Duration::from_secs(7), Duration::from_secs(60));
        assert_eq!(t.consecutive, 1, "at least one round");
        assert_eq!(t.expected_duration(), Duration::from_secs(7));
        let v = v.with_timings(t);
        assert_eq!(
            (v.consecutive, v.interval, v.deadline),
            (1, Duration::from_secs(7), Duration::from_secs(60))
        );
        assert_eq!(v.checks.len(), 1, "the checks stay");
        let huge = VerificationTimings::new(u32::MAX, Duration::MAX, Duration::MAX);
        assert_eq!(huge.expected_duration(), Duration::MAX);
    }

    #[test]
    fn timings_that_can_never_verify_are_refused() {
        assert!(VerificationTimings::runbook().validate().is_ok());
        let zero = VerificationTimings::runbook().with_interval(Duration::ZERO);
        assert!(
            zero.validate()
                .unwrap_err()
                .to_string()
                .contains("interval")
        );
        let short = VerificationTimings::runbook().with_deadline(Duration::from_secs(60));
        let err = short.validate().unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::Config);
        assert_eq!(
            err.to_string(),
            "configuration error: deadline 1m is shorter than 3 rounds 30s apart (1m 30s)"
        );
    }
}
