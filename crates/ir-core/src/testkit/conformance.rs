//! Conformance suites: each port's behaviour, written once, run against every implementation.
//!
//! A suite is an `async fn` that panics (with a message naming the broken rule) when the
//! implementation under test does not behave as the port's documentation says. Call it from a
//! `#[tokio::test]` in the implementation's crate:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use ir_core::testkit::{conformance, InMemoryIncidentStore};
//! #[tokio::test]
//! async fn pg_store_conforms() {
//!     let store = Arc::new(InMemoryIncidentStore::new()); // your implementation here
//!     conformance::incident_store(store).await;
//! }
//! ```
//!
//! Suites for adapters of external services take a fixture describing what the backend (a
//! `wiremock` server, the simulator) holds, since the suite cannot create deployments or logs
//! through the port.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use secrecy::{ExposeSecret, SecretString};

use crate::classify::{Classification, Reachability, Signals, classify};
use crate::error::{ErrorKind, Result};
use crate::escalation::Role;
use crate::incident::{Event, EventKind, IncidentId, MessageKind};
use crate::playbook::{Evidence, EvidenceId, EvidenceOutcome, Observation};
use crate::ports::{
    ChatMessage, ChatNotifier, DeployPlatform, Deployment, DeploymentId, IncidentStore, LogLine,
    LogQuery, LogSource, LogStream, Page, Pager, SetOptions, StatusPage, StatusPageStatus,
    StatusPageUpdate, VariableStore,
};
use crate::severity::{Severity, SeverityPolicy};

fn ok<T, E: Debug>(result: std::result::Result<T, E>, rule: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("conformance: {rule}: unexpected error {e:?}"),
    }
}

fn err_kind<T: Debug>(result: Result<T>, want: ErrorKind, rule: &str) {
    match result {
        Ok(v) => panic!("conformance: {rule}: expected a {want:?} error, got Ok({v:?})"),
        Err(e) => assert_eq!(e.kind(), want, "conformance: {rule}: wrong error kind: {e}"),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn classification() -> Classification {
    classify(
        &Signals {
            health: Some(Reachability::Status(503)),
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    )
}

fn now() -> crate::clock::Timestamp {
    // Whole seconds keep the suite independent of a store's timestamp precision.
    let t = chrono::Utc::now();
    t - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos()))
}

fn detected(at: crate::clock::Timestamp) -> Event {
    Event::new(
        at,
        "conformance",
        EventKind::detected("Site down ✅ «test»", "web", classification(), None),
    )
}

/// The `IncidentStore` contract: idempotent open per dedup key (also under concurrency), the
/// key released on resolve, optimistic appends (exactly one of many racing writers wins,
/// losers write nothing), faithful round trip of every event, `NotFound` for unknown ids, and
/// exclusive leases that lapse on expiry.
///
/// Uses fresh random dedup keys and lease keys, so it can run on a shared database and in
/// parallel with itself. Waits about two seconds in real time for lease expiry.
pub async fn incident_store(store: Arc<dyn IncidentStore>) {
    let t0 = now();
    let key = unique("conformance");

    // Open, then join.
    let first = ok(store.open(&key, detected(t0)).await, "open creates");
    assert!(
        first.created,
        "conformance: first open of a key must create"
    );
    let second = ok(store.open(&key, detected(t0)).await, "open joins");
    assert!(
        !second.created,
        "conformance: second open of an open key must join"
    );
    assert_eq!(
        first.id, second.id,
        "conformance: joining returns the same incident"
    );

    // Only a detected event opens.
    err_kind(
        store
            .open(&unique("bad"), Event::new(t0, "x", EventKind::note("n")))
            .await,
        ErrorKind::InvalidInput,
        "open with a non-detected event",
    );

    let loaded = ok(store.load(first.id).await, "load");
    assert_eq!(
        loaded.dedup_key, key,
        "conformance: load keeps the dedup key"
    );
    assert_eq!(
        loaded.version(),
        1,
        "conformance: a new incident holds one event"
    );
    assert_eq!(
        loaded.events[0].seq, 1,
        "conformance: events are numbered from 1"
    );
    assert_eq!(
        loaded.events[0].event,
        detected(t0),
        "conformance: detected event round-trips"
    );

    // Appends: all kinds round-trip, seqs are consecutive.
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
    let version = ok(store.append(first.id, 1, batch.clone()).await, "append");
    assert_eq!(version, 7, "conformance: append returns the new version");
    let loaded = ok(store.load(first.id).await, "load after append");
    assert_eq!(loaded.version(), 7);
    for (i, recorded) in loaded.events.iter().enumerate() {
        assert_eq!(
            recorded.seq,
            i as u64 + 1,
            "conformance: seqs are consecutive"
        );
    }
    assert_eq!(
        loaded.events[1..]
            .iter()
            .map(|r| r.event.clone())
            .collect::<Vec<_>>(),
        batch,
        "conformance: appended events round-trip unchanged"
    );

    // A stale writer gets Conflict and writes nothing.
    err_kind(
        store
            .append(
                first.id,
                1,
                vec![Event::new(t0, "late", EventKind::note("stale"))],
            )
            .await,
        ErrorKind::Conflict,
        "append with a stale version",
    );
    assert_eq!(
        ok(store.load(first.id).await, "load").version(),
        7,
        "conformance: a conflict writes nothing"
    );

    // Unknown ids.
    let unknown = IncidentId::random();
    err_kind(
        store.load(unknown).await,
        ErrorKind::NotFound,
        "load of an unknown incident",
    );
    err_kind(
        store
            .append(unknown, 0, vec![Event::new(t0, "x", EventKind::note("n"))])
            .await,
        ErrorKind::NotFound,
        "append to an unknown incident",
    );

    // list_open, and the key released on resolve.
    let open = ok(store.list_open().await, "list_open");
    assert!(
        open.contains(&first.id),
        "conformance: an open incident is listed as open"
    );
    ok(
        store
            .append(
                first.id,
                7,
                vec![Event::new(
                    t0,
                    "runner",
                    EventKind::resolved("cause", "fix"),
                )],
            )
            .await,
        "append resolved",
    );
    let open = ok(store.list_open().await, "list_open");
    assert!(
        !open.contains(&first.id),
        "conformance: a resolved incident is not open"
    );
    let reopened = ok(store.open(&key, detected(t0)).await, "open after resolve");
    assert!(
        reopened.created && reopened.id != first.id,
        "conformance: a resolved incident releases its key"
    );

    // Concurrent opens of one key: one incident.
    let race_key = unique("race");
    let opens = join_all((0..16).map(|_| store.open(&race_key, detected(t0)))).await;
    let opens: Vec<_> = opens
        .into_iter()
        .map(|r| ok(r, "concurrent open"))
        .collect();
    assert_eq!(
        opens.iter().filter(|o| o.created).count(),
        1,
        "conformance: 16 racing opens create one incident"
    );
    assert!(
        opens.iter().all(|o| o.id == opens[0].id),
        "conformance: racing opens agree on the incident"
    );

    // Concurrent appends at one version: exactly one wins.
    let id = opens[0].id;
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
    assert_eq!(
        winners, 1,
        "conformance: exactly one of 16 racing appends succeeds"
    );
    for r in &appends {
        if let Err(e) = r {
            assert_eq!(
                e.kind(),
                ErrorKind::Conflict,
                "conformance: racing losers get Conflict: {e}"
            );
        }
    }
    assert_eq!(
        ok(store.load(id).await, "load").version(),
        2,
        "conformance: losers write nothing"
    );

    // Leases.
    let lease_key = unique("lease");
    let ttl = Duration::from_secs(30);
    let a = ok(
        store.acquire_lease(&lease_key, "replica-a", ttl).await,
        "acquire",
    )
    .unwrap_or_else(|| panic!("conformance: a free lease must be granted"));
    assert!(
        ok(
            store.acquire_lease(&lease_key, "replica-b", ttl).await,
            "acquire held"
        )
        .is_none(),
        "conformance: a held lease is not granted to another holder"
    );
    let again = ok(
        store.acquire_lease(&lease_key, "replica-a", ttl).await,
        "re-acquire",
    )
    .unwrap_or_else(|| panic!("conformance: the holder may extend its own lease"));
    assert_eq!(
        again.token, a.token,
        "conformance: extending keeps the fencing token"
    );
    ok(store.release_lease(&again).await, "release");
    let b = ok(
        store.acquire_lease(&lease_key, "replica-b", ttl).await,
        "acquire released",
    )
    .unwrap_or_else(|| panic!("conformance: a released lease is granted again"));
    assert!(
        b.token > a.token,
        "conformance: fencing tokens grow with each grant"
    );
    ok(
        store.release_lease(&a).await,
        "releasing a lapsed lease is not an error",
    );
    assert!(
        ok(
            store.acquire_lease(&lease_key, "replica-c", ttl).await,
            "acquire"
        )
        .is_none(),
        "conformance: releasing someone else's (stale) lease must not free it"
    );

    // Racing for a lease: exactly one.
    let race = unique("lease-race");
    let grants = join_all((0..8).map(|i| {
        let holder = format!("replica-{i}");
        let store = store.clone();
        let race = race.clone();
        async move { store.acquire_lease(&race, &holder, ttl).await }
    }))
    .await;
    let granted = grants
        .into_iter()
        .map(|r| ok(r, "racing acquire"))
        .filter(Option::is_some)
        .count();
    assert_eq!(
        granted, 1,
        "conformance: exactly one of 8 racing holders gets the lease"
    );

    // Expiry.
    let short = unique("lease-expiry");
    ok(
        store
            .acquire_lease(&short, "crashed", Duration::from_millis(500))
            .await,
        "acquire short",
    )
    .unwrap_or_else(|| panic!("conformance: a free lease must be granted"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        ok(
            store.acquire_lease(&short, "survivor", ttl).await,
            "acquire expired"
        )
        .is_some(),
        "conformance: an expired lease is granted to another holder"
    );
}

/// The `ChatNotifier` contract: a message is posted to the channel it names.
pub async fn chat_notifier(chat: &dyn ChatNotifier, channel: &str) {
    let message = ChatMessage {
        channel: channel.to_owned(),
        text: "📊 STATUS UPDATE - 15:45 UTC\n\nSeverity: P1".into(),
        mrkdwn: Some("*📊 STATUS UPDATE - 15:45 UTC*\n\n*Severity:* P1".into()),
    };
    let posted = ok(chat.post(&message).await, "post");
    assert_eq!(
        posted.channel, channel,
        "conformance: the message lands in the channel named"
    );
}

/// The `Pager` contract: trigger, re-trigger with the same key, resolve; an oversized summary is
/// `InvalidInput`.
pub async fn pager(pager: &dyn Pager) {
    let page = Page {
        dedup_key: unique("page"),
        role: Role::OnCall,
        summary: "P0: www.example.com returns 503".into(),
        severity: Severity::P0,
    };
    ok(pager.trigger(&page).await, "trigger");
    ok(
        pager.trigger(&page).await,
        "re-trigger with the same dedup key",
    );
    ok(pager.resolve(&page.dedup_key).await, "resolve");
    let oversized = Page {
        summary: "x".repeat(1025),
        ..page
    };
    err_kind(
        pager.trigger(&oversized).await,
        ErrorKind::InvalidInput,
        "summary over 1024 characters",
    );
}

/// The `StatusPage` contract: one public incident walks through every status.
pub async fn status_page(page: &dyn StatusPage) {
    let key = unique("status");
    for status in [
        StatusPageStatus::Investigating,
        StatusPageStatus::Identified,
        StatusPageStatus::Monitoring,
        StatusPageStatus::Resolved,
    ] {
        let update = StatusPageUpdate {
            incident_key: key.clone(),
            title: "Dashboard errors".into(),
            status,
            body: format!("{} update", status.title()),
        };
        ok(page.publish(&update).await, "publish");
    }
}

/// What a deploy platform under test holds.
#[derive(Debug, Clone)]
pub struct DeployFixture {
    /// Every deployment the backend holds, newest first.
    pub deployments: Vec<Deployment>,
    /// A deployment the platform allows rolling back to.
    pub rollback_to: DeploymentId,
    /// An id the backend does not hold.
    pub unknown: DeploymentId,
}

/// The `DeployPlatform` contract: deployments newest first and limited, lookup by id,
/// `NotFound` for unknown ids, rollback/restart/redeploy accepted for known deployments.
pub async fn deploy_platform(platform: &dyn DeployPlatform, fixture: &DeployFixture) {
    let status = ok(platform.service_status().await, "service_status");
    assert!(
        !status.service_name.is_empty(),
        "conformance: the service has a name"
    );

    let all = ok(
        platform
            .list_deployments(fixture.deployments.len() + 5)
            .await,
        "list_deployments",
    );
    let ids: Vec<_> = all.iter().map(|d| d.id.clone()).collect();
    let want: Vec<_> = fixture.deployments.iter().map(|d| d.id.clone()).collect();
    assert_eq!(
        ids, want,
        "conformance: list_deployments returns every deployment, newest first"
    );
    assert!(
        all.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "conformance: deployments are sorted newest first"
    );
    let two = ok(platform.list_deployments(2).await, "list_deployments(2)");
    assert_eq!(
        two.len(),
        2.min(want.len()),
        "conformance: list_deployments honours the limit"
    );

    let first = &fixture.deployments[0];
    let got = ok(platform.deployment(&first.id).await, "deployment");
    assert_eq!(
        got.id, first.id,
        "conformance: deployment(id) returns that deployment"
    );
    assert_eq!(
        got.status, first.status,
        "conformance: deployment(id) keeps the status"
    );
    err_kind(
        platform.deployment(&fixture.unknown).await,
        ErrorKind::NotFound,
        "deployment of an unknown id",
    );

    ok(
        platform.rollback(&fixture.rollback_to).await,
        "rollback to a rollbackable deployment",
    );
    err_kind(
        platform.rollback(&fixture.unknown).await,
        ErrorKind::NotFound,
        "rollback to an unknown id",
    );
    ok(platform.restart(&first.id).await, "restart");
    let new_id = ok(platform.redeploy(&first.id).await, "redeploy");
    assert!(
        !new_id.as_str().is_empty(),
        "conformance: redeploy returns the new deployment's id"
    );
}

/// What a variable store under test holds before the suite runs.
#[derive(Debug, Clone)]
pub struct VariableFixture {
    /// Variables set, with their values.
    pub existing: Vec<(String, String)>,
    /// A name that is not set and that the suite may set and delete.
    pub scratch: String,
}

/// The `VariableStore` contract: names sorted, `get` of a set and an unset name, set → get →
/// delete → get, deleting an unset name is not an error. Needs a backend that keeps state.
pub async fn variable_store(store: &dyn VariableStore, fixture: &VariableFixture) {
    let mut want: Vec<String> = fixture.existing.iter().map(|(n, _)| n.clone()).collect();
    want.sort();
    let names = ok(store.list_names().await, "list_names");
    assert_eq!(
        names, want,
        "conformance: list_names returns every name, sorted"
    );
    for (name, value) in &fixture.existing {
        let got = ok(store.get(name).await, "get");
        assert_eq!(
            got.as_ref().map(|s| s.expose_secret().to_owned()),
            Some(value.clone()),
            "conformance: get({name}) returns its value"
        );
    }
    assert!(
        ok(store.get(&fixture.scratch).await, "get unset").is_none(),
        "conformance: an unset name is None"
    );

    let secret = SecretString::from(format!("v-{}", uuid::Uuid::new_v4().simple()));
    ok(
        store
            .set(
                &fixture.scratch,
                secret.clone(),
                SetOptions { skip_deploys: true },
            )
            .await,
        "set",
    );
    let got = ok(store.get(&fixture.scratch).await, "get after set");
    assert_eq!(
        got.map(|s| s.expose_secret().to_owned()),
        Some(secret.expose_secret().to_owned()),
        "conformance: get returns what set wrote"
    );
    assert!(
        ok(store.list_names().await, "list_names").contains(&fixture.scratch),
        "conformance: a set name is listed"
    );
    ok(store.delete(&fixture.scratch).await, "delete");
    assert!(
        ok(store.get(&fixture.scratch).await, "get after delete").is_none(),
        "conformance: delete unsets"
    );
    ok(
        store.delete(&fixture.scratch).await,
        "deleting an unset name is not an error",
    );
}

/// What a log source under test holds.
#[derive(Debug, Clone)]
pub struct LogFixture {
    /// The stream holding the lines.
    pub stream: LogStream,
    /// Its lines, oldest first (at least three, with distinct timestamps).
    pub lines: Vec<LogLine>,
}

/// The `LogSource` contract: lines oldest first, the newest `limit` when limited, the window
/// honoured.
pub async fn log_source(source: &dyn LogSource, fixture: &LogFixture) {
    assert!(
        fixture.lines.len() >= 3,
        "conformance: the log fixture needs at least three lines"
    );
    let all = ok(
        source
            .logs(&LogQuery::new(
                fixture.stream.clone(),
                fixture.lines.len() + 10,
            ))
            .await,
        "logs",
    );
    let messages: Vec<_> = all.iter().map(|l| l.message.clone()).collect();
    let want: Vec<_> = fixture.lines.iter().map(|l| l.message.clone()).collect();
    assert_eq!(messages, want, "conformance: every line, oldest first");
    assert!(
        all.windows(2).all(|w| w[0].timestamp <= w[1].timestamp),
        "conformance: lines are oldest first"
    );

    let last_two = ok(
        source.logs(&LogQuery::new(fixture.stream.clone(), 2)).await,
        "logs(limit 2)",
    );
    assert_eq!(
        last_two
            .iter()
            .map(|l| l.message.clone())
            .collect::<Vec<_>>(),
        want[want.len() - 2..].to_vec(),
        "conformance: a limit keeps the newest lines"
    );

    let since = fixture.lines[1].timestamp;
    let windowed = ok(
        source
            .logs(&LogQuery::new(fixture.stream.clone(), 100).with_window(Some(since), None))
            .await,
        "logs(since)",
    );
    assert!(
        windowed.iter().all(|l| l.timestamp >= since),
        "conformance: no line before the window's start"
    );
    assert_eq!(
        windowed.len(),
        fixture.lines.len() - 1,
        "conformance: every line inside the window"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::LogLevel;
    use crate::testkit::{
        InMemoryChat, InMemoryIncidentStore, InMemoryLogs, InMemoryPager, InMemoryPlatform,
        InMemoryStatusPage, InMemoryVariables, deployments_fixture,
    };

    #[tokio::test]
    async fn in_memory_incident_store_conforms() {
        incident_store(Arc::new(InMemoryIncidentStore::new())).await;
    }

    #[tokio::test]
    async fn in_memory_notifiers_conform() {
        let chat = InMemoryChat::new();
        chat_notifier(&chat, "#incident-response").await;
        assert_eq!(chat.messages().len(), 1);
        let p = InMemoryPager::new();
        pager(&p).await;
        assert!(p.open_pages().is_empty());
        let s = InMemoryStatusPage::new();
        status_page(&s).await;
        assert_eq!(s.updates().len(), 4);
    }

    #[tokio::test]
    async fn in_memory_platform_conforms() {
        let deployments = deployments_fixture(4, now());
        let platform = InMemoryPlatform::new("web", deployments.clone());
        let fixture = DeployFixture {
            rollback_to: deployments[2].id.clone(),
            deployments,
            unknown: DeploymentId::new("nope"),
        };
        deploy_platform(&platform, &fixture).await;
    }

    #[tokio::test]
    async fn in_memory_variables_conform() {
        let store = InMemoryVariables::new([
            ("DATABASE_URL", "postgres://h:6432/db"),
            ("NEXTAUTH_URL", "https://x"),
        ]);
        let fixture = VariableFixture {
            existing: vec![
                ("NEXTAUTH_URL".into(), "https://x".into()),
                ("DATABASE_URL".into(), "postgres://h:6432/db".into()),
            ],
            scratch: "IR_CONFORMANCE".into(),
        };
        variable_store(&store, &fixture).await;
    }

    #[tokio::test]
    async fn in_memory_logs_conform() {
        let logs = InMemoryLogs::new();
        let stream = LogStream::Deployment(DeploymentId::new("d-1"));
        let t0 = now();
        let lines: Vec<LogLine> = (0..4)
            .map(|i| {
                LogLine::new(
                    t0 + chrono::Duration::seconds(i),
                    Some(LogLevel::Info),
                    format!("line {i}"),
                )
            })
            .collect();
        for line in &lines {
            logs.push(stream.clone(), line.clone());
        }
        logs.push(
            LogStream::Build(DeploymentId::new("d-1")),
            LogLine::new(t0, None, "build line"),
        );
        log_source(&logs, &LogFixture { stream, lines }).await;
    }
}
