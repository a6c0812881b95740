//! A whole incident driven by `ir-core`'s `Runner` with the three real notifiers (this crate,
//! `ir-slack`, `ir-pagerduty`) on wiremock and the in-memory platform: what each provider
//! received. Threading under the first Slack message and recording provider ids are the
//! runner's to do (it calls `post` and `publish` today); this test pins what holds already.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use ir_core::SeverityPolicy;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::clock::{ManualClock, Timestamp};
use ir_core::incident::{Event, EventKind};
use ir_core::memory::InMemoryIncidentStore;
use ir_core::model::{Deployment, DeploymentId, DeploymentStatus, LogLine};
use ir_core::playbook::{Providers, Symptoms};
use ir_core::ports::{AutoApprove, IncidentStore, LogStream};
use ir_core::runner::{Outcome, Runner, RunnerConfig};
use ir_pagerduty::{PagerDutyClient, PagerDutyConfig};
use ir_slack::{SlackAuth, SlackClient, SlackConfig};
use ir_statuspage::StatuspageClient;
use ir_testkit::{InMemoryLogs, InMemoryPlatform, ScriptedHealthProbe};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn t(min: i64) -> Timestamp {
    start() + chrono::Duration::minutes(min)
}

#[tokio::test]
async fn a_crash_loop_pages_posts_and_walks_one_status_page_incident() {
    let server = MockServer::start().await;
    // PagerDuty.
    Mock::given(method("POST"))
        .and(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(202).set_body_raw(
            r#"{"status":"success","message":"Event processed","dedup_key":"k"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    // Slack.
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"ok":true,"channel":"C0INCIDENT","ts":"1770564600.000100","message":{"type":"message","text":"x","ts":"1770564600.000100"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    // Statuspage.
    unresolved()
        .respond_with(none_unresolved())
        .expect(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(incident_json())
        .expect(1)
        .mount(&server)
        .await;
    any_patch()
        .respond_with(incident_json())
        .expect(3)
        .mount(&server)
        .await;

    // The adapters pace on their own clock, so the runner's time is not moved by them.
    let adapter_clock = ManualClock::at(start());
    let pager = PagerDutyClient::new(
        PagerDutyConfig::builder(SecretString::from("e93facc04764012d7bfb002500d5d1a6"))
            .with_base_url(server.uri())
            .with_client_options(options(&adapter_clock))
            .build()
            .unwrap(),
    )
    .unwrap();
    let slack = SlackClient::new(
        SlackConfig::builder(SlackAuth::BotToken(SecretString::from("xoxb-1-2-runner")))
            .with_base_url(format!("{}/api", server.uri()))
            .with_client_options(options(&adapter_clock))
            .build()
            .unwrap(),
    )
    .unwrap();
    let status = StatuspageClient::new(config(&server, &adapter_clock).build().unwrap()).unwrap();

    let clock = ManualClock::at(t(0));
    let store = Arc::new(InMemoryIncidentStore::with_clock(Arc::new(clock.clone())));
    let good = Deployment::new("d2", DeploymentStatus::Active, t(-240))
        .with_commit(
            "2222222222222222222222222222222222222222",
            Some("feat: pricing".into()),
        )
        .with_capabilities(true, true);
    let bad = Deployment::new("d3", DeploymentStatus::Crashed, t(-8))
        .with_commit(
            "3333333333333333333333333333333333333333",
            Some("feat: dashboard v2".into()),
        )
        .with_capabilities(true, true);
    let platform = InMemoryPlatform::new("web", vec![good, bad]);
    platform.set_active(Some(DeploymentId::new("d3")));
    let logs = InMemoryLogs::new();
    for line in [
        "TypeError: Cannot read properties of undefined (reading 'plan')",
        "npm ERR! code ELIFECYCLE: exited with code 1",
        "Container crashed, restarting",
    ] {
        logs.push(
            LogStream::Deployment(DeploymentId::new("d3")),
            LogLine::new(t(-4), None, line),
        );
    }
    let health = ScriptedHealthProbe::new("https://www.example.com");
    health.script("/health", [(503, "Service Unavailable"), (200, "ok")]);
    let providers = Providers::new()
        .with_deploy(Arc::new(platform))
        .with_logs(Arc::new(logs))
        .with_health(Arc::new(health))
        .with_chat(Arc::new(slack))
        .with_pager(Arc::new(pager))
        .with_status_page(Arc::new(status));
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    let detected = Event::new(
        t(0),
        "health-watcher",
        EventKind::detected(
            "Site down",
            "www.example.com",
            classify(&signals, &SeverityPolicy::runbook()),
            Some(t(-2)),
        ),
    );
    let opened = store
        .open("health:www.example.com", detected)
        .await
        .unwrap();
    let report = Runner::new(
        store.clone(),
        providers,
        Arc::new(clock.clone()),
        ir_core::scenarios::builtin(),
    )
    .with_approver(Arc::new(AutoApprove::new("alice")))
    .with_config(RunnerConfig::default())
    .unwrap()
    .run(opened.id, &Symptoms::new(signals))
    .await
    .unwrap();
    assert!(
        matches!(report.outcome, Outcome::Resolved { .. }),
        "{:?}",
        report.outcome
    );
    let incident = store.load(opened.id).await.unwrap().incident().unwrap();
    let dedup_key = incident.dedup_key().to_owned();

    let requests = server.received_requests().await.unwrap();
    let bodies = |p: &str| -> Vec<Value> {
        requests
            .iter()
            .filter(|r| r.url.path() == p)
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    };
    // PagerDuty: every event carries the incident's dedup key; triggered, then resolved once.
    let events = bodies("/v2/enqueue");
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e["dedup_key"] == json!(dedup_key)),
        "{events:?}"
    );
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"trigger"), "{actions:?}");
    assert_eq!(
        actions.iter().filter(|a| **a == "resolve").count(),
        1,
        "{actions:?}"
    );
    assert_eq!(actions.last(), Some(&"resolve"), "{actions:?}");
    // Slack: every message went to the runner's channel, as mrkdwn.
    let posts = bodies("/api/chat.postMessage");
    assert!(posts.len() >= 3, "{posts:?}");
    assert!(
        posts
            .iter()
            .all(|p| p["mrkdwn"] == json!(true) && p["channel"] == json!("#incident-response")),
        "{posts:?}"
    );
    // Statuspage: one incident created investigating, then identified, monitoring, resolved.
    let created = bodies(&format!("/v1/pages/{PAGE}/incidents"));
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["incident"]["status"], json!("investigating"));
    assert_eq!(
        created[0]["incident"]["metadata"]["ir"]["incident_key"],
        json!(dedup_key)
    );
    let patched = bodies(&format!("/v1/pages/{PAGE}/incidents/{INCIDENT}"));
    let statuses: Vec<&str> = patched
        .iter()
        .map(|p| p["incident"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["identified", "monitoring", "resolved"]);
}
