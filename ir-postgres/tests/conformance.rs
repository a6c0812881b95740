//! The `ir-testkit` conformance suites on the real server: `IncidentStore` against
//! `PgIncidentStore`, `DatabaseDiagnostics` against `PgDiagnostics`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ir_core::ErrorKind;
use ir_core::ports::DatabaseDiagnostics;
use ir_postgres::{PgConfig, PgDiagnostics};
use ir_testkit::conformance::{database_diagnostics, incident_store};
use secrecy::SecretString;
use sqlx::postgres::PgPoolOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_incident_store_conforms() {
    let schema = common::unique("ir_conformance");
    let store = common::store_in(&schema, "ir-conformance").await;
    incident_store::run_all(&store).await;
    common::drop_schema(&schema).await;
}

/// The suite uses random keys, so it also holds on a schema other runs share.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_incident_store_conforms_on_a_shared_schema() {
    let store = common::store_in("ir_conformance_shared", "ir-conformance").await;
    incident_store::run_all(&store).await;
}

/// The read-only diagnostics suite on the live server, PgBouncer's admin console included
/// (as `scripts/test.sh` starts it). It terminates nothing.
#[tokio::test]
async fn pg_diagnostics_conforms() {
    common::admin().await; // a clear message when no server answers
    let diagnostics =
        PgDiagnostics::new(&common::config(None, &common::unique("ir-conformance"))).unwrap();
    database_diagnostics::run_all(&diagnostics).await;
}

/// Without PgBouncer or an application pool those calls are `Unsupported`, which the suite
/// accepts; and with the application's pool handed in, `pool_status` answers.
#[tokio::test]
async fn pg_diagnostics_conforms_without_pgbouncer_and_with_an_app_pool() {
    common::admin().await;
    let config = PgConfig::builder(SecretString::from(common::database_url()))
        .with_application_name(common::unique("ir-conformance"))
        .build()
        .unwrap();
    let bare = PgDiagnostics::new(&config).unwrap();
    assert_eq!(
        bare.pgbouncer_pools().await.unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    database_diagnostics::run_all(&bare).await;

    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&common::database_url())
        .await
        .unwrap();
    let with_pool = PgDiagnostics::new(&config).unwrap().with_app_pool(pool);
    assert!(with_pool.pool_status().await.is_ok());
    database_diagnostics::run_all(&with_pool).await;
}
