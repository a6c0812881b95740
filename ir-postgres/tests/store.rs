//! `PgIncidentStore` on the real server: races between replicas, a crashed lease holder,
//! corrupted rows, and migrations applied by replicas starting together.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use ir_core::ErrorKind;
use ir_core::SeverityPolicy;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::incident::{Event, EventKind};
use ir_core::model::IdempotencyKey;
use ir_core::ports::IncidentStore;
use sqlx::Executor;

fn detected() -> Event {
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    Event::new(
        chrono::Utc::now(),
        "health-watcher",
        EventKind::detected(
            "Site down",
            "web",
            classify(&signals, &SeverityPolicy::runbook()),
            None,
        ),
    )
}

fn note(actor: &str, text: &str) -> Event {
    Event::new(chrono::Utc::now(), actor, EventKind::note(text))
}

/// 16 replicas (each its own store and pool) open one dedup key at once: one incident.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_replicas_opening_one_key_make_one_incident() {
    let schema = common::unique("ir_test");
    let first = common::store_in(&schema, "ir-open-race").await;
    let replicas: Vec<_> =
        join_all((0..16).map(|_| common::store_in(&schema, "ir-open-race"))).await;
    let key = common::unique("health:www");

    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let tasks = replicas.into_iter().map(|store| {
        let key = key.clone();
        let barrier = Arc::clone(&barrier);
        tokio::spawn(async move {
            barrier.wait().await;
            store.open(&key, detected()).await
        })
    });
    let opened: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();

    assert_eq!(opened.iter().filter(|o| o.created).count(), 1);
    assert!(opened.iter().all(|o| o.id == opened[0].id));
    let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {schema}.incidents WHERE dedup_key = $1"
    )))
    .bind(&key)
    .fetch_one(&mut common::admin().await)
    .await
    .unwrap();
    assert_eq!(rows, 1, "exactly one incident row for the key");
    assert_eq!(first.load(opened[0].id).await.unwrap().version(), 1);
    common::drop_schema(&schema).await;
}

/// 16 writers append at the version they all saw: one wins, 15 get Conflict, nothing is lost
/// or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_writers_at_one_version_one_wins() {
    let schema = common::unique("ir_test");
    let store = Arc::new(common::store_in(&schema, "ir-append-race").await);
    let id = store
        .open(&common::unique("k"), detected())
        .await
        .unwrap()
        .id;

    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let tasks = (0..16).map(|i| {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        tokio::spawn(async move {
            barrier.wait().await;
            store
                .append(
                    id,
                    1,
                    vec![note(&format!("writer-{i}"), "a"), note("x", "b")],
                )
                .await
        })
    });
    let results: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();

    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners, [&3], "exactly one append succeeds, at version 3");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
        assert_eq!(err.provider(), Some("postgres"));
        assert_eq!(err.operation(), Some("append"));
        // Each loser waited on the winner's row lock and read the version it left.
        assert_eq!(err.current_version(), Some(3), "{err:?}");
    }
    assert_eq!(
        store.load_since(id, 1).await.unwrap().len(),
        2,
        "a loser fetches only the winner's two events"
    );
    let loaded = store.load(id).await.unwrap();
    assert_eq!(loaded.version(), 3);
    assert_eq!(
        loaded.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    common::drop_schema(&schema).await;
}

/// A writer that queued behind another's uncommitted append (the row lock) learns the version
/// that writer committed, not the one its own statement's snapshot saw.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_queued_behind_the_winner_learns_the_winners_version() {
    let schema = common::unique("ir_test");
    let store = common::store_in(&schema, "ir-queued").await;
    let id = store
        .open(&common::unique("k"), detected())
        .await
        .unwrap()
        .id;
    // Another replica's append, left uncommitted: it holds the incident's row lock.
    let mut winner = common::admin().await;
    winner.execute("BEGIN").await.unwrap();
    winner
        .execute(sqlx::AssertSqlSafe(format!(
            "UPDATE {schema}.incidents SET version = 3 WHERE id = '{id}';
             INSERT INTO {schema}.incident_events (incident_id, seq, at, actor, kind, event)
             SELECT incident_id, s, at, actor, kind, event
               FROM {schema}.incident_events, generate_series(2, 3) AS s
              WHERE incident_id = '{id}' AND seq = 1"
        )))
        .await
        .unwrap();
    let queued = tokio::spawn({
        let store = store.clone();
        async move { store.append(id, 1, vec![note("late", "queued")]).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!queued.is_finished(), "the append waits for the row lock");
    winner.execute("COMMIT").await.unwrap();

    let err = queued.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(err.current_version(), Some(3), "{err:?}");
    assert_eq!(store.load_since(id, 1).await.unwrap().len(), 2);
    assert_eq!(
        store.load(id).await.unwrap().version(),
        3,
        "the loser wrote nothing"
    );
    common::drop_schema(&schema).await;
}

/// 8 replicas race for one action's lease: exactly one may run it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_replicas_racing_for_a_lease_one_runs_the_action() {
    let schema = common::unique("ir_test");
    let replicas: Vec<_> =
        join_all((0..8).map(|_| common::store_in(&schema, "ir-lease-race"))).await;
    let key = common::unique("rollback");
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks = replicas.into_iter().enumerate().map(|(i, store)| {
        let key = key.clone();
        let barrier = Arc::clone(&barrier);
        let runs = Arc::clone(&runs);
        tokio::spawn(async move {
            barrier.wait().await;
            let lease = store
                .acquire_lease(&key, &format!("replica-{i}"), Duration::from_secs(30))
                .await
                .unwrap();
            if lease.is_some() {
                runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            lease
        })
    });
    let leases: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();

    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    let lease = leases.into_iter().flatten().next().unwrap();
    assert_eq!(lease.key, key);
    assert_eq!(lease.token, 1);
    assert!(lease.expires_at > chrono::Utc::now() + chrono::Duration::seconds(25));
    common::drop_schema(&schema).await;
}

/// A lease shorter than `MIN_LEASE_TTL` (zero included) would have lapsed by the time it is
/// read, letting a second replica take it too: it is refused and nothing is granted.
#[tokio::test]
async fn a_lease_too_short_to_hold_is_refused() {
    let schema = common::unique("ir_test");
    let store = common::store_in(&schema, "ir-lease-ttl").await;
    let key = common::unique("rollback");
    for ttl in [
        Duration::ZERO,
        Duration::from_millis(1),
        ir_postgres::MIN_LEASE_TTL - Duration::from_millis(1),
    ] {
        let err = store
            .acquire_lease(&key, "replica-a", ttl)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{ttl:?}: {err}");
        assert_eq!(err.operation(), Some("acquire_lease"));
    }
    // Nothing was granted: another replica gets the lease, and a second one does not.
    let lease = store
        .acquire_lease(&key, "replica-b", Duration::from_secs(5))
        .await
        .unwrap()
        .expect("the lease is free");
    assert_eq!(lease.holder, "replica-b");
    assert!(
        store
            .acquire_lease(&key, "replica-c", Duration::from_secs(5))
            .await
            .unwrap()
            .is_none()
    );
    // The minimum itself is granted.
    let shortest = store
        .acquire_lease(
            &common::unique("k"),
            "replica-a",
            ir_postgres::MIN_LEASE_TTL,
        )
        .await
        .unwrap()
        .expect("a free lease is granted");
    assert!(shortest.expires_at > chrono::Utc::now() + chrono::Duration::milliseconds(200));
    common::drop_schema(&schema).await;
}

/// Replica A takes the rollback lease, records that it started, and its backend is killed.
/// Replica B cannot take the lease while it is valid, takes it once it lapses (with a larger
/// fencing token), and reads every event A wrote. A, back from the dead, cannot release B's
/// lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_lease_holder_loses_the_lease_on_expiry_and_no_event_is_lost() {
    let schema = common::unique("ir_test");
    let app_a = common::unique("ir-replica-a");
    let a = common::store_in(&schema, &app_a).await;
    let b = common::store_in(&schema, &common::unique("ir-replica-b")).await;
    let action = IdempotencyKey::new(common::unique("rollback"));

    let id = a
        .open(&common::unique("health:www"), detected())
        .await
        .unwrap()
        .id;
    let ttl = Duration::from_secs(2);
    let lease_a = a
        .acquire_lease(action.as_str(), "replica-a", ttl)
        .await
        .unwrap()
        .expect("a free lease is granted");
    let started = Event::new(
        chrono::Utc::now(),
        "replica-a",
        EventKind::ActionStarted {
            key: action.clone(),
            dry_run: false,
        },
    );
    assert_eq!(a.append(id, 1, vec![started.clone()]).await.unwrap(), 2);

    // The crash: every backend of replica A is killed.
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&app_a)
    .fetch_all(&mut common::admin().await)
    .await
    .unwrap();
    assert!(
        !killed.is_empty() && killed.iter().all(|k| *k),
        "{killed:?}"
    );

    // While A's lease is valid nobody else gets it, crash or not.
    assert!(
        b.acquire_lease(action.as_str(), "replica-b", ttl)
            .await
            .unwrap()
            .is_none()
    );

    let lease_b = common::eventually(Duration::from_secs(10), "the lease to lapse", || async {
        b.acquire_lease(action.as_str(), "replica-b", Duration::from_secs(30))
            .await
            .unwrap()
    })
    .await;
    assert!(lease_b.expires_at > lease_a.expires_at);
    assert!(lease_b.token > lease_a.token, "fencing token grows");
    assert!(
        chrono::Utc::now() >= lease_a.expires_at - chrono::Duration::milliseconds(100),
        "granted only after A's lease expired"
    );

    // Nothing A wrote before the kill is lost.
    let loaded = b.load(id).await.unwrap();
    assert_eq!(loaded.version(), 2);
    assert_eq!(loaded.events[1].event, started);

    // A comes back (its pool reconnects): its stale release frees nothing.
    a.release_lease(&lease_a).await.unwrap();
    assert!(
        a.acquire_lease(action.as_str(), "replica-a", ttl)
            .await
            .unwrap()
            .is_none()
    );
    // And a stale append from A is a conflict, not a lost event.
    let err = a
        .append(id, 1, vec![note("replica-a", "late")])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    common::drop_schema(&schema).await;
}

/// A stored event that no longer decodes is a Protocol error naming the incident and event.
#[tokio::test]
async fn an_undecodable_stored_event_is_a_protocol_error() {
    let schema = common::unique("ir_test");
    let store = common::store_in(&schema, "ir-corrupt").await;
    let id = store
        .open(&common::unique("k"), detected())
        .await
        .unwrap()
        .id;
    store.append(id, 1, vec![note("x", "fine")]).await.unwrap();
    common::admin()
        .await
        .execute(sqlx::AssertSqlSafe(format!(
            "UPDATE {schema}.incident_events SET event = '{{\"kind\": {{\"type\": \"from_the_future\"}}}}' \
             WHERE incident_id = '{id}' AND seq = 2"
        )))
        .await
        .unwrap();
    let err = store.load(id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.operation(), Some("load"));
    assert!(
        err.to_string()
            .contains(&format!("event 2 of incident {id}")),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());
    common::drop_schema(&schema).await;
}

/// A timeline with a hole or with events past its version is a Protocol error for `load` and
/// `load_since` alike, never a silently shorter or longer timeline.
#[tokio::test]
async fn a_gap_or_an_event_past_the_version_is_a_protocol_error() {
    let schema = common::unique("ir_test");
    let store = common::store_in(&schema, "ir-gap").await;
    let id = store
        .open(&common::unique("k"), detected())
        .await
        .unwrap()
        .id;
    let notes = (0..4).map(|i| note("x", &format!("n{i}"))).collect();
    assert_eq!(store.append(id, 1, notes).await.unwrap(), 5);
    let mut admin = common::admin().await;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {schema}.incident_events WHERE incident_id = '{id}' AND seq = 3"
        )))
        .await
        .unwrap();
    let load = store.load(id).await.unwrap_err();
    let since = store.load_since(id, 1).await.unwrap_err();
    for err in [load, since] {
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        assert!(err.message().contains("event 4 where 3"), "{err}");
    }
    // After the hole, the tail is whole again.
    assert_eq!(store.load_since(id, 3).await.unwrap().len(), 2);

    // The version says 5, but a sixth event is stored.
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {schema}.incident_events (incident_id, seq, at, actor, kind, event) \
             SELECT incident_id, 6, at, actor, kind, event FROM {schema}.incident_events \
              WHERE incident_id = '{id}' AND seq = 5"
        )))
        .await
        .unwrap();
    for after in [3, 5] {
        let err = store.load_since(id, after).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{after}: {err}");
        assert!(err.message().contains("at version 5"), "{err}");
    }
    common::drop_schema(&schema).await;
}

/// Replicas starting together all apply the migrations safely, into the schema they share.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_migrate_once() {
    let schema = common::unique("ir_test");
    let stores = join_all((0..6).map(|_| common::store_in(&schema, "ir-migrate"))).await;
    let applied: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {schema}._sqlx_migrations WHERE success"
    )))
    .fetch_one(&mut common::admin().await)
    .await
    .unwrap();
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|f| f.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
        .count();
    assert_eq!(applied, embedded as i64, "each migration applied once");
    assert!(stores.iter().all(|s| s.schema() == schema));
    // Reconnecting to a migrated schema is a no-op.
    common::store_in(&schema, "ir-migrate").await;
    common::drop_schema(&schema).await;
}

/// Two schemas are two independent stores: same dedup key, two incidents.
#[tokio::test]
async fn schemas_isolate_stores() {
    let (s1, s2) = (common::unique("ir_test"), common::unique("ir_test"));
    let one = common::store_in(&s1, "ir-isolation").await;
    let two = common::store_in(&s2, "ir-isolation").await;
    let key = common::unique("k");
    let a = one.open(&key, detected()).await.unwrap();
    let b = two.open(&key, detected()).await.unwrap();
    assert!(a.created && b.created && a.id != b.id);
    assert_eq!(
        two.load(a.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    common::drop_schema(&s1).await;
    common::drop_schema(&s2).await;
}

/// list_open is oldest first and drops closed incidents; appending nothing changes nothing.
#[tokio::test]
async fn list_open_oldest_first() {
    let schema = common::unique("ir_test");
    let store = common::store_in(&schema, "ir-list").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            store
                .open(&common::unique("k"), detected())
                .await
                .unwrap()
                .id,
        );
    }
    assert_eq!(store.list_open().await.unwrap(), ids);
    assert_eq!(store.append(ids[1], 1, vec![]).await.unwrap(), 1);
    let closed = Event::new(chrono::Utc::now(), "runner", EventKind::Closed);
    store.append(ids[1], 1, vec![closed]).await.unwrap();
    assert_eq!(store.list_open().await.unwrap(), [ids[0], ids[2]]);
    common::drop_schema(&schema).await;
}

/// A store whose server is gone answers Unavailable, never with the password.
#[tokio::test]
async fn an_unreachable_store_is_unavailable_without_the_password() {
    let config = ir_postgres::PgConfig::builder(secrecy::SecretString::from(
        "postgres://postgres:hunter2@127.0.0.1:1/test",
    ))
    .build()
    .unwrap();
    let err = ir_postgres::PgIncidentStore::connect(&config)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(err.provider(), Some("postgres"));
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
}

/// With trust auth the server ignores a password, so a live store can show it keeps it out of
/// `Debug`.
#[tokio::test]
async fn a_live_store_never_shows_its_password() {
    let mut url = url::Url::parse(&common::database_url()).unwrap();
    if url.password().is_none() {
        url.set_password(Some("hunter2")).unwrap();
    }
    let password = url.password().unwrap().to_owned();
    let schema = common::unique("ir_test");
    let config = ir_postgres::PgConfig::builder(secrecy::SecretString::from(url.to_string()))
        .with_schema(&schema)
        .build()
        .unwrap();
    common::admin().await;
    let store = ir_postgres::PgIncidentStore::connect(&config)
        .await
        .unwrap();
    store.list_open().await.unwrap();
    let text = format!("{store:?} {config:?}");
    assert!(!text.contains(&password), "{text}");
    common::drop_schema(&schema).await;
}

/// The store qualifies every table with its schema and sends no startup options, so it also
/// works through PgBouncer (session mode here): migrations, opens, appends and leases.
#[tokio::test]
async fn a_store_works_through_pgbouncer() {
    let schema = common::unique("ir_test");
    let config =
        ir_postgres::PgConfig::builder(secrecy::SecretString::from(common::pgbouncer_url("test")))
            .with_schema(&schema)
            .build()
            .unwrap();
    let store = ir_postgres::PgIncidentStore::connect(&config)
        .await
        .unwrap_or_else(|e| panic!("through PgBouncer ({e}); ./scripts/test.sh starts it"));
    let key = common::unique("k");
    let opened = store.open(&key, detected()).await.unwrap();
    assert!(opened.created);
    assert_eq!(
        store
            .append(opened.id, 1, vec![note("x", "y")])
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.load(opened.id).await.unwrap().version(), 2);
    let stale = store
        .append(opened.id, 1, vec![note("x", "late")])
        .await
        .unwrap_err();
    assert_eq!(stale.current_version(), Some(2), "{stale:?}");
    assert_eq!(store.load_since(opened.id, 1).await.unwrap().len(), 1);
    assert!(
        store
            .acquire_lease(&key, "replica", Duration::from_secs(5))
            .await
            .unwrap()
            .is_some()
    );
    common::drop_schema(&schema).await;
}

/// A statement timeout through PgBouncer: the store connects (PgBouncer would refuse it as a
/// startup parameter) and the timeout applies: an append waiting on a locked row is cut off.
#[tokio::test]
async fn a_statement_timeout_works_through_pgbouncer() {
    let schema = common::unique("ir_test");
    let config =
        ir_postgres::PgConfig::builder(secrecy::SecretString::from(common::pgbouncer_url("test")))
            .with_schema(&schema)
            .with_statement_timeout(Some(Duration::from_millis(500)))
            .build()
            .unwrap();
    let store = ir_postgres::PgIncidentStore::connect(&config)
        .await
        .unwrap_or_else(|e| panic!("through PgBouncer ({e}); ./scripts/test.sh starts it"));
    let id = store
        .open(&common::unique("k"), detected())
        .await
        .unwrap()
        .id;

    let mut locker = common::admin().await;
    locker.execute("BEGIN").await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT 1 FROM {schema}.incidents WHERE id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .execute(&mut locker)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        store.append(id, 1, vec![note("x", "waits for the lock")]),
    )
    .await
    .expect("the statement timeout cuts the wait")
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));

    locker.execute("ROLLBACK").await.unwrap();
    common::drop_schema(&schema).await;
}

/// sqlx's migration lock for `database`: `pg_advisory_lock(0x3d32ad9e * crc32(database))`.
fn migration_lock_id(database: &str) -> i64 {
    let mut crc = 0xFFFF_FFFF_u32;
    for byte in database.bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    0x3d32_ad9e * i64::from(!crc)
}

/// The migration timeout reads the configured clock: on a `ManualClock` a minute-long timeout
/// fires as soon as the clock is moved past it, with no real minute of waiting.
#[tokio::test]
async fn the_migration_timeout_runs_on_the_configured_clock() {
    let schema = common::unique("ir_test");
    let manual = ir_core::clock::ManualClock::at(chrono::Utc::now());
    let config =
        ir_postgres::PgConfig::builder(secrecy::SecretString::from(common::database_url()))
            .with_schema(&schema)
            .with_migration_timeout(Duration::from_secs(60))
            .with_clock(std::sync::Arc::new(manual.clone()))
            .build()
            .unwrap();
    let mut holder = common::admin().await;
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(migration_lock_id(&database))
        .execute(&mut holder)
        .await
        .unwrap();

    let real = std::time::Instant::now();
    let (outcome, ()) = tokio::join!(ir_postgres::PgIncidentStore::connect(&config), async {
        // `connect` was polled first, so its deadline is set; let it reach the lock.
        tokio::time::sleep(Duration::from_millis(200)).await;
        manual.advance(Duration::from_secs(60));
    });
    let took = real.elapsed();
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(migration_lock_id(&database))
        .execute(&mut holder)
        .await
        .unwrap();
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.message().contains("migration lock"), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    // Nothing was created: the schema is made under the lock it never got.
}

/// Another session holding the migration lock (as a server connection behind a
/// transaction-mode PgBouncer can) makes `connect` fail with Timeout, not wait forever.
#[tokio::test]
async fn a_migration_lock_held_elsewhere_is_a_timeout() {
    let schema = common::unique("ir_test");
    let config =
        ir_postgres::PgConfig::builder(secrecy::SecretString::from(common::database_url()))
            .with_schema(&schema)
            .with_migration_timeout(Duration::from_millis(800))
            .build()
            .unwrap();
    let mut holder = common::admin().await;
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(migration_lock_id(&database))
        .execute(&mut holder)
        .await
        .unwrap();

    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        ir_postgres::PgIncidentStore::connect(&config),
    )
    .await;
    // Other tests' migrations wait on this lock too: release it first.
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(migration_lock_id(&database))
        .execute(&mut holder)
        .await
        .unwrap();
    let err = outcome.expect("connect gives up by itself").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.operation(), Some("migrate"));
    assert!(err.message().contains("migration lock"), "{err}");

    // Once the lock is free, the same configuration connects.
    ir_postgres::PgIncidentStore::connect(&config)
        .await
        .unwrap();
    common::drop_schema(&schema).await;
}

/// A store whose only pooled connection is stuck (its append waits on a row another session
/// locked) answers the next call with Timeout, and says the pool, not the server, is the
/// problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_pool_is_a_timeout_not_an_outage() {
    let schema = common::unique("ir_test");
    common::store_in(&schema, "ir-busy").await;
    let config =
        ir_postgres::PgConfig::builder(secrecy::SecretString::from(common::database_url()))
            .with_schema(&schema)
            .with_max_connections(1)
            .with_acquire_timeout(Duration::from_millis(500))
            .build()
            .unwrap();
    let store = Arc::new(
        ir_postgres::PgIncidentStore::connect(&config)
            .await
            .unwrap(),
    );
    let id = store
        .open(&common::unique("k"), detected())
        .await
        .unwrap()
        .id;

    let mut locker = common::admin().await;
    locker.execute("BEGIN").await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT 1 FROM {schema}.incidents WHERE id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .execute(&mut locker)
    .await
    .unwrap();
    let stuck = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            store
                .append(id, 1, vec![note("x", "waits for the lock")])
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let err = store.list_open().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.operation(), Some("list_open"));
    assert!(
        err.message().contains("pooled connections stayed busy"),
        "{err}"
    );

    locker.execute("ROLLBACK").await.unwrap();
    assert_eq!(
        stuck.await.unwrap().unwrap(),
        2,
        "the waiting append then goes through"
    );
    common::drop_schema(&schema).await;
}

/// A schema migrated by different SQL is refused with a Config error naming the migration,
/// rather than used half-compatible.
#[tokio::test]
async fn a_schema_migrated_differently_is_a_config_error() {
    let schema = common::unique("ir_test");
    common::store_in(&schema, "ir-mismatch").await;
    common::admin()
        .await
        .execute(sqlx::AssertSqlSafe(format!(
            "UPDATE {schema}._sqlx_migrations SET checksum = '\\x00'"
        )))
        .await
        .unwrap();
    let config =
        ir_postgres::PgConfig::builder(secrecy::SecretString::from(common::database_url()))
            .with_schema(&schema)
            .build()
            .unwrap();
    let err = ir_postgres::PgIncidentStore::connect(&config)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(
        err.message().contains("differs from the one applied"),
        "{err}"
    );
    common::drop_schema(&schema).await;
}

/// A server that accepts the TCP connection and never answers the startup packet: the store
/// must say it cannot reach the server, not that the migration lock timed out.
#[tokio::test]
async fn a_server_that_never_answers_is_unreachable_not_a_migration_lock() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            sockets.push(socket);
        }
    });
    let config = ir_postgres::PgConfig::builder(secrecy::SecretString::from(format!(
        "postgres://postgres@{address}/test?sslmode=disable"
    )))
    .with_migration_timeout(Duration::from_millis(500))
    .build()
    .unwrap();

    let err = ir_postgres::PgIncidentStore::connect(&config)
        .await
        .map(drop)
        .expect_err("no server answered");

    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("unreachable"), "{err}");
    assert!(!err.message().contains("migration lock"), "{err}");

    // A refused connection says so too, with the connect error.
    drop(held);
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let config = ir_postgres::PgConfig::builder(secrecy::SecretString::from(format!(
        "postgres://postgres@127.0.0.1:{port}/test?sslmode=disable"
    )))
    .build()
    .unwrap();
    let err = ir_postgres::PgIncidentStore::connect(&config)
        .await
        .map(drop)
        .expect_err("nothing listens");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        err.message().contains("unreachable") && err.message().contains("refused"),
        "{err}"
    );
}
