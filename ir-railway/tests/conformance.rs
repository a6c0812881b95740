//! `ir-testkit`'s conformance suites, run against `RailwayClient` talking to a stateful fake of
//! Railway's GraphQL API on wiremock.
//!
//! The fake answers each operation the way Railway's schema shapes it (a `Deployment` node,
//! `deploymentRollback: Boolean!`, `variables` as a JSON object, `[Log!]!`), keeps variables
//! between calls so set → get → delete → get means something, and checks that every request
//! carries the project token and the operation's exact document.
//!
//! Deployments are not modelled here: the fake translates the deployment operations to an
//! `ir_testkit::InMemoryPlatform` and its answers back to Railway's JSON, so Railway's
//! behaviour (a rollback or redeploy puts a new deployment of the chosen build live; the one it
//! replaces becomes `REMOVED`) is written once, in `ir-testkit`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures::executor::block_on;

use chrono::{DateTime, Utc};
use common::*;
use ir_core::ErrorKind;
use ir_core::clock::ManualClock;
use ir_core::model::{
    Deployment, DeploymentId, DeploymentStatus, InstanceStatus, LogLevel, LogLine,
};
use ir_core::ports::{DeployPlatform, LogStream};
use ir_railway::RailwayClient;
use ir_testkit::conformance::{deploy_platform, log_source, variable_store};
use ir_testkit::{
    DeployFixture, InMemoryPlatform, LogFixture, VariableFixture, deployments_fixture,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the fake Railway holds.
struct State {
    /// The service's deployments: the model every deployment operation goes to.
    platform: InMemoryPlatform,
    variables: BTreeMap<String, String>,
    /// Runtime logs per deployment id, oldest first.
    logs: BTreeMap<String, Vec<LogLine>>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            platform: InMemoryPlatform::new("web", Vec::new()),
            variables: BTreeMap::new(),
            logs: BTreeMap::new(),
        }
    }
}

struct FakeRailway(Mutex<State>);

fn data(field: &str, value: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "data": { field: value } }))
}

/// Railway's shape of an error under HTTP 200. The exact wording for a missing resource is not
/// documented; third-party fakes use "Deployment not found".
fn graphql_error(message: &str, field: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "errors": [{ "message": message, "path": [field] }],
        "data": null,
    }))
}

/// The Railway name `ir-railway` reads as `status`.
fn railway_status(status: &DeploymentStatus) -> String {
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
        other => panic!("no Railway name for {other:?}"),
    }
}

fn wire_deployment(d: &Deployment) -> Value {
    json!({
        "id": d.id.as_str(),
        "status": railway_status(&d.status),
        "createdAt": d.created_at.to_rfc3339(),
        "meta": { "commitHash": d.commit_sha, "commitMessage": d.commit_message },
        "canRollback": d.can_rollback,
        "canRedeploy": d.can_redeploy,
    })
}

/// The Railway name of an instance status.
fn railway_instance_status(status: &InstanceStatus) -> String {
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
        other => panic!("no Railway name for {other:?}"),
    }
}

/// The model's answer to a deployment operation: `data(field, ok(value))` on success, Railway's
/// GraphQL error for an unknown deployment.
fn answer<T>(
    field: &str,
    result: ir_core::Result<T>,
    ok: impl FnOnce(T) -> Value,
) -> ResponseTemplate {
    match result {
        Ok(value) => data(field, ok(value)),
        Err(e) if e.kind() == ErrorKind::NotFound => graphql_error("Deployment not found", field),
        Err(e) => graphql_error(&e.to_string(), field),
    }
}

fn wire_log(line: &LogLine) -> Value {
    json!({
        "timestamp": line.timestamp.to_rfc3339(),
        "message": line.message,
        "severity": line.level.as_ref().map(|l| serde_json::to_value(l).unwrap()),
        "attributes": [],
    })
}

fn date(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().map(|s| s.parse().unwrap())
}

impl Respond for FakeRailway {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if request
            .headers
            .get("project-access-token")
            .and_then(|v| v.to_str().ok())
            != Some(TOKEN)
        {
            return graphql_error("Not Authorized", "");
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let operation = body["operationName"].as_str().unwrap();
        assert_eq!(
            body["query"].as_str().unwrap(),
            document(operation),
            "the client sends the operation's document"
        );
        let vars = &body["variables"];
        let mut state = self.0.lock().unwrap();
        let platform = state.platform.clone();
        let id = |vars: &Value| DeploymentId::new(vars["id"].as_str().unwrap_or_default());
        match operation {
            "ServiceInstance" => {
                assert_eq!(vars["serviceId"], SERVICE);
                let status = block_on(platform.service_status()).unwrap();
                let instances: Vec<Value> = status
                    .instances
                    .iter()
                    .enumerate()
                    .map(|(i, s)| json!({ "id": format!("i-{}", i + 1), "status": railway_instance_status(s) }))
                    .collect();
                let active: Vec<Value> = status
                    .active_deployments
                    .iter()
                    .map(|d| {
                        let mut d = wire_deployment(d);
                        d["instances"] = json!(instances);
                        d
                    })
                    .collect();
                data(
                    "serviceInstance",
                    json!({
                        "serviceName": status.service_name,
                        "latestDeployment": status.latest_deployment.as_ref().map(wire_deployment),
                        "activeDeployments": active,
                    }),
                )
            }
            "Deployments" => {
                assert_eq!(vars["input"]["serviceId"], SERVICE);
                let all: Vec<Value> = block_on(platform.list_deployments(usize::MAX))
                    .unwrap()
                    .iter()
                    .map(wire_deployment)
                    .collect();
                let first = vars["first"].as_u64().unwrap() as usize;
                let start: usize = vars["after"].as_str().map_or(0, |c| c.parse().unwrap());
                let end = (start + first).min(all.len());
                let edges: Vec<Value> = all[start..end]
                    .iter()
                    .enumerate()
                    .map(|(i, node)| json!({ "cursor": (start + i + 1).to_string(), "node": node }))
                    .collect();
                data(
                    "deployments",
                    json!({
                        "edges": edges,
                        "pageInfo": {
                            "hasNextPage": end < all.len(),
                            "hasPreviousPage": start > 0,
                            "startCursor": (start + 1).to_string(),
                            "endCursor": end.to_string(),
                        },
                    }),
                )
            }
            "Deployment" => answer(
                "deployment",
                block_on(platform.deployment(&id(vars))),
                |d| wire_deployment(&d),
            ),
            "DeploymentRollback" => {
                // Railway answers `false` for a deployment it will not roll back to.
                match block_on(platform.deployment(&id(vars))) {
                    Ok(d) if !d.can_rollback => data("deploymentRollback", json!(false)),
                    _ => answer(
                        "deploymentRollback",
                        block_on(platform.rollback(&id(vars))),
                        |()| json!(true),
                    ),
                }
            }
            "DeploymentRestart" => answer(
                "deploymentRestart",
                block_on(platform.restart(&id(vars))),
                |()| json!(true),
            ),
            "DeploymentRedeploy" => answer(
                "deploymentRedeploy",
                block_on(platform.redeploy(&id(vars))),
                |new_id| json!({ "id": new_id.as_str() }),
            ),
            "Variables" => data("variables", json!(state.variables)),
            "VariableUpsert" => {
                let input = &vars["input"];
                let name = input["name"].as_str().unwrap().to_owned();
                let value = input["value"].as_str().unwrap().to_owned();
                state.variables.insert(name, value);
                data("variableUpsert", json!(true))
            }
            "VariableDelete" => {
                let name = vars["input"]["name"].as_str().unwrap();
                // Railway's answer for an unset name is undocumented; the client accepts both
                // `true` and a not-found error. This fake sends the error.
                match state.variables.remove(name) {
                    Some(_) => data("variableDelete", json!(true)),
                    None => graphql_error("Variable not found", "variableDelete"),
                }
            }
            "DeploymentLogs" => {
                let id = vars["deploymentId"].as_str().unwrap();
                let limit = vars["limit"].as_u64().unwrap() as usize;
                let since = date(&vars["startDate"]);
                let until = date(&vars["endDate"]);
                let lines: Vec<&LogLine> = state
                    .logs
                    .get(id)
                    .map(|lines| {
                        lines
                            .iter()
                            .filter(|l| since.is_none_or(|s| l.timestamp >= s))
                            .filter(|l| until.is_none_or(|u| l.timestamp < u))
                            .collect()
                    })
                    .unwrap_or_default();
                let newest = &lines[lines.len().saturating_sub(limit)..];
                data(
                    "deploymentLogs",
                    newest.iter().map(|l| wire_log(l)).collect(),
                )
            }
            other => panic!("the fake does not know {other}"),
        }
    }
}

async fn fake_railway(state: State) -> (MockServer, RailwayClient) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GRAPHQL_PATH))
        .respond_with(FakeRailway(Mutex::new(state)))
        .mount(&server)
        .await;
    let railway = RailwayClient::new(
        config(&server, &ManualClock::at(start()))
            // Small pages, so the suite's listings cross page boundaries.
            .with_page_size(2)
            .build()
            .unwrap(),
    )
    .unwrap();
    (server, railway)
}

#[tokio::test]
async fn railway_client_conforms_to_deploy_platform() {
    let deployments = deployments_fixture(5, start());
    let state = State {
        platform: InMemoryPlatform::new("web", deployments.clone()),
        ..State::default()
    };
    let (_server, railway) = fake_railway(state).await;
    let fixture = DeployFixture {
        rollback_to: deployments[2].id.clone(),
        deployments,
        unknown: DeploymentId::new("d-does-not-exist"),
    };

    deploy_platform::run_all(&railway, &fixture).await;
}

#[tokio::test]
async fn railway_client_conforms_to_variable_store() {
    let existing = [
        (
            "DATABASE_URL",
            "postgresql://app:pw@pgbouncer.railway.internal:6432/app",
        ),
        ("NEXTAUTH_URL", "https://www.example.com"),
        ("NEXTAUTH_SECRET", "c2VjcmV0LXZhbHVl"),
    ];
    let state = State {
        variables: existing
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..State::default()
    };
    let (_server, railway) = fake_railway(state).await;
    let fixture = VariableFixture {
        existing: existing
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        scratch: "IR_CONFORMANCE_SCRATCH".into(),
    };

    variable_store::run_all(&railway, &fixture).await;
}

#[tokio::test]
async fn railway_client_conforms_to_log_source() {
    let t0: DateTime<Utc> = "2026-02-08T15:21:00Z".parse().unwrap();
    let lines: Vec<LogLine> = [
        (LogLevel::Info, "Server listening on :3000"),
        (LogLevel::Error, "Error: NEXTAUTH_SECRET is not set"),
        (LogLevel::Error, "[next-auth][error][NO_SECRET]"),
        (LogLevel::Warn, "GET /api/auth/session 500"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (level, message))| {
        LogLine::new(
            t0 + chrono::Duration::seconds(i as i64),
            Some(level),
            message,
        )
    })
    .collect();
    let state = State {
        logs: BTreeMap::from([("d-6".to_owned(), lines.clone())]),
        ..State::default()
    };
    let (_server, railway) = fake_railway(state).await;
    let fixture = LogFixture {
        stream: LogStream::Deployment(DeploymentId::new("d-6")),
        lines,
    };

    log_source::run_all(&railway, &fixture).await;
}

/// Railway's rollback as the one model has it, read back through the client: a new deployment
/// of the chosen build goes live and the one it replaces becomes `REMOVED`.
#[tokio::test]
async fn railway_rollback_puts_a_new_deployment_of_the_build_live() {
    let deployments = deployments_fixture(3, start());
    let platform = InMemoryPlatform::new("web", deployments.clone());
    let state = State {
        platform: platform.clone(),
        ..State::default()
    };
    let (_server, railway) = fake_railway(state).await;
    let target = &deployments[2];

    railway.rollback(&target.id).await.unwrap();

    let listed = railway.list_deployments(10).await.unwrap();
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert_ne!(listed[0].id, target.id, "a new deployment, not the old one");
    assert_eq!(
        listed[0].commit_sha, target.commit_sha,
        "of the chosen build"
    );
    assert_eq!(listed[0].status, DeploymentStatus::Active);
    assert_eq!(listed[1].id, deployments[0].id);
    assert_eq!(
        listed[1].status,
        DeploymentStatus::Removed,
        "the one it replaced"
    );
    let status = railway.service_status().await.unwrap();
    assert_eq!(
        status
            .active_deployments
            .iter()
            .map(|d| d.id.clone())
            .collect::<Vec<_>>(),
        [listed[0].id.clone()]
    );
    assert_eq!(platform.active(), Some(listed[0].id.clone()));
}
