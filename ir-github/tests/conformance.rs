//! `ir-core`'s `CodeHost` conformance suite, run against `GithubClient` talking to a stateful
//! fake of GitHub's REST and GraphQL APIs on wiremock.
//!
//! The fake answers in GitHub's shapes (the recorded resources of `tests/resources`), pages
//! deployments with `Link` headers, filters runs by `branch` and `status`, answers 404 for an
//! unknown workflow or run, redirects job logs to a second host that refuses any request
//! carrying a token, numbers issues as it files them, and checks that every API request
//! carries the token and GitHub's headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Mutex;

use common::*;
use ir_core::model::{FailedJob, RunConclusion, WorkflowRun};
use ir_core::ports::{CodeDeployment, RevertRequest};
use ir_testkit::CodeHostFixture;
use ir_testkit::conformance::code_host;
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct FakeGithub {
    base: String,
    log_host: String,
    deployments: Vec<Value>,
    runs: Vec<Value>,
    jobs: Value,
    next_issue: Mutex<u64>,
}

fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw(
        r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}"#,
        "application/json",
    )
}

impl Respond for FakeGithub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let accept = request.headers.get("accept").and_then(|v| v.to_str().ok());
        let version = request
            .headers
            .get("x-github-api-version")
            .and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Bearer {TOKEN}"))
            || accept != Some("application/vnd.github+json")
            || version != Some("2022-11-28")
        {
            return ResponseTemplate::new(401)
                .set_body_raw(r#"{"message":"Bad credentials"}"#, "application/json");
        }
        let segments: Vec<&str> = request
            .url
            .path()
            .trim_start_matches('/')
            .split('/')
            .collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["repos", "acme", "web", "deployments"]) => {
                let per_page: usize = query(request, "per_page")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(30);
                let page: usize = query(request, "page")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                let items: Vec<&Value> = self
                    .deployments
                    .iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .collect();
                let mut response = ok_json(&serde_json::to_string(&items).unwrap());
                if page * per_page < self.deployments.len() {
                    response = response.insert_header(
                        "link",
                        format!(
                            "<{}/repos/acme/web/deployments?per_page={per_page}&page={}>; rel=\"next\"",
                            self.base,
                            page + 1
                        )
                        .as_str(),
                    );
                }
                response
            }
            ("GET", ["repos", "acme", "web", "deployments", id, "statuses"]) => {
                let state = if *id == "1906" { "failure" } else { "success" };
                ok_json(
                    &json!([{"id": 1, "state": state, "created_at": "2026-02-08T15:14:40Z"}])
                        .to_string(),
                )
            }
            (
                "GET",
                [
                    "repos",
                    "acme",
                    "web",
                    "actions",
                    "workflows",
                    "cd-production.yml",
                    "runs",
                ],
            ) => {
                let branch = query(request, "branch");
                let status = query(request, "status");
                let runs: Vec<&Value> = self
                    .runs
                    .iter()
                    .filter(|r| branch.as_deref().is_none_or(|b| r["head_branch"] == b))
                    .filter(|r| {
                        status
                            .as_deref()
                            .is_none_or(|s| r["status"] == s || r["conclusion"] == s)
                    })
                    .collect();
                ok_json(&json!({"total_count": runs.len(), "workflow_runs": runs}).to_string())
            }
            ("GET", ["repos", "acme", "web", "actions", "runs", "7003", "jobs"]) => {
                ok_json(&self.jobs.to_string())
            }
            ("GET", ["repos", "acme", "web", "actions", "jobs", id, "logs"]) => {
                ResponseTemplate::new(302).insert_header(
                    "location",
                    format!("{}/logs/{id}.txt?sig=abc", self.log_host).as_str(),
                )
            }
            ("POST", ["repos", "acme", "web", "issues"]) => {
                let body: Value = serde_json::from_slice(&request.body).unwrap();
                if body["title"].as_str().is_none_or(str::is_empty) {
                    return ResponseTemplate::new(422);
                }
                let mut next = self.next_issue.lock().unwrap();
                *next += 1;
                let mut issue = json_resource("issue_created.json");
                issue["number"] = (*next).into();
                issue["html_url"] = format!("https://github.com/acme/web/issues/{next}").into();
                issue["title"] = body["title"].clone();
                ResponseTemplate::new(201).set_body_raw(issue.to_string(), "application/json")
            }
            ("GET", ["repos", "acme", "web", "commits", _, "pulls"]) => {
                ok_json(&resource("commit_pulls_merged.json"))
            }
            ("POST", ["graphql"]) => {
                let body: Value = serde_json::from_slice(&request.body).unwrap();
                if body["operationName"] != "RevertPullRequest"
                    || body["variables"]["input"]["pullRequestId"] != "PR_kwDOAcme417"
                {
                    return ok_json(
                        r#"{"errors":[{"type":"NOT_FOUND","message":"Could not resolve to a node"}]}"#,
                    );
                }
                ok_json(&resource("revert_pull_request.json"))
            }
            _ => not_found(),
        }
    }
}

#[tokio::test]
async fn github_client_conforms_to_the_code_host_suite() {
    let server = MockServer::start().await;
    let log_host = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/logs/90002.txt"))
        .and(|request: &Request| !request.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_string(resource("job_log.txt")))
        .mount(&log_host)
        .await;

    let mut deployments: Vec<Value> = Vec::new();
    for page in 1..=3 {
        let items: Vec<Value> =
            serde_json::from_str(&resource(&format!("deployments_page_{page}.json"))).unwrap();
        deployments.extend(items);
    }
    let runs = json_resource("workflow_runs.json")["workflow_runs"]
        .as_array()
        .unwrap()
        .clone();
    Mock::given(any())
        .respond_with(FakeGithub {
            base: server.uri(),
            log_host: log_host.uri(),
            deployments: deployments.clone(),
            runs: runs.clone(),
            jobs: json_resource("jobs.json"),
            next_issue: Mutex::new(417),
        })
        .mount(&server)
        .await;

    let fixture = CodeHostFixture {
        deployments: deployments
            .iter()
            .map(|d| {
                CodeDeployment::new(
                    d["id"].as_u64().unwrap(),
                    d["sha"].as_str().unwrap(),
                    d["ref"].as_str().unwrap(),
                    d["environment"].as_str().unwrap(),
                    d["created_at"].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect(),
        workflow: "cd-production.yml".into(),
        runs: runs
            .iter()
            .map(|r| {
                let mut run = WorkflowRun::new(
                    r["id"].as_u64().unwrap(),
                    r["name"].as_str().unwrap(),
                    r["head_sha"].as_str().unwrap(),
                    r["status"].as_str().unwrap(),
                    r["conclusion"].as_str().map(RunConclusion::parse),
                    r["created_at"].as_str().unwrap().parse().unwrap(),
                );
                run.head_branch = r["head_branch"].as_str().map(str::to_owned);
                run
            })
            .collect(),
        failed_run: 7003,
        failed_jobs: vec![
            FailedJob::new(90002, "build")
                .with_step(3, "Run npm run build")
                .with_log_excerpt(
                    "##[group]Run npm run build\nnpm run build\nshell: /usr/bin/bash -e {0}\n\
                     ##[endgroup]\n> web@1.4.2 build\n> node scripts/build.js\n\
                     Error: Cannot find module './config/production'\n    \
                     at Module._resolveFilename (node:internal/modules/cjs/loader:1145:15)\n\
                     ##[error]Process completed with exit code 1.",
                ),
        ],
        unknown_run: 1,
        revert: RevertRequest {
            commit_sha: "9f2c1a7e5b3d4c6a8e0f1b2c3d4e5f6a7b8c9d0e".into(),
            base: "main".into(),
            title: "Revert \"Move config loading\"".into(),
            body: "Reverts the change behind the incident.".into(),
        },
    };
    let clock = ir_core::clock::ManualClock::at(start());
    // Two deployments a page, so the suite's listing goes over three pages.
    let github =
        ir_github::GithubClient::new(config(&server, &clock).with_page_size(2).build().unwrap())
            .unwrap();
    code_host::run_all(&github, &fixture).await;
}
