//! `create_issue` (labels and assignees, not retried, 410 as Unsupported, 422 messages) and
//! `find_filed` / `create_issue_once`: what `ir` filed before is found by its hidden key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ErrorKind;
use ir_core::model::IdempotencyKey;
use ir_core::ports::{CodeHost, FiledKind, NewIssue, filed_marker};
use serde_json::json;
use wiremock::matchers::{body_json, header, query_param};
use wiremock::{MockServer, ResponseTemplate};

fn action_item() -> NewIssue {
    NewIssue {
        title: "Postmortem: add a config smoke test to CD".into(),
        body: "Action item from the incident of 2026-02-08.".into(),
        labels: vec!["incident".into(), "postmortem".into()],
        assignees: vec!["octo-dev".into()],
    }
}

#[tokio::test]
async fn an_issue_with_labels_and_assignees() {
    let server = MockServer::start().await;
    api("POST", "/repos/acme/web/issues")
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "title": "Postmortem: add a config smoke test to CD",
            "body": "Action item from the incident of 2026-02-08.",
            "labels": ["incident", "postmortem"],
            "assignees": ["octo-dev"],
        })))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header(
                    "location",
                    "https://api.github.com/repos/acme/web/issues/418",
                )
                .set_body_raw(resource("issue_created.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let issue = client(&server).create_issue(&action_item()).await.unwrap();
    assert_eq!(issue.number, 418);
    assert_eq!(issue.url, "https://github.com/acme/web/issues/418");
}

#[tokio::test]
async fn a_failed_create_is_not_repeated() {
    let server = MockServer::start().await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_issue(&action_item())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn disabled_issues_are_unsupported() {
    let server = MockServer::start().await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(ResponseTemplate::new(410).set_body_raw(
            r#"{"message":"Issues are disabled for this repo","documentation_url":"https://docs.github.com/v3/issues/"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_issue(&action_item())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.message().contains("issues are disabled on acme/web"),
        "{err}"
    );
}

#[tokio::test]
async fn validation_errors_are_in_the_message() {
    let server = MockServer::start().await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(ResponseTemplate::new(422).set_body_raw(
            r#"{"message":"Validation Failed","errors":[{"resource":"Issue","field":"title","code":"missing_field"}],"documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_issue(&action_item())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.message(),
        "Validation Failed: Issue.title: missing_field (see https://docs.github.com/rest/issues/issues#create-an-issue)"
    );
    assert!(err.to_string().contains("create_issue"), "{err}");
}

async fn recent(server: &MockServer) {
    api("GET", "/repos/acme/web/issues")
        .and(query_is(&[
            ("state", "all"),
            ("sort", "created"),
            ("direction", "desc"),
            ("per_page", "100"),
        ]))
        .respond_with(ok_json(&resource("recent_issues.json")))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn find_filed_sees_the_newest_items_first() {
    let server = MockServer::start().await;
    recent(&server).await;
    let found = client(&server)
        .find_filed(&IdempotencyKey::new("revert-9f2c1a7"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.kind, FiledKind::PullRequest);
    assert_eq!(found.number, 420);
    assert_eq!(found.url, "https://github.com/acme/web/pull/420");
    assert_eq!(found.state, "open");
}

#[tokio::test]
async fn find_filed_searches_issues_then_pull_requests_for_the_exact_marker() {
    let server = MockServer::start().await;
    recent(&server).await;
    api("GET", "/search/issues")
        .and(query_is(&[
            (
                "q",
                "repo:acme/web is:issue in:body \"ir:key=issue-rotate-key\"",
            ),
            ("per_page", "20"),
        ]))
        .respond_with(ok_json(&resource("search_found.json")))
        .expect(1)
        .mount(&server)
        .await;
    let found = client(&server)
        .find_filed(&IdempotencyKey::new("issue-rotate-key"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.kind, FiledKind::Issue);
    assert_eq!((found.number, found.state.as_str()), (377, "closed"));

    // A key that is a prefix of another's is not that one.
    let server = MockServer::start().await;
    recent(&server).await;
    for kind in ["is:issue", "is:pull-request"] {
        api("GET", "/search/issues")
            .and(query_param(
                "q",
                format!("repo:acme/web {kind} in:body \"ir:key=issue-smoke-test\"").as_str(),
            ))
            .respond_with(ok_json(&resource("search_empty.json")))
            .expect(1)
            .mount(&server)
            .await;
    }
    let found = client(&server)
        .find_filed(&IdempotencyKey::new("issue-smoke-test"))
        .await
        .unwrap();
    assert_eq!(found, None);
}

#[tokio::test]
async fn create_issue_once_files_with_the_marker_then_finds_it() {
    let key = IdempotencyKey::new("issue-smoke-test");
    let server = MockServer::start().await;
    recent(&server).await;
    api("GET", "/search/issues")
        .respond_with(ok_json(&resource("search_empty.json")))
        .expect(2)
        .mount(&server)
        .await;
    api("POST", "/repos/acme/web/issues")
        .and(body_json(json!({
            "title": "Postmortem: add a config smoke test to CD",
            "body": format!("Action item from the incident of 2026-02-08.\n\n{}", filed_marker(&key)),
            "labels": ["incident", "postmortem"],
            "assignees": ["octo-dev"],
        })))
        .respond_with(ResponseTemplate::new(201).set_body_raw(resource("issue_created.json"), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let issue = client(&server)
        .create_issue_once(&key, &action_item())
        .await
        .unwrap();
    assert_eq!(issue.number, 418);

    // Resumed after a crash: the issue is in the listing, nothing is filed again.
    let server = MockServer::start().await;
    let mut listing = json_resource("recent_issues.json");
    listing[2]["body"] = format!("Action item.\n\n{}", filed_marker(&key)).into();
    api("GET", "/repos/acme/web/issues")
        .respond_with(ok_json(&listing.to_string()))
        .expect(1)
        .mount(&server)
        .await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let issue = client(&server)
        .create_issue_once(&key, &action_item())
        .await
        .unwrap();
    assert_eq!(
        (issue.number, issue.url.as_str()),
        (418, "https://github.com/acme/web/issues/418")
    );
}
