//! Workflow runs and failed jobs: filters, pagination, unknown conclusions, the first failing
//! step, and the job log fetched from the redirect's host without the GitHub token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ErrorKind;
use ir_core::model::RunConclusion;
use ir_core::ports::{CodeHost, RunQuery};
use wiremock::matchers::{header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn query(limit: usize) -> RunQuery {
    RunQuery {
        workflow: Some("cd-production.yml".into()),
        limit,
        ..RunQuery::default()
    }
}

#[tokio::test]
async fn runs_of_a_workflow_file_newest_first_unknown_conclusions_kept() {
    let server = MockServer::start().await;
    api(
        "GET",
        "/repos/acme/web/actions/workflows/cd-production.yml/runs",
    )
    .and(query_is(&[
        ("per_page", "100"),
        ("branch", "main"),
        ("exclude_pull_requests", "true"),
    ]))
    .respond_with(ok_json(&resource("workflow_runs.json")))
    .expect(1)
    .mount(&server)
    .await;
    let runs = client(&server)
        .workflow_runs(&RunQuery {
            branch: Some("main".into()),
            ..query(10)
        })
        .await
        .unwrap();
    let ids: Vec<u64> = runs.iter().map(|r| r.id).collect();
    assert_eq!(ids, [7003, 7002, 7001, 7000]);
    let failed = &runs[0];
    assert_eq!(failed.name, "CD production");
    assert_eq!(failed.head_branch.as_deref(), Some("main"));
    assert_eq!(failed.head_sha, "9f2c1a7e5b3d4c6a8e0f1b2c3d4e5f6a7b8c9d0e");
    assert_eq!(failed.status, "completed");
    assert_eq!(failed.conclusion, Some(RunConclusion::Failure));
    assert_eq!(
        failed.html_url,
        "https://github.com/acme/web/actions/runs/7003"
    );
    assert_eq!(
        runs[2].conclusion,
        Some(RunConclusion::Unknown("startup_failure".into()))
    );
    assert_eq!(runs[3].status, "in_progress");
    assert_eq!(runs[3].conclusion, None);
}

#[tokio::test]
async fn failed_only_asks_for_completed_runs_and_keeps_failures() {
    let server = MockServer::start().await;
    api(
        "GET",
        "/repos/acme/web/actions/workflows/cd-production.yml/runs",
    )
    .and(query_is(&[
        ("per_page", "100"),
        ("status", "completed"),
        ("exclude_pull_requests", "true"),
    ]))
    .respond_with(ok_json(&resource("workflow_runs.json")))
    .expect(1)
    .mount(&server)
    .await;
    let runs = client(&server)
        .workflow_runs(&RunQuery {
            failed_only: true,
            ..query(10)
        })
        .await
        .unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [7003]);
}

#[tokio::test]
async fn every_workflow_when_none_is_named() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/actions/runs")
        .and(query_is(&[
            ("per_page", "100"),
            ("exclude_pull_requests", "true"),
        ]))
        .respond_with(ok_json(&resource("workflow_runs.json")))
        .expect(1)
        .mount(&server)
        .await;
    let runs = client(&server)
        .workflow_runs(&RunQuery {
            limit: 2,
            ..RunQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [7003, 7002]);
}

#[tokio::test]
async fn runs_over_three_pages() {
    let server = MockServer::start().await;
    api(
        "GET",
        "/repos/acme/web/actions/workflows/cd-production.yml/runs",
    )
    .respond_with(
        ok_json(&resource("workflow_runs_page_1.json")).insert_header(
            "link",
            link_next(
                &server,
                "/repositories/77/actions/workflows/161335/runs?page=2",
            )
            .as_str(),
        ),
    )
    .expect(1)
    .mount(&server)
    .await;
    api("GET", "/repositories/77/actions/workflows/161335/runs")
        .and(query_param("page", "2"))
        .respond_with(
            ok_json(&resource("workflow_runs_page_2.json")).insert_header(
                "link",
                link_next(
                    &server,
                    "/repositories/77/actions/workflows/161335/runs?page=3",
                )
                .as_str(),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repositories/77/actions/workflows/161335/runs")
        .and(query_param("page", "3"))
        .respond_with(ok_json(&resource("workflow_runs_page_3.json")))
        .expect(1)
        .mount(&server)
        .await;
    let runs = client(&server).workflow_runs(&query(10)).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [7003, 7002, 7001]
    );
}

#[tokio::test]
async fn an_unknown_workflow_is_not_found() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/actions/workflows/nope.yml/runs")
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow","status":"404"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .workflow_runs(&RunQuery {
            workflow: Some("nope.yml".into()),
            limit: 5,
            ..RunQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.message()
            .starts_with("Not Found (see https://docs.github.com/rest/actions/"),
        "{err}"
    );
}

/// The storage host: answers the log only to a request without any `Authorization`.
async fn log_host(expect_calls: u64) -> MockServer {
    let host = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/pipelines/logs/90002.txt"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(400).set_body_string("the token leaked"))
        .expect(0)
        .mount(&host)
        .await;
    Mock::given(method("GET"))
        .and(path("/pipelines/logs/90002.txt"))
        .and(query_param("sig", "s1gn3d"))
        .and(|request: &Request| {
            !request.headers.contains_key("authorization")
                && !request.headers.contains_key("x-github-api-version")
        })
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(resource("job_log.txt"), "text/plain"),
        )
        .expect(expect_calls)
        .mount(&host)
        .await;
    host
}

async fn jobs(server: &MockServer) {
    api("GET", "/repos/acme/web/actions/runs/7003/jobs")
        .and(query_is(&[("filter", "latest"), ("per_page", "100")]))
        .respond_with(ok_json(&resource("jobs.json")))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn failed_jobs_with_step_and_log_from_the_redirect_without_the_token() {
    let server = MockServer::start().await;
    let host = log_host(1).await;
    jobs(&server).await;
    api("GET", "/repos/acme/web/actions/jobs/90002/logs")
        .respond_with(
            ResponseTemplate::new(302).insert_header(
                "location",
                format!(
                    "{}/pipelines/logs/90002.txt?sig=s1gn3d&se=2026-02-08T15%3A31%3A00Z",
                    host.uri()
                )
                .as_str(),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;

    let failed = client(&server).failed_jobs(7003).await.unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let job = &failed[0];
    assert_eq!(job.job_id, 90002);
    assert_eq!(job.name, "build");
    assert_eq!(job.step_number, Some(3));
    assert_eq!(job.step_name.as_deref(), Some("Run npm run build"));
    let excerpt = job.log_excerpt.as_deref().unwrap();
    assert!(
        excerpt.starts_with("##[group]Run npm run build"),
        "{excerpt}"
    );
    assert!(
        excerpt.ends_with("##[error]Process completed with exit code 1."),
        "{excerpt}"
    );
    assert!(excerpt.contains("Error: Cannot find module './config/production'"));
    assert!(
        !excerpt.contains("2026-02-08T15:12:19"),
        "timestamps are stripped: {excerpt}"
    );
    for request in host.received_requests().await.unwrap() {
        assert!(
            !request.headers.contains_key("authorization"),
            "{request:?}"
        );
        let all = format!("{:?}", request.headers);
        assert!(!all.contains(TOKEN), "{all}");
    }
}

#[tokio::test]
async fn an_expired_log_leaves_the_excerpt_empty() {
    let server = MockServer::start().await;
    jobs(&server).await;
    api("GET", "/repos/acme/web/actions/jobs/90002/logs")
        .respond_with(
            ResponseTemplate::new(410)
                .set_body_raw(r#"{"message":"Logs have expired"}"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let failed = client(&server).failed_jobs(7003).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].step_number, Some(3));
    assert_eq!(failed[0].log_excerpt, None);
}

#[tokio::test]
async fn job_log_reads_the_whole_log_and_refuses_a_redirect_without_location() {
    let server = MockServer::start().await;
    let host = log_host(1).await;
    api("GET", "/repos/acme/web/actions/jobs/90002/logs")
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!("{}/pipelines/logs/90002.txt?sig=s1gn3d", host.uri()).as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/repos/acme/web/actions/jobs/1/logs")
        .respond_with(ResponseTemplate::new(302))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server);
    let log = github.job_log(90002).await.unwrap();
    assert_eq!(log, resource("job_log.txt"));
    let err = github.job_log(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn failed_jobs_of_an_unknown_run_is_not_found() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/actions/runs/1/jobs")
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"message":"Not Found"}"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).failed_jobs(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.operation(), Some("list_jobs_for_workflow_run"));
}

#[tokio::test]
async fn an_unreachable_log_host_error_does_not_quote_the_signed_url() {
    let server = MockServer::start().await;
    api("GET", "/repos/acme/web/actions/jobs/90002/logs")
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            "http://127.0.0.1:1/pipelines/logs/90002.txt?sig=s1gn3d-secret",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).job_log(90002).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.operation(), Some("download_job_log_file"));
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(!text.contains("s1gn3d-secret"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
}
