//! `HttpHealthProbe` against wiremock and against sockets that misbehave.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use ir_core::ErrorKind;
use ir_core::classify::Reachability;
use ir_core::clock::ManualClock;
use ir_core::model::HealthOutcome;
use ir_core::ports::HealthProbe;
use ir_http::{ClientOptions, HealthProbeConfig, HttpHealthProbe, RedirectPolicy};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn probe(base: &str) -> HttpHealthProbe {
    HttpHealthProbe::new(HealthProbeConfig::builder(base).build().unwrap()).unwrap()
}

#[tokio::test]
async fn a_200_is_healthy_with_status_latency_and_excerpt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"status":"ok","database":"connected"}"#)
                .set_delay(Duration::from_millis(30)),
        )
        .expect(1)
        .mount(&server)
        .await;

    let report = probe(&server.uri()).check("/health").await.unwrap();

    assert_eq!(report.outcome, HealthOutcome::Healthy);
    assert!(report.is_healthy());
    assert_eq!(report.status, Some(200));
    assert_eq!(report.url, format!("{}/health", server.uri()));
    assert_eq!(
        report.body_excerpt,
        r#"{"status":"ok","database":"connected"}"#
    );
    assert!(
        report.latency >= Duration::from_millis(30),
        "{:?}",
        report.latency
    );
}

#[tokio::test]
async fn a_503_is_unhealthy_and_keeps_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_string(r#"{"status":"error","database":"pool exhausted"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;

    let report = probe(&server.uri()).check("health").await.unwrap();

    assert_eq!(report.outcome, HealthOutcome::Unhealthy);
    assert_eq!(report.status, Some(503));
    assert!(report.body_excerpt.contains("pool exhausted"));
}

#[tokio::test]
async fn the_excerpt_is_capped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string("E".repeat(100_000)))
        .mount(&server)
        .await;
    let probe = HttpHealthProbe::new(
        HealthProbeConfig::builder(server.uri())
            .with_excerpt_bytes(64)
            .build()
            .unwrap(),
    )
    .unwrap();

    let report = probe.check("/health").await.unwrap();

    assert_eq!(report.body_excerpt, "E".repeat(64));
}

#[tokio::test]
async fn head_is_curl_dash_i() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let probe = HttpHealthProbe::new(
        HealthProbeConfig::builder(server.uri())
            .with_method(Method::HEAD)
            .build()
            .unwrap(),
    )
    .unwrap();

    let report = probe.check("/health").await.unwrap();

    assert_eq!(report.status, Some(204));
    assert_eq!(report.body_excerpt, "");
    assert!(report.is_healthy());
}

#[tokio::test]
async fn redirects_are_reported_by_default_and_followed_on_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/healthz"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/healthz"))
        .respond_with(ResponseTemplate::new(503).set_body_string("down"))
        .mount(&server)
        .await;

    let reported = probe(&server.uri()).check("/health").await.unwrap();
    assert_eq!(reported.status, Some(302));
    assert_eq!(reported.outcome, HealthOutcome::Healthy);

    let following = HttpHealthProbe::new(
        HealthProbeConfig::builder(server.uri())
            .with_redirects(RedirectPolicy::Follow(3))
            .build()
            .unwrap(),
    )
    .unwrap();
    let followed = following.check("/health").await.unwrap();
    assert_eq!(followed.status, Some(503));
    assert_eq!(followed.outcome, HealthOutcome::Unhealthy);
    assert_eq!(followed.body_excerpt, "down");
}

#[tokio::test]
async fn a_redirect_loop_is_unreachable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/loop"))
        .mount(&server)
        .await;
    let probe = HttpHealthProbe::new(
        HealthProbeConfig::builder(server.uri())
            .with_redirects(RedirectPolicy::Follow(2))
            .build()
            .unwrap(),
    )
    .unwrap();

    let report = probe.check("/loop").await.unwrap();

    assert_eq!(
        report.outcome,
        HealthOutcome::Unreachable("stopped after 2 redirects".into())
    );
    assert_eq!(report.status, None);
}

#[tokio::test]
async fn a_slow_endpoint_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let probe = HttpHealthProbe::new(
        HealthProbeConfig::builder(server.uri())
            .with_timeout(Duration::from_millis(100))
            .build()
            .unwrap(),
    )
    .unwrap();

    let report = probe.check("/health").await.unwrap();

    assert_eq!(report.outcome, HealthOutcome::Timeout);
    assert_eq!(report.status, None);
    assert!(report.latency >= Duration::from_millis(100));
    assert!(report.latency < Duration::from_secs(2));
}

#[tokio::test]
async fn the_check_timeout_runs_on_the_configured_clock() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&server)
        .await;
    let manual = ManualClock::at("2026-02-08T15:30:00Z".parse().unwrap());
    let probe = HttpHealthProbe::new(
        HealthProbeConfig::builder(server.uri())
            .with_timeout(Duration::from_secs(10))
            .with_client_options(ClientOptions::default().with_clock(Arc::new(manual.clone())))
            .build()
            .unwrap(),
    )
    .unwrap();

    let real = Instant::now();
    let (report, ()) = tokio::join!(probe.check("/health"), async {
        // Once the request is at the server, move the clock past the 10 s deadline.
        while server.received_requests().await.unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        manual.advance(Duration::from_secs(10));
    });

    assert_eq!(report.unwrap().outcome, HealthOutcome::Timeout);
    assert!(
        real.elapsed() < Duration::from_secs(2),
        "{:?}",
        real.elapsed()
    );
}

#[tokio::test]
async fn a_refused_connection_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);

    let report = probe(&format!("http://127.0.0.1:{port}"))
        .check("/health")
        .await
        .unwrap();

    match &report.outcome {
        HealthOutcome::Unreachable(why) => {
            assert!(why.to_lowercase().contains("refused"), "{why}")
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert_eq!(
        Reachability::from(&report),
        ir_core::classify::Reachability::Unreachable
    );
}

#[tokio::test]
async fn a_tls_failure_is_reported_as_such() {
    // A plain-HTTP server behind an https:// URL: the TLS handshake fails.
    let server = MockServer::start().await;
    let base = format!("https://{}", server.address());

    let report = probe(&base).check("/health").await.unwrap();

    match &report.outcome {
        HealthOutcome::TlsError(why) => assert!(!why.is_empty()),
        other => panic!("expected TlsError, got {other:?}"),
    }
    assert_eq!(report.status, None);
}

#[tokio::test]
async fn a_path_leaving_the_base_is_a_config_error() {
    let err = probe("https://www.example.com")
        .check("https://evil.example/health")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn the_report_url_masks_query_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;

    let report = probe(&server.uri())
        .check("/health?token=s3cr3t-tok&verbose=1")
        .await
        .unwrap();

    assert!(report.is_healthy());
    assert!(!report.url.contains("s3cr3t-tok"), "{}", report.url);
    assert_eq!(
        report.url,
        format!("{}/health?token=<redacted>&verbose=1", server.uri())
    );
}
