//! Fixtures: what a backend under test holds, for the suites that cannot create it through the
//! port.

use std::time::Duration;

use ir_core::clock::Timestamp;
use ir_core::model::{
    Deployment, DeploymentId, DeploymentStatus, FailedJob, LogLine, TimeWindow, TrackedIssue,
    WorkflowRun,
};
use ir_core::ports::{CodeDeployment, LogStream, RevertRequest};

/// What a deploy platform under test holds.
#[derive(Debug, Clone)]
pub struct DeployFixture {
    /// Every deployment the backend holds, newest first.
    pub deployments: Vec<Deployment>,
    /// A deployment the platform allows rolling back to.
    pub rollback_to: DeploymentId,
    /// An id the backend does not hold.
    pub unknown: DeploymentId,
}

/// What a variable store under test holds before the suite runs.
#[derive(Debug, Clone)]
pub struct VariableFixture {
    /// Variables set, with their values.
    pub existing: Vec<(String, String)>,
    /// A name that is not set and that the suite may set and delete.
    pub scratch: String,
}

/// What a log source under test holds.
#[derive(Debug, Clone)]
pub struct LogFixture {
    /// The stream holding the lines.
    pub stream: LogStream,
    /// Its lines, oldest first (at least three, with distinct timestamps).
    pub lines: Vec<LogLine>,
}

/// What a health probe under test can reach.
#[derive(Debug, Clone)]
pub struct HealthFixture {
    /// A path (starting with `/`) that answers `healthy_status`.
    pub healthy_path: String,
    /// A 2xx status.
    pub healthy_status: u16,
    /// A path (starting with `/`) that answers `failing_status`.
    pub failing_path: String,
    /// A 5xx status.
    pub failing_status: u16,
}

/// What an error tracker under test holds.
#[derive(Debug, Clone)]
pub struct ErrorTrackerFixture {
    /// Every issue the backend holds: at least two first seen inside `window` and one first seen
    /// before it.
    pub issues: Vec<TrackedIssue>,
    /// Every error event the backend holds. Events outside `window` are at least `interval`
    /// away from it, so counts do not depend on how the tracker aligns its buckets.
    pub events: Vec<Timestamp>,
    /// The window the suite asks about.
    pub window: TimeWindow,
    /// A bucket interval the tracker resolves, shorter than the window.
    pub interval: Duration,
}

/// What a code host under test holds.
#[derive(Debug, Clone)]
pub struct CodeHostFixture {
    /// Every deployment the repository records, newest first (at least one).
    pub deployments: Vec<CodeDeployment>,
    /// A workflow file with runs (e.g. `cd-production.yml`).
    pub workflow: String,
    /// Every run of `workflow`, newest first: at least one failed, one not, and one with a
    /// head branch.
    pub runs: Vec<WorkflowRun>,
    /// A failed run of `workflow`.
    pub failed_run: u64,
    /// Its failed jobs, as the host reports them.
    pub failed_jobs: Vec<FailedJob>,
    /// A run id the host does not hold.
    pub unknown_run: u64,
    /// A revert the host can make.
    pub revert: RevertRequest,
}

/// A deployment fixture: `n` successful deployments one minute apart ending at `newest`, ids
/// `d-1` (oldest) .. `d-n`, each with a commit and rollback allowed.
pub fn deployments_fixture(n: usize, newest: Timestamp) -> Vec<Deployment> {
    (1..=n)
        .map(|i| {
            let age = chrono::Duration::minutes((n - i) as i64);
            Deployment::new(format!("d-{i}"), DeploymentStatus::Active, newest - age)
                .with_commit(format!("{:040x}", i * 0x1111), Some(format!("change {i}")))
                .with_capabilities(true, true)
        })
        .rev()
        .collect()
}
