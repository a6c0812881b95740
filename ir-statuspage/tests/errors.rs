//! How Statuspage's answers become errors: 401, 404, 420, 429 retried on `Retry-After`, 422,
//! 5xx, a timeout, malformed bodies, and no API key in any `Debug` or message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ir_core::ErrorKind;
use ir_core::clock::{Clock, ManualClock, SystemClock};
use ir_core::model::StatusPageStatus;
use ir_core::ports::StatusPage;
use ir_http::{ClientOptions, RetryPolicy};
use ir_statuspage::StatuspageClient;
use wiremock::{MockServer, ResponseTemplate};

fn json_error(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json")
}

#[tokio::test]
async fn each_status_row() {
    let rows = [
        (
            401,
            r#"{"error":"Could not authenticate"}"#,
            ErrorKind::Unauthenticated,
            "Could not authenticate",
        ),
        (
            403,
            r#"{"error":"Forbidden"}"#,
            ErrorKind::PermissionDenied,
            "Forbidden",
        ),
        (
            404,
            r#"{"error":"Not found"}"#,
            ErrorKind::NotFound,
            "Not found",
        ),
        (
            420,
            r#"{"error":"Rate limit exceeded"}"#,
            ErrorKind::RateLimited,
            "Rate limit exceeded",
        ),
        (
            422,
            r#"{"error":["Name can't be blank"]}"#,
            ErrorKind::InvalidInput,
            "Name can't be blank",
        ),
    ];
    for (status, body, kind, message) in rows {
        let server = MockServer::start().await;
        unresolved()
            .respond_with(json_error(status, body))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server)
            .publish(&update(StatusPageStatus::Investigating))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{status}");
        assert_eq!(err.message(), message);
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.provider(), Some("statuspage"));
        assert_eq!(err.operation(), Some("list_unresolved"));
    }
}

#[tokio::test]
async fn a_420_carries_its_retry_after() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(json_error(420, "").insert_header("retry-after", "12"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(12)));
    assert_eq!(err.operation(), Some("create_incident"));
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(incident_json())
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let sp = StatuspageClient::new(config(&server, &clock).build().unwrap()).unwrap();
    let id = sp
        .publish_to(&update(StatusPageStatus::Investigating), None)
        .await
        .unwrap();
    assert_eq!(id.as_deref(), Some(INCIDENT));
    // 1 s pacing after the list, then the 30 s Retry-After.
    assert_eq!(
        (clock.now() - start()).to_std().unwrap(),
        Duration::from_secs(31)
    );
}

#[tokio::test]
async fn a_429_that_persists_is_rate_limited() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "4"))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let sp = StatuspageClient::new(
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
    let err = sp
        .publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(4)));
}

#[tokio::test]
async fn a_5xx_on_create_is_not_retried() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(
            ResponseTemplate::new(503).set_body_string("<html><title>Down</title></html>"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn malformed_answers_are_protocol_errors() {
    for body in [
        "<!DOCTYPE html><html><title>Maintenance</title></html>",
        r#"{"id":"p31z"#,
        r#"{"name":"no id"}"#,
    ] {
        let server = MockServer::start().await;
        unresolved()
            .respond_with(none_unresolved())
            .expect(1)
            .mount(&server)
            .await;
        any_create()
            .respond_with(ResponseTemplate::new(201).set_body_string(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server)
            .publish(&update(StatusPageStatus::Investigating))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}: {err}");
    }
    let server = MockServer::start().await;
    unresolved()
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"not":"a list"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn a_timed_out_create_is_not_repeated() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(1)
        .mount(&server)
        .await;
    // Real time: the attempt timeout must cut a request the server still holds.
    any_create()
        .respond_with(incident_json().set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&server)
        .await;
    let options = ClientOptions::default()
        .with_clock(Arc::new(SystemClock))
        .with_attempt_timeout(Duration::from_millis(200));
    let sp = StatuspageClient::new(
        config(&server, &ManualClock::at(start()))
            .with_min_interval(Duration::ZERO)
            .with_client_options(options)
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = sp
        .publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.message().contains("not repeated"), "{err}");
}

#[tokio::test]
async fn no_api_key_in_debug_or_errors() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(json_error(401, r#"{"error":"Could not authenticate"}"#))
        .mount(&server)
        .await;
    let builder = config(&server, &ManualClock::at(start()));
    let config = builder.clone().build().unwrap();
    let sp = StatuspageClient::new(config.clone()).unwrap();
    let err = sp
        .publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap_err();
    let text = format!("{builder:?} {config:?} {sp:?} {err} {err:?}");
    assert!(!text.contains(KEY), "{text}");
}
