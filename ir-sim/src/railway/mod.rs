//! Railway's service as a pure state machine: deployments and which one serves, variables that
//! redeploy the service when they change, and the build, deployment and environment logs the
//! state produces.
//!
//! [`Platform`] has no server and no clock: every change takes the time it happens at. The
//! simulator's GraphQL endpoint answers from it, and `ir_testkit::InMemoryPlatform` is a
//! `DeployPlatform` over it, so Railway's behaviour is written once:
//!
//! - a rollback or a redeploy adds a **new** deployment of the chosen build, which goes live
//!   (after the build and deploy time, when one is set); the deployment it replaces becomes
//!   `REMOVED`;
//! - a build that fails ends `FAILED` and the deployment before it keeps serving;
//! - a build that crashes on start goes live `CRASHED`: the service is down;
//! - setting or deleting a variable redeploys the serving build with the new variables unless
//!   the change skips deploys; a restart keeps the deployment and its variables and restarts
//!   its process.
//!
//! ```
//! use ir_core::model::{Deployment, DeploymentId, DeploymentStatus};
//! use ir_sim::railway::{Behaviour, Platform};
//!
//! let t0: chrono::DateTime<chrono::Utc> = "2026-02-08T15:00:00Z".parse().unwrap();
//! let mut platform = Platform::new("web");
//! let good = Deployment::new("d1", DeploymentStatus::Active, t0).with_capabilities(true, true);
//! platform.push(good, Behaviour::Healthy);
//! let bad = Deployment::new("d2", DeploymentStatus::Active, t0 + chrono::Duration::minutes(5));
//! platform.push(bad, Behaviour::crash_loop("TypeError: Cannot read properties of undefined"));
//! assert!(platform.serving().is_some_and(|s| s.is_down()));
//!
//! let new = platform.rollback(&DeploymentId::new("d1"), t0 + chrono::Duration::minutes(10)).unwrap();
//! assert_eq!(platform.active(), Some(new));
//! assert!(platform.serving().is_some_and(|s| !s.is_down()));
//! ```

#[cfg(feature = "server")]
pub(crate) mod api;
mod logs;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use ir_core::clock::Timestamp;
use ir_core::model::{
    Deployment, DeploymentId, DeploymentStatus, InstanceStatus, LogLevel, LogLine, ServiceStatus,
};

pub use logs::{LogFilter, LogStream};

/// How a deployment's build behaves once it is built and started.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Behaviour {
    /// Builds, starts and serves.
    Healthy,
    /// Builds, then crashes on start with this error, again and again.
    CrashLoop {
        /// The error the process prints before it exits.
        error: String,
    },
    /// The build fails with this error; the deployment never goes live.
    BuildFails {
        /// The build's error line.
        error: String,
    },
}

impl Behaviour {
    /// A build that crashes on start with `error`.
    pub fn crash_loop(error: impl Into<String>) -> Self {
        Self::CrashLoop {
            error: error.into(),
        }
    }

    /// A build that fails with `error`.
    pub fn build_fails(error: impl Into<String>) -> Self {
        Self::BuildFails {
            error: error.into(),
        }
    }
}

/// How long Railway takes to build a deployment, start it, and restart it. Zero (the default)
/// makes every change immediate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// From a new deployment to its build finishing.
    pub build: Duration,
    /// From the build finishing to the deployment serving.
    pub deploy: Duration,
    /// From a restart to the process serving again.
    pub restart: Duration,
}

/// A mutating call the platform received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlatformCall {
    /// `rollback(to)`.
    Rollback(DeploymentId),
    /// `redeploy(id)`.
    Redeploy(DeploymentId),
    /// `restart(id)`.
    Restart(DeploymentId),
    /// A variable set (by name; values are not kept here).
    SetVariable(String),
    /// A variable deleted.
    DeleteVariable(String),
}

/// Why the platform refused a call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlatformError {
    /// No deployment has this id.
    NotFound(DeploymentId),
    /// The deployment cannot be rolled back to (`canRollback: false`).
    CannotRollback(DeploymentId),
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(id) => write!(f, "deployment {id} does not exist"),
            Self::CannotRollback(id) => write!(f, "deployment {id} cannot be rolled back to"),
        }
    }
}

impl std::error::Error for PlatformError {}

/// How new deployment ids are made.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdScheme {
    /// `<source>-rollback-<n>` and `<source>-redeploy-<n>`: readable in tests.
    #[default]
    Derived,
    /// UUID-shaped ids, as Railway's, numbered from a seed.
    Uuid {
        /// Distinguishes one simulator's ids from another's.
        seed: u32,
    },
}

/// One deployment as the simulator keeps it: what Railway reports, how its build behaves, the
/// variables it started with, and when its process last started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimDeployment {
    /// What Railway reports.
    pub deployment: Deployment,
    /// How its build behaves.
    pub behaviour: Behaviour,
    /// The variables it was deployed with (Railway bakes them into the deployment).
    pub variables: BTreeMap<String, String>,
    /// When its process last started (a restart moves it).
    pub started_at: Timestamp,
    /// While it builds or deploys: when it goes live.
    pending_until: Option<Timestamp>,
    /// While it restarts: when the process is back.
    restarting_until: Option<Timestamp>,
}

impl SimDeployment {
    /// Whether this deployment, serving, leaves the site down: it crash-loops or restarts.
    pub fn is_down(&self) -> bool {
        self.deployment.status == DeploymentStatus::Crashed || self.restarting_until.is_some()
    }

    /// Whether its variables hold a non-blank `name`.
    pub fn has_variable(&self, name: &str) -> bool {
        self.variables
            .get(name)
            .is_some_and(|v| !v.trim().is_empty())
    }
}

/// Railway's service: see the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct Platform {
    service: String,
    /// Newest first.
    deployments: Vec<SimDeployment>,
    active: Option<DeploymentId>,
    variables: BTreeMap<String, String>,
    logs: Vec<(LogStream, LogLine)>,
    calls: Vec<PlatformCall>,
    ids: IdScheme,
    timings: Timings,
    made: u32,
}

impl Platform {
    /// A service named `service` with no deployment and no variable.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            ..Self::default()
        }
    }

    /// A service with `deployments` (any order), each of healthy behaviour; the newest `Active`
    /// one serves.
    pub fn with_deployments(service: impl Into<String>, deployments: Vec<Deployment>) -> Self {
        let mut platform = Self::new(service);
        let mut deployments = deployments;
        deployments.sort_by_key(|d| d.created_at);
        for d in deployments {
            let active = d.status == DeploymentStatus::Active;
            let id = d.id.clone();
            platform.insert(d, Behaviour::Healthy, BTreeMap::new());
            if active {
                platform.active = Some(id);
            }
        }
        platform
    }

    /// How new ids are made.
    pub fn with_ids(mut self, ids: IdScheme) -> Self {
        self.ids = ids;
        self
    }

    /// How long builds, deploys and restarts take.
    pub fn with_timings(mut self, timings: Timings) -> Self {
        self.timings = timings;
        self
    }

    /// The service's name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Adds `deployment` as it is (its status, its time) with the service's current variables.
    /// An `Active` or `Crashed` deployment newer than the serving one takes over, and the one
    /// it replaces becomes `Removed`; it also writes the logs such a deployment leaves.
    /// A crash-looping build reported `Active` is `Crashed`, a failing one `Failed`.
    pub fn push(&mut self, mut deployment: Deployment, behaviour: Behaviour) {
        if deployment.status == DeploymentStatus::Active {
            match behaviour {
                Behaviour::CrashLoop { .. } => deployment.status = DeploymentStatus::Crashed,
                Behaviour::BuildFails { .. } => deployment.status = DeploymentStatus::Failed,
                Behaviour::Healthy => {}
            }
        }
        let id = deployment.id.clone();
        let at = deployment.created_at;
        let status = deployment.status.clone();
        let variables = self.variables.clone();
        self.insert(deployment, behaviour, variables);
        self.build_logs(&id, at);
        if matches!(status, DeploymentStatus::Active | DeploymentStatus::Crashed) {
            let newer = self
                .active_deployment()
                .is_none_or(|serving| serving.created_at <= at);
            if newer {
                self.replace_active(&id);
            }
            self.start_logs(&id, at);
        }
    }

    fn insert(
        &mut self,
        deployment: Deployment,
        behaviour: Behaviour,
        variables: BTreeMap<String, String>,
    ) {
        let started_at = deployment.created_at;
        let sim = SimDeployment {
            deployment,
            behaviour,
            variables,
            started_at,
            pending_until: None,
            restarting_until: None,
        };
        let at = self
            .deployments
            .iter()
            .position(|d| d.deployment.created_at < sim.deployment.created_at)
            .unwrap_or(self.deployments.len());
        self.deployments.insert(at, sim);
    }

    /// Sets the serving deployment without changing any status.
    pub fn set_active(&mut self, id: Option<DeploymentId>) {
        self.active = id;
    }

    /// The serving deployment's id.
    pub fn active(&self) -> Option<DeploymentId> {
        self.active.clone()
    }

    /// The serving deployment, as Railway reports it.
    pub fn active_deployment(&self) -> Option<Deployment> {
        self.serving().map(|d| d.deployment.clone())
    }

    /// The serving deployment with what the simulator knows of it.
    pub fn serving(&self) -> Option<&SimDeployment> {
        let id = self.active.as_ref()?;
        self.deployments.iter().find(|d| &d.deployment.id == id)
    }

    /// Every deployment, newest first, with what the simulator knows of it.
    pub fn deployments(&self) -> &[SimDeployment] {
        &self.deployments
    }

    /// Every mutating call, in order.
    pub fn calls(&self) -> &[PlatformCall] {
        &self.calls
    }

    /// The service's variables now (a running deployment has the ones it started with).
    pub fn variables(&self) -> &BTreeMap<String, String> {
        &self.variables
    }

    /// Sets the service's variables without redeploying anything (for seeding).
    pub fn seed_variables(
        &mut self,
        vars: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) {
        self.variables
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
    }

    /// Removes a variable without redeploying anything (for seeding).
    pub fn forget_variable(&mut self, name: &str) {
        self.variables.remove(name);
    }

    /// A fresh id for a new deployment, in the platform's [`IdScheme`].
    pub fn next_id(&mut self) -> DeploymentId {
        self.made += 1;
        DeploymentId::new(match &self.ids {
            IdScheme::Derived => format!("d-{}", self.made),
            IdScheme::Uuid { seed } => format!(
                "{seed:08x}-{:04x}-4{:03x}-8000-{:012x}",
                self.made >> 16,
                self.made & 0xfff,
                u64::from(self.made) * 7919
            ),
        })
    }

    /// The service's status at `now`: the newest deployment, the serving one and its replicas.
    pub fn service_status(&mut self, now: Timestamp) -> ServiceStatus {
        self.advance(now);
        let serving = self.serving();
        let instances = match serving {
            None => vec![InstanceStatus::Crashed],
            Some(d) if d.restarting_until.is_some() => vec![InstanceStatus::Restarting],
            Some(d) if d.deployment.status == DeploymentStatus::Crashed => {
                vec![InstanceStatus::Crashed, InstanceStatus::Restarting]
            }
            Some(_) => vec![InstanceStatus::Running],
        };
        let active = serving.map(|d| d.deployment.clone()).into_iter().collect();
        let mut status = ServiceStatus::new(self.service.clone())
            .with_active(active)
            .with_instances(instances);
        if let Some(latest) = self.deployments.first() {
            status = status.with_latest(latest.deployment.clone());
        }
        status
    }

    /// The newest `limit` deployments at `now`, newest first.
    pub fn list(&mut self, limit: usize, now: Timestamp) -> Vec<Deployment> {
        self.advance(now);
        self.deployments
            .iter()
            .take(limit)
            .map(|d| d.deployment.clone())
            .collect()
    }

    /// One deployment at `now`.
    ///
    /// # Errors
    /// [`PlatformError::NotFound`].
    pub fn deployment(
        &mut self,
        id: &DeploymentId,
        now: Timestamp,
    ) -> Result<Deployment, PlatformError> {
        self.advance(now);
        self.find(id).map(|d| d.deployment.clone())
    }

    fn find(&self, id: &DeploymentId) -> Result<&SimDeployment, PlatformError> {
        self.deployments
            .iter()
            .find(|d| &d.deployment.id == id)
            .ok_or_else(|| PlatformError::NotFound(id.clone()))
    }

    /// Rolls back to `to` at `at`: a new deployment of its build (with the variables it had)
    /// goes live. Returns the new deployment's id.
    ///
    /// # Errors
    /// [`PlatformError::NotFound`], [`PlatformError::CannotRollback`].
    pub fn rollback(
        &mut self,
        to: &DeploymentId,
        at: Timestamp,
    ) -> Result<DeploymentId, PlatformError> {
        self.advance(at);
        let source = self.find(to)?.clone();
        if !source.deployment.can_rollback {
            return Err(PlatformError::CannotRollback(to.clone()));
        }
        self.calls.push(PlatformCall::Rollback(to.clone()));
        Ok(self.deploy_copy(&source, "rollback", source.variables.clone(), at))
    }

    /// Redeploys `id`'s build at `at` with the service's current variables. Returns the new
    /// deployment's id.
    ///
    /// # Errors
    /// [`PlatformError::NotFound`].
    pub fn redeploy(
        &mut self,
        id: &DeploymentId,
        at: Timestamp,
    ) -> Result<DeploymentId, PlatformError> {
        self.advance(at);
        let source = self.find(id)?.clone();
        self.calls.push(PlatformCall::Redeploy(id.clone()));
        let variables = self.variables.clone();
        Ok(self.deploy_copy(&source, "redeploy", variables, at))
    }

    /// Restarts `id`'s process at `at`: same deployment, same variables, a fresh process.
    ///
    /// # Errors
    /// [`PlatformError::NotFound`].
    pub fn restart(&mut self, id: &DeploymentId, at: Timestamp) -> Result<(), PlatformError> {
        self.advance(at);
        self.find(id)?;
        self.calls.push(PlatformCall::Restart(id.clone()));
        let restart = self.timings.restart;
        if let Some(d) = self.deployments.iter_mut().find(|d| &d.deployment.id == id) {
            d.started_at = at;
            if !restart.is_zero() {
                d.restarting_until = Some(at + to_chrono(restart));
            }
        }
        self.push_log(
            LogStream::Deployment(id.clone()),
            at,
            LogLevel::Info,
            "Restarting container",
        );
        self.start_logs(id, at);
        Ok(())
    }

    /// Sets variable `name` at `at`. Unless `skip_deploys`, the serving build is redeployed
    /// with it; returns that new deployment's id.
    pub fn set_variable(
        &mut self,
        name: &str,
        value: &str,
        skip_deploys: bool,
        at: Timestamp,
    ) -> Option<DeploymentId> {
        self.calls.push(PlatformCall::SetVariable(name.to_owned()));
        self.variables.insert(name.to_owned(), value.to_owned());
        self.redeploy_for_variables(skip_deploys, at)
    }

    /// Deletes variable `name` at `at`; `false` when it was not set (nothing redeploys then).
    pub fn delete_variable(&mut self, name: &str, skip_deploys: bool, at: Timestamp) -> bool {
        self.calls
            .push(PlatformCall::DeleteVariable(name.to_owned()));
        if self.variables.remove(name).is_none() {
            return false;
        }
        self.redeploy_for_variables(skip_deploys, at);
        true
    }

    fn redeploy_for_variables(
        &mut self,
        skip_deploys: bool,
        at: Timestamp,
    ) -> Option<DeploymentId> {
        if skip_deploys {
            return None;
        }
        self.advance(at);
        let source = self.serving()?.clone();
        let variables = self.variables.clone();
        Some(self.deploy_copy(&source, "redeploy", variables, at))
    }

    /// A new deployment of `source`'s build: building/deploying until the timings pass, then
    /// live.
    fn deploy_copy(
        &mut self,
        source: &SimDeployment,
        why: &str,
        variables: BTreeMap<String, String>,
        at: Timestamp,
    ) -> DeploymentId {
        let id = match &self.ids {
            IdScheme::Derived => {
                self.made += 1;
                DeploymentId::new(format!("{}-{why}-{}", source.deployment.id, self.made))
            }
            IdScheme::Uuid { .. } => self.next_id(),
        };
        let created_at = self.deployments.first().map_or(at, |d| {
            at.max(d.deployment.created_at + chrono::Duration::seconds(1))
        });
        let mut deployment = source.deployment.clone();
        deployment.id = id.clone();
        deployment.created_at = created_at;
        let wait = self.timings.build + self.timings.deploy;
        deployment.status = if wait.is_zero() {
            DeploymentStatus::Active
        } else {
            DeploymentStatus::Building
        };
        self.insert(deployment, source.behaviour.clone(), variables);
        self.build_logs(&id, created_at);
        if wait.is_zero() {
            self.go_live(&id, created_at);
        } else if let Some(d) = self.deployments.iter_mut().find(|d| d.deployment.id == id) {
            d.pending_until = Some(created_at + to_chrono(wait));
        }
        id
    }

    /// Applies every transition due by `now`: builds finishing, deployments going live,
    /// restarts completing.
    pub fn advance(&mut self, now: Timestamp) {
        let build = to_chrono(self.timings.build);
        let mut live = Vec::new();
        for d in &mut self.deployments {
            if let Some(until) = d.restarting_until
                && until <= now
            {
                d.restarting_until = None;
            }
            let Some(until) = d.pending_until else {
                continue;
            };
            if until <= now {
                d.pending_until = None;
                live.push((d.deployment.id.clone(), until));
            } else if d.deployment.created_at + build <= now {
                d.deployment.status = DeploymentStatus::Deploying;
            }
        }
        live.sort_by_key(|(_, at)| *at);
        for (id, at) in live {
            self.go_live(&id, at);
        }
    }

    /// `id` finished building at `at`: it fails, or it takes over (crashing or serving).
    fn go_live(&mut self, id: &DeploymentId, at: Timestamp) {
        let Some(behaviour) = self.find(id).ok().map(|d| d.behaviour.clone()) else {
            return;
        };
        if let Behaviour::BuildFails { .. } = behaviour {
            self.set_status(id, DeploymentStatus::Failed);
            return;
        }
        let status = match behaviour {
            Behaviour::CrashLoop { .. } => DeploymentStatus::Crashed,
            _ => DeploymentStatus::Active,
        };
        self.set_status(id, status);
        self.replace_active(id);
        if let Some(d) = self.deployments.iter_mut().find(|d| &d.deployment.id == id) {
            d.started_at = at;
        }
        self.start_logs(id, at);
    }

    fn set_status(&mut self, id: &DeploymentId, status: DeploymentStatus) {
        if let Some(d) = self.deployments.iter_mut().find(|d| &d.deployment.id == id) {
            d.deployment.status = status;
        }
    }

    /// `id` serves; the one it replaces, if it served or crashed, becomes `Removed`.
    fn replace_active(&mut self, id: &DeploymentId) {
        if let Some(previous) = self.active.clone()
            && &previous != id
            && let Some(d) = self
                .deployments
                .iter_mut()
                .find(|d| d.deployment.id == previous)
            && matches!(
                d.deployment.status,
                DeploymentStatus::Active | DeploymentStatus::Crashed
            )
        {
            d.deployment.status = DeploymentStatus::Removed;
        }
        self.active = Some(id.clone());
    }

    /// Appends one line to `stream` (a site request, an application error).
    pub fn push_log(
        &mut self,
        stream: LogStream,
        at: Timestamp,
        level: LogLevel,
        message: impl Into<String>,
    ) {
        self.logs
            .push((stream, LogLine::new(at, Some(level), message.into())));
    }

    /// Appends `line` to `stream` as it is.
    pub fn push_line(&mut self, stream: LogStream, line: LogLine) {
        self.logs.push((stream, line));
    }

    /// The newest `limit` lines of `stream` in `[since, until)` that `filter` keeps, oldest
    /// first. [`LogStream::Environment`] is every deployment's runtime lines.
    pub fn logs(
        &self,
        stream: &LogStream,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
        filter: &LogFilter,
        limit: usize,
    ) -> Vec<LogLine> {
        let mut lines: Vec<LogLine> = self
            .logs
            .iter()
            .filter(|(s, _)| match stream {
                LogStream::Environment => matches!(s, LogStream::Deployment(_)),
                other => s == other,
            })
            .map(|(_, line)| line)
            .filter(|l| since.is_none_or(|s| l.timestamp >= s))
            .filter(|l| until.is_none_or(|u| l.timestamp < u))
            .filter(|l| filter.matches(l))
            .cloned()
            .collect();
        lines.sort_by_key(|l| l.timestamp);
        let skip = lines.len().saturating_sub(limit);
        lines.split_off(skip)
    }

    fn build_logs(&mut self, id: &DeploymentId, at: Timestamp) {
        let Ok(d) = self.find(id) else { return };
        let sha = d.deployment.commit_sha.clone().unwrap_or_default();
        let behaviour = d.behaviour.clone();
        let stream = LogStream::Build(id.clone());
        let s = chrono::Duration::seconds;
        let short: String = sha.chars().take(7).collect();
        self.push_log(
            stream.clone(),
            at,
            LogLevel::Info,
            format!("Using Nixpacks, commit {short}"),
        );
        self.push_log(stream.clone(), at + s(1), LogLevel::Info, "> npm run build");
        self.push_log(stream.clone(), at + s(2), LogLevel::Info, "> next build");
        match behaviour {
            Behaviour::BuildFails { error } => {
                self.push_log(
                    stream.clone(),
                    at + s(20),
                    LogLevel::Error,
                    "Failed to compile.",
                );
                self.push_log(stream.clone(), at + s(20), LogLevel::Error, error);
                self.push_log(
                    stream.clone(),
                    at + s(21),
                    LogLevel::Error,
                    "> Build failed because of webpack errors",
                );
                self.push_log(
                    stream,
                    at + s(21),
                    LogLevel::Error,
                    "ERROR: failed to build: exit code: 1",
                );
            }
            _ => {
                self.push_log(
                    stream.clone(),
                    at + s(30),
                    LogLevel::Info,
                    "✓ Compiled successfully",
                );
                self.push_log(stream, at + s(31), LogLevel::Info, "Build time: 31 seconds");
            }
        }
    }

    fn start_logs(&mut self, id: &DeploymentId, at: Timestamp) {
        let Ok(d) = self.find(id) else { return };
        let behaviour = d.behaviour.clone();
        let stream = LogStream::Deployment(id.clone());
        let s = chrono::Duration::seconds;
        self.push_log(stream.clone(), at, LogLevel::Info, "Starting Container");
        self.push_log(stream.clone(), at + s(1), LogLevel::Info, "> next start");
        match behaviour {
            Behaviour::CrashLoop { error } => {
                for k in 0..3 {
                    let t = at + s(2 + 20 * k);
                    self.push_log(stream.clone(), t, LogLevel::Error, error.clone());
                    self.push_log(
                        stream.clone(),
                        t,
                        LogLevel::Error,
                        "npm ERR! code ELIFECYCLE: exited with code 1",
                    );
                    self.push_log(
                        stream.clone(),
                        t + s(1),
                        LogLevel::Warn,
                        "Container crashed, restarting",
                    );
                }
            }
            _ => {
                self.push_log(
                    stream,
                    at + s(2),
                    LogLevel::Info,
                    "✓ Ready on http://0.0.0.0:3000",
                );
            }
        }
    }
}

/// A `std` duration as a `chrono` one, capped at `ir_core::clock::MAX_SPAN`.
pub(crate) fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d.min(ir_core::clock::MAX_SPAN)).unwrap_or(chrono::Duration::MAX)
}
