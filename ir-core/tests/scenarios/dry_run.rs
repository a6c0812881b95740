//! Dry runs: every mutating port method is mocked with `.times(0)`, and the timeline lists
//! every action that would have run.

use std::sync::Arc;

use secrecy::SecretString;

use super::*;
use ir_core::classify::{Capability, Outage, Reachability, Signals};
use ir_core::incident::{ActionState, Phase};
use ir_core::model::ActionKind;
use ir_core::playbook::Symptoms;
use ir_core::runner::{Outcome, RunnerConfig};

fn dry() -> RunnerConfig {
    runner_config(|c| c.dry_run = true)
}

fn deploy_read_only() -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    deploy.expect_service_status().returning(|| {
        Ok(ServiceStatus::new("web")
            .with_latest(deployment("d3", DeploymentStatus::Crashed, -10))
            .with_active(vec![deployment("d3", DeploymentStatus::Crashed, -10)])
            .with_instances(vec![InstanceStatus::Crashed]))
    });
    deploy.expect_list_deployments().returning(|_| {
        Ok(vec![
            deployment("d3", DeploymentStatus::Crashed, -10),
            deployment("d2", DeploymentStatus::Active, -180),
        ])
    });
    deploy.expect_rollback().times(0);
    deploy.expect_redeploy().times(0);
    deploy.expect_restart().times(0);
    deploy
}

fn variables_read_only(names: Vec<String>) -> MockVariableStore {
    let mut vars = MockVariableStore::new();
    vars.expect_list_names()
        .returning(move || Ok(names.clone()));
    vars.expect_get().returning(|_| {
        Ok(Some(SecretString::from(
            "postgresql://app:pw-9f8e7d@db:5432/web",
        )))
    });
    vars.expect_set().times(0);
    vars.expect_delete().times(0);
    vars
}

fn code_read_only() -> MockCodeHost {
    let mut code = MockCodeHost::new();
    code.expect_create_issue().times(0);
    code.expect_open_revert_pr().times(0);
    code
}

fn db_read_only() -> MockDatabaseDiagnostics {
    let mut db = MockDatabaseDiagnostics::new();
    db.expect_connection_status().returning(|| {
        Ok(connection_status(
            100,
            3,
            StateCounts {
                active: 12,
                idle: 85,
                ..StateCounts::default()
            },
            Some(Duration::from_secs(50 * 60)),
            None,
        ))
    });
    db.expect_pool_status().returning(|| {
        Ok(PoolStatus {
            size: 20,
            idle: 0,
            max: 20,
        })
    });
    db.expect_pgbouncer_pools().returning(|| Ok(vec![]));
    db.expect_terminate_idle().times(0);
    db
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

#[tokio::test]
async fn a_dry_run_of_a_site_outage_changes_nothing_and_lists_the_rollback_and_revert() {
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    let world = World::open("Site down", &signals, 2).await;
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let providers = world
        .providers()
        .with_deploy(Arc::new(deploy_read_only()))
        .with_variables(Arc::new(variables_read_only(vec![])))
        .with_code(Arc::new(code_read_only()))
        .with_database(Arc::new(db_read_only()))
        .with_logs(Arc::new(logs(&[
            "Container crashed, restarting",
            "exited with code 1",
        ])))
        .with_health(Arc::new(switchable_health(healthy)));
    let report = world
        .runner_with(providers, Arc::new(AutoApprove::new("alice")), dry())
        .run(world.id, &Symptoms::new(signals))
        .await
        .unwrap();
    let Outcome::DryRun { would_run: actions } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    let kinds: Vec<String> = actions.iter().map(|a| a.kind.describe()).collect();
    assert_eq!(
        kinds,
        [
            "roll back to deployment d2",
            "open a pull request reverting d3-sha- into main"
        ]
    );
    let incident = world.incident().await;
    assert_eq!(
        success_details(&incident),
        [
            "dry run: would roll back to deployment d2 (risk: Reversible)",
            "dry run: would open a pull request reverting d3-sha- into main (risk: Reversible)"
        ]
    );
    assert!(
        incident
            .actions()
            .all(|a| a.dry_run && a.state == ActionState::Succeeded)
    );
    assert!(incident.timeline().iter().all(|e| !matches!(
        e.event.kind,
        EventKind::ActionStarted { dry_run: false, .. }
    )));
    assert_ne!(incident.phase(), Phase::Resolved);
}

#[tokio::test]
async fn a_dry_run_of_a_missing_secret_and_a_leak_sets_nothing_and_terminates_nothing() {
    let signals = Signals {
        outages: vec![Outage::total(Capability::Auth)],
        pool_exhausted: true,
        ..Signals::default()
    };
    let world = World::open("Login and API down", &signals, 2).await;
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut approver = MockApprover::new();
    approver
        .expect_decide()
        .returning(|_| Ok(Decision::Approved { by: "alice".into() }));
    let providers = world
        .providers()
        .with_deploy(Arc::new(deploy_read_only()))
        .with_variables(Arc::new(variables_read_only(vec!["DATABASE_URL".into()])))
        .with_code(Arc::new(code_read_only()))
        .with_database(Arc::new(db_read_only()))
        .with_logs(Arc::new(logs(&[
            "[next-auth][error][NO_SECRET]",
            "QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 30.00",
        ])))
        .with_health(Arc::new(switchable_health(healthy)));
    let report = world
        .runner_with(providers, Arc::new(approver), dry())
        .run(world.id, &Symptoms::new(signals))
        .await
        .unwrap();
    let Outcome::DryRun { would_run: actions } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    let incident = world.incident().await;
    let listed = success_details(&incident);
    assert_eq!(listed.len(), actions.len());
    assert!(actions.iter().any(
        |a| matches!(&a.kind, ActionKind::SetVariable { name, .. } if name == "NEXTAUTH_SECRET")
    ));
    assert!(
        actions
            .iter()
            .any(|a| matches!(a.kind, ActionKind::TerminateIdleConnections { .. }))
    );
    assert!(actions.iter().any(
        |a| matches!(&a.kind, ActionKind::SetVariable { name, .. } if name == "DATABASE_URL")
    ));
    assert!(listed.iter().any(|d| d.contains(
        "would terminate database connections idle for more than 10 minutes (risk: Destructive)"
    )));
    assert_never_said(&world, "pw-9f8e7d").await;
}
