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
        }
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
    /// Up to `limit` deployments, newest first.
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
