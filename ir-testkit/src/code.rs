//! In-memory `CodeHost`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use ir_core::error::{Error, Result};
use ir_core::model::{FailedJob, IdempotencyKey, WorkflowRun};
use ir_core::ports::{
    CodeDeployment, CodeHost, FiledItem, FiledKind, IssueRef, NewIssue, PullRequestRef,
    RevertRequest, RunQuery, filed_marker,
};

use crate::lock;

/// An issue the in-memory code host filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledIssue {
    /// What `create_issue` returned.
    pub reference: IssueRef,
    /// What it was asked to file.
    pub issue: NewIssue,
}

/// A revert pull request the in-memory code host opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedRevert {
    /// What `open_revert_pr` returned.
    pub pull_request: PullRequestRef,
    /// What it was asked to revert.
    pub request: RevertRequest,
}

#[derive(Debug)]
struct StoredRun {
    workflow: String,
    run: WorkflowRun,
    failed_jobs: Vec<FailedJob>,
}

#[derive(Debug)]
struct CodeState {
    deployments: Vec<CodeDeployment>,
    /// By run id.
    runs: BTreeMap<u64, StoredRun>,
    issues_enabled: bool,
    /// Issues and pull requests share one number sequence, as on GitHub.
    last_number: u64,
    issues: Vec<FiledIssue>,
    reverts: Vec<OpenedRevert>,
}

/// A `CodeHost` for one repository, holding deployments, workflow runs and their failed jobs,
/// and keeping every issue filed and revert pull request opened.
///
/// Issues and pull requests are numbered from 1 in one sequence, as on GitHub; their URLs are
/// `memory://<repository>/issues/<n>` and `memory://<repository>/pull/<n>`. A revert's head
/// branch is `revert-<short sha>`.
///
/// ```
/// use ir_core::ports::{CodeHost, NewIssue};
/// use ir_testkit::InMemoryCodeHost;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ir_core::Result<()> {
/// let host = InMemoryCodeHost::new("acme/web");
/// let issue = NewIssue {
///     title: "Postmortem: dashboard errors".into(),
///     body: "…".into(),
///     labels: vec!["incident".into()],
///     assignees: vec![],
/// };
/// let filed = host.create_issue(&issue).await?;
/// assert_eq!(filed.number, 1);
/// assert_eq!(host.issues()[0].issue, issue);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct InMemoryCodeHost {
    repository: String,
    state: Arc<Mutex<CodeState>>,
}

impl InMemoryCodeHost {
    /// An empty repository named `repository` (`owner/name`), with issues enabled.
    pub fn new(repository: impl Into<String>) -> Self {
        Self {
            repository: repository.into(),
            state: Arc::new(Mutex::new(CodeState {
                deployments: Vec::new(),
                runs: BTreeMap::new(),
                issues_enabled: true,
                last_number: 0,
                issues: Vec::new(),
                reverts: Vec::new(),
            })),
        }
    }

    /// Adds a deployment record.
    pub fn add_deployment(&self, deployment: CodeDeployment) {
        lock(&self.state).deployments.push(deployment);
    }

    /// Adds (or replaces) a run of the workflow file `workflow` (e.g. `cd-production.yml`)
    /// with its failed jobs.
    pub fn add_run(
        &self,
        workflow: impl Into<String>,
        run: WorkflowRun,
        failed_jobs: impl IntoIterator<Item = FailedJob>,
    ) {
        let stored = StoredRun {
            workflow: workflow.into(),
            failed_jobs: failed_jobs.into_iter().collect(),
            run,
        };
        lock(&self.state).runs.insert(stored.run.id, stored);
    }

    /// Enables or disables the repository's issues; `create_issue` is `Unsupported` while they
    /// are disabled.
    pub fn set_issues_enabled(&self, enabled: bool) {
        lock(&self.state).issues_enabled = enabled;
    }

    /// Every issue filed, in order.
    pub fn issues(&self) -> Vec<FiledIssue> {
        lock(&self.state).issues.clone()
    }

    /// Every revert pull request opened, in order.
    pub fn reverts(&self) -> Vec<OpenedRevert> {
        lock(&self.state).reverts.clone()
    }

    fn url(&self, kind: &str, number: u64) -> String {
        format!("memory://{}/{kind}/{number}", self.repository)
    }
}

fn error(error: Error, operation: &'static str) -> Error {
    error.with_provider("memory").with_operation(operation)
}

fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

#[async_trait]
impl CodeHost for InMemoryCodeHost {
    async fn deployments(&self, limit: usize) -> Result<Vec<CodeDeployment>> {
        let mut deployments = lock(&self.state).deployments.clone();
        deployments.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        deployments.truncate(limit);
        Ok(deployments)
    }

    async fn workflow_runs(&self, query: &RunQuery) -> Result<Vec<WorkflowRun>> {
        let state = lock(&self.state);
        if let Some(workflow) = &query.workflow
            && !state.runs.values().any(|r| &r.workflow == workflow)
        {
            return Err(error(
                Error::not_found(format!("no workflow {workflow:?}")),
                "workflow_runs",
            ));
        }
        let mut runs: Vec<WorkflowRun> = state
            .runs
            .values()
            .filter(|r| query.workflow.as_ref().is_none_or(|w| &r.workflow == w))
            .filter(|r| {
                query
                    .branch
                    .as_ref()
                    .is_none_or(|b| r.run.head_branch.as_ref() == Some(b))
            })
            .filter(|r| {
                !query.failed_only || r.run.conclusion.as_ref().is_some_and(|c| c.is_failure())
            })
            .map(|r| r.run.clone())
            .collect();
        runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        runs.truncate(query.limit);
        Ok(runs)
    }

    async fn failed_jobs(&self, run_id: u64) -> Result<Vec<FailedJob>> {
        lock(&self.state)
            .runs
            .get(&run_id)
            .map(|r| r.failed_jobs.clone())
            .ok_or_else(|| {
                error(
                    Error::not_found(format!("no workflow run {run_id}")),
                    "failed_jobs",
                )
            })
    }

    async fn create_issue(&self, issue: &NewIssue) -> Result<IssueRef> {
        const OP: &str = "create_issue";
        if issue.title.trim().is_empty() {
            return Err(error(Error::invalid_input("an issue needs a title"), OP));
        }
        let mut state = lock(&self.state);
        if !state.issues_enabled {
            return Err(error(
                Error::unsupported(format!("issues are disabled in {}", self.repository)),
                OP,
            ));
        }
        state.last_number += 1;
        let number = state.last_number;
        let reference = IssueRef {
            number,
            url: self.url("issues", number),
        };
        state.issues.push(FiledIssue {
            reference: reference.clone(),
            issue: issue.clone(),
        });
        Ok(reference)
    }

    async fn open_revert_pr(&self, request: &RevertRequest) -> Result<PullRequestRef> {
        const OP: &str = "open_revert_pr";
        if request.commit_sha.trim().is_empty() || request.base.trim().is_empty() {
            return Err(error(
                Error::invalid_input("a revert needs a commit and a base branch"),
                OP,
            ));
        }
        if request.title.trim().is_empty() {
            return Err(error(
                Error::invalid_input("a pull request needs a title"),
                OP,
            ));
        }
        let mut state = lock(&self.state);
        state.last_number += 1;
        let number = state.last_number;
        let pull_request = PullRequestRef {
            number,
            url: self.url("pull", number),
            head_branch: format!("revert-{}", short_sha(&request.commit_sha)),
        };
        state.reverts.push(OpenedRevert {
            pull_request: pull_request.clone(),
            request: request.clone(),
        });
        Ok(pull_request)
    }

    /// The issue or revert pull request whose body carries [`filed_marker`]`(key)`, the
    /// newest first; every item is `open`.
    async fn find_filed(&self, key: &IdempotencyKey) -> Result<Option<FiledItem>> {
        let marker = filed_marker(key);
        let state = lock(&self.state);
        let issues = state
            .issues
            .iter()
            .filter(|i| i.issue.body.contains(&marker))
            .map(|i| {
                FiledItem::new(
                    FiledKind::Issue,
                    i.reference.number,
                    i.reference.url.clone(),
                    "open",
                )
            });
        let reverts = state
            .reverts
            .iter()
            .filter(|r| r.request.body.contains(&marker))
            .map(|r| {
                FiledItem::new(
                    FiledKind::PullRequest,
                    r.pull_request.number,
                    r.pull_request.url.clone(),
                    "open",
                )
            });
        Ok(issues.chain(reverts).max_by_key(|item| item.number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn find_filed_finds_the_item_carrying_the_marker() {
        let host = InMemoryCodeHost::new("acme/web");
        let key = IdempotencyKey::new("site_down/crash/revert:abc");
        assert_eq!(host.find_filed(&key).await.unwrap(), None);
        host.create_issue(&NewIssue {
            title: "Other".into(),
            body: filed_marker(&IdempotencyKey::new("other")),
            labels: Vec::new(),
            assignees: Vec::new(),
        })
        .await
        .unwrap();
        host.open_revert_pr(&RevertRequest {
            commit_sha: "abc1234".into(),
            base: "main".into(),
            title: "Revert abc1234".into(),
            body: format!("Reverts abc1234.\n\n{}", filed_marker(&key)),
        })
        .await
        .unwrap();
        let found = host.find_filed(&key).await.unwrap().unwrap();
        assert_eq!(
            (found.kind, found.number, found.url.as_str()),
            (FiledKind::PullRequest, 2, "memory://acme/web/pull/2")
        );
        assert_eq!(
            host.find_filed(&IdempotencyKey::new("other"))
                .await
                .unwrap()
                .map(|f| (f.kind, f.number)),
            Some((FiledKind::Issue, 1))
        );
    }
}
