//! A whole incident driven by `ir-core`'s `Runner` with the three real notifiers (this crate,
//! `ir-slack`, `ir-pagerduty`) on wiremock and the in-memory platform: what each provider
//! received. The runner records the providers' ids (Slack's `ts`, the Statuspage incident id)
//! in the timeline, threads everything after the initial notification under it, and updates
//! the one Statuspage incident it created, also after a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use ir_core::SeverityPolicy;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::clock::{ManualClock, Timestamp};
use ir_core::incident::{Event, EventKind, Incident};
use ir_core::memory::InMemoryIncidentStore;
use ir_core::model::{
    Deployment, DeploymentId, DeploymentStatus, IncidentId, LogLine, MessageKind,
};
use ir_core::playbook::{Providers, Symptoms};
use ir_core::ports::{AutoApprove, IncidentStore, LogStream};
use ir_core::runner::{Outcome, RunReport, Runner, RunnerConfig, UnmeasuredCriteria};
use ir_pagerduty::{PagerDutyClient, PagerDutyConfig};
use ir_slack::{SlackAuth, SlackClient, SlackConfig};
use ir_statuspage::StatuspageClient;
use ir_testkit::{FaultyStore, InMemoryLogs, InMemoryPlatform, ScriptedHealthProbe};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The channel id Slack answers with (the runner posts to `#incident-response`).
const CHANNEL: &str = "C0INCIDENT";

fn t(min: i64) -> Timestamp {
    start() + chrono::Duration::minutes(min)
}

/// `chat.postMessage` answering a new `ts` per message: `1770564600.000001`, `...002`, ...
struct SlackPosts(AtomicU64);

impl Respond for SlackPosts {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let ts = format!("1770564600.{n:06}");
        ResponseTemplate::new(200).set_body_raw(
            json!({"ok": true, "channel": CHANNEL, "ts": ts,
                   "message": {"type": "message", "text": "x", "ts": ts}})
            .to_string(),
            "application/json",
        )
    }
}

/// PagerDuty and Slack, answering everything.
async fn mount_pager_and_slack(server: &MockServer, first_ts: u64) {
    Mock::given(method("POST"))
        .and(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(202).set_body_raw(
            r#"{"status":"success","message":"Event processed","dedup_key":"k"}"#,
            "application/json",
        ))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(SlackPosts(AtomicU64::new(first_ts)))
        .mount(server)
        .await;
}

/// The world the runner acts on, shared by a first run and its resumption.
struct World {
    platform: InMemoryPlatform,
    logs: Arc<InMemoryLogs>,
    health: Arc<ScriptedHealthProbe>,
    clock: ManualClock,
}

impl World {
    fn new() -> Self {
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
        Self {
            platform,
            logs: Arc::new(logs),
            health: Arc::new(health),
            clock: ManualClock::at(t(0)),
        }
    }

    /// Fresh clients for the three providers on `server` (a new process: nothing cached).
    fn providers(&self, server: &MockServer) -> Providers {
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
        let status =
            StatuspageClient::new(config(server, &adapter_clock).build().unwrap()).unwrap();
        Providers::new()
            .with_deploy(Arc::new(self.platform.clone()))
            .with_logs(self.logs.clone())
            .with_health(self.health.clone())
            .with_chat(Arc::new(slack))
            .with_pager(Arc::new(pager))
            .with_status_page(Arc::new(status))
    }

    fn signals() -> Signals {
        Signals {
            health: Some(Reachability::Status(503)),
            ..Signals::default()
        }
    }

    async fn open(&self, store: &dyn IncidentStore) -> IncidentId {
        let detected = Event::new(
            t(0),
            "health-watcher",
            EventKind::detected(
                "Site down",
                "www.example.com",
                classify(&Self::signals(), &SeverityPolicy::runbook()),
                Some(t(-2)),
            ),
        );
        store
            .open("health:www.example.com", detected)
            .await
            .unwrap()
            .id
    }

    /// A fresh `Runner` on `store` with fresh clients on `server`, run once.
    async fn run(
        &self,
        server: &MockServer,
        store: Arc<dyn IncidentStore>,
        id: IncidentId,
    ) -> ir_core::Result<RunReport> {
        Runner::new(
            store,
            self.providers(server),
            Arc::new(self.clock.clone()),
            ir_core::scenarios::builtin(),
        )
        .with_approver(Arc::new(AutoApprove::new("alice")))
        .with_config({
            // No error tracker here: resolved on the health checks, by policy.
            let mut config = RunnerConfig::default();
            config.unmeasured = UnmeasuredCriteria::ResolveOnHealth;
            config
        })
        .unwrap()
        .run(id, &Symptoms::new(Self::signals()))
        .await
    }
}

/// The JSON bodies of the requests `server` received on path `p`, in order.
async fn bodies(server: &MockServer, p: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == p)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// The provider ids the timeline recorded for messages of `kind`.
fn recorded(incident: &Incident, want: impl Fn(MessageKind) -> bool) -> Vec<Option<String>> {
    incident
        .timeline()
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::MessagePosted {
                kind, provider_id, ..
            } if want(*kind) => Some(provider_id.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_crash_loop_pages_posts_in_one_thread_and_walks_one_status_page_incident() {
    let server = MockServer::start().await;
    mount_pager_and_slack(&server, 0).await;
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
        .and(path(format!("/v1/pages/{PAGE}/incidents/{INCIDENT}")))
        .respond_with(incident_json())
        .expect(3)
        .mount(&server)
        .await;

    let world = World::new();
    let store = Arc::new(InMemoryIncidentStore::with_clock(Arc::new(
        world.clock.clone(),
    )));
    let id = world.open(store.as_ref()).await;
    let report = world.run(&server, store.clone(), id).await.unwrap();
    assert!(
        matches!(report.outcome, Outcome::Resolved { .. }),
        "{:?}",
        report.outcome
    );
    let incident = store.load(id).await.unwrap().incident().unwrap();
    let dedup_key = incident.dedup_key().to_owned();

    // PagerDuty: every event carries the incident's dedup key (one PagerDuty incident); the
    // on-call page is triggered first and resolved once, last. Nobody acknowledged (the
    // default policy leaves that to a person), so the page was not acknowledged either.
    let events = bodies(&server, "/v2/enqueue").await;
    assert!(
        events.iter().all(|e| e["dedup_key"] == json!(dedup_key)),
        "{events:?}"
    );
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "trigger", "{actions:?}");
    let count = |a: &str| actions.iter().filter(|x| **x == a).count();
    assert_eq!(count("acknowledge"), 0, "{actions:?}");
    assert_eq!(count("resolve"), 1, "{actions:?}");
    assert_eq!(actions.last(), Some(&"resolve"), "{actions:?}");

    // Slack: the initial notification is the thread root, recorded with its `ts`; every later
    // message is a reply in its thread.
    let (channel, root) = incident.chat_thread().expect("the thread root is recorded");
    assert_eq!(channel, CHANNEL);
    let posts = bodies(&server, "/api/chat.postMessage").await;
    assert!(
        posts.iter().all(|p| p["mrkdwn"] == json!(true)),
        "{posts:?}"
    );
    let root_at = (1..=posts.len())
        .position(|n| format!("1770564600.{n:06}") == root)
        .expect("the root is one of the posts");
    for p in &posts[..=root_at] {
        assert_eq!(p["channel"], json!("#incident-response"), "{p}");
        assert!(p.get("thread_ts").is_none(), "{p}");
    }
    let replies = &posts[root_at + 1..];
    assert!(replies.len() >= 3, "{posts:?}");
    for p in replies {
        assert_eq!(p["channel"], json!(CHANNEL), "{p}");
        assert_eq!(p["thread_ts"], json!(root), "{p}");
    }
    // Every chat message in the timeline has Slack's `ts`, each a different one.
    let ts = recorded(&incident, |k| {
        !matches!(
            k,
            MessageKind::StatusPage(_)
                | MessageKind::Page
                | MessageKind::PageAcknowledgement
                | MessageKind::PageResolution
        )
    });
    assert_eq!(ts.len(), posts.len());
    assert!(ts.iter().all(Option::is_some), "{ts:?}");
    let kinds = |k: MessageKind| recorded(&incident, move |x| x == k).len();
    assert_eq!(kinds(MessageKind::InitialNotification), 1);
    assert_eq!(kinds(MessageKind::ResolutionNotification), 1);

    // Statuspage: one incident created investigating, then identified, monitoring, resolved by
    // PATCH on its id, which the timeline records for each update.
    let created = bodies(&server, &format!("/v1/pages/{PAGE}/incidents")).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["incident"]["status"], json!("investigating"));
    assert_eq!(
        created[0]["incident"]["metadata"]["ir"]["incident_key"],
        json!(dedup_key)
    );
    let patched = bodies(&server, &format!("/v1/pages/{PAGE}/incidents/{INCIDENT}")).await;
    let statuses: Vec<&str> = patched
        .iter()
        .map(|p| p["incident"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["identified", "monitoring", "resolved"]);
    assert_eq!(incident.status_page_incident(), Some(INCIDENT));
    assert_eq!(
        recorded(&incident, |k| matches!(k, MessageKind::StatusPage(_))),
        vec![Some(INCIDENT.to_owned()); 4]
    );
}

/// A first run stops when the store fails to record the rollback's outcome; a fresh `Runner`
/// with fresh clients on the same store finishes the incident in the same Slack thread and on
/// the same Statuspage incident, which it neither looks up nor creates again.
#[tokio::test]
async fn a_resumed_run_posts_in_the_same_thread_and_updates_the_same_status_page_incident() {
    let server = MockServer::start().await;
    mount_pager_and_slack(&server, 0).await;
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
        .mount(&server)
        .await;

    let world = World::new();
    let memory = Arc::new(InMemoryIncidentStore::with_clock(Arc::new(
        world.clock.clone(),
    )));
    let store = Arc::new(FaultyStore::new(memory.clone()));
    let id = world.open(store.as_ref()).await;
    store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let err = world.run(&server, store.clone(), id).await.unwrap_err();
    assert_eq!(err.kind(), ir_core::ErrorKind::Unavailable, "{err}");
    let stopped = memory.load(id).await.unwrap().incident().unwrap();
    assert_eq!(stopped.interrupted_actions().count(), 1);
    let (_, root) = stopped.chat_thread().expect("the thread root is recorded");
    let root = root.to_owned();
    assert_eq!(stopped.status_page_incident(), Some(INCIDENT));
    let first = bodies(&server, &format!("/v1/pages/{PAGE}/incidents/{INCIDENT}")).await;
    let first: Vec<&str> = first
        .iter()
        .map(|p| p["incident"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["identified"]);
    server.verify().await;

    // The resumed run: new ids from Slack, no lookup and no creation on Statuspage.
    server.reset().await;
    mount_pager_and_slack(&server, 100).await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(0)
        .mount(&server)
        .await;
    any_create()
        .respond_with(incident_json())
        .expect(0)
        .mount(&server)
        .await;
    any_patch()
        .and(path(format!("/v1/pages/{PAGE}/incidents/{INCIDENT}")))
        .respond_with(incident_json())
        .expect(2)
        .mount(&server)
        .await;
    let report = world.run(&server, store.clone(), id).await.unwrap();
    assert!(
        matches!(report.outcome, Outcome::Resolved { .. }),
        "{:?}",
        report.outcome
    );
    let posts = bodies(&server, "/api/chat.postMessage").await;
    assert!(!posts.is_empty());
    for p in &posts {
        assert_eq!(p["channel"], json!(CHANNEL), "{p}");
        assert_eq!(p["thread_ts"], json!(root), "{p}");
    }
    let patched = bodies(&server, &format!("/v1/pages/{PAGE}/incidents/{INCIDENT}")).await;
    let statuses: Vec<&str> = patched
        .iter()
        .map(|p| p["incident"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["monitoring", "resolved"]);
    let resolves: Vec<Value> = bodies(&server, "/v2/enqueue").await;
    assert_eq!(
        resolves
            .iter()
            .filter(|e| e["event_action"] == json!("resolve"))
            .count(),
        1,
        "{resolves:?}"
    );
    let incident = memory.load(id).await.unwrap().incident().unwrap();
    assert_eq!(
        incident.chat_thread().map(|(_, ts)| ts),
        Some(root.as_str())
    );
}
