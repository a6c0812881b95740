use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

use super::*;
use ir_core::classify::{Capability, Outage, Signals};
use ir_core::incident::{ActionState, Phase};
use ir_core::model::ActionKind;
use ir_core::playbook::Symptoms;
use ir_core::runner::Outcome;

fn signals() -> Signals {
    Signals {
        outages: vec![Outage::total(Capability::Auth)],
        ..Signals::default()
    }
}

fn symptoms() -> Symptoms {
    Symptoms::new(signals())
}

const CONFIG_ERROR: &str = r#"{"message":"There is a problem with the server configuration. Check the server logs for more information."}"#;

/// Auth endpoints: broken until `fixed`.
fn auth_health(fixed: Arc<AtomicBool>) -> MockHealthProbe {
    let mut health = MockHealthProbe::new();
    health.expect_check().returning(move |path| {
        let ok = fixed.load(Ordering::SeqCst);
        Ok(match (path, ok) {
            ("/api/auth/session", false) => {
                HealthReport::answered(path, 500, Duration::from_millis(40), CONFIG_ERROR)
            }
            ("/api/auth/signin", false) => {
                HealthReport::answered(path, 500, Duration::from_millis(40), "Server error")
            }
            ("/api/auth/session", true) => {
                HealthReport::answered(path, 200, Duration::from_millis(40), "{}")
            }
            _ => HealthReport::answered(path, 200, Duration::from_millis(40), "ok"),
        })
    });
    health
}

fn logs(line: &'static str) -> MockLogSource {
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(move |_| {
        Ok(vec![
            LogLine::new(t(-2), None, "GET /api/auth/session 500"),
            LogLine::new(t(-2), None, line),
        ])
    });
    logs
}

fn tracker() -> MockErrorTracker {
    let mut errors = MockErrorTracker::new();
    errors.expect_new_issues().returning(|_| {
        Ok(vec![TrackedIssue::new(
            "1",
            "MissingSecretError: Please define a `secret` in production.",
            412,
            t(-2),
            t(0),
        )])
    });
    errors.expect_error_counts().returning(|w, _| {
        // One error a minute before onset, none after the fix.
        let mut out = Vec::new();
        let mut at = w.start;
        while at < w.end {
            out.push(ErrorBucket {
                start: at,
                count: u64::from(at < t(-2)),
            });
            at += chrono::Duration::minutes(1);
        }
        Ok(out)
    });
    errors
}

/// A variable store where `names` are set, and `set` of the secret flips `fixed`, keeping the
/// value it was given in `captured`.
fn store(
    names: &'static [&'static str],
    fixed: Arc<AtomicBool>,
    captured: Arc<Mutex<Option<String>>>,
    set_calls: usize,
    set_result: fn() -> Result<()>,
) -> MockVariableStore {
    let mut vars = MockVariableStore::new();
    vars.expect_list_names()
        .returning(move || Ok(names.iter().map(|s| s.to_string()).collect()));
    let seen = captured.clone();
    vars.expect_get()
        .returning(move |_| Ok(seen.lock().unwrap().clone().map(SecretString::from)));
    vars.expect_set()
        .times(set_calls)
        .withf(|name, value, options| {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(value.expose_secret())
                .unwrap_or_default();
            name == "NEXTAUTH_SECRET" && raw.len() == 32 && !options.skip_deploys
        })
        .returning(move |_, value, _| {
            set_result()?;
            *captured.lock().unwrap() = Some(value.expose_secret().to_owned());
            fixed.store(true, Ordering::SeqCst);
            Ok(())
        });
    vars.expect_delete().times(0);
    vars
}

fn ok() -> Result<()> {
    Ok(())
}

/// The happy path's world and run.
async fn fix_missing_secret() -> (
    World,
    ir_core::runner::RunReport,
    Arc<Mutex<Option<String>>>,
) {
    let world = World::open("Login broken", &signals(), 3).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let captured = Arc::new(Mutex::new(None));
    let providers = world
        .providers()
        .with_variables(Arc::new(store(&["DATABASE_URL"], fixed.clone(), captured.clone(), 1, ok)))
        .with_logs(Arc::new(logs(
            "[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret Please define a `secret` in production.",
        )))
        .with_health(Arc::new(auth_health(fixed)))
        .with_errors(Arc::new(tracker()));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    (world, report, captured)
}

#[tokio::test]
async fn missing_nextauth_secret_is_generated_set_verified_and_never_recorded() {
    // Every log line of the process is kept (a thread-scoped subscriber would race with the
    // other tests' threads over `tracing`'s global interest cache).
    let logs_seen = CapturedLogs::global();
    let (world, report, captured) = fix_missing_secret().await;
    assert_resolved(&report);

    let incident = world.incident().await;
    assert_eq!(step_outline(&incident), RESOLVED_OUTLINE);
    let top = &incident.assessments().last().unwrap()[0];
    assert_eq!(top.cause, "auth_secret_missing");
    assert!(top.confidence > 0.85, "{top:?}");
    assert_eq!(
        top.supporting.len(),
        5,
        "both variables, logs, session, tracker: {top:?}"
    );

    let secret = captured
        .lock()
        .unwrap()
        .clone()
        .expect("the secret was set");
    let action = incident.actions().next().unwrap();
    assert_eq!(
        action.action.kind,
        ActionKind::SetVariable {
            name: "NEXTAUTH_SECRET".into(),
            value_fingerprint: fingerprint(&SecretString::from(secret.clone())),
        }
    );
    assert_never_said(&world, &secret).await;
    assert!(!format!("{report:?}").contains(&secret));
    let logged = logs_seen.text();
    let this_run = format!(
        "set NEXTAUTH_SECRET ({}); the service restarts",
        fingerprint(&SecretString::from(secret.clone()))
    );
    assert!(logged.contains(&this_run), "{this_run} not in {logged}");
    assert!(!logged.contains(&secret), "the secret was logged");
    let resolved = incident.resolution().unwrap();
    assert!(
        resolved.0.contains("NEXTAUTH_SECRET is not set"),
        "{resolved:?}"
    );
    assert!(
        world
            .said()
            .iter()
            .any(|m| m.contains("Error rate at baseline"))
    );
}

#[tokio::test]
async fn auth_js_v5_gets_auth_secret() {
    let world = World::open("Login broken", &signals(), 3).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let mut vars = MockVariableStore::new();
    vars.expect_list_names().returning(|| Ok(vec![]));
    vars.expect_get().returning(|_| Ok(None));
    let flag = fixed.clone();
    vars.expect_set()
        .times(1)
        .withf(|name, _, _| name == "AUTH_SECRET")
        .returning(move |_, _, _| {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
    let providers = world
        .providers()
        .with_variables(Arc::new(vars))
        .with_logs(Arc::new(logs(
            "[auth][error] MissingSecret: Please define a `secret`. Read more at https://errors.authjs.dev#missingsecret",
        )))
        .with_health(Arc::new(auth_health(fixed)));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert_resolved(&report);
}

#[tokio::test]
async fn a_secret_that_is_set_is_not_replaced() {
    // NEXTAUTH_SECRET exists; the session endpoint still says "server configuration" (an
    // UntrustedHost, say). Nothing is set: the runner asks people.
    let world = World::open("Login broken", &signals(), 3).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let captured = Arc::new(Mutex::new(None));
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(|_| {
        Ok(vec![LogLine::new(
            t(-2),
            None,
            "[auth][error] UntrustedHost: Host must be trusted.",
        )])
    });
    let providers = world
        .providers()
        .with_variables(Arc::new(store(
            &["NEXTAUTH_SECRET"],
            fixed.clone(),
            captured,
            0,
            ok,
        )))
        .with_logs(Arc::new(logs))
        .with_health(Arc::new(auth_health(fixed)));
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
            .any(|r| r.contains("AUTH_TRUST_HOST")),
        "{recommendations:?}"
    );
    let incident = world.incident().await;
    assert_eq!(incident.actions().count(), 0);
    let top = &incident.assessments().last().unwrap()[0];
    assert_eq!(top.cause, "auth_configuration_error");
}

#[tokio::test]
async fn a_refused_set_is_recorded_without_the_value() {
    let world = World::open("Login broken", &signals(), 3).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let captured = Arc::new(Mutex::new(None));
    fn refuse() -> Result<()> {
        Err(Error::new(ErrorKind::PermissionDenied, "Not Authorized")
            .with_provider("railway")
            .with_operation("variableUpsert"))
    }
    let providers = world
        .providers()
        .with_variables(Arc::new(store(
            &[],
            fixed.clone(),
            captured.clone(),
            1,
            refuse,
        )))
        .with_logs(Arc::new(logs("[next-auth][error][NO_SECRET]")))
        .with_health(Arc::new(auth_health(fixed)));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::NeedsHuman { .. }));
    let incident = world.incident().await;
    let record = incident.actions().next().unwrap();
    assert_eq!(record.state, ActionState::Failed);
    let failure = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::ActionFailed { kind, error, .. } => Some((*kind, error.clone())),
            _ => None,
        });
    assert_eq!(
        failure,
        Some((
            ErrorKind::PermissionDenied,
            "railway variableUpsert: permission denied: Not Authorized".into()
        ))
    );
    assert!(captured.lock().unwrap().is_none());
}

#[tokio::test]
async fn auth_still_broken_after_the_secret_fails_verification_and_escalates() {
    let world = World::open("Login broken", &signals(), 3).await;
    let never = Arc::new(AtomicBool::new(false));
    let captured = Arc::new(Mutex::new(None));
    let providers = world
        .providers()
        .with_variables(Arc::new(store(
            &[],
            Arc::new(AtomicBool::new(false)),
            captured.clone(),
            1,
            ok,
        )))
        .with_logs(Arc::new(logs("[next-auth][error][NO_SECRET]")))
        .with_health(Arc::new(auth_health(never)));
    let report = world
        .runner(providers, never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::NeedsHuman { .. }));
    let incident = world.incident().await;
    assert_eq!(incident.phase(), Phase::Mitigating);
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
            .contains("/api/auth/signin answered HTTP 500")
    );
    // The variable was unset before: there is no previous value to restore (delete is never
    // called, checked by the mock), and the secret stays out of the record.
    let secret = captured.lock().unwrap().clone().unwrap();
    assert_never_said(&world, &secret).await;
}

#[tokio::test]
async fn a_crash_after_setting_the_secret_is_resumed_by_reading_the_fingerprint() {
    let world = World::open("Login broken", &signals(), 3).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let captured = Arc::new(Mutex::new(None));
    let vars = Arc::new(store(&[], fixed.clone(), captured.clone(), 1, ok));
    world.store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionSucceeded { .. }))
    });
    let providers = || {
        world
            .providers()
            .with_variables(vars.clone())
            .with_logs(Arc::new(logs("[next-auth][error][NO_SECRET]")))
            .with_health(Arc::new(auth_health(fixed.clone())))
    };
    let first = world
        .runner(providers(), never_asked())
        .run(world.id, &symptoms())
        .await;
    assert!(first.is_err());
    let report = world
        .runner(providers(), never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    let detail = success_details(&incident).into_iter().next();
    assert!(
        detail
            .unwrap()
            .starts_with("found on resume: NEXTAUTH_SECRET holds the new value")
    );
    let secret = captured.lock().unwrap().clone().unwrap();
    assert_never_said(&world, &secret).await;
}
