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
use crate::clock::Timestamp;
use crate::error::{ErrorKind, Result};
use crate::incident::{Event, EventKind};
use crate::model::Role;
use crate::model::{Action, ActionKind, Evidence, EvidenceId, EvidenceOutcome, Observation};
use crate::model::{
    Deployment, DeploymentId, FailedJob, HealthOutcome, LogLine, RunConclusion, SlowQueries,
    StatusPageStatus, TimeWindow, TrackedIssue, WorkflowRun,
};
use crate::model::{IncidentId, MessageKind};
use crate::ports::{
    ApprovalRequest, Approver, ChatMessage, ChatNotifier, CodeDeployment, CodeHost,
    DatabaseDiagnostics, Decision, DeployPlatform, ErrorTracker, HealthProbe, IncidentStore,
    LogQuery, LogSource, LogStream, NewIssue, Page, Pager, RevertRequest, RunQuery, SetOptions,
    StatusPage, StatusPageUpdate, TerminateRequest, VariableStore,
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

/// What a health probe under test can reach.
#[derive(Debug, Clone)]
pub struct HealthFixture {
    /// A path (starting with `/`) that answers `healthy_status`.
    pub healthy_path: String,
    /// A 2xx status.
    pub healthy_status: u16,
    /// A path (starting with `/`) that answers `failing_status`.
    pub failing_path: String,
    /// A 5xx status.
    pub failing_status: u16,
}

/// The `HealthProbe` contract: a 2xx answer is `Healthy` and a 5xx `Unhealthy`, both reports
/// (not errors) carrying the status, a measured latency (more than zero) and a URL ending with
/// the path; a path that would leave the configured base (`https://other.host/...`,
/// `//other.host/...`) is a `Config` error.
///
/// Whether a relative path without the leading `/` is joined onto the base or refused is left
/// to the implementation.
pub async fn health_probe(probe: &dyn HealthProbe, fixture: &HealthFixture) {
    assert!(
        (200..300).contains(&fixture.healthy_status)
            && (500..600).contains(&fixture.failing_status),
        "conformance: the health fixture needs a 2xx and a 5xx status"
    );
    let cases = [
        (
            &fixture.healthy_path,
            fixture.healthy_status,
            HealthOutcome::Healthy,
        ),
        (
            &fixture.failing_path,
            fixture.failing_status,
            HealthOutcome::Unhealthy,
        ),
    ];
    for (path, status, outcome) in cases {
        let report = ok(probe.check(path).await, "an answer is a report");
        assert_eq!(
            report.outcome, outcome,
            "conformance: HTTP {status} on {path} is {outcome:?}"
        );
        assert_eq!(
            report.is_healthy(),
            outcome == HealthOutcome::Healthy,
            "conformance: is_healthy agrees with the outcome"
        );
        assert_eq!(
            report.status,
            Some(status),
            "conformance: the report carries the status answered on {path}"
        );
        assert_eq!(
            Reachability::from(&report),
            Reachability::Status(status),
            "conformance: an answer is reachable"
        );
        assert!(
            report.url.ends_with(path.as_str()),
            "conformance: the report's URL {} ends with the path {path}",
            report.url
        );
        assert!(
            report.latency > Duration::ZERO,
            "conformance: the report measures the time to the answer"
        );
    }
    for path in [
        "https://elsewhere.invalid/health",
        "//elsewhere.invalid/health",
    ] {
        err_kind(
            probe.check(path).await,
            ErrorKind::Config,
            "a path that leaves the base",
        );
    }
}

/// The `DatabaseDiagnostics` contract, read-only against whatever the server holds:
///
/// - the connection status is consistent: reserved slots within `max_connections`, client
///   connections within `max_connections`, `headroom` and `utilisation` the arithmetic of the
///   two, groups largest first and together no more than the total;
/// - `terminate_idle` for an application name nobody uses finds nothing (dry run or not); a dry
///   run over every connection idle longer than a second says it is a dry run and lists only
///   `idle` connections past the threshold;
/// - `slow_queries(5)` answers (any variant), at most five, slowest mean time first;
/// - `pool_status` and the PgBouncer calls answer or are `Unsupported`, and what they answer is
///   consistent.
///
/// Terminates nothing, so it can run against a shared server.
pub async fn database_diagnostics(db: &dyn DatabaseDiagnostics) {
    let status = ok(db.connection_status().await, "connection_status");
    let total = status.counts.total();
    assert!(
        status.reserved_connections <= status.max_connections,
        "conformance: reserved connections ({}) within max_connections ({})",
        status.reserved_connections,
        status.max_connections
    );
    assert!(
        total <= status.max_connections,
        "conformance: client connections ({total}) within max_connections ({})",
        status.max_connections
    );
    assert_eq!(
        status.headroom(),
        status
            .max_connections
            .saturating_sub(status.reserved_connections)
            .saturating_sub(total),
        "conformance: headroom is max - reserved - in use"
    );
    assert!(
        status.utilisation() >= 0.0,
        "conformance: utilisation is not negative"
    );
    let grouped: u32 = status.groups.iter().map(|g| g.counts.total()).sum();
    assert!(
        grouped <= total,
        "conformance: groups ({grouped}) hold no more connections than the total ({total})"
    );
    assert!(
        status
            .groups
            .windows(2)
            .all(|w| w[0].counts.total() >= w[1].counts.total()),
        "conformance: groups are largest first"
    );
    assert!(
        status.counts.idle > 0 || status.oldest_idle.is_none(),
        "conformance: no oldest idle connection without idle connections"
    );
    assert!(
        status.counts.idle_in_transaction > 0 || status.oldest_idle_in_transaction.is_none(),
        "conformance: no oldest idle-in-transaction connection without one"
    );

    let nobody = unique("ir-conformance-nobody");
    for dry_run in [true, false] {
        let request = TerminateRequest {
            older_than: Duration::from_secs(3600),
            application_name: Some(nobody.clone()),
            user: None,
            dry_run,
        };
        let report = ok(db.terminate_idle(&request).await, "terminate_idle");
        assert_eq!(
            report.dry_run, dry_run,
            "conformance: the report says whether it was a dry run"
        );
        assert!(
            report.terminated.is_empty() && report.refused.is_empty(),
            "conformance: nothing matches an application name nobody uses: {report:?}"
        );
    }
    let broad = TerminateRequest {
        dry_run: true,
        ..TerminateRequest::idle_longer_than(Duration::from_secs(1))
    };
    let report = ok(db.terminate_idle(&broad).await, "terminate_idle (dry run)");
    assert!(
        report.dry_run,
        "conformance: a dry run reports itself as one"
    );
    for backend in report
        .terminated
        .iter()
        .chain(report.refused.iter().map(|(b, _)| b))
    {
        assert_eq!(
            backend.state, "idle",
            "conformance: only idle connections match: {backend:?}"
        );
        assert!(
            backend.idle_for >= broad.older_than,
            "conformance: only connections idle past the threshold match: {backend:?}"
        );
    }

    match ok(db.slow_queries(5).await, "slow_queries") {
        SlowQueries::Available(queries) => {
            assert!(
                queries.len() <= 5,
                "conformance: slow_queries honours the limit"
            );
            assert!(
                queries.windows(2).all(|w| w[0].mean_time >= w[1].mean_time),
                "conformance: slow queries are slowest first"
            );
        }
        SlowQueries::ExtensionMissing | SlowQueries::NotPreloaded => {}
    }

    match db.pool_status().await {
        Ok(pool) => {
            assert!(
                pool.idle <= pool.size,
                "conformance: a pool's idle connections are among its open ones: {pool:?}"
            );
            assert!(
                pool.max == 0 || pool.size <= pool.max,
                "conformance: a pool holds no more than its maximum: {pool:?}"
            );
        }
        Err(e) => assert_eq!(
            e.kind(),
            ErrorKind::Unsupported,
            "conformance: pool_status answers or is Unsupported: {e}"
        ),
    }
    let pools = db.pgbouncer_pools().await;
    let stats = db.pgbouncer_stats().await;
    for (what, result) in [
        ("pgbouncer_pools", pools.as_ref().map(|_| ())),
        ("pgbouncer_stats", stats.as_ref().map(|_| ())),
    ] {
        if let Err(e) = result {
            assert_eq!(
                e.kind(),
                ErrorKind::Unsupported,
                "conformance: {what} answers or is Unsupported: {e}"
            );
        }
    }
    assert_eq!(
        pools.is_ok(),
        stats.is_ok(),
        "conformance: SHOW POOLS and SHOW STATS are both supported or neither"
    );
    if let (Ok(pools), Ok(stats)) = (pools, stats) {
        assert!(
            pools.iter().all(|p| !p.database.is_empty())
                && stats.iter().all(|s| !s.database.is_empty()),
            "conformance: every PgBouncer row names its database"
        );
    }
}

/// What an error tracker under test holds.
#[derive(Debug, Clone)]
pub struct ErrorTrackerFixture {
    /// Every issue the backend holds: at least two first seen inside `window` and one first seen
    /// before it.
    pub issues: Vec<TrackedIssue>,
    /// Every error event the backend holds. Events outside `window` are at least `interval`
    /// away from it, so counts do not depend on how the tracker aligns its buckets.
    pub events: Vec<Timestamp>,
    /// The window the suite asks about.
    pub window: TimeWindow,
    /// A bucket interval the tracker resolves, shorter than the window.
    pub interval: Duration,
}

/// The `ErrorTracker` contract: `new_issues` is exactly the issues first seen in the window,
/// newest first; `top_issues` holds every issue last seen in the window and nothing without
/// events there, most frequent first, within the limit; `error_counts` buckets are oldest
/// first, one interval apart, cover the window and count every event; a zero interval is
/// `InvalidInput`.
pub async fn error_tracker(tracker: &dyn ErrorTracker, fixture: &ErrorTrackerFixture) {
    let window = fixture.window;
    let inside = |t: Timestamp| window.start <= t && t < window.end;
    let mut want_new: Vec<&str> = fixture
        .issues
        .iter()
        .filter(|i| inside(i.first_seen))
        .map(|i| i.id.as_str())
        .collect();
    assert!(
        want_new.len() >= 2 && fixture.issues.iter().any(|i| i.first_seen < window.start),
        "conformance: the fixture needs two issues first seen in the window and one before it"
    );
    let interval = crate::clock::to_chrono(fixture.interval);
    assert!(
        fixture.interval > Duration::ZERO && window.start + interval < window.end,
        "conformance: the fixture's interval is shorter than its window"
    );

    let new = ok(tracker.new_issues(window).await, "new_issues");
    assert!(
        new.windows(2).all(|w| w[0].first_seen >= w[1].first_seen),
        "conformance: new issues are newest first"
    );
    let mut got_new: Vec<&str> = new.iter().map(|i| i.id.as_str()).collect();
    got_new.sort_unstable();
    want_new.sort_unstable();
    assert_eq!(
        got_new, want_new,
        "conformance: new_issues is every issue first seen in the window, and only those"
    );

    let top = ok(
        tracker.top_issues(window, fixture.issues.len() + 5).await,
        "top_issues",
    );
    assert!(
        top.windows(2).all(|w| w[0].count >= w[1].count),
        "conformance: top issues are most frequent first"
    );
    for issue in &top {
        assert!(
            issue.last_seen >= window.start && issue.first_seen < window.end,
            "conformance: a top issue had events in the window: {} ({} .. {})",
            issue.id,
            issue.first_seen,
            issue.last_seen
        );
    }
    for issue in fixture.issues.iter().filter(|i| inside(i.last_seen)) {
        assert!(
            top.iter().any(|t| t.id == issue.id),
            "conformance: an issue last seen in the window is a top issue: {}",
            issue.id
        );
    }
    let mut ids: Vec<&str> = top.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        top.len(),
        "conformance: no issue is listed twice"
    );
    let one = ok(tracker.top_issues(window, 1).await, "top_issues(1)");
    assert_eq!(one.len(), 1, "conformance: top_issues honours the limit");
    assert_eq!(
        one[0].count, top[0].count,
        "conformance: the limit keeps the most frequent issue"
    );

    let buckets = ok(
        tracker.error_counts(window, fixture.interval).await,
        "error_counts",
    );
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        panic!("conformance: error_counts over a window holds buckets");
    };
    assert!(
        buckets
            .windows(2)
            .all(|w| w[1].start - w[0].start == interval),
        "conformance: buckets are oldest first, one interval apart"
    );
    assert!(
        first.start <= window.start && window.start < first.start + interval,
        "conformance: the first bucket holds the window's start"
    );
    assert!(
        last.start < window.end && window.end <= last.start + interval,
        "conformance: the last bucket holds the window's end"
    );
    for bucket in &buckets {
        let want = fixture
            .events
            .iter()
            .filter(|&&t| bucket.start <= t && t < bucket.start + interval)
            .count() as u64;
        assert_eq!(
            bucket.count, want,
            "conformance: the bucket at {} counts its events",
            bucket.start
        );
    }
    err_kind(
        tracker.error_counts(window, Duration::ZERO).await,
        ErrorKind::InvalidInput,
        "error_counts with a zero interval",
    );
}

/// What a code host under test holds.
#[derive(Debug, Clone)]
pub struct CodeHostFixture {
    /// Every deployment the repository records, newest first (at least one).
    pub deployments: Vec<CodeDeployment>,
    /// A workflow file with runs (e.g. `cd-production.yml`).
    pub workflow: String,
    /// Every run of `workflow`, newest first: at least one failed, one not, and one with a
    /// head branch.
    pub runs: Vec<WorkflowRun>,
    /// A failed run of `workflow`.
    pub failed_run: u64,
    /// Its failed jobs, as the host reports them.
    pub failed_jobs: Vec<FailedJob>,
    /// A run id the host does not hold.
    pub unknown_run: u64,
    /// A revert the host can make.
    pub revert: RevertRequest,
}

/// The `CodeHost` contract: deployments and runs newest first within the limit, runs filtered
/// by failure and branch, a failed run's jobs, `NotFound` for an unknown run or workflow; issues
/// filed get distinct growing numbers and a link, a revert opens a pull request from a branch
/// of its own.
///
/// Files two issues and opens one pull request.
pub async fn code_host(host: &dyn CodeHost, fixture: &CodeHostFixture) {
    let want: Vec<u64> = fixture.deployments.iter().map(|d| d.id).collect();
    let all = ok(
        host.deployments(fixture.deployments.len() + 5).await,
        "deployments",
    );
    assert_eq!(
        all.iter().map(|d| d.id).collect::<Vec<_>>(),
        want,
        "conformance: deployments returns every deployment, newest first"
    );
    assert!(
        all.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "conformance: deployments are newest first"
    );
    let one = ok(host.deployments(1).await, "deployments(1)");
    assert_eq!(
        one.iter().map(|d| d.id).collect::<Vec<_>>(),
        want[..1.min(want.len())].to_vec(),
        "conformance: deployments(1) is the newest"
    );

    let query = |limit: usize| RunQuery {
        workflow: Some(fixture.workflow.clone()),
        limit,
        ..RunQuery::default()
    };
    let ids = |runs: &[WorkflowRun]| runs.iter().map(|r| r.id).collect::<Vec<_>>();
    let every = fixture.runs.len() + 5;
    let runs = ok(host.workflow_runs(&query(every)).await, "workflow_runs");
    assert_eq!(
        ids(&runs),
        ids(&fixture.runs),
        "conformance: workflow_runs returns every run of the workflow, newest first"
    );
    assert!(
        runs.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "conformance: runs are newest first"
    );
    let newest = ok(host.workflow_runs(&query(1)).await, "workflow_runs(1)");
    assert_eq!(
        ids(&newest),
        ids(&fixture.runs[..1.min(fixture.runs.len())]),
        "conformance: a limit keeps the newest runs"
    );

    let failed = ok(
        host.workflow_runs(&RunQuery {
            failed_only: true,
            ..query(every)
        })
        .await,
        "workflow_runs(failed_only)",
    );
    let want_failed: Vec<WorkflowRun> = fixture
        .runs
        .iter()
        .filter(|r| r.conclusion.as_ref().is_some_and(RunConclusion::is_failure))
        .cloned()
        .collect();
    assert!(
        !want_failed.is_empty() && want_failed.len() < fixture.runs.len(),
        "conformance: the fixture needs failed and other runs"
    );
    assert_eq!(
        ids(&failed),
        ids(&want_failed),
        "conformance: failed_only keeps exactly the failed runs"
    );

    let Some(branch) = fixture.runs.iter().find_map(|r| r.head_branch.clone()) else {
        panic!("conformance: the fixture needs a run with a head branch");
    };
    let on_branch = ok(
        host.workflow_runs(&RunQuery {
            branch: Some(branch.clone()),
            ..query(every)
        })
        .await,
        "workflow_runs(branch)",
    );
    let want_branch: Vec<WorkflowRun> = fixture
        .runs
        .iter()
        .filter(|r| r.head_branch.as_deref() == Some(branch.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        ids(&on_branch),
        ids(&want_branch),
        "conformance: a branch filter keeps exactly that branch's runs"
    );
    err_kind(
        host.workflow_runs(&RunQuery {
            workflow: Some(format!("{}.yml", unique("conformance-missing"))),
            limit: 5,
            ..RunQuery::default()
        })
        .await,
        ErrorKind::NotFound,
        "workflow_runs of an unknown workflow",
    );

    let jobs = ok(host.failed_jobs(fixture.failed_run).await, "failed_jobs");
    assert_eq!(
        jobs, fixture.failed_jobs,
        "conformance: failed_jobs returns the run's failed jobs with their step and log"
    );
    err_kind(
        host.failed_jobs(fixture.unknown_run).await,
        ErrorKind::NotFound,
        "failed_jobs of an unknown run",
    );

    let issue = |n: u32| NewIssue {
        title: format!("Postmortem: dashboard errors ({n})"),
        body: "## Summary\n\n🚨 P1 — «dashboard» returned 500s".into(),
        labels: vec!["incident".into(), "postmortem".into()],
        assignees: Vec::new(),
    };
    let first = ok(host.create_issue(&issue(1)).await, "create_issue");
    let second = ok(host.create_issue(&issue(2)).await, "create_issue");
    assert!(
        first.number > 0 && second.number > first.number,
        "conformance: issues get growing numbers ({} then {})",
        first.number,
        second.number
    );
    assert!(
        !first.url.is_empty() && first.url != second.url,
        "conformance: each issue has a link of its own"
    );

    let pr = ok(host.open_revert_pr(&fixture.revert).await, "open_revert_pr");
    assert!(pr.number > 0, "conformance: a pull request has a number");
    assert!(!pr.url.is_empty(), "conformance: a pull request has a link");
    assert!(
        !pr.head_branch.is_empty() && pr.head_branch != fixture.revert.base,
        "conformance: a revert comes from a branch of its own, not {}",
        fixture.revert.base
    );
}

/// The `Approver` contract: a request gets a decision, signed by someone, and a rejection says
/// why.
pub async fn approver(approver: &dyn Approver) {
    let request = ApprovalRequest {
        incident: IncidentId::random(),
        severity: Severity::P1,
        action: Action::new(
            "rollback-d-41",
            ActionKind::Rollback {
                to: DeploymentId::new("d-41"),
                from: Some(DeploymentId::new("d-42")),
            },
        ),
        rationale: "errors began with deployment d-42".into(),
    };
    match ok(approver.decide(&request).await, "decide") {
        Decision::Approved { by } => assert!(
            !by.trim().is_empty(),
            "conformance: an approval names who approved"
        ),
        Decision::Rejected { by, reason } => assert!(
            !by.trim().is_empty() && !reason.trim().is_empty(),
            "conformance: a rejection names who rejected and why"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ConnectionGroup, ConnectionStatus, LogLevel, PgBouncerPool, PoolStatus, SlowQuery,
        StateCounts,
    };
    use crate::ports::{AutoApprove, CallbackApprover, DenyAll, PgBouncerStats};
    use crate::testkit::{
        InMemoryChat, InMemoryCodeHost, InMemoryDatabase, InMemoryErrorTracker,
        InMemoryIncidentStore, InMemoryLogs, InMemoryPager, InMemoryPlatform, InMemoryStatusPage,
        InMemoryVariables, MemoryBackend, ScriptedHealthProbe, deployments_fixture,
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

    #[tokio::test]
    async fn scripted_health_probe_conforms() {
        let probe = ScriptedHealthProbe::new("https://www.example.com");
        probe.set("/health", (200, "ok"));
        probe.set("/api/auth/session", (503, "Service Unavailable"));
        let fixture = HealthFixture {
            healthy_path: "/health".into(),
            healthy_status: 200,
            failing_path: "/api/auth/session".into(),
            failing_status: 503,
        };
        health_probe(&probe, &fixture).await;
        assert_eq!(probe.checks(), ["/health", "/api/auth/session"]);
    }

    fn database() -> InMemoryDatabase {
        let mut status = ConnectionStatus::new(100, 3);
        status.counts = StateCounts {
            active: 4,
            idle: 30,
            idle_in_transaction: 1,
            ..StateCounts::default()
        };
        status.oldest_idle = Some(Duration::from_secs(2 * 3600));
        status.oldest_idle_in_transaction = Some(Duration::from_secs(90));
        status.groups = vec![
            ConnectionGroup {
                application_name: "web".into(),
                user: Some("app".into()),
                counts: StateCounts {
                    active: 4,
                    idle: 28,
                    idle_in_transaction: 1,
                    ..StateCounts::default()
                },
            },
            ConnectionGroup {
                application_name: "psql".into(),
                user: Some("postgres".into()),
                counts: StateCounts {
                    idle: 2,
                    ..StateCounts::default()
                },
            },
        ];
        let db = InMemoryDatabase::new(status);
        let hour = Duration::from_secs(3600);
        db.add_backend(MemoryBackend::idle(101, "app", "web", 2 * hour));
        db.add_backend(MemoryBackend::idle(
            102,
            "app",
            "web",
            Duration::from_secs(5),
        ));
        db.add_backend(MemoryBackend::idle(103, "postgres", "psql", hour).superuser());
        db.add_backend(MemoryBackend::idle(104, "replicator", "walsender", hour).not_client());
        db.add_backend(MemoryBackend::idle(105, "app", "web", hour).in_state("active"));
        db
    }

    #[tokio::test]
    async fn in_memory_database_conforms_and_keeps_its_backends() {
        let db = database();
        database_diagnostics(&db).await;
        assert_eq!(
            db.backends().len(),
            5,
            "the suite's terminations touch nothing"
        );

        db.set_pool(Some(PoolStatus {
            size: 10,
            idle: 0,
            max: 10,
        }));
        db.set_pgbouncer(Some((
            vec![PgBouncerPool::new("web", "app")],
            vec![PgBouncerStats::new("web")],
        )));
        let query = |ms: u64| SlowQuery {
            query: format!("SELECT pg_sleep({ms})"),
            calls: 1,
            total_time: Duration::from_millis(ms),
            mean_time: Duration::from_millis(ms),
            rows: 1,
        };
        db.set_slow_queries(SlowQueries::Available(
            (0..8).rev().map(|i| query(100 * i)).collect(),
        ));
        database_diagnostics(&db).await;
        db.set_slow_queries(SlowQueries::ExtensionMissing);
        database_diagnostics(&db).await;
    }

    #[tokio::test]
    async fn in_memory_database_terminates_as_the_port_says() {
        let db = database();
        let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(60));
        request.dry_run = true;
        let dry = db.terminate_idle(&request).await.unwrap();
        assert_eq!(db.backends().len(), 5, "a dry run terminates nothing");

        request.dry_run = false;
        let report = db.terminate_idle(&request).await.unwrap();
        assert_eq!(report.terminated, dry.terminated);
        let pids = |r: &crate::ports::TerminationReport| -> Vec<i32> {
            r.terminated.iter().map(|b| b.pid).collect()
        };
        assert_eq!(
            pids(&report),
            [101],
            "only the idle client past the threshold"
        );
        let refused: Vec<_> = report
            .refused
            .iter()
            .map(|(b, r)| (b.pid, r.clone()))
            .collect();
        assert_eq!(
            refused,
            [
                (103, crate::ports::RefusalReason::Superuser),
                (104, crate::ports::RefusalReason::NotClientBackend),
            ]
        );
        let left: Vec<i32> = db.backends().iter().map(|b| b.info.pid).collect();
        assert_eq!(left, [102, 103, 104, 105]);
        let status = db.connection_status().await.unwrap();
        assert_eq!(status.counts.idle, 29);
        assert_eq!(status.groups[0].counts.idle, 27);

        request.application_name = Some("psql".into());
        let report = db.terminate_idle(&request).await.unwrap();
        assert!(report.terminated.is_empty());
        assert_eq!(report.refused.len(), 1, "the superuser's psql, refused");
        database_diagnostics(&db).await;
    }

    fn minutes(m: i64) -> chrono::Duration {
        chrono::Duration::minutes(m)
    }

    fn tracker_fixture() -> (InMemoryErrorTracker, ErrorTrackerFixture) {
        let end = now();
        let window = TimeWindow::ending_at(end, Duration::from_secs(60 * 60));
        let issue = |id: &str, count, first: i64, last: i64| {
            TrackedIssue::new(
                id,
                format!("TypeError in {id}"),
                count,
                end - minutes(first),
                end - minutes(last),
            )
        };
        let issues = vec![
            issue("old-busy", 900, 300, 10),
            issue("new-rare", 3, 20, 5),
            issue("new-busy", 120, 50, 1),
            issue("old-quiet", 7, 400, 200),
            issue("spanning", 40, 120, 120),
        ];
        let mut events: Vec<Timestamp> = [59, 58, 45, 44, 43, 30, 12, 1]
            .iter()
            .map(|&m| end - minutes(m))
            .collect();
        events.extend([end - minutes(80), end + minutes(20)]);
        let tracker = InMemoryErrorTracker::new();
        for i in &issues {
            tracker.add_issue(i.clone());
        }
        tracker.record_events(events.clone());
        let fixture = ErrorTrackerFixture {
            issues,
            events,
            window,
            interval: Duration::from_secs(15 * 60),
        };
        (tracker, fixture)
    }

    #[tokio::test]
    async fn in_memory_error_tracker_conforms() {
        let (tracker, fixture) = tracker_fixture();
        error_tracker(&tracker, &fixture).await;
        let top = tracker.top_issues(fixture.window, 10).await.unwrap();
        let ids: Vec<_> = top.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["old-busy", "new-busy", "new-rare"]);
        let counts: Vec<u64> = tracker
            .error_counts(fixture.window, fixture.interval)
            .await
            .unwrap()
            .iter()
            .map(|b| b.count)
            .collect();
        assert_eq!(counts, [2, 3, 1, 2]);
    }

    fn code_fixture() -> (InMemoryCodeHost, CodeHostFixture) {
        let t0 = now();
        let host = InMemoryCodeHost::new("acme/web");
        let deployments: Vec<CodeDeployment> = (1..=3)
            .rev()
            .map(|i| {
                CodeDeployment::new(
                    i,
                    format!("{:040x}", i * 0xabc),
                    "main",
                    "production",
                    t0 - minutes(10 * (3 - i as i64)),
                )
            })
            .collect();
        for d in &deployments {
            host.add_deployment(d.clone());
        }
        let run = |id: u64, conclusion: RunConclusion, branch: &str| {
            let mut run = WorkflowRun::new(
                id,
                "CD production",
                format!("{id:040x}"),
                "completed",
                Some(conclusion),
                t0 - minutes(100 - id as i64),
            );
            run.head_branch = Some(branch.into());
            run
        };
        let runs = vec![
            run(40, RunConclusion::Failure, "main"),
            run(30, RunConclusion::Success, "release"),
            run(20, RunConclusion::TimedOut, "main"),
            run(10, RunConclusion::Success, "main"),
        ];
        let jobs = vec![
            FailedJob::new(401, "migrate")
                .with_step(4, "Run migrations")
                .with_log_excerpt("error: relation \"users\" already exists"),
            FailedJob::new(402, "smoke"),
        ];
        for r in &runs {
            let failed = if r.id == 40 { jobs.clone() } else { Vec::new() };
            host.add_run("cd-production.yml", r.clone(), failed);
        }
        host.add_run(
            "ci.yml",
            run(35, RunConclusion::Failure, "main"),
            Vec::new(),
        );
        let fixture = CodeHostFixture {
            deployments,
            workflow: "cd-production.yml".into(),
            runs,
            failed_run: 40,
            failed_jobs: jobs,
            unknown_run: 999,
            revert: RevertRequest {
                commit_sha: format!("{:040x}", 40),
                base: "main".into(),
                title: "Revert \"change 40\"".into(),
                body: "Reverts the change behind the incident.".into(),
            },
        };
        (host, fixture)
    }

    #[tokio::test]
    async fn in_memory_code_host_conforms() {
        let (host, fixture) = code_fixture();
        code_host(&host, &fixture).await;
        let issues = host.issues();
        assert_eq!(
            issues
                .iter()
                .map(|i| (i.reference.number, i.reference.url.as_str()))
                .collect::<Vec<_>>(),
            [
                (1, "memory://acme/web/issues/1"),
                (2, "memory://acme/web/issues/2")
            ]
        );
        let reverts = host.reverts();
        assert_eq!(reverts.len(), 1);
        assert_eq!(reverts[0].pull_request.number, 3);
        assert_eq!(reverts[0].pull_request.head_branch, "revert-0000000");
        assert_eq!(reverts[0].request, fixture.revert);
    }

    #[tokio::test]
    async fn in_memory_code_host_refuses_issues_when_disabled() {
        let (host, _) = code_fixture();
        host.set_issues_enabled(false);
        let issue = NewIssue {
            title: "t".into(),
            body: String::new(),
            labels: Vec::new(),
            assignees: Vec::new(),
        };
        err_kind(
            host.create_issue(&issue).await,
            ErrorKind::Unsupported,
            "issues disabled",
        );
        assert!(host.issues().is_empty());
    }

    #[tokio::test]
    async fn built_in_approvers_conform() {
        approver(&AutoApprove::new("alice")).await;
        approver(&DenyAll).await;
        approver(&CallbackApprover::new(|request| Decision::Rejected {
            by: "rule".into(),
            reason: format!("{} needs a person", request.action.kind.describe()),
        }))
        .await;
        approver(&CallbackApprover::new(|_| Decision::Approved {
            by: "bob".into(),
        }))
        .await;
    }

    // The suites catch broken implementations: each wrapper below breaks one rule.

    /// Lists new issues oldest first.
    #[derive(Debug)]
    struct OldestFirst(InMemoryErrorTracker);

    #[async_trait::async_trait]
    impl ErrorTracker for OldestFirst {
        async fn new_issues(&self, window: TimeWindow) -> Result<Vec<TrackedIssue>> {
            let mut issues = self.0.new_issues(window).await?;
            issues.reverse();
            Ok(issues)
        }
        async fn top_issues(&self, window: TimeWindow, limit: usize) -> Result<Vec<TrackedIssue>> {
            self.0.top_issues(window, limit).await
        }
        async fn error_counts(
            &self,
            window: TimeWindow,
            interval: Duration,
        ) -> Result<Vec<crate::model::ErrorBucket>> {
            self.0.error_counts(window, interval).await
        }
    }

    #[tokio::test]
    #[should_panic(expected = "conformance: new issues are newest first")]
    async fn error_tracker_suite_catches_a_wrong_order() {
        let (tracker, fixture) = tracker_fixture();
        error_tracker(&OldestFirst(tracker), &fixture).await;
    }

    /// Answers an unknown run with no jobs instead of `NotFound`.
    #[derive(Debug)]
    struct Lenient(InMemoryCodeHost);

    #[async_trait::async_trait]
    impl CodeHost for Lenient {
        async fn deployments(&self, limit: usize) -> Result<Vec<CodeDeployment>> {
            self.0.deployments(limit).await
        }
        async fn workflow_runs(&self, query: &RunQuery) -> Result<Vec<WorkflowRun>> {
            self.0.workflow_runs(query).await
        }
        async fn failed_jobs(&self, run_id: u64) -> Result<Vec<FailedJob>> {
            Ok(self.0.failed_jobs(run_id).await.unwrap_or_default())
        }
        async fn create_issue(&self, issue: &NewIssue) -> Result<crate::ports::IssueRef> {
            self.0.create_issue(issue).await
        }
        async fn open_revert_pr(
            &self,
            request: &RevertRequest,
        ) -> Result<crate::ports::PullRequestRef> {
            self.0.open_revert_pr(request).await
        }
    }

    #[tokio::test]
    #[should_panic(expected = "conformance: failed_jobs of an unknown run")]
    async fn code_host_suite_catches_a_missing_not_found() {
        let (host, fixture) = code_fixture();
        code_host(&Lenient(host), &fixture).await;
    }

    /// Terminates even on a dry run.
    #[derive(Debug)]
    struct IgnoresDryRun(InMemoryDatabase);

    #[async_trait::async_trait]
    impl DatabaseDiagnostics for IgnoresDryRun {
        async fn connection_status(&self) -> Result<ConnectionStatus> {
            self.0.connection_status().await
        }
        async fn pool_status(&self) -> Result<PoolStatus> {
            self.0.pool_status().await
        }
        async fn pgbouncer_pools(&self) -> Result<Vec<PgBouncerPool>> {
            self.0.pgbouncer_pools().await
        }
        async fn pgbouncer_stats(&self) -> Result<Vec<PgBouncerStats>> {
            self.0.pgbouncer_stats().await
        }
        async fn terminate_idle(
            &self,
            request: &TerminateRequest,
        ) -> Result<crate::ports::TerminationReport> {
            let real = TerminateRequest {
                dry_run: false,
                ..request.clone()
            };
            self.0.terminate_idle(&real).await
        }
        async fn slow_queries(&self, limit: usize) -> Result<SlowQueries> {
            self.0.slow_queries(limit).await
        }
    }

    #[tokio::test]
    #[should_panic(expected = "conformance: the report says whether it was a dry run")]
    async fn database_suite_catches_a_dry_run_that_terminates() {
        database_diagnostics(&IgnoresDryRun(database())).await;
    }

    #[tokio::test]
    #[should_panic(expected = "conformance: a path that leaves the base")]
    async fn health_suite_catches_a_probe_that_follows_other_hosts() {
        /// Accepts any path, as a probe that joins blindly would.
        #[derive(Debug)]
        struct Blind;

        #[async_trait::async_trait]
        impl HealthProbe for Blind {
            async fn check(&self, path: &str) -> Result<crate::model::HealthReport> {
                let status = if path.contains("session") { 503 } else { 200 };
                Ok(crate::model::HealthReport::answered(
                    format!("https://www.example.com{path}"),
                    status,
                    Duration::from_millis(5),
                    "",
                ))
            }
        }
        let fixture = HealthFixture {
            healthy_path: "/health".into(),
            healthy_status: 200,
            failing_path: "/api/auth/session".into(),
            failing_status: 503,
        };
        health_probe(&Blind, &fixture).await;
    }
}
