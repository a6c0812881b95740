//! Error counts per interval from events-stats: the exact request, the buckets, a 404 from a
//! Sentry without the endpoint, and intervals refused before any request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use ir_core::ErrorKind;
use ir_core::model::TimeWindow;
use ir_core::ports::ErrorTracker;
use wiremock::MockServer;

fn stats_query(interval: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("project", "-1"),
        ("start", "2026-02-08T15:15:00Z"),
        ("end", "2026-02-08T15:30:00Z"),
        ("interval", interval),
        ("yAxis", "count()"),
        ("query", "event.type:error"),
    ]
}

#[tokio::test]
async fn error_counts_sends_the_exact_request_and_reads_the_buckets() {
    let server = MockServer::start().await;
    get(STATS_PATH, &stats_query("5m"))
        .respond_with(ok(&resource("events_stats.json")))
        .expect(1)
        .mount(&server)
        .await;
    let buckets = client(&server)
        .error_counts(window(), Duration::from_secs(300))
        .await
        .unwrap();
    let got: Vec<_> = buckets
        .iter()
        .map(|b| (b.start.to_rfc3339(), b.count))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-02-08T15:15:00+00:00".to_owned(), 4),
            ("2026-02-08T15:20:00+00:00".to_owned(), 0),
            ("2026-02-08T15:25:00+00:00".to_owned(), 37),
        ]
    );
}

#[tokio::test]
async fn buckets_outside_the_window_are_dropped_and_counts_summed() {
    let server = MockServer::start().await;
    let body = r#"{"data": [
        [1770563400, [{"count": 9}]],
        [1770563700, [{"count": 2}, {"count": 3}]],
        [1770564000, [{"count": null}]],
        [1770564300, [{"count": "6"}]],
        [1770564600, [{"count": 11}]]
    ]}"#;
    get(STATS_PATH, &stats_query("5m"))
        .respond_with(ok(body))
        .expect(1)
        .mount(&server)
        .await;
    let buckets = client(&server)
        .error_counts(window(), Duration::from_secs(300))
        .await
        .unwrap();
    let counts: Vec<_> = buckets.iter().map(|b| b.count).collect();
    assert_eq!(counts, [5, 0, 6]);
}

#[tokio::test]
async fn a_sentry_without_events_stats_is_unsupported() {
    let server = MockServer::start().await;
    get(STATS_PATH, &stats_query("1h"))
        .respond_with(not_found())
        .expect(1)
        .mount(&server)
        .await;
    let window = TimeWindow::new(t("2026-02-08T15:15:00Z"), now());
    let err = client(&server)
        .error_counts(window, Duration::from_secs(3600))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.operation(), Some("error_counts"));
    assert!(err.message().contains("events-stats"), "{err}");
    assert!(err.message().contains("does not exist"), "{err}");
}

/// Sentry's DRF answer for a path it does not route.
fn not_found() -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(404).set_body_raw(
        r#"{"detail": "The requested resource does not exist"}"#,
        "application/json",
    )
}

#[tokio::test]
async fn intervals_sentry_cannot_resolve_ask_nothing() {
    let server = MockServer::start().await;
    get(STATS_PATH, &[])
        .respond_with(ok("{}"))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server);
    for interval in [Duration::ZERO, Duration::from_millis(2500)] {
        let err = client.error_counts(window(), interval).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{interval:?}");
    }
    let backwards = TimeWindow::new(now(), t("2026-02-08T15:15:00Z"));
    let err = client
        .error_counts(backwards, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_stats_body_of_the_wrong_shape_is_protocol() {
    let server = MockServer::start().await;
    get(STATS_PATH, &stats_query("5m"))
        .respond_with(ok(r#"{"timeSeries": []}"#))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .error_counts(window(), Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}
