//! `CodeHost`: the repository, its CI and its issue tracker (GitHub and the like).

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{FailedJob, IdempotencyKey, WorkflowRun};

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

/// How two commits relate, as a comparison reports it. Unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CompareStatus {
    /// Head is ahead of base.
    Ahead,
    /// Head is behind base.
    Behind,
    /// Both have commits the other lacks.
    Diverged,
    /// The same commit.
    Identical,
    /// Anything else.
    #[serde(untagged)]
    Unknown(String),
}

impl CompareStatus {
    /// Parses the host's value.
    pub fn parse(s: &str) -> Self {
        match s {
            "ahead" => Self::Ahead,
            "behind" => Self::Behind,
            "diverged" => Self::Diverged,
            "identical" => Self::Identical,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// What happened to one file between two commits. Unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileChange {
    /// Created in head (it was never committed in base).
    Added,
    /// Deleted in head.
    Removed,
    /// Changed.
    Modified,
    /// Moved (see [`ChangedFile::previous_filename`]).
    Renamed,
    /// Copied from another file.
    Copied,
    /// Mode or type changed.
    Changed,
    /// Listed without change.
    Unchanged,
    /// Anything else.
    #[serde(untagged)]
    Unknown(String),
}

impl FileChange {
    /// Parses the host's value.
    pub fn parse(s: &str) -> Self {
        match s {
            "added" => Self::Added,
            "removed" => Self::Removed,
            "modified" => Self::Modified,
            "renamed" => Self::Renamed,
            "copied" => Self::Copied,
            "changed" => Self::Changed,
            "unchanged" => Self::Unchanged,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// One file changed between two commits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChangedFile {
    /// Path in head (in base for a removed file).
    pub filename: String,
    /// What happened to it.
    pub change: FileChange,
    /// The path it had before a rename or copy.
    pub previous_filename: Option<String>,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
}

impl ChangedFile {
    /// A changed file without line counts.
    pub fn new(filename: impl Into<String>, change: FileChange) -> Self {
        Self {
            filename: filename.into(),
            change,
            previous_filename: None,
            additions: 0,
            deletions: 0,
        }
    }
}

/// Two commits compared: how they relate and the files that differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Comparison {
    /// How head relates to base.
    pub status: CompareStatus,
    /// Commits in head and not in base.
    pub ahead_by: u64,
    /// Commits in base and not in head.
    pub behind_by: u64,
    /// The files that differ (a host may cap the list, GitHub at 300).
    pub files: Vec<ChangedFile>,
    /// Link for people.
    pub url: String,
}

impl Comparison {
    /// A comparison.
    pub fn new(
        status: CompareStatus,
        ahead_by: u64,
        behind_by: u64,
        files: Vec<ChangedFile>,
    ) -> Self {
        Self {
            status,
            ahead_by,
            behind_by,
            files,
            url: String::new(),
        }
    }
}

/// What kind of item `ir` filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiledKind {
    /// An issue.
    Issue,
    /// A pull request.
    PullRequest,
}

/// An issue or pull request `ir` filed earlier, found by the idempotency key it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FiledItem {
    /// Issue or pull request.
    pub kind: FiledKind,
    /// Its number.
    pub number: u64,
    /// Link for people.
    pub url: String,
    /// `open` or `closed`.
    pub state: String,
}

impl FiledItem {
    /// A filed item.
    pub fn new(
        kind: FiledKind,
        number: u64,
        url: impl Into<String>,
        state: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            number,
            url: url.into(),
            state: state.into(),
        }
    }
}

/// The hidden marker `ir` puts in the body of what it files for the action `key`:
/// `<!-- ir:key=<key> -->`, with every character outside `A-Z a-z 0-9 . _ : / -` written as
/// `%XX` (so a key can neither end the comment nor break the search for it).
/// [`CodeHost::find_filed`] looks for it.
///
/// ```
/// use ir_core::model::IdempotencyKey;
/// use ir_core::ports::filed_marker;
///
/// assert_eq!(filed_marker(&IdempotencyKey::new("revert-abc123")), "<!-- ir:key=revert-abc123 -->");
/// assert_eq!(filed_marker(&IdempotencyKey::new("a b-->")), "<!-- ir:key=a%20b--%3E -->");
/// ```
pub fn filed_marker(key: &IdempotencyKey) -> String {
    let mut marker = String::from("<!-- ir:key=");
    for byte in key.as_str().bytes() {
        if byte.is_ascii_alphanumeric() || b"._:/-".contains(&byte) {
            marker.push(char::from(byte));
        } else {
            marker.push_str(&format!("%{byte:02X}"));
        }
    }
    marker.push_str(" -->");
    marker
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

    /// Compares `base` with `head` (commits, branches or tags): how they relate and the files
    /// that differ, to tell a file deleted from one never committed.
    ///
    /// # Errors
    /// As [`deployments`](Self::deployments); `NotFound` for an unknown commit; `Unsupported`
    /// (the default) when the host cannot compare.
    async fn compare(&self, base: &str, head: &str) -> Result<Comparison> {
        let _ = (base, head);
        Err(Error::unsupported("this code host cannot compare commits"))
    }

    /// The issue or pull request filed earlier for the action `key`: one whose body carries
    /// [`filed_marker`]`(key)`. A runner resuming after a crash asks before filing again.
    /// `None` when there is none.
    ///
    /// # Errors
    /// As [`deployments`](Self::deployments); `Unsupported` (the default) when the host cannot
    /// look it up.
    async fn find_filed(&self, key: &IdempotencyKey) -> Result<Option<FiledItem>> {
        let _ = key;
        Err(Error::unsupported(
            "this code host cannot find what was filed before",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// A host implementing only the required methods.
    #[derive(Debug)]
    struct Bare;

    #[async_trait]
    impl CodeHost for Bare {
        async fn deployments(&self, _: usize) -> Result<Vec<CodeDeployment>> {
            Ok(Vec::new())
        }
        async fn workflow_runs(&self, _: &RunQuery) -> Result<Vec<WorkflowRun>> {
            Ok(Vec::new())
        }
        async fn failed_jobs(&self, _: u64) -> Result<Vec<FailedJob>> {
            Ok(Vec::new())
        }
        async fn create_issue(&self, _: &NewIssue) -> Result<IssueRef> {
            Err(Error::unsupported("no issues"))
        }
        async fn open_revert_pr(&self, _: &RevertRequest) -> Result<PullRequestRef> {
            Err(Error::unsupported("no reverts"))
        }
    }

    #[tokio::test]
    async fn compare_and_find_filed_default_to_unsupported() {
        let host: &dyn CodeHost = &Bare;
        let compare = host.compare("a", "b").await.map(|_| ());
        assert_eq!(compare.map_err(|e| e.kind()), Err(ErrorKind::Unsupported));
        let found = host.find_filed(&IdempotencyKey::new("k")).await.map(|_| ());
        assert_eq!(found.map_err(|e| e.kind()), Err(ErrorKind::Unsupported));
    }

    #[test]
    fn the_marker_escapes_what_could_end_the_comment() {
        assert_eq!(
            filed_marker(&IdempotencyKey::new("issue:inc-42/action-3")),
            "<!-- ir:key=issue:inc-42/action-3 -->"
        );
        assert_eq!(
            filed_marker(&IdempotencyKey::new("x -->\n")),
            "<!-- ir:key=x%20--%3E%0A -->"
        );
        assert_eq!(FileChange::parse("removed"), FileChange::Removed);
        assert_eq!(FileChange::parse("new"), FileChange::Unknown("new".into()));
        assert_eq!(CompareStatus::parse("diverged"), CompareStatus::Diverged);
    }

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
