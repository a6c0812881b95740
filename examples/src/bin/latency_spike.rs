//! The runbook's `latency_spike` scenario on the simulator, detection to postmortem.
//!
//! Run: `cargo run -p examples --bin latency_spike` (options as for the drill: `--dry-run`,
//! `--approve policy|prompt`, `--store memory|postgres`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::scenario_main(examples::ScenarioName::LatencySpike).await
}
