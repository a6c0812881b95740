//! The crash harness: the runner is stopped at every await that touches a port (the store
//! included), once before the call reaches the port and once after it returned, in the
//! site-down and the missing-secret runs; a fresh runner (the same replica, or another once
//! the stopped one's lease lapsed) resumes it. Each run must end resolved with one rollback
//! (or one secret set), no page left open, nothing lost from the timeline, every message sent
//! recorded (queued) first, and every runbook message of the uninterrupted run sent. Also here:
//! a provider whose answer was lost after the change took effect, and providers whose errors
//! quote the secrets they were sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use ir_core::classify::{Capability, Outage, Reachability, Signals, classify};
use ir_core::clock::{Clock, ManualClock, Timestamp};
use ir_core::incident::{Event, EventKind, Incident, RecordedEvent};
use ir_core::memory::{InMemoryChat, InMemoryIncidentStore, InMemoryPager, InMemoryStatusPage};
use ir_core::model::*;
use ir_core::playbook::{Providers, Symptoms};
use ir_core::ports::*;
use ir_core::runner::{AckPolicy, Outcome, Runner, RunnerConfig};
use ir_core::severity::SeverityPolicy;
use ir_core::{ErrorKind, Result};
use ir_testkit::{
    InMemoryErrorTracker, InMemoryLogs, InMemoryPlatform, InMemoryVariables, PlatformCall,
};
use secrecy::SecretString;
use tokio::sync::Notify;

fn t(min: i64) -> Timestamp {
    "2026-02-08T15:30:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::minutes(min)
}

/// Where the run is stopped: at the `at`-th port call (from 1), before it reaches the port
/// or after it returned. `at == 0` never stops.
#[derive(Debug, Default)]
struct Crash {
    at: AtomicUsize,
    after: std::sync::atomic::AtomicBool,
    calls: AtomicUsize,
    crashed: Notify,
}

impl Crash {
    async fn gate<T>(&self, call: impl Future<Output = T>) -> T {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let here = n == self.at.load(Ordering::SeqCst);
        let after = self.after.load(Ordering::SeqCst);
        if here && !after {
            self.crashed.notify_one();
            std::future::pending::<()>().await;
        }
        let out = call.await;
        if here && after {
            self.crashed.notify_one();
            std::future::pending::<()>().await;
        }
        out
    }

    fn arm(&self, at: usize, after: bool) {
        self.calls.store(0, Ordering::SeqCst);
        self.at.store(at, Ordering::SeqCst);
        self.after.store(after, Ordering::SeqCst);
    }
}

/// A port behind the crash gate.
#[derive(Debug, Clone)]
struct Gated<P: ?Sized> {
    inner: Arc<P>,
    crash: Arc<Crash>,
}

#[async_trait]
impl IncidentStore for Gated<dyn IncidentStore> {
    async fn open(&self, dedup_key: &str, detected: Event) -> Result<Opened> {
        self.crash.gate(self.inner.open(dedup_key, detected)).await
    }
    async fn append(&self, id: IncidentId, expected: u64, events: Vec<Event>) -> Result<u64> {
        self.crash
            .gate(self.inner.append(id, expected, events))
            .await
    }
    async fn load(&self, id: IncidentId) -> Result<StoredIncident> {
        self.crash.gate(self.inner.load(id)).await
    }
    async fn load_since(&self, id: IncidentId, after: u64) -> Result<Vec<RecordedEvent>> {
        self.crash.gate(self.inner.load_since(id, after)).await
    }
    async fn list_open(&self) -> Result<Vec<IncidentId>> {
        self.crash.gate(self.inner.list_open()).await
    }
    async fn acquire_lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>> {
        self.crash
            .gate(self.inner.acquire_lease(key, holder, ttl))
            .await
    }
    async fn release_lease(&self, lease: &Lease) -> Result<()> {
        self.crash.gate(self.inner.release_lease(lease)).await
    }
}

#[async_trait]
impl DeployPlatform for Gated<dyn DeployPlatform> {
    async fn service_status(&self) -> Result<ServiceStatus> {
        self.crash.gate(self.inner.service_status()).await
    }
    async fn list_deployments(&self, limit: usize) -> Result<Vec<Deployment>> {
        self.crash.gate(self.inner.list_deployments(limit)).await
    }
    async fn deployment(&self, id: &DeploymentId) -> Result<Deployment> {
        self.crash.gate(self.inner.deployment(id)).await
    }
    async fn rollback(&self, to: &DeploymentId) -> Result<()> {
        self.crash.gate(self.inner.rollback(to)).await
    }
    async fn redeploy(&self, id: &DeploymentId) -> Result<DeploymentId> {
        self.crash.gate(self.inner.redeploy(id)).await
    }
    async fn restart(&self, id: &DeploymentId) -> Result<()> {
        self.crash.gate(self.inner.restart(id)).await
    }
}

#[async_trait]
impl VariableStore for Gated<dyn VariableStore> {
    async fn list_names(&self) -> Result<Vec<String>> {
        self.crash.gate(self.inner.list_names()).await
    }
    async fn get(&self, name: &str) -> Result<Option<SecretString>> {
        self.crash.gate(self.inner.get(name)).await
    }
    async fn set(&self, name: &str, value: SecretString, options: SetOptions) -> Result<()> {
        self.crash.gate(self.inner.set(name, value, options)).await
    }
    async fn delete(&self, name: &str) -> Result<()> {
        self.crash.gate(self.inner.delete(name)).await
    }
}

#[async_trait]
impl HealthProbe for Gated<dyn HealthProbe> {
    async fn check(&self, path: &str) -> Result<HealthReport> {
        self.crash.gate(self.inner.check(path)).await
    }
}

#[async_trait]
impl ChatNotifier for Gated<dyn ChatNotifier> {
    async fn post(&self, message: &ChatMessage) -> Result<MessageRef> {
        self.crash.gate(self.inner.post(message)).await
    }
    async fn reply(&self, parent: &MessageRef, message: &ChatMessage) -> Result<MessageRef> {
        self.crash.gate(self.inner.reply(parent, message)).await
    }
}

#[async_trait]
impl Pager for Gated<dyn Pager> {
    async fn trigger(&self, page: &Page) -> Result<()> {
        self.crash.gate(self.inner.trigger(page)).await
    }
    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        self.crash.gate(self.inner.resolve(dedup_key)).await
    }
    async fn acknowledge(&self, dedup_key: &str) -> Result<()> {
        self.crash.gate(self.inner.acknowledge(dedup_key)).await
    }
}

#[async_trait]
impl StatusPage for Gated<dyn StatusPage> {
    async fn publish(&self, update: &StatusPageUpdate) -> Result<()> {
        self.crash.gate(self.inner.publish(update)).await
    }
    async fn publish_to(
        &self,
        update: &StatusPageUpdate,
        incident: Option<String>,
    ) -> Result<Option<String>> {
        self.crash
            .gate(self.inner.publish_to(update, incident))
            .await
    }
}

#[async_trait]
impl ErrorTracker for Gated<dyn ErrorTracker> {
    async fn new_issues(&self, window: TimeWindow) -> Result<Vec<TrackedIssue>> {
        self.crash.gate(self.inner.new_issues(window)).await
    }
    async fn top_issues(&self, window: TimeWindow, limit: usize) -> Result<Vec<TrackedIssue>> {
        self.crash.gate(self.inner.top_issues(window, limit)).await
    }
    async fn error_counts(
        &self,
        window: TimeWindow,
        interval: Duration,
    ) -> Result<Vec<ErrorBucket>> {
        self.crash
            .gate(self.inner.error_counts(window, interval))
            .await
    }
}

#[async_trait]
impl LogSource for Gated<dyn LogSource> {
    async fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>> {
        self.crash.gate(self.inner.logs(query)).await
    }
}

fn gate<P: ?Sized>(inner: Arc<P>, crash: &Arc<Crash>) -> Arc<Gated<P>> {
    Arc::new(Gated {
        inner,
        crash: crash.clone(),
    })
}

/// The simulated site: healthy once the fix is in place (the good build serving, or the
/// secret set); every failing request is an error the tracker sees.
#[derive(Debug, Clone)]
struct Site {
    scenario: Scenario,
    platform: InMemoryPlatform,
    variables: InMemoryVariables,
    tracker: InMemoryErrorTracker,
    clock: ManualClock,
}

const GOOD_SHA: &str = "6666666666666666666666666666666666666666";
const SECRET: &str = "NEXTAUTH_SECRET";

#[async_trait]
impl HealthProbe for Site {
    async fn check(&self, path: &str) -> Result<HealthReport> {
        let fixed = match self.scenario {
            Scenario::SiteDown => self
                .platform
                .active_deployment()
                .is_some_and(|d| d.commit_sha.as_deref() == Some(GOOD_SHA)),
            Scenario::AuthSecret => self.variables.get(SECRET).await?.is_some(),
        };
        let url = format!("https://app.example.com{path}");
        let latency = Duration::from_millis(80);
        let failing = match self.scenario {
            Scenario::SiteDown => !fixed,
            Scenario::AuthSecret => !fixed && path.starts_with("/api/auth"),
        };
        Ok(if failing {
            self.tracker.record_events([self.clock.now()]);
            HealthReport::answered(url, 500, latency, "Server error")
        } else {
            HealthReport::answered(url, 200, latency, "{}")
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scenario {
    SiteDown,
    AuthSecret,
}

/// One production, its fakes, and the incident opened on it.
struct World {
    clock: ManualClock,
    crash: Arc<Crash>,
    store: Arc<dyn IncidentStore>,
    platform: InMemoryPlatform,
    variables: InMemoryVariables,
    chat: InMemoryChat,
    pager: InMemoryPager,
    status: InMemoryStatusPage,
    providers: Providers,
    symptoms: Symptoms,
    id: IncidentId,
}

async fn world(scenario: Scenario) -> World {
    let clock = ManualClock::at(t(0));
    let crash = Arc::new(Crash::default());
    let inner: Arc<dyn IncidentStore> =
        Arc::new(InMemoryIncidentStore::with_clock(Arc::new(clock.clone())));
    let store: Arc<dyn IncidentStore> = gate(inner, &crash);
    let good = Deployment::new("d6", DeploymentStatus::Removed, t(-300))
        .with_commit(GOOD_SHA, Some("fix: billing rounding".into()))
        .with_capabilities(true, true);
    let bad_status = match scenario {
        Scenario::SiteDown => DeploymentStatus::Crashed,
        Scenario::AuthSecret => DeploymentStatus::Active,
    };
    let current = Deployment::new("d7", bad_status, t(-10))
        .with_commit(
            "7777777777777777777777777777777777777777",
            Some("chore: move auth config to environment".into()),
        )
        .with_capabilities(true, true);
    let platform = InMemoryPlatform::new("web", vec![good, current]);
    platform.set_active(Some(DeploymentId::new("d7")));
    let logs = InMemoryLogs::new();
    let lines: &[&str] = match scenario {
        Scenario::SiteDown => &[
            "Error: Cannot find module './config/production'",
            "Process exited with code 1",
        ],
        Scenario::AuthSecret => &[
            "GET /api/auth/session 500",
            "[next-auth][error][NO_SECRET] Please define a `secret` in production. MissingSecretError: Please define a `secret` in production.",
        ],
    };
    for line in lines {
        logs.push(
            LogStream::Deployment(DeploymentId::new("d7")),
            LogLine::new(t(-5), Some(LogLevel::Error), *line),
        );
    }
    let variables = InMemoryVariables::new([
        (
            "DATABASE_URL",
            "postgres://app:s3cret-pw@db.internal:6432/web",
        ),
        ("NEXTAUTH_URL", "https://app.example.com"),
    ]);
    let tracker = InMemoryErrorTracker::new();
    tracker.record_events((1..=6).map(|k| t(-10 * k - 15)));
    tracker.record_events((0..120).map(|k| t(-5) + chrono::Duration::seconds(k)));
    if scenario == Scenario::AuthSecret {
        tracker.add_issue(TrackedIssue::new(
            "4512",
            "MissingSecretError: Please define a `secret` in production.",
            412,
            t(-5),
            t(0),
        ));
    }
    let site = Site {
        scenario,
        platform: platform.clone(),
        variables: variables.clone(),
        tracker: tracker.clone(),
        clock: clock.clone(),
    };
    let chat = InMemoryChat::new();
    let pager = InMemoryPager::new();
    let status = InMemoryStatusPage::new();
    let providers = Providers::new()
        .with_deploy(gate(
            Arc::new(platform.clone()) as Arc<dyn DeployPlatform>,
            &crash,
        ))
        .with_logs(gate(Arc::new(logs) as Arc<dyn LogSource>, &crash))
        .with_variables(gate(
            Arc::new(variables.clone()) as Arc<dyn VariableStore>,
            &crash,
        ))
        .with_health(gate(Arc::new(site) as Arc<dyn HealthProbe>, &crash))
        .with_errors(gate(Arc::new(tracker) as Arc<dyn ErrorTracker>, &crash))
        .with_chat(gate(
            Arc::new(chat.clone()) as Arc<dyn ChatNotifier>,
            &crash,
        ))
        .with_pager(gate(Arc::new(pager.clone()) as Arc<dyn Pager>, &crash))
        .with_status_page(gate(
            Arc::new(status.clone()) as Arc<dyn StatusPage>,
            &crash,
        ));
    let (title, signals, text) = match scenario {
        Scenario::SiteDown => (
            "Site down",
            Signals {
                health: Some(Reachability::Status(503)),
                ..Signals::default()
            },
            "Application failed to respond",
        ),
        Scenario::AuthSecret => (
            "Dashboard errors",
            Signals {
                outages: vec![Outage::partial(Capability::Dashboard)],
                users_affected: Some(0.30),
                error_rate_5xx: Some(0.30),
                ..Signals::default()
            },
            r#"{"message":"There is a problem with the server configuration."}"#,
        ),
    };
    let symptoms = Symptoms::new(signals.clone()).with_text(text);
    let detected = Event::new(
        t(0),
        "health-watcher",
        EventKind::detected(
            title,
            "app.example.com",
            classify(&signals, &SeverityPolicy::runbook()),
            Some(t(-5)),
        )
        .with_symptoms(symptoms.clone()),
    );
    let id = store.open("health:app", detected).await.unwrap().id;
    World {
        clock,
        crash,
        store,
        platform,
        variables,
        chat,
        pager,
        status,
        providers,
        symptoms,
        id,
    }
}

fn runner(w: &World, replica: &str) -> Runner {
    let mut config = RunnerConfig::default();
    config.replica = replica.to_owned();
    config.acknowledge = AckPolicy::Runner;
    Runner::new(
        w.store.clone(),
        w.providers.clone(),
        Arc::new(w.clock.clone()),
        ir_core::scenarios::builtin(),
    )
    .with_approver(Arc::new(AutoApprove::new("@eng-lead")))
    .with_fingerprint_key(FingerprintKey::from_secret(&SecretString::from(
        "the replicas' shared key",
    )))
    .with_config(config)
    .unwrap()
}

/// What one trial left behind.
struct Trial {
    outcome: Outcome,
    incident: Incident,
    /// The timeline as it stood when the run was stopped.
    at_crash: Vec<RecordedEvent>,
    crashed: bool,
}

/// Runs the incident with a stop at call `at` (`after` it returned, or before), then resumes
/// it on `replica` until it is no longer driven elsewhere.
async fn trial(scenario: Scenario, at: usize, after: bool, other_replica: bool) -> (World, Trial) {
    let w = world(scenario).await;
    w.crash.arm(at, after);
    let first = runner(&w, "replica-a");
    let stopped = tokio::select! {
        report = first.run(w.id, &w.symptoms) => Some(report),
        () = w.crash.crashed.notified() => None,
    };
    w.crash.arm(0, false);
    let at_crash = w.store.load(w.id).await.unwrap().events;
    let crashed = stopped.is_none();
    let mut outcome = stopped.and_then(|r| r.ok()).map(|r| r.outcome);
    if outcome.is_none() {
        let replica = if other_replica {
            "replica-b"
        } else {
            "replica-a"
        };
        for _ in 0..4 {
            let report = runner(&w, replica).resume(w.id).await.unwrap();
            match report.outcome {
                Outcome::DrivenElsewhere | Outcome::HeldElsewhere { .. } => {
                    // The stopped replica's leases lapse.
                    w.clock.advance(Duration::from_secs(21 * 60));
                }
                o => {
                    outcome = Some(o);
                    break;
                }
            }
        }
    }
    let incident = w.store.load(w.id).await.unwrap().incident().unwrap();
    (
        w,
        Trial {
            outcome: outcome.expect("the run ended"),
            incident,
            at_crash,
            crashed,
        },
    )
}

/// Every message kind delivered, from the timeline.
fn delivered(incident: &Incident) -> BTreeSet<String> {
    incident
        .messages()
        .map(|(_, kind, _)| format!("{kind:?}"))
        .collect()
}

async fn every_crash_point(scenario: Scenario) -> usize {
    let (_, baseline) = trial(scenario, 0, false, false).await;
    assert!(
        matches!(baseline.outcome, Outcome::Resolved { .. }),
        "{:?}",
        baseline.outcome
    );
    let wanted = delivered(&baseline.incident);
    let mut points = 0;
    for at in 1.. {
        let mut reached = false;
        for after in [false, true] {
            let (w, tr) = trial(scenario, at, after, at % 2 == 0).await;
            if !tr.crashed {
                continue;
            }
            reached = true;
            points += 1;
            let here = format!(
                "{scenario:?}, stopped {} call {at}",
                if after { "after" } else { "before" }
            );
            assert!(
                matches!(tr.outcome, Outcome::Resolved { .. }),
                "{here}: {:?}",
                tr.outcome
            );
            // 0 duplicated actions.
            match scenario {
                Scenario::SiteDown => assert_eq!(
                    w.platform.calls(),
                    [PlatformCall::Rollback(DeploymentId::new("d6"))],
                    "{here}"
                ),
                Scenario::AuthSecret => {
                    let sets = w
                        .variables
                        .writes()
                        .iter()
                        .filter(|name| *name == SECRET)
                        .count();
                    assert_eq!(sets, 1, "{here}: {:?}", w.variables.writes());
                }
            }
            // 0 lost events: what was recorded before the stop is still there, in order.
            let timeline = tr.incident.timeline();
            assert!(
                timeline.len() >= tr.at_crash.len()
                    && timeline[..tr.at_crash.len()] == tr.at_crash[..],
                "{here}: the timeline lost events"
            );
            // 0 pages left open.
            assert!(
                w.pager.open_pages().is_empty(),
                "{here}: {:?}",
                w.pager.open_pages()
            );
            // 0 messages sent but unrecorded: each was queued in the timeline first.
            let queued: Vec<&str> = timeline
                .iter()
                .filter_map(|e| match &e.event.kind {
                    EventKind::MessageQueued { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            for m in w.chat.messages() {
                assert!(
                    queued.contains(&m.text.as_str()),
                    "{here}: unrecorded {:?}",
                    m.text
                );
            }
            for u in w.status.updates() {
                assert!(
                    queued.contains(&u.body.as_str()),
                    "{here}: unrecorded {:?}",
                    u.body
                );
            }
            // Every runbook message of the uninterrupted run was sent at least once.
            let got = delivered(&tr.incident);
            let missing: Vec<&String> = wanted.difference(&got).collect();
            assert!(missing.is_empty(), "{here}: never sent {missing:?}");
            assert!(tr.incident.outbox().next().is_none(), "{here}: undelivered");
        }
        if !reached {
            break;
        }
    }
    points
}

#[tokio::test(flavor = "current_thread")]
async fn the_site_down_run_survives_a_stop_at_every_port_call() {
    let points = every_crash_point(Scenario::SiteDown).await;
    assert!(points > 100, "only {points} crash points");
    println!("site down: {points} crash points");
}

#[tokio::test(flavor = "current_thread")]
async fn the_missing_secret_run_survives_a_stop_at_every_port_call() {
    let points = every_crash_point(Scenario::AuthSecret).await;
    assert!(points > 100, "only {points} crash points");
    println!("missing secret: {points} crash points");
}

/// What a misbehaving provider does to `rollback` and `set` (everything else passes through).
#[derive(Debug)]
enum Misbehaviour {
    /// The change reaches the provider, then its answer is lost: the call returns this error
    /// (once).
    AnswerLost(std::sync::Mutex<Option<ir_core::Error>>),
    /// The call fails with an error quoting what it was sent: the value, a token and the
    /// database URL with its password.
    Quoting,
}

const TOKEN: &str = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
const DB_URL: &str = "postgres://app:s3cret-db-pass@db.internal:5432/web";

/// A deploy platform and variable store that misbehave on their mutating calls.
#[derive(Debug)]
struct Misbehaving {
    deploy: Arc<dyn DeployPlatform>,
    variables: Arc<dyn VariableStore>,
    how: Misbehaviour,
}

impl Misbehaving {
    fn new(providers: &Providers, how: Misbehaviour) -> Arc<Self> {
        Arc::new(Self {
            deploy: providers.deploy.clone().unwrap(),
            variables: providers.variables.clone().unwrap(),
            how,
        })
    }

    /// After the call `done` (or instead of it, when quoting): what the caller gets.
    async fn answer(&self, done: impl Future<Output = Result<()>>, sent: &str) -> Result<()> {
        match &self.how {
            Misbehaviour::AnswerLost(error) => {
                done.await?;
                match error.lock().unwrap().take() {
                    Some(e) => Err(e),
                    None => Ok(()),
                }
            }
            Misbehaviour::Quoting => Err(ir_core::Error::invalid_input(format!(
                "{sent} refused for Authorization: Bearer {TOKEN} via {DB_URL}"
            ))),
        }
    }
}

#[async_trait]
impl DeployPlatform for Misbehaving {
    async fn service_status(&self) -> Result<ServiceStatus> {
        self.deploy.service_status().await
    }
    async fn list_deployments(&self, limit: usize) -> Result<Vec<Deployment>> {
        self.deploy.list_deployments(limit).await
    }
    async fn deployment(&self, id: &DeploymentId) -> Result<Deployment> {
        self.deploy.deployment(id).await
    }
    async fn rollback(&self, to: &DeploymentId) -> Result<()> {
        let sent = format!("rollback of {to}");
        self.answer(self.deploy.rollback(to), &sent).await
    }
    async fn redeploy(&self, id: &DeploymentId) -> Result<DeploymentId> {
        self.deploy.redeploy(id).await
    }
    async fn restart(&self, id: &DeploymentId) -> Result<()> {
        self.deploy.restart(id).await
    }
}

#[async_trait]
impl VariableStore for Misbehaving {
    async fn list_names(&self) -> Result<Vec<String>> {
        self.variables.list_names().await
    }
    async fn get(&self, name: &str) -> Result<Option<SecretString>> {
        self.variables.get(name).await
    }
    async fn set(&self, name: &str, value: SecretString, options: SetOptions) -> Result<()> {
        use secrecy::ExposeSecret;
        let sent = format!("{name}: the value \"{}\"", value.expose_secret());
        self.answer(self.variables.set(name, value, options), &sent)
            .await
    }
    async fn delete(&self, name: &str) -> Result<()> {
        self.variables.delete(name).await
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_provider_that_fails_after_the_change_took_effect_is_reconciled_as_a_success() {
    let timeout =
        || ir_core::Error::new(ErrorKind::Timeout, "no answer within 10 s").with_effect_unknown();
    let lost = || {
        ir_core::Error::new(
            ErrorKind::Unavailable,
            "the connection was lost while reading the answer",
        )
        .with_effect_unknown()
    };
    let cases: [(Scenario, fn() -> ir_core::Error); 4] = [
        (Scenario::SiteDown, timeout),
        (Scenario::SiteDown, lost),
        (Scenario::AuthSecret, timeout),
        (Scenario::AuthSecret, lost),
    ];
    for (n, (scenario, error)) in cases.into_iter().enumerate() {
        let mut w = world(scenario).await;
        let lossy = Misbehaving::new(
            &w.providers,
            Misbehaviour::AnswerLost(std::sync::Mutex::new(Some(error()))),
        );
        w.providers = w
            .providers
            .clone()
            .with_deploy(lossy.clone())
            .with_variables(lossy);
        let report = runner(&w, "a").run(w.id, &w.symptoms).await.unwrap();
        assert!(
            matches!(report.outcome, Outcome::Resolved { .. }),
            "case {n}: {:?}",
            report.outcome
        );
        let incident = report.incident;
        let first = incident.actions().next().unwrap();
        assert_eq!(
            first.state,
            ir_core::incident::ActionState::Succeeded,
            "case {n}"
        );
        assert_eq!(
            incident.actions().count(),
            1,
            "case {n}: nothing else was tried"
        );
        let detail = incident
            .timeline()
            .iter()
            .find_map(|e| match &e.event.kind {
                EventKind::ActionSucceeded { detail, .. } => Some(detail.clone()),
                _ => None,
            })
            .unwrap();
        assert!(
            detail.contains("confirmed from provider state"),
            "case {n}: {detail}"
        );
        match scenario {
            Scenario::SiteDown => assert_eq!(w.platform.calls().len(), 1),
            Scenario::AuthSecret => assert_eq!(
                w.variables.writes().iter().filter(|k| *k == SECRET).count(),
                1
            ),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_a_record_even_when_a_provider_error_quotes_it() {
    use secrecy::ExposeSecret;
    let (capture, _guard) = ir_testkit::TraceCapture::install();
    for scenario in [Scenario::SiteDown, Scenario::AuthSecret] {
        let mut w = world(scenario).await;
        let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let quoting = Misbehaving::new(&w.providers, Misbehaviour::Quoting);
        // Remember every value the runner asks to set, to look for it afterwards.
        #[derive(Debug)]
        struct Spy(Arc<Misbehaving>, Arc<std::sync::Mutex<Vec<String>>>);
        #[async_trait]
        impl VariableStore for Spy {
            async fn list_names(&self) -> Result<Vec<String>> {
                self.0.list_names().await
            }
            async fn get(&self, name: &str) -> Result<Option<SecretString>> {
                self.0.get(name).await
            }
            async fn set(&self, name: &str, value: SecretString, o: SetOptions) -> Result<()> {
                self.1
                    .lock()
                    .unwrap()
                    .push(value.expose_secret().to_owned());
                self.0.set(name, value, o).await
            }
            async fn delete(&self, name: &str) -> Result<()> {
                self.0.delete(name).await
            }
        }
        w.providers = w
            .providers
            .clone()
            .with_deploy(quoting.clone())
            .with_variables(Arc::new(Spy(quoting, seen.clone())));
        let report = runner(&w, "a").run(w.id, &w.symptoms).await.unwrap();
        let incident = report.incident.clone();
        assert!(
            incident
                .timeline()
                .iter()
                .any(|e| matches!(e.event.kind, EventKind::ActionFailed { .. })),
            "{scenario:?}: the provider's error was recorded"
        );
        let postmortem = ir_core::postmortem::Postmortem::from_incident(
            &incident,
            &SeverityPolicy::runbook(),
            w.clock.now(),
        );
        let rendered = ir_core::postmortem::PostmortemTemplate::builtin()
            .render(&postmortem)
            .unwrap();
        let mut outputs = vec![
            serde_json::to_string(&w.store.load(w.id).await.unwrap()).unwrap(),
            rendered,
            format!("{report:?}"),
            format!("{postmortem:?}"),
            capture.text(),
        ];
        outputs.extend(w.chat.messages().into_iter().map(|m| format!("{m:?}")));
        outputs.extend(w.status.updates().into_iter().map(|u| format!("{u:?}")));
        let mut secrets = vec![
            TOKEN.to_owned(),
            "s3cret-db-pass".to_owned(),
            "s3cret-pw".to_owned(),
        ];
        secrets.extend(seen.lock().unwrap().iter().cloned());
        if scenario == Scenario::AuthSecret {
            assert!(!seen.lock().unwrap().is_empty(), "a secret was generated");
        }
        for secret in &secrets {
            for (n, out) in outputs.iter().enumerate() {
                assert!(
                    !out.contains(secret.as_str()),
                    "{scenario:?}: output {n} holds a secret: {out}"
                );
            }
        }
    }
}
