//! `compare`: how two commits relate and which files differ (a file deleted from one never
//! committed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ErrorKind;
use ir_core::ports::{CodeHost, CompareStatus, FileChange};
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn files_added_removed_modified_and_renamed() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/compare/4b1d7c9e...9f2c1a7e")
        .respond_with(ok_json(&resource("compare.json")))
        .expect(1)
        .mount(&server)
        .await;
    let comparison = client(&server)
        .compare("4b1d7c9e", "9f2c1a7e")
        .await
        .unwrap();
    assert_eq!(comparison.status, CompareStatus::Ahead);
    assert_eq!((comparison.ahead_by, comparison.behind_by), (2, 0));
    assert_eq!(
        comparison.url,
        "https://github.com/acme/web/compare/4b1d7c9e...9f2c1a7e"
    );
    let files: Vec<(&str, &FileChange)> = comparison
        .files
        .iter()
        .map(|f| (f.filename.as_str(), &f.change))
        .collect();
    assert_eq!(
        files,
        [
            ("config/production.js", &FileChange::Removed),
            ("src/config.js", &FileChange::Modified),
            ("config/settings/production.js", &FileChange::Renamed),
            (".env.example", &FileChange::Added),
        ]
    );
    assert_eq!(comparison.files[0].deletions, 41);
    assert_eq!(comparison.files[1].additions, 12);
    assert_eq!(
        comparison.files[2].previous_filename.as_deref(),
        Some("config/prod.js")
    );
}

#[tokio::test]
async fn branch_names_with_slashes_and_unknown_values() {
    let server = MockServer::start().await;
    let mut body = json_resource("compare.json");
    body["status"] = "sideways".into();
    body["files"][0]["status"] = "vanished".into();
    api("GET", "/repos/acme/web/compare/main...release%2F1.4")
        .respond_with(ok_json(&body.to_string()))
        .expect(1)
        .mount(&server)
        .await;
    let comparison = client(&server)
        .compare("main", "release/1.4")
        .await
        .unwrap();
    assert_eq!(comparison.status, CompareStatus::Unknown("sideways".into()));
    assert_eq!(
        comparison.files[0].change,
        FileChange::Unknown("vanished".into())
    );
}

#[tokio::test]
async fn an_unknown_commit_is_not_found() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/compare/aaaa...bbbb")
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest/commits/commits#compare-two-commits"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).compare("aaaa", "bbbb").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.operation(), Some("compare_commits"));
}
