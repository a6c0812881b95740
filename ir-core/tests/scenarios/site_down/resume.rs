//! Site down, resumed: leases held elsewhere, a writer in between, crashes between intent and
//! outcome, dry runs before real ones.

use super::*;

#[tokio::test]
async fn a_lease_held_by_another_replica_stops_this_one() {
    let world = World::open("Site down", &signals(), 2).await;
    world.store.hold_lease(
        "site_down/recent_deployment_crash_loop/rollback:d2",
        "replica-b",
    );
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 0, true);
    let providers = providers(&world, deploy, rolled_back);
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::HeldElsewhere { .. }));
    let incident = world.incident().await;
    assert_eq!(
        incident.actions().next().unwrap().state,
        ActionState::Approved
    );
}

#[tokio::test]
async fn another_writer_in_between_is_a_conflict_the_runner_reloads_from() {
    let world = World::open("Site down", &signals(), 2).await;
    world.store.interleave_before_next_append(Event::new(
        t(0),
        "replica-b",
        EventKind::note("replica-b saw the alert too"),
    ));
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 1, true);
    let providers = providers(&world, deploy, health_follows(&rolled_back));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    assert_eq!(incident, report.incident);
    let notes: Vec<&str> = incident
        .timeline()
        .iter()
        .filter(|e| e.event.actor == "replica-b")
        .map(|e| e.event.kind.name())
        .collect();
    assert_eq!(notes, ["note"]);
    // The runner's own first event (its acknowledgement) was written once, after the other's.
    let acks = incident
        .timeline()
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::Acknowledged { .. }))
        .count();
    assert_eq!(acks, 1);
    assert_eq!(incident.timeline()[1].event.actor, "replica-b");
}

#[tokio::test]
async fn a_platform_incident_waits_escalates_to_devops_and_resolves_when_it_recovers() {
    let world = World::open("Site down", &signals(), 2).await;
    let railway_down = || {
        Error::new(ErrorKind::Unavailable, "Service Unavailable")
            .with_provider("railway")
            .with_status(503)
    };
    let mut deploy = MockDeployPlatform::new();
    deploy
        .expect_service_status()
        .returning(move || Err(railway_down()));
    deploy
        .expect_list_deployments()
        .returning(move |_| Err(railway_down()));
    deploy.expect_rollback().times(0);
    deploy.expect_restart().times(0);
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(move |_| Err(railway_down()));
    // The site comes back on the sixth check.
    let checks = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut health = MockHealthProbe::new();
    health.expect_check().returning(move |path| {
        let n = checks.fetch_add(1, Ordering::SeqCst);
        let status = if n < 5 { 503 } else { 200 };
        Ok(HealthReport::answered(
            path,
            status,
            Duration::from_millis(90),
            "",
        ))
    });
    let providers = world
        .providers()
        .with_deploy(Arc::new(deploy))
        .with_logs(Arc::new(logs))
        .with_variables(Arc::new(variables()))
        .with_database(Arc::new(database()))
        .with_health(Arc::new(health));
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
    assert_eq!(root_cause, "railway platform incident");
    assert_eq!(mitigation, "Wait for railway to recover");
    let incident = world.incident().await;
    assert!(incident.escalated_roles().contains(&Role::DevOps));
    let unavailable = incident
        .evidence()
        .filter(|e| e.observation().is_none())
        .count();
    assert!(
        unavailable >= 3,
        "status, deployments and logs were unavailable"
    );
}

#[tokio::test]
async fn an_interrupted_rollback_leased_by_another_replica_stops_the_run_with_nothing_else_tried() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    // One rollback, by the first run; the resumed run must not start anything.
    let deploy = Arc::new(platform(rolled_back.clone(), 1, true));
    world.store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let make = |deploy: Arc<MockDeployPlatform>, code: MockCodeHost| {
        world
            .providers()
            .with_deploy(deploy)
            .with_logs(Arc::new(crash_logs()))
            .with_variables(Arc::new(variables()))
            .with_database(Arc::new(database()))
            .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(
                false,
            )))))
            .with_code(Arc::new(code))
    };
    let first = world
        .runner(make(deploy.clone(), MockCodeHost::new()), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await;
    assert_eq!(first.unwrap_err().kind(), ErrorKind::Unavailable);
    let key = "site_down/recent_deployment_crash_loop/rollback:d2";
    // Another replica picked the action up and is executing it.
    world.store.hold_lease(key, "replica-b");

    let mut code = MockCodeHost::new();
    code.expect_open_revert_pr().times(0);
    let report = world
        .runner(make(deploy, code), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        Outcome::HeldElsewhere {
            key: ir_core::model::IdempotencyKey::new(key)
        }
    );
    let incident = world.incident().await;
    let states: Vec<(String, ActionState)> = incident
        .actions()
        .map(|a| (a.action.key.to_string(), a.state))
        .collect();
    assert_eq!(
        states,
        [(key.to_owned(), ActionState::Started)],
        "no other mitigation proposed while the rollback is in flight"
    );
    assert!(!incident.flags().contains(&Flag::MitigationUncertain));
}

#[tokio::test]
async fn a_dry_run_does_not_stop_the_real_run_from_rolling_back() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    // Exactly one rollback: none in the dry run, one in the real run.
    let deploy = Arc::new(platform(rolled_back.clone(), 1, true));
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
            .with_code(Arc::new(MockCodeHost::new()))
    };
    let dry = runner_config(|c| c.dry_run = true);
    let report = world
        .runner_with(make(deploy.clone()), never_asked(), dry)
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    let Outcome::DryRun { would_run } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(
        would_run[0].key.as_str(),
        "dry-run/site_down/recent_deployment_crash_loop/rollback:d2"
    );
    assert!(!rolled_back.load(Ordering::SeqCst));

    let report = world
        .runner(make(deploy), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    let real = incident
        .actions()
        .find(|a| a.action.key.as_str() == "site_down/recent_deployment_crash_loop/rollback:d2")
        .unwrap();
    assert_eq!(real.state, ActionState::Succeeded);
    assert!(!real.dry_run);
}

/// The platform's view of a rollback to d2 that takes a while: the crash-looping d3, then d4
/// (d2's build) deploying for as many status reads as `deploying_reads` allows, then d4 serving.
fn slow_platform(
    rolled_back: Arc<AtomicBool>,
    deploying_reads: Arc<std::sync::atomic::AtomicU32>,
    serving: Arc<AtomicBool>,
) -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    let rb = rolled_back.clone();
    deploy.expect_service_status().returning(move || {
        let d4 = |status| deployment("d4", status, 1).with_commit("d2-sha-0123456789", None);
        if !rb.load(Ordering::SeqCst) {
            return Ok(ServiceStatus::new("web")
                .with_latest(deployment("d3", DeploymentStatus::Crashed, -10))
                .with_active(vec![deployment("d3", DeploymentStatus::Crashed, -10)])
                .with_instances(vec![InstanceStatus::Crashed]));
        }
        let left = deploying_reads.load(Ordering::SeqCst);
        if left > 0 {
            deploying_reads.store(left - 1, Ordering::SeqCst);
            return Ok(ServiceStatus::new("web")
                .with_latest(d4(DeploymentStatus::Deploying))
                .with_active(vec![deployment("d3", DeploymentStatus::Crashed, -10)])
                .with_instances(vec![InstanceStatus::Crashed]));
        }
        serving.store(true, Ordering::SeqCst);
        Ok(ServiceStatus::new("web")
            .with_latest(d4(DeploymentStatus::Active))
            .with_active(vec![d4(DeploymentStatus::Active)])
            .with_instances(vec![InstanceStatus::Running]))
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
        .times(1)
        .withf(|to| to.as_str() == "d2")
        .returning(move |_| {
            rolled_back.store(true, Ordering::SeqCst);
            Ok(())
        });
    deploy
}

#[tokio::test]
async fn a_crash_while_the_rollback_deploys_is_resumed_by_waiting_for_it() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploying_reads = Arc::new(std::sync::atomic::AtomicU32::new(u32::MAX));
    let serving = Arc::new(AtomicBool::new(false));
    // One rollback across both runs.
    let deploy = Arc::new(slow_platform(
        rolled_back.clone(),
        deploying_reads.clone(),
        serving.clone(),
    ));
    // The process dies after the rollback call, before any outcome is recorded.
    world.store.fail_next_append_where(|events| {
        events.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::ActionSucceeded { .. } | EventKind::ActionFailed { .. }
            )
        })
    });
    let make = |deploy: Arc<MockDeployPlatform>, code: MockCodeHost| {
        world
            .providers()
            .with_deploy(deploy)
            .with_logs(Arc::new(crash_logs()))
            .with_variables(Arc::new(variables()))
            .with_database(Arc::new(database()))
            .with_health(Arc::new(switchable_health(serving.clone())))
            .with_code(Arc::new(code))
    };
    let first = world
        .runner(make(deploy.clone(), MockCodeHost::new()), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await;
    assert_eq!(first.unwrap_err().kind(), ErrorKind::Unavailable);
    assert_eq!(
        world.incident().await.actions().next().unwrap().state,
        ActionState::Started
    );

    // On resume the new deployment is still deploying for one more read, then serves.
    deploying_reads.store(1, Ordering::SeqCst);
    let mut code = MockCodeHost::new();
    code.expect_open_revert_pr().times(0);
    let report = world
        .runner(make(deploy, code), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    assert_eq!(incident.actions().count(), 1);
    let record = incident.actions().next().unwrap();
    assert_eq!(record.state, ActionState::Succeeded);
    let detail = success_details(&incident).into_iter().next().unwrap();
    assert!(
        detail.starts_with("found on resume: d4 was deploying the build of d2; d4 serving"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_platform_that_cannot_answer_on_resume_leaves_the_rollback_unresolved() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 1, true);
    world.store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let first = world
        .runner(
            providers(&world, deploy, rolled_back.clone()),
            never_asked(),
        )
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await;
    assert_eq!(first.unwrap_err().kind(), ErrorKind::Unavailable);

    // The platform API is down when the next process resumes.
    let mut down = MockDeployPlatform::new();
    down.expect_deployment()
        .returning(|_| Err(Error::new(ErrorKind::Unavailable, "Bad Gateway").with_status(502)));
    down.expect_service_status()
        .returning(|| Err(Error::new(ErrorKind::Unavailable, "Bad Gateway").with_status(502)));
    down.expect_rollback().times(0);
    let mut code = MockCodeHost::new();
    code.expect_open_revert_pr().times(0);
    let resumed = world
        .runner(
            world
                .providers()
                .with_deploy(Arc::new(down))
                .with_code(Arc::new(code)),
            never_asked(),
        )
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await;
    assert_eq!(resumed.unwrap_err().kind(), ErrorKind::Unavailable);
    let incident = world.incident().await;
    assert_eq!(incident.actions().count(), 1);
    assert_eq!(
        incident.actions().next().unwrap().state,
        ActionState::Started,
        "its outcome is still unknown, not recorded as failed"
    );
}

#[tokio::test]
async fn a_lease_is_released_when_the_intent_cannot_be_recorded() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = platform(rolled_back.clone(), 0, true);
    world.store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionStarted { .. }))
    });
    let run = world
        .runner(providers(&world, deploy, rolled_back), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await;
    assert_eq!(run.unwrap_err().kind(), ErrorKind::Unavailable);
    assert_eq!(
        world
            .store
            .lease_holder("site_down/recent_deployment_crash_loop/rollback:d2"),
        None,
        "another replica can take the action over at once"
    );
    assert_eq!(
        world.incident().await.actions().next().unwrap().state,
        ActionState::Approved
    );
}

#[tokio::test]
async fn a_p0_pages_the_on_call_engineer_once_across_a_resumed_run() {
    let world = World::open("Site down", &signals(), 2).await;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let deploy = Arc::new(platform(rolled_back.clone(), 1, true));
    let pages = Arc::new(Mutex::new(Vec::new()));
    let pager = || {
        let mut pager = MockPager::new();
        let log = pages.clone();
        pager.expect_trigger().returning(move |p| {
            log.lock().unwrap().push(p.role);
            Ok(())
        });
        pager.expect_resolve().returning(|_| Ok(()));
        pager.expect_acknowledge().returning(|_| Ok(()));
        Arc::new(pager)
    };
    world.store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let make = |deploy: Arc<MockDeployPlatform>| {
        world
            .providers()
            .with_deploy(deploy)
            .with_logs(Arc::new(crash_logs()))
            .with_variables(Arc::new(variables()))
            .with_database(Arc::new(database()))
            .with_health(Arc::new(switchable_health(rolled_back.clone())))
            .with_pager(pager())
    };
    let first = world
        .runner(make(deploy.clone()), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await;
    assert_eq!(first.unwrap_err().kind(), ErrorKind::Unavailable);
    let report = world
        .runner(make(deploy), never_asked())
        .run(world.id, &ir_core::playbook::Symptoms::new(signals()))
        .await
        .unwrap();
    assert_resolved(&report);
    let on_call = pages
        .lock()
        .unwrap()
        .iter()
        .filter(|r| **r == Role::OnCall)
        .count();
    assert_eq!(on_call, 1, "paged at detection, not again on resume");
}
