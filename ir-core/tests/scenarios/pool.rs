use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};

use super::*;
use ir_core::classify::Signals;
use ir_core::clock::Clock as _;
use ir_core::incident::{ActionState, Phase};
use ir_core::model::{ActionKind, Risk};
use ir_core::playbook::Symptoms;
use ir_core::runner::Outcome;

const DIRECT: &str = "postgresql://app:s3cr3t-db-pass@db.internal:5432/web";
const BOUNCED: &str = "postgresql://app:s3cr3t-db-pass@db.internal:6432/web";

fn signals() -> Signals {
    Signals {
        pool_exhausted: true,
        ..Signals::default()
    }
}

fn symptoms() -> Symptoms {
    Symptoms::new(signals()).with_text(
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 30.00",
    )
}

/// What the database looks like.
#[derive(Clone, Copy)]
enum Db {
    /// Too many clients, all busy.
    Saturated,
    /// Mostly idle connections, the oldest 45 minutes.
    Leaking,
    /// Plenty of room.
    Healthy,
}

fn status(db: Db) -> ConnectionStatus {
    let (active, idle, oldest) = match db {
        Db::Saturated => (95, 2, 20),
        Db::Leaking => (10, 85, 45 * 60),
        Db::Healthy => (8, 4, 30),
    };
    connection_status(
        100,
        3,
        StateCounts {
            active,
            idle,
            ..StateCounts::default()
        },
        Some(Duration::from_secs(oldest)),
        None,
    )
}

/// A database that is `before` until `fixed`, then `after`.
fn database(before: Db, after: Db, fixed: Arc<AtomicBool>) -> MockDatabaseDiagnostics {
    let mut db = MockDatabaseDiagnostics::new();
    let f = fixed.clone();
    db.expect_connection_status().returning(move || {
        Ok(status(if f.load(Ordering::SeqCst) {
            after
        } else {
            before
        }))
    });
    let f = fixed;
    db.expect_pool_status().returning(move || {
        Ok(if f.load(Ordering::SeqCst) {
            PoolStatus {
                size: 6,
                idle: 4,
                max: 20,
            }
        } else {
            PoolStatus {
                size: 20,
                idle: 0,
                max: 20,
            }
        })
    });
    db.expect_pgbouncer_pools().returning(|| {
        Err(Error::unsupported(
            "no PgBouncer admin connection configured",
        ))
    });
    db
}

fn logs() -> MockLogSource {
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(|_| {
        Ok(vec![
            LogLine::new(t(-3), None, "QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 30.00"),
            LogLine::new(t(-2), None, "psycopg2.OperationalError: FATAL:  sorry, too many clients already"),
        ])
    });
    logs
}

fn platform(restarts: usize) -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    deploy.expect_service_status().returning(|| {
        Ok(ServiceStatus::new("api")
            .with_active(vec![deployment("d7", DeploymentStatus::Active, -600)])
            .with_instances(vec![InstanceStatus::Running]))
    });
    deploy
        .expect_restart()
        .times(restarts)
        .withf(|d| d.as_str() == "d7")
        .returning(|_| Ok(()));
    deploy
}

/// A variable store holding `url`; every `set` is recorded, and one to PgBouncer flips `fixed`
/// when `fix_works`.
fn variables(
    url: &'static str,
    sets: Arc<Mutex<Vec<String>>>,
    fixed: Arc<AtomicBool>,
    fix_works: bool,
) -> MockVariableStore {
    let mut vars = MockVariableStore::new();
    let current = Arc::new(Mutex::new(url.to_owned()));
    let c = current.clone();
    vars.expect_get()
        .withf(|n| n == "DATABASE_URL")
        .returning(move |_| Ok(Some(SecretString::from(c.lock().unwrap().clone()))));
    vars.expect_set()
        .withf(|n, _, _| n == "DATABASE_URL")
        .returning(move |_, v, _| {
            let v = v.expose_secret().to_owned();
            if v.contains(":6432/") && fix_works {
                fixed.store(true, Ordering::SeqCst);
            }
            *current.lock().unwrap() = v.clone();
            sets.lock().unwrap().push(v);
            Ok(())
        });
    vars
}

fn approve_all(times: usize) -> Arc<dyn Approver> {
    let mut a = MockApprover::new();
    a.expect_decide()
        .times(times)
        .returning(|_| Ok(Decision::Approved { by: "alice".into() }));
    Arc::new(a)
}

#[tokio::test]
async fn direct_connection_is_moved_to_pgbouncer_with_approval_and_the_pool_watched() {
    let world = World::open("API timing out", &signals(), 5).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let sets = Arc::new(Mutex::new(Vec::new()));
    let mut approver = MockApprover::new();
    approver
        .expect_decide()
        .times(1)
        .withf(|r| r.action.risk == Risk::Destructive && r.rationale.contains("PgBouncer"))
        .returning(|_| Ok(Decision::Approved { by: "alice".into() }));
    let providers = world
        .providers()
        .with_database(Arc::new(database(
            Db::Saturated,
            Db::Healthy,
            fixed.clone(),
        )))
        .with_variables(Arc::new({
            // The one write: the same URL, on PgBouncer's port.
            let mut vars = variables(DIRECT, sets.clone(), fixed.clone(), true);
            vars.checkpoint();
            let f = fixed.clone();
            let s = sets.clone();
            vars.expect_get()
                .returning(|_| Ok(Some(SecretString::from(DIRECT))));
            vars.expect_set()
                .times(1)
                .withf(|n, v, o| {
                    n == "DATABASE_URL" && v.expose_secret() == BOUNCED && !o.skip_deploys
                })
                .returning(move |_, v, _| {
                    f.store(true, Ordering::SeqCst);
                    s.lock().unwrap().push(v.expose_secret().to_owned());
                    Ok(())
                });
            vars
        }))
        .with_logs(Arc::new(logs()))
        .with_deploy(Arc::new(platform(0)))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))));
    let report = world
        .runner(providers, Arc::new(approver))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert_resolved(&report);
    assert_eq!(*sets.lock().unwrap(), [BOUNCED]);

    let incident = world.incident().await;
    assert_eq!(step_outline(&incident), RESOLVED_OUTLINE);
    let top = &incident.assessments().last().unwrap()[0];
    assert_eq!(top.cause, "direct_connection_bypassing_pgbouncer");
    let approved = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::ActionApproved { by, .. } => Some(by.clone()),
            _ => None,
        });
    assert_eq!(approved.as_deref(), Some("alice"));
    let verified = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::MitigationVerified { summary } => Some(summary.clone()),
            _ => None,
        });
    assert!(verified.unwrap().contains("connection pool healthy"));
    // Watched for 15 minutes after the fix.
    let verified_at = incident.entered(Phase::Monitoring).unwrap();
    let resolved_at = incident.entered(Phase::Resolved).unwrap();
    assert!(resolved_at - verified_at >= chrono::Duration::minutes(15));
    assert_never_said(&world, "s3cr3t-db-pass").await;
}

#[tokio::test]
async fn a_leak_terminates_only_idle_connections_once_approved() {
    let world = World::open("API timing out", &signals(), 5).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let mut db = database(Db::Leaking, Db::Healthy, fixed.clone());
    let f = fixed.clone();
    db.expect_terminate_idle()
        .times(1)
        .withf(|r| r.older_than == Duration::from_secs(600) && !r.dry_run && r.user.is_none())
        .returning(move |r| {
            f.store(true, Ordering::SeqCst);
            let backend = |pid, user: &str| BackendInfo {
                pid,
                user: Some(user.into()),
                application_name: "web".into(),
                state: "idle".into(),
                idle_for: Duration::from_secs(45 * 60),
            };
            Ok(TerminationReport {
                dry_run: r.dry_run,
                terminated: (100..180).map(|p| backend(p, "app")).collect(),
                refused: vec![
                    (backend(7, "app"), RefusalReason::OwnBackend),
                    (backend(8, "postgres"), RefusalReason::Superuser),
                ],
            })
        });
    let providers = world
        .providers()
        .with_database(Arc::new(db))
        .with_variables(Arc::new(variables(BOUNCED, Arc::default(), fixed, false)))
        .with_logs(Arc::new(logs()))
        .with_deploy(Arc::new(platform(0)))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))));
    let report = world
        .runner(providers, approve_all(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::Resolved { root_cause, .. } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        root_cause.contains("85 of 95 connections idle, the oldest for 45 minutes"),
        "{root_cause}"
    );
    let incident = world.incident().await;
    let detail = success_details(&incident).into_iter().next();
    assert!(
        detail
            .unwrap()
            .starts_with("terminated 80 idle connection(s)")
    );
    assert!(incident.timeline().iter().any(
        |e| matches!(&e.event.kind, EventKind::Recommended { recommendations, .. } if recommendations.iter().any(|r| r.contains("context managers")))
    ));
}

#[tokio::test]
async fn denied_termination_leaves_the_connections_alone() {
    let world = World::open("API timing out", &signals(), 5).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let mut db = database(Db::Leaking, Db::Healthy, fixed.clone());
    db.expect_terminate_idle().times(0);
    let providers = world
        .providers()
        .with_database(Arc::new(db))
        .with_variables(Arc::new(variables(BOUNCED, Arc::default(), fixed, false)))
        .with_logs(Arc::new(logs()))
        .with_deploy(Arc::new(platform(0)))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))));
    let report = world
        .runner(providers, Arc::new(DenyAll))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::NeedsHuman { .. }));
    let incident = world.incident().await;
    let kinds: Vec<(&ActionKind, ActionState)> = incident
        .actions()
        .map(|a| (&a.action.kind, a.state))
        .collect();
    assert!(matches!(
        kinds[0],
        (
            ActionKind::TerminateIdleConnections { .. },
            ActionState::Rejected
        )
    ));
    assert!(matches!(
        kinds[1],
        (ActionKind::Restart { .. }, ActionState::Rejected)
    ));
}

#[tokio::test]
async fn a_dsn_fix_that_does_not_help_is_rolled_back_and_the_next_cause_tried() {
    let world = World::open("API timing out", &signals(), 5).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let sets = Arc::new(Mutex::new(Vec::new()));
    let providers = world
        .providers()
        .with_database(Arc::new(database(
            Db::Saturated,
            Db::Healthy,
            fixed.clone(),
        )))
        .with_variables(Arc::new(variables(DIRECT, sets.clone(), fixed, false)))
        .with_logs(Arc::new(logs()))
        .with_deploy(Arc::new(platform(1)))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))));
    // Approves the URL change and then the surge restart.
    let report = world
        .runner(providers, approve_all(2))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::NeedsHuman { .. }),
        "{:?}",
        report.outcome
    );
    // Set to PgBouncer, then restored to what it was: the configuration rollback.
    assert_eq!(*sets.lock().unwrap(), [BOUNCED, DIRECT]);
    let incident = world.incident().await;
    let actions: Vec<(String, ActionState)> = incident
        .actions()
        .map(|a| (a.action.kind.describe(), a.state))
        .collect();
    assert_eq!(
        actions,
        [
            ("set DATABASE_URL".to_owned(), ActionState::Succeeded),
            (
                "restore the previous value of DATABASE_URL".to_owned(),
                ActionState::Succeeded
            ),
            ("restart d7".to_owned(), ActionState::Succeeded),
        ]
    );
    let restore = incident.actions().nth(1).unwrap();
    assert_eq!(
        restore.action.kind,
        ActionKind::RestoreVariable {
            name: "DATABASE_URL".into(),
            value_fingerprint: Some(fingerprint(&SecretString::from(DIRECT))),
        }
    );
    assert_never_said(&world, "s3cr3t-db-pass").await;
}

#[tokio::test]
async fn a_crash_after_terminating_is_resumed_from_the_connection_count() {
    let world = World::open("API timing out", &signals(), 5).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let mut db = database(Db::Leaking, Db::Healthy, fixed.clone());
    let f = fixed.clone();
    db.expect_terminate_idle().times(1).returning(move |_| {
        f.store(true, Ordering::SeqCst);
        Ok(TerminationReport::default())
    });
    let db = Arc::new(db);
    world.store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let providers = || {
        world
            .providers()
            .with_database(db.clone())
            .with_variables(Arc::new(variables(
                BOUNCED,
                Arc::default(),
                fixed.clone(),
                false,
            )))
            .with_logs(Arc::new(logs()))
            .with_deploy(Arc::new(platform(0)))
            .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))))
    };
    assert!(
        world
            .runner(providers(), approve_all(1))
            .run(world.id, &symptoms())
            .await
            .is_err()
    );
    let report = world
        .runner(providers(), approve_all(0))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    let detail = success_details(&incident).into_iter().next();
    assert_eq!(
        detail.as_deref(),
        Some("found on resume: no connection idle for more than 10 minutes")
    );
}

#[tokio::test]
async fn a_quiet_database_is_not_touched() {
    let world = World::open("API timing out", &signals(), 5).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let mut db = database(Db::Healthy, Db::Healthy, fixed.clone());
    db.expect_terminate_idle().times(0);
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(|_| Ok(vec![]));
    let mut vars = variables(BOUNCED, Arc::default(), fixed, false);
    vars.checkpoint();
    vars.expect_get()
        .returning(|_| Ok(Some(SecretString::from(BOUNCED))));
    vars.expect_set().times(0);
    let providers = world
        .providers()
        .with_database(Arc::new(db))
        .with_variables(Arc::new(vars))
        .with_logs(Arc::new(logs))
        .with_deploy(Arc::new(platform(0)))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &Symptoms::new(signals()))
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::NeedsHuman { .. }),
        "{:?}",
        report.outcome
    );
    assert_eq!(world.incident().await.actions().count(), 0);
}

/// An approver nobody answers, while an hour passes on the incident's clock (the approver
/// moves the manual clock; nobody else does).
#[derive(Debug)]
struct Silent(ManualClock);

#[async_trait::async_trait]
impl Approver for Silent {
    async fn decide(&self, _: &ApprovalRequest) -> Result<Decision> {
        self.0.sleep(std::time::Duration::from_secs(3600)).await;
        std::future::pending().await
    }
}

/// The approval timeout is the runner's clock: on a manual clock it fires when time reaches
/// it, with no real waiting.
#[tokio::test]
async fn an_approver_who_never_answers_is_a_rejection() {
    let wall = std::time::Instant::now();
    let world = World::open("API timing out", &signals(), 5).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let mut db = database(Db::Leaking, Db::Healthy, fixed.clone());
    db.expect_terminate_idle().times(0);
    let providers = world
        .providers()
        .with_database(Arc::new(db))
        .with_variables(Arc::new(variables(BOUNCED, Arc::default(), fixed, false)))
        .with_logs(Arc::new(logs()))
        .with_deploy(Arc::new(platform(0)))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))));
    let report = world
        .runner(providers, Arc::new(Silent(world.clock.clone())))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::NeedsHuman { .. }));
    let incident = world.incident().await;
    // The approver was asked once, and an hour passed while it was.
    let asked = incident
        .timeline()
        .iter()
        .find(|e| matches!(e.event.kind, EventKind::ActionProposed { .. }))
        .map(|e| e.event.at)
        .expect("an action was proposed");
    let rejected = incident
        .timeline()
        .iter()
        .find(|e| matches!(e.event.kind, EventKind::ActionRejected { .. }))
        .map(|e| e.event.at)
        .expect("the action was rejected");
    assert!(rejected - asked >= chrono::Duration::minutes(15));
    assert!(
        wall.elapsed() < std::time::Duration::from_secs(1),
        "real time passed: {:?}",
        wall.elapsed()
    );
    let reason = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::ActionRejected { by, reason, .. } => Some((by.clone(), reason.clone())),
            _ => None,
        });
    assert_eq!(
        reason,
        Some((
            "approver".to_owned(),
            "no decision within 15 minutes".to_owned()
        ))
    );
}

#[tokio::test]
async fn a_dsn_change_that_fails_verification_after_a_restart_asks_for_a_manual_restore() {
    let world = World::open("API timing out", &signals(), 5).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let sets = Arc::new(Mutex::new(Vec::new()));
    // One store across both processes: the variable keeps the value the first one set.
    let vars = Arc::new(variables(DIRECT, sets.clone(), fixed.clone(), false));
    world.store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let providers = |restarts| {
        world
            .providers()
            .with_database(Arc::new(database(
                Db::Saturated,
                Db::Healthy,
                fixed.clone(),
            )))
            .with_variables(vars.clone())
            .with_logs(Arc::new(logs()))
            .with_deploy(Arc::new(platform(restarts)))
            .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))))
    };
    let first = world
        .runner(providers(0), approve_all(1))
        .run(world.id, &symptoms())
        .await;
    assert_eq!(first.unwrap_err().kind(), ErrorKind::Unavailable);
    assert_eq!(*sets.lock().unwrap(), [BOUNCED]);

    let report = world
        .runner(providers(1), approve_all(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(!matches!(report.outcome, Outcome::Resolved { .. }));
    // Nothing restored automatically: the old value is gone with the first process.
    assert_eq!(*sets.lock().unwrap(), [BOUNCED]);
    let incident = world.incident().await;
    let wanted = "the previous value of DATABASE_URL was not kept across the runner's restart";
    assert!(
        incident
            .timeline()
            .iter()
            .any(|e| matches!(&e.event.kind, EventKind::Note { text } if text.contains(wanted))),
        "recorded"
    );
    assert!(
        world.said().iter().any(|m| m.contains(wanted)),
        "and told to people: {:?}",
        world.said()
    );
    assert_never_said(&world, "s3cr3t-db-pass").await;
}
