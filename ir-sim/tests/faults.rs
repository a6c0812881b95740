//! Provider faults, latency and missing credentials, as the adapters see them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use ir_core::ErrorKind;
use ir_core::ports::{CodeHost, DeployPlatform, HealthProbe};
use ir_sim::{Fault, Scenario, Sim, SimConfig, Target, Vendor};

#[tokio::test]
async fn unavailable_refused_rate_limited_garbage_truncated() {
    let sim = Sim::start(SimConfig::scenario(Scenario::Healthy))
        .await
        .unwrap();
    // The clients wait on a manual clock: retries after 429s and 503s take no real time.
    let clock: std::sync::Arc<dyn ir_core::clock::Clock> =
        std::sync::Arc::new(ir_core::clock::ManualClock::at(chrono::Utc::now()));
    let railway = common::railway(&sim, clock.clone());
    let github = common::github(&sim, clock.clone());

    sim.set_fault(Vendor::Railway, Fault::Unavailable);
    assert_eq!(
        railway.service_status().await.unwrap_err().kind(),
        ErrorKind::Unavailable
    );
    sim.set_fault(Vendor::Railway, Fault::Garbage);
    assert_eq!(
        railway.service_status().await.unwrap_err().kind(),
        ErrorKind::Protocol
    );
    sim.set_fault(Vendor::Railway, Fault::Truncated);
    assert_eq!(
        railway.list_deployments(5).await.unwrap_err().kind(),
        ErrorKind::Protocol
    );
    sim.clear_fault(Vendor::Railway);
    sim.set_fault(
        Target::endpoint(Vendor::Railway, "Deployments"),
        Fault::rate_limited(Duration::from_secs(1)),
    );
    let limited = railway.list_deployments(5).await.unwrap_err();
    assert_eq!(limited.kind(), ErrorKind::RateLimited, "{limited}");
    assert!(
        railway.service_status().await.is_ok(),
        "only that endpoint is throttled"
    );
    sim.clear_faults();
    assert!(railway.list_deployments(5).await.is_ok());

    sim.set_fault(Vendor::Github, Fault::rate_limited(Duration::from_secs(2)));
    let limited = github.deployments(5).await.unwrap_err();
    assert_eq!(limited.kind(), ErrorKind::RateLimited, "{limited}");
    sim.clear_fault(Vendor::Github);

    sim.set_fault(Vendor::Site, Fault::Refused);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let probe = common::health(&sim, clock.clone());
    let report = probe.check("/health").await.unwrap();
    assert!(report.status.is_none(), "connection refused: {report:?}");
    sim.clear_fault(Vendor::Site);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(probe.check("/health").await.unwrap().status, Some(200));

    sim.set_fault(Vendor::Site, Fault::ErrorRate(0.5));
    let mut failed = 0;
    for _ in 0..10 {
        if probe.check("/").await.unwrap().status == Some(500) {
            failed += 1;
        }
    }
    assert_eq!(failed, 5);
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_is_real_time_and_per_endpoint() {
    let sim = Sim::start(SimConfig::scenario(Scenario::Healthy))
        .await
        .unwrap();
    let probe = common::health(&sim, sim.clock());
    sim.set_latency(
        Target::endpoint(Vendor::Site, "/health"),
        Duration::from_millis(300),
    );
    let report = probe.check("/health").await.unwrap();
    assert!(report.latency >= Duration::from_millis(300), "{report:?}");
    let started = Instant::now();
    probe.check("/").await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(300));
    let logged = sim.requests();
    assert_eq!(logged.count(Vendor::Site), 2);
    assert!(logged.records()[0].latency >= Duration::from_millis(300));
    sim.shutdown().await;
}

#[tokio::test]
async fn missing_credentials_and_malformed_requests_get_the_vendors_answers() {
    let sim = Sim::start(SimConfig::scenario(Scenario::Healthy))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let urls = sim.urls().clone();
    let body = |r: reqwest::Response| async move { (r.status().as_u16(), r.text().await.unwrap()) };

    let (status, text) = body(
        http.post(&urls.railway)
            .header("content-type", "application/json")
            .body(serde_json::json!({"query": "{ me { id } }"}).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.contains("Not Authorized"), "{text}");
    let (status, text) = body(
        http.get(format!("{}/repos/acme/web/deployments", urls.github))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, text.contains("Requires authentication")),
        (401, true),
        "{text}"
    );
    let (status, text) = body(
        http.get(format!("{}/api/0/organizations/acme/issues/", urls.sentry))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "{text}");
    let (status, text) = body(
        http.post(format!("{}/chat.postMessage", urls.slack))
            .header("content-type", "application/json")
            .body(serde_json::json!({}).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (200, r#"{"error":"not_authed","ok":false}"#)
    );
    let (status, _) = body(
        http.post(format!("{}/pages/x/incidents", urls.statuspage))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);

    // Malformed bodies: each vendor's error shape.
    let (status, text) = body(
        http.post(&urls.railway)
            .bearer_auth("t")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = body(
        http.post(&urls.railway)
            .bearer_auth("t")
            .header("content-type", "application/json")
            .body(serde_json::json!({"query": "query { nope }"}).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        status == 200 && text.contains("Cannot query field"),
        "{text}"
    );
    let (status, text) = body(
        http.post(format!("{}/v2/enqueue", urls.pagerduty))
            .body("[")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("invalid event"));
    let (status, text) = body(
        http.post(format!("{}/chat.postMessage", urls.slack))
            .bearer_auth("x")
            .body("{")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, text.contains("invalid_json")), (200, true));
    let (status, text) = body(
        http.post(format!("{}/repos/acme/web/issues", urls.github))
            .bearer_auth("x")
            .body("nope")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, text.contains("Problems parsing JSON")),
        (400, true)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn pool_exhausted_holds_real_connections_or_says_it_cannot() {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| ir_sim::DEFAULT_DATABASE_URL.to_owned());
    let sim = Sim::start(SimConfig::scenario(Scenario::PoolExhausted).with_database_url(url))
        .await
        .unwrap();
    let probe = common::health(&sim, sim.clock());
    assert_eq!(probe.check("/health").await.unwrap().status, Some(503));
    match sim.database().await {
        ir_sim::DatabaseStatus::Connected {
            held,
            application_name,
            ..
        } => {
            assert_eq!((held, application_name.as_str()), (10, "ir-sim-web"));
        }
        ir_sim::DatabaseStatus::Unreachable { reason, .. } => {
            eprintln!("PostgreSQL unreachable, the leak is in memory: {reason}");
        }
        other => panic!("{other:?}"),
    }
    // A restart releases the leak either way.
    let serving = sim.railway().active().unwrap();
    common::railway(&sim, sim.clock())
        .restart(&serving)
        .await
        .unwrap();
    assert_eq!(probe.check("/health").await.unwrap().status, Some(200));
    if let ir_sim::DatabaseStatus::Connected { held, .. } = sim.database().await {
        assert_eq!(held, 0);
    }
    sim.shutdown().await;
}
