//! The runbook's `site_down` scenario on the simulator, detection to postmortem.
//!
//! Run: `cargo run -p examples --bin site_down` (options as for the drill: `--dry-run`,
//! `--approve policy|prompt`, `--store memory|postgres`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::scenario_main(examples::ScenarioName::SiteDown).await
}
