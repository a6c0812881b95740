//! The runner against `ir_core::memory`'s incident store and `ir-testkit`'s stateful in-memory ports: a
//! rollback really changes what the platform serves, and the resolved incident frees its page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ir_core::SeverityPolicy;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::clock::{Clock, ManualClock, Timestamp};
use ir_core::incident::{Event, EventKind, Phase};
use ir_core::memory::{InMemoryChat, InMemoryIncidentStore, InMemoryPager, InMemoryStatusPage};
use ir_core::model::MessageKind;
use ir_core::model::{Deployment, DeploymentId, DeploymentStatus, LogLine};
use ir_core::playbook::{Providers, Symptoms};
use ir_core::ports::{AutoApprove, IncidentStore, LogStream};
use ir_core::runner::{AckPolicy, Outcome, Runner, RunnerConfig, UnmeasuredCriteria};
use ir_testkit::{
    InMemoryLogs, InMemoryPlatform, InMemoryVariables, PlatformCall, ScriptedHealthProbe,
};

fn t(min: i64) -> Timestamp {
    "2026-02-08T15:30:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::minutes(min)
}

struct World {
    clock: ManualClock,
    store: Arc<InMemoryIncidentStore>,
    platform: InMemoryPlatform,
    variables: InMemoryVariables,
    chat: InMemoryChat,
    pager: InMemoryPager,
    status: InMemoryStatusPage,
    providers: Providers,
    signals: Signals,
}

async fn world() -> (World, ir_core::model::IncidentId) {
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
    let variables = InMemoryVariables::new([("DATABASE_URL", "postgres://app:pw@db:6432/web")]);
    let chat = InMemoryChat::new();
    let pager = InMemoryPager::new();
    let status = InMemoryStatusPage::new();
    let providers = Providers::new()
        .with_deploy(Arc::new(platform.clone()))
        .with_logs(Arc::new(logs))
        .with_health(Arc::new(health))
        .with_variables(Arc::new(variables.clone()))
        .with_chat(Arc::new(chat.clone()))
        .with_pager(Arc::new(pager.clone()))
        .with_status_page(Arc::new(status.clone()));
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
    (
        World {
            clock,
            store,
            platform,
            variables,
            chat,
            pager,
            status,
            providers,
            signals,
        },
        opened.id,
    )
}

fn runner(w: &World, config: RunnerConfig) -> Runner {
    Runner::new(
        w.store.clone(),
        w.providers.clone(),
        Arc::new(w.clock.clone()),
        ir_core::scenarios::builtin(),
    )
    .with_approver(Arc::new(AutoApprove::new("alice")))
    .with_config(config)
    .unwrap()
}

#[tokio::test]
async fn a_crash_loop_is_rolled_back_on_the_in_memory_platform_and_resolved() {
    let (w, id) = world().await;
    // No error tracker here: resolved on the health checks, by policy.
    let mut config = RunnerConfig::default();
    config.unmeasured = UnmeasuredCriteria::ResolveOnHealth;
    let report = runner(&w, config.clone())
        .run(id, &Symptoms::new(w.signals.clone()))
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::Resolved { .. }),
        "{:?}",
        report.outcome
    );
    assert_eq!(
        w.platform.calls(),
        [PlatformCall::Rollback(DeploymentId::new("d2"))]
    );
    // As on Railway, the rollback put a new deployment of d2's build live.
    let serving = w.platform.active_deployment().unwrap();
    assert_eq!(serving.id, DeploymentId::new("d2-rollback-1"));
    assert_eq!(
        serving.commit_sha.as_deref(),
        Some("2222222222222222222222222222222222222222")
    );
    assert_eq!(serving.status, DeploymentStatus::Active);

    let incident = w.store.load(id).await.unwrap().incident().unwrap();
    assert_eq!(incident.phase(), Phase::Resolved);
    assert!(
        w.store.list_open().await.unwrap().is_empty(),
        "the dedup key is free again"
    );
    assert!(w.pager.open_pages().is_empty(), "the page was resolved");
    let kinds: Vec<MessageKind> = incident.messages().map(|(_, k, _)| k).collect();
    assert!(kinds.contains(&MessageKind::ResolutionNotification));
    assert_eq!(
        w.status.updates().len(),
        4,
        "investigating, identified, monitoring, resolved"
    );
    assert!(w.chat.messages().iter().any(|m| m.mrkdwn.is_some()));
    assert!(w.variables.writes().is_empty());

    assert!(
        incident.acknowledged().is_none(),
        "nobody acknowledged, and the runner does not by default"
    );
    assert!(
        incident.timeline().iter().any(|e| matches!(
            &e.event.kind,
            EventKind::Note { text } if text.contains("not measured: the error rate")
        )),
        "the resolution says what was not measured"
    );

    // A resolved incident is not run again: nothing is repeated, the resolution is returned.
    let calls = w.platform.calls().len();
    let version = incident.version();
    let again = runner(&w, config)
        .run(id, &Symptoms::new(w.signals.clone()))
        .await
        .unwrap();
    assert!(matches!(again.outcome, Outcome::Resolved { .. }));
    assert_eq!(w.platform.calls().len(), calls);
    assert_eq!(again.incident.version(), version);
}

#[tokio::test]
async fn a_dry_run_leaves_the_in_memory_platform_untouched() {
    let (w, id) = world().await;
    let mut config = RunnerConfig::default();
    config.dry_run = true;
    let report = runner(&w, config)
        .run(id, &Symptoms::new(w.signals.clone()))
        .await
        .unwrap();
    let Outcome::DryRun { would_run } = report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(would_run[0].kind.describe(), "roll back to deployment d2");
    assert!(w.platform.calls().is_empty());
    assert_eq!(w.platform.active(), Some(DeploymentId::new("d3")));
    assert!(w.variables.writes().is_empty());
}

/// The kinds of the messages posted, in order.
fn posted(incident: &ir_core::incident::Incident) -> Vec<MessageKind> {
    incident.messages().map(|(_, k, _)| k).collect()
}

fn postmortem_markdown(w: &World, id: ir_core::model::IncidentId) -> String {
    let incident = futures::executor::block_on(w.store.load(id))
        .unwrap()
        .incident()
        .unwrap();
    let pm = ir_core::postmortem::Postmortem::from_incident(
        &incident,
        &SeverityPolicy::runbook(),
        w.clock.now(),
    );
    ir_core::postmortem::PostmortemTemplate::builtin()
        .render(&pm)
        .unwrap()
}

#[tokio::test]
async fn nobody_acknowledged_is_reported_so_and_the_page_is_resolved_on_the_record() {
    let (w, id) = world().await;
    let mut config = RunnerConfig::default();
    config.unmeasured = UnmeasuredCriteria::ResolveOnHealth;
    let report = runner(&w, config)
        .run(id, &Symptoms::new(w.signals.clone()))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Resolved { .. }));
    let kinds = posted(&report.incident);
    assert_eq!(
        kinds.first(),
        Some(&MessageKind::InitialNotification),
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&MessageKind::Acknowledgement),
        "nobody acknowledged"
    );
    assert!(!kinds.contains(&MessageKind::PageAcknowledgement));
    assert_eq!(report.incident.mtta(), None);
    let markdown = postmortem_markdown(&w, id);
    assert!(
        markdown.contains("| MTTA: detection to acknowledgement | not acknowledged |"),
        "{markdown}"
    );
    // The pager's resolve is in the timeline and ticks the checklist item.
    assert!(kinds.contains(&MessageKind::PageResolution), "{kinds:?}");
    assert!(
        markdown.contains("[x] Close PagerDuty incident"),
        "{markdown}"
    );
}

#[tokio::test]
async fn an_acknowledgement_by_policy_follows_the_initial_notification_and_is_labelled() {
    let (w, id) = world().await;
    let mut config = RunnerConfig::default();
    config.unmeasured = UnmeasuredCriteria::ResolveOnHealth;
    config.acknowledge = AckPolicy::Runner;
    let report = runner(&w, config)
        .run(id, &Symptoms::new(w.signals.clone()))
        .await
        .unwrap();
    let kinds = posted(&report.incident);
    let at = |k: MessageKind| kinds.iter().position(|x| *x == k).unwrap();
    assert!(
        at(MessageKind::InitialNotification) < at(MessageKind::Acknowledgement),
        "{kinds:?}"
    );
    assert!(
        at(MessageKind::Page) < at(MessageKind::PageAcknowledgement),
        "{kinds:?}"
    );
    let (_, by) = report.incident.acknowledged().unwrap();
    assert!(by.starts_with("policy:"), "{by}");
    let markdown = postmortem_markdown(&w, id);
    assert!(
        markdown.contains("(acknowledged by the runner's policy, not a person)"),
        "{markdown}"
    );
}

#[tokio::test]
async fn a_person_acknowledges_through_the_runner_and_mtta_measures_them() {
    let (w, id) = world().await;
    let mut config = RunnerConfig::default();
    config.unmeasured = UnmeasuredCriteria::ResolveOnHealth;
    let runner = runner(&w, config);
    // Four minutes after detection, before the runner has said anything.
    w.clock.advance(std::time::Duration::from_secs(240));
    let incident = runner.acknowledge(id, "@alice").await.unwrap();
    assert_eq!(incident.mtta(), Some(std::time::Duration::from_secs(240)));
    let kinds = posted(&incident);
    assert_eq!(
        kinds,
        [
            MessageKind::InitialNotification,
            MessageKind::Acknowledgement
        ],
        "the detection first, then the acknowledgement"
    );
    // Acknowledging again changes nothing.
    let again = runner.acknowledge(id, "@bob").await.unwrap();
    assert_eq!(again.version(), incident.version());
    let report = runner
        .run(id, &Symptoms::new(w.signals.clone()))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Resolved { .. }));
    assert_eq!(
        report.incident.acknowledged().map(|(_, by)| by),
        Some("@alice")
    );
    let kinds = posted(&report.incident);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == MessageKind::InitialNotification)
            .count(),
        1,
        "{kinds:?}"
    );
    let markdown = postmortem_markdown(&w, id);
    assert!(
        markdown.contains("| MTTA: detection to acknowledgement | 4 minutes |"),
        "{markdown}"
    );
}
