//! The runbook's incident drill on a simulated production: each of the six "Common Incident
//! Scenarios" is played by `ir-sim` (the site and stateful fakes of Railway, GitHub, Sentry,
//! Slack, PagerDuty and Statuspage on loopback), and handled end to end by the `Runner` with the
//! six built-in playbooks over the real adapters, only their base URLs pointing at the
//! simulator. For each scenario the drill prints the first health check and its
//! classification, every message as it was posted (Slack, the status page, the pages), the
//! timeline, MTTD/MTTA/MTTR and the postmortem; it ends with a summary table and writes it, with
//! each postmortem, to `drill-report.md`.
//!
//! Time runs on a `ManualClock`: the runbook's minutes of verification and monitoring pass at
//! once. A scenario that does not resolve is reported as such in the table's outcome column.
//!
//! Run: `cargo run -p examples --bin drill [-- --scenario <name|all>] [--dry-run]
//! [--approve policy|prompt] [--store memory|postgres] [--report drill-report.md]`

use std::fmt::Write as _;
use std::process::ExitCode;

use examples::{Cli, ScenarioName, run_and_print, summary_table};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::parse(std::env::args().skip(1), &ScenarioName::ALL) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let mut summaries = Vec::new();
    for scenario in &cli.scenarios {
        summaries.push(run_and_print(*scenario, &cli.options).await);
        println!();
    }
    let table = summary_table(&summaries);
    let resolved = summaries.iter().filter(|s| s.resolved).count();
    println!("=== Drill summary\n{table}");
    println!(
        "{resolved} of {} scenarios resolved in {:.1} s wall time.",
        summaries.len(),
        started.elapsed().as_secs_f64()
    );

    let mut report = String::from("# Incident drill on the simulator\n\n");
    let _ = writeln!(
        report,
        "{resolved} of {} scenarios resolved{}.\n\n{table}",
        summaries.len(),
        if cli.options.dry_run {
            " (dry run)"
        } else {
            ""
        }
    );
    for s in &summaries {
        let _ = writeln!(report, "\n## {}\n\nOutcome: {}\n", s.scenario, s.outcome);
        if !s.postmortem.is_empty() {
            // The postmortem's headings, one level down.
            for line in s.postmortem.lines() {
                if line.starts_with('#') {
                    let _ = writeln!(report, "#{line}");
                } else {
                    let _ = writeln!(report, "{line}");
                }
            }
        }
    }
    if let Err(e) = std::fs::write(&cli.report, report) {
        eprintln!("could not write {}: {e}", cli.report);
        return ExitCode::FAILURE;
    }
    println!("Report written to {}", cli.report);
    ExitCode::SUCCESS
}
