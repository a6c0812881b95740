//! Through `ir-core`'s `Runner`: a run that crashed after recording the intent to open a revert
//! pull request, and after GitHub opened it, but before recording the outcome, is resumed by a
//! fresh `Runner` on the same store. The resumed run asks GitHub for what carries the action's
//! marker (`find_filed`), finds the pull request, records it as the outcome and does not open a
//! second one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use ir_core::SeverityPolicy;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::clock::{ManualClock, Timestamp};
use ir_core::incident::{ActionState, Event, EventKind};
use ir_core::memory::InMemoryIncidentStore;
use ir_core::model::{ActionKind, Deployment, DeploymentId, DeploymentStatus, LogLine};
use ir_core::playbook::{Providers, Symptoms};
use ir_core::ports::{AutoApprove, IncidentStore, LogStream, filed_marker};
use ir_core::runner::{Runner, RunnerConfig};
use ir_github::GithubClient;
use ir_testkit::{FaultyStore, InMemoryLogs, InMemoryPlatform, ScriptedHealthProbe};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The commit the bad deployment runs: merged as pull request 417 (`commit_pulls_merged.json`).
const SHA: &str = "9f2c1a7e5b3d4c6a8e0f1b2c3d4e5f6a7b8c9d0e";

fn t(min: i64) -> Timestamp {
    start() + chrono::Duration::minutes(min)
}

fn signals() -> Signals {
    Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    }
}

/// A crash-looping deployment with no earlier one to roll back to: the runbook's manual
/// rollback, a revert pull request of its commit.
fn providers(
    server: &MockServer,
    platform: &InMemoryPlatform,
    logs: &Arc<InMemoryLogs>,
    health: &Arc<ScriptedHealthProbe>,
) -> Providers {
    let github =
        GithubClient::new(config(server, &ManualClock::at(start())).build().unwrap()).unwrap();
    Providers::new()
        .with_deploy(Arc::new(platform.clone()))
        .with_logs(logs.clone())
        .with_health(health.clone())
        .with_code(Arc::new(github))
}

fn runner(store: Arc<dyn IncidentStore>, providers: Providers, clock: &ManualClock) -> Runner {
    Runner::new(
        store,
        providers,
        Arc::new(clock.clone()),
        ir_core::scenarios::builtin(),
    )
    .with_approver(Arc::new(AutoApprove::new("alice")))
    .with_config(RunnerConfig::default())
    .unwrap()
}

#[tokio::test]
async fn a_resumed_run_finds_the_revert_pull_request_it_opened_and_does_not_open_another() {
    let bad = Deployment::new("d3", DeploymentStatus::Crashed, t(-8))
        .with_commit(SHA, Some("Move config loading".into()))
        .with_capabilities(true, true);
    let platform = InMemoryPlatform::new("web", vec![bad]);
    platform.set_active(Some(DeploymentId::new("d3")));
    let logs = InMemoryLogs::new();
    for line in [
        "Error: Cannot find module './config'",
        "npm ERR! code ELIFECYCLE: exited with code 1",
        "Container crashed, restarting",
    ] {
        logs.push(
            LogStream::Deployment(DeploymentId::new("d3")),
            LogLine::new(t(-4), None, line),
        );
    }
    let logs = Arc::new(logs);
    let health = ScriptedHealthProbe::new("https://www.example.com");
    health.script("/health", [(503, "Service Unavailable"), (200, "ok")]);
    let health = Arc::new(health);

    let clock = ManualClock::at(t(0));
    let memory = Arc::new(InMemoryIncidentStore::with_clock(Arc::new(clock.clone())));
    let store = Arc::new(FaultyStore::new(memory.clone()));
    let detected = Event::new(
        t(0),
        "health-watcher",
        EventKind::detected(
            "Site down",
            "www.example.com",
            classify(&signals(), &SeverityPolicy::runbook()),
            Some(t(-2)),
        ),
    );
    let id = store
        .open("health:www.example.com", detected)
        .await
        .unwrap()
        .id;

    // The first run: GitHub opens the revert (pull request 422), then the store fails to record
    // the outcome, as a crash there would.
    let server = MockServer::start().await;
    api("GET", &format!("/repos/acme/web/commits/{SHA}/pulls"))
        .respond_with(ok_json(&resource("commit_pulls_merged.json")))
        .expect(1)
        .mount(&server)
        .await;
    api("POST", "/graphql")
        .respond_with(ok_json(&resource("revert_pull_request.json")))
        .expect(1)
        .mount(&server)
        .await;
    store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let err = runner(
        store.clone(),
        providers(&server, &platform, &logs, &health),
        &clock,
    )
    .run(id, &Symptoms::new(signals()))
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ir_core::ErrorKind::Unavailable, "{err}");
    let stopped = memory.load(id).await.unwrap().incident().unwrap();
    let interrupted: Vec<_> = stopped.interrupted_actions().collect();
    assert_eq!(interrupted.len(), 1);
    assert!(
        matches!(
            &interrupted[0].action.kind,
            ActionKind::OpenRevertPr { commit_sha, base } if commit_sha == SHA && base == "main"
        ),
        "{:?}",
        interrupted[0].action
    );
    let key = interrupted[0].action.key.clone();
    let marker = filed_marker(&key);
    // What was sent to GitHub carries the action's marker.
    let requests = server.received_requests().await.unwrap();
    let mutation: Value = requests
        .iter()
        .find(|r| r.url.path() == "/graphql")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .unwrap();
    let body = mutation["variables"]["input"]["body"].as_str().unwrap();
    assert!(body.ends_with(&marker), "{body}");
    server.verify().await;

    // The resumed run, a fresh `Runner` with a fresh client: the repository's newest issues
    // and pull requests hold pull request 420 carrying the marker; nothing is reverted again.
    let server = MockServer::start().await;
    let listing = resource("recent_issues.json").replace("<!-- ir:key=revert-9f2c1a7 -->", &marker);
    assert!(listing.contains(&marker));
    api("GET", "/repos/acme/web/issues")
        .respond_with(ok_json(&listing))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", &format!("/repos/acme/web/commits/{SHA}/pulls"))
        .respond_with(ok_json(&resource("commit_pulls_merged.json")))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let report = runner(
        store.clone(),
        providers(&server, &platform, &logs, &health),
        &clock,
    )
    .run(id, &Symptoms::new(signals()))
    .await
    .unwrap();
    let record = report.incident.action(&key).unwrap();
    assert_eq!(record.state, ActionState::Succeeded);
    let detail = report
        .incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::ActionSucceeded { key: k, detail } if *k == key => Some(detail.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        detail.contains("#420 https://github.com/acme/web/pull/420")
            && detail.contains("not filed again"),
        "{detail}"
    );
    // No second revert action was proposed either.
    assert_eq!(
        report
            .incident
            .actions()
            .filter(|a| matches!(a.action.kind, ActionKind::OpenRevertPr { .. }))
            .count(),
        1
    );
    server.verify().await;
}
