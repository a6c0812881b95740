//! A health-watcher service built from `ir.toml`, on the `ir` crate alone.
//!
//! `cargo run -p examples --bin watcher -- ir.toml` polls `[service] base_url` on the system
//! clock, opening and driving incidents, until Ctrl-C. With `--demo` (what CI runs) it watches
//! a scripted endpoint that is up, down, then up again, on a manual clock and in-memory ports,
//! for three checks.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ir::prelude::*;

/// Up, then down once, then up.
#[derive(Debug, Default)]
struct Scripted(AtomicUsize);

#[async_trait]
impl HealthProbe for Scripted {
    async fn check(&self, path: &str) -> ir::Result<HealthReport> {
        let status = if self.0.fetch_add(1, Ordering::SeqCst) == 1 { 503 } else { 200 };
        Ok(HealthReport::answered(path, status, Duration::from_millis(5), "scripted"))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demo = args.iter().any(|a| a == "--demo");
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/watcher.toml");
    let path = args.iter().find(|a| !a.starts_with("--")).map_or(default, String::as_str);
    let config = Config::from_path(path)?;
    if !demo {
        let watcher = config.watcher(Arc::new(SystemClock)).await?;
        let (stop, shutdown) = shutdown_signal();
        tokio::spawn(async move {
            tokio::signal::ctrl_c().await.ok();
            stop.send_replace(true);
        });
        return Ok(watcher.run(shutdown).await?);
    }
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::at("2026-02-08T15:30:00Z".parse()?));
    let store: Arc<dyn IncidentStore> = Arc::new(InMemoryIncidentStore::with_clock(clock.clone()));
    let providers = config.providers()?.with_health(Arc::new(Scripted::default()));
    let watcher = config.watcher_with(store, providers, clock)?;
    for _ in 0..3 {
        match watcher.check_once().await? {
            Check::Healthy(report) => println!("healthy: {:?}", report.status),
            Check::Incident { detected, run, .. } => println!(
                "incident {} ({}, created: {}): {:?}",
                detected.id,
                detected.classification.severity,
                detected.created,
                run.map(|r| r.outcome)
            ),
            _ => {}
        }
    }
    Ok(())
}
