//! Each event as PagerDuty documents it: the exact JSON body sent to `POST /v2/enqueue`, and
//! the answers read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::clock::ManualClock;
use ir_core::model::Role;
use ir_core::ports::{Page, Pager};
use ir_core::{ErrorKind, Severity};
use ir_pagerduty::PagerDutyClient;
use secrecy::SecretString;
use serde_json::json;
use wiremock::MockServer;

#[tokio::test]
async fn trigger_sends_the_documented_event() {
    let server = MockServer::start().await;
    event(json!({
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": DEDUP_KEY,
        "client": "ir",
        "payload": {
            "summary": "Checkout returns 503: P0: page immediately",
            "source": "api.example.com",
            "severity": "critical",
            "timestamp": "2026-02-08T15:30:00Z",
            "custom_details": {
                "severity": "P0",
                "severity_title": "Total Outage",
                "role": "On-Call Engineer",
                "incident_key": DEDUP_KEY,
            },
        },
    }))
    .respond_with(accepted())
    .expect(1)
    .mount(&server)
    .await;
    client(&server).trigger(&page()).await.unwrap();
}

#[tokio::test]
async fn trigger_carries_component_group_and_links_when_configured() {
    let server = MockServer::start().await;
    event(json!({
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": DEDUP_KEY,
        "client": "ir",
        "client_url": format!("https://ops.example.com/incidents/{DEDUP_KEY}"),
        "links": [{
            "href": format!("https://ops.example.com/incidents/{DEDUP_KEY}"),
            "text": format!("Incident {DEDUP_KEY}"),
        }],
        "payload": {
            "summary": "Checkout returns 503: P0: page immediately",
            "source": "api.example.com",
            "severity": "error",
            "timestamp": "2026-02-08T15:30:00Z",
            "component": "checkout",
            "group": "prod-web",
            "custom_details": {
                "severity": "P1",
                "severity_title": "Critical Feature Down",
                "role": "On-Call Engineer",
                "incident_key": DEDUP_KEY,
            },
        },
    }))
    .respond_with(accepted())
    .expect(1)
    .mount(&server)
    .await;
    let config = config(&server, &ManualClock::at(start()))
        .with_component("checkout")
        .with_group("prod-web")
        .with_incident_url("https://ops.example.com/incidents/{dedup_key}")
        .build()
        .unwrap();
    let page = Page {
        severity: Severity::P1,
        ..page()
    };
    PagerDutyClient::new(config)
        .unwrap()
        .trigger(&page)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_severity_maps_as_documented() {
    for (severity, wire) in [
        (Severity::P0, "critical"),
        (Severity::P1, "error"),
        (Severity::P2, "warning"),
        (Severity::P3, "info"),
    ] {
        let server = MockServer::start().await;
        any_event()
            .and(wiremock::matchers::body_partial_json(
                json!({ "payload": { "severity": wire } }),
            ))
            .respond_with(accepted())
            .expect(1)
            .mount(&server)
            .await;
        let page = Page { severity, ..page() };
        client(&server).trigger(&page).await.unwrap();
    }
}

#[tokio::test]
async fn a_role_with_its_own_key_is_paged_through_it_and_follow_ups_reach_every_key() {
    let server = MockServer::start().await;
    any_event()
        .and(wiremock::matchers::body_partial_json(json!({
            "routing_key": CTO_KEY, "event_action": "trigger", "dedup_key": DEDUP_KEY,
        })))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    for key in [KEY, CTO_KEY] {
        event(json!({ "routing_key": key, "event_action": "resolve", "dedup_key": DEDUP_KEY }))
            .respond_with(accepted())
            .expect(1)
            .mount(&server)
            .await;
    }
    let config = config(&server, &ManualClock::at(start()))
        .with_routing_key(Role::Cto, SecretString::from(CTO_KEY))
        // The same key twice is sent to once.
        .with_routing_key(Role::Team, SecretString::from(KEY))
        .build()
        .unwrap();
    let pd = PagerDutyClient::new(config).unwrap();
    let page = Page {
        role: Role::Cto,
        ..page()
    };
    pd.trigger(&page).await.unwrap();
    pd.resolve(DEDUP_KEY).await.unwrap();
}

#[tokio::test]
async fn acknowledge_and_resolve_send_only_key_action_and_dedup_key() {
    let server = MockServer::start().await;
    for action in ["acknowledge", "resolve"] {
        event(json!({ "routing_key": KEY, "event_action": action, "dedup_key": DEDUP_KEY }))
            .respond_with(accepted())
            .expect(1)
            .mount(&server)
            .await;
    }
    let pd = client(&server);
    pd.acknowledge(DEDUP_KEY).await.unwrap();
    pd.resolve(DEDUP_KEY).await.unwrap();
}

#[tokio::test]
async fn a_retrigger_sends_the_same_dedup_key() {
    let server = MockServer::start().await;
    any_event()
        .and(wiremock::matchers::body_partial_json(
            json!({ "event_action": "trigger", "dedup_key": DEDUP_KEY }),
        ))
        .respond_with(accepted())
        .expect(2)
        .mount(&server)
        .await;
    let pd = client(&server);
    pd.trigger(&page()).await.unwrap();
    pd.trigger(&page()).await.unwrap();
}

#[tokio::test]
async fn invalid_pages_are_refused_before_sending() {
    let server = MockServer::start().await;
    any_event()
        .respond_with(accepted())
        .expect(0)
        .mount(&server)
        .await;
    let pd = client(&server);
    // 1025 characters, multi-byte: counted in characters, not bytes.
    let exactly = "é".repeat(1024);
    let cases = [
        Page {
            summary: format!("{exactly}x"),
            ..page()
        },
        Page {
            summary: " ".into(),
            ..page()
        },
        Page {
            dedup_key: "".into(),
            ..page()
        },
        Page {
            dedup_key: "k".repeat(256),
            ..page()
        },
    ];
    for case in cases {
        let err = pd.trigger(&case).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert_eq!(err.provider(), Some("pagerduty"));
    }
    assert_eq!(
        pd.resolve("").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[tokio::test]
async fn a_summary_of_exactly_1024_characters_is_sent_whole() {
    let server = MockServer::start().await;
    let summary = "é".repeat(1024);
    any_event()
        .and(wiremock::matchers::body_partial_json(
            json!({ "payload": { "summary": summary } }),
        ))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let page = Page {
        summary: summary.clone(),
        ..page()
    };
    client(&server).trigger(&page).await.unwrap();
}
