//! Scenario tests: the runner driving each playbook against `mockall` mocks of the ports, on a
//! manual clock, with `ir_core::memory`'s incident store behind `ir_testkit::FaultyStore` (a
//! failed append, an interleaved writer, a lease another replica holds).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_secret;
mod build_failure;
mod custom_playbook;
mod dry_run;
mod error_spike;
mod latency;
mod log_signatures;
mod pool;
mod site_down;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ir_core::classify::{Signals, classify};
use ir_core::clock::{ManualClock, Timestamp};
use ir_core::error::{Error, ErrorKind, Result};
use ir_core::incident::{Event, EventKind, Incident};
use ir_core::memory::InMemoryIncidentStore;
use ir_core::model::*;
use ir_core::model::{IncidentId, MessageKind};
use ir_core::playbook::Providers;
use ir_core::ports::*;
use ir_core::runner::{AckPolicy, Runner, RunnerConfig, UnmeasuredCriteria};
use ir_core::severity::SeverityPolicy;
use ir_testkit::FaultyStore;

pub(crate) fn t(min: i64) -> Timestamp {
    "2026-02-08T15:30:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::minutes(min)
}

/// A connection status (the struct is `#[non_exhaustive]` outside `ir-core`).
pub(crate) fn connection_status(
    max_connections: u32,
    reserved_connections: u32,
    counts: StateCounts,
    oldest_idle: Option<Duration>,
    oldest_idle_in_transaction: Option<Duration>,
) -> ConnectionStatus {
    let mut status = ConnectionStatus::new(max_connections, reserved_connections);
    status.counts = counts;
    status.oldest_idle = oldest_idle;
    status.oldest_idle_in_transaction = oldest_idle_in_transaction;
    status
}

/// The scenario tests' runner configuration with `change` applied (the struct is
/// `#[non_exhaustive]` outside `ir-core`): the defaults, except that the runner acknowledges
/// by policy and resolves on the health checks where a criterion cannot be measured (most
/// tests wire no error tracker); the tests of those policies set them back.
pub(crate) fn runner_config(change: impl FnOnce(&mut RunnerConfig)) -> RunnerConfig {
    let mut config = RunnerConfig::default();
    config.acknowledge = AckPolicy::Runner;
    config.unmeasured = UnmeasuredCriteria::ResolveOnHealth;
    change(&mut config);
    config
}

/// The key the scenario tests' runners fingerprint values with.
pub(crate) fn fingerprint_key() -> FingerprintKey {
    FingerprintKey::from_secret(&secrecy::SecretString::from("scenario tests"))
}

/// The fingerprint a scenario test's runner records for `value`.
pub(crate) fn fingerprint(value: &secrecy::SecretString) -> String {
    fingerprint_key().fingerprint(value)
}

/// One incident, its clock and store, and what was said about it.
pub(crate) struct World {
    pub clock: ManualClock,
    pub store: Arc<FaultyStore>,
    pub id: IncidentId,
    pub chat: Arc<Mutex<Vec<ChatMessage>>>,
    pub status: Arc<Mutex<Vec<StatusPageUpdate>>>,
}

impl World {
    /// An incident detected at `t(0)` whose problem started `onset_before` minutes earlier.
    pub(crate) async fn open(title: &str, signals: &Signals, onset_before: i64) -> Self {
        let clock = ManualClock::at(t(0));
        let store = Arc::new(FaultyStore::new(Arc::new(
            InMemoryIncidentStore::with_clock(Arc::new(clock.clone())),
        )));
        let classification = classify(signals, &SeverityPolicy::runbook());
        let detected = Event::new(
            t(0),
            "watcher",
            EventKind::detected(
                title,
                "www.example.com",
                classification,
                Some(t(-onset_before)),
            ),
        );
        let opened = store.open("alert:1", detected).await.unwrap();
        Self {
            clock,
            store,
            id: opened.id,
            chat: Arc::default(),
            status: Arc::default(),
        }
    }

    /// Providers with a chat and a status page that record what they are sent.
    pub(crate) fn providers(&self) -> Providers {
        let mut chat = MockChatNotifier::new();
        let log = self.chat.clone();
        chat.expect_post().returning(move |m| {
            log.lock().unwrap().push(m.clone());
            Ok(MessageRef {
                channel: m.channel.clone(),
                id: None,
            })
        });
        let mut page = MockStatusPage::new();
        let log = self.status.clone();
        page.expect_publish_to().returning(move |u, _| {
            log.lock().unwrap().push(u.clone());
            Ok(None)
        });
        Providers::new()
            .with_chat(Arc::new(chat))
            .with_status_page(Arc::new(page))
    }

    pub(crate) fn runner(&self, providers: Providers, approver: Arc<dyn Approver>) -> Runner {
        self.runner_with_playbooks(providers, approver, ir_core::scenarios::builtin())
    }

    fn runner_with_playbooks(
        &self,
        providers: Providers,
        approver: Arc<dyn Approver>,
        playbooks: Vec<Arc<dyn ir_core::playbook::Playbook>>,
    ) -> Runner {
        Runner::new(
            self.store.clone(),
            providers,
            Arc::new(self.clock.clone()),
            playbooks,
        )
        .with_approver(approver)
        .with_fingerprint_key(fingerprint_key())
        .with_config(runner_config(|_| {}))
        .unwrap()
    }

    pub(crate) fn runner_with(
        &self,
        providers: Providers,
        approver: Arc<dyn Approver>,
        config: RunnerConfig,
    ) -> Runner {
        self.runner(providers, approver)
            .with_config(config)
            .unwrap()
    }

    pub(crate) async fn incident(&self) -> Incident {
        self.store.load(self.id).await.unwrap().incident().unwrap()
    }

    /// The stored timeline as JSON, the way it would be persisted.
    pub(crate) async fn timeline_json(&self) -> String {
        serde_json::to_string(&self.store.load(self.id).await.unwrap()).unwrap()
    }

    /// Every text sent to chat or the status page.
    pub(crate) fn said(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .chat
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.text.clone())
            .collect();
        out.extend(self.status.lock().unwrap().iter().map(|u| u.body.clone()));
        out
    }
}

/// Fails with the outcome unless the run resolved the incident.
#[track_caller]
pub(crate) fn assert_resolved(report: &ir_core::runner::RunReport) {
    assert!(
        matches!(report.outcome, ir_core::runner::Outcome::Resolved { .. }),
        "{:?}",
        report.outcome
    );
}

/// The detail of every `ActionSucceeded` event, in timeline order.
pub(crate) fn success_details(incident: &Incident) -> Vec<String> {
    incident
        .timeline()
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::ActionSucceeded { detail, .. } => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

/// The timeline's event names without messages, escalations, flags and notes: the steps.
pub(crate) fn steps(incident: &Incident) -> Vec<&'static str> {
    incident
        .timeline()
        .iter()
        .map(|e| e.event.kind.name())
        .filter(|n| {
            !matches!(
                *n,
                "message_queued"
                    | "message_posted"
                    | "message_failed"
                    | "escalated"
                    | "flagged"
                    | "note"
                    | "recommended"
            )
        })
        .collect()
}

/// `steps` with runs of evidence collapsed to one entry.
pub(crate) fn step_outline(incident: &Incident) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in steps(incident) {
        if s == "evidence_collected" && out.last() == Some(&"evidence_collected") {
            continue;
        }
        out.push(s);
    }
    out
}

/// The kinds of message posted, in order.
pub(crate) fn message_kinds(incident: &Incident) -> Vec<MessageKind> {
    incident.messages().map(|(_, k, _)| k).collect()
}

/// The happy path's outline: diagnosis, assessment, one action, verified, resolved.
pub(crate) const RESOLVED_OUTLINE: [&str; 11] = [
    "detected",
    "acknowledged",
    "investigation_started",
    "evidence_collected",
    "hypothesis_posted",
    "action_proposed",
    "action_approved",
    "action_started",
    "action_succeeded",
    "mitigation_verified",
    "resolved",
];

/// A health probe answering `healthy` or 503 depending on a switch.
pub(crate) fn switchable_health(healthy: Arc<std::sync::atomic::AtomicBool>) -> MockHealthProbe {
    let mut health = MockHealthProbe::new();
    health.expect_check().returning(move |path| {
        let ok = healthy.load(std::sync::atomic::Ordering::SeqCst);
        Ok(HealthReport::answered(
            path,
            if ok { 200 } else { 503 },
            Duration::from_millis(120),
            if ok { "ok" } else { "Service Unavailable" },
        ))
    });
    health
}

/// An approver that must not be asked.
pub(crate) fn never_asked() -> Arc<dyn Approver> {
    let mut a = MockApprover::new();
    a.expect_decide().times(0);
    Arc::new(a)
}

pub(crate) fn deployment(id: &str, status: DeploymentStatus, min: i64) -> Deployment {
    Deployment::new(id, status, t(min))
        .with_capabilities(true, true)
        .with_commit(
            format!("{id}-sha-0123456789"),
            Some(format!("commit of {id}")),
        )
}

/// Asserts `secret` appears nowhere in the stored timeline, chat or status page.
pub(crate) async fn assert_never_said(world: &World, secret: &str) {
    assert!(secret.len() >= 8, "a real secret to look for");
    let json = world.timeline_json().await;
    assert!(!json.contains(secret), "the secret is in the timeline");
    for text in world.said() {
        assert!(!text.contains(secret), "the secret was posted: {text}");
    }
}

/// A `tracing` subscriber that keeps every span and event field, formatted, so a test can
/// search the logs for a secret.
#[derive(Clone, Default)]
pub(crate) struct CapturedLogs(Arc<Mutex<String>>);

impl CapturedLogs {
    /// The process-wide capture, installed as the global subscriber on first use.
    pub(crate) fn global() -> Self {
        static GLOBAL: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let logs = CapturedLogs::default();
                tracing::subscriber::set_global_default(logs.clone())
                    .expect("no other global subscriber in the unit tests");
                logs
            })
            .clone()
    }

    pub(crate) fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl tracing::Subscriber for CapturedLogs {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut out = self.0.lock().unwrap();
        out.push_str(span.metadata().name());
        span.record(&mut Fields(&mut out));
        out.push('\n');
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut out = self.0.lock().unwrap();
        event.record(&mut Fields(&mut out));
        out.push('\n');
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
