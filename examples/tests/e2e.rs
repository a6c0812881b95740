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
    /// The mutating request that must be made exactly once: a vendor and its operation name
    /// (GraphQL) or `METHOD /path` (REST).
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
    let requests = run.sim.requests();
    let count = if op.contains(' ') {
        requests
            .of(vendor)
            .filter(|r| format!("{} {}", r.method, r.path) == op)
            .count()
    } else {
        requests.count_operation(vendor, op)
    };
    assert_eq!(count, 1, "{op} once: {}", context());
    for path in expect.healthy {
        let status = status(&run.sim.urls().site, path).await;
        assert!((200..300).contains(&status), "{path} answered {status}");
    }
    assert!(s.postmortem.contains("## Timeline"), "{}", s.postmortem);
    assert!(
        s.postmortem.contains("health-watcher · Detected"),
        "{}",
        s.postmortem
    );
    assert!(s.postmortem.contains("ir-runner"), "{}", s.postmortem);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_failure_files_one_issue_and_resolves() {
    check(
        ScenarioName::BuildFailure,
        Expect {
            // The previous deployment keeps serving: no user impact, so P3.
            severity: Severity::P3,
            cause: "missing_import_not_committed",
            // The issue naming the missing file; the site never broke, so it verifies.
            mutation: (Vendor::Github, "POST /repos/acme/web/issues"),
            healthy: &["/", "/health"],
        },
    )
    .await;
}

/// Needs the local PostgreSQL (`ir_sim::DEFAULT_DATABASE_URL`), where the simulator holds its
/// leaked connections. They belong to a superuser, which `PgDiagnostics` refuses to terminate,
/// so the runner's next mitigation, the restart, is the one that works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_exhausted_restarts_once_and_resolves() {
    check(
        ScenarioName::PoolExhausted,
        Expect {
            severity: Severity::P0,
            cause: "connection_leak",
            mutation: (Vendor::Railway, "DeploymentRestart"),
            healthy: &["/health", "/dashboard", "/api/auth/session"],
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_spike_turns_the_stripe_flag_off_once_and_resolves() {
    check(
        ScenarioName::ErrorSpike,
        Expect {
            severity: Severity::P1,
            cause: "third_party_failure",
            mutation: (Vendor::Railway, "VariableUpsert"),
            healthy: &["/api/checkout", "/dashboard"],
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_spike_restarts_the_leaking_process_once_and_resolves() {
    check(
        ScenarioName::LatencySpike,
        Expect {
            severity: Severity::P3,
            cause: "memory_growth",
            mutation: (Vendor::Railway, "DeploymentRestart"),
            healthy: &["/health", "/dashboard"],
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_changes_nothing() {
    let opts = DrillOptions {
        dry_run: true,
        ..DrillOptions::default()
    };
    let run = run_scenario(ScenarioName::SiteDown, &opts).await.unwrap();
    assert_eq!(run.summary.outcome, "dry run", "{}", run.summary.transcript);
    assert!(
        run.summary
            .action
            .as_deref()
            .is_some_and(|a| a.contains("roll back")),
        "{:?}",
        run.summary.action
    );
    let requests = run.sim.requests();
    for op in [
        "DeploymentRollback",
        "DeploymentRestart",
        "DeploymentRedeploy",
        "VariableUpsert",
    ] {
        assert_eq!(requests.count_operation(Vendor::Railway, op), 0, "{op}");
    }
    assert_eq!(
        status(&run.sim.urls().site, "/health").await,
        502,
        "still down"
    );
    run.sim.shutdown().await;
}

// latency_spike has no test here: the restart fixes the latency and is verified, but the
// runner does not resolve, because the leading hypothesis (memory_growth) stays at 0.55, under
// the 0.6 at which a root cause counts as understood (see the report).
