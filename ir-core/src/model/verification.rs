//! How a mitigation is verified: the checks of a round, how many rounds in a row, how often,
//! until when. The timeline stores it with the proposed action
//! ([`EventKind::ActionProposed`](crate::incident::EventKind::ActionProposed)), so a resumed run
//! verifies what was planned without planning again; the playbook engine polls it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
    /// `path` healthy three times in a row, 30 s apart, within 10 minutes.
    pub fn health(path: impl Into<String>) -> Self {
        Self {
            checks: vec![Check::Healthy { path: path.into() }],
            consecutive: 3,
            interval: Duration::from_secs(30),
            deadline: Duration::from_secs(10 * 60),
        }
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
