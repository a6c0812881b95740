//! End to end, one test per scenario: the library's `run_scenario` against `ir-sim` over real
//! HTTP, the real adapters, the `Runner` and the built-in playbooks on a manual clock. Each test
//! checks the severity, the top hypothesis, that the mitigation ran exactly once (counted in
//! the simulator's request log), that the site is healthy again, that the incident resolved,
//! that the postmortem carries the timeline, and that no secret reached any output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use examples::{DrillOptions, ScenarioName, ScenarioRun, run_scenario};
use ir_core::Severity;
use ir_core::incident::Phase;
use ir_sim::Vendor;

struct Expect {
    severity: Severity,
    cause: &'static str,
    /// The mutating operation, with its vendor, that must run exactly once.
    mutation: (Vendor, &'static str),
    /// Paths that must answer 2xx afterwards.
    healthy: &'static [&'static str],
}

async fn run(scenario: ScenarioName) -> ScenarioRun {
    run_scenario(scenario, &DrillOptions::default())
        .await
        .expect("the scenario runs")
}

async fn check(scenario: ScenarioName, expect: Expect) {
    let run = run(scenario).await;
    let s = &run.summary;
    let context = || format!("{}\n{:?}", s.transcript, run.sim.requests().by_operation());
    assert!(s.resolved, "{}: {}\n{}", scenario, s.outcome, context());
    assert_eq!(s.phase, Some(Phase::Resolved), "{}", context());
    assert_eq!(s.severity, Some(expect.severity), "{}", context());
    assert_eq!(
        s.top_hypothesis.as_deref(),
        Some(expect.cause),
        "{}",
        context()
    );
    let (vendor, op) = expect.mutation;
    assert_eq!(
        run.sim.requests().count_operation(vendor, op),
        1,
        "{op} once: {}",
        context()
    );
    for path in expect.healthy {
        let status = status(&run.sim.urls().site, path).await;
        assert!((200..300).contains(&status), "{path} answered {status}");
    }
    assert!(s.postmortem.contains("Timeline"), "{}", s.postmortem);
    assert!(s.postmortem.contains("detected"), "{}", s.postmortem);
    assert!(s.mttr.is_some(), "MTTR measured");
    // No secret in anything the run printed or recorded, nor in what the vendors received.
    let posted: String = run
        .sim
        .slack_messages()
        .iter()
        .map(|m| m.text.clone())
        .chain(
            run.sim
                .status_page_incidents()
                .iter()
                .flat_map(|i| i.updates.iter().map(|u| u.body.clone())),
        )
        .chain(run.sim.pages().iter().map(|p| p.summary.clone()))
        .collect();
    for secret in &run.secrets {
        for (what, text) in [
            ("transcript", &s.transcript),
            ("postmortem", &s.postmortem),
            ("posted", &posted),
        ] {
            assert!(!text.contains(secret.as_str()), "a secret in the {what}");
        }
        assert!(!format!("{s:?}").contains(secret.as_str()));
    }
    run.sim.shutdown().await;
}

async fn status(base: &str, path: &str) -> u16 {
    use ir_core::ports::HealthProbe;
    let probe =
        ir_http::HttpHealthProbe::new(ir_http::HealthProbeConfig::builder(base).build().unwrap())
            .unwrap();
    probe.check(path).await.unwrap().status.unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_down_rolls_back_once_and_resolves() {
    check(
        ScenarioName::SiteDown,
        Expect {
            severity: Severity::P0,
            cause: "recent_deployment_crash_loop",
            mutation: (Vendor::Railway, "DeploymentRollback"),
            healthy: &["/", "/health"],
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_secret_missing_sets_the_secret_once_and_resolves() {
    check(
        ScenarioName::AuthSecretMissing,
        Expect {
            severity: Severity::P1,
            cause: "auth_secret_missing",
            mutation: (Vendor::Railway, "VariableUpsert"),
            healthy: &["/health", "/api/auth/session"],
        },
    )
    .await;
}
