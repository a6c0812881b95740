//! The `HealthProbe` conformance suite (`ir_testkit::conformance::health_probe`), against `HttpHealthProbe` over a wiremock
//! server answering as the service's health endpoints do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::Method;
use ir_http::{HealthProbeConfig, HttpHealthProbe};
use ir_testkit::HealthFixture;
use ir_testkit::conformance::health_probe;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/health"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"status":"ok","database":"connected"}"#),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/auth/session"))
        .respond_with(ResponseTemplate::new(500).set_body_string(
            "[next-auth][error][NO_SECRET] Please define a `secret` in production.",
        ))
        .mount(&server)
        .await;
    server
}

fn fixture() -> HealthFixture {
    HealthFixture {
        healthy_path: "/health".into(),
        healthy_status: 200,
        failing_path: "/api/auth/session".into(),
        failing_status: 500,
    }
}

#[tokio::test]
async fn http_health_probe_conforms() {
    let server = server().await;
    let probe =
        HttpHealthProbe::new(HealthProbeConfig::builder(server.uri()).build().unwrap()).unwrap();
    health_probe::run_all(&probe, &fixture()).await;
    // The refused paths never reached the server.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn http_health_probe_conforms_with_head_under_a_base_path() {
    // A base with a path of its own: the paths are joined under it.
    let nested = MockServer::start().await;
    for (route, status) in [("/app/health", 204), ("/app/api/auth/session", 503)] {
        Mock::given(method("HEAD"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(status))
            .mount(&nested)
            .await;
    }
    let config = HealthProbeConfig::builder(format!("{}/app", nested.uri()))
        .with_method(Method::HEAD)
        .build()
        .unwrap();
    let probe = HttpHealthProbe::new(config).unwrap();
    let fixture = HealthFixture {
        healthy_status: 204,
        failing_status: 503,
        ..fixture()
    };
    health_probe::run_all(&probe, &fixture).await;
}
