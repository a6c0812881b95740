//! Tracing at TRACE carries no token: every span and event of a listing (with a retried 429)
//! is captured and searched. Its own test binary: `tracing` caches callsite interest
//! process-wide, so a scoped subscriber only sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::clock::ManualClock;
use ir_core::ports::ErrorTracker;
use ir_testkit::TraceCapture;
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn trace_output_never_holds_the_token() {
    let (capture, _guard) = TraceCapture::install();
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ok(&resource("issues_new.json")))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    let issues = client_on(&server, &clock)
        .new_issues(window())
        .await
        .unwrap();
    assert_eq!(issues.len(), 2);

    let lines = capture.lines();
    let all = lines.join("\n");
    assert!(
        all.contains("sentry") && all.contains("new_issues"),
        "the call is traced with provider and operation:\n{all}"
    );
    assert!(all.contains("retrying"), "the 429 retry is logged:\n{all}");
    assert!(!all.contains(TOKEN), "the token is in the trace:\n{all}");
    assert!(
        !all.contains("Bearer"),
        "an auth header is in the trace:\n{all}"
    );
}
