//! Reverting a change: GitHub's GraphQL `revertPullRequest` on the merged pull request the
//! commit came from (GitHub has no REST revert).

use ir_core::model::IdempotencyKey;
use ir_core::ports::{FiledKind, PullRequestRef, RevertRequest};
use ir_core::{Error, ErrorKind, Result};
use serde::Deserialize;

use crate::client::{GithubClient, PROVIDER};
use crate::gql;
use crate::issues::with_marker;

/// A pull request as `GET /repos/{owner}/{repo}/commits/{sha}/pulls` lists it, the fields read.
#[derive(Debug, Deserialize)]
struct WirePull {
    number: u64,
    node_id: String,
    #[serde(default)]
    merged_at: Option<String>,
    #[serde(default)]
    merge_commit_sha: Option<String>,
    base: WireBase,
}

#[derive(Debug, Deserialize)]
struct WireBase {
    #[serde(rename = "ref")]
    git_ref: String,
}

/// `revertPullRequest { revertPullRequest { number url headRefName } }`.
#[derive(Debug, Deserialize)]
struct RevertPayload {
    #[serde(rename = "revertPullRequest")]
    revert_pull_request: Option<RevertedPull>,
}

#[derive(Debug, Deserialize)]
struct RevertedPull {
    number: u64,
    url: String,
    #[serde(rename = "headRefName")]
    head_ref_name: String,
}

impl GithubClient {
    /// Finds the pull request merged into `request.base` that brought `request.commit_sha`
    /// and asks GitHub to open a pull request reverting it.
    pub(crate) async fn revert(&self, request: &RevertRequest) -> Result<PullRequestRef> {
        let sha = request.commit_sha.trim();
        let url = self.repo_url(
            &["commits", sha, "pulls"],
            &[("per_page", "100".to_owned())],
        );
        let pulls: Vec<WirePull> = self.get_json("list_pull_requests_for_commit", url).await?;
        let merged = |p: &&WirePull| p.merged_at.is_some() && p.base.git_ref == request.base;
        let pull = pulls
            .iter()
            .filter(merged)
            .find(|p| p.merge_commit_sha.as_deref() == Some(sha))
            .or_else(|| pulls.iter().find(merged));
        let Some(pull) = pull else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "commit {sha} did not come from a pull request merged into {base} of {owner}/{repo}, \
                     and GitHub can only revert merged pull requests: run `git revert {sha}` and push it \
                     to a branch to open the pull request yourself, or roll back to an earlier deployment",
                    base = request.base,
                    owner = self.owner,
                    repo = self.repo,
                ),
            )
            .with_provider(PROVIDER)
            .with_operation("revertPullRequest"));
        };
        tracing::debug!(
            pull = pull.number,
            "reverting the pull request the commit came from"
        );
        let variables = serde_json::json!({
            "input": {
                "pullRequestId": pull.node_id,
                "title": request.title,
                "body": request.body,
                "draft": false,
            }
        });
        let payload: RevertPayload = self.graphql(&gql::REVERT_PULL_REQUEST, variables).await?;
        let reverted = payload.revert_pull_request.ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!(
                    "GitHub reverted pull request #{} but named no new pull request",
                    pull.number
                ),
            )
            .with_provider(PROVIDER)
            .with_operation("revertPullRequest")
        })?;
        Ok(PullRequestRef {
            number: reverted.number,
            url: reverted.url,
            head_branch: reverted.head_ref_name,
        })
    }

    /// Opens the revert pull request for the action `key` unless it was opened before: the
    /// body gets [`filed_marker`](ir_core::ports::filed_marker)`(key)` appended, and a pull
    /// request already carrying it is returned instead (its head branch is then empty: the
    /// lookup does not read it).
    ///
    /// # Errors
    /// As [`find_filed`](Self::find_filed) and
    /// [`CodeHost::open_revert_pr`](ir_core::ports::CodeHost::open_revert_pr).
    pub async fn open_revert_pr_once(
        &self,
        key: &IdempotencyKey,
        request: &RevertRequest,
    ) -> Result<PullRequestRef> {
        if let Some(found) = self.find_filed(key).await? {
            if found.kind == FiledKind::PullRequest {
                return Ok(PullRequestRef {
                    number: found.number,
                    url: found.url,
                    head_branch: String::new(),
                });
            }
        }
        let mut marked = request.clone();
        marked.body = with_marker(&request.body, key);
        self.revert(&marked).await
    }
}
