//! Shared by the wiremock tests: routing keys, a client pointed at a mock server, recorded
//! answers, and a matcher for one event.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ir_core::Severity;
use ir_core::clock::ManualClock;
use ir_core::model::Role;
use ir_core::ports::Page;
use ir_http::{ClientOptions, RetryPolicy};
use ir_pagerduty::{PagerDutyClient, PagerDutyConfig, PagerDutyConfigBuilder};
use secrecy::SecretString;
use serde_json::Value;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{MockBuilder, MockServer, ResponseTemplate};

/// 32-character integration keys, as PagerDuty issues them.
pub const KEY: &str = "e93facc04764012d7bfb002500d5d1a6";
pub const CTO_KEY: &str = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
pub const DEDUP_KEY: &str = "inc-20260208-checkout-503";
pub const ENQUEUE: &str = "/v2/enqueue";

pub fn resource(name: &str) -> String {
    let file = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
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

pub fn config(server: &MockServer, clock: &ManualClock) -> PagerDutyConfigBuilder {
    PagerDutyConfig::builder(SecretString::from(KEY))
        .with_source("api.example.com")
        .with_base_url(server.uri())
        .with_client_options(options(clock))
}

pub fn client(server: &MockServer) -> PagerDutyClient {
    PagerDutyClient::new(config(server, &ManualClock::at(start())).build().unwrap()).unwrap()
}

pub fn page() -> Page {
    Page {
        dedup_key: DEDUP_KEY.into(),
        role: Role::OnCall,
        summary: "Checkout returns 503: P0: page immediately".into(),
        severity: Severity::P0,
    }
}

/// `POST /v2/enqueue` with JSON and exactly `body`; no auth header (the key is in the body).
pub fn event(body: Value) -> MockBuilder {
    wiremock::Mock::given(method("POST"))
        .and(path(ENQUEUE))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

/// Any event.
pub fn any_event() -> MockBuilder {
    wiremock::Mock::given(method("POST")).and(path(ENQUEUE))
}

/// PagerDuty's 202.
pub fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_raw(resource("accepted.json"), "application/json")
}
