//! The runbook's `error_spike` scenario on the simulator, detection to postmortem.
//!
//! Run: `cargo run -p examples --bin error_spike` (options as for the drill: `--dry-run`,
//! `--approve policy|prompt`, `--store memory|postgres`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::scenario_main(examples::ScenarioName::ErrorSpike).await
}
