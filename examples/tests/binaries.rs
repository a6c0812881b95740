//! The example binaries run to the end and print what they promise: the drill (the README's
//! main command) plays the six scenarios on the simulator and ends with its summary table.
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
fn the_drill_runs_every_scenario_on_the_simulator() {
    let dir = std::env::temp_dir().join(format!("ir-drill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("drill-report.md");
    let out = Command::new(env!("CARGO_BIN_EXE_drill"))
        .args(["--scenario", "all", "--report"])
        .arg(&report)
        .output()
        .expect("the drill starts");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "drill failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "##### Scenario site_down",
        "##### Scenario latency_spike",
        "Classified P0",
        "🚨 INCIDENT DETECTED 🚨",
        "=== Timeline",
        "# Postmortem: Site down",
        "=== Drill summary",
        "| scenario | severity | top hypothesis | action taken | simulated MTTR | HTTP requests | outcome |",
        "| site_down | P0 | recent_deployment_crash_loop",
        "| auth_secret_missing | P1 | auth_secret_missing",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
    let summary = stdout.split("=== Drill summary").nth(1).unwrap();
    let rows: Vec<&str> = summary
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| scenario"))
        .collect();
    assert_eq!(rows.len(), 6, "{summary}");
    for row in &rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // | scenario | severity | hypothesis | action | MTTR | requests | outcome |
        assert!(cells[6].parse::<usize>().unwrap() > 0, "{row}");
    }
    // Six resolved incidents.
    for row in &rows {
        assert!(row.ends_with("| resolved |"), "{row}");
    }
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(written.contains("| site_down | P0"), "{written}");
    assert!(written.contains("Postmortem: Site down"), "{written}");
    std::fs::remove_dir_all(&dir).ok();
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
