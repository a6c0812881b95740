//! The runbook's `auth_secret_missing` scenario on the simulator, detection to postmortem.
//!
//! Run: `cargo run -p examples --bin auth_secret_missing` (options as for the drill: `--dry-run`,
//! `--approve policy|prompt`, `--store memory|postgres`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::scenario_main(examples::ScenarioName::AuthSecretMissing).await
}
