//! [`CodeHost`] for [`GithubClient`].

use async_trait::async_trait;
use ir_core::Result;
use ir_core::model::{FailedJob, IdempotencyKey, WorkflowRun};
use ir_core::ports::{
    CodeDeployment, CodeHost, Comparison, FiledItem, IssueRef, NewIssue, PullRequestRef,
    RevertRequest, RunQuery,
};

use crate::client::GithubClient;

#[async_trait]
impl CodeHost for GithubClient {
    async fn deployments(&self, limit: usize) -> Result<Vec<CodeDeployment>> {
        self.list_deployments(limit).await
    }

    async fn workflow_runs(&self, query: &RunQuery) -> Result<Vec<WorkflowRun>> {
        self.list_workflow_runs(query).await
    }

    async fn failed_jobs(&self, run_id: u64) -> Result<Vec<FailedJob>> {
        self.list_failed_jobs(run_id).await
    }

    async fn create_issue(&self, issue: &NewIssue) -> Result<IssueRef> {
        self.file_issue(issue).await
    }

    async fn open_revert_pr(&self, request: &RevertRequest) -> Result<PullRequestRef> {
        self.revert(request).await
    }

    async fn compare(&self, base: &str, head: &str) -> Result<Comparison> {
        self.compare_commits(base, head).await
    }

    async fn find_filed(&self, key: &IdempotencyKey) -> Result<Option<FiledItem>> {
        GithubClient::find_filed(self, key).await
    }
}
