//! The engine on its own: a site goes down after a bad deployment, and the `Runner` diagnoses it
//! (all probes at once), ranks the hypotheses, rolls back to the last known good deployment,
//! verifies recovery, posts the runbook's messages and resolves — on in-memory ports and a
//! manual clock, so it runs in milliseconds.
//!
//! Run: `cargo run -p examples --bin auto_rollback`

use std::error::Error;
use std::sync::Arc;

use ir_core::SeverityPolicy;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::clock::{ManualClock, Timestamp};
use ir_core::incident::{Event, EventKind};
use ir_core::memory::{InMemoryChat, InMemoryIncidentStore, InMemoryPager, InMemoryStatusPage};
use ir_core::model::{Deployment, DeploymentId, DeploymentStatus, LogLine};
use ir_core::playbook::{Providers, Symptoms};
use ir_core::ports::{AutoApprove, IncidentStore, LogStream};
use ir_core::runner::{Outcome, Runner, RunnerConfig, UnmeasuredCriteria};
use ir_testkit::{InMemoryLogs, InMemoryPlatform, InMemoryVariables, ScriptedHealthProbe};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let t0: Timestamp = "2026-02-08T15:30:00Z".parse()?;
    let minutes = chrono::Duration::minutes;
    let clock = ManualClock::at(t0);
    let store = Arc::new(InMemoryIncidentStore::with_clock(Arc::new(clock.clone())));

    // Production: d3 went out eight minutes ago and crash-loops; d2 served for hours before it.
    let good = Deployment::new("d2", DeploymentStatus::Removed, t0 - minutes(240))
        .with_commit(
            "2222222222222222222222222222222222222222",
            Some("feat: pricing".into()),
        )
        .with_capabilities(true, true);
    let bad = Deployment::new("d3", DeploymentStatus::Crashed, t0 - minutes(8))
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
            LogLine::new(t0 - minutes(4), None, line),
        );
    }
    let health = ScriptedHealthProbe::new("https://www.example.com");
    health.script("/health", [(503, "Service Unavailable"), (200, "ok")]);
    let chat = InMemoryChat::new();
    let status_page = InMemoryStatusPage::new();
    let providers = Providers::new()
        .with_deploy(Arc::new(platform.clone()))
        .with_logs(Arc::new(logs))
        .with_health(Arc::new(health))
        .with_variables(Arc::new(InMemoryVariables::new([(
            "DATABASE_URL",
            "postgres://app:pw@db:6432/web",
        )])))
        .with_chat(Arc::new(chat.clone()))
        .with_pager(Arc::new(InMemoryPager::new()))
        .with_status_page(Arc::new(status_page.clone()));

    // The health watcher saw a 503: classify and open (a second replica would join, not duplicate).
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    let classification = classify(&signals, &SeverityPolicy::runbook());
    println!(
        "Classified {}: {}",
        classification.severity, classification.reasons[0]
    );
    let detected = Event::new(
        t0,
        "health-watcher",
        EventKind::detected(
            "Site down",
            "www.example.com",
            classification,
            Some(t0 - minutes(2)),
        ),
    );
    let opened = store.open("health:www.example.com", detected).await?;

    let runner = Runner::new(
        store.clone(),
        providers,
        Arc::new(clock.clone()),
        ir_core::scenarios::builtin(),
    )
    .with_approver(Arc::new(AutoApprove::new("on-call")))
    // This service wires no error tracker: the runner resolves on the health checks (and says
    // the error rate was not measured) instead of waiting for a person.
    .with_config({
        let mut config = RunnerConfig::default();
        config.unmeasured = UnmeasuredCriteria::ResolveOnHealth;
        config
    })?;
    let report = runner.run(opened.id, &Symptoms::new(signals)).await?;

    for message in chat.messages() {
        println!("\n--- [{}]\n{}", message.channel, message.text);
    }
    for update in status_page.updates() {
        println!("\n--- [status page]\n{}", update.body);
    }
    println!("\n=== Timeline");
    for e in report.incident.timeline() {
        println!(
            "{:>3}  {}  {}",
            e.seq,
            e.event.at.format("%H:%M:%S"),
            e.event.kind.name()
        );
    }
    println!(
        "\nPlatform calls: {:?}; now serving {:?}",
        platform.calls(),
        platform.active()
    );
    match report.outcome {
        Outcome::Resolved {
            root_cause,
            mitigation,
        } => {
            println!("Resolved. Root cause: {root_cause}. Mitigation: {mitigation}.");
            Ok(())
        }
        other => Err(format!("the drill did not resolve: {other:?}").into()),
    }
}
