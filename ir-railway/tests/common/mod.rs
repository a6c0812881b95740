//! Shared by the wiremock tests: ids, the token, a client pointed at a mock server, recorded
//! responses, and a matcher for one GraphQL operation.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ir_core::clock::ManualClock;
use ir_http::{ClientOptions, RetryPolicy};
use ir_railway::{RailwayClient, RailwayConfig, RailwayConfigBuilder, RailwayToken};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub const TOKEN: &str = "rw-project-token-5f3a9c";
pub const PROJECT: &str = "7d5e6c58-1d7b-4a5e-9c1e-2f0f5c1d9a01";
pub const ENVIRONMENT: &str = "c3f1a2b4-6d7e-4f80-9a1b-2c3d4e5f6a7b";
pub const SERVICE: &str = "410afe5c-7419-408f-91a9-f6b658ea158a";
pub const GRAPHQL_PATH: &str = "/graphql/v2";

/// The operations' documents, as the client must send them.
pub fn document(operation: &str) -> String {
    let file = format!("{}/src/gql/{operation}.graphql", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// A recorded response body from `tests/resources`.
pub fn resource(name: &str) -> String {
    let file = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn json_resource(name: &str) -> Value {
    serde_json::from_str(&resource(name)).unwrap()
}

pub fn start() -> chrono::DateTime<chrono::Utc> {
    "2026-02-08T15:30:00Z".parse().unwrap()
}

/// Transport options on a manual clock (retry waits are instant), no jitter.
pub fn options(clock: &ManualClock) -> ClientOptions {
    ClientOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_retry_policy(RetryPolicy::default().with_jitter(false))
}

/// A config builder for `server` with `token` and the ids above.
pub fn config_with(
    server: &MockServer,
    token: RailwayToken,
    options: ClientOptions,
) -> RailwayConfigBuilder {
    RailwayConfig::builder(token, PROJECT, ENVIRONMENT, SERVICE)
        .with_base_url(format!("{}{GRAPHQL_PATH}", server.uri()))
        .with_client_options(options)
}

/// A config builder for `server` with a project token and [`options`] on `clock`.
pub fn config(server: &MockServer, clock: &ManualClock) -> RailwayConfigBuilder {
    config_with(
        server,
        RailwayToken::Project(SecretString::from(TOKEN)),
        options(clock),
    )
}

pub fn client(server: &MockServer) -> RailwayClient {
    RailwayClient::new(config(server, &ManualClock::at(start())).build().unwrap()).unwrap()
}

/// Matches exactly one GraphQL request: `POST /graphql/v2`, the project token in
/// `Project-Access-Token`, and a body of exactly this operation's document, name and variables.
pub fn graphql(operation: &str, variables: Value) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(GRAPHQL_PATH))
        .and(header("project-access-token", TOKEN))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "query": document(operation),
            "operationName": operation,
            "variables": variables,
        })))
}

/// Any request for `operation`, whatever its variables.
pub fn any_graphql(operation: &str) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(GRAPHQL_PATH))
        .and(wiremock::matchers::body_partial_json(
            json!({ "operationName": operation }),
        ))
}

pub fn ok(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json")
}

pub async fn mount(server: &MockServer, mock: Mock) {
    mock.mount(server).await;
}
