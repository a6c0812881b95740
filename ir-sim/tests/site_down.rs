//! End to end: the site-down scenario, detected and handed to `ir_core::runner::Runner` with
//! the built-in playbooks, every port a real adapter talking to `Sim` over HTTP, time on a
//! `ManualClock`. The runner must roll back exactly once, the site must come back, and the
//! incident must resolve.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use ir_core::Severity;
use ir_core::SeverityPolicy;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::clock::{Clock, ManualClock};
use ir_core::incident::{Event, EventKind, Phase};
use ir_core::memory::InMemoryIncidentStore;
use ir_core::playbook::{Providers, Symptoms};
use ir_core::ports::{AutoApprove, HealthProbe, IncidentStore};
use ir_core::runner::{Outcome, Runner};
use ir_sim::{PageStatus, Scenario, Sim, SimConfig, Vendor};

#[tokio::test]
async fn site_down_is_rolled_back_once_and_resolved() {
    let t0 = "2026-02-08T15:30:00Z".parse().unwrap();
    let manual = ManualClock::at(t0);
    let clock: Arc<dyn Clock> = Arc::new(manual.clone());
    let sim = Sim::start(SimConfig::scenario(Scenario::SiteDown).with_clock(clock.clone()))
        .await
        .unwrap();
    let health = common::health(&sim, clock.clone());
    assert_eq!(health.check("/health").await.unwrap().status, Some(502));

    let railway = Arc::new(common::railway(&sim, clock.clone()));
    let providers = Providers::new()
        .with_deploy(railway.clone())
        .with_logs(railway.clone())
        .with_variables(railway)
        .with_code(Arc::new(common::github(&sim, clock.clone())))
        .with_errors(Arc::new(common::sentry(&sim, clock.clone())))
        .with_health(Arc::new(common::health(&sim, clock.clone())))
        .with_chat(Arc::new(common::slack(&sim, clock.clone())))
        .with_pager(Arc::new(common::pagerduty(&sim, clock.clone())))
        .with_status_page(Arc::new(common::statuspage(&sim, clock.clone())));

    // The health watcher sees the homepage 502 and the health check 503.
    let signals = Signals {
        homepage: Some(Reachability::Status(502)),
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    let store = Arc::new(InMemoryIncidentStore::with_clock(clock.clone()));
    let classification = classify(&signals, &SeverityPolicy::runbook());
    let detected = Event::new(
        t0,
        "health-watcher",
        EventKind::detected(
            "Site down",
            "web",
            classification,
            Some(t0 - chrono::Duration::minutes(8)),
        ),
    );
    let opened = store.open("health:web", detected).await.unwrap();
    let runner = Runner::new(
        store.clone(),
        providers,
        clock.clone(),
        ir_core::scenarios::builtin(),
    )
    .with_approver(Arc::new(AutoApprove::new("@eng-lead")));
    let report = runner
        .run(opened.id, &Symptoms::new(signals))
        .await
        .unwrap();

    let Outcome::Resolved {
        root_cause,
        mitigation,
    } = &report.outcome
    else {
        panic!("not resolved: {:?}", report.outcome);
    };
    assert!(
        root_cause.starts_with("crash loop after deployment"),
        "{root_cause}"
    );
    assert!(
        mitigation.starts_with("Rolled back to deployment"),
        "{mitigation}"
    );
    let incident = store.load(opened.id).await.unwrap().incident().unwrap();
    assert_eq!(incident.severity(), Severity::P0);
    assert_eq!(incident.phase(), Phase::Resolved);
    let top = &incident.assessments().last().unwrap()[0];
    assert_eq!(top.cause, "recent_deployment_crash_loop");

    let requests = sim.requests();
    assert_eq!(
        requests.count_operation(Vendor::Railway, "DeploymentRollback"),
        1,
        "{:?}",
        requests.by_operation()
    );
    assert_eq!(
        health.check("/health").await.unwrap().status,
        Some(200),
        "the site is back"
    );
    let serving = sim.railway().serving().unwrap().deployment.clone();
    assert_eq!(
        serving.commit_message.as_deref(),
        Some("fix: billing rounding"),
        "the previous good build"
    );
    assert!(
        manual.now() >= t0 + chrono::Duration::minutes(15),
        "monitored on the clock"
    );

    // What the responders saw.
    assert!(
        sim.slack_messages()
            .iter()
            .any(|m| m.text.contains("RESOLVED")),
        "{:#?}",
        sim.slack_messages()
    );
    assert!(
        sim.pages().iter().all(|p| p.status == PageStatus::Resolved),
        "{:?}",
        sim.pages()
    );
    let incidents = sim.status_page_incidents();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].status, "resolved");
    sim.shutdown().await;
}
