//! `CodeHost`: the repository, its CI and its issue tracker (GitHub and the like).

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{FailedJob, WorkflowRun};

/// A deployment as the code host records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeDeployment {
    /// Host id.
    pub id: u64,
    /// Commit deployed.
    pub sha: String,
    /// Ref (branch or tag) deployed.
    pub git_ref: String,
    /// Target environment.
    pub environment: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// The state of its latest status, when the host reports one (`None`: no status yet).
    #[serde(default)]
    pub state: Option<CodeDeploymentState>,
}

/// The state of a deployment's latest status. Unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CodeDeploymentState {
    /// Waiting to start.
    Pending,
    /// Queued.
    Queued,
    /// Running.
    InProgress,
    /// Deployed.
    Success,
    /// The deployment failed.
    Failure,
    /// The deployment could not run.
    Error,
    /// Replaced by a later deployment.
    Inactive,
    /// Anything else.
    #[serde(untagged)]
    Unknown(String),
}

impl CodeDeploymentState {
    /// Parses the host's snake-case state.
    pub fn parse(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "queued" => Self::Queued,
            "in_progress" => Self::InProgress,
            "success" => Self::Success,
            "failure" => Self::Failure,
            "error" => Self::Error,
            "inactive" => Self::Inactive,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

impl CodeDeployment {
    /// A deployment record.
    pub fn new(
        id: u64,
        sha: impl Into<String>,
        git_ref: impl Into<String>,
        environment: impl Into<String>,
        created_at: Timestamp,
    ) -> Self {
        Self {
            id,
            sha: sha.into(),
            git_ref: git_ref.into(),
            environment: environment.into(),
            created_at,
            state: None,
        }
    }

    /// Sets the state of the latest status.
    pub fn with_state(mut self, state: CodeDeploymentState) -> Self {
        self.state = Some(state);
        self
    }
}

/// Which runs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunQuery {
    /// Workflow file name (e.g. `cd-production.yml`); all workflows when `None`.
    pub workflow: Option<String>,
    /// Branch filter.
    pub branch: Option<String>,
    /// Only failed runs.
    pub failed_only: bool,
    /// At most this many runs, newest first.
    pub limit: usize,
}

/// An issue to file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIssue {
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Labels (dropped by the host unless the caller may push).
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
}

/// A filed issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    /// Issue number.
    pub number: u64,
    /// Link for people.
    pub url: String,
}

/// A request to open a pull request reverting a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevertRequest {
    /// The commit to revert.
    pub commit_sha: String,
    /// The branch the revert goes into (e.g. `main`).
    pub base: String,
    /// PR title.
    pub title: String,
    /// PR body.
    pub body: String,
}

/// An opened pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestRef {
    /// PR number.
    pub number: u64,
    /// Link for people.
    pub url: String,
    /// The branch holding the revert.
    pub head_branch: String,
}

/// The repository, its CI and its issue tracker.
///
/// An implementation is bound to one repository by its configuration.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CodeHost: Send + Sync + fmt::Debug + 'static {
    /// Up to `limit` deployments, newest first, each with the state of its latest status when
    /// the host reports one.
    ///
    /// # Errors
    /// `Unauthenticated`, `NotFound` (private repository without access), `RateLimited`,
    /// `Unavailable`, `Timeout`.
    async fn deployments(&self, limit: usize) -> Result<Vec<CodeDeployment>>;

    /// Workflow runs matching `query`, newest first.
    ///
    /// # Errors
    /// As [`deployments`](Self::deployments); `NotFound` for an unknown workflow.
    async fn workflow_runs(&self, query: &RunQuery) -> Result<Vec<WorkflowRun>>;

    /// The failed jobs of run `run_id`, each with its failing step and log excerpt.
    ///
    /// # Errors
    /// As [`deployments`](Self::deployments); `NotFound` for an unknown run.
    async fn failed_jobs(&self, run_id: u64) -> Result<Vec<FailedJob>>;

    /// Files an issue.
    ///
    /// # Errors
    /// As [`deployments`](Self::deployments); `InvalidInput` when the host rejects the body;
    /// `Unsupported` when issues are disabled.
    async fn create_issue(&self, issue: &NewIssue) -> Result<IssueRef>;

    /// Opens a pull request that reverts `request.commit_sha` into `request.base`.
    ///
    /// # Errors
    /// As [`create_issue`](Self::create_issue); `Conflict` when the revert cannot be made
    /// without a merge.
    async fn open_revert_pr(&self, request: &RevertRequest) -> Result<PullRequestRef>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_states_parse_and_keep_unknown_values() {
        assert_eq!(
            CodeDeploymentState::parse("in_progress"),
            CodeDeploymentState::InProgress
        );
        assert_eq!(
            CodeDeploymentState::parse("success"),
            CodeDeploymentState::Success
        );
        assert_eq!(
            CodeDeploymentState::parse("paused"),
            CodeDeploymentState::Unknown("paused".into())
        );
        let json = serde_json::to_string(&CodeDeploymentState::Unknown("paused".into()));
        assert_eq!(json.ok().as_deref(), Some("\"paused\""));
    }
}
