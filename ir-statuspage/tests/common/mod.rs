//! Shared by the wiremock tests: the key, the page, a client pointed at a mock server,
//! recorded answers, and matchers for one request.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ir_core::clock::ManualClock;
use ir_core::model::StatusPageStatus;
use ir_core::ports::StatusPageUpdate;
use ir_http::{ClientOptions, RetryPolicy};
use ir_statuspage::{StatuspageClient, StatuspageConfig, StatuspageConfigBuilder};
use secrecy::SecretString;
use serde_json::Value;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub const KEY: &str = "89a229ce1a8dbcf9ff30430fbe35eb4c0426574bca932061892cefd2138aa4b1";
pub const PAGE: &str = "kctbh9vrtdwd";
pub const COMPONENT: &str = "8kbf7d35c070";
pub const INCIDENT: &str = "p31zjtct2jer";
pub const INCIDENT_KEY: &str = "inc-20260208-checkout-503";

pub fn resource(name: &str) -> String {
    let file = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn start() -> chrono::DateTime<chrono::Utc> {
    "2026-02-08T15:30:00Z".parse().unwrap()
}

pub fn options(clock: &ManualClock) -> ClientOptions {
    ClientOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_retry_policy(RetryPolicy::default().with_jitter(false))
}

pub fn config(server: &MockServer, clock: &ManualClock) -> StatuspageConfigBuilder {
    StatuspageConfig::builder(SecretString::from(KEY), PAGE)
        .with_component(COMPONENT)
        .with_base_url(format!("{}/v1", server.uri()))
        .with_client_options(options(clock))
}

pub fn client(server: &MockServer) -> StatuspageClient {
    StatuspageClient::new(config(server, &ManualClock::at(start())).build().unwrap()).unwrap()
}

pub fn update(status: StatusPageStatus) -> StatusPageUpdate {
    StatusPageUpdate {
        incident_key: INCIDENT_KEY.into(),
        title: "Checkout errors".into(),
        status,
        body: format!("{} update", status.title()),
    }
}

fn authorized(m: MockBuilder) -> MockBuilder {
    m.and(header("authorization", format!("OAuth {KEY}").as_str()))
}

/// `POST /v1/pages/{page}/incidents` with exactly `body`.
pub fn create(body: Value) -> MockBuilder {
    authorized(Mock::given(method("POST")).and(path(format!("/v1/pages/{PAGE}/incidents"))))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

/// `PATCH /v1/pages/{page}/incidents/{id}` with exactly `body`.
pub fn patch(id: &str, body: Value) -> MockBuilder {
    authorized(Mock::given(method("PATCH")).and(path(format!("/v1/pages/{PAGE}/incidents/{id}"))))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

/// `GET /v1/pages/{page}/incidents/unresolved`.
pub fn unresolved() -> MockBuilder {
    authorized(
        Mock::given(method("GET")).and(path(format!("/v1/pages/{PAGE}/incidents/unresolved"))),
    )
}

pub fn any_create() -> MockBuilder {
    Mock::given(method("POST")).and(path(format!("/v1/pages/{PAGE}/incidents")))
}

pub fn any_patch() -> MockBuilder {
    Mock::given(method("PATCH"))
}

pub fn incident_json() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_raw(resource("incident_created.json"), "application/json")
}

pub fn none_unresolved() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw("[]", "application/json")
}

pub fn listing(incidents: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(incidents.to_string(), "application/json")
}
