//! [`Sim`]: starting the listeners, what a test reads and changes while it runs, shutdown.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ir_core::clock::{Clock, Timestamp};
use tokio::sync::watch;

use crate::config::{Scenario, SimConfig, SimIds};
use crate::database::{Database, DatabaseStatus};
use crate::fault::{Controls, Fault, Target};
use crate::github::GithubIssue;
use crate::log::{RequestLog, Vendor};
use crate::pagerduty::Page;
use crate::railway::Platform;
use crate::sentry::SentryIssue;
use crate::server::{self, Listener, Shared, lock};
use crate::slack::SlackMessage;
use crate::statuspage::StatuspageIncident;
use crate::world::World;

/// Where each simulated service listens: give these to the adapters' `with_base_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimUrls {
    /// The site (`http://127.0.0.1:<port>`): the health probe's base URL.
    pub site: String,
    /// Railway's GraphQL endpoint (`…/graphql/v2`).
    pub railway: String,
    /// GitHub's REST API.
    pub github: String,
    /// GitHub's GraphQL endpoint (`<github>/graphql`, what `ir-github` derives).
    pub github_graphql: String,
    /// The storage host job logs redirect to.
    pub github_logs: String,
    /// Sentry's host (the adapter adds `/api/0/...`).
    pub sentry: String,
    /// Slack's Web API (`…/api`).
    pub slack: String,
    /// PagerDuty's Events API host (the adapter adds `/v2/enqueue`).
    pub pagerduty: String,
    /// Statuspage's API (`…/v1`).
    pub statuspage: String,
}

/// Why the simulator did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// A loopback listener could not be bound.
    Bind(std::io::Error),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind(e) => write!(f, "ir-sim could not listen on 127.0.0.1: {e}"),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind(e) => Some(e),
        }
    }
}

/// A running simulated production. See the [crate docs](crate).
pub struct Sim {
    shared: Arc<Shared>,
    scenario: Scenario,
    listeners: Mutex<Vec<Listener>>,
    shutdown: watch::Sender<bool>,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("scenario", &self.scenario)
            .field("urls", &self.shared.urls)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Binds one listener per vendor on `127.0.0.1:0` and starts serving `config`'s scenario.
    /// `PoolExhausted` first opens its leaked connections (or reports PostgreSQL unreachable
    /// through [`Sim::database`]).
    ///
    /// # Errors
    /// [`SimError::Bind`] when a listener cannot be bound.
    pub async fn start(config: SimConfig) -> Result<Sim, SimError> {
        let listeners = server::bind_all().await.map_err(SimError::Bind)?;
        let url = |v: Vendor| -> Result<String, SimError> {
            let addr = listeners
                .get(&v)
                .map(|l| l.local_addr())
                .transpose()
                .map_err(SimError::Bind)?;
            Ok(addr.map_or_else(String::new, |a| format!("http://{a}")))
        };
        let github = url(Vendor::Github)?;
        let urls = SimUrls {
            site: url(Vendor::Site)?,
            railway: format!(
                "{}{}",
                url(Vendor::Railway)?,
                crate::railway::api::GRAPHQL_PATH
            ),
            github_graphql: format!("{github}/graphql"),
            github,
            github_logs: url(Vendor::GithubLogs)?,
            sentry: url(Vendor::Sentry)?,
            slack: format!("{}/api", url(Vendor::Slack)?),
            pagerduty: url(Vendor::PagerDuty)?,
            statuspage: format!("{}/v1", url(Vendor::Statuspage)?),
        };
        let application = config.ids.database_application.clone();
        let database = match (&config.database_url, config.scenario) {
            (Some(url), Scenario::PoolExhausted) => {
                Database::leak(url, &application, config.pool_size).await
            }
            (None, Scenario::PoolExhausted) => {
                let db = Database::unused(&application);
                tracing::warn!("PoolExhausted without a database: the leak is in memory only");
                db
            }
            _ => Database::unused(&application),
        };
        let now = config.clock.now();
        let shared = Arc::new(Shared {
            clock: config.clock.clone(),
            ids: config.ids.clone(),
            urls,
            world: Mutex::new(World::new(&config, now)),
            requests: Mutex::new(Vec::new()),
            controls: Mutex::new(Controls::default()),
            database,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut running = Vec::new();
        for (vendor, listener) in listeners {
            running.push(
                server::spawn(&shared, vendor, listener, shutdown_rx.clone())
                    .map_err(SimError::Bind)?,
            );
        }
        tracing::info!(scenario = %config.scenario, site = %shared.urls.site, "ir-sim started");
        Ok(Sim {
            shared,
            scenario: config.scenario,
            listeners: Mutex::new(running),
            shutdown,
        })
    }

    /// The scenario being played.
    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    /// Where each service listens.
    pub fn urls(&self) -> &SimUrls {
        &self.shared.urls
    }

    /// The ids the services answer for.
    pub fn ids(&self) -> &SimIds {
        &self.shared.ids
    }

    /// The clock the services read.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.shared.clock.clone()
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> RequestLog {
        RequestLog::new(lock(&self.shared.requests).clone())
    }

    /// Makes `target` misbehave with `fault` until [`clear_fault`](Self::clear_fault).
    /// `Fault::Refused` on a whole vendor closes its listener.
    pub fn set_fault(&self, target: impl Into<Target>, fault: Fault) {
        let target = target.into();
        tracing::info!(?target, ?fault, "fault set");
        lock(&self.shared.controls).set_fault(target.clone(), Some(fault));
        self.apply_refusals();
    }

    /// Makes `target` misbehave with `fault` for its next `requests` requests only, then
    /// clears the fault on its own (a rate limit that lifts, a blip of 503s). `Refused` is
    /// not counted (nothing reaches the server to count): use [`set_fault`](Self::set_fault)
    /// and [`clear_fault`](Self::clear_fault) for it.
    pub fn set_fault_for(&self, target: impl Into<Target>, fault: Fault, requests: usize) {
        let target = target.into();
        tracing::info!(
            ?target,
            ?fault,
            requests,
            "fault set for a number of requests"
        );
        lock(&self.shared.controls).set_fault_for(
            target,
            fault,
            u64::try_from(requests).unwrap_or(u64::MAX),
        );
        self.apply_refusals();
    }

    /// Ends `target`'s fault.
    pub fn clear_fault(&self, target: impl Into<Target>) {
        lock(&self.shared.controls).set_fault(target.into(), None);
        self.apply_refusals();
    }

    /// Ends every fault and latency.
    pub fn clear_faults(&self) {
        lock(&self.shared.controls).clear();
        self.apply_refusals();
    }

    /// Delays every answer of `target` by `latency` (real time; zero removes it).
    pub fn set_latency(&self, target: impl Into<Target>, latency: Duration) {
        lock(&self.shared.controls).set_latency(target.into(), latency);
    }

    fn apply_refusals(&self) {
        let controls = lock(&self.shared.controls);
        for listener in lock(&self.listeners).iter() {
            let up = !controls.refuses(listener.vendor);
            listener.up.send_if_modified(|current| {
                let changed = *current != up;
                *current = up;
                changed
            });
        }
    }

    /// Railway's state now (a copy).
    pub fn railway(&self) -> Platform {
        self.shared.world().railway.clone()
    }

    /// Changes Railway's state as an operator would (a deploy, a rollback from the dashboard),
    /// at the clock's time.
    pub fn with_railway<R>(&self, change: impl FnOnce(&mut Platform, Timestamp) -> R) -> R {
        let now = self.shared.clock.now();
        change(&mut self.shared.world().railway, now)
    }

    /// What Slack holds, oldest first.
    pub fn slack_messages(&self) -> Vec<SlackMessage> {
        self.shared.world().slack.messages.clone()
    }

    /// PagerDuty's alerts, oldest first.
    pub fn pages(&self) -> Vec<Page> {
        self.shared.world().pagerduty.pages.clone()
    }

    /// The status page's incidents, oldest first.
    pub fn status_page_incidents(&self) -> Vec<StatuspageIncident> {
        self.shared.world().statuspage.incidents.clone()
    }

    /// GitHub's issues and pull requests, oldest first.
    pub fn github_issues(&self) -> Vec<GithubIssue> {
        self.shared.world().github.issues.clone()
    }

    /// Sentry's issues.
    pub fn sentry_issues(&self) -> Vec<SentryIssue> {
        self.shared.world().sentry.issues.clone()
    }

    /// Where the simulated application's database stands: whether `PoolExhausted`'s leak is
    /// real, and how many leaked connections are still open.
    pub async fn database(&self) -> DatabaseStatus {
        self.shared.refresh_pool().await;
        self.shared.database.status()
    }

    /// Requests per vendor so far (shorthand for `requests().by_vendor()`).
    pub fn request_counts(&self) -> BTreeMap<Vendor, usize> {
        self.requests().by_vendor()
    }

    /// Stops every listener (in-flight requests finish) and closes the leaked connections.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let listeners: Vec<Listener> = std::mem::take(&mut *lock(&self.listeners));
        for listener in listeners {
            if tokio::time::timeout(Duration::from_secs(5), listener.task)
                .await
                .is_err()
            {
                tracing::warn!(vendor = %listener.vendor, "a listener did not stop within 5 s");
            }
        }
        self.shared.database.close().await;
        tracing::info!("ir-sim stopped");
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
