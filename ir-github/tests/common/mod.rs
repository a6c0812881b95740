//! Shared by the wiremock tests: the token, the repository, a client pointed at a mock server,
//! recorded responses, and a matcher for one REST call with GitHub's required headers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ir_core::clock::ManualClock;
use ir_github::{GithubClient, GithubConfig, GithubConfigBuilder};
use ir_http::{ClientOptions, DEFAULT_USER_AGENT, RetryPolicy};
use secrecy::SecretString;
use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub const TOKEN: &str = "ghp_test_token_4f8a2c9e1b";
pub const OWNER: &str = "acme";
pub const REPO: &str = "web";

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

/// A config builder for `server` with the token above and [`options`] on `clock`.
pub fn config(server: &MockServer, clock: &ManualClock) -> GithubConfigBuilder {
    GithubConfig::builder(SecretString::from(TOKEN), OWNER, REPO)
        .with_base_url(server.uri())
        .with_client_options(options(clock))
}

pub fn client(server: &MockServer) -> GithubClient {
    GithubClient::new(config(server, &ManualClock::at(start())).build().unwrap()).unwrap()
}

/// Matches one REST call: `verb` on `p`, with the token and GitHub's required headers.
pub fn api(verb: &str, p: &str) -> MockBuilder {
    Mock::given(method(verb))
        .and(path(p.to_owned()))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/vnd.github+json"))
        .and(header("x-github-api-version", "2022-11-28"))
        .and(header("user-agent", DEFAULT_USER_AGENT))
}

pub fn ok_json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json; charset=utf-8")
}

/// A `Link` header pointing at `next` on `server`.
pub fn link_next(server: &MockServer, next: &str) -> String {
    format!(
        "<{}{next}>; rel=\"next\", <{}{next}>; rel=\"last\"",
        server.uri(),
        server.uri()
    )
}

/// Matches a request whose query is exactly `pairs` (in any order), nothing more.
pub fn query_is(pairs: &[(&str, &str)]) -> impl Fn(&wiremock::Request) -> bool + use<> {
    let mut want: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    want.sort();
    move |request: &wiremock::Request| {
        let mut got: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        got.sort();
        got == want
    }
}
