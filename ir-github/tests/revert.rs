//! `open_revert_pr`: GraphQL `revertPullRequest` on the merged pull request the commit came
//! from; `Unsupported` naming what to do otherwise; `open_revert_pr_once` on resume.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ErrorKind;
use ir_core::model::IdempotencyKey;
use ir_core::ports::{CodeHost, RevertRequest, filed_marker};
use serde_json::json;
use wiremock::matchers::{body_json, header};
use wiremock::{MockServer, ResponseTemplate};

const SHA: &str = "9f2c1a7e5b3d4c6a8e0f1b2c3d4e5f6a7b8c9d0e";

fn request() -> RevertRequest {
    RevertRequest {
        commit_sha: SHA.into(),
        base: "main".into(),
        title: "Revert \"Move config loading\"".into(),
        body: "The build fails since this change (incident of 2026-02-08).".into(),
    }
}

fn document() -> String {
    let file = format!(
        "{}/src/gql/RevertPullRequest.graphql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(file).unwrap()
}

async fn pulls(server: &MockServer, file: &str) {
    api("GET", &format!("/repos/acme/web/commits/{SHA}/pulls"))
        .and(query_is(&[("per_page", "100")]))
        .respond_with(ok_json(&resource(file)))
        .expect(1)
        .mount(server)
        .await;
}

fn mutation(body: &str) -> serde_json::Value {
    json!({
        "query": document(),
        "operationName": "RevertPullRequest",
        "variables": {"input": {
            "pullRequestId": "PR_kwDOAcme417",
            "title": "Revert \"Move config loading\"",
            "body": body,
            "draft": false,
        }},
    })
}

#[tokio::test]
async fn a_merged_pull_request_is_reverted_with_graphql() {
    let server = MockServer::start().await;
    pulls(&server, "commit_pulls_merged.json").await;
    api("POST", "/graphql")
        .and(header("content-type", "application/json"))
        .and(body_json(mutation(&request().body)))
        .respond_with(ok_json(&resource("revert_pull_request.json")))
        .expect(1)
        .mount(&server)
        .await;
    let pr = client(&server).open_revert_pr(&request()).await.unwrap();
    assert_eq!(pr.number, 422);
    assert_eq!(pr.url, "https://github.com/acme/web/pull/422");
    assert_eq!(pr.head_branch, "revert-417-feature/config-loading");
}

#[tokio::test]
async fn a_commit_without_a_merged_pull_request_is_unsupported_and_says_what_to_do() {
    let server = MockServer::start().await;
    pulls(&server, "commit_pulls_open_only.json").await;
    api("POST", "/graphql")
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let err = client(&server)
        .open_revert_pr(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.message().contains(&format!("git revert {SHA}")),
        "{err}"
    );
    assert!(err.message().contains("roll back"), "{err}");
}

#[tokio::test]
async fn a_pull_request_merged_into_another_base_is_not_reverted() {
    let server = MockServer::start().await;
    pulls(&server, "commit_pulls_merged.json").await;
    let mut req = request();
    req.base = "release/1.4".into();
    let err = client(&server).open_revert_pr(&req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("merged into release/1.4"), "{err}");
}

#[tokio::test]
async fn graphql_errors_under_200_and_no_retry() {
    let server = MockServer::start().await;
    pulls(&server, "commit_pulls_merged.json").await;
    api("POST", "/graphql")
        .respond_with(ok_json(
            r#"{"data":{"revertPullRequest":null},"errors":[{"type":"UNPROCESSABLE","path":["revertPullRequest"],"locations":[{"line":2,"column":3}],"message":"Revert has merge conflicts"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .open_revert_pr(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.message(), "Revert has merge conflicts");
    assert_eq!(err.operation(), Some("revertPullRequest"));

    let server = MockServer::start().await;
    pulls(&server, "commit_pulls_merged.json").await;
    api("POST", "/graphql")
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .open_revert_pr(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn open_revert_pr_once_marks_the_body_and_reconciles_on_resume() {
    let key = IdempotencyKey::new("revert-9f2c1a7");
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/issues")
        .respond_with(ok_json("[]"))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/search/issues")
        .respond_with(ok_json(&resource("search_empty.json")))
        .expect(2)
        .mount(&server)
        .await;
    pulls(&server, "commit_pulls_merged.json").await;
    let marked = format!("{}\n\n{}", request().body, filed_marker(&key));
    api("POST", "/graphql")
        .and(body_json(mutation(&marked)))
        .respond_with(ok_json(&resource("revert_pull_request.json")))
        .expect(1)
        .mount(&server)
        .await;
    let pr = client(&server)
        .open_revert_pr_once(&key, &request())
        .await
        .unwrap();
    assert_eq!(pr.number, 422);

    // Resumed: the listing holds PR 420 carrying the key; nothing is reverted again.
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/issues")
        .respond_with(ok_json(&resource("recent_issues.json")))
        .expect(1)
        .mount(&server)
        .await;
    api("POST", "/graphql")
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let pr = client(&server)
        .open_revert_pr_once(&key, &request())
        .await
        .unwrap();
    assert_eq!(
        (pr.number, pr.url.as_str()),
        (420, "https://github.com/acme/web/pull/420")
    );
}

#[tokio::test]
async fn graphql_goes_to_ghes_api_graphql() {
    let server = MockServer::start().await;
    api(
        "GET",
        &format!("/api/v3/repos/acme/web/commits/{SHA}/pulls"),
    )
    .respond_with(ok_json(&resource("commit_pulls_merged.json")))
    .expect(1)
    .mount(&server)
    .await;
    api("POST", "/api/graphql")
        .respond_with(ok_json(&resource("revert_pull_request.json")))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ir_core::clock::ManualClock::at(start());
    let github = ir_github::GithubClient::new(
        config(&server, &clock)
            .with_base_url(format!("{}/api/v3", server.uri()))
            .build()
            .unwrap(),
    )
    .unwrap();
    let pr = github.open_revert_pr(&request()).await.unwrap();
    assert_eq!(pr.number, 422);
}
