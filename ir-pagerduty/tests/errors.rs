//! How PagerDuty's answers become errors: 400 invalid event, 429 retried on `Retry-After`,
//! 5xx, a timeout, malformed bodies, and no routing key in any `Debug` or message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ir_core::ErrorKind;
use ir_core::clock::{Clock, ManualClock, SystemClock};
use ir_core::ports::Pager;
use ir_http::{ClientOptions, RetryPolicy};
use ir_pagerduty::PagerDutyClient;
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn a_400_invalid_event_is_invalid_input_with_pagerdutys_errors() {
    let server = MockServer::start().await;
    any_event()
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw(resource("invalid_event.json"), "application/json"),
        )
        .expect(1) // never retried
        .mount(&server)
        .await;
    let err = client(&server).trigger(&page()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.operation(), Some("trigger"));
    assert_eq!(
        err.message(),
        "Event object is invalid: 'payload.severity' is missing or blank; Length of \
         'routing_key' is incorrect (should be 32 characters)"
    );
    let text = format!("{err} {err:?}");
    assert!(!text.contains(KEY), "{text}");
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    any_event()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    any_event()
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let pd = PagerDutyClient::new(config(&server, &clock).build().unwrap()).unwrap();
    pd.trigger(&page()).await.unwrap();
    assert_eq!(
        (clock.now() - start()).to_std().unwrap(),
        Duration::from_secs(30),
        "waited what Retry-After asked, on the clock"
    );
}

#[tokio::test]
async fn a_429_that_persists_is_rate_limited() {
    let server = MockServer::start().await;
    any_event()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "5"))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let options = options(&clock).with_retry_policy(
        RetryPolicy::default()
            .with_jitter(false)
            .with_max_attempts(2),
    );
    let pd = PagerDutyClient::new(
        config(&server, &clock)
            .with_client_options(options)
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = pd.resolve(DEDUP_KEY).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    assert_eq!(err.operation(), Some("resolve"));
}

#[tokio::test]
async fn a_5xx_is_retried_then_unavailable() {
    let server = MockServer::start().await;
    any_event()
        .respond_with(
            ResponseTemplate::new(503).set_body_string("<html><title>Down</title></html>"),
        )
        .expect(4)
        .mount(&server)
        .await;
    let err = client(&server).trigger(&page()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn other_statuses_follow_the_shared_table() {
    for (status, kind) in [
        (401, ErrorKind::Unauthenticated),
        (403, ErrorKind::PermissionDenied),
        (404, ErrorKind::NotFound),
        (413, ErrorKind::InvalidInput),
    ] {
        let server = MockServer::start().await;
        any_event()
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server).trigger(&page()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status}");
    }
}

#[tokio::test]
async fn malformed_answers_are_protocol_errors() {
    for body in [
        "<!DOCTYPE html><html><title>Gateway</title></html>",
        r#"{"status":"succ"#,
        r#"{"status":"invalid event"}"#,
    ] {
        let server = MockServer::start().await;
        any_event()
            .respond_with(ResponseTemplate::new(202).set_body_string(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server).trigger(&page()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}: {err}");
    }
}

#[tokio::test]
async fn a_timeout_is_retried_then_a_timeout_error() {
    let server = MockServer::start().await;
    // An answer far slower than the attempt timeout (real time: the timeout must cut a request
    // the server still holds). Events carry a dedup key, so they are retried.
    any_event()
        .respond_with(accepted().set_delay(Duration::from_secs(5)))
        .expect(1..=2)
        .mount(&server)
        .await;
    let options = ClientOptions::default()
        .with_clock(Arc::new(SystemClock))
        .with_attempt_timeout(Duration::from_millis(100))
        .with_retry_policy(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(10)),
        );
    let pd = PagerDutyClient::new(
        config(&server, &ManualClock::at(start()))
            .with_client_options(options)
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = pd.trigger(&page()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.message().contains("2 attempts"), "{err}");
}

#[tokio::test]
async fn no_routing_key_in_debug_of_config_client_or_errors() {
    let server = MockServer::start().await;
    any_event()
        .respond_with(ResponseTemplate::new(400).set_body_string(format!(
            r#"{{"status":"invalid event","message":"bad key {KEY}"}}"#
        )))
        .expect(1)
        .mount(&server)
        .await;
    let builder = config(&server, &ManualClock::at(start())).with_routing_key(
        ir_core::model::Role::Cto,
        secrecy::SecretString::from(CTO_KEY),
    );
    let config = builder.clone().build().unwrap();
    let pd = PagerDutyClient::new(config.clone()).unwrap();
    let err = pd.trigger(&page()).await.unwrap_err();
    let text = format!("{builder:?} {config:?} {pd:?} {err} {err:?}");
    for secret in [KEY, CTO_KEY] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(err.message().contains("bad key <redacted>"), "{err}");
}
