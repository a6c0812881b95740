#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use ir_core::{Error, ErrorKind, Result, Severity, SeverityPolicy};
pub use ir_core::{
    actions, classify, clock, comms, error, escalation, incident, memory, model, playbook, ports,
    postmortem, redact, rollback, runner, scenarios, severity,
};

pub use async_trait::async_trait;
pub use chrono;
pub use secrecy;
/// The runtime `ir` runs on, for a service that has none of its own:
/// `#[ir::tokio::main(crate = "ir::tokio")]`.
pub use tokio;

/// The shared HTTP client and the HTTP health probe (`ir-http`).
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use ir_http as http;

/// Railway: deploy platform, variables and logs (`ir-railway`).
#[cfg(feature = "railway")]
#[cfg_attr(docsrs, doc(cfg(feature = "railway")))]
pub use ir_railway as railway;

/// GitHub: code host (`ir-github`).
#[cfg(feature = "github")]
#[cfg_attr(docsrs, doc(cfg(feature = "github")))]
pub use ir_github as github;

/// Sentry: error tracker (`ir-sentry`).
#[cfg(feature = "sentry")]
#[cfg_attr(docsrs, doc(cfg(feature = "sentry")))]
pub use ir_sentry as sentry;

/// PostgreSQL: diagnostics and the shared incident store (`ir-postgres`).
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use ir_postgres as postgres;

/// Slack: chat notifier (`ir-slack`).
#[cfg(feature = "slack")]
#[cfg_attr(docsrs, doc(cfg(feature = "slack")))]
pub use ir_slack as slack;

/// PagerDuty: pager (`ir-pagerduty`).
#[cfg(feature = "pagerduty")]
#[cfg_attr(docsrs, doc(cfg(feature = "pagerduty")))]
pub use ir_pagerduty as pagerduty;

/// Statuspage: status page (`ir-statuspage`).
#[cfg(feature = "statuspage")]
#[cfg_attr(docsrs, doc(cfg(feature = "statuspage")))]
pub use ir_statuspage as statuspage;

/// Log triage (`ir-triage`).
#[cfg(feature = "triage")]
#[cfg_attr(docsrs, doc(cfg(feature = "triage")))]
pub use ir_triage as triage;

/// The simulated production on loopback: the site and every provider's API, with faults
/// (`ir-sim`).
#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub use ir_sim as sim;

mod config;
mod detect;
mod watch;

pub use config::{
    Config, ConfigError, FINGERPRINT_KEY, GithubSection, PagerDutySection, PostgresSection,
    RailwaySection, SCENARIOS, ScenariosSection, SentrySection, ServiceSection, SlackSection,
    StatuspageSection, env_or_file, value_or_file,
};
pub use detect::{Detected, detect};
pub use watch::{Check, WatchSettings, Watcher, shutdown_signal};

/// The names most services use: `use ir::prelude::*;`.
pub mod prelude {
    pub use crate::{Check, Config, Detected, WatchSettings, Watcher, detect, shutdown_signal};
    pub use async_trait::async_trait;
    pub use ir_core::classify::{Classification, Reachability, Signals, classify};
    pub use ir_core::clock::{Clock, ManualClock, SystemClock, Timestamp};
    pub use ir_core::escalation::EscalationPolicy;
    pub use ir_core::incident::{Event, EventKind, Incident, Phase};
    pub use ir_core::memory::{InMemoryIncidentStore, TracingChat};
    pub use ir_core::model::{HealthOutcome, HealthReport, IncidentId, Role};
    pub use ir_core::playbook::{ApprovalPolicy, Providers, Symptoms};
    pub use ir_core::ports::{
        Approver, AutoApprove, ChatNotifier, DenyAll, HealthProbe, IncidentStore, Pager, StatusPage,
    };
    pub use ir_core::runner::{
        AckPolicy, Outcome, RunReport, Runner, RunnerConfig, UnmeasuredCriteria,
    };
    pub use ir_core::{ErrorKind, Severity, SeverityPolicy};
}
