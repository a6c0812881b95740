//! "New error signatures since the last deployment": the logs before the current deployment
//! against those since, mined by `ir_triage`, cited by the playbook whose pattern the new
//! signature matches and named in the initial assessment.

use std::sync::Arc;

use secrecy::SecretString;

use super::*;
use ir_core::classify::{Capability, Outage, Reachability, Signals};
use ir_core::model::{EvidenceId, Hypothesis, LogSignatures, Observation};
use ir_core::playbook::Symptoms;
use ir_core::runner::{Outcome, RunnerConfig};

fn dry() -> RunnerConfig {
    runner_config(|c| c.dry_run = true)
}

/// d7 went out ten minutes before detection; d6 served before it.
fn platform() -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    deploy.expect_service_status().returning(|| {
        Ok(ServiceStatus::new("web")
            .with_latest(deployment("d7", DeploymentStatus::Active, -10))
            .with_active(vec![deployment("d7", DeploymentStatus::Active, -10)])
            .with_instances(vec![InstanceStatus::Running]))
    });
    deploy.expect_list_deployments().returning(|_| {
        Ok(vec![
            deployment("d7", DeploymentStatus::Active, -10),
            deployment("d6", DeploymentStatus::Active, -300),
        ])
    });
    deploy.expect_rollback().times(0);
    deploy.expect_redeploy().times(0);
    deploy.expect_restart().times(0);
    deploy
}

/// A log source holding `lines` (minute, message) and answering each query's window, as a
/// real provider does.
fn windowed_logs(lines: Vec<(i64, String)>) -> MockLogSource {
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(move |q| {
        Ok(lines
            .iter()
            .map(|(m, text)| LogLine::new(t(*m), None, text.clone()))
            .filter(|l| q.since.is_none_or(|s| l.timestamp >= s))
            .filter(|l| q.until.is_none_or(|u| l.timestamp < u))
            .collect())
    });
    logs
}

/// The baseline every test shares: d6 serving, one slow-pool error every five minutes.
fn before_d7() -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for m in (-55..-10).step_by(5) {
        out.push((m, format!("GET /api/items 200 in {}ms", 10 - m)));
        out.push((
            m,
            "Error: timeout exceeded when trying to connect".to_owned(),
        ));
    }
    out.push((
        -30,
        "Error: ECONNRESET socket hang up at TLSSocket.onConnectEnd".to_owned(),
    ));
    out
}

fn variables(names: &'static [&'static str]) -> MockVariableStore {
    let mut vars = MockVariableStore::new();
    vars.expect_list_names()
        .returning(move || Ok(names.iter().map(|s| s.to_string()).collect()));
    vars.expect_get()
        .returning(|_| Ok(Some(SecretString::from("postgresql://app:pw@db:6432/web"))));
    vars.expect_set().times(0);
    vars.expect_delete().times(0);
    vars
}

/// The log-signature evidence of the incident, with its id.
fn signatures(incident: &ir_core::incident::Incident) -> (EvidenceId, LogSignatures) {
    incident
        .evidence()
        .find_map(|e| match e.observation() {
            Some(Observation::LogSignatures(s)) => Some((e.id.clone(), s.clone())),
            _ => None,
        })
        .expect("log-signature evidence")
}

fn top(incident: &ir_core::incident::Incident) -> Hypothesis {
    incident.assessments().last().unwrap()[0].clone()
}

fn initial_assessment(world: &World) -> String {
    world
        .said()
        .into_iter()
        .find(|m| m.contains("INITIAL ASSESSMENT"))
        .expect("an initial assessment")
}

#[tokio::test]
async fn nextauth_no_secret_new_since_the_deploy_is_cited_for_the_missing_secret() {
    let signals = Signals {
        outages: vec![Outage::total(Capability::Auth)],
        ..Signals::default()
    };
    let world = World::open("Login broken", &signals, 5).await;
    let mut lines = before_d7();
    for m in [-8, -6, -4, -2] {
        lines.push((m, "GET /api/auth/session 500".to_owned()));
        lines.push((
            m,
            "[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret \
             Please define a `secret` in production."
                .to_owned(),
        ));
        lines.push((
            m,
            "Error: timeout exceeded when trying to connect".to_owned(),
        ));
    }
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform()))
        .with_variables(Arc::new(variables(&["DATABASE_URL"])))
        .with_logs(Arc::new(windowed_logs(lines)));
    let report = world
        .runner_with(providers, Arc::new(AutoApprove::new("alice")), dry())
        .run(world.id, &Symptoms::new(signals))
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::DryRun { .. }),
        "{:?}",
        report.outcome
    );

    let incident = world.incident().await;
    let (id, sigs) = signatures(&incident);
    assert_eq!(sigs.deployment.as_str(), "d7");
    assert_eq!(sigs.since, t(-10));
    let new: Vec<&str> = sigs.new.iter().map(|s| s.template.as_str()).collect();
    assert_eq!(
        new,
        [
            "[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret Please define a `secret` in production."
        ]
    );
    let no_secret = &sigs.new[0];
    assert_eq!((no_secret.baseline_count, no_secret.incident_count), (0, 4));
    assert_eq!((no_secret.first_seen, no_secret.last_seen), (t(-8), t(-2)));
    // The pool timeout ran at the same rate before and after: neither new nor spiking. The
    // socket hang-up stopped with d6.
    assert!(sigs.spiking.is_empty(), "{:?}", sigs.spiking);
    let vanished: Vec<&str> = sigs.vanished.iter().map(|s| s.template.as_str()).collect();
    assert_eq!(
        vanished,
        ["Error: ECONNRESET socket hang up at TLSSocket.onConnectEnd"]
    );

    let h = top(&incident);
    assert_eq!(h.cause, "auth_secret_missing");
    assert!(
        h.supporting.contains(&id),
        "{:?} does not cite {id}",
        h.supporting
    );
    let text = initial_assessment(&world);
    assert!(
        text.contains(&format!(
            "{id}: new error signature since deploy d7: `[next-auth][error][NO_SECRET] "
        )),
        "{text}"
    );
}

#[tokio::test]
async fn cannot_find_module_new_since_the_deploy_is_cited_for_the_crash_loop() {
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    let world = World::open("Site down", &signals, 5).await;
    let mut lines = before_d7();
    for m in [-9, -7, -5, -3] {
        lines.push((m, "> next start".to_owned()));
        lines.push((
            m,
            "Error: Cannot find module '/app/lib/utils/formatDate' token=ghp_abcdefghijklmnopqrstuvwxyz0123456789"
                .to_owned(),
        ));
    }
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut code = MockCodeHost::new();
    code.expect_open_revert_pr().times(0);
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform()))
        .with_variables(Arc::new(variables(&["DATABASE_URL"])))
        .with_code(Arc::new(code))
        .with_logs(Arc::new(windowed_logs(lines)))
        .with_health(Arc::new(switchable_health(healthy)));
    world
        .runner_with(providers, Arc::new(AutoApprove::new("alice")), dry())
        .run(world.id, &Symptoms::new(signals))
        .await
        .unwrap();

    let incident = world.incident().await;
    let (id, sigs) = signatures(&incident);
    let new: Vec<&str> = sigs.new.iter().map(|s| s.template.as_str()).collect();
    // Every line carried the same token, so the miner kept it in the template: the template
    // goes through `ir_core::redact` as the example line does.
    assert_eq!(new, ["Error: Cannot find module '<*>' token=<redacted>"]);
    assert!(
        !sigs.new[0].example.contains("ghp_"),
        "{}",
        sigs.new[0].example
    );
    assert!(!world.timeline_json().await.contains("ghp_abcdefghij"));

    let h = top(&incident);
    assert_eq!(h.cause, "recent_deployment_crash_loop");
    assert!(
        h.supporting.contains(&id),
        "{:?} does not cite {id}",
        h.supporting
    );
    let text = initial_assessment(&world);
    assert!(
        text.contains(&format!(
            "{id}: new error signature since deploy d7: `Error: Cannot find module '<*>'"
        )),
        "{text}"
    );
}
