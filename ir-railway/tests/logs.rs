//! `LogSource` operations against wiremock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ErrorKind;
use ir_core::model::{DeploymentId, LogLevel};
use ir_core::ports::{LogFilter, LogQuery, LogSource, LogStream};
use serde_json::json;
use wiremock::MockServer;

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn deployment_logs_with_filter_and_window() {
    let server = MockServer::start().await;
    graphql(
        "DeploymentLogs",
        json!({
            "deploymentId": "d-0006",
            "limit": 100,
            "filter": "@level:error",
            "startDate": "2026-02-08T15:00:00+00:00",
            "endDate": "2026-02-08T15:30:00+00:00",
        }),
    )
    .respond_with(ok(&resource("deployment_logs.json")))
    .expect(1)
    .mount(&server)
    .await;

    let query = LogQuery::new(LogStream::Deployment(DeploymentId::new("d-0006")), 100)
        .with_filter(LogFilter::default().with_level(LogLevel::Error))
        .with_window(
            Some(at("2026-02-08T15:00:00Z")),
            Some(at("2026-02-08T15:30:00Z")),
        );
    let lines = client(&server).logs(&query).await.unwrap();

    let messages: Vec<&str> = lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Error: NEXTAUTH_SECRET is not set",
            "[next-auth][error][NO_SECRET]",
        ],
        "oldest first, and the filter applied again to what Railway sent"
    );
}

#[tokio::test]
async fn deployment_log_levels_timestamps_and_attributes_are_read() {
    let server = MockServer::start().await;
    graphql(
        "DeploymentLogs",
        json!({
            "deploymentId": "d-0006",
            "limit": 100,
            "startDate": "2026-02-08T15:00:00+00:00",
            "endDate": "2026-02-08T15:30:00+00:00",
        }),
    )
    .respond_with(ok(&resource("deployment_logs.json")))
    .expect(1)
    .mount(&server)
    .await;

    let query = LogQuery::new(LogStream::Deployment(DeploymentId::new("d-0006")), 100).with_window(
        Some(at("2026-02-08T15:00:00Z")),
        Some(at("2026-02-08T15:30:00Z")),
    );
    let lines = client(&server).logs(&query).await.unwrap();

    let messages: Vec<&str> = lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Server listening on :3000",
            "Error: NEXTAUTH_SECRET is not set",
            "[next-auth][error][NO_SECRET]",
            "GET /api/auth/session 500",
        ],
        "oldest first"
    );
    assert_eq!(lines[0].level, Some(LogLevel::Info));
    // From the `severity` field, and from a JSON-quoted `level` attribute when it is absent.
    assert_eq!(lines[1].level, Some(LogLevel::Error));
    assert_eq!(lines[2].level, Some(LogLevel::Error));
    assert_eq!(lines[3].level, None);
    assert_eq!(
        lines[1].timestamp.to_rfc3339(),
        "2026-02-08T15:21:02.114+00:00"
    );
    assert_eq!(
        lines[1].attributes.get("service").map(String::as_str),
        Some("\"web\"")
    );
}

#[tokio::test]
async fn limit_keeps_the_newest_lines_and_window_is_reapplied() {
    let server = MockServer::start().await;
    graphql(
        "DeploymentLogs",
        json!({"deploymentId": "d-0006", "limit": 2, "startDate": "2026-02-08T15:21:01+00:00"}),
    )
    .respond_with(ok(&resource("deployment_logs.json")))
    .expect(1)
    .mount(&server)
    .await;

    let query = LogQuery::new(LogStream::Deployment(DeploymentId::new("d-0006")), 2)
        .with_window(Some(at("2026-02-08T15:21:01Z")), None);
    let lines = client(&server).logs(&query).await.unwrap();

    let messages: Vec<&str> = lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(
        messages,
        ["[next-auth][error][NO_SECRET]", "GET /api/auth/session 500"]
    );
}

#[tokio::test]
async fn build_logs() {
    let server = MockServer::start().await;
    graphql("BuildLogs", json!({"deploymentId": "d-0003", "limit": 500}))
        .respond_with(ok(&resource("build_logs.json")))
        .expect(1)
        .mount(&server)
        .await;

    let lines = client(&server)
        .logs(&LogQuery::new(
            LogStream::Build(DeploymentId::new("d-0003")),
            500,
        ))
        .await
        .unwrap();

    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].level, Some(LogLevel::Error));
    assert!(lines[1].message.contains("Module not found"));
}

#[tokio::test]
async fn environment_logs_ask_for_the_newest_before_until() {
    let server = MockServer::start().await;
    graphql(
        "EnvironmentLogs",
        json!({
            "environmentId": ENVIRONMENT,
            "filter": "@level:error AND connect",
            "beforeDate": "2026-02-08T15:30:00+00:00",
            "beforeLimit": 50,
        }),
    )
    .respond_with(ok(&resource("environment_logs.json")))
    .expect(1)
    .mount(&server)
    .await;

    let query = LogQuery::new(LogStream::Environment, 50)
        .with_filter(
            LogFilter::default()
                .with_level(LogLevel::Error)
                .with_text("connect"),
        )
        .with_window(None, Some(at("2026-02-08T15:30:00Z")));
    let lines = client(&server).logs(&query).await.unwrap();

    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.level == Some(LogLevel::Error)));
}

#[tokio::test]
async fn a_bad_timestamp_is_a_protocol_error() {
    let server = MockServer::start().await;
    any_graphql("DeploymentLogs")
        .respond_with(ok(
            r#"{"data":{"deploymentLogs":[{"timestamp":"yesterday","message":"x","severity":"info","attributes":[]}]}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .logs(&LogQuery::new(
            LogStream::Deployment(DeploymentId::new("d-0006")),
            10,
        ))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.operation(), Some("deploymentLogs"));
    assert!(err.message().contains("yesterday"));
}

#[tokio::test]
async fn a_zero_limit_sends_nothing() {
    let server = MockServer::start().await;
    any_graphql("DeploymentLogs")
        .respond_with(ok("{}"))
        .expect(0)
        .mount(&server)
        .await;
    let lines = client(&server)
        .logs(&LogQuery::new(LogStream::Environment, 0))
        .await
        .unwrap();
    assert!(lines.is_empty());
}
