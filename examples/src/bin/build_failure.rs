//! The runbook's `build_failure` scenario on the simulator, detection to postmortem.
//!
//! Run: `cargo run -p examples --bin build_failure` (options as for the drill: `--dry-run`,
//! `--approve policy|prompt`, `--store memory|postgres`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::scenario_main(examples::ScenarioName::BuildFailure).await
}
