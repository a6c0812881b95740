//! `PgDiagnostics` on the real server: the tests create the conditions (idle connections,
//! connections idle in a transaction, a full role, a queue in PgBouncer) and observe them.
//!
//! Each test scopes itself by a unique `application_name` (and unique roles), so tests running
//! in parallel, and other sessions on the server, are never counted or touched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use ir_core::ErrorKind;
use ir_core::model::{ConnectionGroup, DsnRoute, SlowQueries};
use ir_core::ports::{DatabaseDiagnostics, RefusalReason, TerminateRequest, check_dsn};
use ir_postgres::{PgConfig, PgDiagnostics};
use secrecy::SecretString;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection};

fn diagnostics() -> PgDiagnostics {
    PgDiagnostics::new(&common::config(None, &common::unique("ir-diagnostics"))).unwrap()
}

fn group<'s>(groups: &'s [ConnectionGroup], application_name: &str) -> Option<&'s ConnectionGroup> {
    groups
        .iter()
        .find(|g| g.application_name == application_name)
}

async fn alive(conn: &mut PgConnection) -> bool {
    conn.execute("SELECT 1").await.is_ok()
}

async fn pids_present(pids: &BTreeSet<i32>) -> BTreeSet<i32> {
    let present: Vec<i32> =
        sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)")
            .bind(pids.iter().copied().collect::<Vec<_>>())
            .fetch_all(&mut common::admin().await)
            .await
            .unwrap();
    present.into_iter().collect()
}

#[tokio::test]
async fn idle_connections_opened_by_the_test_appear_in_the_status() {
    let role = common::Role::create("").await;
    let app = common::unique("ir-idle");
    let mut conns = Vec::new();
    for _ in 0..4 {
        conns.push(common::idle_connection(&role.name, &app).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let status = diagnostics().connection_status().await.unwrap();

    let ours = group(&status.groups, &app).expect("our application appears");
    assert_eq!(ours.user.as_deref(), Some(role.name.as_str()));
    assert_eq!(ours.counts.idle, 4);
    assert_eq!(ours.counts.total(), 4);
    assert!(status.counts.idle >= 4);
    assert!(status.oldest_idle.unwrap() >= Duration::from_millis(250));
    // The server's limits: 100 and 3 reserved on a default PostgreSQL 15.
    let max: String = sqlx::query_scalar("SHOW max_connections")
        .fetch_one(&mut conns[0])
        .await
        .unwrap();
    assert_eq!(status.max_connections.to_string(), max);
    assert!(status.reserved_connections >= 3);
    assert!(status.counts.total() >= 5, "ours plus the diagnostics' own");
    assert!(status.headroom() < status.max_connections - status.reserved_connections - 4);

    common::close_all(conns).await;
    role.drop_role().await;
}

#[tokio::test]
async fn a_connection_idle_in_a_transaction_is_reported() {
    let app = common::unique("ir-idle-in-tx");
    let user = url::Url::parse(&common::database_url())
        .unwrap()
        .username()
        .to_owned();
    let mut in_tx = common::idle_connection(&user, &app).await;
    in_tx.execute("BEGIN").await.unwrap();
    in_tx.execute("SELECT 1").await.unwrap();
    let mut aborted = common::idle_connection(&user, &app).await;
    aborted.execute("BEGIN").await.unwrap();
    assert!(aborted.execute("SELECT 1/0").await.is_err());
    let plain = common::idle_connection(&user, &app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let status = diagnostics().connection_status().await.unwrap();

    let ours = group(&status.groups, &app).expect("our application appears");
    assert_eq!(ours.counts.idle_in_transaction, 1);
    assert_eq!(ours.counts.idle_in_transaction_aborted, 1);
    assert_eq!(ours.counts.idle, 1);
    assert!(status.counts.idle_in_transaction >= 1);
    assert!(status.oldest_idle_in_transaction.unwrap() >= Duration::from_millis(250));

    common::close_all(vec![in_tx, aborted, plain]).await;
}

/// Old idle connections of the test's application are terminated; young ones, another
/// application's, a superuser's, and the diagnostics' own connection survive.
#[tokio::test]
async fn terminating_idle_connections_closes_exactly_those_older_than_the_threshold() {
    let role = common::Role::create("").await;
    let app = common::unique("ir-terminate");
    let other_app = common::unique("ir-terminate-other");
    let superuser = url::Url::parse(&common::database_url())
        .unwrap()
        .username()
        .to_owned();

    let mut old = Vec::new();
    for _ in 0..3 {
        old.push(common::idle_connection(&role.name, &app).await);
    }
    let mut old_superuser = common::idle_connection(&superuser, &app).await;
    let mut old_other_app = common::idle_connection(&role.name, &other_app).await;
    // Pids first: any statement would make a connection freshly idle.
    let mut old_pids = BTreeSet::new();
    for conn in &mut old {
        old_pids.insert(common::pid(conn).await);
    }
    let superuser_pid = common::pid(&mut old_superuser).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut young = Vec::new();
    for _ in 0..2 {
        young.push(common::idle_connection(&role.name, &app).await);
    }

    let diagnostics = diagnostics();
    let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(2));
    request.application_name = Some(app.clone());
    let report = diagnostics.terminate_idle(&request).await.unwrap();

    assert!(!report.dry_run);
    let terminated: BTreeSet<i32> = report.terminated.iter().map(|b| b.pid).collect();
    assert_eq!(
        terminated, old_pids,
        "exactly the old idle connections: {report:?}"
    );
    for backend in &report.terminated {
        assert_eq!(backend.application_name, app);
        assert_eq!(backend.user.as_deref(), Some(role.name.as_str()));
        assert_eq!(backend.state, "idle");
        assert!(backend.idle_for >= Duration::from_secs(2));
    }
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
    assert_eq!(report.refused[0].0.pid, superuser_pid);
    assert_eq!(report.refused[0].1, RefusalReason::Superuser);

    // They are really gone, and the rest really survive.
    common::eventually(
        Duration::from_secs(5),
        "terminated backends to exit",
        || {
            let old_pids = old_pids.clone();
            async move { pids_present(&old_pids).await.is_empty().then_some(()) }
        },
    )
    .await;
    for conn in &mut old {
        assert!(!alive(conn).await, "a terminated connection is closed");
    }
    for conn in &mut young {
        assert!(alive(conn).await, "a young connection survives");
    }
    assert!(
        alive(&mut old_superuser).await,
        "a superuser's connection survives"
    );
    assert!(
        alive(&mut old_other_app).await,
        "another application's connection survives"
    );
    diagnostics
        .connection_status()
        .await
        .expect("our own connection survives");

    common::close_all(young).await;
    common::close_all(vec![old_superuser, old_other_app]).await;
    role.drop_role().await;
}

#[tokio::test]
async fn a_dry_run_lists_without_terminating() {
    let role = common::Role::create("").await;
    let app = common::unique("ir-dry-run");
    let mut conns = Vec::new();
    for _ in 0..2 {
        conns.push(common::idle_connection(&role.name, &app).await);
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(1));
    request.user = Some(role.name.clone());
    request.dry_run = true;
    let report = diagnostics().terminate_idle(&request).await.unwrap();

    assert!(report.dry_run);
    assert_eq!(report.terminated.len(), 2);
    assert!(report.refused.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    for conn in &mut conns {
        assert!(alive(conn).await, "a dry run terminates nothing");
    }
    common::close_all(conns).await;
    role.drop_role().await;
}

/// A request filtered only by user reaches the configured database only: the same role's idle
/// connection to another database on the server survives.
#[tokio::test]
async fn terminating_stays_in_the_configured_database() {
    let role = common::Role::create("").await;
    let app = common::unique("ir-other-db");
    let here = common::idle_connection(&role.name, &app).await;
    let mut elsewhere = common::idle_connection_to("postgres", &role.name, &app).await;
    let elsewhere_pid = common::pid(&mut elsewhere).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(1));
    request.user = Some(role.name.clone());
    let report = diagnostics().terminate_idle(&request).await.unwrap();

    let touched: Vec<i32> = report
        .terminated
        .iter()
        .chain(report.refused.iter().map(|(b, _)| b))
        .map(|b| b.pid)
        .collect();
    assert!(!touched.contains(&elsewhere_pid), "{report:?}");
    assert_eq!(report.terminated.len(), 1, "{report:?}");
    assert!(
        alive(&mut elsewhere).await,
        "a connection to another database survives"
    );

    drop(here);
    common::close_all(vec![elsewhere]).await;
    role.drop_role().await;
}

/// The application pool handed in is ours too: its idle connections are refused as
/// `OwnBackend`, and stay open.
#[tokio::test]
async fn the_application_pools_connections_are_never_terminated() {
    let role = common::Role::create("").await;
    let app = common::unique("ir-app-pool");
    let mut url = url::Url::parse(&common::database_url()).unwrap();
    url.set_username(&role.name).unwrap();
    url.query_pairs_mut().append_pair("application_name", &app);
    common::admin().await;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(url.as_str())
        .await
        .unwrap();
    let mut pids = BTreeSet::new();
    {
        let mut first = pool.acquire().await.unwrap();
        let mut second = pool.acquire().await.unwrap();
        pids.insert(common::pid(&mut first).await);
        pids.insert(common::pid(&mut second).await);
    }
    let stranger = common::idle_connection(&role.name, &app).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let diagnostics = diagnostics().with_app_pool(pool.clone());
    let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(1));
    request.application_name = Some(app.clone());
    let report = diagnostics.terminate_idle(&request).await.unwrap();

    assert_eq!(report.terminated.len(), 1, "only the stranger: {report:?}");
    assert!(!pids.contains(&report.terminated[0].pid));
    let refused: BTreeSet<i32> = report
        .refused
        .iter()
        .map(|(b, reason)| {
            assert_eq!(*reason, RefusalReason::OwnBackend, "{report:?}");
            b.pid
        })
        .collect();
    assert_eq!(refused, pids, "{report:?}");
    assert_eq!(
        pids_present(&pids).await,
        pids,
        "the pool's backends survive"
    );
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(one, 1);

    drop(stranger);
    pool.close().await;
    role.drop_role().await;
}

/// The incident store of the same process is ours too: its pooled connections are refused as
/// `OwnBackend` and stay open.
#[tokio::test]
async fn the_incident_stores_connections_are_never_terminated() {
    let app = common::unique("ir-store-pool");
    let schema = common::unique("ir_test");
    let store = common::store_in(&schema, &app).await;
    ir_core::ports::IncidentStore::list_open(&store)
        .await
        .unwrap();
    let pids: BTreeSet<i32> =
        sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE application_name = $1")
            .bind(&app)
            .fetch_all(&mut common::admin().await)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert!(!pids.is_empty());
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let diagnostics = diagnostics().with_incident_store(&store);
    let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(1));
    request.application_name = Some(app.clone());
    let report = diagnostics.terminate_idle(&request).await.unwrap();

    assert!(report.terminated.is_empty(), "{report:?}");
    let refused: BTreeSet<i32> = report.refused.iter().map(|(b, _)| b.pid).collect();
    assert_eq!(refused, pids, "{report:?}");
    assert!(
        report
            .refused
            .iter()
            .all(|(_, reason)| *reason == RefusalReason::OwnBackend),
        "{report:?}"
    );
    assert_eq!(
        pids_present(&pids).await,
        pids,
        "the store's backends survive"
    );
    ir_core::ports::IncidentStore::list_open(&store)
        .await
        .unwrap();
    common::drop_schema(&schema).await;
}

/// A role that may see other sessions (`pg_read_all_stats`) but not signal them: the server's
/// "permission denied" is a refusal in the report, in a dry run too.
#[tokio::test]
async fn permission_denied_is_a_refusal_not_an_error() {
    let victim = common::Role::create("").await;
    let monitor = common::Role::create("IN ROLE pg_read_all_stats").await;
    let app = common::unique("ir-denied");
    let mut conn = common::idle_connection(&victim.name, &app).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let diagnostics = PgDiagnostics::new(&common::config(
        Some(&monitor.name),
        &common::unique("ir-monitor"),
    ))
    .unwrap();
    let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(1));
    request.application_name = Some(app.clone());

    request.dry_run = true;
    let dry = diagnostics.terminate_idle(&request).await.unwrap();
    assert!(dry.terminated.is_empty());
    assert!(
        matches!(dry.refused[..], [(_, RefusalReason::PermissionDenied(_))]),
        "{dry:?}"
    );

    request.dry_run = false;
    let report = diagnostics.terminate_idle(&request).await.unwrap();
    assert!(report.terminated.is_empty());
    match &report.refused[..] {
        [(backend, RefusalReason::PermissionDenied(message))] => {
            assert_eq!(backend.user.as_deref(), Some(victim.name.as_str()));
            // PostgreSQL 15 says "must be a member of the role ... or member of
            // pg_signal_backend", 16+ "permission denied to terminate process" with a detail.
            assert!(message.contains("pg_signal_backend"), "{message}");
        }
        other => panic!("expected one PermissionDenied refusal, got {other:?}"),
    }
    assert!(alive(&mut conn).await);

    common::close_all(vec![conn]).await;
    drop(diagnostics);
    victim.drop_role().await;
    monitor.drop_role().await;
}

#[tokio::test]
async fn the_application_pool_is_told_apart_from_the_server() {
    let without = diagnostics().pool_status().await.unwrap_err();
    assert_eq!(without.kind(), ErrorKind::Unsupported);

    common::admin().await;
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .connect(&common::database_url())
        .await
        .unwrap();
    let diagnostics = diagnostics().with_app_pool(pool.clone());
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(pool.acquire().await.unwrap());
    }
    let exhausted = diagnostics.pool_status().await.unwrap();
    assert_eq!((exhausted.size, exhausted.idle, exhausted.max), (3, 0, 3));
    assert!(exhausted.is_exhausted());
    // The server, meanwhile, has room: "our pool is exhausted", not "the server is full".
    assert!(diagnostics.connection_status().await.unwrap().headroom() > 0);

    drop(held);
    // Connections go back to the pool in the background.
    let relaxed = common::eventually(Duration::from_secs(5), "the pool to be idle", || async {
        let status = diagnostics.pool_status().await.unwrap();
        (status.idle == 3).then_some(status)
    })
    .await;
    assert_eq!(relaxed.in_use(), 0);
    assert!(!relaxed.is_exhausted());
    pool.close().await;
}

/// A role at its connection limit gets SQLSTATE 53300, like a full server: Unavailable with
/// the server's own words.
#[tokio::test]
async fn too_many_connections_is_unavailable_with_the_servers_message() {
    let role = common::Role::create("CONNECTION LIMIT 1").await;
    let holder = common::idle_connection(&role.name, "ir-limit-holder").await;
    let config = PgConfig::builder(SecretString::from({
        let mut url = url::Url::parse(&common::database_url()).unwrap();
        url.set_username(&role.name).unwrap();
        url.set_password(Some("hunter2")).unwrap();
        url.to_string()
    }))
    .with_acquire_timeout(Duration::from_secs(1))
    .build()
    .unwrap();
    let err = PgDiagnostics::new(&config)
        .unwrap()
        .connection_status()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(err.operation(), Some("connection_status"));
    assert!(
        err.message().contains("too many connections for role"),
        "{err}"
    );
    assert!(err.message().contains("53300"), "{err}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
    common::close_all(vec![holder]).await;
    role.drop_role().await;
}

/// The runbook's case: the server (here, the role) is full once the diagnostics have
/// connected. The connection they keep must serve every later call, so terminating idle
/// connections still works: the same backend answers each call.
#[tokio::test]
async fn on_a_full_server_the_kept_connection_serves_every_call() {
    let role = common::Role::create("CONNECTION LIMIT 3").await;
    let app = common::unique("ir-full-server");
    let diagnostics = PgDiagnostics::new(&common::config(Some(&role.name), &app)).unwrap();
    diagnostics.connection_status().await.unwrap();
    let ours = |app: String| async move {
        let rows: Vec<(i32,)> =
            sqlx::query_as("SELECT pid FROM pg_stat_activity WHERE application_name = $1")
                .bind(app)
                .fetch_all(&mut common::admin().await)
                .await
                .unwrap();
        rows.into_iter()
            .map(|(pid,)| pid)
            .collect::<BTreeSet<i32>>()
    };
    let first = ours(app.clone()).await;
    assert_eq!(first.len(), 1, "{first:?}");
    // Fill the role's other slots with idle connections of another application.
    let filler = common::unique("ir-full-filler");
    let mut conns = Vec::new();
    for _ in 0..2 {
        conns.push(common::idle_connection(&role.name, &filler).await);
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;

    for _ in 0..3 {
        diagnostics.connection_status().await.unwrap();
        let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(1));
        request.user = Some(role.name.clone());
        request.dry_run = true;
        let report = diagnostics.terminate_idle(&request).await.unwrap();
        assert_eq!(report.terminated.len(), 2, "{report:?}");
        assert_eq!(ours(app.clone()).await, first, "the same kept backend");
    }
    let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(1));
    request.user = Some(role.name.clone());
    let report = diagnostics.terminate_idle(&request).await.unwrap();
    assert_eq!(report.terminated.len(), 2, "{report:?}");
    assert_eq!(ours(app.clone()).await, first, "the same kept backend");
    common::close_all(conns).await;
    role.drop_role().await;
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_and_an_unknown_role_unauthenticated() {
    let refused = PgConfig::builder(SecretString::from(
        "postgres://postgres:hunter2@127.0.0.1:1/test",
    ))
    .with_acquire_timeout(Duration::from_millis(500))
    .build()
    .unwrap();
    let err = PgDiagnostics::new(&refused)
        .unwrap()
        .connection_status()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("refused"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
    assert!(!format!("{err} {err:?}").contains("hunter2"));

    let mut url = url::Url::parse(&common::database_url()).unwrap();
    url.set_username(&common::unique("ir_no_such_role"))
        .unwrap();
    url.set_password(Some("hunter2")).unwrap();
    let unknown = PgConfig::builder(SecretString::from(url.to_string()))
        .build()
        .unwrap();
    let diagnostics = PgDiagnostics::new(&unknown).unwrap();
    assert!(!format!("{diagnostics:?}").contains("hunter2"));
    let err = diagnostics.connection_status().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

/// The runbook's check: 5432 is direct, 6432 is PgBouncer; both routes really reach the same
/// server.
#[tokio::test]
async fn the_dsn_check_on_the_real_server_and_pgbouncer() {
    let direct = common::database_url();
    let pooled = common::pgbouncer_url("test");
    let direct_check = check_dsn(&SecretString::from(direct.clone())).unwrap();
    let pooled_check = check_dsn(&SecretString::from(pooled.clone())).unwrap();
    assert_eq!(direct_check.route, DsnRoute::Direct);
    assert_eq!(pooled_check.route, DsnRoute::PgBouncer);
    assert!(pooled_check.uses_pgbouncer() && !direct_check.uses_pgbouncer());

    common::admin().await;
    let mut through_direct = PgConnection::connect(&direct).await.unwrap();
    let mut through_pgbouncer = PgConnection::connect(&pooled)
        .await
        .unwrap_or_else(|e| panic!("no PgBouncer at {pooled} ({e}); ./scripts/test.sh starts it"));
    let server_port = "SELECT current_setting('port')";
    let a: String = sqlx::raw_sql(server_port)
        .fetch_one(&mut through_direct)
        .await
        .map(|r| sqlx::Row::get(&r, 0))
        .unwrap();
    let b: String = sqlx::raw_sql(server_port)
        .fetch_one(&mut through_pgbouncer)
        .await
        .map(|r| sqlx::Row::get(&r, 0))
        .unwrap();
    assert_eq!(a, direct_check.port.to_string());
    assert_eq!(b, a, "PgBouncer on 6432 forwards to the same server");
    common::close_all(vec![through_direct, through_pgbouncer]).await;
}

/// A client queues behind the single server connection of PgBouncer's `ir_waiting` pool:
/// `SHOW POOLS` reports it waiting with a growing `maxwait`; `SHOW STATS` counts the traffic.
#[tokio::test]
async fn pgbouncer_reports_waiting_clients() {
    let diagnostics = diagnostics();
    let url = common::pgbouncer_url("ir_waiting");
    let mut holder = PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("no PgBouncer at {url} ({e}); ./scripts/test.sh starts it"));
    holder.execute("SELECT 1").await.unwrap();
    let waiter = tokio::spawn({
        let url = url.clone();
        async move {
            let mut conn = PgConnection::connect(&url).await.unwrap();
            conn.execute("SELECT 1").await.unwrap();
            conn.close().await.unwrap();
        }
    });

    let pool = common::eventually(Duration::from_secs(10), "a waiting client", || async {
        let pools = diagnostics.pgbouncer_pools().await.unwrap();
        pools
            .into_iter()
            .find(|p| p.database == "ir_waiting" && p.maxwait >= Duration::from_millis(1500))
    })
    .await;
    assert!(pool.is_saturated(), "{pool:?}");
    // At least ours (another run of this test may be queueing too).
    assert!(pool.cl_waiting >= 1, "{pool:?}");
    assert_eq!(
        pool.sv_active, 1,
        "the pool's single server connection is busy"
    );
    assert_eq!(pool.pool_mode.as_deref(), Some("session"));

    let stats = diagnostics.pgbouncer_stats().await.unwrap();
    let waiting = stats.iter().find(|s| s.database == "ir_waiting").unwrap();
    assert!(waiting.total_query_count.unwrap() >= 1);
    assert!(waiting.total_xact_count.is_some());
    assert!(waiting.total_wait_time_us.is_some());

    holder.close().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiting client gets the connection once it is free")
        .unwrap();
}

#[tokio::test]
async fn pgbouncer_calls_without_an_admin_url_are_unsupported() {
    let config = PgConfig::builder(SecretString::from(common::database_url()))
        .build()
        .unwrap();
    let diagnostics = PgDiagnostics::new(&config).unwrap();
    let err = diagnostics.pgbouncer_pools().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(
        diagnostics.pgbouncer_stats().await.unwrap_err().kind(),
        ErrorKind::Unsupported
    );
}

#[tokio::test]
async fn an_admin_console_that_is_not_there_is_unavailable() {
    let config = PgConfig::builder(SecretString::from(common::database_url()))
        .with_pgbouncer_admin_url(SecretString::from(
            "postgres://admin:hunter2@127.0.0.1:1/pgbouncer",
        ))
        .build()
        .unwrap();
    let err = PgDiagnostics::new(&config)
        .unwrap()
        .pgbouncer_pools()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(err.operation(), Some("pgbouncer_pools"));
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[tokio::test]
async fn an_admin_url_that_points_at_plain_postgres_says_it_is_not_a_pgbouncer_console() {
    let config = PgConfig::builder(SecretString::from(common::database_url()))
        .with_pgbouncer_admin_url(SecretString::from(common::database_url()))
        .build()
        .unwrap();
    let diagnostics = PgDiagnostics::new(&config).unwrap();
    let pools = diagnostics.pgbouncer_pools().await.unwrap_err();
    let stats = diagnostics.pgbouncer_stats().await.unwrap_err();
    for err in [pools, stats] {
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(
            err.message()
                .contains("PGBOUNCER_ADMIN_URL is not a PgBouncer admin console"),
            "{err}"
        );
    }
}

/// Through the port, in a database of its own: no extension, then the extension without
/// `shared_preload_libraries` (how this server runs), each a result rather than an error.
#[tokio::test]
async fn slow_queries_say_why_there_are_none() {
    let mut admin = common::admin().await;
    let database = common::unique("ir_slow_queries");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .await
        .unwrap();
    let mut url = url::Url::parse(&common::database_url()).unwrap();
    url.set_path(&database);
    let config = PgConfig::builder(SecretString::from(url.to_string()))
        .build()
        .unwrap();
    let diagnostics = PgDiagnostics::new(&config).unwrap();

    let missing = diagnostics.slow_queries(10).await.unwrap();
    let mut conn = PgConnection::connect(url.as_str()).await.unwrap();
    conn.execute("CREATE EXTENSION pg_stat_statements")
        .await
        .unwrap();
    let preloaded: String =
        sqlx::query_scalar("SELECT current_setting('shared_preload_libraries')")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    let installed = diagnostics.slow_queries(10).await.unwrap();
    drop(diagnostics);
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {database} WITH (FORCE)"
        )))
        .await
        .unwrap();

    assert_eq!(missing, SlowQueries::ExtensionMissing);
    if preloaded
        .split(',')
        .any(|l| l.trim() == "pg_stat_statements")
    {
        assert!(
            matches!(installed, SlowQueries::Available(_)),
            "{installed:?}"
        );
    } else {
        assert_eq!(installed, SlowQueries::NotPreloaded);
    }
}

/// `DATABASE_URL` on 6432, as the runbook wants it: diagnostics still work through PgBouncer
/// (they send no startup option PgBouncer would refuse).
#[tokio::test]
async fn diagnostics_work_with_a_database_url_through_pgbouncer() {
    let config = PgConfig::builder(SecretString::from(common::pgbouncer_url("test")))
        .build()
        .unwrap();
    let status = PgDiagnostics::new(&config)
        .unwrap()
        .connection_status()
        .await
        .unwrap_or_else(|e| panic!("through PgBouncer ({e}); ./scripts/test.sh starts it"));
    assert!(status.counts.total() >= 1);
}

/// A statement timeout through PgBouncer, which refuses it as a startup parameter: the
/// diagnostics still connect.
#[tokio::test]
async fn diagnostics_with_a_statement_timeout_work_through_pgbouncer() {
    let config = PgConfig::builder(SecretString::from(common::pgbouncer_url("test")))
        .with_statement_timeout(Some(Duration::from_secs(5)))
        .build()
        .unwrap();
    let status = PgDiagnostics::new(&config)
        .unwrap()
        .connection_status()
        .await
        .unwrap_or_else(|e| panic!("through PgBouncer ({e}); ./scripts/test.sh starts it"));
    assert!(status.counts.total() >= 1);
}
