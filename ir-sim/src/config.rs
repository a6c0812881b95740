//! What a simulator starts with: the scenario, the clock, the database, the ids it answers for.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ir_core::clock::{Clock, SystemClock};

use crate::railway::{Platform, Timings};

/// The PostgreSQL server `PoolExhausted` leaks connections to unless told otherwise (the one
/// the workspace's database tests use).
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The production incident the simulator plays: the runbook's six scenarios and a healthy
/// production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Scenario {
    /// Everything works.
    #[default]
    Healthy,
    /// Scenario 1: a deployment ten minutes ago crash-loops (`CRASHED`), the site answers 502;
    /// rolling back to the previous deployment fixes it.
    SiteDown,
    /// Scenario 2: a deployment went out without `NEXTAUTH_SECRET`; `/api/auth/session` answers
    /// NextAuth's 500; setting the variable (which redeploys) fixes it.
    AuthSecretMissing,
    /// Scenario 3: the newest deployment `FAILED` on a missing import, GitHub's workflow run
    /// failed; the previous deployment keeps serving. A revert or a fixed commit fixes it.
    BuildFailure,
    /// Scenario 4: the application's pool is held by idle connections it leaked (real ones, to
    /// the PostgreSQL at the database URL); terminating them or restarting fixes it.
    PoolExhausted,
    /// Scenario 5: Stripe fails, so payment pages answer 500; turning `FEATURE_FLAG_STRIPE` off
    /// fixes it.
    ErrorSpike,
    /// Scenario 6: the process has leaked memory for hours and every answer takes seconds;
    /// a restart fixes it.
    LatencySpike,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 7] = [
        Scenario::Healthy,
        Scenario::SiteDown,
        Scenario::AuthSecretMissing,
        Scenario::BuildFailure,
        Scenario::PoolExhausted,
        Scenario::ErrorSpike,
        Scenario::LatencySpike,
    ];

    /// The kebab-case name the binary takes (`site-down`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::SiteDown => "site-down",
            Self::AuthSecretMissing => "auth-secret-missing",
            Self::BuildFailure => "build-failure",
            Self::PoolExhausted => "pool-exhausted",
            Self::ErrorSpike => "error-spike",
            Self::LatencySpike => "latency-spike",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|sc| sc.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown scenario {s:?}; one of {}", names.join(", "))
            })
    }
}

/// The ids the simulated services answer for: configure the adapters with these.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimIds {
    /// Railway project id.
    pub railway_project: String,
    /// Railway environment id.
    pub railway_environment: String,
    /// Railway service id.
    pub railway_service: String,
    /// Railway service name.
    pub railway_service_name: String,
    /// GitHub repository owner.
    pub github_owner: String,
    /// GitHub repository name.
    pub github_repo: String,
    /// The workflow file that deploys (`cd-production.yml`).
    pub github_workflow: String,
    /// Sentry organization slug.
    pub sentry_org: String,
    /// Sentry project slug.
    pub sentry_project: String,
    /// Statuspage page id.
    pub statuspage_page: String,
    /// The Slack channel id messages go to.
    pub slack_channel: String,
    /// The `application_name` of the simulated application's PostgreSQL connections.
    pub database_application: String,
}

impl Default for SimIds {
    fn default() -> Self {
        Self {
            railway_project: "7d5e6c58-1d7b-4a5e-9c1e-2f0f5c1d9a01".into(),
            railway_environment: "c3f1a2b4-6d7e-4f80-9a1b-2c3d4e5f6a7b".into(),
            railway_service: "410afe5c-7419-408f-91a9-f6b658ea158a".into(),
            railway_service_name: "web".into(),
            github_owner: "acme".into(),
            github_repo: "web".into(),
            github_workflow: "cd-production.yml".into(),
            sentry_org: "acme".into(),
            sentry_project: "web".into(),
            statuspage_page: "kctbh9vrtdwd".into(),
            slack_channel: "C0INCIDENT".into(),
            database_application: "ir-sim-web".into(),
        }
    }
}

/// How to start a [`Sim`](crate::Sim): `SimConfig::scenario(Scenario::SiteDown)` and the
/// `with_*` setters. Nothing here reads the environment.
#[derive(Clone)]
pub struct SimConfig {
    pub(crate) scenario: Scenario,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) database_url: Option<String>,
    pub(crate) platform: Option<Platform>,
    pub(crate) timings: Timings,
    pub(crate) ids: SimIds,
    pub(crate) site_latency: Duration,
    pub(crate) pool_size: u32,
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("scenario", &self.scenario)
            .field("clock", &self.clock)
            .field(
                "database_url",
                &self.database_url.as_deref().map(ir_core::redact::redact),
            )
            .field("timings", &self.timings)
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self::scenario(Scenario::Healthy)
    }
}

impl SimConfig {
    /// A simulator playing `scenario` on the system clock, with the default ids and, for
    /// `PoolExhausted`, [`DEFAULT_DATABASE_URL`].
    pub fn scenario(scenario: Scenario) -> Self {
        Self {
            scenario,
            clock: Arc::new(SystemClock),
            database_url: Some(DEFAULT_DATABASE_URL.to_owned()),
            platform: None,
            timings: Timings::default(),
            ids: SimIds::default(),
            site_latency: Duration::from_millis(0),
            pool_size: 10,
        }
    }

    /// The clock the simulated services read (share a `ManualClock` with the code under test).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The PostgreSQL server `PoolExhausted` holds its leaked connections on.
    pub fn with_database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    /// No PostgreSQL: `PoolExhausted` keeps its leak in memory only.
    pub fn without_database(mut self) -> Self {
        self.database_url = None;
        self
    }

    /// Railway's state, instead of the scenario's deployments (the scenario's other faults
    /// still apply).
    pub fn with_railway(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// How long Railway builds, deploys and restarts take (default: immediately).
    pub fn with_timings(mut self, timings: Timings) -> Self {
        self.timings = timings;
        self
    }

    /// The ids the services answer for.
    pub fn with_ids(mut self, ids: SimIds) -> Self {
        self.ids = ids;
        self
    }

    /// The site's own answer time, before any scenario adds to it (real time).
    pub fn with_site_latency(mut self, latency: Duration) -> Self {
        self.site_latency = latency;
        self
    }

    /// The simulated application's connection pool size (default 10).
    pub fn with_pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }
}
