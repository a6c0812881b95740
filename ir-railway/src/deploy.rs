//! `DeployPlatform` over Railway: `serviceInstance`, `deployments`, `deployment`,
//! `deploymentRollback`, `deploymentRedeploy`, `deploymentRestart`.

use std::collections::HashSet;

use async_trait::async_trait;
use ir_core::model::{Deployment, DeploymentId, ServiceStatus};
use ir_core::ports::DeployPlatform;
use ir_core::{Error, ErrorKind, Result};
use serde_json::{Value, json};

use crate::client::{PROVIDER, RailwayClient, variables};
use crate::gql;
use crate::wire::{WireConnection, WireDeployment, WireDeploymentId, WireServiceInstance};

/// The most `deployments` pages one listing reads (10,000 deployments at the default page
/// size).
const MAX_PAGES: usize = 200;

fn paging_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Protocol, message)
        .with_provider(PROVIDER)
        .with_operation(gql::DEPLOYMENTS.root_field)
}

#[async_trait]
impl DeployPlatform for RailwayClient {
    async fn service_status(&self) -> Result<ServiceStatus> {
        let instance: WireServiceInstance = self
            .execute(
                &gql::SERVICE_INSTANCE,
                variables([
                    ("environmentId", Some(json!(self.environment_id))),
                    ("serviceId", Some(json!(self.service_id))),
                ]),
                true,
            )
            .await?;
        Ok(instance.into_status())
    }

    /// Pages through `deployments` (`first`/`after`) until `limit` deployments arrived or the
    /// last page did, then sorts newest first: Railway does not document its order.
    ///
    /// A cursor the server already gave, or more than 200 pages, is a `Protocol` error: the
    /// server's paging would otherwise go round in circles.
    async fn list_deployments(&self, limit: usize) -> Result<Vec<Deployment>> {
        let mut deployments = Vec::new();
        let mut after: Option<String> = None;
        let mut seen_cursors = HashSet::new();
        let mut pages = 0_usize;
        while deployments.len() < limit {
            if pages == MAX_PAGES {
                return Err(paging_error(format!(
                    "Railway still had more deployments after {MAX_PAGES} pages"
                )));
            }
            pages += 1;
            let wanted = (limit - deployments.len()).min(self.page_size as usize);
            let page: WireConnection = self
                .execute(
                    &gql::DEPLOYMENTS,
                    variables([
                        (
                            "input",
                            Some(json!({
                                "projectId": self.project_id,
                                "environmentId": self.environment_id,
                                "serviceId": self.service_id,
                            })),
                        ),
                        ("first", Some(json!(wanted))),
                        ("after", after.clone().map(Value::from)),
                    ]),
                    true,
                )
                .await?;
            let received = page.edges.len();
            deployments.extend(page.edges.into_iter().map(|e| e.node.into_deployment()));
            if !page.page_info.has_next_page || received == 0 {
                break;
            }
            // A cursor seen before (the last one, or one further back: A, B, A...) would send
            // the loop round the same pages again.
            match page.page_info.end_cursor {
                Some(cursor) if seen_cursors.insert(cursor.clone()) => after = Some(cursor),
                _ => {
                    return Err(paging_error(
                        "Railway said more deployments follow but gave no new cursor",
                    ));
                }
            }
        }
        deployments.sort_by_key(|d| std::cmp::Reverse(d.created_at));
        deployments.truncate(limit);
        Ok(deployments)
    }

    async fn deployment(&self, id: &DeploymentId) -> Result<Deployment> {
        let deployment: WireDeployment = self
            .execute(
                &gql::DEPLOYMENT,
                variables([("id", Some(json!(id.as_str())))]),
                true,
            )
            .await?;
        Ok(deployment.into_deployment())
    }

    async fn rollback(&self, to: &DeploymentId) -> Result<()> {
        let done: bool = self
            .execute(
                &gql::DEPLOYMENT_ROLLBACK,
                variables([("id", Some(json!(to.as_str())))]),
                false,
            )
            .await?;
        refused_unless(done, &gql::DEPLOYMENT_ROLLBACK, "roll back to", to)
    }

    /// `deploymentRedeploy` with `usePreviousImageTag: true`: the same image, not a rebuild.
    async fn redeploy(&self, id: &DeploymentId) -> Result<DeploymentId> {
        let new: WireDeploymentId = self
            .execute(
                &gql::DEPLOYMENT_REDEPLOY,
                variables([
                    ("id", Some(json!(id.as_str()))),
                    ("usePreviousImageTag", Some(json!(true))),
                ]),
                false,
            )
            .await?;
        Ok(DeploymentId::new(new.id))
    }

    async fn restart(&self, id: &DeploymentId) -> Result<()> {
        let done: bool = self
            .execute(
                &gql::DEPLOYMENT_RESTART,
                variables([("id", Some(json!(id.as_str())))]),
                false,
            )
            .await?;
        refused_unless(done, &gql::DEPLOYMENT_RESTART, "restart", id)
    }
}

/// A mutation that answered `false` did nothing: say so as a `Conflict`.
fn refused_unless(done: bool, op: &gql::Operation, what: &str, id: &DeploymentId) -> Result<()> {
    if done {
        Ok(())
    } else {
        Err(
            Error::conflict(format!("Railway declined to {what} deployment {id}"))
                .with_provider(PROVIDER)
                .with_operation(op.root_field),
        )
    }
}
