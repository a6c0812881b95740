//! Shared by the wiremock tests: the organization, the token, a client pointed at a mock
//! server on a manual clock, recorded responses, and a matcher for one exact request.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ir_core::clock::{ManualClock, Timestamp};
use ir_core::model::TimeWindow;
use ir_http::{ClientOptions, RetryPolicy};
use ir_sentry::{SentryClient, SentryConfig, SentryConfigBuilder};
use secrecy::SecretString;
use wiremock::matchers::{header, method, path};
use wiremock::{Match, Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const TOKEN: &str = "sntryu_5f3a9c0b7d2e41a8b6c9d0e1f2a3b4c5";
pub const ORG: &str = "acme";
pub const ISSUES_PATH: &str = "/api/0/organizations/acme/issues/";
pub const STATS_PATH: &str = "/api/0/organizations/acme/events-stats/";

/// A recorded response body from `tests/resources`.
pub fn resource(name: &str) -> String {
    let file = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn t(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The time the tests run at.
pub fn now() -> Timestamp {
    t("2026-02-08T15:30:00Z")
}

/// The last 15 minutes.
pub fn window() -> TimeWindow {
    TimeWindow::new(t("2026-02-08T15:15:00Z"), now())
}

/// Transport options on a manual clock (retry waits are instant), no jitter.
pub fn options(clock: &ManualClock) -> ClientOptions {
    ClientOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_retry_policy(RetryPolicy::default().with_jitter(false))
}

/// A config builder for `server` with the token and [`options`] on `clock`.
pub fn config(server: &MockServer, clock: &ManualClock) -> SentryConfigBuilder {
    SentryConfig::builder(SecretString::from(TOKEN), ORG)
        .with_base_url(server.uri())
        .with_client_options(options(clock))
}

pub fn client_on(server: &MockServer, clock: &ManualClock) -> SentryClient {
    SentryClient::new(config(server, clock).build().unwrap()).unwrap()
}

pub fn client(server: &MockServer) -> SentryClient {
    client_on(server, &ManualClock::at(now()))
}

/// Matches a request whose query is exactly these pairs, in any order.
pub struct ExactQuery(Vec<(String, String)>);

impl Match for ExactQuery {
    fn matches(&self, request: &Request) -> bool {
        let mut got: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        got.sort();
        got == self.0
    }
}

pub fn exact_query(pairs: &[(&str, &str)]) -> ExactQuery {
    let mut pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    pairs.sort();
    ExactQuery(pairs)
}

/// `GET <path>` with the bearer token and exactly this query.
pub fn get(at: &str, query: &[(&str, &str)]) -> MockBuilder {
    Mock::given(method("GET"))
        .and(path(at))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(exact_query(query))
}

/// The query of `new_issues(window())` on the first page, all projects.
pub fn new_issues_query() -> Vec<(&'static str, &'static str)> {
    vec![
        ("project", "-1"),
        ("start", "2026-02-08T15:15:00Z"),
        ("end", "2026-02-08T15:30:00Z"),
        (
            "query",
            "firstSeen:>=2026-02-08T15:15:00Z firstSeen:<2026-02-08T15:30:00Z",
        ),
        ("sort", "new"),
        ("limit", "100"),
    ]
}

pub fn ok(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json")
}

/// A `Link` header as Sentry sends it, for the page at `offset` of `server`'s issues.
pub fn link(server: &MockServer, offset: u32, more: bool) -> String {
    let base = format!("{}{ISSUES_PATH}", server.uri());
    let previous = if offset == 0 { "false" } else { "true" };
    let next = offset + 100;
    format!(
        "<{base}?&cursor=0:0:1>; rel=\"previous\"; results=\"{previous}\"; cursor=\"0:0:1\", \
         <{base}?&cursor=0:{next}:0>; rel=\"next\"; results=\"{more}\"; cursor=\"0:{next}:0\""
    )
}
