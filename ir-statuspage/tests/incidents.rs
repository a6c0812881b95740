//! Each request as Statuspage documents it: create, update the same incident, find it again
//! after a restart, or use the recorded id; components and pacing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use ir_core::clock::{Clock, ManualClock};
use ir_core::model::StatusPageStatus;
use ir_core::ports::StatusPage;
use ir_statuspage::{StatuspageClient, StatuspageComponentStatus, StatuspageConfig};
use secrecy::SecretString;
use serde_json::json;
use wiremock::MockServer;

fn create_body() -> serde_json::Value {
    json!({ "incident": {
        "name": "Checkout errors",
        "status": "investigating",
        "body": "Investigating update",
        "component_ids": [COMPONENT],
        "components": { COMPONENT: "partial_outage" },
        "deliver_notifications": true,
        "metadata": { "ir": { "incident_key": INCIDENT_KEY } },
    }})
}

#[tokio::test]
async fn the_first_publish_creates_and_the_next_ones_update_the_same_incident() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(1)
        .mount(&server)
        .await;
    create(create_body())
        .respond_with(incident_json())
        .expect(1)
        .mount(&server)
        .await;
    for (status, wire, component) in [
        (StatusPageStatus::Identified, "identified", "partial_outage"),
        (StatusPageStatus::Monitoring, "monitoring", "partial_outage"),
        (StatusPageStatus::Resolved, "resolved", "operational"),
    ] {
        patch(
            INCIDENT,
            json!({ "incident": {
                "status": wire,
                "body": format!("{} update", status.title()),
                "component_ids": [COMPONENT],
                "components": { COMPONENT: component },
                "deliver_notifications": true,
            }}),
        )
        .respond_with(incident_json())
        .expect(1)
        .mount(&server)
        .await;
    }
    let sp = client(&server);
    for status in [
        StatusPageStatus::Investigating,
        StatusPageStatus::Identified,
        StatusPageStatus::Monitoring,
        StatusPageStatus::Resolved,
    ] {
        let id = sp.publish_to(&update(status), None).await.unwrap();
        assert_eq!(id.as_deref(), Some(INCIDENT), "{status:?}");
    }
}

#[tokio::test]
async fn after_a_restart_the_unresolved_incident_with_the_key_is_updated() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(listing(json!([
            { "id": "other0000001", "name": "Other", "status": "investigating",
              "metadata": { "ir": { "incident_key": "inc-other" } } },
            { "id": "nometa000001", "name": "Checkout errors", "status": "investigating",
              "metadata": {} },
            { "id": INCIDENT, "name": "Checkout errors", "status": "identified",
              "metadata": { "ir": { "incident_key": INCIDENT_KEY } } },
        ])))
        .expect(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(incident_json())
        .expect(0)
        .mount(&server)
        .await;
    patch(
        INCIDENT,
        json!({ "incident": {
            "status": "monitoring",
            "body": "Monitoring update",
            "component_ids": [COMPONENT],
            "components": { COMPONENT: "partial_outage" },
            "deliver_notifications": true,
        }}),
    )
    .respond_with(incident_json())
    .expect(1)
    .mount(&server)
    .await;
    // A fresh client: nothing learnt yet.
    let id = client(&server)
        .publish_to(&update(StatusPageStatus::Monitoring), None)
        .await
        .unwrap();
    assert_eq!(id.as_deref(), Some(INCIDENT));
}

#[tokio::test]
async fn a_recorded_id_is_updated_without_a_lookup() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(0)
        .mount(&server)
        .await;
    any_create()
        .respond_with(incident_json())
        .expect(0)
        .mount(&server)
        .await;
    any_patch()
        .and(wiremock::matchers::path(format!(
            "/v1/pages/{PAGE}/incidents/{INCIDENT}"
        )))
        .respond_with(incident_json())
        .expect(1)
        .mount(&server)
        .await;
    let id = client(&server)
        .publish_to(&update(StatusPageStatus::Resolved), Some(INCIDENT.into()))
        .await
        .unwrap();
    assert_eq!(id.as_deref(), Some(INCIDENT));
}

#[tokio::test]
async fn a_recorded_id_that_is_gone_is_not_found_and_a_strange_one_is_refused() {
    let server = MockServer::start().await;
    any_patch()
        .respond_with(
            wiremock::ResponseTemplate::new(404)
                .set_body_raw(r#"{"error":"Not found"}"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sp = client(&server);
    let err = sp
        .publish_to(
            &update(StatusPageStatus::Resolved),
            Some("gone00000000".into()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ir_core::ErrorKind::NotFound);
    assert_eq!(err.message(), "Not found");
    let err = sp
        .publish_to(&update(StatusPageStatus::Resolved), Some("../../x".into()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ir_core::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn without_components_none_are_sent_and_outage_status_is_configurable() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(2)
        .mount(&server)
        .await;
    create(json!({ "incident": {
        "name": "Checkout errors",
        "status": "investigating",
        "body": "Investigating update",
        "deliver_notifications": false,
        "metadata": { "ir": { "incident_key": INCIDENT_KEY } },
    }}))
    .respond_with(incident_json())
    .expect(1)
    .mount(&server)
    .await;
    create(json!({ "incident": {
        "name": "Checkout errors",
        "status": "investigating",
        "body": "Investigating update",
        "component_ids": [COMPONENT],
        "components": { COMPONENT: "major_outage" },
        "deliver_notifications": true,
        "metadata": { "ir": { "incident_key": INCIDENT_KEY } },
    }}))
    .respond_with(incident_json())
    .expect(1)
    .mount(&server)
    .await;
    let clock = ManualClock::at(start());
    let bare = StatuspageClient::new(
        StatuspageConfig::builder(SecretString::from(KEY), PAGE)
            .with_base_url(format!("{}/v1", server.uri()))
            .with_deliver_notifications(false)
            .with_client_options(options(&clock))
            .build()
            .unwrap(),
    )
    .unwrap();
    bare.publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap();
    let major = StatuspageClient::new(
        config(&server, &clock)
            .with_outage_status(StatuspageComponentStatus::MajorOutage)
            .build()
            .unwrap(),
    )
    .unwrap();
    major
        .publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap();
}

#[tokio::test]
async fn one_request_per_second_on_the_clock() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(incident_json())
        .expect(1)
        .mount(&server)
        .await;
    any_patch()
        .respond_with(incident_json())
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let sp = StatuspageClient::new(config(&server, &clock).build().unwrap()).unwrap();
    sp.publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap();
    // list, then create a second later
    assert_eq!(
        (clock.now() - start()).to_std().unwrap(),
        Duration::from_secs(1)
    );
    sp.clone()
        .publish(&update(StatusPageStatus::Identified))
        .await
        .unwrap();
    assert_eq!(
        (clock.now() - start()).to_std().unwrap(),
        Duration::from_secs(2)
    );
}
