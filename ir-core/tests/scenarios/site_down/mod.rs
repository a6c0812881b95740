use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use secrecy::SecretString;

use super::*;
use ir_core::classify::{Reachability, Signals};
use ir_core::clock::Clock as _;
use ir_core::incident::{ActionState, Phase};
use ir_core::model::Role;
use ir_core::model::{Flag, MessageKind};
use ir_core::playbook::ApprovalPolicy;
use ir_core::runner::Outcome;

mod resume;

fn signals() -> Signals {
    Signals {
        homepage: Some(Reachability::Status(502)),
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    }
}

/// d3 went out five minutes before onset and crash-loops; d2 is the last known good.
fn deployments() -> Vec<Deployment> {
    vec![
        deployment("d3", DeploymentStatus::Crashed, -10),
        deployment("d2", DeploymentStatus::Active, -180),
        deployment("d1", DeploymentStatus::Active, -2000),
    ]
}

/// A platform whose status follows a `rolled_back` switch; rollback to d2 flips it when
/// `rollback_works`.
fn platform(
    rolled_back: Arc<AtomicBool>,
    rollback_calls: u32,
    rollback_works: bool,
) -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    let rb = rolled_back.clone();
    deploy.expect_service_status().returning(move || {
        Ok(if rb.load(Ordering::SeqCst) {
            ServiceStatus::new("web")
                .with_latest(
                    deployment("d4", DeploymentStatus::Active, 1)
                        .with_commit("d2-sha-0123456789", None),
                )
                .with_active(vec![
                    deployment("d4", DeploymentStatus::Active, 1)
                        .with_commit("d2-sha-0123456789", None),
                ])
                .with_instances(vec![InstanceStatus::Running])
        } else {
            ServiceStatus::new("web")
                .with_latest(deployment("d3", DeploymentStatus::Crashed, -10))
                .with_active(vec![deployment("d3", DeploymentStatus::Crashed, -10)])
                .with_instances(vec![InstanceStatus::Crashed, InstanceStatus::Restarting])
        })
    });
    deploy
        .expect_list_deployments()
        .returning(|_| Ok(deployments()));
    deploy.expect_deployment().returning(|id| {
        deployments()
            .into_iter()
            .find(|d| &d.id == id)
            .ok_or_else(|| Error::not_found("no such deployment"))
    });
    deploy
        .expect_rollback()
        .times(rollback_calls as usize)
        .withf(|to| to.as_str() == "d2")
        .returning(move |_| {
            if rollback_works {
                rolled_back.store(true, Ordering::SeqCst);
                Ok(())
            } else {
                Err(Error::new(ErrorKind::Unavailable, "Bad Gateway")
                    .with_provider("railway")
                    .with_operation("deploymentRollback")
                    .with_status(502))
            }
        });
    deploy
}

fn logs() -> MockLogSource {
    let mut logs = MockLogSource::new();
    // Once for the recent lines, twice for the signatures since the deployment (before, after).
    logs.expect_logs().times(3).returning(|_| {
        Ok(vec![
            LogLine::new(t(-4), None, "> next start"),
            LogLine::new(
                t(-4),
                None,
                "TypeError: Cannot read properties of undefined (reading 'map')",
            ),
            LogLine::new(t(-4), None, "npm ERR! code ELIFECYCLE: exited with code 1"),
            LogLine::new(t(-3), None, "Container crashed, restarting"),
        ])
    });
    logs
}

/// The crash loop's logs, read any number of times (a resumed run does not diagnose again).
fn crash_logs() -> MockLogSource {
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(|_| {
        Ok(vec![LogLine::new(
            t(-3),
            None,
            "Container crashed, restarting",
        )])
    });
    logs
}

fn variables() -> MockVariableStore {
    let mut vars = MockVariableStore::new();
    vars.expect_get()
        .withf(|n| n == "DATABASE_URL")
        .returning(|_| Ok(Some(SecretString::from("postgres://app:pw@db:6432/web"))));
    vars
}

fn database() -> MockDatabaseDiagnostics {
    let mut db = MockDatabaseDiagnostics::new();
    db.expect_connection_status().returning(|| {
        Ok(connection_status(
            100,
            3,
            StateCounts {
                active: 2,
                idle: 3,
                ..StateCounts::default()
            },
            Some(Duration::from_secs(30)),
            None,
        ))
    });
    db
}

fn providers(
    world: &World,
    deploy: MockDeployPlatform,
    healthy: Arc<AtomicBool>,
) -> ir_core::playbook::Providers {
    world
        .providers()
        .with_deploy(Arc::new(deploy))
        .with_logs(Arc::new(logs()))
        .with_variables(Arc::new(variables()))
        .with_database(Arc::new(database()))
        .with_health(Arc::new(switchable_health(healthy)))
}

/// Health follows the platform: healthy once the rollback took.
fn health_follows(rolled_back: &Arc<AtomicBool>) -> Arc<AtomicBool> {
    rolled_back.clone()
}

#[tokio::test]
async fn crash_loop_after_deploy_rolls_back_to_last_known_good_and_resolves() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 1, true);
    let mut pager = MockPager::new();
    pager
        .expect_trigger()
        .times(3)
        .withf(|p| {
            p.dedup_key == "alert:1"
                && p.severity == ir_core::Severity::P0
                && matches!(p.role, Role::OnCall | Role::EngineeringLead | Role::Cto)
        })
        .returning(|_| Ok(()));
    pager
        .expect_resolve()
        .times(1)
        .withf(|k| k == "alert:1")
        .returning(|_| Ok(()));
    // The runner acknowledged the incident, so the on-call page is acknowledged too.
    pager
        .expect_acknowledge()
        .times(1)
        .withf(|k| k == "alert:1")
        .returning(|_| Ok(()));
    let providers =
        providers(&world, deploy, health_follows(&rolled_back)).with_pager(Arc::new(pager));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();

    let Outcome::Resolved {
        root_cause,
        mitigation,
    } = &report.outcome
    else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        root_cause.starts_with("crash loop after deployment d3"),
        "{root_cause}"
    );
    assert_eq!(mitigation, "Rolled back to deployment d2");

    let incident = world.incident().await;
    assert_eq!(incident, report.incident, "memory and store agree");
    assert_eq!(incident.phase(), Phase::Resolved);
    assert_eq!(step_outline(&incident), RESOLVED_OUTLINE);
    let top = &incident.assessments().last().unwrap()[0];
    assert_eq!(top.cause, "recent_deployment_crash_loop");
    assert!(top.confidence >= 0.7, "{top:?}");
    assert!(
        top.supporting.len() >= 3,
        "cites deployments, logs and status: {top:?}"
    );
    let approved_by = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::ActionApproved { by, .. } => Some(by.clone()),
            _ => None,
        });
    assert_eq!(
        approved_by.as_deref(),
        Some("policy"),
        "P0, confident, reversible"
    );

    // P0: the on-call engineer paged, Engineering Lead and CTO told at once.
    assert!(incident.escalated_roles().contains(&Role::OnCall));
    assert!(incident.escalated_roles().contains(&Role::EngineeringLead));
    assert!(incident.escalated_roles().contains(&Role::Cto));
    let kinds = message_kinds(&incident);
    for want in [
        MessageKind::Acknowledgement,
        MessageKind::InitialNotification,
        MessageKind::InitialAssessment,
        MessageKind::MitigationApplied,
        MessageKind::StatusUpdate,
        MessageKind::ResolutionNotification,
        MessageKind::StatusPage(StatusPageStatus::Investigating),
        MessageKind::StatusPage(StatusPageStatus::Identified),
        MessageKind::StatusPage(StatusPageStatus::Monitoring),
        MessageKind::StatusPage(StatusPageStatus::Resolved),
        MessageKind::Escalation,
    ] {
        assert!(kinds.contains(&want), "{want:?} missing from {kinds:?}");
    }
    let resolution = world
        .said()
        .into_iter()
        .find(|m| m.starts_with("✅ INCIDENT RESOLVED"))
        .unwrap();
    assert!(
        resolution.contains("Root Cause: crash loop after deployment d3"),
        "{resolution}"
    );
    // The runbook's 15 minutes of monitoring happened on the clock.
    assert!(world.clock.now() >= t(15));
}

#[tokio::test]
async fn a_failing_rollback_is_recorded_and_the_revert_pr_is_tried_next() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 1, false);
    let mut code = MockCodeHost::new();
    code.expect_open_revert_pr()
        .times(1)
        .withf(|r| r.commit_sha == "d3-sha-0123456789" && r.base == "main")
        .returning(|_| {
            Ok(PullRequestRef {
                number: 77,
                url: "https://github.example/pr/77".into(),
                head_branch: "revert-d3".into(),
            })
        });
    let providers = providers(&world, deploy, rolled_back).with_code(Arc::new(code));
    let report = world
        .runner(providers, Arc::new(AutoApprove::new("alice")))
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();

    assert!(
        matches!(report.outcome, Outcome::NeedsHuman { .. }),
        "{:?}",
        report.outcome
    );
    let incident = world.incident().await;
    let states: Vec<(String, ActionState)> = incident
        .actions()
        .map(|a| (a.action.key.to_string(), a.state))
        .collect();
    assert_eq!(
        states,
        [
            (
                "site_down/recent_deployment_crash_loop/rollback:d2".to_owned(),
                ActionState::Failed
            ),
            (
                "site_down/recent_deployment_crash_loop/revert:d3-sha-01234".to_owned(),
                ActionState::Succeeded
            ),
        ]
    );
    let failed = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::ActionFailed { kind, error, .. } => Some((*kind, error.clone())),
            _ => None,
        });
    assert_eq!(
        failed,
        Some((
            ErrorKind::Unavailable,
            "railway deploymentRollback: unavailable (HTTP 502): Bad Gateway".into()
        ))
    );
    // The revert was opened but the site stayed down: verification failed, escalated.
    assert!(steps(&incident).contains(&"verification_failed"));
    assert!(incident.flags().contains(&Flag::MitigationUncertain));
    assert_eq!(incident.phase(), Phase::Mitigating);
}

#[tokio::test]
async fn rollback_that_does_not_restore_health_fails_verification_and_moves_on() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 1, true);
    let never_healthy = Arc::new(AtomicBool::new(false));
    let mut code = MockCodeHost::new();
    code.expect_open_revert_pr().times(1).returning(|_| {
        Ok(PullRequestRef {
            number: 78,
            url: "u".into(),
            head_branch: "b".into(),
        })
    });
    let providers = providers(&world, deploy, never_healthy).with_code(Arc::new(code));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::NeedsHuman { .. }));
    let incident = world.incident().await;
    let outline = step_outline(&incident);
    let after_rollback: Vec<&str> = outline
        .iter()
        .skip_while(|s| **s != "action_succeeded")
        .copied()
        .collect();
    assert_eq!(
        after_rollback,
        [
            "action_succeeded",
            "verification_failed",
            "action_proposed",
            "action_approved",
            "action_started",
            "action_succeeded",
            "verification_failed"
        ]
    );
    let summary = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::VerificationFailed { summary } => Some(summary.clone()),
            _ => None,
        });
    assert!(summary.unwrap().contains("/health answered HTTP 503"));
    assert!(incident.escalated_roles().contains(&Role::EngineeringLead));
}

#[tokio::test]
async fn approval_denied_means_no_rollback() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 0, true);
    let providers = providers(&world, deploy, rolled_back).with_code(Arc::new(MockCodeHost::new()));
    let runner = world
        .runner(providers, Arc::new(DenyAll))
        .with_policy(ApprovalPolicy::always_ask())
        .unwrap();
    let report = runner
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::NeedsHuman { .. }));
    let incident = world.incident().await;
    assert!(incident.actions().all(|a| a.state == ActionState::Rejected));
    assert_eq!(
        incident.actions().count(),
        2,
        "rollback and revert both asked, both denied"
    );
    assert!(!steps(&incident).contains(&"action_started"));
}

#[tokio::test]
async fn a_crash_between_intent_and_outcome_is_resumed_without_a_second_rollback() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    // Exactly one rollback across both runs.
    let deploy = Arc::new(platform(rolled_back.clone(), 1, true));
    world.store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let make = |deploy: Arc<MockDeployPlatform>| {
        world
            .providers()
            .with_deploy(deploy)
            .with_logs(Arc::new({
                let mut l = MockLogSource::new();
                l.expect_logs().returning(|_| {
                    Ok(vec![LogLine::new(
                        t(-3),
                        None,
                        "Container crashed, restarting",
                    )])
                });
                l
            }))
            .with_variables(Arc::new(variables()))
            .with_database(Arc::new(database()))
            .with_health(Arc::new(switchable_health(rolled_back.clone())))
    };
    let first = world
        .runner(make(deploy.clone()), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await;
    assert_eq!(
        first.unwrap_err().kind(),
        ErrorKind::Unavailable,
        "the crash"
    );
    let stored = world.incident().await;
    let record = stored.actions().next().unwrap();
    assert_eq!(
        record.state,
        ActionState::Started,
        "intent recorded, outcome lost"
    );

    // A new process resumes from the timeline.
    let report = world
        .runner(make(deploy), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    let detail = success_details(&incident).into_iter().next();
    assert!(
        detail
            .unwrap()
            .starts_with("found on resume: d4 is serving the build of d2")
    );
    assert_eq!(incident.actions().count(), 1);
}

#[tokio::test]
async fn ambiguous_evidence_changes_nothing() {
    // Everything looks fine to the platform, no recent deploy, no crash: only the health check
    // fails. Nothing is confident enough to act on.
    let world = World::open("Site down", &signals(), 2).await;
    let mut deploy = MockDeployPlatform::new();
    deploy.expect_service_status().returning(|| {
        Ok(ServiceStatus::new("web")
            .with_active(vec![deployment("d2", DeploymentStatus::Active, -180)])
            .with_instances(vec![InstanceStatus::Running]))
    });
    deploy
        .expect_list_deployments()
        .returning(|_| Ok(vec![deployment("d2", DeploymentStatus::Active, -180)]));
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(|_| Ok(vec![]));
    let healthy = Arc::new(AtomicBool::new(false));
    let providers = world
        .providers()
        .with_deploy(Arc::new(deploy))
        .with_logs(Arc::new(logs))
        .with_variables(Arc::new(variables()))
        .with_database(Arc::new(database()))
        .with_health(Arc::new(switchable_health(healthy)));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    let Outcome::NeedsHuman { reason, .. } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(reason.contains("ambiguous"), "{reason}");
    let incident = world.incident().await;
    assert_eq!(incident.actions().count(), 0);
    assert_eq!(incident.phase(), Phase::Identified);
    assert!(incident.flags().contains(&Flag::MitigationUncertain));
    let top = &incident.assessments().last().unwrap()[0];
    assert_eq!(top.cause, "platform_incident");
}

/// The scenario's verification timings reach the proposed action and the runner: one round
/// after 5 s instead of the runbook's three 30 s apart.
#[tokio::test]
async fn the_scenarios_verification_timings_are_the_ones_verified() {
    use ir_core::model::VerificationTimings;
    use ir_core::scenarios::SiteDown;
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 1, true);
    let mut pager = MockPager::new();
    pager.expect_trigger().returning(|_| Ok(()));
    pager.expect_resolve().returning(|_| Ok(()));
    pager.expect_acknowledge().returning(|_| Ok(()));
    let providers =
        providers(&world, deploy, health_follows(&rolled_back)).with_pager(Arc::new(pager));
    let quick = VerificationTimings::new(1, Duration::from_secs(5), Duration::from_secs(60));
    let site_down = SiteDown::default().with_verification(quick);
    let report = world
        .runner_with_playbooks(providers, never_asked(), vec![Arc::new(site_down)])
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    let verifications: Vec<Verification> = incident
        .timeline()
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::ActionProposed { verification, .. } => verification.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(verifications.len(), 1, "{verifications:?}");
    assert_eq!(verifications[0].timings(), quick);
    assert_eq!(verifications[0].expected_duration(), Duration::from_secs(5));
    let verified = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::MitigationVerified { summary } => Some(summary.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        verified.contains("passed 1 times in a row (1 rounds, 5 s)"),
        "{verified}"
    );
}
