//! The example binaries run to the end and print what they promise: the drill (the README's
//! main command) shows the runbook's messages, the escalations, MTTD/MTTA/MTTR and the
//! postmortem, all produced by the `Runner`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn run(binary: &str) -> String {
    let out = Command::new(binary).output().expect("the binary starts");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{binary} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_drill_runs_the_incident_through_the_runner() {
    let out = run(env!("CARGO_BIN_EXE_drill"));
    for expected in [
        "Classified P1",
        "🚨 INCIDENT DETECTED 🚨",
        "INITIAL ASSESSMENT",
        "MITIGATION APPLIED",
        "📊 STATUS UPDATE",
        "✅ INCIDENT RESOLVED",
        "Escalating Dashboard errors (P1) to On-Call Engineer",
        "Escalating Dashboard errors (P1) to Engineering Lead",
        "**Investigating**",
        "**Resolved**",
        "MTTD 5 min, MTTA",
        "MTTR 16 min",
        "# Postmortem: Dashboard errors",
        "## Action items",
        "=== Drill complete",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
    // Every event came from the detector or the runner: the drill itself records nothing.
    let timeline = out
        .split("=== Timeline")
        .nth(1)
        .and_then(|rest| rest.split("MTTD").next())
        .unwrap();
    let actors: Vec<&str> = timeline
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert!(actors.len() > 20, "{timeline}");
    assert!(
        actors
            .iter()
            .all(|a| *a == "ir-runner" || *a == "health-watcher"),
        "{actors:?}"
    );
    let detected = out.find("🚨 INCIDENT DETECTED").unwrap();
    let resolved = out.find("✅ INCIDENT RESOLVED").unwrap();
    assert!(detected < resolved);
}

#[test]
fn auto_rollback_rolls_back_once_and_resolves() {
    let out = run(env!("CARGO_BIN_EXE_auto_rollback"));
    assert!(
        out.contains("Platform calls: [Rollback(DeploymentId(\"d2\"))]"),
        "{out}"
    );
    assert!(
        out.contains("Resolved. Root cause: crash loop after deployment d3"),
        "{out}"
    );
}
