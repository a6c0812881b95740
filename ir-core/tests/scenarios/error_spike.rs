use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};

use super::*;
use ir_core::classify::Signals;
use ir_core::incident::{ActionState, Phase};
use ir_core::model::ActionKind;
use ir_core::model::Role;
use ir_core::playbook::Symptoms;
use ir_core::runner::Outcome;

fn signals() -> Signals {
    Signals {
        error_rate_5xx: Some(0.04),
        ..Signals::default()
    }
}

fn symptoms() -> Symptoms {
    Symptoms::new(signals())
}

/// Errors: 2 a minute before onset (t-3), 60 a minute after, 0 once `fixed`.
fn tracker(
    fixed: Arc<AtomicBool>,
    titles: &'static [&'static str],
    first_seen: i64,
) -> MockErrorTracker {
    let mut errors = MockErrorTracker::new();
    let issues = move || -> Vec<TrackedIssue> {
        titles
            .iter()
            .enumerate()
            .map(|(i, title)| TrackedIssue::new(i.to_string(), *title, 500, t(first_seen), t(0)))
            .collect()
    };
    errors.expect_new_issues().returning(move |_| Ok(issues()));
    errors
        .expect_top_issues()
        .returning(move |_, _| Ok(issues()));
    errors.expect_error_counts().returning(move |w, interval| {
        let step = chrono::Duration::from_std(interval).unwrap();
        let mut out = Vec::new();
        let mut at = w.start;
        while at < w.end {
            let count = if fixed.load(Ordering::SeqCst) {
                0
            } else if at < t(-3) {
                2
            } else {
                60
            };
            out.push(ErrorBucket { start: at, count });
            at += step;
        }
        Ok(out)
    });
    errors
}

fn platform(rolled_back: Arc<AtomicBool>, rollbacks: usize) -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    let ds = || {
        vec![
            deployment("d5", DeploymentStatus::Active, -8),
            deployment("d4", DeploymentStatus::Active, -1440),
        ]
    };
    let rb = rolled_back.clone();
    deploy.expect_service_status().returning(move || {
        let active = if rb.load(Ordering::SeqCst) {
            "d4"
        } else {
            "d5"
        };
        Ok(ServiceStatus::new("web")
            .with_active(vec![deployment(active, DeploymentStatus::Active, -8)])
            .with_instances(vec![InstanceStatus::Running]))
    });
    deploy
        .expect_list_deployments()
        .returning(move |_| Ok(ds()));
    deploy
        .expect_deployment()
        .returning(|_| Ok(deployment("d4", DeploymentStatus::Active, -1440)));
    deploy
        .expect_rollback()
        .times(rollbacks)
        .withf(|to| to.as_str() == "d4")
        .returning(move |_| {
            rolled_back.store(true, Ordering::SeqCst);
            Ok(())
        });
    deploy
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

fn healthy() -> MockHealthProbe {
    switchable_health(Arc::new(AtomicBool::new(true)))
}

fn no_auth_problem() -> MockVariableStore {
    let mut vars = MockVariableStore::new();
    vars.expect_list_names()
        .returning(|| Ok(vec!["NEXTAUTH_SECRET".into()]));
    vars
}

fn approve(times: usize) -> Arc<dyn Approver> {
    let mut a = MockApprover::new();
    a.expect_decide()
        .times(times)
        .returning(|_| Ok(Decision::Approved { by: "bob".into() }));
    Arc::new(a)
}

#[tokio::test]
async fn errors_after_a_deployment_roll_back_and_return_to_baseline() {
    let world = World::open("5xx spike", &signals(), 3).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let providers = world
        .providers()
        .with_deploy(Arc::new(platform(fixed.clone(), 1)))
        .with_errors(Arc::new(tracker(
            fixed.clone(),
            &["TypeError: Cannot read properties of undefined (reading 'plan')"],
            -5,
        )))
        .with_logs(Arc::new(logs(&[])))
        .with_variables(Arc::new(no_auth_problem()))
        .with_health(Arc::new(healthy()));
    // P2: a reversible action needs a person.
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
    assert!(root_cause.starts_with("deployment d5"), "{root_cause}");
    assert_eq!(mitigation, "Rolled back to deployment d4");
    let incident = world.incident().await;
    assert_eq!(step_outline(&incident), RESOLVED_OUTLINE);
    let verified = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::MitigationVerified { summary } => Some(summary.clone()),
            _ => None,
        });
    assert!(verified.unwrap().contains("error rate at baseline"));
    assert!(
        world
            .said()
            .iter()
            .any(|m| m.contains("Error rate at baseline (0 errors in 15 min"))
    );
    assert!(
        incident.escalated_roles().contains(&Role::Team),
        "P2: tell the team"
    );
}

/// A store holding `FEATURE_FLAG_STRIPE=true`, recording sets.
fn flags(
    sets: Arc<Mutex<Vec<(String, String)>>>,
    fixed: Option<Arc<AtomicBool>>,
) -> MockVariableStore {
    let mut vars = no_auth_problem();
    let current = Arc::new(Mutex::new("true".to_owned()));
    let c = current.clone();
    vars.expect_get()
        .withf(|n| n == "FEATURE_FLAG_STRIPE")
        .returning(move |_| Ok(Some(SecretString::from(c.lock().unwrap().clone()))));
    vars.expect_set().returning(move |n, v, _| {
        let v = v.expose_secret().to_owned();
        if v == "false"
            && let Some(f) = &fixed
        {
            f.store(true, Ordering::SeqCst);
        }
        *current.lock().unwrap() = v.clone();
        sets.lock().unwrap().push((n.to_owned(), v));
        Ok(())
    });
    vars
}

const STRIPE: &[&str] = &["StripeConnectionError: Request to Stripe timed out (api.stripe.com)"];

fn old_platform() -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    deploy.expect_service_status().returning(|| {
        Ok(ServiceStatus::new("web").with_active(vec![deployment(
            "d4",
            DeploymentStatus::Active,
            -1440,
        )]))
    });
    deploy
        .expect_list_deployments()
        .returning(|_| Ok(vec![deployment("d4", DeploymentStatus::Active, -1440)]));
    deploy.expect_rollback().times(0);
    deploy
}

#[tokio::test]
async fn a_failing_third_party_turns_its_feature_off_and_tells_the_product_lead() {
    let world = World::open("5xx spike", &signals(), 3).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let sets = Arc::new(Mutex::new(Vec::new()));
    let providers = world
        .providers()
        .with_deploy(Arc::new(old_platform()))
        .with_errors(Arc::new(tracker(fixed.clone(), STRIPE, -3)))
        .with_logs(Arc::new(logs(&[
            "Error: connect ETIMEDOUT api.stripe.com:443",
        ])))
        .with_variables(Arc::new(flags(sets.clone(), Some(fixed))))
        .with_health(Arc::new(healthy()));
    let report = world
        .runner(providers, approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::Resolved { root_cause, .. } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(root_cause.starts_with("Stripe API failing"), "{root_cause}");
    assert_eq!(
        *sets.lock().unwrap(),
        [("FEATURE_FLAG_STRIPE".to_owned(), "false".to_owned())]
    );
    let incident = world.incident().await;
    assert!(
        incident.escalated_roles().contains(&Role::ProductLead),
        "disabling a feature"
    );
    let top = &incident.assessments().last().unwrap()[0];
    assert_eq!(top.cause, "third_party_failure");
    assert_eq!(
        top.supporting.len(),
        3,
        "new issues, top issues and logs: {top:?}"
    );
    assert!(
        incident
            .timeline()
            .iter()
            .any(|e| matches!(&e.event.kind, EventKind::Recommended { recommendations, .. } if recommendations.iter().any(|r| r.contains("circuit breaker around Stripe"))))
    );
}

#[tokio::test]
async fn a_flag_that_does_not_help_is_turned_back_on() {
    let world = World::open("5xx spike", &signals(), 3).await;
    let sets = Arc::new(Mutex::new(Vec::new()));
    let providers = world
        .providers()
        .with_deploy(Arc::new(old_platform()))
        .with_errors(Arc::new(tracker(
            Arc::new(AtomicBool::new(false)),
            STRIPE,
            -3,
        )))
        .with_logs(Arc::new(logs(&[])))
        .with_variables(Arc::new(flags(sets.clone(), None)))
        .with_health(Arc::new(healthy()));
    let report = world
        .runner(providers, approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::NeedsHuman { .. }),
        "{:?}",
        report.outcome
    );
    assert_eq!(
        *sets.lock().unwrap(),
        [
            ("FEATURE_FLAG_STRIPE".to_owned(), "false".to_owned()),
            ("FEATURE_FLAG_STRIPE".to_owned(), "true".to_owned())
        ]
    );
    let incident = world.incident().await;
    let failed = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::VerificationFailed { summary } => Some(summary.clone()),
            _ => None,
        });
    assert!(failed.unwrap().contains("errors in the last 300 s"));
    assert!(matches!(
        incident.actions().last().map(|a| (&a.action.kind, a.state)),
        Some((ActionKind::RestoreVariable { .. }, ActionState::Succeeded))
    ));
}

#[tokio::test]
async fn database_timeouts_get_recommendations_not_actions() {
    let world = World::open("5xx spike", &signals(), 3).await;
    let mut db = MockDatabaseDiagnostics::new();
    db.expect_slow_queries().returning(|_| {
        Ok(SlowQueries::Available(vec![SlowQuery {
            query: "SELECT * FROM orders WHERE customer_id = $1".into(),
            calls: 9120,
            total_time: Duration::from_secs(22_800),
            mean_time: Duration::from_millis(2500),
            rows: 9120,
        }]))
    });
    db.expect_terminate_idle().times(0);
    let providers = world
        .providers()
        .with_deploy(Arc::new(old_platform()))
        .with_database(Arc::new(db))
        .with_errors(Arc::new(tracker(
            Arc::new(AtomicBool::new(false)),
            &["QueryFailedError: canceling statement due to statement timeout"],
            -3,
        )))
        .with_logs(Arc::new(logs(&[
            "ERROR: canceling statement due to statement timeout",
        ])))
        .with_variables(Arc::new(no_auth_problem()))
        .with_health(Arc::new(healthy()));
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
    assert!(
        recommendations
            .iter()
            .any(|r| r.contains("mean 2500 ms, 9120 calls): SELECT * FROM orders")),
        "{recommendations:?}"
    );
    let incident = world.incident().await;
    assert_eq!(incident.actions().count(), 0);
    assert_eq!(
        incident.assessments().last().unwrap()[0].cause,
        "database_timeout"
    );
}

#[tokio::test]
async fn with_the_tracker_down_the_rollback_holds_but_the_root_cause_must_be_deferred() {
    let world = World::open("5xx spike", &signals(), 3).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let down = || {
        Error::new(ErrorKind::Unavailable, "Bad Gateway")
            .with_provider("sentry")
            .with_status(502)
    };
    let providers = |deploy: MockDeployPlatform| {
        let mut errors = MockErrorTracker::new();
        errors.expect_new_issues().returning(move |_| Err(down()));
        errors
            .expect_top_issues()
            .returning(move |_, _| Err(down()));
        errors
            .expect_error_counts()
            .returning(move |_, _| Err(down()));
        world
            .providers()
            .with_deploy(Arc::new(deploy))
            .with_errors(Arc::new(errors))
            .with_logs(Arc::new(logs(&[])))
            .with_variables(Arc::new(no_auth_problem()))
            .with_health(Arc::new(healthy()))
    };
    let report = world
        .runner(providers(platform(fixed.clone(), 1)), approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    // The deployment alone gives 0.5: enough to act on, not to call the cause understood.
    let Outcome::NeedsHuman { reason, .. } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(reason.contains("root cause not understood"), "{reason}");
    let incident = world.incident().await;
    assert_eq!(incident.phase(), Phase::Monitoring);
    assert!(
        incident
            .evidence()
            .any(|e| e.source == "errors" && e.observation().is_none())
    );

    // Deferring the root cause explicitly resolves it; the rollback is not repeated.
    let config = runner_config(|c| c.defer_unknown_root_cause = true);
    let again = world
        .runner_with(providers(platform(fixed, 0)), approve(0), config)
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::Resolved { root_cause, .. } = &again.outcome else {
        panic!("{:?}", again.outcome)
    };
    assert!(
        root_cause.starts_with("deferred: deployment d5"),
        "{root_cause}"
    );
    // Nothing claims the error rate is at baseline: it could not be compared, and the
    // timeline says so.
    assert!(!world.said().iter().any(|m| m.contains("✅ Error rate")));
    let incident = world.incident().await;
    assert!(incident.timeline().iter().any(|e| matches!(&e.event.kind,
        EventKind::Note { text } if text.contains("Error rate not compared (no baseline before onset)"))));
}

#[tokio::test]
async fn a_resumed_run_does_not_take_the_undo_of_a_flag_for_a_mitigation_to_verify() {
    let world = World::open("5xx spike", &signals(), 3).await;
    let sets = Arc::new(Mutex::new(Vec::new()));
    let providers = || {
        world
            .providers()
            .with_deploy(Arc::new(old_platform()))
            .with_errors(Arc::new(tracker(
                Arc::new(AtomicBool::new(false)),
                STRIPE,
                -3,
            )))
            .with_logs(Arc::new(logs(&[])))
            .with_variables(Arc::new(flags(sets.clone(), None)))
            .with_health(Arc::new(healthy()))
    };
    let first = world
        .runner(providers(), approve(1))
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(matches!(first.outcome, Outcome::NeedsHuman { .. }));
    assert!(matches!(
        world
            .incident()
            .await
            .actions()
            .last()
            .map(|a| &a.action.kind),
        Some(ActionKind::RestoreVariable { .. })
    ));
    let verifications = |incident: &ir_core::incident::Incident| -> Vec<&'static str> {
        incident
            .timeline()
            .iter()
            .map(|e| e.event.kind.name())
            .filter(|n| matches!(*n, "mitigation_verified" | "verification_failed"))
            .collect()
    };
    let before = verifications(&world.incident().await);
    assert_eq!(before.last(), Some(&"verification_failed"));

    // Run again: the flag was tried and undone; nothing is pending verification.
    let second = world
        .runner(providers(), never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(
        matches!(second.outcome, Outcome::NeedsHuman { .. }),
        "{:?}",
        second.outcome
    );
    let incident = world.incident().await;
    assert_eq!(
        verifications(&incident),
        before,
        "the undo is not verified as if it were a mitigation"
    );
    assert_eq!(sets.lock().unwrap().len(), 2, "set once, restored once");
}
