//! `deployments`: the list, newest first, with each one's latest status; pagination over three
//! pages; unknown states kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ports::{CodeDeploymentState, CodeHost};
use wiremock::MockServer;

async fn statuses(server: &MockServer, id: u64, file: &str) {
    api("GET", &format!("/repos/acme/web/deployments/{id}/statuses"))
        .and(query_is(&[("per_page", "1")]))
        .respond_with(ok_json(&resource(file)))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn deployments_with_their_latest_status() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .and(query_is(&[("per_page", "2")]))
        .respond_with(ok_json(&resource("deployments_page_1.json")).insert_header(
            "link",
            link_next(&server, "/repositories/77/deployments?per_page=2&page=2").as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    statuses(&server, 1906, "deployment_statuses_failure.json").await;
    statuses(&server, 1905, "deployment_statuses_success.json").await;

    let deployments = client(&server).deployments(2).await.unwrap();
    let ids: Vec<u64> = deployments.iter().map(|d| d.id).collect();
    assert_eq!(ids, [1906, 1905]);
    let newest = &deployments[0];
    assert_eq!(newest.sha, "9f2c1a7e5b3d4c6a8e0f1b2c3d4e5f6a7b8c9d0e");
    assert_eq!(newest.git_ref, "main");
    assert_eq!(newest.environment, "production");
    assert_eq!(
        newest.created_at,
        "2026-02-08T15:12:04Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
    assert_eq!(newest.state, Some(CodeDeploymentState::Failure));
    assert_eq!(deployments[1].state, Some(CodeDeploymentState::Success));
}

#[tokio::test]
async fn three_pages_an_unknown_state_and_no_status() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .and(query_is(&[("per_page", "5")]))
        .respond_with(ok_json(&resource("deployments_page_1.json")).insert_header(
            "link",
            link_next(&server, "/repositories/77/deployments?page=2").as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repositories/77/deployments")
        .and(query_is(&[("page", "2")]))
        .respond_with(ok_json(&resource("deployments_page_2.json")).insert_header(
            "link",
            link_next(&server, "/repositories/77/deployments?page=3").as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repositories/77/deployments")
        .and(query_is(&[("page", "3")]))
        .respond_with(ok_json(&resource("deployments_page_3.json")))
        .expect(1)
        .mount(&server)
        .await;
    statuses(&server, 1906, "deployment_statuses_failure.json").await;
    statuses(&server, 1905, "deployment_statuses_success.json").await;
    statuses(&server, 1904, "deployment_statuses_unknown.json").await;
    for id in [1903, 1902] {
        api("GET", &format!("/repos/acme/web/deployments/{id}/statuses"))
            .respond_with(ok_json("[]"))
            .expect(1)
            .mount(&server)
            .await;
    }

    let deployments = client(&server).deployments(5).await.unwrap();
    let ids: Vec<u64> = deployments.iter().map(|d| d.id).collect();
    assert_eq!(ids, [1906, 1905, 1904, 1903, 1902]);
    assert_eq!(
        deployments[2].state,
        Some(CodeDeploymentState::Unknown("paused_for_review".into()))
    );
    assert_eq!(deployments[3].state, None);
    assert_eq!(deployments[3].git_ref, "release/1.4");
}

#[tokio::test]
async fn the_page_cap_stops_the_listing() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(ok_json(&resource("deployments_page_1.json")).insert_header(
            "link",
            link_next(&server, "/repositories/77/deployments?page=2").as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repositories/77/deployments")
        .respond_with(ok_json(&resource("deployments_page_2.json")))
        .expect(0)
        .mount(&server)
        .await;
    api("GET", "/repos/acme/web/deployments/1906/statuses")
        .respond_with(ok_json("[]"))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repos/acme/web/deployments/1905/statuses")
        .respond_with(ok_json("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ir_core::clock::ManualClock::at(start());
    let github =
        ir_github::GithubClient::new(config(&server, &clock).with_max_pages(1).build().unwrap())
            .unwrap();
    let deployments = github.deployments(10).await.unwrap();
    assert_eq!(deployments.len(), 2);
}

#[tokio::test]
async fn a_next_page_on_another_origin_is_refused() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    api("GET", "/repos/acme/web/deployments")
        .respond_with(
            ok_json(&resource("deployments_page_1.json"))
                .insert_header("link", link_next(&elsewhere, "/steal?page=2").as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let err = client(&server).deployments(10).await.unwrap_err();
    assert_eq!(err.kind(), ir_core::ErrorKind::Protocol);
    assert!(err.message().contains("another origin"), "{err}");
}
