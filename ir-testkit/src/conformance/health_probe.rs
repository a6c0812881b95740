//! The `HealthProbe` contract, against a service a [`HealthFixture`] describes.
//!
//! Whether a relative path without the leading `/` is joined onto the base or refused is left
//! to the implementation.

use std::time::Duration;

use ir_core::classify::Reachability;
use ir_core::error::ErrorKind;
use ir_core::model::HealthOutcome;
use ir_core::ports::HealthProbe;

use super::{check, check_eq, err_kind, ok};
use crate::HealthFixture;

async fn answer_is_a_report(
    probe: &dyn HealthProbe,
    path: &str,
    status: u16,
    outcome: HealthOutcome,
    rule: &str,
) {
    let report = ok(probe.check(path).await, rule, "an answer is a report");
    check_eq!(
        report.outcome,
        outcome,
        rule,
        "HTTP {status} on {path} is {outcome:?}"
    );
    check_eq!(
        report.is_healthy(),
        outcome == HealthOutcome::Healthy,
        rule,
        "is_healthy agrees with the outcome"
    );
    check_eq!(
        report.status,
        Some(status),
        rule,
        "the report carries the status answered on {path}"
    );
    check_eq!(
        Reachability::from(&report),
        Reachability::Status(status),
        rule,
        "an answer is reachable"
    );
    check!(
        report.url.ends_with(path),
        rule,
        "the report's URL {} ends with the path {path}",
        report.url
    );
    check!(
        report.latency > Duration::ZERO,
        rule,
        "the report measures the time to the answer"
    );
}

/// A 2xx answer is a `Healthy` report (not an error) carrying the status, a measured latency
/// and a URL ending with the path.
pub async fn healthy_answer_is_healthy(probe: &dyn HealthProbe, fixture: &HealthFixture) {
    const RULE: &str = "health_probe::healthy_answer_is_healthy";
    check!(
        (200..300).contains(&fixture.healthy_status),
        RULE,
        "the health fixture needs a 2xx status"
    );
    answer_is_a_report(
        probe,
        &fixture.healthy_path,
        fixture.healthy_status,
        HealthOutcome::Healthy,
        RULE,
    )
    .await;
}

/// A 5xx answer is an `Unhealthy` report (not an error) carrying the status, a measured latency
/// and a URL ending with the path.
pub async fn failing_answer_is_unhealthy(probe: &dyn HealthProbe, fixture: &HealthFixture) {
    const RULE: &str = "health_probe::failing_answer_is_unhealthy";
    check!(
        (500..600).contains(&fixture.failing_status),
        RULE,
        "the health fixture needs a 5xx status"
    );
    answer_is_a_report(
        probe,
        &fixture.failing_path,
        fixture.failing_status,
        HealthOutcome::Unhealthy,
        RULE,
    )
    .await;
}

/// A path that would leave the configured base (`https://other.host/...`, `//other.host/...`)
/// is a `Config` error.
pub async fn paths_stay_on_the_base(probe: &dyn HealthProbe, _fixture: &HealthFixture) {
    const RULE: &str = "health_probe::paths_stay_on_the_base";
    for path in [
        "https://elsewhere.invalid/health",
        "//elsewhere.invalid/health",
    ] {
        err_kind(
            probe.check(path).await,
            ErrorKind::Config,
            RULE,
            "a path that leaves the base",
        );
    }
}

/// Every rule above.
pub async fn run_all(probe: &dyn HealthProbe, fixture: &HealthFixture) {
    healthy_answer_is_healthy(probe, fixture).await;
    failing_answer_is_unhealthy(probe, fixture).await;
    paths_stay_on_the_base(probe, fixture).await;
}
