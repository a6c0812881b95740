//! Railway's GraphQL endpoint (`POST /graphql/v2`) over the [`Platform`](super::Platform): the
//! queries and mutations `ir-railway` sends (and a few neighbours), in the schema's shapes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use ir_core::clock::Timestamp;
use ir_core::model::{Deployment, DeploymentId, DeploymentStatus, InstanceStatus, LogLine};
use serde_json::{Value, json};

use super::{LogFilter, LogStream, PlatformError};
use crate::graphql::{FieldError, RootField, execute};
use crate::server::Shared;
use crate::world::World;

/// The endpoint's path, as Railway serves it.
pub const GRAPHQL_PATH: &str = "/graphql/v2";

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(GRAPHQL_PATH, post(graphql))
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not Found") })
}

/// Railway answers a request without a token with a GraphQL error under HTTP 200.
pub(crate) fn unauthenticated(headers: &HeaderMap) -> Option<Response> {
    let present = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| !v.trim().is_empty())
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty());
    (!bearer && !present("project-access-token")).then(|| {
        Json(json!({ "data": null, "errors": [{ "message": "Not Authorized" }] })).into_response()
    })
}

async fn graphql(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let now = shared.clock.now();
    let (status, answer) = {
        let mut world = shared.world();
        execute(&body, |field| resolve(&mut world, &shared, field, now))
    };
    (status, Json(answer)).into_response()
}

/// The Railway name of a status.
pub(crate) fn status_name(status: &DeploymentStatus) -> String {
    match status {
        DeploymentStatus::Queued => "QUEUED".into(),
        DeploymentStatus::Building => "BUILDING".into(),
        DeploymentStatus::Deploying => "DEPLOYING".into(),
        DeploymentStatus::Active => "SUCCESS".into(),
        DeploymentStatus::Sleeping => "SLEEPING".into(),
        DeploymentStatus::Failed => "FAILED".into(),
        DeploymentStatus::Crashed => "CRASHED".into(),
        DeploymentStatus::Removing => "REMOVING".into(),
        DeploymentStatus::Removed => "REMOVED".into(),
        DeploymentStatus::Skipped => "SKIPPED".into(),
        DeploymentStatus::Unknown(other) => other.clone(),
        _ => "WAITING".into(),
    }
}

fn instance_name(status: &InstanceStatus) -> String {
    match status {
        InstanceStatus::Starting => "INITIALIZING".into(),
        InstanceStatus::Running => "RUNNING".into(),
        InstanceStatus::Restarting => "RESTARTING".into(),
        InstanceStatus::Crashed => "CRASHED".into(),
        InstanceStatus::Exited => "EXITED".into(),
        InstanceStatus::Stopped => "STOPPED".into(),
        InstanceStatus::Removing => "REMOVING".into(),
        InstanceStatus::Removed => "REMOVED".into(),
        InstanceStatus::Unknown(other) => other.clone(),
        _ => "CREATED".into(),
    }
}

fn iso(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn deployment_json(shared: &Shared, d: &Deployment) -> Value {
    let ids = &shared.ids;
    json!({
        "__typename": "Deployment",
        "id": d.id.as_str(),
        "status": status_name(&d.status),
        "createdAt": iso(d.created_at),
        "updatedAt": iso(d.created_at),
        "statusUpdatedAt": iso(d.created_at),
        "meta": {
            "commitHash": d.commit_sha,
            "commitMessage": d.commit_message,
            "branch": "main",
            "repo": format!("{}/{}", ids.github_owner, ids.github_repo),
        },
        "canRollback": d.can_rollback,
        "canRedeploy": d.can_redeploy,
        "deploymentStopped": false,
        "projectId": ids.railway_project,
        "environmentId": ids.railway_environment,
        "serviceId": ids.railway_service,
        "staticUrl": format!("{}-production.up.railway.app", ids.railway_service_name),
        "url": format!("{}-production.up.railway.app", ids.railway_service_name),
        "instances": [],
    })
}

fn log_json(shared: &Shared, line: &LogLine, deployment: Option<&str>) -> Value {
    let ids = &shared.ids;
    let mut attributes: Vec<Value> = line
        .attributes
        .iter()
        .map(|(k, v)| json!({ "key": k, "value": v }))
        .collect();
    if let Some(level) = &line.level {
        attributes.push(json!({ "key": "level", "value": format!("\"{}\"", level.name()) }));
    }
    json!({
        "__typename": "Log",
        "timestamp": iso(line.timestamp),
        "message": line.message,
        "severity": line.level.as_ref().map(|l| l.name().to_owned()),
        "attributes": attributes,
        "tags": {
            "deploymentId": deployment,
            "projectId": ids.railway_project,
            "environmentId": ids.railway_environment,
            "serviceId": ids.railway_service,
        },
    })
}

fn not_found(what: &str) -> FieldError {
    FieldError::new(format!("{what} not found"))
}

fn platform_error(e: PlatformError) -> FieldError {
    match e {
        PlatformError::NotFound(_) => not_found("Deployment"),
        other => FieldError::new(other.to_string()),
    }
}

fn date(field: &RootField<'_>, name: &str) -> Result<Option<Timestamp>, FieldError> {
    match field.str(name) {
        None => Ok(None),
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&chrono::Utc)))
            .map_err(|_| FieldError::new(format!("Invalid DateTime for {name}: {text}"))),
    }
}

fn limit(field: &RootField<'_>, name: &str, default: usize) -> usize {
    field
        .int(name)
        .map_or(default, |n| usize::try_from(n.max(0)).unwrap_or(default))
        .min(5_000)
}

fn resolve(
    world: &mut World,
    shared: &Shared,
    field: &RootField<'_>,
    now: Timestamp,
) -> Result<Value, FieldError> {
    let ids = &shared.ids;
    let same_service = |env: Option<&str>, service: Option<&str>| {
        env.is_none_or(|e| e == ids.railway_environment)
            && service.is_none_or(|s| s == ids.railway_service)
    };
    let platform = &mut world.railway;
    match (field.mutation, field.name) {
        (false, "serviceInstance") => {
            if !same_service(
                Some(field.required("environmentId")?),
                Some(field.required("serviceId")?),
            ) {
                return Err(not_found("ServiceInstance"));
            }
            let status = platform.service_status(now);
            let instances: Vec<Value> = status
                .instances
                .iter()
                .enumerate()
                .map(|(i, s)| json!({ "id": format!("{}-{}", ids.railway_service, i + 1), "status": instance_name(s) }))
                .collect();
            let active: Vec<Value> = status
                .active_deployments
                .iter()
                .map(|d| {
                    let mut d = deployment_json(shared, d);
                    d["instances"] = json!(instances);
                    d
                })
                .collect();
            Ok(json!({
                "__typename": "ServiceInstance",
                "id": ids.railway_service,
                "serviceId": ids.railway_service,
                "environmentId": ids.railway_environment,
                "serviceName": status.service_name,
                "latestDeployment": status.latest_deployment.as_ref().map(|d| deployment_json(shared, d)),
                "activeDeployments": active,
                "numReplicas": 1,
                "restartPolicyType": "ON_FAILURE",
                "restartPolicyMaxRetries": 10,
                "healthcheckPath": "/health",
                "healthcheckTimeout": 300,
                "region": "us-west2",
                "sleepApplication": false,
                "startCommand": "npm run start",
            }))
        }
        (false, "deployments") => {
            let input = field.args.get("input").cloned().unwrap_or(Value::Null);
            let s = |k: &str| input.get(k).and_then(Value::as_str);
            if s("projectId").is_some_and(|p| p != ids.railway_project)
                || !same_service(s("environmentId"), s("serviceId"))
            {
                return Ok(
                    json!({ "edges": [], "pageInfo": { "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null } }),
                );
            }
            let names = |k: &str| -> Option<Vec<String>> {
                input.get("status")?.get(k)?.as_array().map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
            };
            let (keep, drop) = (names("in"), names("notIn"));
            let all: Vec<Value> = platform
                .list(usize::MAX, now)
                .iter()
                .filter(|d| {
                    let name = status_name(&d.status);
                    keep.as_ref().is_none_or(|k| k.contains(&name))
                        && drop.as_ref().is_none_or(|k| !k.contains(&name))
                })
                .map(|d| deployment_json(shared, d))
                .collect();
            let first = limit(field, "first", 100);
            let start: usize = match field.str("after") {
                None => 0,
                Some(c) => c.parse().map_err(|_| FieldError::new("Invalid cursor"))?,
            };
            let start = start.min(all.len());
            let end = (start + first).min(all.len());
            let edges: Vec<Value> = all[start..end]
                .iter()
                .enumerate()
                .map(|(i, node)| json!({ "cursor": (start + i + 1).to_string(), "node": node }))
                .collect();
            Ok(json!({
                "edges": edges,
                "pageInfo": {
                    "hasNextPage": end < all.len(),
                    "hasPreviousPage": start > 0,
                    "startCursor": (start + 1).to_string(),
                    "endCursor": end.to_string(),
                },
            }))
        }
        (false, "deployment") => {
            let id = DeploymentId::new(field.required("id")?);
            let d = platform.deployment(&id, now).map_err(platform_error)?;
            Ok(deployment_json(shared, &d))
        }
        (false, "variables" | "variablesForServiceDeployment") => {
            if field
                .str("projectId")
                .is_some_and(|p| p != ids.railway_project)
                || !same_service(field.str("environmentId"), None)
            {
                return Err(not_found("Environment"));
            }
            match field.str("serviceId") {
                // Shared variables: the simulator has none.
                None => Ok(json!({})),
                Some(s) if s != ids.railway_service => Err(not_found("Service")),
                Some(_) => Ok(json!(platform.variables())),
            }
        }
        (false, "deploymentLogs" | "buildLogs") => {
            let id = field.required("deploymentId")?.to_owned();
            platform
                .deployment(&DeploymentId::new(&id), now)
                .map_err(platform_error)?;
            let stream = if field.name == "buildLogs" {
                LogStream::Build(DeploymentId::new(&id))
            } else {
                LogStream::Deployment(DeploymentId::new(&id))
            };
            let filter = LogFilter::parse(field.str("filter").unwrap_or_default());
            let lines = platform.logs(
                &stream,
                date(field, "startDate")?,
                date(field, "endDate")?,
                &filter,
                limit(field, "limit", 500),
            );
            Ok(Value::Array(
                lines
                    .iter()
                    .map(|l| log_json(shared, l, Some(&id)))
                    .collect(),
            ))
        }
        (false, "environmentLogs") => {
            if field.required("environmentId")? != ids.railway_environment {
                return Err(not_found("Environment"));
            }
            let filter = LogFilter::parse(field.str("filter").unwrap_or_default());
            let before = date(field, "beforeDate")?.or(date(field, "anchorDate")?);
            let lines = platform.logs(
                &LogStream::Environment,
                date(field, "afterDate")?,
                before,
                &filter,
                limit(field, "beforeLimit", 500),
            );
            let deployment = platform.active().map(|d| d.0);
            Ok(Value::Array(
                lines
                    .iter()
                    .map(|l| log_json(shared, l, deployment.as_deref()))
                    .collect(),
            ))
        }
        (false, "projectToken") => Ok(json!({
            "projectId": ids.railway_project,
            "environmentId": ids.railway_environment,
        })),
        (true, "deploymentRollback") => {
            let id = DeploymentId::new(field.required("id")?);
            match platform.rollback(&id, now) {
                Ok(_) => Ok(json!(true)),
                // Railway answers `false` for a deployment it will not roll back to.
                Err(PlatformError::CannotRollback(_)) => Ok(json!(false)),
                Err(e) => Err(platform_error(e)),
            }
        }
        (true, "deploymentRedeploy") => {
            let id = DeploymentId::new(field.required("id")?);
            let new = platform.redeploy(&id, now).map_err(platform_error)?;
            let d = platform.deployment(&new, now).map_err(platform_error)?;
            Ok(deployment_json(shared, &d))
        }
        (true, "deploymentRestart") => {
            let id = DeploymentId::new(field.required("id")?);
            platform.restart(&id, now).map_err(platform_error)?;
            Ok(json!(true))
        }
        (true, "serviceInstanceRedeploy") => {
            let Some(active) = platform.active() else {
                return Err(not_found("Deployment"));
            };
            platform.redeploy(&active, now).map_err(platform_error)?;
            Ok(json!(true))
        }
        (true, "variableUpsert" | "variableDelete" | "variableCollectionUpsert") => {
            variable_mutation(world, shared, field, now)
        }
        (mutation, name) => Err(FieldError::new(format!(
            "Cannot query field \"{name}\" on type \"{}\".",
            if mutation { "Mutation" } else { "Query" }
        ))
        .with_extensions(json!({ "code": "GRAPHQL_VALIDATION_FAILED" }))),
    }
}

fn variable_mutation(
    world: &mut World,
    shared: &Shared,
    field: &RootField<'_>,
    now: Timestamp,
) -> Result<Value, FieldError> {
    let ids = &shared.ids;
    let input = field.args.get("input").cloned().unwrap_or(Value::Null);
    let s = |k: &str| input.get(k).and_then(Value::as_str);
    let missing = |k: &str| {
        FieldError::new(format!(
            "Variable \"$input\" got invalid value; Field \"{k}\" of required type \"String!\" was not provided."
        ))
    };
    if s("projectId").ok_or_else(|| missing("projectId"))? != ids.railway_project
        || s("environmentId").ok_or_else(|| missing("environmentId"))? != ids.railway_environment
    {
        return Err(not_found("Environment"));
    }
    if s("serviceId").is_some_and(|id| id != ids.railway_service) {
        return Err(not_found("Service"));
    }
    let skip = input
        .get("skipDeploys")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let platform = &mut world.railway;
    match field.name {
        "variableUpsert" => {
            let name = s("name").ok_or_else(|| missing("name"))?;
            let value = s("value").ok_or_else(|| missing("value"))?;
            platform.set_variable(name, value, skip, now);
            Ok(json!(true))
        }
        "variableCollectionUpsert" => {
            let Some(vars) = input.get("variables").and_then(Value::as_object) else {
                return Err(missing("variables"));
            };
            let replace = input
                .get("replace")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if replace {
                let names: Vec<String> = platform.variables().keys().cloned().collect();
                for name in names.iter().filter(|n| !vars.contains_key(*n)) {
                    platform.delete_variable(name, true, now);
                }
            }
            let last = vars.len().saturating_sub(1);
            for (i, (name, value)) in vars.iter().enumerate() {
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                // One redeploy for the whole collection.
                platform.set_variable(name, &text, skip || i < last, now);
            }
            Ok(json!(true))
        }
        _ => {
            let name = s("name").ok_or_else(|| missing("name"))?;
            if platform.delete_variable(name, skip, now) {
                Ok(json!(true))
            } else {
                Err(not_found("Variable"))
            }
        }
    }
}
