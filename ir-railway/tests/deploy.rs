//! `DeployPlatform` operations against wiremock: the exact request and the answer read right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ErrorKind;
use ir_core::model::{DeploymentId, DeploymentStatus, InstanceStatus};
use ir_core::ports::DeployPlatform;
use serde_json::json;
use wiremock::MockServer;

#[tokio::test]
async fn service_status_reads_latest_active_and_replicas() {
    let server = MockServer::start().await;
    graphql(
        "ServiceInstance",
        json!({"environmentId": ENVIRONMENT, "serviceId": SERVICE}),
    )
    .respond_with(ok(&resource("service_instance.json")))
    .expect(1)
    .mount(&server)
    .await;

    let status = client(&server).service_status().await.unwrap();

    assert_eq!(status.service_name, "web");
    let latest = status.latest_deployment.unwrap();
    assert_eq!(latest.id.as_str(), "8f1c2a3b-0d4e-4f5a-9b6c-7d8e9f0a1b2c");
    assert_eq!(latest.status, DeploymentStatus::Crashed);
    assert_eq!(
        latest.created_at.to_rfc3339(),
        "2026-02-08T15:20:11.482+00:00"
    );
    assert_eq!(
        latest.commit_sha.as_deref(),
        Some("4b1e9f2c7a3d5e6f8091a2b3c4d5e6f708192a3b")
    );
    assert_eq!(
        latest.commit_message.as_deref(),
        Some("feat: new auth flow")
    );
    assert_eq!(status.active_deployments.len(), 1);
    assert_eq!(
        status.active_deployments[0].status,
        DeploymentStatus::Active
    );
    assert!(status.active_deployments[0].can_rollback);
    assert_eq!(
        status.instances,
        [InstanceStatus::Running, InstanceStatus::Crashed]
    );
}

#[tokio::test]
async fn list_deployments_pages_through_cursors_and_sorts_newest_first() {
    let server = MockServer::start().await;
    let input = json!({"projectId": PROJECT, "environmentId": ENVIRONMENT, "serviceId": SERVICE});
    graphql("Deployments", json!({"input": input, "first": 5}))
        .respond_with(ok(&resource("deployments_page_1.json")))
        .expect(1)
        .mount(&server)
        .await;
    graphql(
        "Deployments",
        json!({"input": input, "first": 3, "after": "cursor-2"}),
    )
    .respond_with(ok(&resource("deployments_page_2.json")))
    .expect(1)
    .mount(&server)
    .await;
    graphql(
        "Deployments",
        json!({"input": input, "first": 1, "after": "cursor-4"}),
    )
    .respond_with(ok(&resource("deployments_page_3.json")))
    .expect(1)
    .mount(&server)
    .await;

    let deployments = client(&server).list_deployments(5).await.unwrap();

    let ids: Vec<&str> = deployments.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d-0006", "d-0005", "d-0004", "d-0003", "d-0002"]);
    assert!(
        deployments
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at)
    );
    assert_eq!(deployments[3].status, DeploymentStatus::Failed);
    assert!(!deployments[3].can_rollback);
}

#[tokio::test]
async fn list_deployments_stops_at_the_last_page_and_sorts_what_arrived() {
    let server = MockServer::start().await;
    // A page in oldest-first order, and the last one: the client sorts.
    let mut page = json_resource("deployments_page_3.json");
    page["data"]["deployments"]["pageInfo"]["hasNextPage"] = json!(false);
    let edges = page["data"]["deployments"]["edges"].as_array_mut().unwrap();
    edges.reverse();
    any_graphql("Deployments")
        .respond_with(ok(&page.to_string()))
        .expect(1)
        .mount(&server)
        .await;

    let deployments = client(&server).list_deployments(10).await.unwrap();

    let ids: Vec<&str> = deployments.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d-0002", "d-0001"]);
}

#[tokio::test]
async fn list_deployments_of_zero_sends_nothing() {
    let server = MockServer::start().await;
    any_graphql("Deployments")
        .respond_with(ok("{}"))
        .expect(0)
        .mount(&server)
        .await;
    assert!(
        client(&server)
            .list_deployments(0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_cursor_that_does_not_advance_is_a_protocol_error() {
    let server = MockServer::start().await;
    let mut page = json_resource("deployments_page_1.json");
    page["data"]["deployments"]["pageInfo"]["endCursor"] = json!(null);
    any_graphql("Deployments")
        .respond_with(ok(&page.to_string()))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).list_deployments(10).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.operation(), Some("deployments"));
}

#[tokio::test]
async fn deployment_by_id() {
    let server = MockServer::start().await;
    graphql("Deployment", json!({"id": "d-0005"}))
        .respond_with(ok(&resource("deployment.json")))
        .expect(1)
        .mount(&server)
        .await;

    let deployment = client(&server)
        .deployment(&DeploymentId::new("d-0005"))
        .await
        .unwrap();

    assert_eq!(deployment.id.as_str(), "d-0005");
    assert_eq!(deployment.status, DeploymentStatus::Active);
    assert!(deployment.can_rollback && deployment.can_redeploy);
}

#[tokio::test]
async fn an_unknown_deployment_status_is_kept_not_rejected() {
    let server = MockServer::start().await;
    graphql("Deployment", json!({"id": "d-0007"}))
        .respond_with(ok(&resource("deployment_unknown_status.json")))
        .expect(1)
        .mount(&server)
        .await;

    let deployment = client(&server)
        .deployment(&DeploymentId::new("d-0007"))
        .await
        .unwrap();

    assert_eq!(
        deployment.status,
        DeploymentStatus::Unknown("HIBERNATING".into())
    );
    assert!(!deployment.status.is_terminal());
}

#[tokio::test]
async fn an_unknown_deployment_is_not_found() {
    let server = MockServer::start().await;
    graphql("Deployment", json!({"id": "nope"}))
        .respond_with(ok(&resource("error_deployment_not_found.json")))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .deployment(&DeploymentId::new("nope"))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.to_string(),
        "railway deployment: not found (HTTP 200): Deployment not found"
    );
}

#[tokio::test]
async fn rollback_sends_the_target_and_reads_the_boolean() {
    let server = MockServer::start().await;
    graphql("DeploymentRollback", json!({"id": "d-0005"}))
        .respond_with(ok(&resource("deployment_rollback.json")))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .rollback(&DeploymentId::new("d-0005"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rollback_answered_false_is_a_conflict() {
    let server = MockServer::start().await;
    graphql("DeploymentRollback", json!({"id": "d-0003"}))
        .respond_with(ok(&resource("deployment_rollback_false.json")))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .rollback(&DeploymentId::new("d-0003"))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(
        err.to_string(),
        "railway deploymentRollback: conflict: Railway declined to roll back to deployment d-0003"
    );
}

#[tokio::test]
async fn redeploy_reuses_the_image_and_returns_the_new_id() {
    let server = MockServer::start().await;
    graphql(
        "DeploymentRedeploy",
        json!({"id": "d-0005", "usePreviousImageTag": true}),
    )
    .respond_with(ok(&resource("deployment_redeploy.json")))
    .expect(1)
    .mount(&server)
    .await;

    let new = client(&server)
        .redeploy(&DeploymentId::new("d-0005"))
        .await
        .unwrap();

    assert_eq!(new.as_str(), "f0e1d2c3-b4a5-4968-8776-655443322110");
}

#[tokio::test]
async fn restart_sends_the_deployment() {
    let server = MockServer::start().await;
    graphql("DeploymentRestart", json!({"id": "d-0005"}))
        .respond_with(ok(&resource("deployment_restart.json")))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .restart(&DeploymentId::new("d-0005"))
        .await
        .unwrap();
}

/// A page of one deployment whose `endCursor` is `cursor`, saying more follow.
fn one_deployment_page(cursor: &str) -> serde_json::Value {
    let mut page = json_resource("deployments_page_1.json");
    let connection = &mut page["data"]["deployments"];
    let mut edge = connection["edges"][0].clone();
    edge["cursor"] = json!(cursor);
    edge["node"]["id"] = json!(format!("d-{cursor}"));
    connection["edges"] = json!([edge]);
    connection["pageInfo"]["hasNextPage"] = json!(true);
    connection["pageInfo"]["endCursor"] = json!(cursor);
    page
}

#[tokio::test]
async fn cursors_going_round_in_a_circle_are_a_protocol_error() {
    let server = MockServer::start().await;
    // A, B, A, B...: each cursor differs from the one before it.
    any_graphql("Deployments")
        .and(wiremock::matchers::body_partial_json(
            json!({"variables": {"after": "cursor-A"}}),
        ))
        .respond_with(ok(&one_deployment_page("cursor-B").to_string()))
        .mount(&server)
        .await;
    any_graphql("Deployments")
        .respond_with(ok(&one_deployment_page("cursor-A").to_string()))
        .mount(&server)
        .await;

    let err = client(&server).list_deployments(1000).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert_eq!(err.operation(), Some("deployments"));
    // The first page, B, then A again: caught at once.
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

/// Answers every `deployments` request with one deployment and a fresh cursor.
struct EndlessPages(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for EndlessPages {
    fn respond(&self, _: &wiremock::Request) -> wiremock::ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ok(&one_deployment_page(&format!("cursor-{n}")).to_string())
    }
}

#[tokio::test]
async fn endless_paging_stops_at_the_page_cap() {
    let server = MockServer::start().await;
    any_graphql("Deployments")
        .respond_with(EndlessPages(std::sync::atomic::AtomicUsize::new(0)))
        .mount(&server)
        .await;

    // One deployment a page: 1000 would take 1000 pages.
    let err = client(&server).list_deployments(1000).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("200 pages"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 200);
}
