//! Everything `ir-github` and `ir-http` trace, down to TRACE, carries neither the token nor the
//! signed log URL. Its own test binary: `tracing` caches callsite interest process-wide, so a
//! scoped subscriber only sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ports::{CodeHost, NewIssue};
use ir_testkit::TraceCapture;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn nothing_traced_carries_the_token_or_the_signed_url() {
    let (capture, _guard) = TraceCapture::install();
    let server = MockServer::start().await;
    let host = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/pipelines/logs/90002.txt"))
        .respond_with(ResponseTemplate::new(200).set_body_string(resource("job_log.txt")))
        .expect(1)
        .mount(&host)
        .await;
    api("GET", "/repos/acme/web/actions/runs/7003/jobs")
        .respond_with(ok_json(&resource("jobs.json")))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repos/acme/web/actions/jobs/90002/logs")
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!("{}/pipelines/logs/90002.txt?sig=s1gn3d-secret", host.uri()).as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api("POST", "/repos/acme/web/issues")
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_raw(r#"{"message":"Too many requests"}"#, "application/json"),
        )
        .expect(4)
        .mount(&server)
        .await;

    let github = client(&server);
    let jobs = github.failed_jobs(7003).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let err = github
        .create_issue(&NewIssue {
            title: "t".into(),
            body: "b".into(),
            labels: vec![],
            assignees: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ir_core::ErrorKind::RateLimited);

    let lines = capture.lines();
    let all = lines.join("\n");
    assert!(all.contains("provider=github"), "{all}");
    assert!(all.contains("operation=download_job_logs"), "{all}");
    assert!(all.contains("operation=download_job_log_file"), "{all}");
    assert!(all.contains("retrying"), "{all}");
    assert!(!all.contains(TOKEN), "{all}");
    assert!(!all.contains("Bearer"), "{all}");
    assert!(!all.contains("s1gn3d-secret"), "{all}");
}
