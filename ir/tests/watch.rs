//! `detect` and the `Watcher` on a manual clock and in-memory ports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ir::prelude::*;
use ir_testkit::ScriptedHealthProbe;

const T0: &str = "2026-02-08T15:30:00Z";

fn setup(
    toml: &str,
    health: Arc<dyn HealthProbe>,
) -> (Arc<ManualClock>, Arc<dyn IncidentStore>, Watcher) {
    let manual = Arc::new(ManualClock::at(T0.parse().expect("time")));
    let clock: Arc<dyn Clock> = manual.clone();
    let store: Arc<dyn IncidentStore> = Arc::new(InMemoryIncidentStore::with_clock(clock.clone()));
    let config = Config::from_toml_str(toml).expect("config");
    let providers = config
        .providers_from_lookup(|_| None)
        .expect("providers")
        .with_health(health);
    let watcher = config
        .watcher_with(store.clone(), providers, clock)
        .expect("watcher");
    (manual, store, watcher)
}

const TOML: &str =
    "[service]\nname = \"web\"\n[watch]\ninterval = \"30s\"\ntitle = \"Site down\"\n";

#[tokio::test]
async fn detect_opens_then_joins_one_incident_per_key() {
    let clock = ManualClock::at(T0.parse().expect("time"));
    let store = InMemoryIncidentStore::new();
    let policy = SeverityPolicy::runbook();
    let slow = Signals {
        error_rate_5xx: Some(0.02),
        ..Signals::default()
    };
    let a = detect(&store, &slow, "Slow", "web", "latency:web", &policy, &clock)
        .await
        .expect("opened");
    let b = detect(&store, &slow, "Slow", "web", "latency:web", &policy, &clock)
        .await
        .expect("joined");
    assert!(a.created && !b.created);
    assert_eq!(a.id, b.id);
    assert_eq!(a.classification.severity, Severity::P2);
    let incident = store
        .load(a.id)
        .await
        .expect("stored")
        .incident()
        .expect("folds");
    assert_eq!(incident.phase(), Phase::Detected);
    assert_eq!(incident.detected_at(), clock.now());
    assert_eq!(store.list_open().await.expect("open"), [a.id]);
}

#[tokio::test]
async fn a_healthy_check_opens_nothing() {
    let probe = Arc::new(ScriptedHealthProbe::new("http://web"));
    probe.set("/health", (200, "ok"));
    let (_, store, watcher) = setup(TOML, probe.clone());
    assert!(matches!(
        watcher.check_once().await.expect("checked"),
        Check::Healthy(_)
    ));
    assert!(store.list_open().await.expect("list").is_empty());
    assert_eq!(probe.checks(), ["/health"]);
}

#[tokio::test]
async fn a_failing_check_opens_the_incident_and_drives_it_once() {
    let probe = Arc::new(ScriptedHealthProbe::new("http://web"));
    probe.set("/health", (503, "Service Unavailable"));
    let (_, store, watcher) = setup(TOML, probe);
    let Check::Incident {
        detected,
        run,
        report,
    } = watcher.check_once().await.expect("checked")
    else {
        panic!("the endpoint is down");
    };
    assert_eq!(report.status, Some(503));
    assert!(detected.created);
    assert_eq!(detected.classification.severity, Severity::P0);
    let run = run.expect("the new incident was driven");
    assert_eq!(run.incident.id(), detected.id);
    assert_ne!(
        run.incident.phase(),
        Phase::Detected,
        "the runner moved it on"
    );
    let stored = store.load(detected.id).await.expect("stored");
    assert_eq!(stored.dedup_key, "health:web");
    // Still down: the same incident is joined, not driven a second time.
    let Check::Incident {
        detected: again,
        run,
        ..
    } = watcher.check_once().await.expect("checked")
    else {
        panic!("still down");
    };
    assert_eq!((again.id, again.created), (detected.id, false));
    assert!(run.is_none());
}

/// Sends shutdown on its `n`th check, then answers as the inner probe.
#[derive(Debug)]
struct StopAfter {
    inner: ScriptedHealthProbe,
    n: usize,
    seen: AtomicUsize,
    stop: tokio::sync::watch::Sender<bool>,
}

#[async_trait]
impl HealthProbe for StopAfter {
    async fn check(&self, path: &str) -> ir::Result<HealthReport> {
        // Only the watcher's own path counts; the runner checks `/health` too.
        if path == "/ready" && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.n {
            self.stop.send_replace(true);
        }
        self.inner.check(path).await
    }
}

#[tokio::test]
async fn run_polls_on_the_clock_until_shutdown() {
    let (stop, shutdown) = shutdown_signal();
    let inner = ScriptedHealthProbe::new("http://web");
    inner.script("/ready", [(200, "ok"), (200, "ok"), (503, "down")]);
    let probe = Arc::new(StopAfter {
        inner: inner.clone(),
        n: 3,
        seen: AtomicUsize::new(0),
        stop,
    });
    let toml = TOML.replace("[watch]", "[watch]\npath = \"/ready\"");
    let (clock, store, watcher) = setup(&toml, probe);
    let start = clock.now();
    tokio::time::timeout(Duration::from_secs(10), watcher.run(shutdown))
        .await
        .expect("returns without real waiting")
        .expect("clean shutdown");
    let watched = inner.checks().iter().filter(|p| *p == "/ready").count();
    assert_eq!(watched, 3, "stopped after the check that asked it to");
    // Two intervals between three checks (plus whatever the runner waited on the clock).
    assert!(clock.now() - start >= chrono::Duration::seconds(60));
    // The third check failed: its incident was opened (and driven) before the watcher stopped.
    assert_eq!(store.list_open().await.expect("list").len(), 1);
}

#[tokio::test]
async fn a_dropped_sender_stops_the_watcher() {
    let probe = Arc::new(ScriptedHealthProbe::new("http://web"));
    probe.set("/health", (200, "ok"));
    let (_, _, watcher) = setup(TOML, probe.clone());
    let (stop, shutdown) = shutdown_signal();
    drop(stop);
    tokio::time::timeout(Duration::from_secs(10), watcher.run(shutdown))
        .await
        .expect("returns")
        .expect("clean");
    assert_eq!(probe.checks().len(), 1);
}

#[test]
fn the_watcher_needs_a_health_probe() {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn IncidentStore> = Arc::new(InMemoryIncidentStore::new());
    let config = Config::from_toml_str("").expect("config");
    let providers = config.providers_from_lookup(|_| None).expect("providers");
    let e = config
        .watcher_with(store, providers, clock)
        .expect_err("no probe");
    assert!(e.to_string().contains("base_url"), "{e}");
}

#[tokio::test]
async fn errors_above_the_threshold_open_an_error_spike_while_health_passes() {
    use ir_testkit::InMemoryErrorTracker;
    let probe = Arc::new(ScriptedHealthProbe::new("http://web"));
    probe.set("/health", (200, "ok"));
    let manual = Arc::new(ManualClock::at(T0.parse().expect("time")));
    let clock: Arc<dyn Clock> = manual.clone();
    let store: Arc<dyn IncidentStore> = Arc::new(InMemoryIncidentStore::with_clock(clock.clone()));
    let config = Config::from_toml_str(
        "[service]\nname = \"web\"\n[watch]\ninterval = \"1m\"\nmax_errors_per_interval = 5\n",
    )
    .expect("config");
    let tracker = InMemoryErrorTracker::new();
    let providers = config
        .providers_from_lookup(|_| None)
        .expect("providers")
        .with_health(probe)
        .with_errors(Arc::new(tracker.clone()));
    let watcher = config
        .watcher_with(store.clone(), providers, clock)
        .expect("watcher");
    let now = manual.now();
    // Five errors in the last minute: at the threshold, nothing opens.
    tracker.record_events((1..=5).map(|s| now - chrono::Duration::seconds(s)));
    assert!(matches!(
        watcher.check_once().await.expect("checked"),
        Check::Healthy(_)
    ));
    // Two more: over it.
    tracker.record_events([
        now - chrono::Duration::seconds(7),
        now - chrono::Duration::seconds(8),
    ]);
    let Check::Incident { detected, .. } = watcher.check_once().await.expect("checked") else {
        panic!("no incident");
    };
    let incident = store
        .load(detected.id)
        .await
        .expect("stored")
        .incident()
        .expect("folds");
    assert_eq!(incident.dedup_key(), "errors:web");
    assert!(
        incident.title().starts_with("Error spike (7 errors"),
        "{}",
        incident.title()
    );
    assert!(
        incident
            .symptoms()
            .is_some_and(|s| s.signals.intermittent_errors),
        "the symptoms are recorded for any replica to resume"
    );
}
