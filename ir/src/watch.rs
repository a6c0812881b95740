//! The health watcher: the polling loop every embedding service would otherwise write.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ir_core::classify::{Reachability, Signals};
use ir_core::clock::Clock;
use ir_core::model::{HealthOutcome, HealthReport, IncidentId, TimeWindow};
use ir_core::playbook::Symptoms;
use ir_core::ports::{ErrorTracker, HealthProbe, IncidentStore};
use ir_core::runner::{RunReport, Runner};
use ir_core::{Result, SeverityPolicy};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::detect::{Detected, detect};

/// What the watcher watches and how often: `[watch]` in `ir.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct WatchSettings {
    /// The service's name, as incidents record it (in `ir.toml`, `[service] name`).
    #[serde(skip)]
    pub service: String,
    /// The title of an incident the watcher opens.
    pub title: String,
    /// The endpoint checked, relative to the health probe's base URL.
    pub path: String,
    /// Between two checks.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// The dedup key of the incident a failing check opens or joins
    /// (default `health:<service>`).
    pub dedup_key: Option<String>,
    /// With an error tracker: more errors than this in one interval, while the health check
    /// passes, open (or join) an "error spike" incident (dedup key `errors:<service>`).
    /// `None`: the error tracker is not polled.
    pub max_errors_per_interval: Option<u64>,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            service: "service".into(),
            title: "Health check failing".into(),
            path: "/health".into(),
            interval: Duration::from_secs(30),
            dedup_key: None,
            max_errors_per_interval: None,
        }
    }
}

impl WatchSettings {
    /// The dedup key a failing check opens or joins.
    pub fn dedup_key(&self) -> String {
        self.dedup_key
            .clone()
            .unwrap_or_else(|| format!("health:{}", self.service))
    }
}

/// What one check led to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Check {
    /// The endpoint answered 2xx/3xx.
    Healthy(HealthReport),
    /// The check failed: the incident was opened or joined, and driven by the runner unless
    /// this watcher had driven it already.
    Incident {
        /// The failing check.
        report: HealthReport,
        /// The incident.
        detected: Detected,
        /// The runner's report; `None` when this watcher had already driven the incident
        /// (it is left to people, or to the next incident once it is resolved).
        run: Option<Box<RunReport>>,
    },
}

/// Polls a [`HealthProbe`] (and, optionally, an [`ErrorTracker`]) on an interval of the
/// [`Clock`]; a failing check, or more errors than the threshold, opens or joins the incident
/// ([`detect`]) and the [`Runner`] drives it.
///
/// An incident is driven once per watcher: when this watcher opens it, or the first time it
/// joins one already open (so a restarted watcher resumes an interrupted run from the
/// timeline). Shutdown is graceful: a check and run under way finish before [`Watcher::run`]
/// returns.
#[derive(Debug)]
pub struct Watcher {
    runner: Runner,
    store: Arc<dyn IncidentStore>,
    health: Arc<dyn HealthProbe>,
    errors: Option<Arc<dyn ErrorTracker>>,
    clock: Arc<dyn Clock>,
    severity: SeverityPolicy,
    settings: WatchSettings,
    driven: Mutex<HashSet<IncidentId>>,
}

impl Watcher {
    /// A watcher of `health` that opens incidents in `store` and drives them with `runner`,
    /// with the runbook's severity policy and the default [`WatchSettings`].
    pub fn new(
        runner: Runner,
        store: Arc<dyn IncidentStore>,
        health: Arc<dyn HealthProbe>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            runner,
            store,
            health,
            errors: None,
            clock,
            severity: SeverityPolicy::runbook(),
            settings: WatchSettings::default(),
            driven: Mutex::new(HashSet::new()),
        }
    }

    /// Sets what is watched and how often.
    pub fn with_settings(mut self, settings: WatchSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Polls `tracker` too (while the health check passes), against
    /// [`WatchSettings::max_errors_per_interval`].
    pub fn with_error_tracker(mut self, tracker: Arc<dyn ErrorTracker>) -> Self {
        self.errors = Some(tracker);
        self
    }

    /// Sets the severity policy failing checks are classified with.
    pub fn with_severity_policy(mut self, severity: SeverityPolicy) -> Self {
        self.severity = severity;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &WatchSettings {
        &self.settings
    }

    /// Checks once and, on a failing check, opens or joins the incident and drives it.
    ///
    /// # Errors
    /// The probe's (a path that forms no URL), the store's, and the runner's.
    pub async fn check_once(&self) -> Result<Check> {
        let report = self.health.check(&self.settings.path).await?;
        let (signals, texts, title, dedup_key) = if report.outcome == HealthOutcome::Healthy {
            match self.error_spike().await? {
                None => return Ok(Check::Healthy(report)),
                Some((count, titles)) => (
                    Signals {
                        intermittent_errors: true,
                        ..Signals::default()
                    },
                    titles,
                    format!(
                        "Error spike ({count} errors in {} s)",
                        self.settings.interval.as_secs()
                    ),
                    format!("errors:{}", self.settings.service),
                ),
            }
        } else {
            (
                Signals {
                    health: Some(Reachability::from(&report)),
                    ..Signals::default()
                },
                Vec::new(),
                self.settings.title.clone(),
                self.settings.dedup_key(),
            )
        };
        let detected = detect(
            self.store.as_ref(),
            &signals,
            &title,
            &self.settings.service,
            &dedup_key,
            &self.severity,
            self.clock.as_ref(),
        )
        .await?;
        let driven = self.driven().contains(&detected.id);
        let run = if driven {
            None
        } else {
            let mut symptoms = Symptoms::new(signals);
            if !report.body_excerpt.is_empty() && report.outcome != HealthOutcome::Healthy {
                symptoms.texts.push(report.body_excerpt.clone());
            }
            symptoms.texts.extend(texts);
            let run = self.runner.run(detected.id, &symptoms).await?;
            // Only a run that happened counts: after an error the next check tries again.
            self.driven().insert(detected.id);
            Some(Box::new(run))
        };
        Ok(Check::Incident {
            report,
            detected,
            run,
        })
    }

    /// With an error tracker and a threshold: the errors of the last interval and the titles
    /// of the issues new in it, when there are more errors than the threshold.
    async fn error_spike(&self) -> Result<Option<(u64, Vec<String>)>> {
        let (Some(tracker), Some(max)) = (&self.errors, self.settings.max_errors_per_interval)
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        let since = now - chrono::Duration::from_std(self.settings.interval).unwrap_or_default();
        let window = TimeWindow::new(since, now);
        let count: u64 = tracker
            .error_counts(window, self.settings.interval)
            .await?
            .iter()
            .map(|b| b.count)
            .sum();
        if count <= max {
            return Ok(None);
        }
        // The new issues' titles are symptoms; without them the spike still opens.
        let titles = match tracker.new_issues(window).await {
            Ok(issues) => issues.into_iter().map(|i| i.title).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "new issues could not be read");
                Vec::new()
            }
        };
        Ok(Some((count, titles)))
    }

    fn driven(&self) -> std::sync::MutexGuard<'_, HashSet<IncidentId>> {
        self.driven.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks every `interval` until `shutdown` turns `true` (or its sender is dropped).
    /// A failed check (the store or a provider unreachable) is logged and retried at the
    /// next interval; it does not stop the loop.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for errors that should stop a watcher.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> Result<()> {
        loop {
            if *shutdown.borrow_and_update() {
                return Ok(());
            }
            match self.check_once().await {
                Ok(Check::Healthy(_)) => tracing::debug!(path = %self.settings.path, "healthy"),
                Ok(Check::Incident { detected, run, .. }) => tracing::info!(
                    incident = %detected.id,
                    created = detected.created,
                    outcome = ?run.map(|r| r.outcome),
                    "health check failing"
                ),
                Err(error) => tracing::warn!(%error, "health check could not be handled"),
            }
            // Shutdown first: on a manual clock the sleep is ready at once too.
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return Ok(());
                    }
                }
                () = self.clock.sleep(self.settings.interval) => {}
            }
        }
    }
}

/// A shutdown signal for [`Watcher::run`]: `send(true)` on the sender (or drop it) to stop.
pub fn shutdown_signal() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}
