//! Detection in one call: signals → classification → the incident opened or joined.

use ir_core::classify::{Classification, Signals, classify};
use ir_core::clock::Clock;
use ir_core::incident::{Event, EventKind};
use ir_core::model::IncidentId;
use ir_core::playbook::Symptoms;
use ir_core::ports::IncidentStore;
use ir_core::{Result, SeverityPolicy};

/// What [`detect`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// The incident for the dedup key.
    pub id: IncidentId,
    /// `true` when this call opened it, `false` when it joined the open one.
    pub created: bool,
    /// The classification of the signals (the incident's own when it was created).
    pub classification: Classification,
}

/// Classifies `signals` under `policy` and opens the incident for `dedup_key` with a
/// `Detected` event, or joins the one already open for that key (the store's `open` is
/// idempotent per key). The event is stamped with `clock`'s time and signed `ir-detect`, and
/// carries the signals as its symptoms, so any replica can continue the incident with
/// [`Runner::resume`](ir_core::runner::Runner::resume).
///
/// ```
/// use std::sync::Arc;
/// use ir::classify::{Reachability, Signals};
/// use ir::clock::{Clock, ManualClock};
/// use ir::memory::InMemoryIncidentStore;
/// use ir::{Severity, SeverityPolicy};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let clock: Arc<dyn Clock> = Arc::new(ManualClock::at("2026-02-08T15:30:00Z".parse()?));
/// let store = InMemoryIncidentStore::with_clock(clock.clone());
/// let down = Signals { health: Some(Reachability::Status(503)), ..Signals::default() };
/// let policy = SeverityPolicy::runbook();
/// let first = ir::detect(&store, &down, "Site down", "web", "health:web", &policy, clock.as_ref()).await?;
/// let again = ir::detect(&store, &down, "Site down", "web", "health:web", &policy, clock.as_ref()).await?;
/// assert!(first.created && !again.created);
/// assert_eq!(first.id, again.id);
/// assert_eq!(first.classification.severity, Severity::P0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// The store's (`Unavailable`/`Timeout` when it cannot be reached).
pub async fn detect(
    store: &dyn IncidentStore,
    signals: &Signals,
    title: &str,
    service: &str,
    dedup_key: &str,
    policy: &SeverityPolicy,
    clock: &dyn Clock,
) -> Result<Detected> {
    let classification = classify(signals, policy);
    let event = Event::new(
        clock.now(),
        "ir-detect",
        EventKind::detected(title, service, classification.clone(), None)
            .with_symptoms(Symptoms::new(signals.clone())),
    );
    let opened = store.open(dedup_key, event).await?;
    Ok(Detected {
        id: opened.id,
        created: opened.created,
        classification,
    })
}
