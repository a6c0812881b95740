//! CI runs and their failed jobs, as a `CodeHost` reports them.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// A CI run's conclusion. Unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunConclusion {
    /// Succeeded.
    Success,
    /// Failed.
    Failure,
    /// Cancelled.
    Cancelled,
    /// Timed out.
    TimedOut,
    /// Skipped.
    Skipped,
    /// Neutral.
    Neutral,
    /// Needs action.
    ActionRequired,
    /// Anything else.
    #[serde(untagged)]
    Unknown(String),
}

impl RunConclusion {
    /// Parses the host's snake-case conclusion.
    pub fn parse(s: &str) -> Self {
        match s {
            "success" => Self::Success,
            "failure" => Self::Failure,
            "cancelled" => Self::Cancelled,
            "timed_out" => Self::TimedOut,
            "skipped" => Self::Skipped,
            "neutral" => Self::Neutral,
            "action_required" => Self::ActionRequired,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// Whether this counts as failed.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failure | Self::TimedOut)
    }
}

/// One CI workflow run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkflowRun {
    /// Host id.
    pub id: u64,
    /// Workflow name.
    pub name: String,
    /// Branch.
    pub head_branch: Option<String>,
    /// Commit.
    pub head_sha: String,
    /// `queued`, `in_progress`, `completed`, ...
    pub status: String,
    /// Set once completed.
    pub conclusion: Option<RunConclusion>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Link for people.
    pub html_url: String,
}

impl WorkflowRun {
    /// A run record.
    pub fn new(
        id: u64,
        name: impl Into<String>,
        head_sha: impl Into<String>,
        status: impl Into<String>,
        conclusion: Option<RunConclusion>,
        created_at: Timestamp,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            head_branch: None,
            head_sha: head_sha.into(),
            status: status.into(),
            conclusion,
            created_at,
            html_url: String::new(),
        }
    }
}

/// A failed job of a run, with the step that failed and the end of its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FailedJob {
    /// Job id.
    pub job_id: u64,
    /// Job name.
    pub name: String,
    /// The first failing step's number, when known.
    pub step_number: Option<u32>,
    /// The first failing step's name, when known.
    pub step_name: Option<String>,
    /// The last lines of the job's log, when they could be fetched.
    pub log_excerpt: Option<String>,
}

impl FailedJob {
    /// A failed job.
    pub fn new(job_id: u64, name: impl Into<String>) -> Self {
        Self {
            job_id,
            name: name.into(),
            step_number: None,
            step_name: None,
            log_excerpt: None,
        }
    }

    /// Sets the failing step.
    pub fn with_step(mut self, number: u32, name: impl Into<String>) -> Self {
        self.step_number = Some(number);
        self.step_name = Some(name.into());
        self
    }

    /// Sets the log excerpt.
    pub fn with_log_excerpt(mut self, excerpt: impl Into<String>) -> Self {
        self.log_excerpt = Some(excerpt.into());
        self
    }
}
