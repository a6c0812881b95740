//! Diagnostic probes: typed questions to the ports, each answered with [`Evidence`].
//!
//! A [`Probe`] names what to ask (service status, recent deployments, logs matching patterns,
//! whether a variable is set, ...), never how: [`Probe::run`] turns it into port calls against
//! [`Providers`]. Two probes with the same [`Probe::key`] ask the same question, so a diagnosis
//! runs them once (log probes with the same stream and window merge their patterns).
//!
//! [`Evidence`]: super::Evidence

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::signatures::LogPattern;
use crate::clock::Timestamp;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Observation;
use crate::model::{LogLine, TimeWindow};
use crate::ports::{
    ChatNotifier, CodeHost, DatabaseDiagnostics, DeployPlatform, ErrorTracker, HealthProbe,
    LogQuery, LogSource, LogStream, Pager, RunQuery, StatusPage, VariableStore, check_dsn,
};

/// At most this many matching log lines are kept as evidence (the newest).
pub const MAX_LOG_MATCHES: usize = 50;

/// The ports a playbook may use. Every one is optional: a probe whose port is missing becomes
/// evidence that the source was unavailable (`Unsupported`), and an action whose port is
/// missing fails with `Unsupported`.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ir_core::playbook::Providers;
/// use ir_core::model::HealthReport;
/// use ir_core::ports::HealthProbe;
///
/// #[derive(Debug)]
/// struct AlwaysUp;
///
/// #[async_trait::async_trait]
/// impl HealthProbe for AlwaysUp {
///     async fn check(&self, path: &str) -> ir_core::Result<HealthReport> {
///         Ok(HealthReport::answered(path, 200, Duration::from_millis(5), "ok"))
///     }
/// }
///
/// let providers = Providers::new().with_health(Arc::new(AlwaysUp));
/// assert!(providers.health.is_some() && providers.deploy.is_none());
/// assert_eq!(format!("{providers:?}"), r#"Providers { configured: ["health"] }"#);
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Providers {
    /// Where the service runs.
    pub deploy: Option<Arc<dyn DeployPlatform>>,
    /// Its environment variables.
    pub variables: Option<Arc<dyn VariableStore>>,
    /// Its logs.
    pub logs: Option<Arc<dyn LogSource>>,
    /// Its repository and CI.
    pub code: Option<Arc<dyn CodeHost>>,
    /// Its error tracker.
    pub errors: Option<Arc<dyn ErrorTracker>>,
    /// Its database.
    pub database: Option<Arc<dyn DatabaseDiagnostics>>,
    /// Its HTTP endpoints.
    pub health: Option<Arc<dyn HealthProbe>>,
    /// The incident channel.
    pub chat: Option<Arc<dyn ChatNotifier>>,
    /// The pager.
    pub pager: Option<Arc<dyn Pager>>,
    /// The public status page.
    pub status_page: Option<Arc<dyn StatusPage>>,
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [
            ("deploy", self.deploy.is_some()),
            ("variables", self.variables.is_some()),
            ("logs", self.logs.is_some()),
            ("code", self.code.is_some()),
            ("errors", self.errors.is_some()),
            ("database", self.database.is_some()),
            ("health", self.health.is_some()),
            ("chat", self.chat.is_some()),
            ("pager", self.pager.is_some()),
            ("status_page", self.status_page.is_some()),
        ]
        .into_iter()
        .filter_map(|(n, set)| set.then_some(n))
        .collect();
        f.debug_struct("Providers")
            .field("configured", &names)
            .finish()
    }
}

macro_rules! with {
    ($(#[$doc:meta] $fn:ident, $field:ident: $tr:ident;)*) => {
        impl Providers {
            /// No ports.
            pub fn new() -> Self {
                Self::default()
            }
            $(
                #[$doc]
                pub fn $fn(mut self, port: Arc<dyn $tr>) -> Self {
                    self.$field = Some(port);
                    self
                }
            )*
        }
    };
}

with! {
    /// Sets the deploy platform.
    with_deploy, deploy: DeployPlatform;
    /// Sets the variable store.
    with_variables, variables: VariableStore;
    /// Sets the log source.
    with_logs, logs: LogSource;
    /// Sets the code host.
    with_code, code: CodeHost;
    /// Sets the error tracker.
    with_errors, errors: ErrorTracker;
    /// Sets the database diagnostics.
    with_database, database: DatabaseDiagnostics;
    /// Sets the health probe.
    with_health, health: HealthProbe;
    /// Sets the chat notifier.
    with_chat, chat: ChatNotifier;
    /// Sets the pager.
    with_pager, pager: Pager;
    /// Sets the status page.
    with_status_page, status_page: StatusPage;
}

macro_rules! port {
    ($providers:expr, $field:ident, $name:literal) => {
        $crate::error::configured($providers.$field.as_deref(), $name)?
    };
}
#[allow(unused_imports)]
pub(crate) use port;

/// The times a probe's windows are computed from: the incident's onset and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeWindow {
    /// When the problem started (the onset, or detection when unknown).
    pub onset: Timestamp,
    /// Now.
    pub now: Timestamp,
}

impl ProbeWindow {
    /// From `lookback` before onset until now.
    pub fn around_onset(&self, lookback: Duration) -> TimeWindow {
        TimeWindow::new(
            crate::clock::sub(self.onset, lookback),
            self.now.max(self.onset),
        )
    }
}

/// A diagnostic question. Windows are relative to the incident's onset, so the same probe asked
/// by two playbooks of one diagnosis is the same question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "probe")]
#[non_exhaustive]
pub enum Probe {
    /// `DeployPlatform::service_status`.
    ServiceStatus,
    /// `DeployPlatform::list_deployments`.
    Deployments {
        /// How many, newest first.
        limit: usize,
    },
    /// `LogSource::logs` over `lookback` before onset until now, keeping lines matching any
    /// pattern.
    Logs {
        /// Which stream.
        stream: LogStream,
        /// How far before onset to start.
        #[serde(with = "humantime_serde")]
        lookback: Duration,
        /// How many lines to read.
        limit: usize,
        /// What to look for.
        patterns: Vec<LogPattern>,
    },
    /// Error signatures new, spiking or gone since the current deployment: the environment's
    /// logs for `baseline` before the deployment against those since, mined and diffed with
    /// `ir_triage` (`DeployPlatform::service_status`, then `LogSource::logs` twice).
    NewLogSignatures {
        /// How far before the deployment the baseline window starts.
        #[serde(with = "humantime_serde")]
        baseline: Duration,
        /// How many lines to read from each window.
        limit: usize,
    },
    /// Whether a variable is set (`VariableStore::list_names`); never its value.
    Variable {
        /// Variable name.
        name: String,
    },
    /// Where the `DATABASE_URL`-like variable `variable` points (`VariableStore::get` then
    /// [`check_dsn`]); the value never leaves the probe.
    Dsn {
        /// Variable name.
        variable: String,
    },
    /// Failed CI runs with their failed jobs (`CodeHost::workflow_runs`, `failed_jobs`).
    FailedRuns {
        /// Workflow file, all when `None`.
        workflow: Option<String>,
        /// How many runs.
        limit: usize,
    },
    /// Error-tracker issues first seen within `lookback` before onset until now.
    NewIssues {
        /// How far before onset.
        #[serde(with = "humantime_serde")]
        lookback: Duration,
    },
    /// The most frequent error-tracker issues within the window.
    TopIssues {
        /// How far before onset.
        #[serde(with = "humantime_serde")]
        lookback: Duration,
        /// How many.
        limit: usize,
    },
    /// Error counts per `interval` from `baseline` before onset until now.
    ErrorCounts {
        /// How far before onset (the baseline window).
        #[serde(with = "humantime_serde")]
        baseline: Duration,
        /// Bucket size.
        #[serde(with = "humantime_serde")]
        interval: Duration,
    },
    /// `DatabaseDiagnostics::connection_status`.
    Connections,
    /// `DatabaseDiagnostics::pool_status`.
    Pool,
    /// `DatabaseDiagnostics::pgbouncer_pools`.
    PgBouncerPools,
    /// `DatabaseDiagnostics::slow_queries`.
    SlowQueries {
        /// How many.
        limit: usize,
    },
    /// `HealthProbe::check` of `path`.
    Health {
        /// Path, e.g. `/health`.
        path: String,
    },
}

fn mins(d: Duration) -> String {
    humantime_serde::re::humantime::format_duration(d).to_string()
}

impl Probe {
    /// Recent runtime logs of the whole environment (30 minutes before onset until now, up to
    /// 500 lines) searched for `patterns`.
    pub fn recent_logs(patterns: impl IntoIterator<Item = LogPattern>) -> Self {
        Self::Logs {
            stream: LogStream::Environment,
            lookback: Duration::from_secs(30 * 60),
            limit: 500,
            patterns: patterns.into_iter().collect(),
        }
    }

    /// New error signatures since the current deployment: one hour of logs before it as the
    /// baseline, up to 1 000 lines per window.
    pub fn new_log_signatures() -> Self {
        Self::NewLogSignatures {
            baseline: Duration::from_secs(60 * 60),
            limit: 1000,
        }
    }

    /// The health check of `path`.
    pub fn health(path: impl Into<String>) -> Self {
        Self::Health { path: path.into() }
    }

    /// Whether variable `name` is set.
    pub fn variable(name: impl Into<String>) -> Self {
        Self::Variable { name: name.into() }
    }

    /// What the probe asks, as a stable key: equal keys are the same question. Log probes that
    /// differ only in their patterns share a key.
    pub fn key(&self) -> String {
        match self {
            Self::ServiceStatus => "service_status".into(),
            Self::Deployments { limit } => format!("deployments[{limit}]"),
            Self::Logs {
                stream,
                lookback,
                limit,
                ..
            } => {
                let stream = match stream {
                    LogStream::Environment => "environment".to_owned(),
                    LogStream::Deployment(id) => format!("deployment:{id}"),
                    LogStream::Build(id) => format!("build:{id}"),
                };
                format!("logs[{stream},{},{limit}]", mins(*lookback))
            }
            Self::NewLogSignatures { baseline, limit } => {
                format!("new_log_signatures[{},{limit}]", mins(*baseline))
            }
            Self::Variable { name } => format!("variable[{name}]"),
            Self::Dsn { variable } => format!("dsn[{variable}]"),
            Self::FailedRuns { workflow, limit } => format!(
                "failed_runs[{},{limit}]",
                workflow.as_deref().unwrap_or("*")
            ),
            Self::NewIssues { lookback } => format!("new_issues[{}]", mins(*lookback)),
            Self::TopIssues { lookback, limit } => {
                format!("top_issues[{},{limit}]", mins(*lookback))
            }
            Self::ErrorCounts { baseline, interval } => {
                format!("error_counts[{},{}]", mins(*baseline), mins(*interval))
            }
            Self::Connections => "connections".into(),
            Self::Pool => "pool".into(),
            Self::PgBouncerPools => "pgbouncer_pools".into(),
            Self::SlowQueries { limit } => format!("slow_queries[{limit}]"),
            Self::Health { path } => format!("health[{path}]"),
        }
    }

    /// The port this probe asks, as recorded in evidence.
    pub fn source(&self) -> &'static str {
        match self {
            Self::ServiceStatus | Self::Deployments { .. } => "deploy",
            Self::Logs { .. } | Self::NewLogSignatures { .. } => "logs",
            Self::Variable { .. } | Self::Dsn { .. } => "variables",
            Self::FailedRuns { .. } => "code",
            Self::NewIssues { .. } | Self::TopIssues { .. } | Self::ErrorCounts { .. } => "errors",
            Self::Connections | Self::Pool | Self::PgBouncerPools | Self::SlowQueries { .. } => {
                "database"
            }
            Self::Health { .. } => "health",
        }
    }

    /// Merges `other` (same key) into `self`: log patterns are unioned.
    pub(crate) fn merge(&mut self, other: &Probe) {
        if let (Self::Logs { patterns, .. }, Self::Logs { patterns: more, .. }) = (self, other) {
            for p in more {
                if !patterns.contains(p) {
                    patterns.push(p.clone());
                }
            }
        }
    }

    /// Asks the ports.
    ///
    /// # Errors
    /// The port's error, or `Unsupported` when the port is not configured. The diagnosis turns
    /// either into [`EvidenceOutcome::Unavailable`](crate::model::EvidenceOutcome::Unavailable).
    pub async fn run(&self, providers: &Providers, window: ProbeWindow) -> Result<Observation> {
        match self {
            Self::ServiceStatus => Ok(Observation::ServiceStatus(
                port!(providers, deploy, "DeployPlatform")
                    .service_status()
                    .await?,
            )),
            Self::Deployments { limit } => {
                let mut deployments = port!(providers, deploy, "DeployPlatform")
                    .list_deployments(*limit)
                    .await?;
                deployments.sort_by_key(|d| std::cmp::Reverse(d.created_at));
                Ok(Observation::Deployments(deployments))
            }
            Self::Logs {
                stream,
                lookback,
                limit,
                patterns,
            } => {
                let w = window.around_onset(*lookback);
                let query =
                    LogQuery::new(stream.clone(), *limit).with_window(Some(w.start), Some(w.end));
                let regexes = patterns
                    .iter()
                    .map(LogPattern::regex)
                    .collect::<Result<Vec<_>>>()?;
                let lines = port!(providers, logs, "LogSource").logs(&query).await?;
                let mut matched: Vec<LogLine> = lines
                    .into_iter()
                    .filter(|l| regexes.iter().any(|re| re.is_match(&l.message)))
                    .collect();
                if matched.len() > MAX_LOG_MATCHES {
                    matched.drain(..matched.len() - MAX_LOG_MATCHES);
                }
                Ok(Observation::LogMatches {
                    patterns: patterns.iter().map(|p| p.name().to_owned()).collect(),
                    lines: matched,
                })
            }
            Self::NewLogSignatures { baseline, limit } => {
                let logs = port!(providers, logs, "LogSource");
                let deploy = port!(providers, deploy, "DeployPlatform");
                super::triage::run(deploy, logs, window.now, *baseline, *limit).await
            }
            Self::Variable { name } => {
                let names = port!(providers, variables, "VariableStore")
                    .list_names()
                    .await?;
                Ok(Observation::VariablePresence {
                    name: name.clone(),
                    present: names.iter().any(|n| n == name),
                })
            }
            Self::Dsn { variable } => {
                let value = port!(providers, variables, "VariableStore")
                    .get(variable)
                    .await?;
                match value {
                    None => Ok(Observation::VariablePresence {
                        name: variable.clone(),
                        present: false,
                    }),
                    Some(v) => check_dsn(&v)
                        .map(Observation::Dsn)
                        .map_err(|e| Error::new(e.kind(), format!("{variable}: {}", e.message()))),
                }
            }
            Self::FailedRuns { workflow, limit } => {
                let code = port!(providers, code, "CodeHost");
                let runs = code
                    .workflow_runs(&RunQuery {
                        workflow: workflow.clone(),
                        branch: None,
                        failed_only: true,
                        limit: *limit,
                    })
                    .await?;
                let runs: Vec<_> = runs
                    .into_iter()
                    .filter(|r| r.conclusion.as_ref().is_some_and(|c| c.is_failure()))
                    .collect();
                // The jobs of every failed run, concurrently.
                let jobs =
                    futures::future::join_all(runs.iter().map(|r| code.failed_jobs(r.id))).await;
                let mut out = Vec::with_capacity(runs.len());
                for (run, jobs) in runs.into_iter().zip(jobs) {
                    out.push((run, jobs?));
                }
                Ok(Observation::FailedRuns(out))
            }
            Self::NewIssues { lookback } => Ok(Observation::TrackerIssues(
                port!(providers, errors, "ErrorTracker")
                    .new_issues(window.around_onset(*lookback))
                    .await?,
            )),
            Self::TopIssues { lookback, limit } => Ok(Observation::TrackerIssues(
                port!(providers, errors, "ErrorTracker")
                    .top_issues(window.around_onset(*lookback), *limit)
                    .await?,
            )),
            Self::ErrorCounts { baseline, interval } => {
                if interval.is_zero() {
                    return Err(Error::invalid_input(
                        "error-count interval must not be zero",
                    ));
                }
                Ok(Observation::ErrorCounts(
                    port!(providers, errors, "ErrorTracker")
                        .error_counts(window.around_onset(*baseline), *interval)
                        .await?,
                ))
            }
            Self::Connections => Ok(Observation::Connections(
                port!(providers, database, "DatabaseDiagnostics")
                    .connection_status()
                    .await?,
            )),
            Self::Pool => Ok(Observation::Pool(
                port!(providers, database, "DatabaseDiagnostics")
                    .pool_status()
                    .await?,
            )),
            Self::PgBouncerPools => Ok(Observation::PgBouncerPools(
                port!(providers, database, "DatabaseDiagnostics")
                    .pgbouncer_pools()
                    .await?,
            )),
            Self::SlowQueries { limit } => Ok(Observation::SlowQueries(
                port!(providers, database, "DatabaseDiagnostics")
                    .slow_queries(*limit)
                    .await?,
            )),
            Self::Health { path } => Ok(Observation::Health(
                port!(providers, health, "HealthProbe").check(path).await?,
            )),
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The error a probe that ran out of time reports.
pub(crate) fn probe_timeout(probe: &Probe, after: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "probe {} did not answer within {}",
            probe.key(),
            mins(after)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_identify_the_question() {
        let a = Probe::recent_logs([LogPattern::Crash]);
        let b = Probe::recent_logs([LogPattern::NextAuthNoSecret]);
        assert_eq!(a.key(), b.key());
        assert_eq!(a.key(), "logs[environment,30m,500]");
        let mut merged = a.clone();
        merged.merge(&b);
        let Probe::Logs { patterns, .. } = merged else {
            panic!()
        };
        assert_eq!(
            patterns,
            [LogPattern::Crash, LogPattern::NextAuthNoSecret].to_vec()
        );
        assert_ne!(
            Probe::health("/health").key(),
            Probe::health("/api/auth/session").key()
        );
        assert_eq!(
            Probe::ErrorCounts {
                baseline: Duration::from_secs(3600),
                interval: Duration::from_secs(300)
            }
            .key(),
            "error_counts[1h,5m]"
        );
    }

    #[tokio::test]
    async fn a_missing_port_is_unsupported() {
        let now: Timestamp = "2026-02-08T15:30:00Z".parse().unwrap();
        let err = Probe::ServiceStatus
            .run(&Providers::new(), ProbeWindow { onset: now, now })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
    }
}
