//! The real adapters, configured for a running `Sim` (only their base URLs differ from
//! production), on a shared clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ir_core::clock::Clock;
use ir_github::{GithubClient, GithubConfig};
use ir_http::{ClientOptions, HealthProbeConfig, HttpHealthProbe, RetryPolicy};
use ir_pagerduty::{PagerDutyClient, PagerDutyConfig};
use ir_railway::{RailwayClient, RailwayConfig, RailwayToken};
use ir_sentry::{SentryClient, SentryConfig};
use ir_sim::Sim;
use ir_slack::{SlackAuth, SlackClient, SlackConfig};
use ir_statuspage::{StatuspageClient, StatuspageConfig};
use secrecy::SecretString;

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// Transport options on `clock`: retry waits and pacing pass on it, short attempt timeouts.
pub fn options(clock: Arc<dyn Clock>) -> ClientOptions {
    ClientOptions::default()
        .with_clock(clock)
        .with_retry_policy(RetryPolicy::default().with_jitter(false))
        .with_attempt_timeout(Duration::from_secs(10))
}

pub fn railway(sim: &Sim, clock: Arc<dyn Clock>) -> RailwayClient {
    let ids = sim.ids();
    RailwayClient::new(
        RailwayConfig::builder(
            RailwayToken::Project(secret("rw-project-token")),
            &ids.railway_project,
            &ids.railway_environment,
            &ids.railway_service,
        )
        .with_base_url(&sim.urls().railway)
        .with_client_options(options(clock))
        .build()
        .unwrap(),
    )
    .unwrap()
}

pub fn github(sim: &Sim, clock: Arc<dyn Clock>) -> GithubClient {
    let ids = sim.ids();
    GithubClient::new(
        GithubConfig::builder(secret("ghs_simulated"), &ids.github_owner, &ids.github_repo)
            .with_base_url(&sim.urls().github)
            .with_client_options(options(clock))
            .build()
            .unwrap(),
    )
    .unwrap()
}

pub fn sentry(sim: &Sim, clock: Arc<dyn Clock>) -> SentryClient {
    SentryClient::new(
        SentryConfig::builder(secret("sntrys_simulated"), &sim.ids().sentry_org)
            .with_base_url(&sim.urls().sentry)
            .with_client_options(options(clock))
            .build()
            .unwrap(),
    )
    .unwrap()
}

pub fn slack(sim: &Sim, clock: Arc<dyn Clock>) -> SlackClient {
    SlackClient::new(
        SlackConfig::builder(SlackAuth::BotToken(secret("xoxb-simulated")))
            .with_default_channel(&sim.ids().slack_channel)
            .with_base_url(&sim.urls().slack)
            .with_client_options(options(clock))
            .build()
            .unwrap(),
    )
    .unwrap()
}

pub fn pagerduty(sim: &Sim, clock: Arc<dyn Clock>) -> PagerDutyClient {
    PagerDutyClient::new(
        PagerDutyConfig::builder(secret("0123456789abcdef0123456789abcdef"))
            .with_base_url(&sim.urls().pagerduty)
            .with_client_options(options(clock))
            .build()
            .unwrap(),
    )
    .unwrap()
}

pub fn statuspage(sim: &Sim, clock: Arc<dyn Clock>) -> StatuspageClient {
    StatuspageClient::new(
        StatuspageConfig::builder(secret("sp-simulated-key"), &sim.ids().statuspage_page)
            .with_base_url(&sim.urls().statuspage)
            .with_client_options(options(clock))
            .build()
            .unwrap(),
    )
    .unwrap()
}

pub fn health(sim: &Sim, clock: Arc<dyn Clock>) -> HttpHealthProbe {
    HttpHealthProbe::new(
        HealthProbeConfig::builder(&sim.urls().site)
            .with_client_options(options(clock))
            .build()
            .unwrap(),
    )
    .unwrap()
}
