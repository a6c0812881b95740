use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use ir_core::classify::Signals;
use ir_core::incident::ActionState;
use ir_core::playbook::Symptoms;
use ir_core::runner::Outcome;

fn signals() -> Signals {
    Signals {
        p95_latency: Some(Duration::from_millis(6200)),
        ..Signals::default()
    }
}

fn symptoms() -> Symptoms {
    Symptoms::new(signals())
}

/// 4.2 s answers until `fast`, then 300 ms.
fn slow_health(fast: Arc<AtomicBool>) -> MockHealthProbe {
    let mut health = MockHealthProbe::new();
    health.expect_check().returning(move |path| {
        let ms = if fast.load(Ordering::SeqCst) {
            300
        } else {
            4200
        };
        Ok(HealthReport::answered(
            path,
            200,
            Duration::from_millis(ms),
            "ok",
        ))
    });
    health
}

fn platform(
    deployments: Vec<Deployment>,
    fast: Arc<AtomicBool>,
    restarts: usize,
    rollbacks: usize,
    restart_result: fn() -> Result<()>,
) -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    let active = deployments[0].clone();
    let f = fast.clone();
    let previous = deployments.get(1).cloned();
    deploy.expect_service_status().returning(move || {
        let serving = match (&previous, f.load(Ordering::SeqCst)) {
            (Some(p), true) => p.clone(),
            _ => active.clone(),
        };
        Ok(ServiceStatus::new("web")
            .with_active(vec![serving])
            .with_instances(vec![InstanceStatus::Running]))
    });
    let ds = deployments.clone();
    deploy
        .expect_list_deployments()
        .returning(move |_| Ok(ds.clone()));
    let ds = deployments;
    deploy
        .expect_deployment()
        .returning(move |id| Ok(ds.iter().find(|d| &d.id == id).cloned().unwrap()));
    let f = fast.clone();
    deploy
        .expect_restart()
        .times(restarts)
        .withf(|d| d.as_str() == "d4")
        .returning(move |_| {
            restart_result()?;
            f.store(true, Ordering::SeqCst);
            Ok(())
        });
    deploy
        .expect_rollback()
        .times(rollbacks)
        .returning(move |_| {
            fast.store(true, Ordering::SeqCst);
            Ok(())
        });
    deploy
}

fn old() -> Vec<Deployment> {
    vec![deployment("d4", DeploymentStatus::Active, -1440)]
}

fn logs(lines: &'static [&'static str]) -> MockLogSource {
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(move |_| {
        Ok(lines
            .iter()
            .map(|l| LogLine::new(t(-2), None, *l))
            .collect())
    });
    logs
}

fn quiet_db() -> MockDatabaseDiagnostics {
    let mut db = MockDatabaseDiagnostics::new();
    db.expect_slow_queries()
        .returning(|_| Ok(SlowQueries::Available(vec![])));
    db.expect_connection_status().returning(|| {
        Ok(connection_status(
            100,
            3,
            StateCounts {
                active: 3,
                idle: 5,
                ..StateCounts::default()
            },
            None,
            None,
        ))
    });
    db
}

fn approve(times: usize) -> Arc<dyn Approver> {
    let mut a = MockApprover::new();
    a.expect_decide()
        .times(times)
        .returning(|_| Ok(Decision::Approved { by: "carol".into() }));
    Arc::new(a)
}

fn ok() -> Result<()> {
    Ok(())
}

const OOM: &[&str] = &[
    "<--- Last few GCs --->",
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    "npm ERR! code ELIFECYCLE: exited with code 134",
];

#[tokio::test]
async fn memory_growth_is_restarted_and_p95_comes_back_under_the_slo() {
    let world = World::open("Slow pages", &signals(), 10).await;
    let fast = Arc::new(AtomicBool::new(false));
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform(old(), fast.clone(), 1, 0, ok)))
        .with_logs(Arc::new(logs(OOM)))
        .with_database(Arc::new(quiet_db()))
        .with_health(Arc::new(slow_health(fast)));
    let report = world
        .runner(providers, approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::Resolved {
        root_cause,
        mitigation,
    } = &report.outcome
    else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(root_cause, "memory leak: the heap keeps growing");
    assert_eq!(mitigation, "Restarted d4");
    let incident = world.incident().await;
    assert_eq!(step_outline(&incident), RESOLVED_OUTLINE);
    assert!(
        world
            .said()
            .iter()
            .any(|m| m.contains("Latency p95 at 300ms (within SLO"))
    );
    assert!(
        incident.timeline().iter().any(
            |e| matches!(&e.event.kind, EventKind::Recommended { recommendations, .. } if recommendations.iter().any(|r| r.contains("heap dump")))
        )
    );
}

#[tokio::test]
async fn a_correlated_deployment_is_rolled_back() {
    let world = World::open("Slow pages", &signals(), 10).await;
    let fast = Arc::new(AtomicBool::new(false));
    let deployments = vec![
        deployment("d5", DeploymentStatus::Active, -25),
        deployment("d4", DeploymentStatus::Active, -1440),
    ];
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform(deployments, fast.clone(), 0, 1, ok)))
        .with_logs(Arc::new(logs(&[])))
        .with_database(Arc::new(quiet_db()))
        .with_health(Arc::new(slow_health(fast)));
    let report = world
        .runner(providers, approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::Resolved { mitigation, .. } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(mitigation, "Rolled back to deployment d4");
    let top = &world.incident().await.assessments().last().unwrap()[0].clone();
    assert_eq!(top.cause, "recent_deployment");
}

#[tokio::test]
async fn slow_queries_and_n_plus_one_are_recommendations_for_people() {
    let world = World::open("Slow pages", &signals(), 10).await;
    let mut db = MockDatabaseDiagnostics::new();
    db.expect_slow_queries().returning(|_| {
        Ok(SlowQueries::Available(vec![SlowQuery {
            query: "SELECT * FROM projects WHERE owner_id = $1 ORDER BY updated_at DESC".into(),
            calls: 48_000,
            total_time: Duration::from_secs(52_800),
            mean_time: Duration::from_millis(1100),
            rows: 960_000,
        }]))
    });
    db.expect_connection_status()
        .returning(|| Err(Error::timeout("statement timeout")));
    db.expect_terminate_idle().times(0);
    let mut errors = MockErrorTracker::new();
    errors.expect_top_issues().returning(|_, _| {
        let mut i = TrackedIssue::new("9", "N+1 Query", 3000, t(-60), t(0));
        i.culprit = Some("GET /api/projects".into());
        Ok(vec![i])
    });
    errors.expect_error_counts().returning(|_, _| Ok(vec![]));
    let fast = Arc::new(AtomicBool::new(false));
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform(old(), fast.clone(), 0, 0, ok)))
        .with_logs(Arc::new(logs(&[])))
        .with_database(Arc::new(db))
        .with_errors(Arc::new(errors))
        .with_health(Arc::new(slow_health(fast)));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::NeedsHuman {
        recommendations, ..
    } = &report.outcome
    else {
        panic!("{:?}", report.outcome)
    };
    let all = recommendations.join("\n");
    assert!(all.contains("EXPLAIN ANALYZE"), "{all}");
    assert!(all.contains("SELECT * FROM projects"), "{all}");
    assert!(all.contains("N+1 Query in GET /api/projects"), "{all}");
    let incident = world.incident().await;
    assert_eq!(incident.actions().count(), 0);
    let causes: Vec<&str> = incident
        .assessments()
        .last()
        .unwrap()
        .iter()
        .map(|h| h.cause.as_str())
        .collect();
    assert_eq!(&causes[..2], ["slow_queries", "n_plus_one"]);
}

#[tokio::test]
async fn a_restart_that_leaves_it_slow_fails_verification() {
    let world = World::open("Slow pages", &signals(), 10).await;
    let never_fast = Arc::new(AtomicBool::new(false));
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform(
            old(),
            Arc::new(AtomicBool::new(false)),
            1,
            0,
            ok,
        )))
        .with_logs(Arc::new(logs(OOM)))
        .with_database(Arc::new(quiet_db()))
        .with_health(Arc::new(slow_health(never_fast)));
    let report = world
        .runner(providers, approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::NeedsHuman { .. }));
    let incident = world.incident().await;
    let summary = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::VerificationFailed { summary } => Some(summary.clone()),
            _ => None,
        });
    assert!(
        summary
            .unwrap()
            .contains("/health took 4200 ms (SLO 3000 ms)")
    );
}

#[tokio::test]
async fn a_timed_out_restart_is_not_retried() {
    let world = World::open("Slow pages", &signals(), 10).await;
    fn timeout() -> Result<()> {
        Err(Error::timeout("deploymentRestart did not answer within 30s").with_provider("railway"))
    }
    let fast = Arc::new(AtomicBool::new(false));
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform(old(), fast.clone(), 1, 0, timeout)))
        .with_logs(Arc::new(logs(OOM)))
        .with_database(Arc::new(quiet_db()))
        .with_health(Arc::new(slow_health(fast)));
    let report = world
        .runner(providers, approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::NeedsHuman { .. }));
    let incident = world.incident().await;
    let record = incident.actions().next().unwrap();
    assert_eq!(record.state, ActionState::Failed);
    let failed = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::ActionFailed { kind, .. } => Some(*kind),
            _ => None,
        });
    assert_eq!(failed, Some(ErrorKind::Timeout));
}

#[tokio::test]
async fn user_reports_after_the_fix_keep_the_incident_open() {
    let world = World::open("Slow pages", &signals(), 10).await;
    let fast = Arc::new(AtomicBool::new(false));
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform(old(), fast.clone(), 1, 0, ok)))
        .with_logs(Arc::new(logs(OOM)))
        .with_database(Arc::new(quiet_db()))
        .with_health(Arc::new(slow_health(fast)));
    let mut reports = ir_core::runner::MockUserReports::new();
    reports
        .expect_count_since()
        .times(1)
        .withf(|since| *since > t(0))
        .returning(|_| Ok(2));
    let report = world
        .runner(providers, approve(1))
        .with_user_reports(Arc::new(reports))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::NeedsHuman { reason, .. } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(reason, "2 user report(s) since the mitigation");
    assert_eq!(
        world.incident().await.phase(),
        ir_core::incident::Phase::Monitoring
    );
}

#[tokio::test]
async fn a_p2_alerts_the_team_in_chat_and_pages_no_one() {
    let world = World::open("Slow pages", &signals(), 10).await;
    assert_eq!(world.incident().await.severity(), ir_core::Severity::P2);
    let fast = Arc::new(AtomicBool::new(false));
    let mut pager = MockPager::new();
    pager.expect_trigger().times(0);
    pager.expect_resolve().times(0);
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform(old(), fast.clone(), 1, 0, ok)))
        .with_logs(Arc::new(logs(OOM)))
        .with_database(Arc::new(quiet_db()))
        .with_health(Arc::new(slow_health(fast)))
        .with_pager(Arc::new(pager));
    let report = world
        .runner(providers, approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    assert!(
        incident
            .escalated_roles()
            .contains(&ir_core::model::Role::Team)
    );
    assert!(
        !incident
            .escalated_roles()
            .contains(&ir_core::model::Role::OnCall)
    );
    assert!(
        world.said().iter().any(|m| m.contains("Engineering Team")),
        "the team is told in chat"
    );
}
