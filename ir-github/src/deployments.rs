//! Deployments with the state of their latest status: the runbook's
//! `gh api repos/.../deployments | jq '.[0:5]'`.

use ir_core::Result;
use ir_core::clock::Timestamp;
use ir_core::ports::{CodeDeployment, CodeDeploymentState};
use serde::Deserialize;

use crate::client::GithubClient;

/// A deployment as `GET /repos/{owner}/{repo}/deployments` lists it.
#[derive(Debug, Deserialize)]
struct WireDeployment {
    id: u64,
    sha: String,
    #[serde(rename = "ref")]
    git_ref: String,
    environment: String,
    created_at: Timestamp,
}

/// A deployment status as `GET .../deployments/{id}/statuses` lists it (newest first).
#[derive(Debug, Deserialize)]
struct WireStatus {
    state: String,
}

impl GithubClient {
    /// Up to `limit` deployments, newest first, each with the state of its latest status
    /// (one extra request per deployment).
    pub(crate) async fn list_deployments(&self, limit: usize) -> Result<Vec<CodeDeployment>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let per_page = limit.min(self.page_size as usize).to_string();
        let url = self.repo_url(&["deployments"], &[("per_page", per_page)]);
        let wire = self
            .paginate("list_deployments", url, limit, |r| {
                r.json::<Vec<WireDeployment>>()
            })
            .await?;
        let mut deployments = Vec::with_capacity(wire.len());
        for d in wire {
            let id = d.id.to_string();
            let url = self.repo_url(
                &["deployments", &id, "statuses"],
                &[("per_page", "1".to_owned())],
            );
            let statuses: Vec<WireStatus> = self.get_json("list_deployment_statuses", url).await?;
            let mut deployment =
                CodeDeployment::new(d.id, d.sha, d.git_ref, d.environment, d.created_at);
            if let Some(latest) = statuses.first() {
                deployment = deployment.with_state(CodeDeploymentState::parse(&latest.state));
            }
            deployments.push(deployment);
        }
        Ok(deployments)
    }
}
