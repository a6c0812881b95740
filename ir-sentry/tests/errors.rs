//! Every row of the answer-to-error table over wiremock, 429 with `Retry-After` and with
//! `X-Sentry-Rate-Limit-Reset` on a manual clock, malformed bodies, and no token in any
//! `Debug` or error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use ir_core::ErrorKind;
use ir_core::clock::{Clock, ManualClock};
use ir_core::ports::ErrorTracker;
use ir_http::RetryPolicy;
use wiremock::{MockServer, ResponseTemplate};

fn detail(status: u16, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        serde_json::json!({ "detail": text }).to_string(),
        "application/json",
    )
}

#[tokio::test]
async fn each_status_becomes_its_kind_with_sentrys_detail() {
    let rows = [
        (
            400,
            ErrorKind::InvalidInput,
            "Invalid query. Error parsing search query",
        ),
        (401, ErrorKind::Unauthenticated, "Invalid token"),
        (
            403,
            ErrorKind::PermissionDenied,
            "You do not have permission to perform this action.",
        ),
        (
            404,
            ErrorKind::NotFound,
            "The requested resource does not exist",
        ),
        (500, ErrorKind::Unavailable, "Internal Error"),
    ];
    for (status, kind, text) in rows {
        let server = MockServer::start().await;
        get(ISSUES_PATH, &new_issues_query())
            .respond_with(detail(status, text))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server).new_issues(window()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "HTTP {status}");
        assert_eq!(err.message(), text);
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.provider(), Some("sentry"));
        assert_eq!(err.operation(), Some("new_issues"));
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}

#[tokio::test]
async fn unavailable_is_retried_then_reported() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ResponseTemplate::new(503))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    let client = ir_sentry::SentryClient::new(
        config(&server, &clock)
            .with_client_options(
                options(&clock).with_retry_policy(
                    RetryPolicy::default()
                        .with_jitter(false)
                        .with_max_attempts(2),
                ),
            )
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.new_issues(window()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.message(), "an empty body");
}

#[tokio::test]
async fn a_429_waits_for_retry_after_on_the_clock() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(
            detail(
                429,
                "You are attempting to use this endpoint too frequently.",
            )
            .insert_header("retry-after", "7")
            .insert_header("x-sentry-rate-limit-limit", "40")
            .insert_header("x-sentry-rate-limit-remaining", "0"),
        )
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
    assert_eq!(clock.now(), now() + chrono::Duration::seconds(7));
}

#[tokio::test]
async fn a_429_without_retry_after_waits_for_sentrys_reset() {
    let server = MockServer::start().await;
    // 15:30:20, twenty seconds after the test's now.
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-sentry-rate-limit-remaining", "0")
                .insert_header("x-sentry-rate-limit-reset", "1770564620"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ok("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    client_on(&server, &clock)
        .new_issues(window())
        .await
        .unwrap();
    assert_eq!(clock.now(), now() + chrono::Duration::seconds(20));
}

#[tokio::test]
async fn a_429_past_the_attempts_is_rate_limited_with_the_wait() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(detail(429, "Too many requests").insert_header("retry-after", "5"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    let client = ir_sentry::SentryClient::new(
        config(&server, &clock)
            .with_client_options(options(&clock).with_retry_policy(RetryPolicy::none()))
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.new_issues(window()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    assert_eq!(err.message(), "Too many requests");
}

#[tokio::test]
async fn malformed_bodies_are_protocol_errors_that_never_quote_a_long_body() {
    let long = format!("[{}", r#"{"id": "1", "count": "12"},"#.repeat(40));
    let bodies = [
        (long.as_str(), "application/json"),
        (
            "<!DOCTYPE html><html><title>Sentry is down for maintenance</title></html>",
            "text/html",
        ),
        (
            r#"[{"id": "1", "count": "12", "firstSeen": "2026-02-08T15:20:00Z""#,
            "application/json",
        ),
        (r#"{"detail": "not a list"}"#, "application/json"),
        (
            r#"[{"id": "1", "count": "many", "firstSeen": "2026-02-08T15:20:00Z"}]"#,
            "application/json",
        ),
        (r#"[{"id": "1", "count": "3"}]"#, "application/json"),
    ];
    for (body, content_type) in bodies {
        let server = MockServer::start().await;
        get(ISSUES_PATH, &new_issues_query())
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server).new_issues(window()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
        assert_eq!(err.provider(), Some("sentry"));
        assert!(err.message().len() < 400, "described, not quoted: {err}");
    }
}

#[tokio::test]
async fn debug_of_config_client_and_error_leaves_the_token_out() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(detail(401, "Invalid token"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    let builder = config(&server, &clock);
    let config = builder.clone().build().unwrap();
    let client = ir_sentry::SentryClient::new(config.clone()).unwrap();
    let err = client.new_issues(window()).await.unwrap_err();
    let text = format!("{builder:?} {config:?} {client:?} {err:?} {err}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
}

#[tokio::test]
async fn a_timed_out_listing_is_retried_as_every_sentry_call_is_a_get() {
    let server = MockServer::start().await;
    // An answer far slower than the attempt timeout; on a busy machine the last request may
    // not reach the server before it times out, so the server only bounds the count.
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ok("[]").set_delay(Duration::from_secs(5)))
        .expect(..=2)
        .mount(&server)
        .await;
    // Real time: the attempt timeout must cut a request the server is still holding (on a
    // manual clock it fires only when something moves time; see ir-http's tests).
    let client = ir_sentry::SentryClient::new(
        config(&server, &ManualClock::at(now()))
            .with_client_options(
                ir_http::ClientOptions::default()
                    .with_clock(std::sync::Arc::new(ir_core::clock::SystemClock))
                    .with_attempt_timeout(Duration::from_millis(100))
                    .with_retry_policy(
                        RetryPolicy::default()
                            .with_max_attempts(2)
                            .with_initial_backoff(Duration::from_millis(10)),
                    ),
            )
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.new_issues(window()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.operation(), Some("new_issues"));
    assert!(err.message().contains("(2 attempts)"), "{err}");
}
