//! `FaultyStore`: without faults it is the store it wraps; each scripted fault happens once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ir_core::ErrorKind;
use ir_core::SeverityPolicy;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::incident::{Event, EventKind};
use ir_core::memory::InMemoryIncidentStore;
use ir_core::model::IncidentId;
use ir_core::ports::IncidentStore;
use ir_testkit::FaultyStore;
use ir_testkit::conformance::incident_store;

fn detected() -> Event {
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    Event::new(
        chrono::Utc::now(),
        "watcher",
        EventKind::detected(
            "Site down",
            "www.example.com",
            classify(&signals, &SeverityPolicy::runbook()),
            None,
        ),
    )
}

fn note(text: &str) -> Event {
    Event::new(chrono::Utc::now(), "runner", EventKind::note(text))
}

async fn opened() -> (FaultyStore, IncidentId) {
    let store = FaultyStore::new(Arc::new(InMemoryIncidentStore::new()));
    let id = store.open("alert:1", detected()).await.unwrap().id;
    (store, id)
}

#[tokio::test]
async fn without_faults_it_conforms() {
    let store = FaultyStore::new(Arc::new(InMemoryIncidentStore::new()));
    incident_store::run_all(&store).await;
}

#[tokio::test]
async fn the_next_matching_append_fails_once_and_writes_nothing() {
    let (store, id) = opened().await;
    store.fail_next_append_where(|events| {
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Note { text } if text == "outcome"))
    });
    assert_eq!(store.append(id, 1, vec![note("intent")]).await.unwrap(), 2);
    let err = store
        .append(id, 2, vec![note("outcome")])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(
        store.load(id).await.unwrap().version(),
        2,
        "nothing written"
    );
    assert_eq!(store.append(id, 2, vec![note("outcome")]).await.unwrap(), 3);
}

#[tokio::test]
async fn an_interleaved_event_makes_the_next_append_conflict() {
    let (store, id) = opened().await;
    store.interleave_before_next_append(note("from replica b"));
    let err = store.append(id, 1, vec![note("mine")]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let stored = store.load(id).await.unwrap();
    assert_eq!(stored.version(), 2, "the other writer's event only");
    assert_eq!(store.append(id, 2, vec![note("mine")]).await.unwrap(), 3);
}

#[tokio::test]
async fn a_lease_held_elsewhere_is_refused_and_granted_leases_are_tracked() {
    let (store, _) = opened().await;
    let ttl = Duration::from_secs(60);
    store.hold_lease("rollback:d2", "replica-b");
    assert!(
        store
            .acquire_lease("rollback:d2", "replica-a", ttl)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.lease_holder("rollback:d2").as_deref(),
        Some("replica-b")
    );

    let lease = store
        .acquire_lease("restart:d3", "replica-a", ttl)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.lease_holder("restart:d3").as_deref(),
        Some("replica-a")
    );
    store.release_lease(&lease).await.unwrap();
    assert_eq!(store.lease_holder("restart:d3"), None);
}
