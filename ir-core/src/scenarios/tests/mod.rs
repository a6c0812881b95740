//! Scenario tests: the runner driving each playbook against `mockall` mocks of the ports, on a
//! manual clock, with a small in-memory incident store.

mod auth_secret;
mod build_failure;
mod custom_playbook;
mod dry_run;
mod error_spike;
mod latency;
mod pool;
mod site_down;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::classify::{Signals, classify};
use crate::clock::{ManualClock, Timestamp};
use crate::error::{Error, ErrorKind, Result};
use crate::incident::{Event, EventKind, Incident, RecordedEvent};
use crate::model::*;
use crate::model::{IncidentId, MessageKind};
use crate::playbook::Providers;
use crate::ports::*;
use crate::runner::{Runner, RunnerConfig};
use crate::severity::SeverityPolicy;

pub(super) fn t(min: i64) -> Timestamp {
    "2026-02-08T15:30:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::minutes(min)
}

type FailWhen = Box<dyn Fn(&[Event]) -> bool + Send>;

/// A minimal incident store: versions, leases, and a switch that fails one append (a crash
/// between a port call and the record of its outcome).
#[derive(Default)]
pub(super) struct MemStore {
    incidents: Mutex<HashMap<IncidentId, StoredIncident>>,
    leases: Mutex<HashMap<String, Lease>>,
    fail_once: Mutex<Option<FailWhen>>,
    interleave: Mutex<Option<Event>>,
    appends: Mutex<u32>,
}

impl std::fmt::Debug for MemStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemStore")
    }
}

impl MemStore {
    pub(super) fn fail_next_append_where(&self, f: impl Fn(&[Event]) -> bool + Send + 'static) {
        *self.fail_once.lock().unwrap() = Some(Box::new(f));
    }

    /// Another replica appends `event` just before the next append, which then conflicts.
    pub(super) fn interleave_before_next_append(&self, event: Event) {
        *self.interleave.lock().unwrap() = Some(event);
    }

    /// Who holds the lease on `key`, if anyone.
    pub(super) fn lease_holder(&self, key: &str) -> Option<String> {
        self.leases
            .lock()
            .unwrap()
            .get(key)
            .map(|l| l.holder.clone())
    }

    pub(super) fn hold_lease(&self, key: &str, holder: &str) {
        self.leases.lock().unwrap().insert(
            key.into(),
            Lease {
                key: key.into(),
                holder: holder.into(),
                expires_at: t(24 * 60),
                token: 1,
            },
        );
    }
}

#[async_trait]
impl IncidentStore for MemStore {
    async fn open(&self, dedup_key: &str, detected: Event) -> Result<Opened> {
        let id = IncidentId::random();
        self.incidents.lock().unwrap().insert(
            id,
            StoredIncident {
                id,
                dedup_key: dedup_key.into(),
                events: vec![RecordedEvent {
                    seq: 1,
                    event: detected,
                }],
            },
        );
        Ok(Opened { id, created: true })
    }

    async fn append(&self, id: IncidentId, expected: u64, events: Vec<Event>) -> Result<u64> {
        let fail = {
            let mut slot = self.fail_once.lock().unwrap();
            match slot.as_ref() {
                Some(f) if f(&events) => {
                    *slot = None;
                    true
                }
                _ => false,
            }
        };
        if fail {
            return Err(Error::new(ErrorKind::Unavailable, "store went away"));
        }
        *self.appends.lock().unwrap() += 1;
        let mut all = self.incidents.lock().unwrap();
        let stored = all
            .get_mut(&id)
            .ok_or_else(|| Error::not_found("no such incident"))?;
        if let Some(other) = self.interleave.lock().unwrap().take() {
            let seq = stored.version() + 1;
            stored.events.push(RecordedEvent { seq, event: other });
        }
        if stored.version() != expected {
            return Err(Error::conflict("stale version"));
        }
        for event in events {
            let seq = stored.version() + 1;
            stored.events.push(RecordedEvent { seq, event });
        }
        Ok(stored.version())
    }

    async fn load(&self, id: IncidentId) -> Result<StoredIncident> {
        self.incidents
            .lock()
            .unwrap()
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found("no such incident"))
    }

    async fn list_open(&self) -> Result<Vec<IncidentId>> {
        Ok(self.incidents.lock().unwrap().keys().copied().collect())
    }

    async fn acquire_lease(
        &self,
        key: &str,
        holder: &str,
        _ttl: Duration,
    ) -> Result<Option<Lease>> {
        let mut leases = self.leases.lock().unwrap();
        match leases.get(key) {
            Some(l) if l.holder != holder => Ok(None),
            _ => {
                let lease = Lease {
                    key: key.into(),
                    holder: holder.into(),
                    expires_at: t(60),
                    token: 1,
                };
                leases.insert(key.into(), lease.clone());
                Ok(Some(lease))
            }
        }
    }

    async fn release_lease(&self, lease: &Lease) -> Result<()> {
        let mut leases = self.leases.lock().unwrap();
        if leases
            .get(&lease.key)
            .is_some_and(|l| l.holder == lease.holder)
        {
            leases.remove(&lease.key);
        }
        Ok(())
    }
}

/// One incident, its clock and store, and what was said about it.
pub(super) struct World {
    pub clock: ManualClock,
    pub store: Arc<MemStore>,
    pub id: IncidentId,
    pub chat: Arc<Mutex<Vec<ChatMessage>>>,
    pub status: Arc<Mutex<Vec<StatusPageUpdate>>>,
}

impl World {
    /// An incident detected at `t(0)` whose problem started `onset_before` minutes earlier.
    pub(super) async fn open(title: &str, signals: &Signals, onset_before: i64) -> Self {
        let clock = ManualClock::at(t(0));
        let store = Arc::new(MemStore::default());
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
    pub(super) fn providers(&self) -> Providers {
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
        page.expect_publish().returning(move |u| {
            log.lock().unwrap().push(u.clone());
            Ok(())
        });
        Providers::new()
            .with_chat(Arc::new(chat))
            .with_status_page(Arc::new(page))
    }

    pub(super) fn runner(&self, providers: Providers, approver: Arc<dyn Approver>) -> Runner {
        self.runner_with_playbooks(providers, approver, crate::scenarios::builtin())
    }

    fn runner_with_playbooks(
        &self,
        providers: Providers,
        approver: Arc<dyn Approver>,
        playbooks: Vec<Arc<dyn crate::playbook::Playbook>>,
    ) -> Runner {
        Runner::new(
            self.store.clone(),
            providers,
            Arc::new(self.clock.clone()),
            playbooks,
        )
        .with_approver(approver)
    }

    pub(super) fn runner_with(
        &self,
        providers: Providers,
        approver: Arc<dyn Approver>,
        config: RunnerConfig,
    ) -> Runner {
        self.runner(providers, approver)
            .with_config(config)
            .unwrap()
    }

    pub(super) async fn incident(&self) -> Incident {
        self.store.load(self.id).await.unwrap().incident().unwrap()
    }

    /// The stored timeline as JSON, the way it would be persisted.
    pub(super) async fn timeline_json(&self) -> String {
        serde_json::to_string(&self.store.load(self.id).await.unwrap()).unwrap()
    }

    /// Every text sent to chat or the status page.
    pub(super) fn said(&self) -> Vec<String> {
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
pub(super) fn assert_resolved(report: &crate::runner::RunReport) {
    assert!(
        matches!(report.outcome, crate::runner::Outcome::Resolved { .. }),
        "{:?}",
        report.outcome
    );
}

/// The detail of every `ActionSucceeded` event, in timeline order.
pub(super) fn success_details(incident: &Incident) -> Vec<String> {
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
pub(super) fn steps(incident: &Incident) -> Vec<&'static str> {
    incident
        .timeline()
        .iter()
        .map(|e| e.event.kind.name())
        .filter(|n| {
            !matches!(
                *n,
                "message_posted" | "escalated" | "flagged" | "note" | "recommended"
            )
        })
        .collect()
}

/// `steps` with runs of evidence collapsed to one entry.
pub(super) fn step_outline(incident: &Incident) -> Vec<&'static str> {
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
pub(super) fn message_kinds(incident: &Incident) -> Vec<MessageKind> {
    incident.messages().map(|(_, k, _)| k).collect()
}

/// The happy path's outline: diagnosis, assessment, one action, verified, resolved.
pub(super) const RESOLVED_OUTLINE: [&str; 11] = [
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
pub(super) fn switchable_health(healthy: Arc<std::sync::atomic::AtomicBool>) -> MockHealthProbe {
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
pub(super) fn never_asked() -> Arc<dyn Approver> {
    let mut a = MockApprover::new();
    a.expect_decide().times(0);
    Arc::new(a)
}

pub(super) fn deployment(id: &str, status: DeploymentStatus, min: i64) -> Deployment {
    Deployment::new(id, status, t(min))
        .with_capabilities(true, true)
        .with_commit(
            format!("{id}-sha-0123456789"),
            Some(format!("commit of {id}")),
        )
}

/// Asserts `secret` appears nowhere in the stored timeline, chat or status page.
pub(super) async fn assert_never_said(world: &World, secret: &str) {
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
pub(super) struct CapturedLogs(Arc<Mutex<String>>);

impl CapturedLogs {
    /// The process-wide capture, installed as the global subscriber on first use.
    pub(super) fn global() -> Self {
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

    pub(super) fn text(&self) -> String {
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
