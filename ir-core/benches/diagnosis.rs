//! Diagnosis concurrency benchmark: eight probes whose ports answer after 20 to 200 ms.
//!
//! Run with `cargo bench -p ir-core --bench diagnosis`. Besides criterion's timing it prints
//! `wall time / slowest probe`, the figure the README quotes: 1.0 means the eight probes cost
//! no more than the slowest one alone (sequential would be 880 / 200 = 4.4). It fails when the
//! ratio exceeds 1.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use ir_core::Result;
use ir_core::clock::{ManualClock, Timestamp};
use ir_core::model::*;
use ir_core::playbook::signatures::LogPattern;
use ir_core::playbook::{DiagnosisConfig, Probe, ProbeWindow, Providers, diagnose};
use ir_core::ports::*;
use secrecy::SecretString;

/// Latency of each port method, 20 ms to 200 ms.
fn latency(i: u64) -> Duration {
    Duration::from_millis(20 + 180 * i / 7)
}

const SLOWEST: Duration = Duration::from_millis(200);

#[derive(Debug)]
struct Slow;

async fn wait(i: u64) {
    tokio::time::sleep(latency(i)).await;
}

fn now() -> Timestamp {
    "2026-02-08T15:30:00Z".parse().unwrap()
}

#[async_trait]
impl DeployPlatform for Slow {
    async fn service_status(&self) -> Result<ServiceStatus> {
        wait(0).await;
        Ok(ServiceStatus::new("web"))
    }
    async fn list_deployments(&self, _: usize) -> Result<Vec<Deployment>> {
        wait(1).await;
        Ok(vec![])
    }
    async fn deployment(&self, _: &DeploymentId) -> Result<Deployment> {
        unreachable!()
    }
    async fn rollback(&self, _: &DeploymentId) -> Result<()> {
        unreachable!()
    }
    async fn redeploy(&self, _: &DeploymentId) -> Result<DeploymentId> {
        unreachable!()
    }
    async fn restart(&self, _: &DeploymentId) -> Result<()> {
        unreachable!()
    }
}

#[async_trait]
impl LogSource for Slow {
    async fn logs(&self, _: &LogQuery) -> Result<Vec<LogLine>> {
        wait(2).await;
        Ok(vec![LogLine::new(
            now(),
            None,
            "[next-auth][error][NO_SECRET]",
        )])
    }
}

#[async_trait]
impl VariableStore for Slow {
    async fn list_names(&self) -> Result<Vec<String>> {
        wait(3).await;
        Ok(vec![])
    }
    async fn get(&self, _: &str) -> Result<Option<SecretString>> {
        wait(4).await;
        Ok(Some(SecretString::from("postgres://u:p@db:5432/app")))
    }
    async fn set(&self, _: &str, _: SecretString, _: SetOptions) -> Result<()> {
        unreachable!()
    }
    async fn delete(&self, _: &str) -> Result<()> {
        unreachable!()
    }
}

#[async_trait]
impl HealthProbe for Slow {
    async fn check(&self, path: &str) -> Result<HealthReport> {
        wait(5).await;
        Ok(HealthReport::answered(path, 503, latency(5), ""))
    }
}

#[async_trait]
impl DatabaseDiagnostics for Slow {
    async fn connection_status(&self) -> Result<ConnectionStatus> {
        wait(6).await;
        Err(ir_core::Error::new(
            ir_core::ErrorKind::Unavailable,
            "refused",
        ))
    }
    async fn pool_status(&self) -> Result<PoolStatus> {
        wait(7).await;
        Ok(PoolStatus {
            size: 20,
            idle: 0,
            max: 20,
        })
    }
    async fn pgbouncer_pools(&self) -> Result<Vec<PgBouncerPool>> {
        unreachable!()
    }
    async fn pgbouncer_stats(&self) -> Result<Vec<PgBouncerStats>> {
        unreachable!()
    }
    async fn terminate_idle(&self, _: &TerminateRequest) -> Result<TerminationReport> {
        unreachable!()
    }
    async fn slow_queries(&self, _: usize) -> Result<SlowQueries> {
        unreachable!()
    }
}

fn providers() -> Providers {
    let slow = Arc::new(Slow);
    Providers::new()
        .with_deploy(slow.clone())
        .with_logs(slow.clone())
        .with_variables(slow.clone())
        .with_health(slow.clone())
        .with_database(slow)
}

/// Two playbooks' probes: eight distinct questions, two of them asked by both.
fn probes() -> Vec<Probe> {
    vec![
        Probe::ServiceStatus,
        Probe::Deployments { limit: 10 },
        Probe::recent_logs([LogPattern::Crash]),
        Probe::health("/health"),
        Probe::Connections,
        Probe::ServiceStatus,
        Probe::recent_logs([LogPattern::NextAuthNoSecret]),
        Probe::variable("NEXTAUTH_SECRET"),
        Probe::Dsn {
            variable: "DATABASE_URL".into(),
        },
        Probe::Pool,
    ]
}

async fn one(providers: &Providers, clock: &ManualClock) -> Duration {
    let started = Instant::now();
    let evidence = diagnose(
        providers,
        probes(),
        ProbeWindow {
            onset: now(),
            now: now(),
        },
        &DiagnosisConfig::default(),
        clock,
        1,
    )
    .await;
    let wall = started.elapsed();
    assert_eq!(evidence.len(), 8);
    wall
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let providers = providers();
    let clock = ManualClock::at(now());

    // The ratio the README quotes: median of 15 diagnoses.
    let mut walls: Vec<Duration> = (0..15)
        .map(|_| runtime.block_on(one(&providers, &clock)))
        .collect();
    walls.sort();
    let median = walls[walls.len() / 2];
    let ratio = median.as_secs_f64() / SLOWEST.as_secs_f64();
    println!(
        "diagnosis of 8 probes (20-200 ms): wall {:.1} ms, slowest probe {} ms, wall / slowest = {ratio:.3}",
        median.as_secs_f64() * 1000.0,
        SLOWEST.as_millis()
    );
    assert!(
        ratio <= 1.1,
        "diagnosis is not concurrent: ratio {ratio:.3}"
    );

    let mut group = c.benchmark_group("diagnosis");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("8 probes, 20-200 ms", |b| {
        b.to_async(&runtime).iter(|| one(&providers, &clock));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
