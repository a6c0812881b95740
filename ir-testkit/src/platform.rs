//! In-memory `DeployPlatform`, `VariableStore`, `LogSource` and a scripted `HealthProbe`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;

use ir_core::clock::Timestamp;
use ir_core::error::{Error, Result};
use ir_core::model::{
    Deployment, DeploymentId, HealthOutcome, HealthReport, LogLine, ServiceStatus,
};
use ir_core::ports::{
    DeployPlatform, HealthProbe, LogQuery, LogSource, LogStream, SetOptions, VariableStore,
};
use ir_sim::railway::{Platform, PlatformError};

use crate::lock;

pub use ir_sim::railway::PlatformCall;

/// A `DeployPlatform` over `ir_sim::railway::Platform`, the one model of Railway's deployments
/// (the simulator's GraphQL endpoint answers from the same state machine): a rollback or a
/// redeploy adds a new successful deployment of the chosen build and makes it active, and the
/// deployment it replaces becomes `Removed`. It has no clock: a new deployment is created one
/// second after the newest.
#[derive(Debug, Clone)]
pub struct InMemoryPlatform {
    state: Arc<Mutex<Platform>>,
}

/// The model's time for a change: it has no clock, so the newest deployment's time decides.
const NO_CLOCK: Timestamp = chrono::DateTime::<chrono::Utc>::MIN_UTC;

impl InMemoryPlatform {
    /// A platform for `service` with `deployments` (any order; kept newest first). The newest
    /// `Success` deployment is active.
    pub fn new(service: impl Into<String>, deployments: Vec<Deployment>) -> Self {
        Self::from_platform(Platform::with_deployments(service, deployments))
    }

    /// A `DeployPlatform` over `platform`.
    pub fn from_platform(platform: Platform) -> Self {
        Self {
            state: Arc::new(Mutex::new(platform)),
        }
    }

    /// Sets the active deployment.
    pub fn set_active(&self, id: Option<DeploymentId>) {
        lock(&self.state).set_active(id);
    }

    /// The active deployment's id.
    pub fn active(&self) -> Option<DeploymentId> {
        lock(&self.state).active()
    }

    /// Every mutating call received, in order.
    pub fn calls(&self) -> Vec<PlatformCall> {
        lock(&self.state).calls().to_vec()
    }

    /// The deployment being served, if any.
    pub fn active_deployment(&self) -> Option<Deployment> {
        lock(&self.state).active_deployment()
    }
}

/// The model's refusal as the port's error.
fn port_error(e: PlatformError, operation: &'static str) -> Error {
    let error = match &e {
        PlatformError::NotFound(_) => Error::not_found(e.to_string()),
        _ => Error::invalid_input(e.to_string()),
    };
    error.with_provider("memory").with_operation(operation)
}

#[async_trait]
impl DeployPlatform for InMemoryPlatform {
    async fn service_status(&self) -> Result<ServiceStatus> {
        Ok(lock(&self.state).service_status(NO_CLOCK))
    }

    async fn list_deployments(&self, limit: usize) -> Result<Vec<Deployment>> {
        Ok(lock(&self.state).list(limit, NO_CLOCK))
    }

    async fn deployment(&self, id: &DeploymentId) -> Result<Deployment> {
        lock(&self.state)
            .deployment(id, NO_CLOCK)
            .map_err(|e| port_error(e, "deployment"))
    }

    async fn rollback(&self, to: &DeploymentId) -> Result<()> {
        lock(&self.state)
            .rollback(to, NO_CLOCK)
            .map(|_| ())
            .map_err(|e| port_error(e, "rollback"))
    }

    async fn redeploy(&self, id: &DeploymentId) -> Result<DeploymentId> {
        lock(&self.state)
            .redeploy(id, NO_CLOCK)
            .map_err(|e| port_error(e, "redeploy"))
    }

    async fn restart(&self, id: &DeploymentId) -> Result<()> {
        lock(&self.state)
            .restart(id, NO_CLOCK)
            .map_err(|e| port_error(e, "restart"))
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
