//! Credentials an application printed into its logs (or a provider echoed in an error) are
//! scrubbed before they become evidence in the timeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use ir_core::clock::{ManualClock, Timestamp};
use ir_core::model::{DeploymentId, LogLine};
use ir_core::playbook::signatures::LogPattern;
use ir_core::playbook::{DiagnosisConfig, Probe, ProbeWindow, Providers, diagnose};
use ir_core::ports::{LogQuery, LogSource, LogStream};
use ir_core::{Error, ErrorKind};
use ir_testkit::InMemoryLogs;

fn t0() -> Timestamp {
    "2026-02-08T15:30:00Z".parse().unwrap()
}

#[derive(Debug)]
struct EchoingLogs;

#[async_trait]
impl LogSource for EchoingLogs {
    async fn logs(&self, _: &LogQuery) -> ir_core::Result<Vec<LogLine>> {
        Err(Error::new(
            ErrorKind::InvalidInput,
            "bad filter for postgres://app:hunter2@db:5432/web",
        ))
    }
}

#[tokio::test]
async fn credentials_in_log_lines_and_errors_never_reach_the_evidence() {
    let logs = InMemoryLogs::new();
    let stream = LogStream::Deployment(DeploymentId::new("d-1"));
    for line in [
        "Error: connect ECONNREFUSED postgres://app:hunter2@db.internal:5432/web",
        "Database connection failed: password authentication failed for user \"app\" (password=hunter2)",
    ] {
        logs.push(
            stream.clone(),
            LogLine::new(t0() - chrono::Duration::minutes(1), None, line)
                .with_attribute("dsn", "postgres://app:hunter2@db:5432/web"),
        );
    }
    let window = ProbeWindow {
        onset: t0(),
        now: t0(),
    };
    let clock = ManualClock::at(t0());
    let probe = Probe::recent_logs([LogPattern::DatabaseConnection]);

    let providers = Providers::new().with_logs(Arc::new(logs));
    let evidence = diagnose(
        &providers,
        [probe.clone()],
        window,
        &DiagnosisConfig::default(),
        &clock,
        1,
    )
    .await;
    let json = serde_json::to_string(&evidence).unwrap();
    assert!(
        json.contains("ECONNREFUSED"),
        "the line itself is kept: {json}"
    );
    assert!(json.contains("<redacted>"), "{json}");
    assert!(!json.contains("hunter2"), "{json}");

    let providers = Providers::new().with_logs(Arc::new(EchoingLogs));
    let evidence = diagnose(
        &providers,
        [probe],
        window,
        &DiagnosisConfig::default(),
        &clock,
        1,
    )
    .await;
    let json = serde_json::to_string(&evidence).unwrap();
    assert!(
        json.contains("unavailable") && json.contains("bad filter"),
        "{json}"
    );
    assert!(!json.contains("hunter2"), "{json}");
}
