//! Runnable programs built on `ir`, one binary each under `src/bin/`:
//!
//! - `drill`: the runbook's six scenarios, each played by `ir-sim` over real HTTP and handled
//!   by the `Runner` with the real adapters, detection to postmortem, ending with a summary
//!   table and `drill-report.md`;
//! - `site_down`, `auth_secret_missing`, `build_failure`, `pool_exhausted`, `error_spike`,
//!   `latency_spike`: one scenario each;
//! - `auto_rollback`: the `Runner` rolling back a bad deployment on in-memory ports;
//! - `watcher`: the health `Watcher`.
//!
//! Run one with `cargo run -p examples --bin drill`.

mod sim_drill;

pub use sim_drill::{
    Approve, BoxError, Cli, DrillOptions, ScenarioName, ScenarioRun, SimHook, StoreKind, Summary,
    TOKENS, format_duration, playbooks, run_and_print, run_scenario, scenario_main, summary_table,
};
