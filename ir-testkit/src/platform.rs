//! In-memory `DeployPlatform`, `VariableStore`, `LogSource` and a scripted `HealthProbe`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;

use ir_core::error::{Error, Result};
use ir_core::model::{
    Deployment, DeploymentId, DeploymentStatus, HealthOutcome, HealthReport, InstanceStatus,
    LogLine, ServiceStatus,
};
use ir_core::ports::{
    DeployPlatform, HealthProbe, LogQuery, LogSource, LogStream, SetOptions, VariableStore,
};

use crate::lock;

/// A mutating call the in-memory platform received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformCall {
    /// `rollback(to)`.
    Rollback(DeploymentId),
    /// `redeploy(id)`.
    Redeploy(DeploymentId),
    /// `restart(id)`.
    Restart(DeploymentId),
}

#[derive(Debug, Default)]
struct PlatformState {
    /// Newest first.
    deployments: Vec<Deployment>,
    active: Option<DeploymentId>,
    calls: Vec<PlatformCall>,
    redeploys: u32,
    rollbacks: u32,
}

/// A `DeployPlatform` holding a list of deployments and which one is active. As on Railway, a
/// rollback or a redeploy adds a new successful deployment of the chosen build and makes it
/// active, and the deployment it replaces becomes `Removed`.
#[derive(Debug, Clone)]
pub struct InMemoryPlatform {
    service: String,
    state: Arc<Mutex<PlatformState>>,
}

impl InMemoryPlatform {
    /// A platform for `service` with `deployments` (any order; kept newest first). The newest
    /// `Success` deployment is active.
    pub fn new(service: impl Into<String>, mut deployments: Vec<Deployment>) -> Self {
        deployments.sort_by_key(|d| std::cmp::Reverse(d.created_at));
        let active = deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Active)
            .map(|d| d.id.clone());
        Self {
            service: service.into(),
            state: Arc::new(Mutex::new(PlatformState {
                deployments,
                active,
                ..PlatformState::default()
            })),
        }
    }

    /// Sets the active deployment.
    pub fn set_active(&self, id: Option<DeploymentId>) {
        lock(&self.state).active = id;
    }

    /// The active deployment's id.
    pub fn active(&self) -> Option<DeploymentId> {
        lock(&self.state).active.clone()
    }

    /// Every mutating call received, in order.
    pub fn calls(&self) -> Vec<PlatformCall> {
        lock(&self.state).calls.clone()
    }

    /// Adds a successful deployment of `source`'s build as the newest and makes it active; the
    /// deployment it replaces, if it was live, becomes `Removed`.
    fn go_live(state: &mut PlatformState, source: &Deployment, new_id: DeploymentId) {
        if let Some(previous) = state.active.clone()
            && let Some(d) = state.deployments.iter_mut().find(|d| d.id == previous)
            && d.status == DeploymentStatus::Active
        {
            d.status = DeploymentStatus::Removed;
        }
        let created_at = state
            .deployments
            .first()
            .map_or(source.created_at, |d| d.created_at.max(source.created_at))
            + chrono::Duration::seconds(1);
        let mut fresh = source.clone();
        fresh.id = new_id.clone();
        fresh.status = DeploymentStatus::Active;
        fresh.created_at = created_at;
        state.deployments.insert(0, fresh);
        state.active = Some(new_id);
    }

    /// The deployment being served, if any.
    pub fn active_deployment(&self) -> Option<Deployment> {
        let state = lock(&self.state);
        let id = state.active.as_ref()?;
        state.deployments.iter().find(|d| &d.id == id).cloned()
    }

    fn find(
        state: &PlatformState,
        id: &DeploymentId,
        operation: &'static str,
    ) -> Result<Deployment> {
        state
            .deployments
            .iter()
            .find(|d| &d.id == id)
            .cloned()
            .ok_or_else(|| {
                Error::not_found(format!("deployment {id} does not exist"))
                    .with_provider("memory")
                    .with_operation(operation)
            })
    }
}

#[async_trait]
impl DeployPlatform for InMemoryPlatform {
    async fn service_status(&self) -> Result<ServiceStatus> {
        let state = lock(&self.state);
        let active: Vec<Deployment> = state
            .active
            .as_ref()
            .and_then(|id| state.deployments.iter().find(|d| &d.id == id).cloned())
            .into_iter()
            .collect();
        let instances = if active.is_empty() {
            vec![InstanceStatus::Crashed]
        } else {
            vec![InstanceStatus::Running]
        };
        let mut status = ServiceStatus::new(self.service.clone())
            .with_active(active)
            .with_instances(instances);
        if let Some(latest) = state.deployments.first() {
            status = status.with_latest(latest.clone());
        }
        Ok(status)
    }

    async fn list_deployments(&self, limit: usize) -> Result<Vec<Deployment>> {
        Ok(lock(&self.state)
            .deployments
            .iter()
            .take(limit)
            .cloned()
            .collect())
    }

    async fn deployment(&self, id: &DeploymentId) -> Result<Deployment> {
        Self::find(&lock(&self.state), id, "deployment")
    }

    async fn rollback(&self, to: &DeploymentId) -> Result<()> {
        let mut state = lock(&self.state);
        let target = Self::find(&state, to, "rollback")?;
        if !target.can_rollback {
            return Err(
                Error::invalid_input(format!("deployment {to} cannot be rolled back to"))
                    .with_provider("memory")
                    .with_operation("rollback"),
            );
        }
        state.calls.push(PlatformCall::Rollback(to.clone()));
        // As Railway does: a new deployment of the target's build goes live.
        state.rollbacks += 1;
        let new_id = DeploymentId::new(format!("{to}-rollback-{}", state.rollbacks));
        Self::go_live(&mut state, &target, new_id);
        Ok(())
    }

    async fn redeploy(&self, id: &DeploymentId) -> Result<DeploymentId> {
        let mut state = lock(&self.state);
        let source = Self::find(&state, id, "redeploy")?;
        state.calls.push(PlatformCall::Redeploy(id.clone()));
        state.redeploys += 1;
        let new_id = DeploymentId::new(format!("{id}-redeploy-{}", state.redeploys));
        Self::go_live(&mut state, &source, new_id.clone());
        Ok(new_id)
    }

    async fn restart(&self, id: &DeploymentId) -> Result<()> {
        let mut state = lock(&self.state);
        Self::find(&state, id, "restart")?;
        state.calls.push(PlatformCall::Restart(id.clone()));
        Ok(())
    }
}

/// A `VariableStore` in memory.
#[derive(Debug, Clone, Default)]
pub struct InMemoryVariables {
    vars: Arc<Mutex<BTreeMap<String, SecretString>>>,
    writes: Arc<Mutex<Vec<String>>>,
}

impl InMemoryVariables {
    /// A store holding `vars`.
    pub fn new(vars: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>) -> Self {
        let vars = vars
            .into_iter()
            .map(|(k, v)| (k.into(), SecretString::from(v.into())))
            .collect();
        Self {
            vars: Arc::new(Mutex::new(vars)),
            writes: Arc::default(),
        }
    }

    /// The names written (set or deleted), in order. Values are not kept here.
    pub fn writes(&self) -> Vec<String> {
        lock(&self.writes).clone()
    }
}

fn check_name(name: &str, operation: &'static str) -> Result<()> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(
            Error::invalid_input(format!("invalid variable name {name:?}"))
                .with_provider("memory")
                .with_operation(operation),
        )
    }
}

#[async_trait]
impl VariableStore for InMemoryVariables {
    async fn list_names(&self) -> Result<Vec<String>> {
        Ok(lock(&self.vars).keys().cloned().collect())
    }

    async fn get(&self, name: &str) -> Result<Option<SecretString>> {
        Ok(lock(&self.vars).get(name).cloned())
    }

    async fn set(&self, name: &str, value: SecretString, _options: SetOptions) -> Result<()> {
        check_name(name, "set")?;
        lock(&self.vars).insert(name.to_owned(), value);
        lock(&self.writes).push(name.to_owned());
        Ok(())
    }

    async fn delete(&self, name: &str) -> Result<()> {
        check_name(name, "delete")?;
        lock(&self.vars).remove(name);
        lock(&self.writes).push(name.to_owned());
        Ok(())
    }
}

/// A `LogSource` over lines held in memory. The filter is a case-insensitive substring match
/// (no provider syntax).
#[derive(Debug, Clone, Default)]
pub struct InMemoryLogs {
    lines: Arc<Mutex<Vec<(LogStream, LogLine)>>>,
}

impl InMemoryLogs {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `line` to `stream`.
    pub fn push(&self, stream: LogStream, line: LogLine) {
        lock(&self.lines).push((stream, line));
    }
}

#[async_trait]
impl LogSource for InMemoryLogs {
    async fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>> {
        let lines = lock(&self.lines);
        let mut matched: Vec<LogLine> = lines
            .iter()
            .filter(|(stream, line)| {
                let in_stream = match (&query.stream, stream) {
                    (LogStream::Environment, LogStream::Deployment(_)) => true,
                    (a, b) => a == b,
                };
                in_stream
                    && query.since.is_none_or(|s| line.timestamp >= s)
                    && query.until.is_none_or(|u| line.timestamp < u)
                    && query.filter.matches(line)
            })
            .map(|(_, line)| line.clone())
            .collect();
        matched.sort_by_key(|l| l.timestamp);
        let skip = matched.len().saturating_sub(query.limit);
        Ok(matched.split_off(skip))
    }
}

/// One scripted answer of a [`ScriptedHealthProbe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptedAnswer {
    /// An HTTP answer with this status and body.
    Status(u16, String),
    /// No answer (connection refused), with the reason.
    Unreachable(String),
}

impl<S: Into<String>> From<(u16, S)> for ScriptedAnswer {
    fn from((status, body): (u16, S)) -> Self {
        Self::Status(status, body.into())
    }
}

/// A `HealthProbe` that answers from a script per path: each check takes the next report, and
/// the last one repeats. Unscripted paths answer 404.
#[derive(Debug, Clone, Default)]
pub struct ScriptedHealthProbe {
    base: String,
    scripts: Arc<Mutex<HashMap<String, VecDeque<ScriptedAnswer>>>>,
    checks: Arc<Mutex<Vec<String>>>,
}

impl ScriptedHealthProbe {
    /// A probe for the service at `base` (used in report URLs).
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into(),
            ..Self::default()
        }
    }

    /// Appends answers for `path`.
    pub fn script(&self, path: &str, answers: impl IntoIterator<Item = impl Into<ScriptedAnswer>>) {
        let mut scripts = lock(&self.scripts);
        let queue = scripts.entry(path.to_owned()).or_default();
        queue.extend(answers.into_iter().map(Into::into));
    }

    /// Replaces the answers for `path` with one that repeats.
    pub fn set(&self, path: &str, answer: impl Into<ScriptedAnswer>) {
        lock(&self.scripts).insert(path.to_owned(), VecDeque::from([answer.into()]));
    }

    /// Every path checked, in order.
    pub fn checks(&self) -> Vec<String> {
        lock(&self.checks).clone()
    }
}

#[async_trait]
impl HealthProbe for ScriptedHealthProbe {
    async fn check(&self, path: &str) -> Result<HealthReport> {
        // As the HTTP probe, refuse what would leave the base (`//host/...`, `https://...`).
        if !path.starts_with('/') || path.starts_with("//") || path.contains("://") {
            return Err(Error::config(format!(
                "health path {path:?} must start with '/' and stay on {}",
                self.base
            ))
            .with_provider("memory")
            .with_operation("check"));
        }
        lock(&self.checks).push(path.to_owned());
        let url = format!("{}{path}", self.base);
        let mut scripts = lock(&self.scripts);
        let answer = match scripts.get_mut(path) {
            Some(queue) if queue.len() > 1 => queue.pop_front(),
            Some(queue) => queue.front().cloned(),
            None => None,
        };
        let latency = Duration::from_millis(12);
        Ok(match answer {
            Some(ScriptedAnswer::Unreachable(reason)) => {
                HealthReport::failed(url, latency, HealthOutcome::Unreachable(reason))
            }
            Some(ScriptedAnswer::Status(status, body)) => {
                HealthReport::answered(url, status, latency, body)
            }
            None => HealthReport::answered(url, 404, latency, "not found"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_values_stay_out_of_debug() {
        let vars = InMemoryVariables::new([("NEXTAUTH_SECRET", "c2VjcmV0LXZhbHVlLTMyLWJ5dGVz")]);
        let debug = format!("{vars:?}");
        assert!(debug.contains("NEXTAUTH_SECRET"));
        assert!(!debug.contains("c2VjcmV0LXZhbHVlLTMyLWJ5dGVz"), "{debug}");
    }

    #[tokio::test]
    async fn scripted_health_answers_in_order_then_repeats() {
        let probe = ScriptedHealthProbe::new("http://web");
        probe.script("/health", [(503, "down"), (200, "ok")]);
        probe.script("/health", [ScriptedAnswer::Unreachable("refused".into())]);
        let a = probe.check("/health").await.unwrap();
        let b = probe.check("/health").await.unwrap();
        let c = probe.check("/health").await.unwrap();
        let d = probe.check("/health").await.unwrap();
        assert_eq!((a.status, b.status), (Some(503), Some(200)));
        assert_eq!(c.outcome, HealthOutcome::Unreachable("refused".into()));
        assert_eq!(d.outcome, c.outcome);
        assert_eq!(probe.check("/other").await.unwrap().status, Some(404));
        for path in [
            "health",
            "//evil.example/health",
            "/x?next=https://evil.example",
        ] {
            assert!(probe.check(path).await.is_err(), "{path}");
        }
    }
}
