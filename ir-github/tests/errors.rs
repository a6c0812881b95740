//! Every row of GitHub's answer-to-error table over wiremock; the primary and secondary rate
//! limits (403 or 429, `retry-after`, `x-ratelimit-reset`, otherwise a minute) on a
//! `ManualClock`; malformed bodies; timeouts retried only for reads; no token in `{:?}`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use ir_core::ErrorKind;
use ir_core::clock::{Clock, ManualClock};
use ir_core::ports::{CodeHost, NewIssue};
use ir_github::GithubClient;
use wiremock::{MockServer, ResponseTemplate};

fn error_body(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        format!(r#"{{"message":"{message}","documentation_url":"https://docs.github.com/rest"}}"#),
        "application/json; charset=utf-8",
    )
}

fn elapsed(clock: &ManualClock) -> Duration {
    (clock.now() - start()).to_std().unwrap()
}

#[tokio::test]
async fn each_status_of_the_table() {
    let rows: &[(u16, &str, ErrorKind)] = &[
        (400, "Problems parsing JSON", ErrorKind::InvalidInput),
        (401, "Bad credentials", ErrorKind::Unauthenticated),
        (
            403,
            "Resource not accessible by integration",
            ErrorKind::PermissionDenied,
        ),
        (404, "Not Found", ErrorKind::NotFound),
        (409, "Git Repository is empty.", ErrorKind::Conflict),
        (410, "Gone", ErrorKind::NotFound),
        (412, "Precondition Failed", ErrorKind::Conflict),
        (422, "Validation Failed", ErrorKind::InvalidInput),
        (500, "Server Error", ErrorKind::Unavailable),
        (502, "Server Error", ErrorKind::Unavailable),
        (503, "Service Unavailable", ErrorKind::Unavailable),
        (504, "Server Error", ErrorKind::Unavailable),
    ];
    for (status, message, kind) in rows {
        let server = MockServer::start().await;
        let attempts = if matches!(status, 502..=504) { 4 } else { 1 };
        api("GET", "/repos/acme/web/deployments")
            .respond_with(error_body(*status, message))
            .expect(attempts)
            .mount(&server)
            .await;
        let err = client(&server).deployments(5).await.unwrap_err();
        assert_eq!(err.kind(), *kind, "HTTP {status}");
        assert_eq!(err.status(), Some(*status));
        assert_eq!(err.provider(), Some("github"));
        assert_eq!(err.operation(), Some("list_deployments"));
        assert_eq!(
            err.message(),
            format!("{message} (see https://docs.github.com/rest)"),
            "HTTP {status}"
        );
    }
}

#[tokio::test]
async fn an_unexpected_redirect_is_a_protocol_error() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(ResponseTemplate::new(301).insert_header(
            "location",
            "https://api.github.com/repositories/77/deployments",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).deployments(5).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn a_429_with_retry_after_waits_then_succeeds() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(error_body(429, "Too many requests").insert_header("retry-after", "7"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(ok_json("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let github = GithubClient::new(config(&server, &clock).build().unwrap()).unwrap();
    assert!(github.deployments(5).await.unwrap().is_empty());
    assert_eq!(elapsed(&clock), Duration::from_secs(7));
}

#[tokio::test]
async fn the_primary_limit_waits_until_the_reset() {
    let server = MockServer::start().await;
    let reset = (start() + chrono::Duration::seconds(42))
        .timestamp()
        .to_string();
    api("GET", "/repos/acme/web/deployments")
        .respond_with(
            error_body(403, "API rate limit exceeded for installation ID 1.")
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-used", "5000")
                .insert_header("x-ratelimit-reset", reset.as_str()),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(ok_json("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let github = GithubClient::new(config(&server, &clock).build().unwrap()).unwrap();
    github.deployments(5).await.unwrap();
    assert_eq!(elapsed(&clock), Duration::from_secs(42));
}

#[tokio::test]
async fn the_secondary_limit_with_retry_after_is_retried_even_for_a_post() {
    let server = MockServer::start().await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(
            error_body(403, "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later.")
                .insert_header("retry-after", "30"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(resource("issue_created.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let github = GithubClient::new(config(&server, &clock).build().unwrap()).unwrap();
    let issue = github
        .create_issue(&NewIssue {
            title: "t".into(),
            body: "b".into(),
            labels: vec![],
            assignees: vec![],
        })
        .await
        .unwrap();
    assert_eq!(issue.number, 418);
    assert_eq!(elapsed(&clock), Duration::from_secs(30));
}

#[tokio::test]
async fn the_secondary_limit_without_headers_is_rate_limited_for_a_minute() {
    let server = MockServer::start().await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(error_body(
            403,
            "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later.",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let github = GithubClient::new(config(&server, &clock).build().unwrap()).unwrap();
    let err = github
        .create_issue(&NewIssue {
            title: "t".into(),
            body: "b".into(),
            labels: vec![],
            assignees: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert!(err.message().contains("secondary rate limit"), "{err}");
    assert_eq!(elapsed(&clock), Duration::ZERO);
}

#[tokio::test]
async fn a_429_without_a_wait_waits_a_minute_when_the_deadline_allows() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(error_body(429, "Too many requests"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(ok_json("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let options = options(&clock).with_retry_policy(
        ir_http::RetryPolicy::default()
            .with_jitter(false)
            .with_total_timeout(Duration::from_secs(300)),
    );
    let github = GithubClient::new(
        config(&server, &clock)
            .with_client_options(options)
            .build()
            .unwrap(),
    )
    .unwrap();
    github.deployments(5).await.unwrap();
    assert_eq!(elapsed(&clock), Duration::from_secs(60));
}

#[tokio::test]
async fn malformed_and_html_bodies_are_protocol_errors() {
    for (body, content_type, shown) in [
        (
            r#"[{"id":"not a number"}]"#,
            "application/json",
            "not a number",
        ),
        ("[{\"id\":1906,", "application/json", ""),
        (
            "<!DOCTYPE html><html><head><title>Unicorn! · GitHub</title></head><body>...</body></html>",
            "text/html",
            "Unicorn! · GitHub",
        ),
    ] {
        let server = MockServer::start().await;
        api("GET", "/repos/acme/web/deployments")
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server).deployments(5).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
        assert!(err.message().contains(shown), "{err}");
    }
    let server = MockServer::start().await;
    api(
        "GET",
        "/repos/acme/web/actions/workflows/cd-production.yml/runs",
    )
    .respond_with(ok_json(r#"{"total_count":1,"runs":[]}"#))
    .expect(1)
    .mount(&server)
    .await;
    let err = client(&server)
        .workflow_runs(&ir_core::ports::RunQuery {
            workflow: Some("cd-production.yml".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn a_slow_read_is_retried_a_slow_create_is_not() {
    let slow = || ResponseTemplate::new(200).set_delay(Duration::from_millis(400));
    let clock = ManualClock::at(start());
    let options = options(&clock).with_attempt_timeout(Duration::from_millis(100));
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(slow())
        .expect(4)
        .mount(&server)
        .await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(slow())
        .expect(1)
        .mount(&server)
        .await;
    let github = GithubClient::new(
        config(&server, &clock)
            .with_client_options(options)
            .build()
            .unwrap(),
    )
    .unwrap();
    // The manual clock does not move by itself: move it past each attempt's deadline.
    let ticker = {
        let clock = clock.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                clock.advance(Duration::from_millis(50));
            }
        })
    };
    let err = github.deployments(5).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let err = github
        .create_issue(&NewIssue {
            title: "t".into(),
            body: "b".into(),
            labels: vec![],
            assignees: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.may_have_taken_effect(), "{err:?}");
    assert!(err.to_string().contains("not idempotent"), "{err}");
    ticker.abort();
}

#[tokio::test]
async fn debug_of_config_client_and_errors_omits_the_token() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(error_body(401, "Bad credentials"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let builder = config(&server, &clock);
    let config = builder.clone().build().unwrap();
    let github = GithubClient::new(config.clone()).unwrap();
    let err = github.deployments(5).await.unwrap_err();
    for text in [
        format!("{builder:?}"),
        format!("{config:?}"),
        format!("{github:?}"),
        format!("{err:?}"),
        err.to_string(),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    assert!(format!("{github:?}").contains("acme"));
}
