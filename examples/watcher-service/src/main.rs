//! A health-watcher service built from `ir.toml`, in a crate that depends on `ir` alone:
//! `cargo run -p watcher-service -- ir.toml` polls `[service] base_url` on the system clock,
//! opening and driving incidents, until Ctrl-C. With `--demo` (what CI runs) it watches a
//! scripted endpoint that is up, down, then up again, on a manual clock and in-memory ports.
use ir::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering::SeqCst};
use std::time::Duration;

/// Answers 200, then 503 once, then 200.
#[derive(Debug, Default)]
struct Scripted(AtomicU16);

#[async_trait]
impl HealthProbe for Scripted {
    async fn check(&self, path: &str) -> ir::Result<HealthReport> {
        let status = [200, 503, 200][usize::from(self.0.fetch_add(1, SeqCst).min(2))];
        let latency = Duration::from_millis(5);
        Ok(HealthReport::answered(path, status, latency, "scripted"))
    }
}

#[ir::tokio::main(crate = "ir::tokio")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args.iter().find(|a| !a.starts_with("--"));
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/ir.toml");
    let config = Config::from_path(file.map_or(default, String::as_str))?;
    if !args.iter().any(|a| a == "--demo") {
        let watcher = config.watcher(Arc::new(SystemClock)).await?;
        let (stop, shutdown) = shutdown_signal();
        ir::tokio::spawn(
            async move { stop.send_replace(ir::tokio::signal::ctrl_c().await.is_ok()) },
        );
        return Ok(watcher.run(shutdown).await?);
    }
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::at("2026-02-08T15:30:00Z".parse()?));
    let store = Arc::new(InMemoryIncidentStore::with_clock(clock.clone()));
    let providers = config
        .providers()?
        .with_health(Arc::new(Scripted::default()));
    let watcher = config.watcher_with(store, providers, clock)?;
    for _ in 0..3 {
        match watcher.check_once().await? {
            Check::Healthy(report) => println!("healthy: {:?}", report.status),
            Check::Incident {
                detected: d, run, ..
            } => println!(
                "incident {} ({}, created: {}): {:?}",
                d.id,
                d.classification.severity,
                d.created,
                run.map(|r| r.outcome)
            ),
            _ => {}
        }
    }
    Ok(())
}
