//! Telling whether a mitigation worked: checks polled until `k` consecutive healthy rounds or a
//! deadline, and the error-rate baseline they compare against.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::probe::Providers;
use super::signatures::is_auth_server_configuration_error;
use crate::clock::Timestamp;
use crate::error::{Result, configured};
use crate::model::{Check, ErrorBucket, TimeWindow};

/// Errors per interval before the incident: what "back to baseline" means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Mean errors per second before onset.
    pub per_second: f64,
    /// Allowed excess over it (0.2: 20 % above still counts as baseline).
    pub tolerance: f64,
}

impl Baseline {
    /// The mean rate of the buckets that start before `onset`, or `None` when there are none.
    pub fn from_buckets(
        buckets: &[ErrorBucket],
        interval: Duration,
        onset: Timestamp,
        tolerance: f64,
    ) -> Option<Self> {
        let before: Vec<u64> = buckets
            .iter()
            .filter(|b| crate::clock::add(b.start, interval) <= onset)
            .map(|b| b.count)
            .collect();
        if before.is_empty() || interval.is_zero() {
            return None;
        }
        let total: u64 = before.iter().sum();
        Some(Self {
            per_second: total as f64 / (before.len() as f64 * interval.as_secs_f64()),
            tolerance,
        })
    }

    /// Whether `count` errors over `over` are at baseline.
    pub fn holds(&self, count: u64, over: Duration) -> bool {
        let allowed = self.per_second * over.as_secs_f64() * (1.0 + self.tolerance);
        count as f64 <= allowed
    }
}

/// The result of one round of checks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Round {
    /// Whether every check passed.
    pub healthy: bool,
    /// What failed, one line each.
    pub failures: Vec<String>,
    /// What was skipped and why.
    pub skipped: Vec<String>,
    /// Latencies of the health checks made.
    pub latencies: Vec<Duration>,
}

/// Runs `checks` once, concurrently.
pub async fn check_round(
    providers: &Providers,
    checks: &[Check],
    baseline: Option<&Baseline>,
    now: Timestamp,
) -> Round {
    let results = futures::future::join_all(
        checks
            .iter()
            .map(|c| run_check(providers, c, baseline, now)),
    )
    .await;
    let mut round = Round {
        healthy: true,
        ..Round::default()
    };
    for (check, result) in checks.iter().zip(results) {
        match result {
            Ok(CheckResult::Pass(latency)) => round.latencies.extend(latency),
            Ok(CheckResult::Skipped(why)) => round.skipped.push(why),
            Ok(CheckResult::Fail(why, latency)) => {
                round.healthy = false;
                round.latencies.extend(latency);
                round.failures.push(why);
            }
            Err(e) => {
                round.healthy = false;
                round.failures.push(format!("{}: {e}", check_name(check)));
            }
        }
    }
    round
}

fn check_name(check: &Check) -> String {
    match check {
        Check::Healthy { path } => format!("health {path}"),
        Check::AuthWorks { path } => format!("auth {path}"),
        Check::LatencyUnder { path, .. } => format!("latency {path}"),
        Check::ErrorRateAtBaseline { .. } => "error rate".into(),
        Check::PoolHealthy => "connection pool".into(),
    }
}

enum CheckResult {
    Pass(Option<Duration>),
    Fail(String, Option<Duration>),
    Skipped(String),
}

async fn run_check(
    providers: &Providers,
    check: &Check,
    baseline: Option<&Baseline>,
    now: Timestamp,
) -> Result<CheckResult> {
    use CheckResult::{Fail, Pass, Skipped};
    Ok(match check {
        Check::Healthy { path } | Check::AuthWorks { path } => {
            let health = configured(providers.health.as_deref(), "HealthProbe")?;
            let report = health.check(path).await?;
            let latency = Some(report.latency);
            let config_error = matches!(check, Check::AuthWorks { .. })
                && is_auth_server_configuration_error(&report.body_excerpt);
            if !report.is_healthy() {
                let status = report
                    .status
                    .map_or_else(|| format!("{:?}", report.outcome), |s| format!("HTTP {s}"));
                Fail(format!("{path} answered {status}"), latency)
            } else if config_error {
                Fail(
                    format!("{path} reports a server configuration problem"),
                    latency,
                )
            } else {
                Pass(latency)
            }
        }
        Check::LatencyUnder { path, max } => {
            let health = configured(providers.health.as_deref(), "HealthProbe")?;
            let report = health.check(path).await?;
            if !report.is_healthy() {
                Fail(format!("{path} unhealthy"), Some(report.latency))
            } else if report.latency > *max {
                Fail(
                    format!(
                        "{path} took {} ms (SLO {} ms)",
                        report.latency.as_millis(),
                        max.as_millis()
                    ),
                    Some(report.latency),
                )
            } else {
                Pass(Some(report.latency))
            }
        }
        Check::ErrorRateAtBaseline { interval } => {
            let Some(baseline) = baseline else {
                return Ok(Skipped(
                    "error rate not compared: no baseline before onset".into(),
                ));
            };
            let tracker = configured(providers.errors.as_deref(), "ErrorTracker")?;
            let window = TimeWindow::ending_at(now, *interval);
            let buckets = tracker.error_counts(window, *interval).await?;
            let count: u64 = buckets.iter().map(|b| b.count).sum();
            if baseline.holds(count, *interval) {
                Pass(None)
            } else {
                Fail(
                    format!(
                        "{count} errors in the last {} s, baseline {:.1}",
                        interval.as_secs(),
                        baseline.per_second * interval.as_secs_f64()
                    ),
                    None,
                )
            }
        }
        Check::PoolHealthy => {
            let db = configured(providers.database.as_deref(), "DatabaseDiagnostics")?;
            let (conns, pools, pool) = futures::join!(
                db.connection_status(),
                db.pgbouncer_pools(),
                db.pool_status()
            );
            let mut problems = Vec::new();
            let mut answered = false;
            if let Ok(c) = conns {
                answered = true;
                if c.headroom() == 0 {
                    problems.push(format!(
                        "no connection slots left ({} of {})",
                        c.counts.total(),
                        c.max_connections
                    ));
                }
            }
            if let Ok(pools) = pools {
                answered = true;
                let waiting: u64 = pools.iter().map(|p| p.cl_waiting).sum();
                if waiting > 0 {
                    problems.push(format!("{waiting} clients waiting in PgBouncer"));
                }
            }
            if let Ok(p) = pool {
                answered = true;
                if p.is_exhausted() {
                    problems.push(format!("application pool exhausted ({}/{})", p.size, p.max));
                }
            }
            if !answered {
                Fail("the database answered none of the pool checks".into(), None)
            } else if problems.is_empty() {
                Pass(None)
            } else {
                Fail(problems.join("; "), None)
            }
        }
    })
}

/// The `q`-quantile (0..=1) of `samples` by nearest rank, `None` when there are none.
pub fn quantile(samples: &[Duration], q: f64) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_at_the_end_of_time_does_not_panic() {
        let end = chrono::DateTime::<chrono::Utc>::MAX_UTC;
        let buckets = [crate::model::ErrorBucket {
            start: end,
            count: 3,
        }];
        // The bucket's end saturates at the end of time, so it counts as before the onset.
        let baseline = Baseline::from_buckets(&buckets, Duration::from_secs(60), end, 0.1);
        assert_eq!(baseline.map(|b| b.per_second), Some(0.05));
    }

    #[test]
    fn baseline_from_buckets_before_onset() {
        let onset: Timestamp = "2026-02-08T15:30:00Z".parse().unwrap();
        let minute = Duration::from_secs(60);
        let at = |m: i64| onset + chrono::Duration::minutes(m);
        let buckets = [
            ErrorBucket {
                start: at(-3),
                count: 2,
            },
            ErrorBucket {
                start: at(-2),
                count: 4,
            },
            ErrorBucket {
                start: at(-1),
                count: 0,
            },
            ErrorBucket {
                start: at(0),
                count: 300,
            },
        ];
        let b = Baseline::from_buckets(&buckets, minute, onset, 0.2).unwrap();
        assert!((b.per_second * 60.0 - 2.0).abs() < 1e-9);
        assert!(b.holds(2, minute));
        assert!(b.holds(36, Duration::from_secs(15 * 60)));
        assert!(!b.holds(40, Duration::from_secs(15 * 60)));
        assert_eq!(
            Baseline::from_buckets(&buckets[3..], minute, onset, 0.2),
            None
        );
    }

    fn now() -> Timestamp {
        "2026-02-08T15:30:00Z".parse().unwrap()
    }

    #[tokio::test]
    async fn auth_works_fails_on_the_configuration_message_even_with_a_2xx() {
        use crate::model::HealthReport;
        use crate::ports::MockHealthProbe;
        let mut health = MockHealthProbe::new();
        health.expect_check().returning(|p| {
            Ok(HealthReport::answered(
                p,
                200,
                Duration::from_millis(5),
                "There is a problem with the server configuration.",
            ))
        });
        let providers = Providers::new().with_health(std::sync::Arc::new(health));
        let checks = [Check::AuthWorks {
            path: "/api/auth/session".into(),
        }];
        let round = check_round(&providers, &checks, None, now()).await;
        assert!(!round.healthy);
        assert_eq!(
            round.failures,
            ["/api/auth/session reports a server configuration problem"]
        );
        let plain = [Check::Healthy {
            path: "/api/auth/session".into(),
        }];
        assert!(check_round(&providers, &plain, None, now()).await.healthy);
    }

    #[tokio::test]
    async fn pool_health_reads_what_the_database_can_say() {
        use crate::model::{PgBouncerPool, PoolStatus};
        use crate::ports::MockDatabaseDiagnostics;
        let mut db = MockDatabaseDiagnostics::new();
        db.expect_connection_status()
            .returning(|| Err(crate::Error::unsupported("no server access")));
        db.expect_pgbouncer_pools().returning(|| {
            let mut p = PgBouncerPool::new("web", "app");
            p.cl_waiting = 7;
            Ok(vec![p])
        });
        db.expect_pool_status().returning(|| {
            Ok(PoolStatus {
                size: 20,
                idle: 0,
                max: 20,
            })
        });
        let providers = Providers::new().with_database(std::sync::Arc::new(db));
        let round = check_round(&providers, &[Check::PoolHealthy], None, now()).await;
        assert_eq!(
            round.failures,
            ["7 clients waiting in PgBouncer; application pool exhausted (20/20)"]
        );

        let mut silent = MockDatabaseDiagnostics::new();
        silent
            .expect_connection_status()
            .returning(|| Err(crate::Error::timeout("t")));
        silent
            .expect_pgbouncer_pools()
            .returning(|| Err(crate::Error::timeout("t")));
        silent
            .expect_pool_status()
            .returning(|| Err(crate::Error::timeout("t")));
        let providers = Providers::new().with_database(std::sync::Arc::new(silent));
        let round = check_round(&providers, &[Check::PoolHealthy], None, now()).await;
        assert!(!round.healthy, "no answer is not a healthy pool");
    }

    #[tokio::test]
    async fn error_rate_is_skipped_without_a_baseline_and_failed_without_a_tracker() {
        let checks = [Check::ErrorRateAtBaseline {
            interval: Duration::from_secs(300),
        }];
        let round = check_round(&Providers::new(), &checks, None, now()).await;
        assert!(round.healthy);
        assert_eq!(
            round.skipped,
            ["error rate not compared: no baseline before onset"]
        );
        let baseline = Baseline {
            per_second: 0.1,
            tolerance: 0.2,
        };
        let round = check_round(&Providers::new(), &checks, Some(&baseline), now()).await;
        assert!(!round.healthy);
        assert!(round.failures[0].contains("no ErrorTracker is configured"));
    }

    #[test]
    fn nearest_rank_quantile() {
        let ms = |v: u64| Duration::from_millis(v);
        let samples: Vec<Duration> = (1..=20).map(|i| ms(i * 100)).collect();
        assert_eq!(quantile(&samples, 0.95), Some(ms(1900)));
        assert_eq!(quantile(&samples, 1.0), Some(ms(2000)));
        assert_eq!(quantile(&[], 0.95), None);
    }
}
