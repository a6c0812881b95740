//! The `IncidentStore` contract: idempotent open per dedup key (also under concurrency), the key
//! released on resolve, optimistic appends (exactly one of many racing writers wins, losers
//! write nothing, and their conflict says the version the timeline is at), faithful round trip
//! of every event, incremental reads (`load_since`), `NotFound` for unknown ids, and exclusive
//! leases with growing fencing tokens that lapse on expiry.
//!
//! Every rule uses fresh random dedup keys and lease keys, so the suite can run on a shared
//! database and in parallel with itself.

use std::time::Duration;

use futures::future::join_all;
use ir_core::error::ErrorKind;
use ir_core::incident::{Event, EventKind};
use ir_core::model::{
    Evidence, EvidenceId, EvidenceOutcome, IncidentId, MessageKind, Observation, Role,
    StatusPageStatus,
};
use ir_core::ports::{IncidentStore, Opened};
use ir_core::severity::Severity;

use super::{check, check_eq, classification, detected, err_kind, now, ok, unique};

/// Opens a fresh incident; panics naming `rule` if that fails.
async fn open_fresh(store: &dyn IncidentStore, rule: &str) -> (String, Opened) {
    let key = unique("conformance");
    let opened = ok(store.open(&key, detected(now())).await, rule, "open");
    check!(opened.created, rule, "the first open of a key creates");
    (key, opened)
}

/// The first `open` of a key creates an incident holding one event, numbered 1, with the key.
pub async fn open_creates_an_incident(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::open_creates_an_incident";
    let t0 = now();
    let key = unique("conformance");
    let first = ok(store.open(&key, detected(t0)).await, RULE, "open");
    check!(first.created, RULE, "the first open of a key must create");
    let loaded = ok(store.load(first.id).await, RULE, "load");
    check_eq!(loaded.dedup_key, key, RULE, "load keeps the dedup key");
    check_eq!(loaded.version(), 1, RULE, "a new incident holds one event");
    check_eq!(loaded.events[0].seq, 1, RULE, "events are numbered from 1");
    check_eq!(
        loaded.events[0].event,
        detected(t0),
        RULE,
        "the detected event round-trips"
    );
}

/// A second `open` of an open incident's key joins it.
pub async fn open_joins_an_open_incident(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::open_joins_an_open_incident";
    let (key, first) = open_fresh(store, RULE).await;
    let second = ok(store.open(&key, detected(now())).await, RULE, "open again");
    check!(
        !second.created,
        RULE,
        "a second open of an open key must join"
    );
    check_eq!(
        first.id,
        second.id,
        RULE,
        "joining returns the same incident"
    );
}

/// Only a `Detected` event opens an incident; anything else is `InvalidInput`.
pub async fn open_requires_a_detected_event(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::open_requires_a_detected_event";
    err_kind(
        store
            .open(&unique("bad"), Event::new(now(), "x", EventKind::note("n")))
            .await,
        ErrorKind::InvalidInput,
        RULE,
        "open with a note",
    );
}

/// Appended events of every kind round-trip unchanged, numbered consecutively; `append` returns
/// the new version.
pub async fn append_round_trips_events(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::append_round_trips_events";
    let (_, first) = open_fresh(store, RULE).await;
    let t0 = now();
    let evidence = Evidence {
        id: EvidenceId::new("ev-1"),
        probe: "health".into(),
        source: "http".into(),
        collected_at: t0,
        outcome: EvidenceOutcome::Observed {
            observation: Observation::Text("HTTP 503 — «Service Unavailable»".into()),
        },
    };
    let batch = vec![
        Event::new(t0, "alice", EventKind::Acknowledged { by: "alice".into() }),
        Event::new(t0, "runner", EventKind::InvestigationStarted),
        Event::new(t0, "runner", EventKind::EvidenceCollected { evidence }),
        Event::new(
            t0,
            "runner",
            EventKind::Escalated {
                role: Role::Cto,
                reason: "P0".into(),
            },
        ),
        Event::new(
            t0,
            "runner",
            EventKind::MessagePosted {
                kind: MessageKind::StatusPage(StatusPageStatus::Investigating),
                channel: "status-page".into(),
                text: "🚨 line one\nline two".into(),
                provider_id: None,
                queued: None,
            },
        ),
        Event::new(
            t0,
            "runner",
            EventKind::SeverityChanged {
                from: Severity::P0,
                to: Severity::P1,
                reasons: classification().reasons,
            },
        ),
    ];
    let version = ok(
        store.append(first.id, 1, batch.clone()).await,
        RULE,
        "append",
    );
    check_eq!(version, 7, RULE, "append returns the new version");
    let loaded = ok(store.load(first.id).await, RULE, "load after append");
    check_eq!(loaded.version(), 7, RULE, "every appended event is stored");
    for (i, recorded) in loaded.events.iter().enumerate() {
        check_eq!(recorded.seq, i as u64 + 1, RULE, "seqs are consecutive");
    }
    check_eq!(
        loaded.events[1..]
            .iter()
            .map(|r| r.event.clone())
            .collect::<Vec<_>>(),
        batch,
        RULE,
        "appended events round-trip unchanged"
    );
}

/// A writer with a stale version gets `Conflict` and writes nothing.
pub async fn stale_append_conflicts(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::stale_append_conflicts";
    let (_, first) = open_fresh(store, RULE).await;
    let t0 = now();
    ok(
        store
            .append(
                first.id,
                1,
                vec![Event::new(t0, "a", EventKind::note("first"))],
            )
            .await,
        RULE,
        "append",
    );
    err_kind(
        store
            .append(
                first.id,
                1,
                vec![Event::new(t0, "late", EventKind::note("stale"))],
            )
            .await,
        ErrorKind::Conflict,
        RULE,
        "append with a stale version",
    );
    check_eq!(
        ok(store.load(first.id).await, RULE, "load").version(),
        2,
        RULE,
        "a conflict writes nothing"
    );
}

/// `load_since(id, v)` is exactly `load(id)`'s events numbered after `v`, for every `v` from 0
/// to the version; past the version it is empty; an unknown incident is `NotFound`.
pub async fn load_since_returns_the_events_after_a_version(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::load_since_returns_the_events_after_a_version";
    let (_, first) = open_fresh(store, RULE).await;
    let t0 = now();
    let notes = |from: usize, n: usize| -> Vec<Event> {
        (from..from + n)
            .map(|i| Event::new(t0, "runner", EventKind::note(format!("note {i}"))))
            .collect()
    };
    ok(
        store.append(first.id, 1, notes(0, 3)).await,
        RULE,
        "append 3",
    );
    ok(
        store.append(first.id, 4, notes(3, 2)).await,
        RULE,
        "append 2",
    );
    let all = ok(store.load(first.id).await, RULE, "load").events;
    check_eq!(all.len(), 6, RULE, "six events stored");
    for after in 0..=all.len() {
        let since = ok(
            store.load_since(first.id, after as u64).await,
            RULE,
            "load_since",
        );
        check_eq!(
            since,
            all[after..].to_vec(),
            RULE,
            "load_since(id, {after}) must be load's events numbered after {after}"
        );
    }
    for past in [7, 100, u64::MAX] {
        check!(
            ok(
                store.load_since(first.id, past).await,
                RULE,
                "load_since past the end"
            )
            .is_empty(),
            RULE,
            "load_since past the version ({past}) is empty"
        );
    }
    err_kind(
        store.load_since(IncidentId::random(), 0).await,
        ErrorKind::NotFound,
        RULE,
        "load_since of an unknown incident",
    );
}

/// A stale append's `Conflict` carries the version the timeline is at
/// (`Error::current_version`), also for the losers of a race; `load_since` from the stale
/// version then brings the writer up to that version, and its retry after it succeeds.
pub async fn conflict_carries_the_current_version(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::conflict_carries_the_current_version";
    let (_, first) = open_fresh(store, RULE).await;
    let id = first.id;
    let t0 = now();
    let note = |text: &str| vec![Event::new(t0, "runner", EventKind::note(text))];
    ok(
        store.append(id, 1, [note("a"), note("b")].concat()).await,
        RULE,
        "append",
    );
    let stale = match store.append(id, 1, note("stale")).await {
        Ok(v) => panic!("conformance: {RULE}: a stale append must conflict, got Ok({v})"),
        Err(e) => e,
    };
    check_eq!(
        stale.kind(),
        ErrorKind::Conflict,
        RULE,
        "a stale append conflicts: {stale}"
    );
    check_eq!(
        stale.current_version(),
        Some(3),
        RULE,
        "the conflict carries the stored version: {stale:?}"
    );
    let missed = ok(store.load_since(id, 1).await, RULE, "load_since");
    check_eq!(
        missed.last().map(|e| e.seq),
        stale.current_version(),
        RULE,
        "load_since from the stale version reaches the conflict's version"
    );
    check_eq!(
        ok(store.append(id, 3, note("retry")).await, RULE, "retry"),
        4,
        RULE,
        "the retry after the current version succeeds"
    );

    // Eight writers racing at version 4: one wins, every loser learns version 5.
    let appends = join_all((0..8).map(|i| store.append(id, 4, note(&format!("racer {i}"))))).await;
    check_eq!(
        appends.iter().filter(|r| r.is_ok()).count(),
        1,
        RULE,
        "one of 8 racing appends succeeds"
    );
    for e in appends.iter().filter_map(|r| r.as_ref().err()) {
        check_eq!(
            e.kind(),
            ErrorKind::Conflict,
            RULE,
            "racing losers conflict: {e}"
        );
        check_eq!(
            e.current_version(),
            Some(5),
            RULE,
            "a racing loser's conflict carries the winner's version: {e:?}"
        );
    }
}

/// `load` and `append` of an unknown incident are `NotFound`.
pub async fn unknown_incident_is_not_found(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::unknown_incident_is_not_found";
    let unknown = IncidentId::random();
    err_kind(
        store.load(unknown).await,
        ErrorKind::NotFound,
        RULE,
        "load of an unknown incident",
    );
    err_kind(
        store
            .append(
                unknown,
                0,
                vec![Event::new(now(), "x", EventKind::note("n"))],
            )
            .await,
        ErrorKind::NotFound,
        RULE,
        "append to an unknown incident",
    );
}

/// An open incident is listed as open; once resolved it is not, and it releases its key: the
/// next `open` of the key creates a new incident.
pub async fn resolve_releases_the_key(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::resolve_releases_the_key";
    let (key, first) = open_fresh(store, RULE).await;
    let t0 = now();
    let open = ok(store.list_open().await, RULE, "list_open");
    check!(
        open.contains(&first.id),
        RULE,
        "an open incident is listed as open"
    );
    ok(
        store
            .append(
                first.id,
                1,
                vec![Event::new(
                    t0,
                    "runner",
                    EventKind::resolved("cause", "fix"),
                )],
            )
            .await,
        RULE,
        "append resolved",
    );
    let open = ok(store.list_open().await, RULE, "list_open after resolve");
    check!(
        !open.contains(&first.id),
        RULE,
        "a resolved incident is not open"
    );
    let reopened = ok(
        store.open(&key, detected(t0)).await,
        RULE,
        "open after resolve",
    );
    check!(
        reopened.created && reopened.id != first.id,
        RULE,
        "a resolved incident releases its key"
    );
}

/// Sixteen racing opens of one key create one incident, and all agree on it.
pub async fn racing_opens_create_one_incident(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::racing_opens_create_one_incident";
    let key = unique("race");
    let t0 = now();
    let opens = join_all((0..16).map(|_| store.open(&key, detected(t0)))).await;
    let opens: Vec<_> = opens
        .into_iter()
        .map(|r| ok(r, RULE, "concurrent open"))
        .collect();
    check_eq!(
        opens.iter().filter(|o| o.created).count(),
        1,
        RULE,
        "16 racing opens create one incident"
    );
    check!(
        opens.iter().all(|o| o.id == opens[0].id),
        RULE,
        "racing opens agree on the incident"
    );
}

/// Of sixteen appends racing at one version exactly one succeeds; the losers get `Conflict`
/// and write nothing.
pub async fn racing_appends_one_wins(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::racing_appends_one_wins";
    let (_, opened) = open_fresh(store, RULE).await;
    let id = opened.id;
    let t0 = now();
    let appends = join_all((0..16).map(|i| {
        store.append(
            id,
            1,
            vec![Event::new(
                t0,
                format!("writer-{i}"),
                EventKind::note(format!("from {i}")),
            )],
        )
    }))
    .await;
    let winners = appends.iter().filter(|r| r.is_ok()).count();
    check_eq!(
        winners,
        1,
        RULE,
        "exactly one of 16 racing appends succeeds"
    );
    for r in &appends {
        if let Err(e) = r {
            check_eq!(
                e.kind(),
                ErrorKind::Conflict,
                RULE,
                "racing losers get Conflict: {e}"
            );
        }
    }
    check_eq!(
        ok(store.load(id).await, RULE, "load").version(),
        2,
        RULE,
        "losers write nothing"
    );
}

/// A lease goes to one holder at a time: a held lease is refused to others, its holder may
/// extend it (same fencing token), a released one is granted again with a larger token, and
/// releasing a stale lease neither fails nor frees the current one.
pub async fn lease_is_exclusive(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::lease_is_exclusive";
    let key = unique("lease");
    let ttl = Duration::from_secs(30);
    let a = ok(
        store.acquire_lease(&key, "replica-a", ttl).await,
        RULE,
        "acquire",
    )
    .unwrap_or_else(|| panic!("conformance: {RULE}: a free lease must be granted"));
    check!(
        ok(
            store.acquire_lease(&key, "replica-b", ttl).await,
            RULE,
            "acquire held"
        )
        .is_none(),
        RULE,
        "a held lease is not granted to another holder"
    );
    let again = ok(
        store.acquire_lease(&key, "replica-a", ttl).await,
        RULE,
        "re-acquire",
    )
    .unwrap_or_else(|| panic!("conformance: {RULE}: the holder may extend its own lease"));
    check_eq!(
        again.token,
        a.token,
        RULE,
        "extending keeps the fencing token"
    );
    ok(store.release_lease(&again).await, RULE, "release");
    let b = ok(
        store.acquire_lease(&key, "replica-b", ttl).await,
        RULE,
        "acquire released",
    )
    .unwrap_or_else(|| panic!("conformance: {RULE}: a released lease is granted again"));
    check!(
        b.token > a.token,
        RULE,
        "fencing tokens grow with each grant"
    );
    ok(
        store.release_lease(&a).await,
        RULE,
        "releasing a lapsed lease is not an error",
    );
    check!(
        ok(
            store.acquire_lease(&key, "replica-c", ttl).await,
            RULE,
            "acquire"
        )
        .is_none(),
        RULE,
        "releasing someone else's (stale) lease must not free it"
    );
}

/// Of eight holders racing for a free lease exactly one gets it.
pub async fn racing_holders_one_gets_the_lease(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::racing_holders_one_gets_the_lease";
    let key = unique("lease-race");
    let ttl = Duration::from_secs(30);
    let holders: Vec<String> = (0..8).map(|i| format!("replica-{i}")).collect();
    let grants = join_all(holders.iter().map(|h| store.acquire_lease(&key, h, ttl))).await;
    let granted = grants
        .into_iter()
        .map(|r| ok(r, RULE, "racing acquire"))
        .filter(Option::is_some)
        .count();
    check_eq!(
        granted,
        1,
        RULE,
        "exactly one of 8 racing holders gets the lease"
    );
}

/// A lease whose holder crashed lapses at its expiry and goes to another holder. Waits 1.5 s
/// in real time.
pub async fn lease_lapses_at_expiry(store: &dyn IncidentStore) {
    const RULE: &str = "incident_store::lease_lapses_at_expiry";
    let key = unique("lease-expiry");
    ok(
        store
            .acquire_lease(&key, "crashed", Duration::from_millis(500))
            .await,
        RULE,
        "acquire short",
    )
    .unwrap_or_else(|| panic!("conformance: {RULE}: a free lease must be granted"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    check!(
        ok(
            store
                .acquire_lease(&key, "survivor", Duration::from_secs(30))
                .await,
            RULE,
            "acquire expired"
        )
        .is_some(),
        RULE,
        "an expired lease is granted to another holder"
    );
}

/// Every rule above.
pub async fn run_all(store: &dyn IncidentStore) {
    open_creates_an_incident(store).await;
    open_joins_an_open_incident(store).await;
    open_requires_a_detected_event(store).await;
    append_round_trips_events(store).await;
    stale_append_conflicts(store).await;
    load_since_returns_the_events_after_a_version(store).await;
    conflict_carries_the_current_version(store).await;
    unknown_incident_is_not_found(store).await;
    resolve_releases_the_key(store).await;
    racing_opens_create_one_incident(store).await;
    racing_appends_one_wins(store).await;
    lease_is_exclusive(store).await;
    racing_holders_one_gets_the_lease(store).await;
    lease_lapses_at_expiry(store).await;
}
