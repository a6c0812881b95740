//! End to end with provider faults: the library's `run_scenario` against `ir-sim` over real
//! HTTP, the real adapters and the `Runner`, with a fault injected on one provider once the
//! detection is done (`DrillOptions::faults`, `DrillOptions::on_respond`). Each test checks
//! what the run really does with it: which evidence is missing and why (the timeline's
//! `EvidenceCollected` with an `Unavailable` outcome and the adapter's typed error), that the
//! diagnosis still names the right cause from the other sources, that the mitigation ran
//! once, what the simulator's request log shows (retries, 429s), and how the run ends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use examples::{DrillOptions, ScenarioName, ScenarioRun, SimHook, run_scenario};
use ir_core::error::ErrorKind;
use ir_core::incident::Phase;
use ir_core::model::{Evidence, EvidenceOutcome};
use ir_sim::{Fault, Target, Vendor};

async fn run(scenario: ScenarioName, opts: DrillOptions) -> ScenarioRun {
    run_scenario(scenario, &opts)
        .await
        .expect("the scenario runs")
}

fn context(run: &ScenarioRun) -> String {
    format!(
        "{}\n{:?}",
        run.summary.transcript,
        run.sim.requests().by_operation()
    )
}

/// The evidence of the timeline whose source is `source` (`errors`, `logs`, ...).
fn evidence_from<'a>(run: &'a ScenarioRun, source: &str) -> Vec<&'a Evidence> {
    run.incident
        .as_ref()
        .expect("the incident is stored")
        .evidence()
        .filter(|e| e.source == source)
        .collect()
}

fn failure(e: &Evidence) -> Option<(ErrorKind, &str)> {
    match &e.outcome {
        EvidenceOutcome::Unavailable { kind, message } => Some((*kind, message.as_str())),
        EvidenceOutcome::Observed { .. } => None,
    }
}

/// Sentry answers 503 to everything from the start of the response: the diagnosis records
/// each Sentry probe as unavailable (after the adapter's retries), still finds the crash loop
/// from Railway and the health checks, and rolls back once. Sentry stays down, so the
/// verification cannot measure the error rate: the run ends needing a human, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentry_down_during_diagnosis_site_down_still_rolls_back_once() {
    let run = run(
        ScenarioName::SiteDown,
        DrillOptions {
            faults: vec![(Target::Vendor(Vendor::Sentry), Fault::Unavailable)],
            ..DrillOptions::default()
        },
    )
    .await;
    let s = &run.summary;
    let ctx = context(&run);
    assert_eq!(
        s.top_hypothesis.as_deref(),
        Some("recent_deployment_crash_loop"),
        "{ctx}"
    );
    let requests = run.sim.requests();
    assert_eq!(
        requests.count_operation(Vendor::Railway, "DeploymentRollback"),
        1,
        "{ctx}"
    );
    // The timeline says Sentry was unavailable, probe by probe.
    let errors = evidence_from(&run, "errors");
    assert!(!errors.is_empty(), "{ctx}");
    for e in &errors {
        let (kind, message) = failure(e).unwrap_or_else(|| panic!("{e:?} observed\n{ctx}"));
        assert_eq!(kind, ErrorKind::Unavailable, "{message}");
        assert!(
            message.contains("sentry") && message.contains("unavailable (HTTP 503)"),
            "{message}"
        );
    }
    // The other sources answered.
    for source in ["deploy", "logs", "health"] {
        let got = evidence_from(&run, source);
        assert!(
            !got.is_empty() && got.iter().all(|e| failure(e).is_none()),
            "{source}: {got:?}\n{ctx}"
        );
    }
    // Every Sentry request was answered 503, and the adapter retried each of them.
    let sentry: Vec<_> = requests.of(Vendor::Sentry).collect();
    assert!(sentry.iter().all(|r| r.status == 503), "{ctx}");
    assert!(sentry.len() > errors.len(), "retried: {ctx}");
    // The site is back, but with no error tracker the verification cannot close it.
    assert!(!s.resolved, "{ctx}");
    assert!(
        s.outcome.starts_with("needs human") && s.outcome.contains("error rate"),
        "{}",
        s.outcome
    );
    assert!(
        s.postmortem.contains("sentry") && s.postmortem.contains("unavailable"),
        "{}",
        s.postmortem
    );
    run.sim.shutdown().await;
}

/// The same for the missing auth secret: the diagnosis reads the variables and the logs, the
/// secret is set once, and Sentry's absence is in the timeline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentry_down_during_diagnosis_auth_secret_missing_still_sets_the_secret_once() {
    let run = run(
        ScenarioName::AuthSecretMissing,
        DrillOptions {
            faults: vec![(Target::Vendor(Vendor::Sentry), Fault::Unavailable)],
            ..DrillOptions::default()
        },
    )
    .await;
    let s = &run.summary;
    let ctx = context(&run);
    assert_eq!(
        s.top_hypothesis.as_deref(),
        Some("auth_secret_missing"),
        "{ctx}"
    );
    assert_eq!(
        run.sim
            .requests()
            .count_operation(Vendor::Railway, "VariableUpsert"),
        1,
        "{ctx}"
    );
    let errors = evidence_from(&run, "errors");
    assert!(!errors.is_empty(), "{ctx}");
    assert!(
        errors.iter().all(
            |e| failure(e).is_some_and(|(k, m)| k == ErrorKind::Unavailable
                && m.contains("sentry")
                && m.contains("unavailable"))
        ),
        "{errors:?}"
    );
    assert!(
        s.outcome.starts_with("needs human") && s.outcome.contains("error rate"),
        "{}",
        s.outcome
    );
    run.sim.shutdown().await;
}

/// Railway rate-limits the logs query the diagnosis reads (429 with `Retry-After: 1`) for its
/// first two requests, then lifts the limit: the adapter waits what Railway asked and tries
/// again within its deadline, the logs are observed, and the scenario resolves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn railway_rate_limit_is_waited_out_and_site_down_resolves() {
    let logs = Target::endpoint(Vendor::Railway, "EnvironmentLogs");
    let run = run(
        ScenarioName::SiteDown,
        DrillOptions {
            on_respond: Some(SimHook::new(move |sim| {
                sim.set_fault_for(logs.clone(), Fault::rate_limited(Duration::from_secs(1)), 2);
            })),
            ..DrillOptions::default()
        },
    )
    .await;
    let s = &run.summary;
    let ctx = context(&run);
    assert!(s.resolved, "{}\n{ctx}", s.outcome);
    assert_eq!(s.phase, Some(Phase::Resolved), "{ctx}");
    assert_eq!(
        s.top_hypothesis.as_deref(),
        Some("recent_deployment_crash_loop"),
        "{ctx}"
    );
    let requests = run.sim.requests();
    assert_eq!(
        requests.count_operation(Vendor::Railway, "DeploymentRollback"),
        1,
        "{ctx}"
    );
    // The request log: the response's logs queries, the two 429s first, then answered.
    let started = s.runner_started.expect("the runner started");
    let statuses: Vec<u16> = requests
        .of(Vendor::Railway)
        .filter(|r| r.received >= started && r.operation.as_deref() == Some("EnvironmentLogs"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{ctx}");
    assert_eq!(&statuses[..2], &[429, 429], "{statuses:?}");
    assert!(statuses[2..].iter().all(|s| *s == 200), "{statuses:?}");
    // A 429 was retried with the same query: a body refused twice is answered the third time.
    let bodies: Vec<&str> = requests
        .of(Vendor::Railway)
        .filter(|r| r.received >= started && r.operation.as_deref() == Some("EnvironmentLogs"))
        .map(|r| r.body.as_str())
        .collect();
    assert!(
        bodies[2..].contains(&bodies[0]),
        "the throttled query was sent again: {bodies:?}"
    );
    // No logs evidence is missing: the wait happened inside the adapter.
    let logs = evidence_from(&run, "logs");
    assert!(!logs.is_empty(), "{ctx}");
    assert!(logs.iter().all(|e| failure(e).is_none()), "{logs:?}");
    run.sim.shutdown().await;
}

/// Sentry answers 200 with an HTML page (a bot-check interstitial) instead of JSON: each Sentry
/// probe is recorded as a protocol error that says the answer is not JSON, nothing panics, the
/// diagnosis still rolls back once, and the run ends with a stated reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentry_garbage_is_a_typed_protocol_error_in_the_timeline() {
    let run = run(
        ScenarioName::SiteDown,
        DrillOptions {
            faults: vec![(Target::Vendor(Vendor::Sentry), Fault::Garbage)],
            ..DrillOptions::default()
        },
    )
    .await;
    let s = &run.summary;
    let ctx = context(&run);
    let errors = evidence_from(&run, "errors");
    assert!(!errors.is_empty(), "{ctx}");
    for e in &errors {
        let (kind, message) = failure(e).unwrap_or_else(|| panic!("{e:?} observed\n{ctx}"));
        assert_eq!(kind, ErrorKind::Protocol, "{message}");
        assert!(
            message.contains("sentry") && message.contains("not JSON"),
            "{message}"
        );
    }
    // A 200 that cannot be decoded is not retried: one request per probe.
    assert_eq!(
        run.sim.requests().count(Vendor::Sentry),
        errors.len() + sentry_after_diagnosis(&run),
        "{ctx}"
    );
    assert_eq!(
        s.top_hypothesis.as_deref(),
        Some("recent_deployment_crash_loop"),
        "{ctx}"
    );
    assert_eq!(
        run.sim
            .requests()
            .count_operation(Vendor::Railway, "DeploymentRollback"),
        1,
        "{ctx}"
    );
    // The run ended, with its reason.
    assert!(
        s.resolved || s.outcome.starts_with("needs human: "),
        "{}",
        s.outcome
    );
    assert!(!s.outcome.starts_with("error"), "{}", s.outcome);
    assert!(s.outcome.len() > "needs human: ".len(), "{}", s.outcome);
    run.sim.shutdown().await;
}

/// Sentry requests after the diagnosis (the verification's error counts).
fn sentry_after_diagnosis(run: &ScenarioRun) -> usize {
    let requests = run.sim.requests();
    let last_evidence_request = requests
        .records()
        .iter()
        .rposition(|r| {
            r.vendor == Vendor::Railway && r.operation.as_deref() == Some("DeploymentRollback")
        })
        .unwrap_or(requests.len());
    requests.records()[last_evidence_request..]
        .iter()
        .filter(|r| r.vendor == Vendor::Sentry)
        .count()
}
