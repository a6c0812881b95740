//! `ir-testkit`'s conformance suites, run against `RailwayClient` talking to a stateful fake of
//! Railway's GraphQL API on wiremock.
//!
//! The fake answers each operation the way Railway's schema shapes it (a `Deployment` node,
//! `deploymentRollback: Boolean!`, `variables` as a JSON object, `[Log!]!`), keeps variables
//! between calls so set → get → delete → get means something, and checks that every request
//! carries the project token and the operation's exact document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use common::*;
use ir_core::clock::ManualClock;
use ir_core::model::{Deployment, DeploymentId, DeploymentStatus, LogLevel, LogLine};
use ir_core::ports::LogStream;
use ir_railway::RailwayClient;
use ir_testkit::conformance::{deploy_platform, log_source, variable_store};
use ir_testkit::{DeployFixture, LogFixture, VariableFixture, deployments_fixture};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the fake Railway holds.
#[derive(Default)]
struct State {
    /// Newest first, as Railway's wire JSON.
    deployments: Vec<Value>,
    variables: BTreeMap<String, String>,
    /// Runtime logs per deployment id, oldest first.
    logs: BTreeMap<String, Vec<LogLine>>,
    redeploys: u32,
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
        let find =
            |state: &State, id: &Value| state.deployments.iter().find(|d| &d["id"] == id).cloned();
        match operation {
            "ServiceInstance" => {
                assert_eq!(vars["serviceId"], SERVICE);
                let active: Vec<Value> = state
                    .deployments
                    .iter()
                    .filter(|d| d["status"] == "SUCCESS")
                    .take(1)
                    .map(|d| {
                        let mut d = d.clone();
                        d["instances"] = json!([{ "id": "i-1", "status": "RUNNING" }]);
                        d
                    })
                    .collect();
                data(
                    "serviceInstance",
                    json!({
                        "serviceName": "web",
                        "latestDeployment": state.deployments.first(),
                        "activeDeployments": active,
                    }),
                )
            }
            "Deployments" => {
                assert_eq!(vars["input"]["serviceId"], SERVICE);
                let first = vars["first"].as_u64().unwrap() as usize;
                let start: usize = vars["after"].as_str().map_or(0, |c| c.parse().unwrap());
                let end = (start + first).min(state.deployments.len());
                let edges: Vec<Value> = state.deployments[start..end]
                    .iter()
                    .enumerate()
                    .map(|(i, node)| json!({ "cursor": (start + i + 1).to_string(), "node": node }))
                    .collect();
                data(
                    "deployments",
                    json!({
                        "edges": edges,
                        "pageInfo": {
                            "hasNextPage": end < state.deployments.len(),
                            "hasPreviousPage": start > 0,
                            "startCursor": (start + 1).to_string(),
                            "endCursor": end.to_string(),
                        },
                    }),
                )
            }
            "Deployment" => match find(&state, &vars["id"]) {
                Some(d) => data("deployment", d),
                None => graphql_error("Deployment not found", "deployment"),
            },
            "DeploymentRollback" => match find(&state, &vars["id"]) {
                Some(d) => data("deploymentRollback", d["canRollback"].clone()),
                None => graphql_error("Deployment not found", "deploymentRollback"),
            },
            "DeploymentRestart" => match find(&state, &vars["id"]) {
                Some(_) => data("deploymentRestart", json!(true)),
                None => graphql_error("Deployment not found", "deploymentRestart"),
            },
            "DeploymentRedeploy" => match find(&state, &vars["id"]) {
                Some(mut d) => {
                    state.redeploys += 1;
                    let id = format!("d-redeploy-{}", state.redeploys);
                    d["id"] = json!(id);
                    d["status"] = json!("INITIALIZING");
                    state.deployments.insert(0, d);
                    data("deploymentRedeploy", json!({ "id": id }))
                }
                None => graphql_error("Deployment not found", "deploymentRedeploy"),
            },
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
        deployments: deployments.iter().map(wire_deployment).collect(),
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
