//! Every operation against every failure: each row of the status-to-error table, GraphQL
//! errors under HTTP 200, malformed bodies, 429 with `Retry-After`, timeouts, the token's
//! header, and `Debug` without the token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ir_core::clock::{Clock, ManualClock, SystemClock};
use ir_core::model::DeploymentId;
use ir_core::ports::{DeployPlatform, LogQuery, LogSource, LogStream, SetOptions, VariableStore};
use ir_core::{ErrorKind, Result};
use ir_http::{ClientOptions, RetryPolicy};
use ir_railway::{RailwayClient, RailwayConfig, RailwayToken};
use secrecy::SecretString;
use wiremock::{MockServer, ResponseTemplate};

/// Every call the client makes, by port method.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    ServiceStatus,
    ListDeployments,
    Deployment,
    Rollback,
    Redeploy,
    Restart,
    ListNames,
    Set,
    SetSkippingDeploys,
    Delete,
    DeploymentLogs,
    BuildLogs,
    EnvironmentLogs,
}

impl Op {
    const ALL: [Op; 13] = [
        Op::ServiceStatus,
        Op::ListDeployments,
        Op::Deployment,
        Op::Rollback,
        Op::Redeploy,
        Op::Restart,
        Op::ListNames,
        Op::Set,
        Op::SetSkippingDeploys,
        Op::Delete,
        Op::DeploymentLogs,
        Op::BuildLogs,
        Op::EnvironmentLogs,
    ];

    /// `operationName` and root field.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Op::ServiceStatus => ("ServiceInstance", "serviceInstance"),
            Op::ListDeployments => ("Deployments", "deployments"),
            Op::Deployment => ("Deployment", "deployment"),
            Op::Rollback => ("DeploymentRollback", "deploymentRollback"),
            Op::Redeploy => ("DeploymentRedeploy", "deploymentRedeploy"),
            Op::Restart => ("DeploymentRestart", "deploymentRestart"),
            Op::ListNames => ("Variables", "variables"),
            Op::Set | Op::SetSkippingDeploys => ("VariableUpsert", "variableUpsert"),
            Op::Delete => ("VariableDelete", "variableDelete"),
            Op::DeploymentLogs => ("DeploymentLogs", "deploymentLogs"),
            Op::BuildLogs => ("BuildLogs", "buildLogs"),
            Op::EnvironmentLogs => ("EnvironmentLogs", "environmentLogs"),
        }
    }

    /// Whether repeating the call is harmless (so it is retried after a timeout or a 5xx).
    fn idempotent(self) -> bool {
        !matches!(
            self,
            Op::Rollback | Op::Redeploy | Op::Restart | Op::Set | Op::Delete
        )
    }

    fn success(self) -> String {
        resource(match self {
            Op::ServiceStatus => "service_instance.json",
            Op::ListDeployments => "deployments_page_3.json",
            Op::Deployment => "deployment.json",
            Op::Rollback => "deployment_rollback.json",
            Op::Redeploy => "deployment_redeploy.json",
            Op::Restart => "deployment_restart.json",
            Op::ListNames => "variables.json",
            Op::Set | Op::SetSkippingDeploys => "variable_upsert.json",
            Op::Delete => "variable_delete.json",
            Op::DeploymentLogs => "deployment_logs.json",
            Op::BuildLogs => "build_logs.json",
            Op::EnvironmentLogs => "environment_logs.json",
        })
    }

    async fn run(self, railway: &RailwayClient) -> Result<()> {
        let id = DeploymentId::new("d-0005");
        let value = || SecretString::from("value-secret-42");
        match self {
            Op::ServiceStatus => railway.service_status().await.map(drop),
            Op::ListDeployments => railway.list_deployments(10).await.map(drop),
            Op::Deployment => railway.deployment(&id).await.map(drop),
            Op::Rollback => railway.rollback(&id).await,
            Op::Redeploy => railway.redeploy(&id).await.map(drop),
            Op::Restart => railway.restart(&id).await,
            Op::ListNames => railway.list_names().await.map(drop),
            Op::Set => {
                railway
                    .set("FEATURE_FLAG_X", value(), SetOptions::default())
                    .await
            }
            Op::SetSkippingDeploys => {
                railway
                    .set("FEATURE_FLAG_X", value(), SetOptions { skip_deploys: true })
                    .await
            }
            Op::Delete => railway.delete("FEATURE_FLAG_X").await,
            Op::DeploymentLogs => railway
                .logs(&LogQuery::new(LogStream::Deployment(id), 10))
                .await
                .map(drop),
            Op::BuildLogs => railway
                .logs(&LogQuery::new(LogStream::Build(id), 10))
                .await
                .map(drop),
            Op::EnvironmentLogs => railway
                .logs(&LogQuery::new(LogStream::Environment, 10))
                .await
                .map(drop),
        }
    }
}

fn no_retries(server: &MockServer) -> RailwayClient {
    let clock = ManualClock::at(start());
    RailwayClient::new(
        config(server, &clock)
            .with_client_options(options(&clock).with_retry_policy(RetryPolicy::none()))
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn every_operation_succeeds_on_its_recorded_answer() {
    for op in Op::ALL {
        let server = MockServer::start().await;
        any_graphql(op.names().0)
            .respond_with(ok(&op.success()))
            .expect(1)
            .mount(&server)
            .await;
        op.run(&client(&server))
            .await
            .unwrap_or_else(|e| panic!("{op:?}: {e}"));
    }
}

#[tokio::test]
async fn every_row_of_the_status_table_for_every_operation() {
    /// Status, extra response headers, the kind it means.
    type Row = (u16, &'static [(&'static str, &'static str)], ErrorKind);
    let rows: &[Row] = &[
        (400, &[], ErrorKind::InvalidInput),
        (401, &[], ErrorKind::Unauthenticated),
        (403, &[], ErrorKind::PermissionDenied),
        (
            403,
            &[("x-ratelimit-remaining", "0")],
            ErrorKind::RateLimited,
        ),
        (404, &[], ErrorKind::NotFound),
        (409, &[], ErrorKind::Conflict),
        (412, &[], ErrorKind::Conflict),
        (422, &[], ErrorKind::InvalidInput),
        (429, &[("retry-after", "30")], ErrorKind::RateLimited),
        (500, &[], ErrorKind::Unavailable),
        (502, &[], ErrorKind::Unavailable),
        (503, &[], ErrorKind::Unavailable),
        (504, &[], ErrorKind::Unavailable),
    ];
    for op in Op::ALL {
        let (name, root) = op.names();
        let server = MockServer::start().await;
        let railway = no_retries(&server);
        for (status, headers, kind) in rows {
            server.reset().await;
            let mut response = ResponseTemplate::new(*status).set_body_raw(
                r#"{"errors":[{"message":"upstream says no"}]}"#,
                "application/json",
            );
            for (header, value) in *headers {
                response = response.insert_header(*header, *value);
            }
            any_graphql(name)
                .respond_with(response)
                .expect(1)
                .mount(&server)
                .await;

            let result = op.run(&railway).await;
            server.verify().await;

            // An HTTP 404 is a wrong endpoint or a missing project, never "the variable is
            // already gone": `delete` reports it like every other operation.
            let err = result.unwrap_err();
            assert_eq!(err.kind(), *kind, "{op:?} HTTP {status} {headers:?}");
            assert_eq!(err.status(), Some(*status), "{op:?}");
            assert_eq!(err.provider(), Some("railway"));
            assert_eq!(err.operation(), Some(root));
            assert_eq!(err.message(), "upstream says no", "{op:?} {status}");
            if *status == 429 {
                assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
            }
        }
    }
}

#[tokio::test]
async fn graphql_errors_under_200_for_every_operation() {
    let cases = [
        (
            resource("error_not_authorized.json"),
            ErrorKind::Unauthenticated,
            "Not Authorized",
        ),
        (
            resource("error_two_factor.json"),
            ErrorKind::PermissionDenied,
            "Two Factor Authentication Required (workspace Acme)",
        ),
        (
            r#"{"errors":[{"message":"Problem processing request"}],"data":null}"#.to_owned(),
            ErrorKind::InvalidInput,
            "Problem processing request",
        ),
    ];
    for op in Op::ALL {
        for (body, kind, message) in &cases {
            let server = MockServer::start().await;
            any_graphql(op.names().0)
                .respond_with(ok(body))
                .expect(1)
                .mount(&server)
                .await;

            let err = op.run(&client(&server)).await.unwrap_err();

            assert_eq!(err.kind(), *kind, "{op:?}");
            assert_eq!(err.message(), *message, "{op:?}");
            assert_eq!(err.status(), Some(200));
            assert_eq!(err.operation(), Some(op.names().1));
        }
    }
}

#[tokio::test]
async fn malformed_bodies_for_every_operation() {
    let html = resource("cloudflare_access_denied.html");
    let bodies = [
        (html.as_str(), "text/html"),
        (r#"{"data":{"deploy"#, "application/json"),
        ("", "application/json"),
        (r#"{"data":{}}"#, "application/json"),
        (r#"{"data":null}"#, "application/json"),
        (
            r#"{"data":{"serviceInstance":42,"deployments":42,"deployment":42,"deploymentRollback":42,"deploymentRedeploy":42,"deploymentRestart":42,"variables":42,"variableUpsert":42,"variableDelete":42,"deploymentLogs":42,"buildLogs":42,"environmentLogs":42}}"#,
            "application/json",
        ),
    ];
    for op in Op::ALL {
        let server = MockServer::start().await;
        let railway = client(&server);
        for (body, mime) in bodies {
            server.reset().await;
            any_graphql(op.names().0)
                .respond_with(ResponseTemplate::new(200).set_body_raw(body, mime))
                .expect(1)
                .mount(&server)
                .await;

            let err = op.run(&railway).await.unwrap_err();
            server.verify().await;

            assert_eq!(err.kind(), ErrorKind::Protocol, "{op:?} {body:.30}: {err}");
            assert_eq!(err.operation(), Some(op.names().1));
        }
    }
}

#[tokio::test]
async fn a_cloudflare_page_under_403_names_itself() {
    let server = MockServer::start().await;
    any_graphql("ServiceInstance")
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_raw(resource("cloudflare_access_denied.html"), "text/html"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).service_status().await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(
        err.message().starts_with(
            "an HTML page titled \"Access denied | backboard.railway.com used Cloudflare to restrict access\""
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds_for_every_operation() {
    for op in Op::ALL {
        let server = MockServer::start().await;
        any_graphql(op.names().0)
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "3")
                    .insert_header("x-ratelimit-limit", "1000")
                    .insert_header("x-ratelimit-remaining", "0"),
            )
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        any_graphql(op.names().0)
            .respond_with(ok(&op.success()))
            .expect(1)
            .mount(&server)
            .await;
        let clock = ManualClock::at(start());
        let railway = RailwayClient::new(config(&server, &clock).build().unwrap()).unwrap();

        op.run(&railway)
            .await
            .unwrap_or_else(|e| panic!("{op:?}: {e}"));

        assert_eq!(
            (clock.now() - start()).to_std().unwrap(),
            Duration::from_secs(3),
            "{op:?} waited what Retry-After asked"
        );
    }
}

#[tokio::test]
async fn a_timeout_is_retried_only_for_idempotent_operations() {
    for op in Op::ALL {
        let server = MockServer::start().await;
        let attempts: u64 = if op.idempotent() { 2 } else { 1 };
        // An answer far slower than the attempt timeout. The client's count of attempts is
        // asserted below; on a busy machine the last request may not have reached the server
        // before it timed out, so the server checks only that nothing was repeated too often.
        any_graphql(op.names().0)
            .respond_with(ok(&op.success()).set_delay(Duration::from_secs(5)))
            .expect(..=attempts)
            .mount(&server)
            .await;
        // Real time: the attempt timeout must cut a request the server is still holding. (On
        // a manual clock it fires only when something moves time; see ir-http's tests.)
        let railway = RailwayClient::new(
            config(&server, &ManualClock::at(start()))
                .with_client_options(
                    ClientOptions::default()
                        .with_clock(Arc::new(SystemClock))
                        .with_attempt_timeout(Duration::from_millis(100))
                        .with_retry_policy(
                            RetryPolicy::default()
                                .with_max_attempts(2)
                                .with_initial_backoff(Duration::from_millis(10)),
                        ),
                )
                .build()
                .unwrap(),
        )
        .unwrap();

        let err = op.run(&railway).await.unwrap_err();

        assert_eq!(err.kind(), ErrorKind::Timeout, "{op:?}: {err}");
        assert_eq!(err.operation(), Some(op.names().1));
        assert_eq!(
            err.may_have_taken_effect(),
            !op.idempotent(),
            "{op:?}: {err:?}"
        );
        assert_eq!(
            err.to_string()
                .contains("not idempotent and may have taken effect"),
            !op.idempotent(),
            "{op:?}: {err}"
        );
        let tried = if op.idempotent() {
            "(2 attempts)"
        } else {
            "(1 attempt;"
        };
        assert!(err.message().contains(tried), "{op:?}: {err}");
    }
}

#[tokio::test]
async fn a_5xx_is_retried_only_for_idempotent_operations() {
    for op in Op::ALL {
        let server = MockServer::start().await;
        any_graphql(op.names().0)
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        any_graphql(op.names().0)
            .respond_with(ok(&op.success()))
            .expect(u64::from(op.idempotent()))
            .mount(&server)
            .await;

        let result = op.run(&client(&server)).await;

        if op.idempotent() {
            result.unwrap_or_else(|e| panic!("{op:?}: {e}"));
        } else {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::Unavailable, "{op:?}");
        }
    }
}

/// Railway's answer when its own server fails: HTTP 200, the error in the body.
const INTERNAL_SERVER_ERROR: &str = r#"{"errors":[{"message":"Problem processing request","extensions":{"code":"INTERNAL_SERVER_ERROR"}}],"data":null}"#;

#[tokio::test]
async fn an_internal_server_error_under_200_is_an_outage_retried_only_for_idempotent_operations() {
    for op in Op::ALL {
        let server = MockServer::start().await;
        any_graphql(op.names().0)
            .respond_with(ok(INTERNAL_SERVER_ERROR))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        any_graphql(op.names().0)
            .respond_with(ok(&op.success()))
            .expect(u64::from(op.idempotent()))
            .mount(&server)
            .await;

        let result = op.run(&client(&server)).await;

        if op.idempotent() {
            result.unwrap_or_else(|e| panic!("{op:?}: {e}"));
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unavailable, "{op:?}: {err}");
            assert!(err.is_temporary(), "{op:?}");
            assert_eq!(err.status(), Some(200));
            // Railway's server failed while handling the change: reconcile, do not repeat.
            assert!(err.may_have_taken_effect(), "{op:?}: {err:?}");
        }
    }
}

/// A server that reads each request, answers `200` with a `Content-Length` of 4096 and only
/// the first bytes of a body, then closes the connection.
async fn cutting_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then the body its Content-Length announces.
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n";
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(br#"{"data":{"deploymentRoll"#).await;
                let _ = socket.flush().await;
            });
        }
    });
    format!("http://{address}{GRAPHQL_PATH}")
}

#[tokio::test]
async fn a_mutation_whose_answer_is_cut_off_may_have_taken_effect() {
    let base = cutting_server().await;
    let clock = ManualClock::at(start());
    let railway = RailwayClient::new(
        RailwayConfig::builder(
            RailwayToken::Project(SecretString::from(TOKEN)),
            PROJECT,
            ENVIRONMENT,
            SERVICE,
        )
        .with_base_url(base)
        .with_client_options(options(&clock))
        .build()
        .unwrap(),
    )
    .unwrap();
    for op in [Op::Rollback, Op::Redeploy, Op::Restart, Op::Set] {
        let err = op.run(&railway).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{op:?}: {err}");
        assert!(err.may_have_taken_effect(), "{op:?}: {err:?}");
        assert!(
            err.to_string()
                .ends_with("may have taken effect: re-read the state before repeating it"),
            "{op:?}: {err}"
        );
    }
    // A query is retried, then reported without the warning: repeating it is harmless.
    let err = Op::Deployment.run(&railway).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(!err.may_have_taken_effect(), "{err:?}");
    assert!(!err.to_string().contains("taken effect"), "{err}");
}

#[tokio::test]
async fn account_tokens_travel_as_bearer() {
    let server = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(GRAPHQL_PATH))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer rw-account-token-77",
        ))
        .respond_with(ok(&resource("service_instance.json")))
        .expect(1)
        .mount(&server)
        .await;
    let railway = RailwayClient::new(
        config_with(
            &server,
            RailwayToken::Account(SecretString::from("rw-account-token-77")),
            options(&ManualClock::at(start())),
        )
        .build()
        .unwrap(),
    )
    .unwrap();

    railway.service_status().await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert!(
        requests[0].headers.get("project-access-token").is_none(),
        "an account token is never sent as a project token"
    );
}

#[tokio::test]
async fn debug_of_config_client_and_errors_omits_the_token() {
    let server = MockServer::start().await;
    any_graphql("DeploymentRollback")
        .respond_with(ok(&resource("error_not_authorized.json")))
        .mount(&server)
        .await;
    let config = config(&server, &ManualClock::at(start())).build().unwrap();
    let railway = RailwayClient::new(config.clone()).unwrap();
    let err = railway
        .rollback(&DeploymentId::new("d-0005"))
        .await
        .unwrap_err();
    let from_env = RailwayConfig::from_lookup(|name| match name {
        "RAILWAY_TOKEN" => Some(TOKEN.to_owned()),
        _ => None,
    })
    .unwrap_err();

    for text in [
        format!("{config:?}"),
        format!("{railway:?}"),
        format!("{err:?} {err}"),
        format!("{from_env:?} {from_env}"),
    ] {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    assert!(format!("{config:?}").contains("RailwayToken::Project(<redacted>)"));
}
