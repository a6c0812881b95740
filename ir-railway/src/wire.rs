//! Railway's answers as it sends them, and their conversion to `ir-core` types. Private: field
//! names follow the schema (`createdAt`, `canRollback`, ...), unknown enum values are kept.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ir_core::model::{
    Deployment, DeploymentStatus, InstanceStatus, LogLevel, LogLine, ServiceStatus,
};
use serde::Deserialize;
use serde_json::Value;

/// `Deployment` with the fields the operations select.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireDeployment {
    id: String,
    status: String,
    created_at: DateTime<Utc>,
    #[serde(default)]
    meta: Option<Value>,
    #[serde(default)]
    can_rollback: bool,
    #[serde(default)]
    can_redeploy: bool,
    #[serde(default)]
    instances: Vec<WireInstance>,
}

/// `DeploymentDeploymentInstance`: one replica.
#[derive(Debug, Deserialize)]
pub(crate) struct WireInstance {
    status: String,
}

impl WireDeployment {
    /// The replica statuses (only the operations that select `instances` fill them).
    pub(crate) fn instance_statuses(&self) -> Vec<InstanceStatus> {
        self.instances
            .iter()
            .map(|i| instance_status(&i.status))
            .collect()
    }

    pub(crate) fn into_deployment(self) -> Deployment {
        let meta_str = |key: &str| {
            self.meta
                .as_ref()
                .and_then(|m| m.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        // `commitHash` is what Railway's CLI reads; `commitMessage` appears in third-party code.
        let commit = meta_str("commitHash");
        let message = meta_str("commitMessage");
        let deployment = Deployment::new(self.id, deployment_status(&self.status), self.created_at)
            .with_capabilities(self.can_rollback, self.can_redeploy);
        match commit {
            Some(sha) => deployment.with_commit(sha, message),
            None => deployment,
        }
    }
}

/// Railway's `DeploymentStatus` names onto the platform-neutral status. `REMOVED` is a
/// deployment a newer one replaced after it served; `INITIALIZING` is the build starting;
/// `WAITING` and `NEEDS_APPROVAL` have not started.
pub(crate) fn deployment_status(name: &str) -> DeploymentStatus {
    match name {
        "QUEUED" | "WAITING" | "NEEDS_APPROVAL" => DeploymentStatus::Queued,
        "INITIALIZING" | "BUILDING" => DeploymentStatus::Building,
        "DEPLOYING" => DeploymentStatus::Deploying,
        "SUCCESS" => DeploymentStatus::Active,
        "SLEEPING" => DeploymentStatus::Sleeping,
        "FAILED" => DeploymentStatus::Failed,
        "CRASHED" => DeploymentStatus::Crashed,
        "REMOVING" => DeploymentStatus::Removing,
        "REMOVED" => DeploymentStatus::Removed,
        "SKIPPED" => DeploymentStatus::Skipped,
        other => DeploymentStatus::Unknown(other.to_owned()),
    }
}

/// Railway's `DeploymentInstanceStatus` names onto the platform-neutral status.
pub(crate) fn instance_status(name: &str) -> InstanceStatus {
    match name {
        "CREATED" | "INITIALIZING" => InstanceStatus::Starting,
        "RUNNING" => InstanceStatus::Running,
        "RESTARTING" => InstanceStatus::Restarting,
        "CRASHED" => InstanceStatus::Crashed,
        "EXITED" => InstanceStatus::Exited,
        "STOPPED" => InstanceStatus::Stopped,
        "REMOVING" => InstanceStatus::Removing,
        "REMOVED" => InstanceStatus::Removed,
        other => InstanceStatus::Unknown(other.to_owned()),
    }
}

/// `ServiceInstance` with the fields `ServiceInstance.graphql` selects.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireServiceInstance {
    service_name: String,
    #[serde(default)]
    latest_deployment: Option<WireDeployment>,
    #[serde(default)]
    active_deployments: Vec<WireDeployment>,
}

impl WireServiceInstance {
    pub(crate) fn into_status(self) -> ServiceStatus {
        let instances = self
            .active_deployments
            .iter()
            .flat_map(WireDeployment::instance_statuses)
            .collect();
        let active = self
            .active_deployments
            .into_iter()
            .map(WireDeployment::into_deployment)
            .collect();
        let status = ServiceStatus::new(self.service_name)
            .with_active(active)
            .with_instances(instances);
        match self.latest_deployment {
            Some(latest) => status.with_latest(latest.into_deployment()),
            None => status,
        }
    }
}

/// `QueryDeploymentsConnection`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireConnection {
    pub(crate) edges: Vec<WireEdge>,
    pub(crate) page_info: WirePageInfo,
}

/// `QueryDeploymentsConnectionEdge`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireEdge {
    pub(crate) node: WireDeployment,
}

/// `PageInfo`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WirePageInfo {
    pub(crate) has_next_page: bool,
    #[serde(default)]
    pub(crate) end_cursor: Option<String>,
}

/// `Deployment { id }`, as `deploymentRedeploy` answers.
#[derive(Debug, Deserialize)]
pub(crate) struct WireDeploymentId {
    pub(crate) id: String,
}

/// `Log`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireLog {
    timestamp: String,
    message: String,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    attributes: Vec<WireLogAttribute>,
}

/// `LogAttribute`.
#[derive(Debug, Deserialize)]
struct WireLogAttribute {
    key: String,
    value: String,
}

impl WireLog {
    /// The line, or `None` when its timestamp is not RFC 3339 (reported by the caller).
    pub(crate) fn into_line(self) -> Result<LogLine, String> {
        let timestamp = DateTime::parse_from_rfc3339(&self.timestamp)
            .map_err(|_| self.timestamp.clone())?
            .with_timezone(&Utc);
        let attributes: BTreeMap<String, String> = self
            .attributes
            .into_iter()
            .map(|a| (a.key, a.value))
            .collect();
        // Like Railway's CLI: the `severity` field, else a `level`, `lvl` or `severity`
        // attribute (any case). Attribute values may arrive JSON-quoted (`"error"`).
        let level = self
            .severity
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                attributes.iter().find_map(|(k, v)| {
                    matches!(
                        k.to_ascii_lowercase().as_str(),
                        "level" | "lvl" | "severity"
                    )
                    .then(|| v.clone())
                })
            })
            .map(|s| LogLevel::parse(s.trim().trim_matches('"')));
        let line = LogLine::new(timestamp, level, self.message);
        Ok(attributes
            .into_iter()
            .fold(line, |line, (k, v)| line.with_attribute(k, v)))
    }
}
